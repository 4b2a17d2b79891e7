//! Symmetric block quantization of weight matrices (int8, int4) and the kernels that use them.
//!
//! A quantized matrix is stored by *rows of dot products*: a Linear weight kept by burn as
//! `[d_in, d_out]` (y = x W) is quantized as its transpose `[d_out, d_in]`, and the token
//! embedding `[vocab, d_model]` as it is (its rows are also the tied LM head's dot products).
//! Each row is cut into blocks of `block` consecutive values; a block stores one scale
//! `s = max|w| / q_max` and the integers `q = round(w / s)` in `[-q_max, q_max]`
//! (`q_max` = 127 for int8, 7 for int4), so `w ≈ s·q`. When `block` does not divide the row
//! length, the whole row is one block (recorded per tensor, so the loader never guesses).
//!
//! Scales are stored as f16 or f32. With f16 the scale is rounded to f16 *before* the integers
//! are chosen, so what the loader dequantizes is exactly what the exporter measured.
//!
//! int4 values are packed two per byte, the first value of a pair in the low nibble, each row
//! starting on a fresh byte (the same order as burn's and GGML's packed int4).
//!
//! [`QuantMatrix::matmul`] is the CPU kernel: it never materialises the float matrix. A single
//! input row (decoding) is dotted block by block with the packed integers ([`kernel`]); more
//! input rows share each matrix row, expanded once into a row-sized buffer.

mod kernel;
mod matrix;

pub use matrix::QuantMatrix;

use std::fmt;

use half::f16;
use serde::{Deserialize, Serialize};

/// The integer format of a quantized tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantScheme {
    /// 8-bit signed integers in `[-127, 127]`.
    Int8,
    /// 4-bit signed integers in `[-7, 7]`, two per byte.
    Int4,
}

impl QuantScheme {
    /// The name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Int4 => "int4",
        }
    }

    /// Parses a manifest or command-line name.
    pub fn parse(name: &str) -> Result<Self, QuantError> {
        match name {
            "int8" => Ok(Self::Int8),
            "int4" => Ok(Self::Int4),
            other => Err(QuantError::UnknownScheme(other.to_string())),
        }
    }

    /// Largest magnitude of a quantized value.
    pub fn q_max(self) -> i8 {
        match self {
            Self::Int8 => 127,
            Self::Int4 => 7,
        }
    }

    /// Bytes one row of `cols` values takes: one a value for int8; for int4 two values a
    /// byte, the first of a pair in the low nibble, each row starting on a fresh byte.
    pub fn row_bytes(self, cols: usize) -> usize {
        match self {
            Self::Int8 => cols,
            Self::Int4 => cols.div_ceil(2),
        }
    }

    /// Values one 32-bit word holds in burn's packed GPU layout.
    pub fn values_per_word(self) -> usize {
        match self {
            Self::Int8 => 4,
            Self::Int4 => 8,
        }
    }

    /// Whether rows of `cols` values in blocks of `block` pack into whole 32-bit words, as
    /// burn's GPU kernels need (and a block fits their `u8` block length).
    pub fn device_packable(self, cols: usize, block: usize) -> bool {
        block <= 255 && block.is_multiple_of(self.values_per_word()) && cols.is_multiple_of(block)
    }
}

impl fmt::Display for QuantScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How block scales are stored in a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleDtype {
    /// IEEE half precision (2 bytes per block).
    #[default]
    F16,
    /// IEEE single precision (4 bytes per block).
    F32,
}

/// What `export --quant` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantOptions {
    /// Integer format of the projections and experts.
    pub scheme: QuantScheme,
    /// Values per block (default 32).
    pub block: usize,
    /// Scale storage (default f16).
    pub scales: ScaleDtype,
}

impl QuantOptions {
    /// `scheme` with block 32 and f16 scales.
    pub fn new(scheme: QuantScheme) -> Self {
        Self {
            scheme,
            block: 32,
            scales: ScaleDtype::F16,
        }
    }
}

/// Why a matrix could not be quantized or read back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantError {
    /// The manifest names a scheme this version does not implement.
    #[error(
        "quantization scheme `{0}` is unknown to this version of Siger (it reads int8 and int4); export the model again or update Siger"
    )]
    UnknownScheme(String),
    /// Block size zero.
    #[error("block size must be at least 1")]
    ZeroBlock,
    /// A block's scale does not fit the chosen scale dtype.
    #[error("a block scale ({0}) does not fit in f16; export with f32 scales")]
    ScaleRange(f32),
    /// The stored bytes do not match the declared shape.
    #[error("{what} has {found} bytes, but a {rows}×{cols} {scheme} matrix needs {expected}")]
    Size {
        /// Integers or scales.
        what: &'static str,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Scheme.
        scheme: QuantScheme,
        /// Bytes needed.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// A value or scale is outside its range (corrupted file).
    #[error("{0}: the file is corrupted")]
    Corrupt(&'static str),
}

/// Encodes scales for a bundle.
pub fn encode_scales(scales: &[f32], dtype: ScaleDtype) -> Vec<u8> {
    match dtype {
        ScaleDtype::F32 => scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
        ScaleDtype::F16 => scales
            .iter()
            .flat_map(|s| f16::from_f32(*s).to_le_bytes())
            .collect(),
    }
}

/// Decodes a bundle's scales.
pub fn decode_scales(bytes: &[u8], dtype: ScaleDtype) -> Vec<f32> {
    match dtype {
        ScaleDtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        ScaleDtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
    }
}

/// The block length used for rows of `cols` values when `requested` is asked for.
pub fn block_len(cols: usize, requested: usize) -> usize {
    if requested > 0 && cols.is_multiple_of(requested) {
        requested
    } else {
        cols
    }
}

/// An int4 byte's two values (low nibble, high nibble), each sign-extended.
pub(crate) fn nibbles(byte: u8) -> (i8, i8) {
    (((byte << 4) as i8) >> 4, (byte as i8) >> 4)
}
