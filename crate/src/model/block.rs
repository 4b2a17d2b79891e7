//! One layer of the stack: RMSNorm → selective SSM mixer → residual, and on MoE layers a second
//! sublayer RMSNorm → MoE feed-forward → residual.

use burn::module::Module;
use burn::nn::{RmsNorm, RmsNormConfig};
use burn::tensor::{Tensor, backend::Backend};

use crate::model::config::ModelConfig;
use crate::model::moe::{ExpertDispatch, Moe};
use crate::model::ssm::SsmMixer;
use crate::model::state::LayerState;

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
    /// The selective SSM.
    pub mixer: SsmMixer<B>,
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
            mixer: self.init_mixer(device),
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
    pub fn with_scan(mut self, mode: crate::model::ssm::ScanMode) -> Self {
        self.mixer = self.mixer.with_scan(mode);
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
        let x = x + mixed;
        let Some(ff) = &self.feed_forward else {
            return (x, state, None);
        };
        let [b, l, d] = x.dims();
        let out = ff
            .moe
            .forward(ff.norm.forward(x.clone()).reshape([b * l, d]), train);
        let signals = MoeSignals {
            aux_loss: out.aux_loss,
            expert_load: out.expert_load,
        };
        (x + out.output.reshape([b, l, d]), state, Some(signals))
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
