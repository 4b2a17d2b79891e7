//! The selective state-space mixer (Mamba, Gu & Dao 2023, "Mamba: Linear-Time Sequence
//! Modeling with Selective State Spaces", Algorithm 2 and section 3.6).
//!
//! Glossary (the paper's symbols → names here):
//! - b: batch; l: sequence length; d = `d_inner` = expand · d_model: channels the SSM runs on;
//!   n = `d_state`: state size per channel (N); r = `dt_rank`.
//! - x, z: the two halves of `in_proj`'s output; x goes through the causal depthwise
//!   convolution and the SSM, z gates the result (`y · SiLU(z)`).
//! - Δ (`delta`): per-token, per-channel step size, `softplus(dt_proj(x_proj(x)[..r]))`.
//! - A = −exp(A_log) `[d, n]`: the diagonal, input-independent state matrix (S4D-real init:
//!   A_log[:, i] = ln(i + 1)).
//! - B, C `[b, l, n]`: input-dependent input and output matrices from `x_proj`.
//! - D `[d]`: the skip connection.

use burn::module::{Initializer, Module, Param};
use burn::nn::LinearConfig;

use crate::ops::activation::silu;
use crate::ops::linear::Linear;
use burn::tensor::{Distribution, Tensor, backend::Backend};

use crate::model::config::ModelConfig;
use crate::model::scan::{HostScanInputs, ScanInputs, scan_chunked, scan_host, scan_reference};
use crate::model::state::SsmState;
use crate::ops::placement::Placement;

/// Default chunk length of the parallel scan: long enough to cut the op count, short enough to
/// keep the `[b, chunk, d, n]` intermediates small.
pub const SCAN_CHUNK: usize = 64;

/// How [`SsmMixer::forward`] runs the selective scan over a sequence. Both give the same numbers
/// (tested); which is faster depends on the backend (see `pkg-scripts/bench-scan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanMode {
    /// One small step per token. Fastest on CPU backends, where an op costs little to launch
    /// and the parallel scan's extra work and copies dominate.
    #[default]
    Sequential,
    /// Hillis–Steele prefix scan inside chunks of this many tokens: ⌈log₂ chunk⌉ rounds of large
    /// ops instead of one op per token, for GPUs where each op launch is expensive.
    Chunked(usize),
}

/// The selective SSM mixer of one layer.
#[derive(Module, Debug)]
pub struct SsmMixer<B: Backend> {
    /// d_model → 2·d_inner (x and z), no bias.
    pub in_proj: Linear<B>,
    /// Depthwise causal convolution kernel, `[d_inner, d_conv]`; column `d_conv - 1` multiplies
    /// the current token.
    pub conv_weight: Param<Tensor<B, 2>>,
    /// Convolution bias, `[d_inner]`.
    pub conv_bias: Param<Tensor<B, 1>>,
    /// d_inner → r + 2n (Δ's low-rank input, B, C), no bias.
    pub x_proj: Linear<B>,
    /// r → d_inner, with bias (Δ before softplus).
    pub dt_proj: Linear<B>,
    /// ln(−A), `[d_inner, d_state]`.
    pub a_log: Param<Tensor<B, 2>>,
    /// Skip weight D, `[d_inner]`.
    pub d: Param<Tensor<B, 1>>,
    /// d_inner → d_model, no bias; initialised scaled by 1/sqrt(2·n_layers).
    pub out_proj: Linear<B>,
    d_inner: usize,
    d_state: usize,
    dt_rank: usize,
    d_conv: usize,
    #[module(skip)]
    scan: ScanMode,
}

impl ModelConfig {
    /// Builds one layer's SSM mixer with Mamba's initialisation.
    pub(crate) fn init_mixer<B: Backend>(&self, device: &B::Device) -> SsmMixer<B> {
        let (d_inner, n, r, k) = (self.d_inner(), self.d_state, self.dt_rank(), self.d_conv);
        let conv_bound = 1.0 / (k as f64).sqrt();
        let conv_init = Initializer::Uniform {
            min: -conv_bound,
            max: conv_bound,
        };
        let dt_std = 1.0 / (r as f64).sqrt();
        let dt_proj = LinearConfig::new(r, d_inner)
            .with_initializer(Initializer::Uniform {
                min: -dt_std,
                max: dt_std,
            })
            .init(device);
        let dt_proj = Linear {
            bias: Some(Param::from_tensor(self.dt_bias_init(device))),
            ..Linear::from(dt_proj)
        };
        // S4D-real: A = −(1, 2, …, n) for every channel.
        let a_log = Tensor::<B, 1, burn::tensor::Int>::arange(1..n as i64 + 1, device)
            .float()
            .log()
            .unsqueeze_dim::<2>(0)
            .repeat_dim(0, d_inner);
        SsmMixer {
            in_proj: LinearConfig::new(self.d_model, 2 * d_inner)
                .with_bias(false)
                .init(device)
                .into(),
            conv_weight: conv_init.init([d_inner, k], device),
            conv_bias: conv_init.init([d_inner], device),
            x_proj: LinearConfig::new(d_inner, r + 2 * n)
                .with_bias(false)
                .init(device)
                .into(),
            dt_proj,
            a_log: Param::from_tensor(a_log),
            d: Initializer::Ones.init([d_inner], device),
            out_proj: LinearConfig::new(d_inner, self.d_model)
                .with_bias(false)
                .with_initializer(self.residual_init())
                .init(device)
                .into(),
            d_inner,
            d_state: n,
            dt_rank: r,
            d_conv: k,
            scan: ScanMode::default(),
        }
    }

