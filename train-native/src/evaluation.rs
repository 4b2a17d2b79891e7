//! Scoring models on windows of held-out text: the masked negative log-likelihood that `eval`
//! turns into a perplexity and `quant-report` compares across weight formats.

use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use siger::Model;

use crate::dataset::{Windows, batch_condition, batch_tensors};
use crate::loss::masked_nll_sum;

/// One model's negative log-likelihood, summed over the scored tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nll {
    /// Σ −log p(target) over the scored tokens.
    pub sum: f64,
    /// Tokens scored.
    pub tokens: usize,
    /// Loops the recurrent-depth layer ran per position read, on average; `None` without one.
    pub loops_per_token: Option<f64>,
}

impl Nll {
    /// exp(mean NLL); 1 token is assumed when none was scored, to stay finite.
    pub fn perplexity(&self) -> f64 {
        (self.sum / self.tokens.max(1) as f64).exp()
    }

    /// Total NLL in bits ÷ `bytes` (the UTF-8 bytes of the scored text): unlike perplexity, it
    /// compares models with different tokenizers. 1 byte is assumed when none was scored.
    pub fn bits_per_byte(&self, bytes: usize) -> f64 {
        self.sum / std::f64::consts::LN_2 / bytes.max(1) as f64
    }
}

/// Runs every model of `models` over `data`, `batch_size` windows per forward pass, and sums
/// each one's masked NLL. After each batch, `on_batch` gets the logits of every model (in the
/// order of `models`, each `[b, seq_len, vocab]`) and the batch's mask (`[b, seq_len]`), so a
/// caller can compare the models without a second pass.
pub fn score<B: Backend>(
    models: &[&Model<B>],
    data: &Windows,
    batch_size: usize,
    device: &B::Device,
    mut on_batch: impl FnMut(&[Tensor<B, 3>], &Tensor<B, 2>),
) -> Vec<Nll> {
    let mut sums = vec![0.0f64; models.len()];
    let mut loops: Vec<Option<f64>> = vec![None; models.len()];
    let all: Vec<usize> = (0..data.len()).collect();
    for batch in all.chunks(batch_size.max(1)) {
        let (inputs, targets, mask) = batch_tensors::<B>(data, batch, device);
        let mut logits = Vec::with_capacity(models.len());
        for (model, loops) in models.iter().zip(&mut loops) {
            let condition = batch_condition(model, data, batch, device);
            let out = model.forward_conditioned(inputs.clone(), condition, false);
            if let Some(ran) = out.loops {
                *loops = Some(loops.unwrap_or(0.0) + scalar(ran.sum()));
            }
            logits.push(out.logits);
        }
        for (sum, logits) in sums.iter_mut().zip(&logits) {
            *sum += scalar(masked_nll_sum(
                logits.clone(),
                targets.clone(),
                mask.clone(),
            ));
        }
        on_batch(&logits, &mask);
    }
    let tokens = data.scored_tokens();
    let positions = (data.len() * data.seq_len).max(1) as f64;
    sums.into_iter()
        .zip(loops)
        .map(|(sum, loops)| Nll {
            sum,
            tokens,
            loops_per_token: loops.map(|l| l / positions),
        })
        .collect()
}

/// A one-element tensor's value.
pub fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_scalar().elem()
}
