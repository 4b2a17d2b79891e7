//! Model hyper-parameters: [`ModelConfig`] (the SSM stack) and [`MoeConfig`] (its sparse
//! feed-forward layers), with named presets and validation; the architecture options'
//! settings ([`AttentionConfig`], [`RecurrentConfig`], [`ConditioningConfig`]) are in
//! `options.rs`.
//!
//! Every field documents its default. Sizes that follow from others (`d_inner`, `dt_rank`) are
//! methods, never stored twice, so a `config.json` cannot contradict itself.

use burn::config::Config;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::model::error::ConfigError;
pub use crate::model::options::{AttentionConfig, ConditioningConfig, MAX_LOOPS, RecurrentConfig};

/// Rank of Δ's low-rank projection (Mamba's `dt_rank`). Serialised as `"auto"` or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtRank {
    /// `ceil(d_model / 16)`, as in Mamba.
    Auto,
    /// An explicit rank.
    Fixed(usize),
}

impl Serialize for DtRank {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DtRank::Auto => s.serialize_str("auto"),
            DtRank::Fixed(r) => s.serialize_u64(*r as u64),
        }
    }
}

impl<'de> Deserialize<'de> for DtRank {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Rank(usize),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Rank(r) => Ok(DtRank::Fixed(r)),
            Raw::Word(w) if w == "auto" => Ok(DtRank::Auto),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "dt_rank must be \"auto\" or a positive integer, not \"{w}\""
            ))),
        }
    }
}

/// Sparse mixture-of-experts feed-forward: top-k routed SwiGLU experts plus always-on shared ones.
#[derive(Config, Debug, PartialEq)]
pub struct MoeConfig {
    /// Every `moe_every`-th layer carries a MoE feed-forward sublayer (layers `moe_every - 1`,
    /// `2 * moe_every - 1`, …, counted from 0); the others are pure SSM layers. 0 = no MoE.
    /// Default: 2.
    #[config(default = 2)]
    pub moe_every: usize,
    /// Number of routed experts. Default: 8.
    #[config(default = 8)]
    pub routed_experts: usize,
    /// Routed experts each token is sent to (top-k). Default: 2.
    #[config(default = 2)]
    pub experts_per_token: usize,
    /// Experts every token always goes through, beside the routed ones. Default: 1.
    #[config(default = 1)]
    pub shared_experts: usize,
    /// Hidden size of each SwiGLU expert. Default: 256.
    #[config(default = 256)]
    pub expert_hidden: usize,
    /// Weight of the Switch load-balancing loss added to the training loss. Default: 0.01.
    #[config(default = 0.01)]
    pub aux_loss_weight: f64,
    /// Multiplicative router input noise `U(1 - ε, 1 + ε)` during training (Switch). Default: 0.0.
    #[config(default = 0.0)]
    pub router_jitter: f64,
}

/// The whole language model: embedding, `n_layers` selective-SSM layers (some with a MoE
/// feed-forward), final RMSNorm and LM head.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// Vocabulary size covered by the embedding and the LM head. Default: 8192.
    #[config(default = 8192)]
    pub vocab_size: usize,
    /// Width of the residual stream. Default: 256.
    #[config(default = 256)]
    pub d_model: usize,
    /// Number of layers. Default: 8.
    #[config(default = 8)]
    pub n_layers: usize,
    /// SSM state size per channel (N in the paper). Default: 16.
    #[config(default = 16)]
    pub d_state: usize,
    /// Width of the causal depthwise convolution. Default: 4.
    #[config(default = 4)]
    pub d_conv: usize,
    /// Inner width factor: `d_inner = expand * d_model`. Default: 2.
    #[config(default = 2)]
    pub expand: usize,
    /// Rank of Δ's projection; `"auto"` = `ceil(d_model / 16)`. Default: auto.
    #[config(default = "DtRank::Auto")]
    pub dt_rank: DtRank,
    /// Smallest initial Δ (Mamba's `dt_min`). Default: 0.001.
    #[config(default = 0.001)]
    pub dt_min: f64,
    /// Largest initial Δ (Mamba's `dt_max`). Default: 0.1.
    #[config(default = 0.1)]
    pub dt_max: f64,
    /// Floor applied to the sampled initial Δ. Default: 1e-4.
    #[config(default = 1e-4)]
    pub dt_init_floor: f64,
    /// RMSNorm epsilon. Default: 1e-5.
    #[config(default = 1e-5)]
    pub norm_eps: f64,
    /// Share the embedding matrix with the LM head. Default: true.
    #[config(default = true)]
    pub tie_embeddings: bool,
    /// Standard deviation of the embedding and router initialisation. Default: 0.02.
    #[config(default = 0.02)]
    pub init_std: f64,
    /// Mixture-of-experts settings. Default: [`MoeConfig::new()`].
    #[config(default = "MoeConfig::new()")]
    pub moe: MoeConfig,
    /// Attention layers in place of some SSM layers, and their shape. Default: none (absent
    /// from `config.json`: every mixer is the selective SSM).
    pub attention: Option<AttentionConfig>,
    /// One layer looped per token with learned halting. Default: none (absent from
    /// `config.json`: every layer runs once).
    pub recurrent: Option<RecurrentConfig>,
    /// Topic and context conditioning. Default: none (absent from `config.json`: the model
    /// reads tokens alone).
    pub conditioning: Option<ConditioningConfig>,
}

