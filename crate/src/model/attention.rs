//! Causal multi-head latent attention (MLA; DeepSeek-AI 2024, "DeepSeek-V2", section 2.1), the
//! mixer of the layers a config names in `attention.layers`.
//!
//! Glossary (the paper's symbols → names here):
//! - h = `heads`; d_h = `head_dim`: each head's content width for queries, keys and values;
//!   d_c = `kv_rank`: the compressed latent c_KV each token caches; d_R = `rope_dim`: the
//!   decoupled rotary part of queries (per head) and of the key (one, shared by all heads).
//! - `q_proj`: x → [q_C | q_R] per head (eq. 12–13 without the query compression, which saves
//!   activations in training only); `kv_down`: x → [c_KV | k_R] (eq. 9, 14); `k_up`, `v_up`:
//!   c_KV → k_C, v per head (eq. 10–11); `out_proj`: heads → d_model (eq. 19).
//! - Scores `(q_C·k_C + RoPE(q_R)·RoPE(k_R)) / √(d_h + d_R)` (eq. 17–18), causal.
//!
//! The cache holds `[RMSNorm(c_KV) | RoPE(k_R)]`: d_c + d_R numbers per token instead of the
//! 2·h·d_h of multi-head attention. A chunk of many tokens expands the cache through `k_up` and
//! `v_up` (O(tokens · d_c · h · d_h)); a chunk of fewer than d_h tokens after a cache (decoding)
//! absorbs them instead (section 2.1.2): queries are taken into the latent space
//! (`q_C · W_UKᵀ`), attend to the latents themselves, and the mixed latent goes through `W_UV`,
//! O(tokens · h · (d_c + d_R)). Absorbing needs the float `k_up` and `v_up` (bundles keep them
//! f32, see `io::bundle`) and no LoRA adapter on them; otherwise the expanding form runs.

use burn::module::Module;
use burn::nn::{LinearConfig, RmsNorm, RmsNormConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Int, Tensor, backend::Backend};

use crate::model::config::{AttentionConfig, ModelConfig};
use crate::model::state::KvCache;
use crate::ops::linear::Linear;

/// Added to the scores of future keys: far below any real score, finite so that no backend
/// meets `-inf - -inf`.
const MASKED: f64 = -1e9;

/// One layer's multi-head latent attention.
#[derive(Module, Debug)]
pub struct AttentionMixer<B: Backend> {
    /// d_model → heads·(head_dim + rope_dim), no bias: per head, the content then rotary query.
    pub q_proj: Linear<B>,
    /// d_model → kv_rank + rope_dim, no bias: the latent c_KV, then the shared rotary key.
    pub kv_down: Linear<B>,
    /// RMSNorm of the latent before it is cached.
    pub kv_norm: RmsNorm<B>,
    /// kv_rank → heads·head_dim, no bias: keys' content part.
    pub k_up: Linear<B>,
    /// kv_rank → heads·head_dim, no bias: values.
    pub v_up: Linear<B>,
    /// heads·head_dim → d_model, no bias; initialised scaled by 1/sqrt(2·n_layers).
    pub out_proj: Linear<B>,
    heads: usize,
    head_dim: usize,
    kv_rank: usize,
    rope_dim: usize,
    #[module(skip)]
    rope_theta: f64,
}

impl ModelConfig {
    /// Builds one layer's attention mixer from `attention`.
    pub(crate) fn init_attention<B: Backend>(
        &self,
        attention: &AttentionConfig,
        device: &B::Device,
    ) -> AttentionMixer<B> {
        let (h, dh, c, dr) = (
            attention.heads,
            attention.head_dim,
            attention.kv_rank,
            attention.rope_dim,
        );
        let linear = |d_in, d_out| LinearConfig::new(d_in, d_out).with_bias(false);
        AttentionMixer {
            q_proj: linear(self.d_model, h * (dh + dr)).init(device).into(),
            kv_down: linear(self.d_model, c + dr).init(device).into(),
            kv_norm: RmsNormConfig::new(c)
                .with_epsilon(self.norm_eps)
                .init(device),
            k_up: linear(c, h * dh).init(device).into(),
            v_up: linear(c, h * dh).init(device).into(),
            out_proj: linear(h * dh, self.d_model)
                .with_initializer(self.residual_init())
                .init(device)
                .into(),
            heads: h,
            head_dim: dh,
            kv_rank: c,
            rope_dim: dr,
            rope_theta: attention.rope_theta,
        }
    }
}

