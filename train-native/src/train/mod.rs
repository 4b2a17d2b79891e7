//! The training loop: AdamW with warmup + cosine decay, global-norm gradient clipping, gradient
//! accumulation, data parallelism over several devices, the MoE auxiliary loss, atomic
//! checkpoints that resume exactly, metrics and a loss curve.
//!
//! Determinism: the data order is a permutation seeded by (seed, epoch); the backend RNG (router
//! jitter) is reseeded from (seed, step, micro-batch) before every forward pass; optimizer
//! state, step and data position are saved with each checkpoint. A resumed run therefore
//! computes the same losses as an uninterrupted one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{AdamW, AdamWConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use siger::checkpoint::{self, CheckpointError};
use siger::tokenizer::Tokenizer;
use siger::{Model, ModelConfig};

use crate::dataset::{Windows, epoch_order};
use crate::grads::{add_grads, global_norm, scale_grads};
use crate::parallel::{ShardResult, ShardSpec, Workers};
#[cfg(test)]
use crate::runs::latest_checkpoint;
use crate::runs::{candidates, prune};
use crate::schedule::Schedule;

const OPTIMIZER_FILE: &str = "optimizer.mpk";
const TRAINER_FILE: &str = "trainer.json";

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
    /// Training loss (cross-entropy + weighted aux loss).
    pub loss: f64,
    /// Cross-entropy alone.
    pub cross_entropy: f64,
    /// MoE load-balancing loss (unweighted, mean over micro-batches).
    pub aux_loss: f64,
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

/// Why training stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss is no longer finite.
    #[error(
        "loss became {value} at step {step}; stopping. The last good checkpoint is {last_good}. Lower the learning rate or check the data, then --resume"
    )]
    NonFinite {
        /// The step.
        step: u64,
        /// The value.
        value: f64,
        /// Last checkpoint written.
        last_good: String,
    },
    /// Too little data for one batch.
    #[error(
        "the data gives {windows} windows of {seq_len} tokens, fewer than one batch ({batch}); add data or lower --batch-size/--seq-len"
    )]
    TooLittleData {
        /// Windows available.
        windows: usize,
        /// Window length.
        seq_len: usize,
        /// Batch size.
        batch: usize,
    },
    /// Checkpoint I/O.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Optimizer state could not be (de)serialised.
    #[error("optimizer state: {0}")]
    Optimizer(String),
    /// Other I/O.
    #[error("{0}")]
    Io(String),
}

type Optim<B> = OptimizerAdaptor<AdamW, Model<B>, B>;

/// A run in progress.
pub struct Trainer<B: AutodiffBackend> {
    /// The model being trained.
    pub model: Model<B>,
    optim: Optim<B>,
    model_config: ModelConfig,
    tokenizer: Tokenizer,
    /// Position and hyper-parameters.
    pub state: TrainerState,
    devices: Vec<B::Device>,
    out: PathBuf,
    last_checkpoint: Option<PathBuf>,
    /// The current epoch's window order, computed once per epoch: `(epoch, order)`.
    order: Option<(u64, Vec<usize>)>,
}

fn new_optimizer<B: AutodiffBackend>(config: &TrainConfig) -> Optim<B> {
    AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.95)
        .with_epsilon(1e-8)
        .with_weight_decay(config.weight_decay as f32)
        .init()
}

impl<B: AutodiffBackend> Trainer<B> {
    /// Starts a fresh run writing to `out`.
    pub fn new(
        model: Model<B>,
        model_config: ModelConfig,
        tokenizer: Tokenizer,
        config: TrainConfig,
        devices: Vec<B::Device>,
        out: &Path,
    ) -> Self {
        let state = TrainerState {
            step: 0,
            epoch: 0,
            batch_in_epoch: 0,
            tokens_seen: 0,
            config,
        };
        let optim = new_optimizer::<B>(&state.config);
        Self {
            model,
            optim,
            model_config,
            tokenizer,
            state,
            devices,
            out: out.to_path_buf(),
            last_checkpoint: None,
            order: None,
        }
    }

