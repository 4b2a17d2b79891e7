//! `siger-train`: train, evaluate, generate with and export Siger models natively.

mod backend;
mod cli;
mod commands;
mod data;
mod dataset;
mod grads;
mod parallel;
mod plot;
mod quant_report;
mod runs;
mod schedule;
mod train;
mod translate_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let Some(command) = cli.command else {
        let _ = cli::Cli::command().print_help();
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
