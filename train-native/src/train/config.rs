//! What a run saves and reports: its hyper-parameters, its position, and each step's figures.

use serde::{Deserialize, Serialize};

use crate::schedule::Schedule;

/// Hyper-parameters of one run (saved with every checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Tokens the model reads per window.
    pub seq_len: usize,
    /// Windows per micro-batch (split across devices).
    pub batch_size: usize,
    /// Micro-batches per optimizer step.
    pub grad_accum: usize,
    /// Optimizer steps in total.
    pub steps: u64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Clip the global gradient norm to this (0 = off).
    pub grad_clip: f64,
    /// Save a checkpoint every this many steps (0 = only at the end).
    pub checkpoint_every: u64,
    /// Checkpoints to keep.
    pub keep_checkpoints: usize,
    /// Seed of data order and router jitter.
    pub seed: u64,
    /// Every N-th example was held out of the training data (0 = none).
    #[serde(default)]
    pub holdout_every: usize,
}

/// Where a run is (saved as `trainer.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Optimizer steps done.
    pub step: u64,
    /// Current epoch.
    pub epoch: u64,
    /// Micro-batches consumed in the current epoch.
    pub batch_in_epoch: u64,
    /// Tokens read so far.
    pub tokens_seen: u64,
    /// The run's hyper-parameters.
    pub config: TrainConfig,
}

/// What one optimizer step measured.
#[derive(Debug, Clone, Serialize)]
pub struct StepMetrics {
    /// Step number (1-based, after the update).
    pub step: u64,
    /// Training loss (cross-entropy + weighted aux loss + weighted ponder cost).
    pub loss: f64,
    /// Cross-entropy alone.
    pub cross_entropy: f64,
    /// MoE load-balancing loss (unweighted, mean over micro-batches).
    pub aux_loss: f64,
    /// Recurrent-depth ponder cost: loops + remainder per position, mean over micro-batches
    /// (unweighted; 0 without a looped layer).
    pub ponder: f64,
    /// Learning rate used.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Tokens read per second in this step.
    pub tokens_per_s: f64,
    /// Fraction of (layer, expert) pairs that got no token.
    pub dead_expert_fraction: f64,
    /// Tokens read so far.
    pub tokens: u64,
}