impl<B: Backend> AttentionMixer<B> {
    /// An empty cache for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> KvCache<B> {
        KvCache::empty(batch, self.kv_rank + self.rope_dim, device)
    }

    /// Attends from each of `input`'s tokens to every earlier token (those in `cache`, then
    /// `input`'s own up to itself), and returns the cache with `input`'s tokens appended.
    ///
    /// # Shapes
    /// input `[b, l, d_model]` → `[b, l, d_model]`.
    pub fn forward(&self, input: Tensor<B, 3>, cache: KvCache<B>) -> (Tensor<B, 3>, KvCache<B>) {
        let [b, l, _] = input.dims();
        let (h, dh, dr) = (self.heads, self.head_dim, self.rope_dim);
        let start = cache.len();
        let device = input.device();
        let (cos, sin) = self.rotary_angles(start, l, &device);

        // Queries [b, h, l, dh + dr], their rotary part turned to each token's position.
        let q = self
            .q_proj
            .forward(input.clone())
            .reshape([b, l, h, dh + dr])
            .swap_dims(1, 2);
        let q_rope = rotate(q.clone().narrow(3, dh, dr), cos.clone(), sin.clone());
        let q = Tensor::cat(vec![q.narrow(3, 0, dh), q_rope], 3);

        // This chunk's cache entries [b, l, d_c + dr], appended to the earlier ones.
        let kv = self.kv_down.forward(input);
        let latent = self.kv_norm.forward(kv.clone().narrow(2, 0, self.kv_rank));
        let key_rope = rotate(kv.narrow(2, self.kv_rank, dr), cos, sin);
        let fresh = Tensor::cat(vec![latent, key_rope], 2);
        let entries = match cache.entries {
            Some(old) => Tensor::cat(vec![old, fresh], 1),
            None => fresh,
        };
        let bias = (l > 1).then(|| causal_bias::<B>(start, l, &device).unsqueeze::<4>());
        // Absorbing adds l·h·head_dim·kv_rank for the queries and the output (and scores over
        // kv_rank numbers instead of head_dim) and saves expanding all t cached latents
        // (t·kv_rank·h·head_dim): a win after a cache for short chunks; under head_dim is safe.
        let per_head = match self.up_weights() {
            Some((w_uk, w_uv)) if start > 0 && l < dh => {
                self.attend_absorbed(q, entries.clone(), bias, w_uk, w_uv)
            }
            _ => self.attend_expanded(q, entries.clone(), bias),
        };
        let mixed = per_head.swap_dims(1, 2).reshape([b, l, h * dh]);
        let cache = KvCache {
            entries: Some(entries),
            ..cache
        };
        (self.out_proj.forward(mixed), cache)
    }

    /// Per-head outputs `[b, h, l, dh]` from keys and values expanded out of every cached latent
    /// (DeepSeek-V2 eq. 17–19 as written).
    fn attend_expanded(
        &self,
        q: Tensor<B, 4>,
        entries: Tensor<B, 3>,
        bias: Option<Tensor<B, 4>>,
    ) -> Tensor<B, 4> {
        let [b, t, _] = entries.dims();
        let (h, dh, dr) = (self.heads, self.head_dim, self.rope_dim);
        // Keys [b, h, t, dh + dr] (the shared rotary key repeated per head) and values.
        let per_head = |x: Tensor<B, 3>| x.reshape([b, t, h, dh]).swap_dims(1, 2);
        let latent = entries.clone().narrow(2, 0, self.kv_rank);
        let key_rope = entries
            .narrow(2, self.kv_rank, dr)
            .unsqueeze_dim::<4>(1)
            .repeat_dim(1, h);
        let keys = Tensor::cat(
            vec![per_head(self.k_up.forward(latent.clone())), key_rope],
            3,
        );
        let values = per_head(self.v_up.forward(latent));
        let scores = q.matmul(keys.swap_dims(2, 3)) * self.scale();
        softmax(with_bias(scores, bias), 3).matmul(values)
    }

    /// [`Self::attend_expanded`] with `k_up` and `v_up` absorbed (section 2.1.2): the score of
    /// latent c is `q_C · (c W_UK) = (q_C W_UKᵀ) · c`, and the values' mix is
    /// `Σ p (c W_UV) = (Σ p c) W_UV`, so the cache is never expanded.
    fn attend_absorbed(
        &self,
        q: Tensor<B, 4>,
        entries: Tensor<B, 3>,
        bias: Option<Tensor<B, 4>>,
        w_uk: Tensor<B, 2>,
        w_uv: Tensor<B, 2>,
    ) -> Tensor<B, 4> {
        let [b, h, l, _] = q.dims();
        let [_, t, _] = entries.dims();
        let (dh, dr, c) = (self.head_dim, self.rope_dim, self.kv_rank);
        // Per-head matrices [b, h, c, dh] (burn's matmul wants equal batch dimensions).
        let per_head = |w: Tensor<B, 2>| {
            w.reshape([c, h, dh])
                .swap_dims(0, 1)
                .unsqueeze_dim::<4>(0)
                .repeat_dim(0, b)
        };
        let (w_uk, w_uv) = (per_head(w_uk), per_head(w_uv));
        let q_latent = q.clone().narrow(3, 0, dh).matmul(w_uk.swap_dims(2, 3));
        // Queries [b, h·l, c + dr] against entries [b, t, c + dr]: one product for both parts.
        let q_all = Tensor::cat(vec![q_latent, q.narrow(3, dh, dr)], 3).reshape([b, h * l, c + dr]);
        let scores = q_all
            .matmul(entries.clone().swap_dims(1, 2))
            .reshape([b, h, l, t]);
        let probs = softmax(with_bias(scores * self.scale(), bias), 3);
        let mixed_latent = probs
            .reshape([b, h * l, t])
            .matmul(entries.narrow(2, 0, c))
            .reshape([b, h, l, c]);
        mixed_latent.matmul(w_uv)
    }

    /// The float `k_up` and `v_up` weights, when the absorbed form can use them.
    fn up_weights(&self) -> Option<(Tensor<B, 2>, Tensor<B, 2>)> {
        let float = |linear: &Linear<B>| match linear.lora {
            None => linear.weight.float().map(|w| w.val()),
            Some(_) => None,
        };
        Some((float(&self.k_up)?, float(&self.v_up)?))
    }

    /// 1/√(head_dim + rope_dim).
    fn scale(&self) -> f64 {
        1.0 / ((self.head_dim + self.rope_dim) as f64).sqrt()
    }

    /// One token per sequence: [`Self::forward`] with `l = 1`.
    ///
    /// # Shapes
    /// input `[b, d_model]` → `[b, d_model]`.
    pub fn step(&self, input: Tensor<B, 2>, cache: &mut KvCache<B>) -> Tensor<B, 2> {
        let empty = KvCache::empty(cache.batch, cache.width, &cache.device);
        let taken = std::mem::replace(cache, empty);
        let (out, next) = self.forward(input.unsqueeze_dim(1), taken);
        *cache = next;
        out.squeeze_dim(1)
    }

    /// cos and sin of the rotary angles `p · θ^(−2i/d_R)` for positions `start..start + l` and
    /// pairs `i < d_R / 2`, each `[l, d_R / 2]`.
    fn rotary_angles(
        &self,
        start: usize,
        l: usize,
        device: &B::Device,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let half = self.rope_dim / 2;
        let positions = Tensor::<B, 1, Int>::arange(start as i64..(start + l) as i64, device)
            .float()
            .reshape([l, 1]);
        let exponents = Tensor::<B, 1, Int>::arange(0..half as i64, device)
            .float()
            .mul_scalar(-2.0 * self.rope_theta.ln() / self.rope_dim as f64);
        let angles = positions.matmul(exponents.exp().reshape([1, half]));
        (angles.clone().cos(), angles.sin())
    }
}

