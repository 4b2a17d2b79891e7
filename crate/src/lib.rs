//! Siger's core: a small language model built from selective state-space (Mamba-like) layers
//! with sparse mixture-of-experts feed-forwards, written once over burn's `Backend` so the same
//! code trains natively (autodiff), runs natively (CPU, wgpu) and runs in the browser.
//!
//! Beside the model: a byte-level BPE [`tokenizer`], a seeded [`sampling::Sampler`], a
//! streaming [`generate::Generator`], a verified [`checkpoint`] folder format, and the
//! lookup-first Lampung ↔ Indonesian [`translate`] pipeline that cites every word's source.

pub mod activation;
pub mod block;
pub mod bundle;
pub mod chat;
pub mod checkpoint;
pub mod config;
pub mod exp;
pub mod generate;
pub mod linear;
pub mod model;
pub mod model_guesser;
pub mod moe;
pub mod quant;
pub mod sampling;
pub mod scan;
pub mod ssm;
pub mod state;
pub mod tokenizer;
pub mod translate;
#[cfg(all(target_arch = "wasm32", feature = "web"))]
pub mod web;
pub mod weights;

#[cfg(test)]
pub(crate) mod test_util;

pub use config::{ConfigError, DtRank, ModelConfig, MoeConfig};
pub use model::{Model, ModelOutput};
pub use moe::ExpertDispatch;
pub use ssm::ScanMode;
pub use state::{LayerState, State};
