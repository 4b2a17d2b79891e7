//! Siger's core: a small language model built from selective state-space (Mamba-like) layers
//! with sparse mixture-of-experts feed-forwards, written once over burn's `Backend` so the same
//! code trains natively (autodiff), runs natively (CPU, wgpu) and runs in the browser.
//!
//! The modules are layers; each uses only the ones listed before it (ARCHITECTURE.md has the
//! map):
//! - [`quant`]: int8/int4 block formats and the CPU kernel over packed integers (no burn);
//! - [`ops`]: building blocks over burn tensors (linear layers whose weights are float or
//!   quantized, activations, where a backend runs host kernels);
//! - [`model`]: the configuration, the SSM mixer and its scans, the MoE, layers, the model;
//! - [`text`]: the byte-level BPE tokenizer and the chat template;
//! - [`io`]: safetensors, tensor names, weights, quantized bundles, the verified checkpoint
//!   folder, atomic writes;
//! - [`translate`]: the lookup-first Lampung ↔ Indonesian translator that cites every word's
//!   source (independent of the model);
//! - [`ground`]: answers grounded in a given source, cited sentence by sentence, or an
//!   abstention (uses the translator's Indonesian morphology; independent of the model);
//! - [`infer`]: sampling, streaming generation, chats and their sessions, the model as the
//!   translator's guesser;
//! - `web`: the wasm-bindgen bindings (wasm32 with the `web` feature only).

pub mod ground;
pub mod infer;
pub mod io;
pub mod model;
pub mod ops;
pub mod quant;
pub mod text;
pub mod translate;
#[cfg(all(target_arch = "wasm32", feature = "web"))]
pub mod web;

#[cfg(test)]
pub(crate) mod test_util;

pub use model::{
    ConfigError, DtRank, ExpertDispatch, LayerState, Model, ModelConfig, ModelOutput, MoeConfig,
    ScanMode, State,
};
