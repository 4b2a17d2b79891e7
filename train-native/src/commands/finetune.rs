//! `finetune`: supervised chat tuning of a trained model, scored on assistant tokens only.

use std::path::PathBuf;

use burn::tensor::backend::AutodiffBackend;
use clap::Args;

use super::common::load_checkpoint;
use super::training::{set_execution, train_and_save, train_config};
use crate::backend::Job;
use crate::cli::{BackendKind, TrainArgs};
use crate::data;
use crate::dataset::{LossMask, windows};
use crate::train::Trainer;

/// Flags of `finetune`.
#[derive(Args)]
pub struct FinetuneArgs {
    /// The checkpoint folder to start from (a model/ folder or a run folder).
    #[arg(long)]
    from: PathBuf,
    /// Chat or instruction JSONL, or dialog files.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Run folder to write.
    #[arg(long)]
    out: PathBuf,
    /// Hold out every N-th example (0 = none): the slice `eval --holdout-every N` scores, so
    /// a model tuned here is measured on the dialogs it never saw.
    #[arg(long, default_value_t = 0)]
    holdout_every: usize,
    #[command(flatten)]
    train: TrainArgs,
}

impl Job for FinetuneArgs {
    fn backend(&self) -> BackendKind {
        self.train.backend
    }

    fn devices(&self) -> &[usize] {
        &self.train.devices
    }

    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let all = data::load(&self.data, self.train.on_error).map_err(|e| e.to_string())?;
        let (examples, held) = data::split_holdout(all, self.holdout_every);
        if !held.is_empty() {
            eprintln!("holding out {} examples for evaluation", held.len());
        }
        let ckpt = load_checkpoint::<B>(&self.from, &devices[0])?;
        let config = train_config(&self.train);
        let data = windows(
            &examples,
            &ckpt.tokenizer,
            config.seq_len,
            LossMask::AssistantOnly,
        )
        .map_err(|e| e.to_string())?;
        eprintln!(
            "{} windows, {} assistant tokens scored",
            data.len(),
            data.scored_tokens()
        );
        let mut trainer = Trainer::new(
            ckpt.model,
            ckpt.config,
            ckpt.tokenizer,
            config,
            devices,
            &self.out,
        );
        set_execution(&mut trainer, &self.train);
        train_and_save(&mut trainer, &data, &self.out, self.train.quiet)
    }
}
