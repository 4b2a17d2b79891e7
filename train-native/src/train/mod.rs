//! The training loop: AdamW with warmup + cosine decay, global-norm gradient clipping, gradient
//! accumulation, data parallelism over several devices, the MoE auxiliary loss, atomic
//! checkpoints that resume exactly, metrics and a loss curve.
//!
//! Determinism: the data order is a permutation seeded by (seed, epoch); the backend RNG (router
//! jitter) is reseeded from (seed, step, micro-batch) before every forward pass; optimizer
//! state, step and data position are saved with each checkpoint. A resumed run therefore
//! computes the same losses as an uninterrupted one.

mod checkpoints;
mod config;
mod lora;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{AdamW, AdamWConfig, GradientsParams, Optimizer};
use burn::tensor::ElementConversion;
use burn::tensor::backend::AutodiffBackend;
use siger::io::checkpoint::CheckpointError;
use siger::text::Tokenizer;
use siger::{Model, ModelConfig};

pub use config::{StepMetrics, TrainConfig, TrainerState};
pub use lora::LoraRun;

use crate::dataset::{Windows, batch_condition, batch_tensors, epoch_order};
use crate::grads::{add_grads, global_norm, scale_grads};
use crate::loss::masked_nll_sum;
use crate::parallel::{ShardResult, ShardSpec, Workers};

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
    /// Set for a run that trains LoRA adapters only.
    lora: Option<LoraRun>,
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
            lora: None,
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
        let scored = scored_tokens(data, &batches);
        // Shards that get windows (a batch smaller than the device count leaves some empty).
        let parts = (config.grad_accum * self.devices.len().min(config.batch_size)) as f64;
        let aux_weight = self.model_config.moe.aux_loss_weight;
        let ponder_weight = self
            .model_config
            .recurrent
            .as_ref()
            .map_or(0.0, |r| r.ponder_weight);
        let shares = (aux_weight / parts, ponder_weight / parts);
        let (grads, sums) = self.accumulate(data, workers, &batches, scored, shares);
        let (grad_norm, lr, healthy) = self.update(grads);
        self.state.step += 1;
        let tokens = (config.grad_accum * config.batch_size * data.seq_len) as u64;
        self.state.tokens_seen += tokens;
        let cross_entropy = sums.cross_entropy / scored;
        let aux_loss = sums.aux_loss / parts;
        let ponder = sums.ponder / parts;
        StepMetrics {
            step: self.state.step,
            loss: if healthy {
                cross_entropy + aux_weight * aux_loss + ponder_weight * ponder
            } else {
                f64::NAN
            },
            cross_entropy,
            aux_loss,
            ponder,
            lr,
            grad_norm,
            tokens_per_s: tokens as f64 / started.elapsed().as_secs_f64(),
            dead_expert_fraction: sums.dead_expert_fraction(),
            tokens: self.state.tokens_seen,
        }
    }

    /// Forward and backward over every micro-batch on every device: the gradients summed on
    /// the main device, and the shards' loss sums.
    fn accumulate(
        &self,
        data: &Windows,
        workers: &Workers<B>,
        batches: &[Vec<usize>],
        scored: f64,
        (aux_share, ponder_share): (f64, f64),
    ) -> (GradientsParams, ShardSums) {
        let main = self.devices[0].clone();
        let mut total: Option<GradientsParams> = None;
        let mut sums = ShardSums::default();
        for (micro, batch) in batches.iter().enumerate() {
            let spec = ShardSpec {
                seed: mix(self.state.config.seed, self.state.step, micro as u64),
                scored,
                aux_share,
                ponder_share,
            };
            let results = workers.run(&self.model, data, batch, spec, shard_grads::<B>);
            for result in results {
                let grads = result.grads.to_device(&main, &self.model);
                total = Some(match total.take() {
                    None => grads,
                    Some(acc) => add_grads(&self.model, acc, grads),
                });
                sums.add(
                    result.cross_entropy,
                    result.aux_loss,
                    result.ponder,
                    result.dead,
                );
            }
        }
        (total.expect("at least one micro-batch"), sums)
    }

    /// Clips `grads` to the global norm and applies them at this step's learning rate. Returns
    /// the norm before clipping, the learning rate, and whether the update was applied.
    fn update(&mut self, mut grads: GradientsParams) -> (f64, f64, bool) {
        let (clip, schedule) = (self.state.config.grad_clip, &self.state.config.schedule);
        let grad_norm = global_norm(&self.model, &mut grads);
        if clip > 0.0 && grad_norm > clip {
            grads = scale_grads(&self.model, grads, clip / grad_norm);
        }
        let lr = schedule.at(self.state.step);
        // A non-finite gradient would poison the weights (and the next checkpoint): the step is
        // not applied and the run stops on the non-finite loss it reports.
        let healthy = grad_norm.is_finite() && lr.is_finite();
        if healthy {
            self.model = self.optim.step(lr, self.model.clone(), grads);
        }
        (grad_norm, lr, healthy)
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
}