    /// Mamba's Δ bias: Δ₀ = exp(U(ln dt_min, ln dt_max)) floored at dt_init_floor, stored as
    /// softplus⁻¹(Δ₀) = Δ₀ + ln(1 − exp(−Δ₀)) so that softplus(bias) = Δ₀ at init.
    fn dt_bias_init<B: Backend>(&self, device: &B::Device) -> Tensor<B, 1> {
        let dist = Distribution::Uniform(self.dt_min.ln(), self.dt_max.ln());
        let dt = Tensor::<B, 1>::random([self.d_inner()], dist, device)
            .exp()
            .clamp_min(self.dt_init_floor);
        dt.clone() + (-(dt.neg().exp()) + 1.0).log()
    }

    /// Initialiser for projections that write into the residual stream: PyTorch's default
    /// Linear init scaled by 1/sqrt(2·n_layers) (GPT-2 / Mamba "prenorm residual" rescaling).
    pub(crate) fn residual_init(&self) -> Initializer {
        let scale = 1.0 / (2.0 * self.n_layers as f64).sqrt();
        Initializer::KaimingUniform {
            gain: scale / 3f64.sqrt(),
            fan_out_only: false,
        }
    }
}

/// softplus(x) = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^(−|x|)) so large x cannot overflow.
pub fn softplus<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.clone().clamp_min(0.0) + x.abs().neg().exp().log1p()
}

impl<B: Backend> SsmMixer<B> {
    /// The same mixer running its scan with `mode`.
    pub fn with_scan(mut self, mode: ScanMode) -> Self {
        self.scan = mode;
        self
    }

