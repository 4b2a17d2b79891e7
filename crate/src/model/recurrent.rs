//! Recurrent depth with adaptive halting (Graves 2016, "Adaptive Computation Time for Recurrent
//! Neural Networks", section 2): one SSM layer of the stack looped up to `max_loops` times per
//! token, each token stopping on its own.
//!
//! Glossary (the paper's symbols → names here):
//! - s_n: the residual stream after loop n (from 1); the layer maps s_{n−1} to s_n.
//! - h_n = σ(w · RMSNorm(s_n) + b): the halting probability after loop n (`probability`).
//! - N: the first n with h_1 + … + h_n ≥ `threshold` (ACT's 1 − ε), or `max_loops`.
//! - R = 1 − (h_1 + … + h_{N−1}): the remainder, the last loop's weight.
//! - the output Σ_{n<N} h_n s_n + R s_N; the ponder cost N + R, whose gradient (through R) pushes
//!   tokens to stop sooner, weighted by `ponder_weight` in the training loss.
//!
//! Every loop has its own SSM state (the loops are different depths of the same weights). A
//! token that has stopped is masked out of later loops' states: its convolution input and its Δ
//! are zero there, so it changes no h ([`crate::model::ssm::SsmMixer::forward_masked`]). Decoding
//! a token therefore needs only its own loops: the later loops' states are advanced by
//! [`SsmState::skip`] without running the layer, and training over whole sequences (every loop
//! run on every position, masked) computes exactly what decoding token by token does.
//!
//! Where the halting decision cannot be read on the host without a stall (WebGPU, CUDA), every
//! loop runs masked on the device and gives the same numbers; CPU backends stop as soon as every
//! position has halted.

use burn::module::{Module, Param};
use burn::nn::{RmsNorm, RmsNormConfig};
use burn::tensor::{ElementConversion, Tensor, activation::sigmoid, backend::Backend};

use crate::model::block::{Layer, MoeSignals};
use crate::model::config::{ModelConfig, RecurrentConfig};
use crate::model::state::SsmState;
use crate::ops::placement::Placement;

/// The halting unit of the looped layer, and the loop's settings.
#[derive(Module, Debug)]
pub struct Halting<B: Backend> {
    /// Norm of the residual stream before the halting projection.
    pub norm: RmsNorm<B>,
    /// w, `[d_model]`.
    pub weight: Param<Tensor<B, 1>>,
    /// b, `[1]`.
    pub bias: Param<Tensor<B, 1>>,
    layer: usize,
    max_loops: usize,
    threshold: f64,
    #[module(skip)]
    all_loops: bool,
}

/// What a looped pass over whole sequences gives.
#[derive(Debug, Clone)]
pub struct LoopOutput<B: Backend> {
    /// The halting-weighted mixture of the loops' outputs, `[b, l, d_model]`.
    pub hidden: Tensor<B, 3>,
    /// Each loop's state after the sequences.
    pub states: Vec<SsmState<B>>,
    /// The MoE signals of each loop run (the looped layer's, where it has a MoE sublayer).
    pub signals: Vec<MoeSignals<B>>,
    /// N, loops run for each position, `[b, l]`.
    pub loops: Tensor<B, 2>,
    /// N + R for each position, `[b, l]` (differentiable through R).
    pub ponder: Tensor<B, 2>,
}

impl ModelConfig {
    /// The halting unit for `recurrent`: w = 0 and b such that every token starts with
    /// h = 1 / (max_loops / 2 + 1), about half the loops.
    pub(crate) fn init_halting<B: Backend>(
        &self,
        recurrent: &RecurrentConfig,
        device: &B::Device,
    ) -> Halting<B> {
        let h = 1.0 / (recurrent.max_loops as f64 / 2.0 + 1.0);
        Halting {
            norm: RmsNormConfig::new(self.d_model)
                .with_epsilon(self.norm_eps)
                .init(device),
            weight: Param::from_tensor(Tensor::zeros([self.d_model], device)),
            bias: Param::from_tensor(Tensor::full([1], (h / (1.0 - h)).ln(), device)),
            layer: recurrent.layer,
            max_loops: recurrent.max_loops,
            threshold: recurrent.threshold,
            all_loops: false,
        }
    }
}

impl<B: Backend> Halting<B> {
    /// The looped layer's index.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// Most loops per token.
    pub fn max_loops(&self) -> usize {
        self.max_loops
    }

