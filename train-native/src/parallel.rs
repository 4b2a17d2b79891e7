//! Data parallelism: one long-lived worker thread per extra device.
//!
//! The main device's shard runs on the calling thread; every other device has a worker that
//! lives as long as the training run. Threads must not be created per step: GPU runtimes keep a
//! stream and a memory pool per thread, and a fresh thread every step leaked them (seen on CUDA,
//! about 1 GB per step).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::Scope;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use siger::Model;

use crate::dataset::Windows;

/// What one shard of a micro-batch produced.
pub struct ShardResult {
    /// Gradients, already normalised by the step's scored tokens.
    pub grads: GradientsParams,
    /// The cross-entropy sum.
    pub cross_entropy: f64,
    /// The MoE load-balancing loss (unweighted).
    pub aux_loss: f64,
    /// The recurrent-depth ponder cost (unweighted; 0 without a looped layer).
    pub ponder: f64,
    /// The dead-expert fraction, for models with MoE layers.
    pub dead: Option<f64>,
}

/// How to compute one shard.
#[derive(Clone, Copy, Debug)]
pub struct ShardSpec {
    /// Seed of the backend RNG for this micro-batch.
    pub seed: u64,
    /// Tokens scored in the whole optimizer step.
    pub scored: f64,
    /// Weight of this shard's aux loss.
    pub aux_share: f64,
    /// Weight of this shard's ponder cost.
    pub ponder_share: f64,
}

/// The function that turns a model replica and windows into a [`ShardResult`].
pub type ShardFn<B> =
    fn(Model<B>, &Windows, &[usize], &burn::tensor::Device<B>, ShardSpec) -> ShardResult;

struct Job<B: AutodiffBackend> {
    model: Model<B>,
    windows: Vec<usize>,
    spec: ShardSpec,
}

/// Workers for the devices after the first.
pub struct Workers<B: AutodiffBackend> {
    main: B::Device,
    devices: Vec<B::Device>,
    jobs: Vec<Sender<Job<B>>>,
    results: Vec<Receiver<ShardResult>>,
}

impl<B: AutodiffBackend> Workers<B> {
    /// Starts one worker per device in `devices[1..]` inside `scope`.
    pub fn spawn<'scope, 'env>(
        scope: &'scope Scope<'scope, 'env>,
        devices: &[B::Device],
        data: &'env Windows,
        compute: ShardFn<B>,
    ) -> Self {
        let (mut jobs, mut results) = (Vec::new(), Vec::new());
        for device in &devices[1..] {
            let device = device.clone();
            let (job_tx, job_rx) = channel::<Job<B>>();
            let (result_tx, result_rx) = channel();
            scope.spawn(move || {
                for job in job_rx {
                    let result = compute(job.model, data, &job.windows, &device, job.spec);
                    if result_tx.send(result).is_err() {
                        break;
                    }
                }
            });
            jobs.push(job_tx);
            results.push(result_rx);
        }
        Self {
            main: devices[0].clone(),
            devices: devices.to_vec(),
            jobs,
            results,
        }
    }

    /// Splits `batch` across the devices and returns every non-empty shard's result, main first.
    pub fn run(
        &self,
        model: &Model<B>,
        data: &Windows,
        batch: &[usize],
        spec: ShardSpec,
        compute: ShardFn<B>,
    ) -> Vec<ShardResult> {
        let shards = shard(batch, self.devices.len());
        let mut sent = Vec::new();
        for (i, windows) in shards
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, w)| !w.is_empty())
        {
            // A fork is a fresh autodiff leaf, so concurrent backward passes never share nodes.
            let replica = model.clone().fork(&self.devices[i]);
            let job = Job {
                model: replica,
                windows: windows.clone(),
                spec,
            };
            self.jobs[i - 1]
                .send(job)
                .expect("a training worker stopped");
            sent.push(i - 1);
        }
        let mut out = vec![compute(model.clone(), data, &shards[0], &self.main, spec)];
        for worker in sent {
            out.push(
                self.results[worker]
                    .recv()
                    .expect("a training worker failed"),
            );
        }
        out
    }
}

/// Splits a batch into `parts` nearly equal shards, in order.
pub fn shard(batch: &[usize], parts: usize) -> Vec<Vec<usize>> {
    let size = batch.len().div_ceil(parts.max(1));
    let mut shards: Vec<Vec<usize>> = batch.chunks(size.max(1)).map(<[usize]>::to_vec).collect();
    shards.resize(parts, Vec::new());
    shards
}
