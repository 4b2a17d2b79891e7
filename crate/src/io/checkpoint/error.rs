//! Why a checkpoint could not be saved or loaded: each message says what to do.

use std::path::PathBuf;

use crate::io::atomic::WriteError;
use crate::io::error::WeightsError;
use crate::model::ConfigError;
use crate::text::TokenizerError;

/// Why a checkpoint could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A save was killed between moving the old checkpoint aside and moving the new one in.
    #[error("the checkpoint is missing because a save was interrupted; the previous checkpoint is intact in {}: rename it back", previous.display())]
    Interrupted {
        /// Where the previous checkpoint is.
        previous: PathBuf,
    },
    /// A required file is absent.
    #[error("checkpoint has no {0}: copy the whole checkpoint folder again")]
    MissingFile(&'static str),
    /// A file is shorter than the manifest says.
    #[error(
        "{file} is truncated: {found} of {expected} bytes; re-download or re-copy the checkpoint"
    )]
    Truncated {
        /// File name.
        file: String,
        /// Bytes present.
        found: u64,
        /// Bytes the manifest records.
        expected: u64,
    },
    /// A file's size or hash differs from the manifest.
    #[error(
        "{file} is corrupted (its {what} does not match manifest.json); re-download or re-copy the checkpoint"
    )]
    Corrupted {
        /// File name.
        file: String,
        /// "size" or "sha256".
        what: &'static str,
    },
    /// The manifest cannot be read.
    #[error("manifest.json is not a Siger checkpoint manifest: {0}")]
    Manifest(String),
    /// The checkpoint was written by a newer Siger.
    #[error(
        "checkpoint format version {found} is newer than this Siger reads ({supported}); update Siger"
    )]
    NewerVersion {
        /// Version in the manifest.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// `config.json` cannot be parsed.
    #[error("config.json cannot be read: {0}")]
    ConfigParse(String),
    /// `config.json` describes an invalid model.
    #[error("config.json is invalid: {0}")]
    Config(#[from] ConfigError),
    /// `tokenizer.json` is unusable.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    /// Tokenizer and model disagree on the vocabulary.
    #[error(
        "tokenizer.json has {tokenizer} ids but config.json's vocab_size is {config}: the files come from different models"
    )]
    VocabMismatch {
        /// Ids in the tokenizer.
        tokenizer: usize,
        /// `vocab_size` in the config.
        config: usize,
    },
    /// An export was asked of a bundle that is already quantized.
    #[error(
        "this checkpoint is already a quantized bundle; export from the f32 checkpoint it came from"
    )]
    AlreadyQuantized,
    /// The model carries LoRA adapters, which a checkpoint does not hold.
    #[error(
        "the model carries LoRA adapters: save them as an adapter folder, or fold them in with `siger-train merge` first"
    )]
    Adapters,
    /// The weights do not fit the config.
    #[error(transparent)]
    Weights(#[from] WeightsError),
}

impl From<WriteError> for CheckpointError {
    fn from(e: WriteError) -> Self {
        Self::Io {
            path: e.path,
            source: e.source,
        }
    }
}
