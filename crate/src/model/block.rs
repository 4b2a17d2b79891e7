//! One layer of the stack: RMSNorm → mixer (the selective SSM, or attention on the layers the
//! config names) → residual, and on MoE layers a second sublayer RMSNorm → MoE feed-forward →
//! residual.

use burn::module::Module;
use burn::nn::{RmsNorm, RmsNormConfig};
use burn::tensor::{Tensor, backend::Backend};

use crate::model::attention::AttentionMixer;
use crate::model::config::ModelConfig;
use crate::model::moe::{ExpertDispatch, Moe};
use crate::model::ssm::{ScanMode, SsmMixer};
use crate::model::state::{LayerState, SsmState};
use crate::ops::linear::Linear;

/// What mixes information across positions in a layer. The variant adds nothing to tensor
/// names (`layers.0.mixer.in_proj.weight`, `layers.3.mixer.q_proj.weight`).
#[derive(Module, Debug)]
pub enum Mixer<B: Backend> {
    /// The selective state-space mixer: a fixed-size state.
    Ssm(SsmMixer<B>),
    /// Multi-head latent attention: a cache that grows with the sequence.
    Attention(AttentionMixer<B>),
}

impl<B: Backend> Mixer<B> {
    /// The state before any token, for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> LayerState<B> {
        match self {
            Self::Ssm(m) => LayerState::Ssm(m.zero_state(batch, device)),
            Self::Attention(m) => LayerState::Attention(m.zero_state(batch, device)),
        }
    }

    /// The mixer's projections under their field names, in the order a token meets them.
    pub fn linears_mut(&mut self) -> Vec<(&'static str, &mut Linear<B>)> {
        match self {
            Self::Ssm(m) => vec![
                ("in_proj", &mut m.in_proj),
                ("x_proj", &mut m.x_proj),
                ("dt_proj", &mut m.dt_proj),
                ("out_proj", &mut m.out_proj),
            ],
            Self::Attention(m) => vec![
                ("q_proj", &mut m.q_proj),
                ("kv_down", &mut m.kv_down),
                ("k_up", &mut m.k_up),
                ("v_up", &mut m.v_up),
                ("out_proj", &mut m.out_proj),
            ],
        }
    }

    /// Whole sequences, continuing from `state`.
    ///
    /// # Shapes
    /// input `[b, l, d_model]` → `[b, l, d_model]`.
    pub fn forward(
        &self,
        input: Tensor<B, 3>,
        state: LayerState<B>,
    ) -> (Tensor<B, 3>, LayerState<B>) {
        match (self, state) {
            (Self::Ssm(m), LayerState::Ssm(s)) => {
                let (out, s) = m.forward(input, s);
                (out, LayerState::Ssm(s))
            }
            (Self::Attention(m), LayerState::Attention(cache)) => {
                let (out, cache) = m.forward(input, cache);
                (out, LayerState::Attention(cache))
            }
            _ => panic!("{}", WRONG_STATE),
        }
    }

    /// One token per sequence, updating `state`.
    ///
    /// # Shapes
    /// input `[b, d_model]` → `[b, d_model]`.
    pub fn step(&self, input: Tensor<B, 2>, state: &mut LayerState<B>) -> Tensor<B, 2> {
        match (self, state) {
            (Self::Ssm(m), LayerState::Ssm(s)) => m.step(input, s),
            (Self::Attention(m), LayerState::Attention(cache)) => m.step(input, cache),
            _ => panic!("{}", WRONG_STATE),
        }
    }
}

/// States come from [`crate::Model::zero_state`] or a session checked against it, so a
/// mismatch is a bug in the caller, never bad input.
const WRONG_STATE: &str =
    "a layer's state is of another kind than its mixer: build states with Model::zero_state";

/// The MoE sublayer with its pre-norm.
#[derive(Module, Debug)]
pub struct FeedForward<B: Backend> {
    /// Pre-norm.
    pub norm: RmsNorm<B>,
    /// Router and experts.
    pub moe: Moe<B>,
}

/// One layer.
#[derive(Module, Debug)]
pub struct Layer<B: Backend> {
    /// Pre-norm of the mixer.
    pub norm: RmsNorm<B>,
    /// The mixer.
    pub mixer: Mixer<B>,
    /// The MoE feed-forward, on layers the config marks (`moe.moe_every`).
    pub feed_forward: Option<FeedForward<B>>,
}

