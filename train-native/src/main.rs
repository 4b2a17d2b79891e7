//! `siger-train`: train, evaluate, generate with and export Siger models natively.

mod backend;
mod cli;
mod commands;
mod data;
mod dataset;
mod evaluation;
mod grads;
mod loss;
mod parallel;
mod plot;
mod runs;
mod schedule;
mod shards;
mod train;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

/// Train, evaluate and export Siger models natively, with the same model code the browser runs.
#[derive(Parser)]
#[command(name = "siger-train", version, about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Option<commands::Command>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    };
    match commands::run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
