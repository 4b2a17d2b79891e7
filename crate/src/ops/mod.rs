//! Building blocks over burn tensors that the model is made of: linear layers and the embedding
//! (float or quantized weights) and their LoRA adapters, the SiLU activation, a vectorisable
//! `exp`, and where a backend runs Siger's host kernels.

pub mod activation;
pub mod exp;
pub mod linear;
pub mod lora;
pub mod placement;
pub mod quant_weight;
