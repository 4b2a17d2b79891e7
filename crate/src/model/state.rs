//! The state a decoder carries between tokens. The caller owns it: clone it to fork a
//! conversation, keep it to continue one without reading earlier turns again.
//!
//! An SSM layer's state has a fixed size; an attention layer's key/value cache grows by one
//! entry per token read.

use burn::tensor::{Tensor, backend::Backend};

/// One SSM layer's state.
#[derive(Debug, Clone)]
pub struct SsmState<B: Backend> {
    /// The last `d_conv - 1` inputs of the causal convolution, `[batch, d_conv - 1, d_inner]`.
    pub conv_state: Tensor<B, 3>,
    /// The SSM hidden state h, `[batch, d_inner, d_state]`.
    pub ssm_state: Tensor<B, 3>,
}

impl<B: Backend> SsmState<B> {
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

/// One attention layer's cache: per token read, the compressed latent and the rotated shared
/// key of multi-head latent attention (`kv_rank + rope_dim` numbers, whatever the head count).
#[derive(Debug, Clone)]
pub struct KvCache<B: Backend> {
    /// Sequences in the batch.
    pub batch: usize,
    /// Numbers cached per token: `kv_rank + rope_dim`.
    pub width: usize,
    /// Where the entries live.
    pub device: B::Device,
    /// `[batch, tokens, width]`; `None` before the first token.
    pub entries: Option<Tensor<B, 3>>,
}

impl<B: Backend> KvCache<B> {
    /// The cache before any token.
    pub fn empty(batch: usize, width: usize, device: &B::Device) -> Self {
        Self {
            batch,
            width,
            device: device.clone(),
            entries: None,
        }
    }

    /// Tokens cached: the position of the next token.
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, |e| e.dims()[1])
    }

    /// Whether no token has been read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_none()
    }
}

/// One layer's state, of the kind its mixer needs.
#[derive(Debug, Clone)]
pub enum LayerState<B: Backend> {
    /// A selective-SSM layer's recurrent state.
    Ssm(SsmState<B>),
    /// An attention layer's key/value cache.
    Attention(KvCache<B>),
}

impl<B: Backend> LayerState<B> {
    /// Sequences in the batch.
    pub fn batch_size(&self) -> usize {
        match self {
            Self::Ssm(s) => s.ssm_state.dims()[0],
            Self::Attention(cache) => cache.batch,
        }
    }

    /// The state's tensors under the names a session file gives them (`conv_state`,
    /// `ssm_state`; `kv_cache` once the cache holds a token).
    pub fn tensors(&self) -> Vec<(&'static str, Tensor<B, 3>)> {
        match self {
            Self::Ssm(s) => vec![
                ("conv_state", s.conv_state.clone()),
                ("ssm_state", s.ssm_state.clone()),
            ],
            Self::Attention(cache) => cache
                .entries
                .iter()
                .map(|e| ("kv_cache", e.clone()))
                .collect(),
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
        self.layers.first().map_or(0, LayerState::batch_size)
    }
}
