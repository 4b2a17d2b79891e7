//! The recurrent state a decoder carries between tokens. The caller owns it: clone it to fork
//! a conversation, keep it to continue one without reading earlier turns again.

use burn::tensor::{Tensor, backend::Backend};

/// One SSM layer's state.
#[derive(Debug, Clone)]
pub struct LayerState<B: Backend> {
    /// The last `d_conv - 1` inputs of the causal convolution, `[batch, d_conv - 1, d_inner]`.
    pub conv_state: Tensor<B, 3>,
    /// The SSM hidden state h, `[batch, d_inner, d_state]`.
    pub ssm_state: Tensor<B, 3>,
}

impl<B: Backend> LayerState<B> {
    /// The state before any token: all zeros.
    pub fn zeros(
        batch: usize,
        d_conv: usize,
        d_inner: usize,
        d_state: usize,
        device: &B::Device,
    ) -> Self {
        Self {
            conv_state: Tensor::zeros([batch, d_conv - 1, d_inner], device),
            ssm_state: Tensor::zeros([batch, d_inner, d_state], device),
        }
    }
}

/// The whole model's state: one [`LayerState`] per layer, plus how many tokens it has read.
#[derive(Debug, Clone)]
pub struct State<B: Backend> {
    /// Per-layer states, in layer order.
    pub layers: Vec<LayerState<B>>,
    /// Tokens consumed so far.
    pub position: usize,
}

impl<B: Backend> State<B> {
    /// Batch size this state was made for.
    pub fn batch_size(&self) -> usize {
        self.layers.first().map_or(0, |l| l.ssm_state.dims()[0])
    }
}