/// What the shards of one step summed, in the order they reported.
#[derive(Debug, Default)]
struct ShardSums {
    cross_entropy: f64,
    aux_loss: f64,
    ponder: f64,
    dead_fraction: f64,
    /// Shards that reported a dead-expert fraction (those of models with MoE layers).
    dead_reports: usize,
}

impl ShardSums {
    fn add(&mut self, cross_entropy: f64, aux_loss: f64, ponder: f64, dead: Option<f64>) {
        self.cross_entropy += cross_entropy;
        self.aux_loss += aux_loss;
        self.ponder += ponder;
        if let Some(d) = dead {
            self.dead_fraction += d;
            self.dead_reports += 1;
        }
    }

    fn dead_expert_fraction(&self) -> f64 {
        if self.dead_reports > 0 {
            self.dead_fraction / self.dead_reports as f64
        } else {
            0.0
        }
    }
}

/// Tokens scored in these micro-batches' windows (at least 1).
fn scored_tokens(data: &Windows, batches: &[Vec<usize>]) -> f64 {
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
    scored.max(1) as f64
}

/// Forward and backward on one device's share of a micro-batch.
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
        ponder_share,
    } = spec;
    B::seed(device, seed);
    let (inputs, targets, mask) = batch_tensors::<B>(data, windows, device);
    let condition = batch_condition(&model, data, windows, device);
    let out = model.forward_conditioned(inputs, condition, true);
    let ce_sum = masked_nll_sum(out.logits.clone(), targets, mask);
    let loss = ce_sum.clone() / scored
        + out.aux_loss.clone() * aux_weight
        + out.ponder.clone() * ponder_share;
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let dead = (!out.expert_load.is_empty()).then(|| out.dead_expert_fraction() as f64);
    ShardResult {
        grads,
        cross_entropy: ce_sum.into_scalar().elem(),
        aux_loss: out.aux_loss.clone().into_scalar().elem(),
        ponder: out.ponder.into_scalar().elem(),
        dead,
    }
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
    use crate::runs::latest_checkpoint;
    use crate::schedule::Schedule;
    use burn::backend::ndarray::NdArrayDevice;
    use burn::tensor::backend::Backend;

    pub(super) type B = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

    fn setup(steps: u64, devices: usize, out: &Path) -> (Trainer<B>, Windows) {
        setup_with(steps, devices, out, ModelConfig::tiny())
    }

    pub(super) fn setup_with(
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
        let data = windows(&examples, &tokenizer, 16, LossMask::All).unwrap();
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
    pub(super) fn serial() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        LOCK.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn losses(metrics: &[StepMetrics]) -> Vec<f64> {
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
    fn the_host_scans_backward_trains_the_same_curve_as_the_tensor_scan() {
        let _serial = serial();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // Without MoE, so a near-tied expert choice cannot flip on float rounding (see above).
        let config = ModelConfig::tiny().with_moe(siger::MoeConfig::new().with_moe_every(0));
        let (mut host, data) = setup_with(8, 1, a.path(), config.clone());
        host.set_execution(siger::ScanMode::Sequential, siger::ExpertDispatch::Gather);
        let (mut tensor, _) = setup_with(8, 1, b.path(), config);
        tensor.set_execution(siger::ScanMode::Chunked(5), siger::ExpertDispatch::Gather);
        let (l_host, l_tensor) = (
            losses(&host.run(&data, |_| {}).unwrap()),
            losses(&tensor.run(&data, |_| {}).unwrap()),
        );
        assert!(l_host[7] < l_host[0] * 0.8, "{l_host:?}");
        for (x, y) in l_host.iter().zip(&l_tensor) {
            assert!((x - y).abs() < 1e-4, "{l_host:?} vs {l_tensor:?}");
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
