//! `eval`: perplexity and reading speed of a model on text, JSONL or TSV data.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use clap::Args;

use super::common::{held_out_examples, load_checkpoint};
use crate::backend::Job;
use crate::cli::{BackendKind, positive};
use crate::data::OnError;
use crate::dataset::{LossMask, windows};
use crate::evaluation::score;

/// Flags of `eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Checkpoint folder (or run folder).
    #[arg(long)]
    model: PathBuf,
    /// Files or folders.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Tokens per evaluation window.
    #[arg(long, default_value_t = 256, value_parser = positive)]
    seq_len: usize,
    /// Windows per forward pass.
    #[arg(long, default_value_t = 8, value_parser = positive)]
    batch_size: usize,
    /// Evaluate only every N-th example: the slice `pretrain --holdout-every N` left out.
    #[arg(long, default_value_t = 0)]
    holdout_every: usize,
    /// Read each TSV file as only this column (e.g. `indonesian` of nusax-mt-valid.tsv).
    #[arg(long)]
    column: Option<String>,
    /// Print JSON (`perplexity`, `bits_per_byte`, `tokens`, `bytes`, `tokens_per_s`) instead of
    /// text.
    #[arg(long)]
    json: bool,
    /// What to do with malformed rows.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    on_error: OnError,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
}

impl Job for EvalArgs {
    fn backend(&self) -> BackendKind {
        self.backend
    }

    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let device = &devices[0];
        let ckpt = load_checkpoint::<B::InnerBackend>(&self.model, device)?;
        let column = self.column.as_deref();
        let examples = held_out_examples(&self.data, self.on_error, self.holdout_every, column)?;
        let data = windows(&examples, &ckpt.tokenizer, self.seq_len, LossMask::All)
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let nll = score(&[&ckpt.model], &data, self.batch_size, device, |_, _| {})[0];
        let seconds = started.elapsed().as_secs_f64();
        let (perplexity, tokens) = (nll.perplexity(), nll.tokens);
        let bytes = data.scored_bytes(&ckpt.tokenizer);
        let bits_per_byte = nll.bits_per_byte(bytes);
        let read = data.len() * data.seq_len;
        let tokens_per_s = read as f64 / seconds;
        if self.json {
            let mut json = serde_json::json!({
                "perplexity": perplexity,
                "bits_per_byte": bits_per_byte,
                "tokens": tokens,
                "bytes": bytes,
                "tokens_per_s": tokens_per_s,
            });
            if let Some(loops) = nll.loops_per_token {
                json["loops_per_token"] = loops.into();
            }
            println!("{json}");
        } else {
            let depth = nll
                .loops_per_token
                .map(|l| format!("; {l:.2} loops per token"))
                .unwrap_or_default();
            println!(
                "perplexity {perplexity:.3}, {bits_per_byte:.3} bits per byte over {tokens} tokens ({bytes} bytes; {tokens_per_s:.0} tokens/s read{depth})"
            );
        }
        Ok(())
    }
}