impl ModelConfig {
    /// A tiny model for tests: 2 layers (the second with MoE), d_model 32, vocab 512.
    pub fn tiny() -> Self {
        Self::new()
            .with_vocab_size(512)
            .with_d_model(32)
            .with_n_layers(2)
            .with_d_state(8)
            .with_moe(
                MoeConfig::new()
                    .with_routed_experts(4)
                    .with_experts_per_token(2)
                    .with_expert_hidden(48),
            )
    }

    /// The demo model's shape: 6 layers of width 192, a 4096-id vocabulary, MoE (8 routed
    /// experts, top-2, one shared) on every second layer — about 4.3 M parameters, 17 MB in f32,
    /// trainable on a laptop CPU within an hour.
    pub fn small() -> Self {
        Self::new()
            .with_vocab_size(4096)
            .with_d_model(192)
            .with_n_layers(6)
            .with_moe(MoeConfig::new().with_expert_hidden(128))
    }

    /// The second-generation demo model's shape, chosen by bits per byte at equal training time on
    /// the corpus mix (README, "The demo model"): 4 layers of width 256 with d_state 8, an
    /// 8192-id vocabulary, MoE (8 routed experts of hidden width 192, top-2, one shared) on every
    /// second layer — about 6 M parameters, an int4 bundle of about 4 MB.
    pub fn demo() -> Self {
        Self::new()
            .with_vocab_size(8192)
            .with_d_model(256)
            .with_n_layers(4)
            .with_d_state(8)
            .with_moe(MoeConfig::new().with_expert_hidden(192))
    }

    /// The GPU benchmark's middle size (`pkg-scripts/bench-train-gpu`): 8 layers of width 384,
    /// 8 experts of hidden width 512 (top-2, one shared) on every second layer, a 16384-id
    /// vocabulary — about 35 M parameters.
    pub fn medium() -> Self {
        Self::new()
            .with_vocab_size(16384)
            .with_d_model(384)
            .with_n_layers(8)
            .with_moe(MoeConfig::new().with_expert_hidden(512))
    }

    /// A GPU-sized preset for researchers: 12 layers of width 512, 16 experts (top-2, one shared)
    /// on every second layer, a 16384-id vocabulary.
    pub fn base() -> Self {
        Self::new()
            .with_vocab_size(16384)
            .with_d_model(512)
            .with_n_layers(12)
            .with_moe(
                MoeConfig::new()
                    .with_routed_experts(16)
                    .with_expert_hidden(512),
            )
    }

