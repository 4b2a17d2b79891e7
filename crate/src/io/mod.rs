//! Reading and writing models: one safetensors reader/writer, the table of tensor names, named
//! weights, quantized bundles, the manifest, the verified checkpoint folder, LoRA adapter
//! folders, and the atomic file and folder writes everything on disk goes through.

pub mod adapter;
pub mod atomic;
pub mod bundle;
pub mod checkpoint;
pub mod error;
pub mod names;
pub mod safetensors;
pub mod weights;
