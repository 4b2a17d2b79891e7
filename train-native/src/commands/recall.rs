//! `recall`: how well a configuration learns to copy from its context — multi-query
//! associative recall (Arora et al. 2023, "Zoology", MQAR), the task pure SSMs with a small
//! state are known to find hard and attention solves.
//!
//! Each sequence lists `pairs` key–value pairs, then asks every key again in a shuffled order;
//! only the values after the repeated keys are scored. Keys are ids `1..=key_space`, values
//! `key_space + 1..=2·key_space`, so the model's vocabulary is cut to `2·key_space + 1` (its
//! embedding does not matter here). A model is trained from scratch on fresh sequences each
//! step and scored on held-out ones; nothing is saved.

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use clap::Args;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use siger::Model;

use super::pretrain::model_config;
use crate::backend::Job;
use crate::cli::{BackendKind, positive};
use crate::dataset::{Windows, batch_tensors};
use crate::evaluation::scalar;
use crate::loss::masked_nll_sum;

/// Flags of `recall`.
#[derive(Args)]
pub struct RecallArgs {
    /// Preset name or config.json (its vocabulary size is replaced, see above).
    #[arg(long, default_value = "tiny")]
    config: String,
    /// Key–value pairs per sequence (a sequence is 4 · pairs tokens).
    #[arg(long, default_value_t = 16, value_parser = positive)]
    pairs: usize,
    /// Distinct keys (and values).
    #[arg(long, default_value_t = 64, value_parser = positive)]
    key_space: usize,
    /// Optimizer steps.
    #[arg(long, default_value_t = 600, value_parser = positive)]
    steps: usize,
    /// Sequences per step.
    #[arg(long, default_value_t = 32, value_parser = positive)]
    batch_size: usize,
    /// AdamW learning rate (constant after a 10% linear warmup).
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    /// Held-out sequences scored at the end.
    #[arg(long, default_value_t = 512, value_parser = positive)]
    eval_sequences: usize,
    /// Seed of the model, the training and the held-out sequences.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
}

impl Job for RecallArgs {
    fn backend(&self) -> BackendKind {
        self.backend
    }

    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        if self.pairs > self.key_space {
            return Err(format!(
                "--pairs {} needs at least as many distinct keys: raise --key-space (now {})",
                self.pairs, self.key_space
            ));
        }
        let device = &devices[0];
        let mut config = model_config(&self.config)?;
        config.vocab_size = 2 * self.key_space + 1;
        config.validate().map_err(|e| e.to_string())?;
        B::seed(device, self.seed);
        let mut model = config.init::<B>(device).map_err(|e| e.to_string())?;
        let parameters = config.implied_size().map_err(|e| e.to_string())?.parameters;
        let mut optim = AdamWConfig::new().with_weight_decay(0.0).init();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let warmup = (self.steps / 10).max(1);
        let started = Instant::now();
        let mut last_loss = f64::NAN;
        for step in 0..self.steps {
            let data = self.sequences(self.batch_size, &mut rng);
            let all: Vec<usize> = (0..data.len()).collect();
            let (inputs, targets, mask) = batch_tensors::<B>(&data, &all, device);
            let scored = data.scored_tokens() as f64;
            let loss = masked_nll_sum(model.forward_train(inputs).logits, targets, mask) / scored;
            last_loss = scalar(loss.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = self.lr * ((step + 1) as f64 / warmup as f64).min(1.0);
            model = optim.step(lr, model, grads);
        }
        let seconds = started.elapsed().as_secs_f64();
        let mut held_out_rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x005E_ED0F_4E1D);
        let held_out = self.sequences(self.eval_sequences, &mut held_out_rng);
        let accuracy = accuracy(&model.valid(), &held_out, device);
        let tokens = self.steps * self.batch_size * (4 * self.pairs - 1);
        println!(
            "{{\"config\": {:?}, \"parameters\": {parameters}, \"pairs\": {}, \"key_space\": {}, \"steps\": {}, \"final_loss\": {last_loss:.4}, \"accuracy\": {accuracy:.4}, \"train_seconds\": {seconds:.1}, \"tokens_per_s\": {:.0}}}",
            self.config,
            self.pairs,
            self.key_space,
            self.steps,
            tokens as f64 / seconds
        );
        Ok(())
    }
}

impl RecallArgs {
    /// `count` sequences: pairs `k v`, then every key again (shuffled) with its value scored.
    fn sequences(&self, count: usize, rng: &mut ChaCha8Rng) -> Windows {
        let mut keys: Vec<u32> = (1..=self.key_space as u32).collect();
        let mut ids = Vec::with_capacity(count);
        let mut masks = Vec::with_capacity(count);
        for _ in 0..count {
            let (chosen, _) = keys.partial_shuffle(rng, self.pairs);
            let chosen = chosen.to_vec();
            let values: Vec<u32> = (0..self.pairs)
                .map(|_| self.key_space as u32 + rng.random_range(1..=self.key_space as u32))
                .collect();
            let mut order: Vec<usize> = (0..self.pairs).collect();
            order.shuffle(rng);
            let mut sequence = Vec::with_capacity(4 * self.pairs);
            let mut mask = vec![0u8; 2 * self.pairs];
            for (k, v) in chosen.iter().zip(&values) {
                sequence.extend([*k, *v]);
            }
            for &i in &order {
                sequence.extend([chosen[i], values[i]]);
                mask.extend([0, 1]);
            }
            ids.push(sequence);
            masks.push(mask);
        }
        Windows {
            ids,
            masks,
            seq_len: 4 * self.pairs - 1,
            ..Windows::default()
        }
    }
}

/// Share of scored positions where the most likely next id is the right value.
fn accuracy<B: Backend>(model: &Model<B>, data: &Windows, device: &B::Device) -> f64 {
    let (mut right, mut scored) = (0usize, 0usize);
    let all: Vec<usize> = (0..data.len()).collect();
    for batch in all.chunks(64) {
        let (inputs, targets, mask) = batch_tensors::<B>(data, batch, device);
        let predicted = model.forward(inputs).logits.argmax(2).squeeze_dim::<2>(2);
        let hits = predicted.equal(targets).float() * mask.clone();
        right += scalar(hits.sum()) as usize;
        scored += scalar(mask.sum()) as usize;
    }
    right as f64 / scored.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: RecallArgs,
    }

    #[test]
    fn sequences_ask_every_key_again_and_score_only_its_value() {
        let args = Cli::parse_from(["recall", "--pairs", "5", "--key-space", "9"]).args;
        let data = args.sequences(20, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(data.seq_len, 19);
        for (ids, mask) in data.ids.iter().zip(&data.masks) {
            assert_eq!((ids.len(), mask.len()), (20, 20));
            let pairs: std::collections::HashMap<u32, u32> =
                ids[..10].chunks(2).map(|p| (p[0], p[1])).collect();
            assert_eq!(pairs.len(), 5, "keys are distinct");
            for (j, (id, m)) in ids.iter().zip(mask).enumerate().skip(10) {
                assert_eq!(*m == 1, j % 2 == 1);
                if *m == 1 {
                    assert_eq!(pairs[&ids[j - 1]], *id, "the value given for that key");
                }
            }
            assert!(ids.iter().all(|&i| (1..=18).contains(&i)));
        }
    }
}