/// `scores + bias`, where there is a bias.
fn with_bias<B: Backend>(scores: Tensor<B, 4>, bias: Option<Tensor<B, 4>>) -> Tensor<B, 4> {
    match bias {
        Some(bias) => scores + bias,
        None => scores,
    }
}

/// RoPE in the split-halves convention: the pairs are `(x_i, x_{i + d/2})`, each turned by its
/// angle (`cos`, `sin` `[l, d/2]`, broadcast over the leading dimensions of `x` `[.., l, d]`).
fn rotate<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    cos: Tensor<B, 2>,
    sin: Tensor<B, 2>,
) -> Tensor<B, D> {
    let half = x.dims()[D - 1] / 2;
    let (cos, sin) = (cos.unsqueeze::<D>(), sin.unsqueeze::<D>());
    let x1 = x.clone().narrow(D - 1, 0, half);
    let x2 = x.narrow(D - 1, half, half);
    Tensor::cat(
        vec![
            x1.clone() * cos.clone() - x2.clone() * sin.clone(),
            x1 * sin + x2 * cos,
        ],
        D - 1,
    )
}

/// `[l, start + l]`: 0 where query `start + i` may see key `j` (`j ≤ start + i`), [`MASKED`]
/// where the key is in its future.
fn causal_bias<B: Backend>(start: usize, l: usize, device: &B::Device) -> Tensor<B, 2> {
    let t = start + l;
    let keys = Tensor::<B, 1, Int>::arange(0..t as i64, device)
        .reshape([1, t])
        .expand([l, t]);
    let queries = Tensor::<B, 1, Int>::arange(start as i64..t as i64, device)
        .reshape([l, 1])
        .expand([l, t]);
    keys.greater(queries).float().mul_scalar(MASKED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::ConfigError;
    use crate::test_util::{TestBackend, assert_close, random, seeded};

    type B = TestBackend;

    fn mixer() -> AttentionMixer<B> {
        let config = ModelConfig::tiny();
        let attention = AttentionConfig::new()
            .with_heads(2)
            .with_head_dim(8)
            .with_kv_rank(6)
            .with_rope_dim(4);
        // Materialised under the lock: burn draws lazy parameters at first use, which would
        // take from the global RNG while other tests seed it.
        seeded(11, || {
            crate::model::init::materialize(config.init_attention(&attention, &Default::default()))
        })
    }

    #[test]
    fn chunks_and_steps_equal_one_pass() {
        let mixer = mixer();
        let x = random::<3>([2, 9, 32], 5, &Default::default());
        let (full, cache) = mixer.forward(x.clone(), mixer.zero_state(2, &Default::default()));
        assert_eq!(cache.len(), 9);
        // Three tokens, then four, then two steps.
        let (a, cache) = mixer.forward(
            x.clone().narrow(1, 0, 3),
            mixer.zero_state(2, &Default::default()),
        );
        let (b, mut cache) = mixer.forward(x.clone().narrow(1, 3, 4), cache);
        let mut outs = vec![a, b];
        for t in 7..9 {
            let token = x.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
            outs.push(mixer.step(token, &mut cache).unsqueeze_dim(1));
        }
        assert_close(Tensor::cat(outs, 1), full, 1e-5, "chunked and stepped");
        assert_eq!(cache.len(), 9);
    }

    #[test]
    fn a_token_never_sees_its_future() {
        let mixer = mixer();
        let x = random::<3>([1, 6, 32], 8, &Default::default());
        let (full, _) = mixer.forward(x.clone(), mixer.zero_state(1, &Default::default()));
        let changed = Tensor::cat(
            vec![
                x.clone().narrow(1, 0, 4),
                random::<3>([1, 2, 32], 9, &Default::default()),
            ],
            1,
        );
        let (other, _) = mixer.forward(changed, mixer.zero_state(1, &Default::default()));
        assert_close(
            other.narrow(1, 0, 4),
            full.narrow(1, 0, 4),
            1e-6,
            "the first four tokens",
        );
    }

    #[test]
    fn rotary_turns_preserve_length_and_depend_on_relative_position() {
        let mixer = mixer();
        let device = Default::default();
        let (cos, sin) = mixer.rotary_angles(0, 8, &device);
        let q = random::<2>([1, 4], 1, &device).repeat_dim(0, 8);
        let k = random::<2>([1, 4], 2, &device).repeat_dim(0, 8);
        let (q, k) = (
            rotate(q.clone(), cos.clone(), sin.clone()),
            rotate(k, cos, sin),
        );
        let norms = q.clone().powi_scalar(2).sum_dim(1);
        let first: f32 = norms.clone().narrow(0, 0, 1).into_scalar();
        assert_close(norms, Tensor::full([8, 1], first, &device), 1e-5, "norms");
        // q at position 3 · k at 1 equals q at 5 · k at 3: only the distance counts.
        let dot = |i, j| -> f32 {
            let qi = q.clone().narrow(0, i, 1);
            let kj = k.clone().narrow(0, j, 1);
            (qi * kj).sum().into_scalar()
        };
        assert!((dot(3, 1) - dot(5, 3)).abs() < 1e-5);
        assert!((dot(3, 1) - dot(3, 2)).abs() > 1e-4);
    }

    #[test]
    fn invalid_attention_configs_are_named() {
        let ok = AttentionConfig::new().with_layers(vec![1]);
        assert!(ok.validate(2).is_ok());
        assert!(matches!(
            ok.clone().with_layers(vec![2]).validate(2),
            Err(ConfigError::Range {
                field: "attention.layers",
                ..
            })
        ));
        assert_eq!(
            ok.clone().with_heads(0).validate(2),
            Err(ConfigError::Zero("attention.heads"))
        );
        assert!(ok.with_rope_dim(5).validate(2).is_err());
    }
}