    /// The same unit running every loop (masked) on every backend, as on GPUs, instead of
    /// stopping once every position has halted. The numbers are the same; tests use it to
    /// compare the two.
    pub fn with_all_loops(mut self, all: bool) -> Self {
        self.all_loops = all;
        self
    }

    /// h after a loop, `[b, l, d_model]` → `[b, l]`.
    fn probability(&self, s: Tensor<B, 3>) -> Tensor<B, 2> {
        let w = self.weight.val().unsqueeze_dims::<3>(&[0, 1]);
        let logit = (self.norm.forward(s) * w).sum_dim(2).squeeze_dim::<2>(2);
        sigmoid(logit + self.bias.val().unsqueeze_dim(0))
    }

    /// Loops `layer` over whole sequences `x` (`[b, l, d_model]`) from `states` (one per loop).
    pub(crate) fn run(
        &self,
        layer: &Layer<B>,
        x: Tensor<B, 3>,
        states: Vec<SsmState<B>>,
        train: bool,
    ) -> LoopOutput<B> {
        let [b, l, _] = x.dims();
        let device = x.device();
        let early_exit = !self.all_loops && Placement::for_backend::<B>(&device) == Placement::Host;
        let zeros = || Tensor::<B, 2>::zeros([b, l], &device);
        let mut running = Tensor::<B, 2>::ones([b, l], &device);
        let (mut total, mut loops, mut remainder) = (zeros(), zeros(), zeros());
        let mut hidden = Tensor::zeros(x.dims(), &device);
        let mut s = x;
        let mut signals = Vec::new();
        let mut next = Vec::with_capacity(states.len());
        // Once every position has halted (read on the host only, once per loop until then),
        // the remaining loops' states only shift.
        let mut all_halted = false;
        for (n, mut state) in states.into_iter().enumerate() {
            all_halted = all_halted
                || (early_exit
                    && n > 0
                    && running.clone().sum().into_scalar().elem::<f32>() == 0.0);
            if all_halted {
                state.skip(l);
                next.push(state);
                continue;
            }
            let (out, state, moe) = layer.forward_masked(s, state, running.clone(), train);
            next.push(state);
            signals.extend(moe);
            let h = self.probability(out.clone());
            let reach = if n + 1 == self.max_loops {
                Tensor::ones([b, l], &device)
            } else {
                (total.clone() + h.clone())
                    .greater_equal_elem(self.threshold)
                    .float()
            };
            let halts = running.clone() * reach;
            let rest = halts.clone() * (total.clone().neg() + 1.0);
            let weight = (running.clone() - halts.clone()) * h.clone() + rest.clone();
            hidden = hidden + out.clone() * weight.unsqueeze_dim(2);
            loops = loops + running.clone();
            remainder = remainder + rest;
            total = total + running.clone() * h;
            running = running - halts;
            s = out;
        }
        LoopOutput {
            hidden,
            states: next,
            signals,
            ponder: loops.clone() + remainder,
            loops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::model::state::{LayerState, State};
    use crate::test_util::{
        TestAutodiff, TestBackend, assert_close, random_on, recurrent_config, seeded,
    };
    use burn::tensor::{Int, TensorData};

    /// The tiny recurrent model with a halting unit that stops tokens after different numbers
    /// of loops (a fresh one stops every token after the same number).
    fn model<B: Backend>() -> Model<B> {
        let device = Default::default();
        let mut model: Model<B> = seeded(11, || recurrent_config().init(&device).unwrap());
        let halting = model.halting.take().unwrap();
        let weight = random_on::<B, 1>([32], 5, &device) * 4.0;
        model.halting = Some(Halting {
            weight: Param::from_tensor(weight),
            bias: Param::from_tensor(Tensor::full([1], -0.5, &device)),
            ..halting
        });
        model
    }

    fn tokens<B: Backend>(batch: usize, len: usize) -> Tensor<B, 2, Int> {
        let ids: Vec<i64> = (0..batch * len)
            .map(|i| ((i * 7919 + 13) % 512) as i64)
            .collect();
        Tensor::from_data(TensorData::new(ids, [batch, len]), &Default::default())
    }

    fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
        t.into_data().convert::<f32>().to_vec().unwrap()
    }

    /// Logits and loops of a loop of `step` over `tokens` from a zero state.
    fn stepped<B: Backend>(
        model: &Model<B>,
        tokens: Tensor<B, 2, Int>,
    ) -> (Tensor<B, 3>, Tensor<B, 2>, State<B>) {
        let [b, len] = tokens.dims();
        let mut state = model.zero_state(b, &Default::default());
        let (mut logits, mut loops) = (Vec::new(), Vec::new());
        for t in 0..len {
            let token = tokens.clone().narrow(1, t, 1).squeeze_dim::<1>(1);
            logits.push(model.step(token, &mut state).unsqueeze_dim(1));
            loops.push(state.loops.clone().unwrap());
        }
        (Tensor::cat(logits, 1), Tensor::cat(loops, 1), state)
    }

    fn looped(state: &State<TestBackend>) -> Vec<SsmState<TestBackend>> {
        match &state.layers[1] {
            LayerState::Looped(loops) => loops.clone(),
            _ => panic!("layer 1 is looped"),
        }
    }

    #[test]
    fn training_over_sequences_and_decoding_token_by_token_agree() {
        let model = model::<TestBackend>();
        let tokens = tokens(2, 24);
        let (out, after) =
            model.forward_with_state(tokens.clone(), model.zero_state(2, &Default::default()));
        let loops = values(out.loops.clone().unwrap());
        let (min, max) = loops
            .iter()
            .fold((f32::MAX, 0f32), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(
            min >= 1.0 && max <= 4.0 && min < max,
            "loops vary within 1..=4: {loops:?}"
        );
        for all_loops in [false, true] {
            let decoder = model.clone().with_all_loops(all_loops);
            let (logits, step_loops, state) = stepped(&decoder, tokens.clone());
            assert_close(out.logits.clone(), logits, 1e-4, "logits");
            assert_eq!(
                values(step_loops),
                loops,
                "loops per token (all loops: {all_loops})"
            );
            for (a, b) in looped(&after).into_iter().zip(looped(&state)) {
                assert_close(a.ssm_state, b.ssm_state, 1e-4, "ssm state");
                assert_close(a.conv_state, b.conv_state, 1e-6, "conv state");
            }
        }
        let all = model.clone().with_all_loops(true).forward(tokens.clone());
        assert_close(all.logits, out.logits, 1e-5, "every loop run masked");
        assert_close(all.ponder, out.ponder.clone(), 1e-6, "ponder");
    }

    #[test]
    fn a_prompt_read_in_chunks_continues_exactly() {
        let model = model::<TestBackend>();
        let tokens = tokens(1, 20);
        let full = model.forward(tokens.clone()).logits;
        let mut state = model.zero_state(1, &Default::default());
        model.prefill(tokens.clone().narrow(1, 0, 9), &mut state);
        let (rest, state) = model.forward_with_state(tokens.narrow(1, 9, 11), state);
        assert_close(rest.logits, full.narrow(1, 9, 11), 1e-4, "second chunk");
        assert_eq!(state.loops.unwrap().dims(), [1, 11]);
    }

    #[test]
    fn the_ponder_cost_counts_loops_and_remainder_and_trains_the_halting_unit() {
        let model = model::<TestAutodiff>();
        let out = model.forward_train(tokens(2, 16));
        let loops = values(out.loops.clone().unwrap().inner());
        let mean_loops = loops.iter().sum::<f32>() / loops.len() as f32;
        let ponder: f32 = out.ponder.clone().into_scalar();
        // N + R with R in (0, 1]: the mean lies in (mean N, mean N + 1].
        assert!(
            ponder > mean_loops && ponder <= mean_loops + 1.0,
            "{ponder} vs {mean_loops}"
        );
        let grads = out.ponder.backward();
        let halting = model.halting.as_ref().unwrap();
        let bias: Vec<f32> = values(halting.bias.grad(&grads).unwrap());
        // A larger h shrinks the remainder: the ponder cost falls as the bias grows.
        assert!(bias[0] < 0.0, "d ponder / d bias = {}", bias[0]);
    }

    #[test]
    fn a_fresh_unit_stops_every_token_after_about_half_the_loops() {
        let model: Model<TestBackend> =
            seeded(2, || recurrent_config().init(&Default::default()).unwrap());
        let loops = values(model.forward(tokens(1, 6)).loops.unwrap());
        // h = 1/3 each loop: 1/3 + 1/3 + 1/3 reaches 0.99 at the third.
        assert_eq!(loops, vec![3.0; 6]);
    }
}
