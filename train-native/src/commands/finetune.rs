//! `finetune`: supervised chat tuning of a trained model, scored on assistant tokens only;
//! every weight, or LoRA adapters on the frozen base (`--lora-rank`).

use std::path::PathBuf;

use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use siger::io::adapter;
use siger::io::checkpoint::Checkpoint;
use siger::model::{ConditioningConfig, LoraConfig, LoraTarget, lora};

use super::common::load_trainable;
use super::training::{set_execution, train_and_save, train_config};
use crate::backend::Job;
use crate::cli::{BackendKind, TrainArgs};
use crate::data;
use crate::dataset::{LossMask, windows};
use crate::train::{LoraRun, Trainer};

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
    /// Train LoRA adapters of this rank on the frozen base instead of every weight; the run
    /// writes an adapter folder (`OUT/adapter`), which `merge` folds into a checkpoint.
    #[arg(long, value_name = "R")]
    lora_rank: Option<usize>,
    /// LoRA's α: the update is scaled by α / R (default: R, a scale of 1).
    #[arg(long, requires = "lora_rank")]
    lora_alpha: Option<f64>,
    /// The projections that get adapters, comma-separated: the SSM mixer's `in_proj`, `x_proj`,
    /// `dt_proj`, `out_proj`, the attention mixer's `q_proj`, `kv_down`, `k_up`, `v_up`,
    /// `out_proj` (on attention layers), and the experts' `gate_proj`, `up_proj`, `down_proj`
    /// (every routed and shared expert). Default: every mixer projection.
    #[arg(
        long,
        requires = "lora_rank",
        value_delimiter = ',',
        default_value = "in_proj,x_proj,dt_proj,out_proj,q_proj,kv_down,k_up,v_up"
    )]
    lora_targets: Vec<String>,
    /// Attach topic and context conditioning (zero maps: the model starts as the base) pooling
    /// up to N tokens of each; a base that has conditioning keeps its own. It learns from the
    /// `Topik:` and `Konteks:` lines that dialogs declare.
    #[arg(long, value_name = "N", conflicts_with = "lora_rank")]
    conditioning: Option<usize>,
    #[command(flatten)]
    train: TrainArgs,
}

impl FinetuneArgs {
    /// The adapters asked for, if any.
    fn lora(&self) -> Result<Option<LoraConfig>, String> {
        let Some(rank) = self.lora_rank else {
            return Ok(None);
        };
        let targets = self
            .lora_targets
            .iter()
            .map(|name| {
                LoraTarget::parse(name).ok_or_else(|| {
                    format!("unknown LoRA target `{name}`: use {}", LoraTarget::names())
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let config = LoraConfig {
            rank,
            alpha: self.lora_alpha.unwrap_or(rank as f64),
            targets,
        };
        config.validate().map_err(|e| e.to_string())?;
        Ok(Some(config))
    }
}

impl FinetuneArgs {
    /// With `--conditioning`, zero topic and context maps on a base that has none.
    fn attach_conditioning<B: AutodiffBackend>(
        &self,
        ckpt: &mut Checkpoint<B>,
    ) -> Result<(), String> {
        let Some(max_tokens) = self.conditioning else {
            return Ok(());
        };
        if ckpt.config.conditioning.is_some() {
            return Ok(());
        }
        let conditioning = ConditioningConfig::new().with_max_tokens(max_tokens);
        ckpt.config.conditioning = Some(conditioning.clone());
        ckpt.config.validate().map_err(|e| e.to_string())?;
        ckpt.model = ckpt.model.clone().with_new_conditioning(&conditioning);
        eprintln!("topic and context conditioning attached (pooling up to {max_tokens} tokens)");
        Ok(())
    }
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
        let lora = self.lora()?;
        let mut ckpt = load_trainable::<B>(&self.from, &devices[0])?;
        let base_weights_sha256 = adapter::base_weights_sha256(&ckpt);
        self.attach_conditioning(&mut ckpt)?;
        if let Some(config) = &lora {
            ckpt.model = lora::attach(ckpt.model, config).map_err(|e| e.to_string())?;
            eprintln!(
                "LoRA rank {} (alpha {}) on {}: {} adapter parameters train, the base is frozen",
                config.rank,
                config.alpha,
                self.lora_targets.join(", "),
                adapter::adapter_tensors(&ckpt.model)
                    .iter()
                    .map(|(_, t)| t.num_elements())
                    .sum::<usize>()
            );
        }
        let config = train_config(&self.train);
        let data = windows(
            &examples,
            &ckpt.tokenizer,
            config.seq_len,
            LossMask::AssistantOnly,
        )
        .map_err(|e| e.to_string())?;
        eprintln!(
            "{} windows, {} assistant tokens scored, {} conversations declaring a topic or context",
            data.len(),
            data.scored_tokens(),
            data.table.len()
        );
        let mut trainer = Trainer::new(
            ckpt.model,
            ckpt.config,
            ckpt.tokenizer,
            config,
            devices,
            &self.out,
        );
        if let Some(config) = lora {
            let run = LoraRun {
                config,
                base_weights_sha256,
            };
            trainer = trainer.with_lora(run);
        }
        set_execution(&mut trainer, &self.train);
        train_and_save(&mut trainer, &data, &self.out, self.train.quiet)
    }
}