    /// Looks a preset up by name (`tiny`, `small`, `demo`, `medium`, `base`).
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "tiny" => Some(Self::tiny()),
            "small" => Some(Self::small()),
            "demo" => Some(Self::demo()),
            "medium" => Some(Self::medium()),
            "base" => Some(Self::base()),
            _ => None,
        }
    }

    /// Inner width of the SSM mixer: `expand * d_model`.
    pub fn d_inner(&self) -> usize {
        self.expand * self.d_model
    }

    /// Rank of Δ's low-rank projection.
    pub fn dt_rank(&self) -> usize {
        match self.dt_rank {
            DtRank::Auto => self.d_model.div_ceil(16),
            DtRank::Fixed(r) => r,
        }
    }

    /// Whether layer `index` (from 0) carries a MoE feed-forward.
    pub fn is_moe_layer(&self, index: usize) -> bool {
        let every = self.moe.moe_every;
        every > 0 && index % every == every - 1
    }

    /// Whether layer `index` (from 0) mixes with attention rather than the selective SSM.
    pub fn is_attention_layer(&self, index: usize) -> bool {
        self.attention
            .as_ref()
            .is_some_and(|a| a.layers.contains(&index))
    }

    /// Whether layer `index` (from 0) is the looped recurrent-depth layer.
    pub fn is_recurrent_layer(&self, index: usize) -> bool {
        self.recurrent.as_ref().is_some_and(|r| r.layer == index)
    }

    /// How many layers carry a MoE feed-forward.
    pub fn moe_layers(&self) -> usize {
        // Layers every-1, 2·every-1, …: counted, not enumerated (n_layers may be hostile).
        self.n_layers.checked_div(self.moe.moe_every).unwrap_or(0)
    }

    /// Checks that the configuration describes a buildable model.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let sizes = [
            ("vocab_size", self.vocab_size),
            ("d_model", self.d_model),
            ("n_layers", self.n_layers),
            ("d_state", self.d_state),
            ("d_conv", self.d_conv),
            ("expand", self.expand),
            ("dt_rank", self.dt_rank()),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Zero(name));
        }
        // The causal convolution keeps the previous d_conv − 1 inputs as state: at least one.
        if self.d_conv < 2 {
            return Err(ConfigError::TooSmall {
                field: "d_conv",
                value: self.d_conv,
                min: 2,
            });
        }
        let positive = |field, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(ConfigError::Range {
                    field,
                    value,
                    expected: "a finite number > 0",
                })
            }
        };
        positive("dt_min", self.dt_min)?;
        positive("dt_max", self.dt_max)?;
        positive("dt_init_floor", self.dt_init_floor)?;
        positive("norm_eps", self.norm_eps)?;
        positive("init_std", self.init_std)?;
        if self.dt_min > self.dt_max {
            return Err(ConfigError::Range {
                field: "dt_min",
                value: self.dt_min,
                expected: "at most dt_max",
            });
        }
        if self.moe_layers() > 0 {
            self.moe.validate()?;
        }
        if let Some(attention) = &self.attention {
            attention.validate(self.n_layers)?;
        }
        if let Some(recurrent) = &self.recurrent {
            recurrent.validate(self.n_layers, self.attention.as_ref())?;
        }
        if let Some(conditioning) = &self.conditioning {
            conditioning.validate()?;
        }
        self.implied_size()?;
        Ok(())
    }
}

impl MoeConfig {
    /// Checks the expert counts and loss settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.routed_experts == 0 {
            return Err(ConfigError::Zero("moe.routed_experts"));
        }
        if self.expert_hidden == 0 {
            return Err(ConfigError::Zero("moe.expert_hidden"));
        }
        if self.experts_per_token == 0 || self.experts_per_token > self.routed_experts {
            return Err(ConfigError::TopK {
                k: self.experts_per_token,
                e: self.routed_experts,
            });
        }
        let non_negative = |field, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(ConfigError::Range {
                    field,
                    value,
                    expected: "a finite number >= 0",
                })
            }
        };
        non_negative("moe.aux_loss_weight", self.aux_loss_weight)?;
        non_negative("moe.router_jitter", self.router_jitter)?;
        if self.router_jitter >= 1.0 {
            return Err(ConfigError::Range {
                field: "moe.router_jitter",
                value: self.router_jitter,
                expected: "below 1",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dt_rank_auto_is_ceil_of_d_model_over_16() {
        let c = ModelConfig::new().with_d_model(33);
        assert_eq!(c.dt_rank(), 3);
        assert_eq!(c.with_dt_rank(DtRank::Fixed(7)).dt_rank(), 7);
    }

    #[test]
    fn moe_layers_follow_moe_every() {
        let c = ModelConfig::new().with_n_layers(6);
        let moe: Vec<_> = (0..6).filter(|&i| c.is_moe_layer(i)).collect();
        assert_eq!(moe, vec![1, 3, 5]);
        let none = c.with_moe(MoeConfig::new().with_moe_every(0));
        assert_eq!(none.moe_layers(), 0);
    }

    #[test]
    fn json_round_trip_keeps_auto_and_fixed_rank() {
        for rank in [DtRank::Auto, DtRank::Fixed(5)] {
            let c = ModelConfig::tiny().with_dt_rank(rank);
            let json = serde_json::to_string(&c).unwrap();
            let back: ModelConfig = serde_json::from_str(&json).unwrap();
            assert_eq!(back, c);
        }
        assert!(
            serde_json::to_string(&ModelConfig::tiny())
                .unwrap()
                .contains("\"auto\"")
        );
    }

    #[test]
    fn invalid_configs_are_rejected() {
        assert_eq!(
            ModelConfig::tiny().with_d_model(0).validate(),
            Err(ConfigError::Zero("d_model"))
        );
        let bad_k = ModelConfig::tiny().with_moe(MoeConfig::new().with_experts_per_token(9));
        assert!(matches!(
            bad_k.validate(),
            Err(ConfigError::TopK { k: 9, e: 8 })
        ));
        let bad_dt = ModelConfig::tiny().with_dt_min(1.0).with_dt_max(0.1);
        assert!(bad_dt.validate().is_err());
        assert!(ModelConfig::tiny().validate().is_ok());
        assert!(ModelConfig::small().validate().is_ok());
        assert!(ModelConfig::base().validate().is_ok());
    }
}