    /// A zero state for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> SsmState<B> {
        SsmState::zeros(batch, self.d_conv, self.d_inner, self.d_state, device)
    }

    /// Runs the mixer over whole sequences, continuing from `state`.
    ///
    /// # Shapes
    /// input `[b, l, d_model]` → output `[b, l, d_model]`, and the state after the last token.
    pub fn forward(&self, input: Tensor<B, 3>, state: SsmState<B>) -> (Tensor<B, 3>, SsmState<B>) {
        self.forward_masked(input, state, None)
    }

    /// As [`Self::forward`], with the tokens where `active` is 0 masked out: their convolution
    /// input is zero and their Δ is zero, so they leave h unchanged (e^{0·A} = 1, 0 · B x = 0)
    /// and the state after them is [`SsmState::skip`]'s. Their outputs are meaningless.
    ///
    /// # Shapes
    /// active `[b, l]`, 1 or 0.
    pub fn forward_masked(
        &self,
        input: Tensor<B, 3>,
        state: SsmState<B>,
        active: Option<Tensor<B, 2>>,
    ) -> (Tensor<B, 3>, SsmState<B>) {
        let [_, l, _] = input.dims();
        let xz = self.in_proj.forward(input);
        let mut x = xz.clone().narrow(2, 0, self.d_inner);
        let z = xz.narrow(2, self.d_inner, self.d_inner);
        let active = active.map(|a| a.unsqueeze_dim::<3>(2));
        if let Some(active) = &active {
            x = x * active.clone();
        }

        // Causal depthwise conv: the previous d_conv − 1 inputs come from the state.
        let padded = Tensor::cat(vec![state.conv_state, x], 1);
        let weight = self.conv_weight.val();
        let mut conv = self.conv_bias.val().unsqueeze_dims::<3>(&[0, 1]);
        for j in 0..self.d_conv {
            let tap = weight
                .clone()
                .narrow(1, j, 1)
                .squeeze_dim::<1>(1)
                .unsqueeze_dims::<3>(&[0, 1]);
            conv = conv + padded.clone().narrow(1, j, l) * tap;
        }
        let conv_state = padded.narrow(1, l, self.d_conv - 1);
        let x = silu(conv);

        let (mut delta, b, c) = self.selection(x.clone());
        if let Some(active) = active {
            delta = delta * active;
        }
        let (y, ssm_state) = self.scan(x, delta, b, c, state.ssm_state);
        let out = self.out_proj.forward(y * silu(z));
        (
            out,
            SsmState {
                conv_state,
                ssm_state,
            },
        )
    }

    /// Runs the mixer for one token per sequence, updating `state` in place.
    ///
    /// # Shapes
    /// input `[b, d_model]` → output `[b, d_model]`.
    pub fn step(&self, input: Tensor<B, 2>, state: &mut SsmState<B>) -> Tensor<B, 2> {
        let xz = self.in_proj.forward(input);
        let x = xz.clone().narrow(1, 0, self.d_inner);
        let z = xz.narrow(1, self.d_inner, self.d_inner);

        let window = Tensor::cat(vec![state.conv_state.clone(), x.unsqueeze_dim(1)], 1);
        let weight = self.conv_weight.val().transpose().unsqueeze_dim::<3>(0);
        let conv = (window.clone() * weight).sum_dim(1).squeeze_dim::<2>(1)
            + self.conv_bias.val().unsqueeze_dim(0);
        state.conv_state = window.narrow(1, 1, self.d_conv - 1);
        let x = silu(conv);

        let (delta, b, c) = self.selection(x.clone());
        let seq = |t: Tensor<B, 2>| t.unsqueeze_dim::<3>(1);
        let h = state.ssm_state.clone();
        let (y, h) = self.scan(seq(x), seq(delta), seq(b), seq(c), h);
        state.ssm_state = h;
        self.out_proj.forward(y.squeeze_dim(1) * silu(z))
    }

    /// The selective scan over `[b, l, ·]` inputs from state `h`: the host kernel where it
    /// runs (CPU inference) and its differentiable form on the CPU training backend, else this
    /// mixer's [`ScanMode`].
    fn scan(
        &self,
        x: Tensor<B, 3>,
        delta: Tensor<B, 3>,
        b: Tensor<B, 3>,
        c: Tensor<B, 3>,
        h: Tensor<B, 3>,
    ) -> (Tensor<B, 3>, Tensor<B, 3>) {
        let host = |x, delta, b, c| HostScanInputs {
            x,
            delta,
            a_log: self.a_log.val(),
            b,
            c,
            d: self.d.val(),
        };
        let tensor = |x, delta, b, c| ScanInputs {
            x,
            delta,
            a: self.a(),
            b,
            c,
            d: self.d.val(),
        };
        match self.scan {
            ScanMode::Sequential if Placement::runs_host_kernels::<B>(&x.device()) => {
                scan_host(host(x, delta, b, c), h)
            }
            #[cfg(feature = "autodiff")]
            ScanMode::Sequential if crate::model::scan_autodiff::applies::<B>() => {
                crate::model::scan_autodiff::scan_host_autodiff(host(x, delta, b, c), h)
            }
            ScanMode::Sequential => scan_reference(tensor(x, delta, b, c), h),
            ScanMode::Chunked(chunk) => scan_chunked(tensor(x, delta, b, c), h, chunk),
        }
    }

    /// The input-dependent ("selective") parameters Δ, B, C from x (Mamba Algorithm 2, lines 3–5).
    fn selection<const D: usize>(
        &self,
        x: Tensor<B, D>,
    ) -> (Tensor<B, D>, Tensor<B, D>, Tensor<B, D>) {
        let (r, n) = (self.dt_rank, self.d_state);
        let x_dbl = self.x_proj.forward(x);
        let dt = x_dbl.clone().narrow(D - 1, 0, r);
        let b = x_dbl.clone().narrow(D - 1, r, n);
        let c = x_dbl.narrow(D - 1, r + n, n);
        (softplus(self.dt_proj.forward(dt)), b, c)
    }

    /// A = −exp(A_log).
    fn a(&self) -> Tensor<B, 2> {
        self.a_log.val().exp().neg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{TestBackend, assert_close, seeded};

    #[test]
    fn init_matches_mamba() {
        let device = Default::default();
        let config = ModelConfig::tiny();
        let mixer = seeded(3, || config.init_mixer::<TestBackend>(&device));
        let a: Vec<f32> = mixer.a().to_data().to_vec().unwrap();
        assert_eq!(&a[..3], &[-1.0, -2.0, -3.0]);
        // softplus(bias) lands in [dt_min, dt_max].
        let dt: Vec<f32> = softplus(mixer.dt_proj.bias.as_ref().unwrap().val())
            .to_data()
            .to_vec()
            .unwrap();
        assert!(
            dt.iter().all(|v| (0.001 * 0.999..=0.1 * 1.001).contains(v)),
            "{dt:?}"
        );
    }

    #[test]
    fn softplus_is_stable_and_correct() {
        let device = Default::default();
        let x = Tensor::<TestBackend, 1>::from_floats([-100.0, -1.0, 0.0, 2.0, 100.0], &device);
        let expect = Tensor::<TestBackend, 1>::from_floats(
            [
                0.0,
                (1.0f32 + (-1.0f32).exp()).ln(),
                2f32.ln(),
                (1.0f32 + 2f32.exp()).ln(),
                100.0,
            ],
            &device,
        );
        assert_close(softplus(x), expect, 1e-6, "softplus");
    }
}