    /// Runs the model's selective scan and routed experts this way from now on.
    pub fn set_execution(&mut self, scan: siger::ScanMode, dispatch: siger::ExpertDispatch) {
        self.model = self.model.clone().with_scan(scan).with_dispatch(dispatch);
    }

    /// The run's tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

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
        })
    }

    /// Trains until `config.steps`, calling `on_step` after each step. Returns every step's
    /// metrics.
    pub fn run(
        &mut self,
        data: &Windows,
        mut on_step: impl FnMut(&StepMetrics),
    ) -> Result<Vec<StepMetrics>, TrainError> {
        let config = self.state.config.clone();
        if data.len() < config.batch_size {
            return Err(TrainError::TooLittleData {
                windows: data.len(),
                seq_len: data.seq_len,
                batch: config.batch_size,
            });
        }
        std::fs::create_dir_all(&self.out)
            .map_err(|e| TrainError::Io(format!("{}: {e}", self.out.display())))?;
        let devices = self.devices.clone();
        std::thread::scope(|scope| {
            let workers = Workers::spawn(scope, &devices, data, shard_grads::<B>);
            self.run_steps(data, &workers, &mut on_step)
        })
    }

    fn run_steps(
        &mut self,
        data: &Windows,
        workers: &Workers<B>,
        on_step: &mut impl FnMut(&StepMetrics),
    ) -> Result<Vec<StepMetrics>, TrainError> {
        let config = self.state.config.clone();
        let mut all = Vec::new();
        while self.state.step < config.steps {
            let metrics = self.step(data, workers);
            if !metrics.loss.is_finite() {
                let last_good = self
                    .last_checkpoint
                    .as_ref()
                    .map_or("none (no checkpoint yet)".into(), |p| {
                        p.display().to_string()
                    });
                return Err(TrainError::NonFinite {
                    step: metrics.step,
                    value: metrics.loss,
                    last_good,
                });
            }
            self.append_metrics(&metrics)?;
            on_step(&metrics);
            all.push(metrics);
            let every = config.checkpoint_every;
            if (every > 0 && self.state.step.is_multiple_of(every))
                || self.state.step == config.steps
            {
                self.save_checkpoint()?;
            }
        }
        Ok(all)
    }

    /// The next `batch_size` window indices, advancing the data position.
    fn next_batch(&mut self, windows: usize) -> Vec<usize> {
        let batch = self.state.config.batch_size;
        let per_epoch = (windows / batch) as u64;
        if self.state.batch_in_epoch >= per_epoch {
            self.state.epoch += 1;
            self.state.batch_in_epoch = 0;
        }
        let epoch = self.state.epoch;
        if self
            .order
            .as_ref()
            .is_none_or(|(e, o)| *e != epoch || o.len() != windows)
        {
            self.order = Some((epoch, epoch_order(windows, self.state.config.seed, epoch)));
        }
        let order = &self.order.as_ref().expect("just computed").1;
        let start = self.state.batch_in_epoch as usize * batch;
        self.state.batch_in_epoch += 1;
        order[start..start + batch].to_vec()
    }

    /// One optimizer step over `grad_accum` micro-batches, each split across the devices.
    fn step(&mut self, data: &Windows, workers: &Workers<B>) -> StepMetrics {
        let started = Instant::now();
        let config = self.state.config.clone();
        let batches: Vec<Vec<usize>> = (0..config.grad_accum)
            .map(|_| self.next_batch(data.len()))
            .collect();
        // Normalise by the tokens scored in the whole step, so accumulated and device-split
        // gradients sum to exactly the full-batch mean gradient.
        let scored: usize = batches
            .iter()
            .flatten()
            .map(|&w| {
                data.masks[w][1..]
                    .iter()
                    .map(|&m| m as usize)
                    .sum::<usize>()
            })
            .sum();
        let scored = scored.max(1) as f64;
        // Shards that get windows (a batch smaller than the device count leaves some empty).
        let parts = (config.grad_accum * self.devices.len().min(config.batch_size)) as f64;
        let aux_weight = self.model_config.moe.aux_loss_weight;

        let main = self.devices[0].clone();
        let mut total: Option<GradientsParams> = None;
        let (mut ce_sum, mut aux_sum, mut dead_sum, mut dead_count) = (0.0, 0.0, 0.0, 0usize);
        for (micro, batch) in batches.iter().enumerate() {
            let spec = ShardSpec {
                seed: mix(config.seed, self.state.step, micro as u64),
                scored,
                aux_share: aux_weight / parts,
            };
            let results = workers.run(&self.model, data, batch, spec, shard_grads::<B>);
            for (grads, ce, aux, dead) in results {
                let grads = grads.to_device(&main, &self.model);
                total = Some(match total.take() {
                    None => grads,
                    Some(acc) => add_grads(&self.model, acc, grads),
                });
                ce_sum += ce;
                aux_sum += aux;
                if let Some(d) = dead {
                    dead_sum += d;
                    dead_count += 1;
                }
            }
        }
        let mut grads = total.expect("at least one micro-batch");
        let grad_norm = global_norm(&self.model, &mut grads);
        if config.grad_clip > 0.0 && grad_norm > config.grad_clip {
            grads = scale_grads(&self.model, grads, config.grad_clip / grad_norm);
        }
        let lr = config.schedule.at(self.state.step);
        // A non-finite gradient would poison the weights (and the next checkpoint): the step is
        // not applied and the run stops on the non-finite loss reported below.
        let healthy = grad_norm.is_finite() && lr.is_finite();
        if healthy {
            self.model = self.optim.step(lr, self.model.clone(), grads);
        }
        self.state.step += 1;
        let tokens = (config.grad_accum * config.batch_size * data.seq_len) as u64;
        self.state.tokens_seen += tokens;
        let cross_entropy = ce_sum / scored;
        let aux_loss = aux_sum / parts;
        StepMetrics {
            step: self.state.step,
            loss: if healthy {
                cross_entropy + aux_weight * aux_loss
            } else {
                f64::NAN
            },
            cross_entropy,
            aux_loss,
            lr,
            grad_norm,
            tokens_per_s: tokens as f64 / started.elapsed().as_secs_f64(),
            dead_expert_fraction: if dead_count > 0 {
                dead_sum / dead_count as f64
            } else {
                0.0
            },
            tokens: self.state.tokens_seen,
        }
    }

    fn append_metrics(&self, metrics: &StepMetrics) -> Result<(), TrainError> {
        let path = self.out.join("metrics.jsonl");
        let line = serde_json::to_string(metrics).expect("metrics serialise");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))?;
        writeln!(file, "{line}").map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))
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
        checkpoint::save_with(
            &dir,
            &self.model_config,
            &self.model.valid(),
            &self.tokenizer,
            &extras,
        )?;
        self.last_checkpoint = Some(dir.clone());
        prune(
            &self.out.join("checkpoints"),
            self.state.config.keep_checkpoints,
            self.state.step,
        );
        Ok(dir)
    }

    /// Saves the trained model (no optimizer state) to `dir`, the folder `generate`, `eval` and
    /// `export` read.
    pub fn save_model(&self, dir: &Path) -> Result<(), TrainError> {
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
    let tmp = path.with_extension("jsonl.tmp");
    std::fs::write(&tmp, kept)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))
}

