//! `generate`: streams a model's reply to stdout as its tokens arrive.

use std::io::Write;
use std::path::PathBuf;

use burn::tensor::ElementConversion;
use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use siger::infer::generate::{GenerationConfig, Generator};
use siger::infer::sampling::{Sampler, SamplingConfig};
use siger::text::{Message, Role};

use super::common::load_checkpoint;
use crate::backend::Job;
use crate::cli::BackendKind;

/// Flags of `generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// Checkpoint folder (or run folder).
    #[arg(long)]
    model: PathBuf,
    /// The user's message (wrapped in the chat template unless --raw).
    #[arg(long)]
    prompt: String,
    /// Optional system message.
    #[arg(long)]
    system: Option<String>,
    /// Feed the prompt as plain text, without the chat template.
    #[arg(long)]
    raw: bool,
    /// Sampling temperature; 0 = greedy.
    #[arg(long, default_value_t = 0.7)]
    temperature: f32,
    /// Nucleus sampling threshold in (0, 1].
    #[arg(long, default_value_t = 0.9)]
    top_p: f32,
    /// Keep only the k most likely tokens.
    #[arg(long)]
    top_k: Option<usize>,
    /// Penalty for repeating tokens (1 = off).
    #[arg(long, default_value_t = 1.1)]
    repetition_penalty: f32,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 200)]
    max_tokens: usize,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
}

impl GenerateArgs {
    fn sampling(&self) -> SamplingConfig {
        SamplingConfig {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            repetition_penalty: self.repetition_penalty,
            seed: self.seed,
        }
    }
}

impl Job for GenerateArgs {
    fn backend(&self) -> BackendKind {
        self.backend
    }

    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let sampler = Sampler::new(self.sampling()).map_err(|e| e.to_string())?;
        let ckpt = load_checkpoint::<B::InnerBackend>(&self.model, &devices[0])?;
        let tok = &ckpt.tokenizer;
        let model = &ckpt.model;
        let (ids, state) = if self.raw {
            let ids = tok.encode(&self.prompt).map_err(|e| e.to_string())?;
            (ids, model.zero_state(1, &devices[0]))
        } else {
            let mut messages: Vec<Message> = self
                .system
                .into_iter()
                .map(|s| Message::new(Role::System, s))
                .collect();
            messages.push(Message::new(Role::User, self.prompt));
            let ids = tok.encode_chat(&messages, true);
            // A conditioned model reads the system message's `Topik:` and `Konteks:` lines.
            let state = model.conversation_state(&messages, tok);
            (
                ids.map_err(|e| e.to_string())?,
                state.map_err(|e| e.to_string())?,
            )
        };
        let config = GenerationConfig::chat(tok, self.max_tokens);
        let mut generator = Generator::resume(model, tok, state, &ids, sampler, config)
            .map_err(|e| e.to_string())?;
        let mut stdout = std::io::stdout();
        for piece in generator.by_ref() {
            let _ = write!(stdout, "{}", piece.map_err(|e| e.to_string())?);
            let _ = stdout.flush();
        }
        println!();
        if let Some((loops, tokens)) = generator.depth() {
            let loops: f64 = loops.into_scalar().elem();
            let max = model.halting.as_ref().map_or(0, |h| h.max_loops());
            eprintln!(
                "recurrent depth: {:.2} loops per token on average (of up to {max})",
                loops / tokens as f64
            );
        }
        Ok(())
    }
}
