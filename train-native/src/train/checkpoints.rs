//! A run on disk: atomic checkpoints holding the optimizer and trainer state beside the model,
//! and resuming from the newest one that loads.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::AutodiffBackend;
use siger::io::{atomic, checkpoint};

use super::{TrainError, Trainer, TrainerState, new_optimizer};
use crate::runs::{candidates, prune};

const OPTIMIZER_FILE: &str = "optimizer.mpk";
const TRAINER_FILE: &str = "trainer.json";

impl<B: AutodiffBackend> Trainer<B> {
    /// Continues the run whose latest loadable checkpoint is under `from` (a run folder or one
    /// checkpoint folder), writing to `out`.
    pub fn resume(from: &Path, devices: Vec<B::Device>, out: &Path) -> Result<Self, TrainError> {
        let mut last_error = None;
        for dir in candidates(from) {
            match Self::resume_from(&dir, devices.clone(), out) {
                Ok(trainer) => return Ok(trainer),
                Err(e) => {
                    eprintln!(
                        "warning: cannot resume from {}: {e}; trying an older checkpoint",
                        dir.display()
                    );
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| {
            TrainError::Io(format!(
                "{}: no checkpoint to resume from (expected checkpoints/step-*/)",
                from.display()
            ))
        }))
    }

    fn resume_from(dir: &Path, devices: Vec<B::Device>, out: &Path) -> Result<Self, TrainError> {
        let main = devices[0].clone();
        let ckpt = checkpoint::load::<B>(dir, &main)?;
        let state_bytes = checkpoint::read_extra(dir, &ckpt.manifest, TRAINER_FILE)?;
        let state: TrainerState = serde_json::from_slice(&state_bytes)
            .map_err(|e| TrainError::Io(format!("{TRAINER_FILE}: {e}")))?;
        let optim_bytes = checkpoint::read_extra(dir, &ckpt.manifest, OPTIMIZER_FILE)?;
        let record = NamedMpkBytesRecorder::<FullPrecisionSettings>::default()
            .load(optim_bytes, &main)
            .map_err(|e| TrainError::Optimizer(e.to_string()))?;
        let optim = new_optimizer::<B>(&state.config).load_record(record);
        forget_metrics_after(&out.join("metrics.jsonl"), state.step)?;
        eprintln!("resuming from {} at step {}", dir.display(), state.step);
        Ok(Self {
            model: ckpt.model,
            optim,
            model_config: ckpt.config,
            tokenizer: ckpt.tokenizer,
            state,
            devices,
            out: out.to_path_buf(),
            last_checkpoint: Some(dir.to_path_buf()),
            order: None,
            lora: None,
        })
    }

    /// Writes `checkpoints/step-NNNNNNNN` atomically with optimizer and trainer state, then
    /// removes checkpoints beyond the newest `keep_checkpoints`.
    pub fn save_checkpoint(&mut self) -> Result<PathBuf, TrainError> {
        let dir = self
            .out
            .join("checkpoints")
            .join(format!("step-{:08}", self.state.step));
        let optim = NamedMpkBytesRecorder::<FullPrecisionSettings>::default()
            .record(self.optim.to_record(), ())
            .map_err(|e| TrainError::Optimizer(e.to_string()))?;
        let state = serde_json::to_vec_pretty(&self.state).expect("trainer state serialises");
        let extras = [(OPTIMIZER_FILE, optim), (TRAINER_FILE, state)];
        match self.save_adapter(&dir, &extras) {
            Some(saved) => saved?,
            None => {
                checkpoint::save_with(
                    &dir,
                    &self.model_config,
                    &self.model.valid(),
                    &self.tokenizer,
                    &extras,
                )?;
            }
        }
        self.last_checkpoint = Some(dir.clone());
        prune(
            &self.out.join("checkpoints"),
            self.state.config.keep_checkpoints,
            self.state.step,
        );
        Ok(dir)
    }

    /// Saves the trained model (no optimizer state) to `dir`, the folder `generate`, `eval` and
    /// `export` read; for a LoRA run, the adapter folder `merge` reads.
    pub fn save_model(&self, dir: &Path) -> Result<(), TrainError> {
        if let Some(saved) = self.save_adapter(dir, &[]) {
            return saved;
        }
        checkpoint::save(
            dir,
            &self.model_config,
            &self.model.valid(),
            &self.tokenizer,
        )?;
        Ok(())
    }
}

/// Drops the lines of steps after `step` from a run's metrics (they are about to be redone).
fn forget_metrics_after(path: &Path, step: u64) -> Result<(), TrainError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("step")?.as_u64())
                .is_some_and(|s| s <= step)
        })
        .map(|line| format!("{line}\n"))
        .collect();
    atomic::write_file(path, kept.as_bytes()).map_err(|e| TrainError::Io(e.to_string()))
}