/// Forward and backward on one device's share of a micro-batch. Returns the gradients (already
/// normalised by the step's scored tokens), the cross-entropy sum, the aux loss and the
/// dead-expert fraction.
fn shard_grads<B: AutodiffBackend>(
    model: Model<B>,
    data: &Windows,
    windows: &[usize],
    device: &B::Device,
    spec: ShardSpec,
) -> ShardResult {
    let ShardSpec {
        seed,
        scored,
        aux_share: aux_weight,
    } = spec;
    B::seed(device, seed);
    let (inputs, targets, mask) = batch_tensors::<B>(data, windows, device);
    let out = model.forward_train(inputs);
    let ce_sum = masked_nll_sum(out.logits.clone(), targets, mask);
    let loss = ce_sum.clone() / scored + out.aux_loss.clone() * aux_weight;
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let ce: f64 = ce_sum.into_scalar().elem();
    let aux: f64 = out.aux_loss.clone().into_scalar().elem();
    let dead = (!out.expert_load.is_empty()).then(|| out.dead_expert_fraction() as f64);
    (grads, ce, aux, dead)
}

use burn::tensor::ElementConversion;

/// Inputs `[b, seq_len]`, targets `[b, seq_len]` and the float mask `[b, seq_len]` of windows.
pub fn batch_tensors<B: Backend>(
    data: &Windows,
    windows: &[usize],
    device: &B::Device,
) -> (Tensor<B, 2, Int>, Tensor<B, 2, Int>, Tensor<B, 2>) {
    let (b, l) = (windows.len(), data.seq_len);
    let mut inputs = Vec::with_capacity(b * l);
    let mut targets = Vec::with_capacity(b * l);
    let mut mask = Vec::with_capacity(b * l);
    for &w in windows {
        inputs.extend(data.ids[w][..l].iter().map(|&i| i as i64));
        targets.extend(data.ids[w][1..].iter().map(|&i| i as i64));
        mask.extend(data.masks[w][1..].iter().map(|&m| m as f32));
    }
    (
        Tensor::from_data(TensorData::new(inputs, [b, l]), device),
        Tensor::from_data(TensorData::new(targets, [b, l]), device),
        Tensor::from_data(TensorData::new(mask, [b, l]), device),
    )
}