/// MoE signals of one layer for one forward pass.
#[derive(Debug, Clone)]
pub struct MoeSignals<B: Backend> {
    /// Load-balancing loss, `[1]`.
    pub aux_loss: Tensor<B, 1>,
    /// Tokens per routed expert, `[E]`.
    pub expert_load: Tensor<B, 1>,
}

impl ModelConfig {
    /// Builds layer `index`.
    pub(crate) fn init_layer<B: Backend>(&self, index: usize, device: &B::Device) -> Layer<B> {
        let norm = || {
            RmsNormConfig::new(self.d_model)
                .with_epsilon(self.norm_eps)
                .init(device)
        };
        Layer {
            norm: norm(),
            mixer: match &self.attention {
                Some(attention) if self.is_attention_layer(index) => {
                    Mixer::Attention(self.init_attention(attention, device))
                }
                _ => Mixer::Ssm(self.init_mixer(device)),
            },
            feed_forward: self.is_moe_layer(index).then(|| FeedForward {
                norm: norm(),
                moe: self.init_moe(device),
            }),
        }
    }
}

impl<B: Backend> Layer<B> {
    /// The same layer evaluating routed experts with `dispatch`.
    pub fn with_dispatch(mut self, dispatch: ExpertDispatch) -> Self {
        self.feed_forward = self.feed_forward.map(|ff| FeedForward {
            norm: ff.norm,
            moe: ff.moe.with_dispatch(dispatch),
        });
        self
    }

    /// The same layer running its scan with `mode`.
    pub fn with_scan(mut self, mode: ScanMode) -> Self {
        if let Mixer::Ssm(ssm) = self.mixer {
            self.mixer = Mixer::Ssm(ssm.with_scan(mode));
        }
        self
    }

    /// Whole sequences.
    ///
    /// # Shapes
    /// x `[b, l, d_model]` → `[b, l, d_model]`.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        state: LayerState<B>,
        train: bool,
    ) -> (Tensor<B, 3>, LayerState<B>, Option<MoeSignals<B>>) {
        let (mixed, state) = self.mixer.forward(self.norm.forward(x.clone()), state);
        let (x, signals) = self.feed(x + mixed, train);
        (x, state, signals)
    }

    /// As [`Self::forward`] for an SSM layer looped by recurrent depth, the tokens where
    /// `active` (`[b, l]`, 1 or 0) is 0 masked out of its state ([`SsmMixer::forward_masked`]).
    pub(crate) fn forward_masked(
        &self,
        x: Tensor<B, 3>,
        state: SsmState<B>,
        active: Tensor<B, 2>,
        train: bool,
    ) -> (Tensor<B, 3>, SsmState<B>, Option<MoeSignals<B>>) {
        let Mixer::Ssm(mixer) = &self.mixer else {
            panic!("a looped layer mixes with the SSM: ModelConfig::validate checks it");
        };
        let normed = self.norm.forward(x.clone());
        let (mixed, state) = mixer.forward_masked(normed, state, Some(active));
        let (x, signals) = self.feed(x + mixed, train);
        (x, state, signals)
    }

    /// The MoE sublayer over `x` (the residual stream after the mixer), where there is one.
    fn feed(&self, x: Tensor<B, 3>, train: bool) -> (Tensor<B, 3>, Option<MoeSignals<B>>) {
        let Some(ff) = &self.feed_forward else {
            return (x, None);
        };
        let [b, l, d] = x.dims();
        let out = ff
            .moe
            .forward(ff.norm.forward(x.clone()).reshape([b * l, d]), train);
        let signals = MoeSignals {
            aux_loss: out.aux_loss,
            expert_load: out.expert_load,
        };
        (x + out.output.reshape([b, l, d]), Some(signals))
    }

    /// One token per sequence.
    ///
    /// # Shapes
    /// x `[b, d_model]` → `[b, d_model]`.
    pub fn step(&self, x: Tensor<B, 2>, state: &mut LayerState<B>) -> Tensor<B, 2> {
        let x = x.clone() + self.mixer.step(self.norm.forward(x), state);
        match &self.feed_forward {
            Some(ff) => x.clone() + ff.moe.infer(ff.norm.forward(x)),
            None => x,
        }
    }
}
