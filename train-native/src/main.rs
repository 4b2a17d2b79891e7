//! `siger-train`: Siger's native command line. Training, evaluation and export arrive with their
//! own issue; today it can stream text from an untrained model to show the pipeline end to end.

use std::io::Write;
use std::process::ExitCode;

use burn::backend::NdArray;
use clap::{Parser, Subcommand};
use siger::ModelConfig;
use siger::generate::{GenerationConfig, Generator};
use siger::sampling::{Sampler, SamplingConfig};
use siger::tokenizer::{Message, Role, Tokenizer};

type Cpu = NdArray<f32>;

/// Train, evaluate and export Siger models natively.
#[derive(Parser)]
#[command(name = "siger-train", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Stream a reply from an UNTRAINED `tiny` model with random weights. The text is
    /// gibberish by design: this exercises tokenizer, chat template, model and sampler end to end
    /// until the trained demo model ships.
    SampleUntrained {
        /// The user's message.
        #[arg(long, default_value = "Halo! Apa itu fotosintesis?")]
        prompt: String,
        /// Tokens to generate.
        #[arg(long, default_value_t = 48)]
        max_tokens: usize,
        /// Sampling temperature (0 = greedy).
        #[arg(long, default_value_t = 0.9)]
        temperature: f32,
        /// Nucleus sampling threshold in (0, 1].
        #[arg(long, default_value_t = 0.95)]
        top_p: f32,
        /// Seed for both the random weights and the sampler.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

/// A few sentences of our own to train the demo tokenizer on.
const TOKENIZER_TEXT: &str = "Selamat pagi! Hari ini kita belajar tentang fotosintesis. \
Tumbuhan membuat makanan sendiri dari air, karbon dioksida dan cahaya matahari. \
Good morning! Today we learn how plants make their own food from water and sunlight. \
Apa kabar? Saya baik, terima kasih. Mari kita belajar bersama di kelas.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
        Some(Command::SampleUntrained {
            prompt,
            max_tokens,
            temperature,
            top_p,
            seed,
        }) => match sample_untrained(&prompt, max_tokens, temperature, top_p, seed) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn sample_untrained(
    prompt: &str,
    max_tokens: usize,
    temperature: f32,
    top_p: f32,
    seed: u64,
) -> Result<(), String> {
    let sampler = Sampler::new(SamplingConfig {
        temperature,
        top_p,
        seed,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let tokenizer =
        Tokenizer::train(std::iter::repeat_n(TOKENIZER_TEXT, 8), 512).map_err(|e| e.to_string())?;
    let device = Default::default();
    <Cpu as burn::tensor::backend::Backend>::seed(&device, seed);
    let model = ModelConfig::tiny()
        .init::<Cpu>(&device)
        .map_err(|e| e.to_string())?;
    let ids = tokenizer.encode_chat(&[Message::new(Role::User, prompt)], true);
    eprintln!(
        "siger: UNTRAINED tiny model with random weights: the reply below is gibberish by design."
    );
    println!("user: {prompt}");
    print!("assistant: ");
    let config = GenerationConfig::chat(&tokenizer, max_tokens);
    let generator =
        Generator::new(&model, &tokenizer, &ids, sampler, config).map_err(|e| e.to_string())?;
    for piece in generator {
        print!("{}", piece.map_err(|e| e.to_string())?);
        let _ = std::io::stdout().flush();
    }
    println!();
    Ok(())
}