/// Σ over scored positions of −log p(target).
///
/// # Shapes
/// logits `[b, l, vocab]`, targets and mask `[b, l]` → `[1]`.
pub fn masked_nll_sum<B: Backend>(
    logits: Tensor<B, 3>,
    targets: Tensor<B, 2, Int>,
    mask: Tensor<B, 2>,
) -> Tensor<B, 1> {
    let log_probs = log_softmax(logits, 2);
    let picked = log_probs
        .gather(2, targets.unsqueeze_dim(2))
        .squeeze_dim::<2>(2);
    (picked * mask).sum().neg()
}

fn mix(seed: u64, step: u64, micro: u64) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for v in [step, micro] {
        h = (h ^ v).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Example;
    use crate::dataset::{LossMask, windows};
    use burn::backend::ndarray::NdArrayDevice;

    type B = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

    fn setup(steps: u64, devices: usize, out: &Path) -> (Trainer<B>, Windows) {
        setup_with(steps, devices, out, ModelConfig::tiny())
    }

    fn setup_with(
        steps: u64,
        devices: usize,
        out: &Path,
        config: ModelConfig,
    ) -> (Trainer<B>, Windows) {
        let text = "Tumbuhan membuat makanan dari air dan cahaya matahari. Air mendidih pada seratus derajat.";
        let tokenizer = Tokenizer::train(std::iter::repeat_n(text, 20), 300).unwrap();
        let config = config.with_vocab_size(tokenizer.vocab_size());
        B::seed(&NdArrayDevice::Cpu, 3);
        let model = config.init::<B>(&NdArrayDevice::Cpu).unwrap();
        let examples: Vec<Example> = (0..12).map(|_| Example::Text(text.to_string())).collect();
        let data = windows(&examples, &tokenizer, 16, LossMask::All);
        let train = TrainConfig {
            seq_len: 16,
            batch_size: 4,
            grad_accum: 2,
            steps,
            schedule: Schedule {
                peak: 1e-2,
                floor: 1e-3,
                warmup: 2,
                total: steps,
            },
            weight_decay: 0.01,
            grad_clip: 1.0,
            checkpoint_every: 3,
            keep_checkpoints: 2,
            seed: 9,
            holdout_every: 0,
        };
        let trainer = Trainer::new(
            model,
            config,
            tokenizer,
            train,
            vec![NdArrayDevice::Cpu; devices],
            out,
        );
        (trainer, data)
    }

    /// The backend RNG is process-global and training reseeds it every step, so tests that train
    /// run one at a time.
    fn serial() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        LOCK.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn losses(metrics: &[StepMetrics]) -> Vec<f64> {
        metrics.iter().map(|m| m.loss).collect()
    }

    #[test]
    fn loss_falls_on_a_fixed_tiny_dataset() {
        let _serial = serial();
        let tmp = tempfile::tempdir().unwrap();
        let (mut trainer, data) = setup(30, 1, tmp.path());
        let l = losses(&trainer.run(&data, |_| {}).unwrap());
        let (first, last) = (l[0], l[l.len() - 1]);
        assert!(last < first * 0.7, "loss {first} -> {last}");
        assert!(tmp.path().join("metrics.jsonl").exists());
    }

    #[test]
    fn resume_equals_an_uninterrupted_run() {
        let _serial = serial();
        let straight = tempfile::tempdir().unwrap();
        let (mut trainer, data) = setup(6, 1, straight.path());
        let uninterrupted = losses(&trainer.run(&data, |_| {}).unwrap());

        let interrupted = tempfile::tempdir().unwrap();
        let (mut first, data) = setup(6, 1, interrupted.path());
        first.state.config.steps = 3; // stop after the step-3 checkpoint, as a kill would
        let head = losses(&first.run(&data, |_| {}).unwrap());
        drop(first);
        let mut resumed = Trainer::<B>::resume(
            interrupted.path(),
            vec![NdArrayDevice::Cpu],
            interrupted.path(),
        )
        .unwrap();
        resumed.state.config.steps = 6;
        let tail = losses(&resumed.run(&data, |_| {}).unwrap());
        assert_eq!(head, uninterrupted[..3]);
        assert_eq!(tail, uninterrupted[3..], "losses after resume differ");
    }

    #[test]
    fn a_kill_during_a_checkpoint_write_leaves_the_previous_one_loadable() {
        let _serial = serial();
        let tmp = tempfile::tempdir().unwrap();
        let (mut trainer, data) = setup(3, 1, tmp.path());
        trainer.run(&data, |_| {}).unwrap();
        let checkpoints = tmp.path().join("checkpoints");
        // A write killed before its rename leaves only a staging folder…
        let staging = checkpoints.join(".step-00000006.tmp-4242");
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("model.safetensors"), b"partial").unwrap();
        // …and a torn folder (e.g. a copy cut short) fails verification.
        let torn = checkpoints.join("step-00000009");
        std::fs::create_dir_all(&torn).unwrap();
        for file in ["manifest.json", "config.json", "tokenizer.json"] {
            std::fs::copy(
                checkpoints.join("step-00000003").join(file),
                torn.join(file),
            )
            .unwrap();
        }
        let weights = std::fs::read(checkpoints.join("step-00000003/model.safetensors")).unwrap();
        std::fs::write(
            torn.join("model.safetensors"),
            &weights[..weights.len() / 3],
        )
        .unwrap();

        assert_eq!(
            latest_checkpoint(tmp.path()),
            Some(checkpoints.join("step-00000003"))
        );
        let resumed =
            Trainer::<B>::resume(tmp.path(), vec![NdArrayDevice::Cpu], tmp.path()).unwrap();
        assert_eq!(resumed.state.step, 3);
    }

    #[test]
    fn two_data_parallel_replicas_match_one_device() {
        let _serial = serial();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // Without MoE: each replica balances its own experts (as Switch does per device), and a
        // near-tied top-k choice can flip on float rounding, so MoE runs agree only statistically.
        let config = ModelConfig::tiny().with_moe(siger::MoeConfig::new().with_moe_every(0));
        let (mut one, data) = setup_with(4, 1, a.path(), config.clone());
        let (mut two, _) = setup_with(4, 2, b.path(), config);
        let (l1, l2) = (
            losses(&one.run(&data, |_| {}).unwrap()),
            losses(&two.run(&data, |_| {}).unwrap()),
        );
        for (x, y) in l1.iter().zip(&l2) {
            assert!((x - y).abs() < 1e-4, "{l1:?} vs {l2:?}");
        }
    }

    #[test]
    fn nan_loss_stops_with_a_clear_message() {
        let _serial = serial();
        let tmp = tempfile::tempdir().unwrap();
        let (mut trainer, data) = setup(5, 1, tmp.path());
        trainer.state.config.schedule.peak = f64::NAN;
        trainer.state.config.schedule.floor = f64::NAN;
        // NaN weights after the first update make the second loss NaN.
        let err = trainer.run(&data, |_| {}).unwrap_err();
        assert!(matches!(err, TrainError::NonFinite { .. }), "{err}");
        assert!(err.to_string().contains("last good checkpoint"), "{err}");
    }
}
