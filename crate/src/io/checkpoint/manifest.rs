//! `manifest.json`: the format and its version, the size and sha256 of every file, the
//! parameter counts, and for a quantized bundle how each quantized tensor is stored. Verifying
//! a checkpoint's files against it comes before anything is parsed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::CheckpointError;
use crate::io::bundle::TensorQuant;

/// The manifest's `format` value.
pub const FORMAT: &str = "siger-checkpoint";
/// The newest format version this build reads. Float checkpoints are written as version 1
/// (every Siger reads them); quantized bundles as version 2, which added `quantization`.
pub const FORMAT_VERSION: u32 = 2;
/// The version float checkpoints are written as.
pub(super) const FLOAT_FORMAT_VERSION: u32 = 1;
/// Config file name (the four names are the files of a checkpoint folder).
pub const CONFIG_FILE: &str = "config.json";
/// Weights file name.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Tokenizer file name.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Manifest file name.
pub const MANIFEST_FILE: &str = "manifest.json";
const PAYLOAD: [&str; 3] = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE];

/// The raw files of a checkpoint, e.g. as fetched by a browser.
#[derive(Debug, Clone, Default)]
pub struct CheckpointFiles {
    /// `manifest.json`.
    pub manifest: Vec<u8>,
    /// `config.json`.
    pub config: Vec<u8>,
    /// `model.safetensors`.
    pub weights: Vec<u8>,
    /// `tokenizer.json`.
    pub tokenizer: Vec<u8>,
}

/// Size and hash of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Length in bytes.
    pub bytes: u64,
    /// Lower-case hex sha256.
    pub sha256: String,
}

/// Parameter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterCounts {
    /// Every parameter.
    pub total: u64,
    /// Parameters one token passes through: all but the routed experts it is not sent to.
    pub active_per_token: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version.
    pub format_version: u32,
    /// The Siger version that wrote it.
    pub created_by: String,
    /// Each payload file by name.
    pub files: BTreeMap<String, FileEntry>,
    /// Parameter counts.
    pub parameters: ParameterCounts,
    /// For a quantized bundle, how each quantized tensor is stored (absent: all f32).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quantization: BTreeMap<String, TensorQuant>,
}

/// Checks the manifest and every file's size and hash.
pub fn verify(files: &CheckpointFiles) -> Result<Manifest, CheckpointError> {
    let manifest: Manifest = serde_json::from_slice(&files.manifest)
        .map_err(|e| CheckpointError::Manifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(CheckpointError::Manifest(format!(
            "format is \"{}\", expected \"{FORMAT}\"",
            manifest.format
        )));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(CheckpointError::NewerVersion {
            found: manifest.format_version,
            supported: FORMAT_VERSION,
        });
    }
    let contents = [&files.config, &files.weights, &files.tokenizer];
    for (name, bytes) in PAYLOAD.iter().zip(contents) {
        let expected = manifest
            .files
            .get(*name)
            .ok_or_else(|| CheckpointError::Manifest(format!("no entry for {name}")))?;
        let found = bytes.len() as u64;
        if found < expected.bytes {
            return Err(CheckpointError::Truncated {
                file: name.to_string(),
                found,
                expected: expected.bytes,
            });
        }
        if found != expected.bytes {
            return Err(CheckpointError::Corrupted {
                file: name.to_string(),
                what: "size",
            });
        }
        if entry(bytes).sha256 != expected.sha256 {
            return Err(CheckpointError::Corrupted {
                file: name.to_string(),
                what: "sha256",
            });
        }
    }
    Ok(manifest)
}

/// Reads an extra file written by [`save_with`], checking it against the manifest.
pub fn read_extra(dir: &Path, manifest: &Manifest, name: &str) -> Result<Vec<u8>, CheckpointError> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|source| CheckpointError::Io { path, source })?;
    match manifest.files.get(name) {
        Some(expected) if *expected == entry(&bytes) => Ok(bytes),
        Some(_) => Err(CheckpointError::Corrupted {
            file: name.to_string(),
            what: "sha256",
        }),
        None => Err(CheckpointError::Manifest(format!("no entry for {name}"))),
    }
}

/// The size and sha256 of `bytes`.
pub fn entry(bytes: &[u8]) -> FileEntry {
    FileEntry {
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
    }
}
