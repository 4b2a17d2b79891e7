//! Why weights could not be read from a file or put into a model.

/// Why weights could not be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file is not valid safetensors.
    #[error("weights file is not valid safetensors ({0}); it may be truncated or corrupted")]
    Format(String),
    /// The file holds a different number of tensors than the configuration implies.
    #[error(
        "the configuration implies {expected} tensors but the weights file holds {found}: they come from different models"
    )]
    TensorCount {
        /// Tensors the configuration implies.
        expected: u64,
        /// Tensors in the file.
        found: usize,
    },
    /// The configuration's model is larger than the loader allows.
    #[error(
        "the model has {parameters} parameters, more than this loader allows ({cap}); use a smaller model"
    )]
    TooManyParameters {
        /// Parameters the configuration implies.
        parameters: u64,
        /// The cap.
        cap: u64,
    },
    /// A quantized matrix's layout cannot run on a GPU backend.
    #[error(
        "tensor `{name}` is {scheme} in blocks of {block} over {cols} columns, which the GPU kernels cannot run (a block must be at most 255 values, a multiple of {per_word}, and divide the row); use the CPU engine, or re-export the bundle with the default block"
    )]
    NotDevicePackable {
        /// Tensor name.
        name: String,
        /// `int8` or `int4`.
        scheme: String,
        /// Values per block.
        block: usize,
        /// Columns per row.
        cols: usize,
        /// Values in one packed u32 word.
        per_word: usize,
    },
    /// The model expects a tensor the file lacks.
    #[error("weights file has no tensor `{0}`: it was saved from a different model configuration")]
    Missing(String),
    /// The file has a tensor the model does not.
    #[error(
        "weights file has an unexpected tensor `{0}`: it was saved from a different model configuration"
    )]
    Unexpected(String),
    /// A tensor has the wrong shape for this configuration.
    #[error("tensor `{name}` has shape {found:?}, but the configuration needs {expected:?}")]
    Shape {
        /// Tensor name.
        name: String,
        /// Shape the model needs.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// A tensor is stored in a dtype this loader does not read.
    #[error(
        "tensor `{name}` is stored as {dtype}, which this manifest does not declare as quantized; the file is corrupted or from a newer Siger"
    )]
    DType {
        /// Tensor name.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// A quantized tensor cannot be made or read.
    #[error("tensor `{name}`: {source}")]
    Quant {
        /// Tensor name.
        name: String,
        /// What is wrong.
        source: crate::quant::QuantError,
    },
    /// A stored tensor's dtype or shape disagrees with the manifest.
    #[error(
        "tensor `{name}` is stored as {found}, but the manifest describes {expected}: the bundle is corrupted"
    )]
    Layout {
        /// Tensor name.
        name: String,
        /// What the manifest implies.
        expected: String,
        /// What the file holds.
        found: String,
    },
    /// A tensor holds NaN or infinity.
    #[error("tensor `{0}` contains NaN or infinite values: the checkpoint is corrupted")]
    NonFinite(String),
}
