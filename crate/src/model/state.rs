//! The state a decoder carries between tokens. The caller owns it: clone it to fork a
//! conversation, keep it to continue one without reading earlier turns again.
//!
//! An SSM layer's state has a fixed size; an attention layer's key/value cache grows by one
//! entry per token read; a recurrent-depth layer keeps one SSM state per loop.

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

    /// The state after `tokens` tokens the layer did not run on (a looped layer's later loops,
    /// for tokens that halted earlier): their convolution inputs count as zeros and h is
    /// unchanged, exactly what running the mixer with those tokens masked out gives.
    pub fn skip(&mut self, tokens: usize) {
        let [batch, width, channels] = self.conv_state.dims();
        let kept = width.saturating_sub(tokens);
        let zeros = Tensor::zeros([batch, width - kept, channels], &self.conv_state.device());
        self.conv_state = match kept {
            0 => zeros,
            _ => {
                let old = self.conv_state.clone().narrow(1, width - kept, kept);
                Tensor::cat(vec![old, zeros], 1)
            }
        };
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
    /// A recurrent-depth layer's states, one per loop (`recurrent.max_loops`).
    Looped(Vec<SsmState<B>>),
}

impl<B: Backend> LayerState<B> {
    /// Sequences in the batch.
    pub fn batch_size(&self) -> usize {
        match self {
            Self::Ssm(s) => s.ssm_state.dims()[0],
            Self::Attention(cache) => cache.batch,
            Self::Looped(loops) => loops.first().map_or(0, |s| s.ssm_state.dims()[0]),
        }
    }

    /// The state's tensors under the names a session file gives them (`conv_state`,
    /// `ssm_state`; `kv_cache` once the cache holds a token; `loops.{k}.conv_state`,
    /// `loops.{k}.ssm_state` for a looped layer).
    pub fn tensors(&self) -> Vec<(String, Tensor<B, 3>)> {
        let ssm = |prefix: &str, s: &SsmState<B>| {
            [
                (format!("{prefix}conv_state"), s.conv_state.clone()),
                (format!("{prefix}ssm_state"), s.ssm_state.clone()),
            ]
        };
        match self {
            Self::Ssm(s) => ssm("", s).into(),
            Self::Attention(cache) => cache
                .entries
                .iter()
                .map(|e| ("kv_cache".to_string(), e.clone()))
                .collect(),
            Self::Looped(loops) => loops
                .iter()
                .enumerate()
                .flat_map(|(k, s)| ssm(&format!("loops.{k}."), s))
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
    /// Loops the recurrent-depth layer ran for each token of the last read, `[b, tokens]`;
    /// `None` for models without one and before the first read. Not saved in sessions.
    pub loops: Option<Tensor<B, 2>>,
    /// The conversation's topic and context vector ([`crate::Model::condition`]) added to
    /// every token's embedding, `[b, d_model]`; zeros until set, `None` for models without
    /// conditioning. Saved in sessions.
    pub condition: Option<Tensor<B, 2>>,
}

impl<B: Backend> State<B> {
    /// Batch size this state was made for.
    pub fn batch_size(&self) -> usize {
        self.layers.first().map_or(0, LayerState::batch_size)
    }
}
