//! The settings of the model's architecture options, each an optional field of
//! [`crate::ModelConfig`]: [`AttentionConfig`] (layers that mix with attention instead of the
//! SSM), [`RecurrentConfig`] (one layer looped per token until it halts) and
//! [`ConditioningConfig`] (a conversation's topic and context added to every token).

use burn::config::Config;

use crate::model::error::ConfigError;

/// Where attention layers go and their shape.
#[derive(Config, Debug, PartialEq)]
pub struct AttentionConfig {
    /// Layers (from 0) whose mixer is attention instead of the selective SSM. Default: none.
    #[config(default = "Vec::new()")]
    pub layers: Vec<usize>,
    /// Query heads. Default: 4.
    #[config(default = 4)]
    pub heads: usize,
    /// Content width of each head's queries, keys and values. Default: 64.
    #[config(default = 64)]
    pub head_dim: usize,
    /// Width of the compressed latent each token caches (d_c). Default: 64.
    #[config(default = 64)]
    pub kv_rank: usize,
    /// Width of the rotary part of queries and of the shared key (d_R); even. Default: 16.
    #[config(default = 16)]
    pub rope_dim: usize,
    /// Base of the rotary frequencies. Default: 10000.
    #[config(default = 10000.0)]
    pub rope_theta: f64,
}

impl AttentionConfig {
    /// Checks the sizes and that every listed layer exists in a stack of `n_layers`.
    pub fn validate(&self, n_layers: usize) -> Result<(), ConfigError> {
        let sizes = [
            ("attention.heads", self.heads),
            ("attention.head_dim", self.head_dim),
            ("attention.kv_rank", self.kv_rank),
            ("attention.rope_dim", self.rope_dim),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Zero(name));
        }
        if self.rope_dim % 2 == 1 {
            return Err(ConfigError::Range {
                field: "attention.rope_dim",
                value: self.rope_dim as f64,
                expected: "an even number (rotary positions turn pairs)",
            });
        }
        if !(self.rope_theta.is_finite() && self.rope_theta > 1.0) {
            return Err(ConfigError::Range {
                field: "attention.rope_theta",
                value: self.rope_theta,
                expected: "a finite number > 1",
            });
        }
        match self.layers.iter().find(|&&i| i >= n_layers) {
            Some(&i) => Err(ConfigError::Range {
                field: "attention.layers",
                value: i as f64,
                expected: "layer indices below n_layers",
            }),
            None => Ok(()),
        }
    }

    /// Numbers cached per token and layer: `kv_rank + rope_dim`.
    pub fn cache_width(&self) -> usize {
        self.kv_rank + self.rope_dim
    }
}

/// One SSM layer of the stack run as a recurrent-depth block: looped up to `max_loops` times
/// per token, each token stopping by its own learned halting signal (Graves 2016, "Adaptive
/// Computation Time for Recurrent Neural Networks").
#[derive(Config, Debug, PartialEq)]
pub struct RecurrentConfig {
    /// The looped layer (from 0); an SSM layer (not one of `attention.layers`). Default: 1.
    #[config(default = 1)]
    pub layer: usize,
    /// Most loops per token. Default: 4.
    #[config(default = 4)]
    pub max_loops: usize,
    /// A token stops once its halting probabilities sum to this (ACT's 1 − ε). Default: 0.99.
    #[config(default = 0.99)]
    pub threshold: f64,
    /// Weight of the ponder cost (loops + remainder, mean over tokens) in the training loss.
    /// Default: 0.01.
    #[config(default = 0.01)]
    pub ponder_weight: f64,
}

/// Topic and context conditioning (the founding documents' e_w + e_T + e_C): the mean of the
/// model's own token embeddings over a conversation's topic text, and over its context text,
/// each through a learned `[d_model, d_model]` map, added to every token's embedding. Any topic
/// works; there is no table of topic ids.
#[derive(Config, Debug, PartialEq)]
pub struct ConditioningConfig {
    /// Tokens of a topic or a context that are pooled (the rest is cut). Default: 64.
    #[config(default = 64)]
    pub max_tokens: usize,
}

impl ConditioningConfig {
    /// Checks the pooled length.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if (1..=4096).contains(&self.max_tokens) {
            return Ok(());
        }
        Err(ConfigError::Range {
            field: "conditioning.max_tokens",
            value: self.max_tokens as f64,
            expected: "between 1 and 4096",
        })
    }
}

/// Most loops a recurrent-depth layer may run: each loop keeps its own state.
pub const MAX_LOOPS: usize = 64;

impl RecurrentConfig {
    /// Checks the loop count, threshold and weight, and that the looped layer is an SSM layer
    /// of a stack of `n_layers` whose attention layers are `attention`'s.
    pub fn validate(
        &self,
        n_layers: usize,
        attention: Option<&AttentionConfig>,
    ) -> Result<(), ConfigError> {
        if self.layer >= n_layers {
            return Err(ConfigError::Range {
                field: "recurrent.layer",
                value: self.layer as f64,
                expected: "a layer index below n_layers",
            });
        }
        if attention.is_some_and(|a| a.layers.contains(&self.layer)) {
            return Err(ConfigError::Range {
                field: "recurrent.layer",
                value: self.layer as f64,
                expected: "an SSM layer (attention layers cannot loop: their cache would need \
                           an entry per loop for tokens that stopped)",
            });
        }
        if !(1..=MAX_LOOPS).contains(&self.max_loops) {
            return Err(ConfigError::Range {
                field: "recurrent.max_loops",
                value: self.max_loops as f64,
                expected: "between 1 and 64",
            });
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(ConfigError::Range {
                field: "recurrent.threshold",
                value: self.threshold,
                expected: "in (0, 1]",
            });
        }
        if !(self.ponder_weight.is_finite() && self.ponder_weight >= 0.0) {
            return Err(ConfigError::Range {
                field: "recurrent.ponder_weight",
                value: self.ponder_weight,
                expected: "a finite number >= 0",
            });
        }
        Ok(())
    }
}
