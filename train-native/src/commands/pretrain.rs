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
use crate::dataset::{LossMask, cut, windows};
use crate::shards;
use crate::train::{TrainConfig, Trainer};

/// Flags of `pretrain`.
#[derive(Args)]
pub struct PretrainArgs {
    /// A preset (`tiny`, `small`, `demo`, `base`) or a config.json path.
    #[arg(long, default_value = "small")]
    config: String,
    /// Training data: files or folders, or one shard folder (`siger-train shard`).
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
        if let [only] = self.data.as_slice()
            && shards::is_shards(only)
        {
            return self.run_on_shards::<B>(&only.clone(), devices);
        }
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
            None => {
                let tok = self.tokenizer_for(&examples)?;
                self.fresh_trainer(tok, devices, self.holdout_every)?
            }
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

    /// `--tokenizer`, or one trained on the examples.
    fn tokenizer_for(&self, examples: &[Example]) -> Result<Tokenizer, String> {
        match &self.tokenizer {
            Some(path) => read_tokenizer(path),
            None => {
                let vocab = model_config(&self.config)?.vocab_size;
                eprintln!("training a {vocab}-id tokenizer on the data");
                Tokenizer::train(example_texts(examples), vocab).map_err(|e| e.to_string())
            }
        }
    }

    /// Pre-training on a shard folder (`siger-train shard`): its ids, its tokenizer and its
    /// hold-out setting, nothing tokenized again.
    fn run_on_shards<B: AutodiffBackend>(
        &self,
        dir: &std::path::Path,
        devices: Vec<B::Device>,
    ) -> Result<(), String> {
        let started = std::time::Instant::now();
        let (manifest, stream, tok) = shards::read(dir)?;
        if self.holdout_every != 0 && self.holdout_every != manifest.holdout_every {
            return Err(format!(
                "{}: the shards hold out every {}-th example, not every {}-th; leave --holdout-every out or shard again",
                dir.display(),
                manifest.holdout_every,
                self.holdout_every
            ));
        }
        if let Some(path) = &self.tokenizer
            && read_tokenizer(path)?.to_json() != tok.to_json()
        {
            return Err(format!(
                "{}: the shards were made with another tokenizer than {}; leave --tokenizer out (the shards carry theirs) or shard again",
                dir.display(),
                path.display()
            ));
        }
        let mut trainer = match &self.resume {
            Some(from) => {
                let trainer =
                    Trainer::<B>::resume(from, devices, &self.out).map_err(|e| e.to_string())?;
                if trainer.tokenizer().to_json() != tok.to_json() {
                    return Err(format!(
                        "{}: the run's tokenizer is not the one the shards were made with",
                        dir.display()
                    ));
                }
                trainer
            }
            None => self.fresh_trainer(tok.clone(), devices, manifest.holdout_every)?,
        };
        set_execution(&mut trainer, &self.train);
        let data = cut(&stream, tok.special().pad, trainer.state.config.seq_len);
        eprintln!(
            "read {} ids from {} in {:.1} s",
            manifest.tokens,
            dir.display(),
            started.elapsed().as_secs_f64()
        );
        train_and_save(&mut trainer, &data, &self.out, self.train.quiet)
    }

    /// A new model (its vocabulary sized to the tokenizer) and the trainer of a new run.
    fn fresh_trainer<B: AutodiffBackend>(
        &self,
        tok: Tokenizer,
        devices: Vec<B::Device>,
        holdout_every: usize,
    ) -> Result<Trainer<B>, String> {
        let mut config = model_config(&self.config)?;
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
        let mut train = self.run_config();
        train.holdout_every = holdout_every;
        Ok(Trainer::new(model, config, tok, train, devices, &self.out))
    }
}

/// A preset by name, or a validated config.json.
pub(crate) fn model_config(spec: &str) -> Result<ModelConfig, String> {
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
