//! Choosing the next token from logits: greedy, temperature, top-k, top-p (nucleus) and a
//! repetition penalty, with a seeded RNG so a seed reproduces a sample exactly.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ops::exp::exp;

/// A sampling parameter or input the sampler cannot use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplingError {
    /// Temperature is NaN, infinite or negative.
    #[error("temperature must be a finite number >= 0 (0 = greedy), got {0}")]
    Temperature(f32),
    /// top-k of zero keeps nothing.
    #[error("top_k must be at least 1 (leave it unset to keep every token)")]
    TopK,
    /// top-p outside (0, 1].
    #[error("top_p must be in (0, 1] (1 keeps every token), got {0}")]
    TopP(f32),
    /// Penalty NaN, infinite or not positive.
    #[error("repetition_penalty must be a finite number > 0 (1 = off), got {0}")]
    RepetitionPenalty(f32),
    /// No logits to choose from.
    #[error("no logits to sample from")]
    Empty,
    /// The model produced NaN logits.
    #[error("the model produced NaN logits; the weights may be corrupted")]
    NaN,
}

/// Sampling settings. The default is greedy decoding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SamplingConfig {
    /// Softmax temperature; 0 picks the most likely token (greedy). Default: 0.
    pub temperature: f32,
    /// Keep only the k most likely tokens. Default: unset (all).
    pub top_k: Option<usize>,
    /// Keep the smallest set of most likely tokens whose probability reaches p. Default: 1 (all).
    pub top_p: f32,
    /// Divide positive logits (multiply negative ones) of already-seen tokens by this
    /// (Keskar et al. 2019). Default: 1 (off).
    pub repetition_penalty: f32,
    /// RNG seed. Default: 0.
    pub seed: u64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: None,
            top_p: 1.0,
            repetition_penalty: 1.0,
            seed: 0,
        }
    }
}

impl SamplingConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), SamplingError> {
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return Err(SamplingError::Temperature(self.temperature));
        }
        if self.top_k == Some(0) {
            return Err(SamplingError::TopK);
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(SamplingError::TopP(self.top_p));
        }
        if !self.repetition_penalty.is_finite() || self.repetition_penalty <= 0.0 {
            return Err(SamplingError::RepetitionPenalty(self.repetition_penalty));
        }
        Ok(())
    }
}

/// A seeded sampler.
#[derive(Debug, Clone)]
pub struct Sampler {
    config: SamplingConfig,
    rng: ChaCha8Rng,
}

impl Sampler {
    /// A sampler with validated settings.
    pub fn new(config: SamplingConfig) -> Result<Self, SamplingError> {
        config.validate()?;
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        Ok(Self { config, rng })
    }

    /// Greedy decoding.
    pub fn greedy() -> Self {
        Self::new(SamplingConfig::default()).expect("the default config is valid")
    }

    /// The settings.
    pub fn config(&self) -> &SamplingConfig {
        &self.config
    }

    /// Picks the next token from `logits` (one per vocabulary id), penalising ids in `history`.
    pub fn sample(&mut self, logits: &[f32], history: &[u32]) -> Result<u32, SamplingError> {
        if logits.is_empty() {
            return Err(SamplingError::Empty);
        }
        if logits.iter().any(|l| l.is_nan()) {
            return Err(SamplingError::NaN);
        }
        let mut logits = logits.to_vec();
        self.penalise(&mut logits, history);
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // Greedy when asked, and when probabilities cannot be formed (an infinite logit).
        if self.config.temperature == 0.0 || !max.is_finite() {
            return Ok(argmax(&logits));
        }
        let candidates = self.candidates(&logits);
        let total: f32 = candidates.iter().map(|(_, p)| p).sum();
        let mut target = self.rng.random::<f32>() * total;
        for &(id, p) in &candidates {
            if target < p {
                return Ok(id);
            }
            target -= p;
        }
        Ok(candidates.last().map_or(0, |(id, _)| *id))
    }

    fn penalise(&self, logits: &mut [f32], history: &[u32]) {
        let penalty = self.config.repetition_penalty;
        if penalty == 1.0 {
            return;
        }
        let mut seen = vec![false; logits.len()];
        for &id in history {
            if let Some(flag) = seen.get_mut(id as usize) {
                *flag = true;
            }
        }
        for (logit, _) in logits.iter_mut().zip(&seen).filter(|(_, s)| **s) {
            *logit = if *logit > 0.0 {
                *logit / penalty
            } else {
                *logit * penalty
            };
        }
    }

