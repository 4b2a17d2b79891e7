//! The language model, defined once over burn's `Backend`: its configuration, the selective
//! SSM mixer and its scans, the mixture of experts, the layer, the caller-owned decoding state,
//! and the model itself (embedding → layers → norm → head).

pub mod attention;
pub mod block;
pub mod condition;
pub mod config;
pub mod error;
pub mod init;
pub(crate) mod lm;
pub mod lora;
pub mod moe;
pub mod options;
pub mod recurrent;
pub mod scan;
#[cfg(feature = "autodiff")]
pub mod scan_autodiff;
#[cfg(feature = "autodiff")]
pub mod scan_grad;
pub mod size;
pub mod ssm;
pub mod state;

pub use block::Mixer;
pub use config::{
    AttentionConfig, ConditioningConfig, ConfigError, DtRank, ModelConfig, MoeConfig,
    RecurrentConfig,
};
pub use lm::{Model, ModelOutput};
pub use lora::{LoraConfig, LoraError, LoraTarget};
pub use moe::ExpertDispatch;
pub use size::ImpliedSize;
pub use ssm::ScanMode;
pub use state::{KvCache, LayerState, SsmState, State};
