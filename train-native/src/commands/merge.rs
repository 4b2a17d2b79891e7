//! `merge`: folds a LoRA adapter folder into its base checkpoint, giving a normal checkpoint
//! that `generate`, `eval` and `export` (quantized or not) take like any other.

use std::path::PathBuf;

use clap::Args;
use siger::io::{adapter, checkpoint};
use siger::model::lora;

use super::common::load_trainable;

/// Flags of `merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The checkpoint the adapter was fine-tuned from (a model/ folder or a run folder).
    #[arg(long)]
    base: PathBuf,
    /// The adapter folder (`finetune --lora-rank …` writes OUT/adapter).
    #[arg(long)]
    adapter: PathBuf,
    /// The merged checkpoint folder to write.
    #[arg(long)]
    out: PathBuf,
}

impl MergeArgs {
    /// Applies the adapter to its base (checking it is the base it was trained on), folds it in
    /// and saves the result (on the CPU).
    pub fn run(self) -> Result<(), String> {
        type Cpu = burn::backend::NdArray<f32>;
        let base = load_trainable::<Cpu>(&self.base, &Default::default())?;
        let at = |e: adapter::AdapterError| format!("{}: {e}", self.adapter.display());
        let config = adapter::read_manifest(&self.adapter).map_err(at)?.lora;
        let adapted = adapter::apply(&self.adapter, base).map_err(at)?;
        let merged = lora::merge(adapted.model).map_err(|e| e.to_string())?;
        let manifest = checkpoint::save(&self.out, &adapted.config, &merged, &adapted.tokenizer)
            .map_err(|e| format!("{}: {e}", self.out.display()))?;
        let targets: Vec<&str> = config.targets.iter().map(|t| t.name()).collect();
        eprintln!(
            "merged rank-{} adapters on {} into {}: {} parameters, as the base",
            config.rank,
            targets.join(", "),
            self.out.display(),
            manifest.parameters.total
        );
        Ok(())
    }
}
