//! `pretrain`: trains a model from scratch, or continues a run from its latest checkpoint.

use std::path::PathBuf;

use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use siger::ModelConfig;
use siger::text::Tokenizer;

use super::common::{example_texts, read_tokenizer};
use super::training::{set_execution, train_and_save, train_config};
use crate::backend::Job;
use crate::cli::{BackendKind, TrainArgs};
use crate::data::{self, Example};
use crate::dataset::{LossMask, windows};
use crate::train::{TrainConfig, Trainer};

/// Flags of `pretrain`.
#[derive(Args)]
pub struct PretrainArgs {
    /// A preset (`tiny`, `small`, `demo`, `base`) or a config.json path.
    #[arg(long, default_value = "small")]
    config: String,
    /// Training data: files or folders.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// A tokenizer.json (or a folder holding one); without it one is trained on --data.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Run folder: checkpoints/, model/, metrics.jsonl, loss.svg.
    #[arg(long)]
    out: PathBuf,
    /// Hold out every N-th example (0 = none) for `eval --holdout-every N`.
    #[arg(long, default_value_t = 0)]
    holdout_every: usize,
    /// Continue a run from its latest checkpoint (a run folder or a checkpoint folder). The
    /// saved hyper-parameters are used (training flags given with --resume are ignored).
    #[arg(long)]
    resume: Option<PathBuf>,
    #[command(flatten)]
    train: TrainArgs,
}

impl Job for PretrainArgs {
    fn backend(&self) -> BackendKind {
        self.train.backend
    }

    fn devices(&self) -> &[usize] {
        &self.train.devices
    }

    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let all = data::load(&self.data, self.train.on_error).map_err(|e| e.to_string())?;
        // A resumed run keeps the held-out slice it started with.
        let resumed = match &self.resume {
            Some(from) => Some(
                Trainer::<B>::resume(from, devices.clone(), &self.out)
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let holdout = resumed
            .as_ref()
            .map_or(self.holdout_every, |t| t.state.config.holdout_every);
        let (examples, held) = data::split_holdout(all, holdout);
        if !held.is_empty() {
            eprintln!(
                "holding out {} of {} examples for evaluation",
                held.len(),
                held.len() + examples.len()
            );
        }
        let mut trainer = match resumed {
            Some(trainer) => {
                if trainer.state.config != self.run_config() {
                    eprintln!(
                        "note: resuming with the run's saved hyper-parameters; training flags given now are ignored"
                    );
                }
                trainer
            }
            None => self.fresh_trainer(&examples, devices)?,
        };
        set_execution(&mut trainer, &self.train);
        let data = windows(
            &examples,
            trainer.tokenizer(),
            trainer.state.config.seq_len,
            LossMask::All,
        )
        .map_err(|e| e.to_string())?;
        train_and_save(&mut trainer, &data, &self.out, self.train.quiet)
    }
}

impl PretrainArgs {
    /// The hyper-parameters these flags give a run.
    fn run_config(&self) -> TrainConfig {
        let mut config = train_config(&self.train);
        config.holdout_every = self.holdout_every;
        config
    }

    /// A new model (its vocabulary sized to the tokenizer) and the trainer of a new run.
    fn fresh_trainer<B: AutodiffBackend>(
        &self,
        examples: &[Example],
        devices: Vec<B::Device>,
    ) -> Result<Trainer<B>, String> {
        let mut config = model_config(&self.config)?;
        let tok = match &self.tokenizer {
            Some(path) => read_tokenizer(path)?,
            None => {
                eprintln!("training a {}-id tokenizer on the data", config.vocab_size);
                Tokenizer::train(example_texts(examples), config.vocab_size)
                    .map_err(|e| e.to_string())?
            }
        };
        if tok.vocab_size() != config.vocab_size {
            eprintln!(
                "vocab_size set to the tokenizer's {} ids (config said {})",
                tok.vocab_size(),
                config.vocab_size
            );
            config.vocab_size = tok.vocab_size();
        }
        B::seed(&devices[0], self.train.seed);
        let model = config.init::<B>(&devices[0]).map_err(|e| e.to_string())?;
        let train = self.run_config();
        Ok(Trainer::new(model, config, tok, train, devices, &self.out))
    }
}

/// A preset by name, or a validated config.json.
fn model_config(spec: &str) -> Result<ModelConfig, String> {
    if let Some(preset) = ModelConfig::preset(spec) {
        return Ok(preset);
    }
    let text = std::fs::read_to_string(spec).map_err(|e| {
        format!(
            "--config {spec}: not a preset (tiny, small, demo, medium, base) and not a readable file: {e}"
        )
    })?;
    let config: ModelConfig = serde_json::from_str(&text).map_err(|e| format!("{spec}: {e}"))?;
    config.validate().map_err(|e| format!("{spec}: {e}"))?;
    Ok(config)
}