    /// Tokens left after temperature, top-k and top-p, with their (unnormalised)
    /// probabilities, in an order that depends only on the logits (id order when nothing is
    /// cut). Nothing is sorted whole: a nucleus of top-p 0.9 is found by selection in O(vocab),
    /// which matters in the browser, where a sort of 4,096 candidates per token cost more than
    /// the model's own step.
    fn candidates(&self, logits: &[f32]) -> Vec<(u32, f32)> {
        let t = self.config.temperature;
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // Dividing (not multiplying by 1/t) keeps a tiny t from making 0 · ∞; a -inf logit
        // gives probability 0.
        let mut probs: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let p = exp((l - max) / t);
                (i as u32, if p.is_nan() { 0.0 } else { p })
            })
            .collect();
        if let Some(k) = self.config.top_k.filter(|&k| k < probs.len()) {
            most_likely_first(&mut probs, k.max(1));
            probs.truncate(k.max(1));
        }
        if self.config.top_p < 1.0 {
            let total: f32 = probs.iter().map(|(_, p)| p).sum();
            let keep = nucleus(&mut probs, total, self.config.top_p);
            probs.truncate(keep);
        }
        probs
    }
}

/// Larger probability first, then smaller id: a total order, so ties resolve the same way
/// everywhere.
fn by_likelihood(a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Puts the `n` most likely candidates first, in order (the rest after them, unordered).
fn most_likely_first(probs: &mut [(u32, f32)], n: usize) {
    if n < probs.len() {
        probs.select_nth_unstable_by(n - 1, by_likelihood);
    }
    probs[..n].sort_by(by_likelihood);
}

/// How many candidates make the nucleus — the fewest most likely ones whose probabilities sum
/// to `top_p` of `total` — moved to the front. A quickselect on probability mass: each round
/// splits the range at its middle and keeps the half holding the boundary (expected O(n));
/// only the last few are sorted.
fn nucleus(probs: &mut [(u32, f32)], total: f32, top_p: f32) -> usize {
    const SORTED: usize = 32;
    let target = top_p * total;
    let (mut start, mut end) = (0, probs.len());
    // The mass of probs[..start], every one of them more likely than any after.
    let mut before = 0f32;
    while end - start > SORTED {
        let part = &mut probs[start..end];
        let middle = part.len() / 2;
        part.select_nth_unstable_by(middle, by_likelihood);
        let upper: f32 = part[..=middle].iter().map(|(_, p)| p).sum();
        if before + upper >= target {
            end = start + middle + 1;
        } else {
            before += upper;
            start += middle + 1;
        }
    }
    probs[start..end].sort_by(by_likelihood);
    let mut cumulative = before;
    for (i, (_, p)) in probs[start..end].iter().enumerate() {
        cumulative += p;
        if cumulative >= target {
            return start + i + 1;
        }
    }
    // Summed in this order, the range falls a hair short of the target: keep all of it.
    end
}

/// Index of the largest value; the lowest index among equals.
pub fn argmax(values: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Vec<f32> {
        (0..50)
            .map(|i| ((i * 37 % 50) as f32 * 0.173).sin() * 3.0)
            .collect()
    }

    #[test]
    fn greedy_is_argmax() {
        let l = logits();
        let best = l
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0 as u32;
        assert_eq!(Sampler::greedy().sample(&l, &[]).unwrap(), best);
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
    }

    #[test]
    fn a_fixed_seed_gives_identical_samples() {
        let config = SamplingConfig {
            temperature: 1.0,
            seed: 42,
            ..Default::default()
        };
        let run = |c: SamplingConfig| -> Vec<u32> {
            let mut s = Sampler::new(c).unwrap();
            (0..64).map(|_| s.sample(&logits(), &[]).unwrap()).collect()
        };
        assert_eq!(run(config.clone()), run(config.clone()));
        assert_ne!(
            run(config.clone()),
            run(SamplingConfig { seed: 43, ..config })
        );
    }

    #[test]
    fn top_k_and_top_p_restrict_the_choice() {
        let l = logits();
        let mut sorted: Vec<u32> = (0..50).collect();
        sorted.sort_by(|&a, &b| l[b as usize].total_cmp(&l[a as usize]));
        let mut s = Sampler::new(SamplingConfig {
            temperature: 2.0,
            top_k: Some(3),
            ..Default::default()
        })
        .unwrap();
        for _ in 0..200 {
            assert!(sorted[..3].contains(&s.sample(&l, &[]).unwrap()));
        }
        // A tiny top-p keeps only the most likely token.
        let mut s = Sampler::new(SamplingConfig {
            temperature: 1.0,
            top_p: 1e-6,
            ..Default::default()
        })
        .unwrap();
        assert!((0..50).all(|_| s.sample(&l, &[]).unwrap() == sorted[0]));
    }

    /// Selection keeps exactly the tokens that sorting everything would keep.
    #[test]
    fn candidates_equal_a_full_sort() {
        // Many equal logits, so that ties at the cut are exercised too.
        let logits: Vec<f32> = (0..3000)
            .map(|i| ((i * 7919 % 301) as f32 * 0.05).sin() * 4.0)
            .collect();
        for (top_k, top_p) in [(None, 0.9), (None, 0.999), (Some(40), 0.9), (Some(40), 1.0)] {
            let config = SamplingConfig {
                temperature: 0.7,
                top_k,
                top_p,
                ..Default::default()
            };
            let got = Sampler::new(config.clone()).unwrap().candidates(&logits);
            let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut want: Vec<(u32, f32)> = logits
                .iter()
                .enumerate()
                .map(|(i, &l)| (i as u32, exp((l - max) / 0.7)))
                .collect();
            let total: f32 = match top_k {
                Some(k) => {
                    want.sort_by(by_likelihood);
                    want.truncate(k);
                    want.iter().map(|c| c.1).sum()
                }
                None => want.iter().map(|c| c.1).sum(),
            };
            want.sort_by(by_likelihood);
            if top_p < 1.0 {
                let mut cumulative = 0.0;
                let keep = want.iter().position(|c| {
                    cumulative += c.1;
                    cumulative >= top_p * total
                });
                want.truncate(keep.map_or(want.len(), |i| i + 1));
            }
            assert!(got.len() > 1 && got.len() < logits.len(), "{config:?}");
            let by_id = |mut c: Vec<(u32, f32)>| {
                c.sort_by_key(|(id, _)| *id);
                c.into_iter().map(|(id, _)| id).collect::<Vec<_>>()
            };
            assert_eq!(by_id(got), by_id(want), "{config:?}");
        }
    }

    #[test]
    fn repetition_penalty_steers_away_from_seen_tokens() {
        let l = vec![2.0, 1.9, -1.0];
        let mut s = Sampler::new(SamplingConfig {
            repetition_penalty: 1.5,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.sample(&l, &[0]).unwrap(), 1);
        assert_eq!(s.sample(&l, &[]).unwrap(), 0);
    }

    #[test]
    fn every_bad_parameter_is_an_error() {
        let bad = [
            SamplingConfig {
                temperature: f32::NAN,
                ..Default::default()
            },
            SamplingConfig {
                temperature: -0.5,
                ..Default::default()
            },
            SamplingConfig {
                temperature: f32::INFINITY,
                ..Default::default()
            },
            SamplingConfig {
                top_k: Some(0),
                ..Default::default()
            },
            SamplingConfig {
                top_p: 0.0,
                ..Default::default()
            },
            SamplingConfig {
                top_p: 1.5,
                ..Default::default()
            },
            SamplingConfig {
                top_p: f32::NAN,
                ..Default::default()
            },
            SamplingConfig {
                repetition_penalty: 0.0,
                ..Default::default()
            },
            SamplingConfig {
                repetition_penalty: f32::NAN,
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(Sampler::new(config.clone()).is_err(), "{config:?} accepted");
        }
        assert_eq!(
            Sampler::greedy().sample(&[], &[]),
            Err(SamplingError::Empty)
        );
        assert_eq!(
            Sampler::greedy().sample(&[0.0, f32::NAN], &[]),
            Err(SamplingError::NaN)
        );
    }
}
