//! The checkpoint folder: `config.json`, `model.safetensors`, `tokenizer.json` and
//! `manifest.json` (format version, size and sha256 of each file, parameter counts).
//!
//! Loading verifies everything before building anything: a truncated, corrupted, mismatched or
//! newer checkpoint is an error that says what to do, never a panic. Saving writes a sibling
//! temporary folder and renames it into place, so a crash never leaves a half-written checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, ModelConfig};
use crate::model::Model;
use crate::quant::{QuantOptions, TensorQuant};
use crate::tokenizer::{Tokenizer, TokenizerError};
use crate::weights::{self, WeightsError};

/// The manifest's `format` value.
pub const FORMAT: &str = "siger-checkpoint";
/// The newest format version this build reads. Float checkpoints are written as version 1
/// (every Siger reads them); quantized bundles as version 2, which added `quantization`.
pub const FORMAT_VERSION: u32 = 2;
/// The version float checkpoints are written as.
const FLOAT_FORMAT_VERSION: u32 = 1;
/// File names inside a checkpoint folder.
pub const CONFIG_FILE: &str = "config.json";
/// Weights file name.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Tokenizer file name.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Manifest file name.
pub const MANIFEST_FILE: &str = "manifest.json";
const PAYLOAD: [&str; 3] = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE];

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
    /// The weights do not fit the config.
    #[error(transparent)]
    Weights(#[from] WeightsError),
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

/// A loaded checkpoint.
#[derive(Debug)]
pub struct Checkpoint<B: Backend> {
    /// The model's configuration.
    pub config: ModelConfig,
    /// The model with its weights.
    pub model: Model<B>,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// The verified manifest.
    pub manifest: Manifest,
}

/// Counts parameters, treating routed experts as active `experts_per_token / routed_experts`
/// of the time.
pub fn parameter_counts<B: Backend>(config: &ModelConfig, model: &Model<B>) -> ParameterCounts {
    let mut total = 0u64;
    let mut routed = 0u64;
    for (name, data) in weights::named_tensors(model) {
        let n = data.num_elements() as u64;
        total += n;
        if name.contains(".moe.experts.") {
            routed += n;
        }
    }
    let (k, e) = (
        config.moe.experts_per_token as u64,
        config.moe.routed_experts.max(1) as u64,
    );
    ParameterCounts {
        total,
        active_per_token: total - routed + routed * k / e,
    }
}

/// Writes a checkpoint folder at `dir`, replacing any folder there only once the new one is
/// complete.
pub fn save<B: Backend>(
    dir: &Path,
    config: &ModelConfig,
    model: &Model<B>,
    tokenizer: &Tokenizer,
) -> Result<Manifest, CheckpointError> {
    save_with(dir, config, model, tokenizer, &[])
}

/// Writes a quantized bundle of `model` at `dir` (atomically, as [`save`]).
pub fn save_quantized<B: Backend>(
    dir: &Path,
    config: &ModelConfig,
    model: &Model<B>,
    tokenizer: &Tokenizer,
    options: QuantOptions,
) -> Result<Manifest, CheckpointError> {
    let (manifest, files) = to_files(config, model, tokenizer, Some(options), &[])?;
    write_folder(dir, &manifest, &files)?;
    Ok(manifest)
}

/// The files of a checkpoint (quantized when `quant` is given) built in memory, as a browser
/// or [`load_files`] receives them.
pub fn checkpoint_files<B: Backend>(
    config: &ModelConfig,
    model: &Model<B>,
    tokenizer: &Tokenizer,
    quant: Option<QuantOptions>,
) -> Result<CheckpointFiles, CheckpointError> {
    let (manifest, files) = to_files(config, model, tokenizer, quant, &[])?;
    let take = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    };
    Ok(CheckpointFiles {
        manifest: serde_json::to_vec_pretty(&manifest).expect("manifests serialise"),
        config: take(CONFIG_FILE),
        weights: take(WEIGHTS_FILE),
        tokenizer: take(TOKENIZER_FILE),
    })
}

/// The manifest and the payload files (plus `extras`) of a checkpoint.
#[allow(clippy::type_complexity)]
fn to_files<B: Backend>(
    config: &ModelConfig,
    model: &Model<B>,
    tokenizer: &Tokenizer,
    quant: Option<QuantOptions>,
    extras: &[(&str, Vec<u8>)],
) -> Result<(Manifest, Vec<(String, Vec<u8>)>), CheckpointError> {
    let metadata = HashMap::from([("format".to_string(), FORMAT.to_string())]);
    let (weights_bytes, quantization) = match quant {
        None => (weights::to_safetensors(model, metadata), BTreeMap::new()),
        Some(options) => {
            crate::bundle::to_safetensors(weights::named_tensors(model), options, metadata)?
        }
    };
    let files: Vec<(String, Vec<u8>)> = [
        (
            CONFIG_FILE,
            serde_json::to_vec_pretty(config).expect("configs serialise"),
        ),
        (WEIGHTS_FILE, weights_bytes),
        (TOKENIZER_FILE, tokenizer.to_json().into_bytes()),
    ]
    .into_iter()
    .chain(extras.iter().cloned())
    .map(|(n, b)| (n.to_string(), b))
    .collect();
    let manifest = Manifest {
        format: FORMAT.to_string(),
        format_version: if quantization.is_empty() {
            FLOAT_FORMAT_VERSION
        } else {
            FORMAT_VERSION
        },
        created_by: format!("siger {}", env!("CARGO_PKG_VERSION")),
        files: files.iter().map(|(n, b)| (n.clone(), entry(b))).collect(),
        parameters: parameter_counts(config, model),
        quantization,
    };
    Ok((manifest, files))
}

/// [`save`], with extra files (e.g. a trainer's optimizer state) written into the same folder
/// in the same atomic step and listed in the manifest.
pub fn save_with<B: Backend>(
    dir: &Path,
    config: &ModelConfig,
    model: &Model<B>,
    tokenizer: &Tokenizer,
    extras: &[(&str, Vec<u8>)],
) -> Result<Manifest, CheckpointError> {
    let (manifest, files) = to_files(config, model, tokenizer, None, extras)?;
    write_folder(dir, &manifest, &files)?;
    Ok(manifest)
}

/// Writes `files` and the manifest into a sibling staging folder, then swaps it into `dir`.
fn write_folder(
    dir: &Path,
    manifest: &Manifest,
    files: &[(String, Vec<u8>)],
) -> Result<(), CheckpointError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CheckpointError::Io { path, source }
    };
    let staging = sibling(dir, "tmp");
    remove_stale_siblings(dir, "tmp");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let manifest_bytes = serde_json::to_vec_pretty(manifest).expect("manifests serialise");
    for (name, bytes) in files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .chain([(MANIFEST_FILE, manifest_bytes.as_slice())])
    {
        let path = staging.join(name);
        write_synced(&path, bytes).map_err(io(&path))?;
    }
    replace_dir(&staging, dir).map_err(io(dir))
}

/// Loads and verifies the checkpoint folder at `dir`.
pub fn load<B: Backend>(dir: &Path, device: &B::Device) -> Result<Checkpoint<B>, CheckpointError> {
    if !dir.exists()
        && let Some(previous) = interrupted_save(dir)
    {
        return Err(CheckpointError::Interrupted { previous });
    }
    let read = |name: &'static str| -> Result<Vec<u8>, CheckpointError> {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => CheckpointError::MissingFile(name),
            _ => CheckpointError::Io { path, source },
        })
    };
    let files = CheckpointFiles {
        manifest: read(MANIFEST_FILE)?,
        config: read(CONFIG_FILE)?,
        weights: read(WEIGHTS_FILE)?,
        tokenizer: read(TOKENIZER_FILE)?,
    };
    load_files(&files, device)
}

/// The previous checkpoint a killed save left aside, if any.
fn interrupted_save(dir: &Path) -> Option<PathBuf> {
    let (parent, name) = (dir.parent()?, dir.file_name()?);
    let prefix = format!(".{}.old-", name.to_string_lossy());
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
}

/// Verifies and loads a checkpoint from its files' bytes.
pub fn load_files<B: Backend>(
    files: &CheckpointFiles,
    device: &B::Device,
) -> Result<Checkpoint<B>, CheckpointError> {
    let manifest = verify(files)?;
    let config: ModelConfig = serde_json::from_slice(&files.config)
        .map_err(|e| CheckpointError::ConfigParse(e.to_string()))?;
    config.validate()?;
    let tokenizer = Tokenizer::from_json(&files.tokenizer)?;
    if tokenizer.vocab_size() > config.vocab_size {
        return Err(CheckpointError::VocabMismatch {
            tokenizer: tokenizer.vocab_size(),
            config: config.vocab_size,
        });
    }
    let (tensors, matrices) = crate::bundle::read(&files.weights, &manifest.quantization)?;
    // Before allocating a model of the config's size, check the config against the tensors.
    let shapes = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.shape.to_vec()))
        .chain(matrices.iter().map(|(n, m)| (n.clone(), m.model_shape())))
        .collect();
    precheck(&config, &shapes)?;
    let mut model = config.init::<B>(device)?;
    weights::set_quantized(&mut model, matrices, device)?;
    let model = weights::load_named(model, tensors, device)?;
    Ok(Checkpoint {
        config,
        model,
        tokenizer,
        manifest,
    })
}

/// Checks the shapes that bound every allocation `config.init` makes (embedding, projections,
/// layer and expert counts, expert size) against the tensors in the file, so a config that
/// disagrees with its weights is an error before anything is allocated.
fn precheck(
    config: &ModelConfig,
    shapes: &BTreeMap<String, Vec<usize>>,
) -> Result<(), WeightsError> {
    let (d, di, last) = (config.d_model, config.d_inner(), config.n_layers - 1);
    let mut expect = vec![
        ("embedding.weight".to_string(), vec![config.vocab_size, d]),
        ("layers.0.mixer.in_proj.weight".to_string(), vec![d, 2 * di]),
        (
            "layers.0.mixer.x_proj.weight".to_string(),
            vec![di, config.dt_rank() + 2 * config.d_state],
        ),
        (
            "layers.0.mixer.conv_weight".to_string(),
            vec![di, config.d_conv],
        ),
        (format!("layers.{last}.norm.gamma"), vec![d]),
    ];
    if let Some(i) = (0..config.n_layers).find(|&i| config.is_moe_layer(i)) {
        let moe = &config.moe;
        let f = format!("layers.{i}.feed_forward.moe");
        expect.push((format!("{f}.router.weight"), vec![d, moe.routed_experts]));
        expect.push((
            format!("{f}.experts.0.gate_proj.weight"),
            vec![d, moe.expert_hidden],
        ));
        if moe.shared_experts > 0 {
            let s = moe.shared_experts - 1;
            expect.push((
                format!("{f}.shared_experts.{s}.gate_proj.weight"),
                vec![d, moe.expert_hidden],
            ));
        }
    }
    for (name, shape) in expect {
        match shapes.get(&name) {
            Some(found) if *found == shape => {}
            Some(found) => {
                let found = found.clone();
                return Err(WeightsError::Shape {
                    name,
                    expected: shape,
                    found,
                });
            }
            None => return Err(WeightsError::Missing(name)),
        }
    }
    let beyond = format!("layers.{}.norm.gamma", config.n_layers);
    if shapes.contains_key(&beyond) {
        return Err(WeightsError::Unexpected(beyond));
    }
    Ok(())
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

fn entry(bytes: &[u8]) -> FileEntry {
    FileEntry {
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
    }
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "checkpoint".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Moves `staging` to `dir`; an existing `dir` is moved aside first and removed after.
fn replace_dir(staging: &Path, dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    if !dir.exists() {
        return std::fs::rename(staging, dir);
    }
    let old = sibling(dir, "old");
    std::fs::rename(dir, &old)?;
    if let Err(e) = std::fs::rename(staging, dir) {
        // Put the previous checkpoint back rather than leave nothing.
        let _ = std::fs::rename(&old, dir);
        return Err(e);
    }
    sync_parent(dir);
    // The new checkpoint is in place; a leftover copy of the old one is only clutter.
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Makes the renames durable (best effort: not every platform can sync a folder).
fn sync_parent(dir: &Path) {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(parent).and_then(|f| f.sync_all());
    }
}

/// Removes `.{name}.{tag}-*` folders left by saves that were killed.
fn remove_stale_siblings(dir: &Path, tag: &str) {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return;
    };
    let prefix = format!(".{}.{tag}-", name.to_string_lossy());
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

// These tests use the file system, which wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::test_util::{TestBackend, assert_close, seeded};
    use burn::tensor::{Int, Tensor, TensorData};

    type B = TestBackend;

    fn tokenizer() -> Tokenizer {
        let corpus = [
            "Selamat pagi, apa kabar? Kita belajar bersama.",
            "Tabik pun, nyak haga belajagh.",
        ];
        Tokenizer::train(corpus.iter().cycle().take(40).copied(), 300).unwrap()
    }

    fn saved(dir: &Path, config: &ModelConfig) -> Model<B> {
        let model = seeded(11, || config.init::<B>(&Default::default()).unwrap());
        save(dir, config, &model, &tokenizer()).unwrap();
        model
    }

    fn logits(model: &Model<B>) -> Tensor<B, 3> {
        let ids = TensorData::new(vec![1i64, 40, 7, 99, 3, 250], [1, 6]);
        model
            .forward(Tensor::<B, 2, Int>::from_data(ids, &Default::default()))
            .logits
    }

    fn load_err(dir: &Path) -> CheckpointError {
        seeded(0, || load::<B>(dir, &Default::default()))
            .expect_err("the checkpoint should be rejected")
    }

    #[test]
    fn save_then_load_gives_identical_logits_and_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        let config = ModelConfig::tiny();
        let model = saved(&dir, &config);
        let loaded = seeded(0, || load::<B>(&dir, &Default::default())).unwrap();
        assert_eq!(loaded.config, config);
        assert_close(
            logits(&loaded.model),
            logits(&model),
            0.0,
            "reloaded logits",
        );
        let counts = loaded.manifest.parameters;
        assert!(counts.active_per_token < counts.total);
        // Saving again over it replaces it atomically and leaves no staging folders behind.
        save(&dir, &config, &loaded.model, &loaded.tokenizer).unwrap();
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("ckpt")]);
    }

    #[test]
    fn truncated_bit_flipped_and_missing_files_are_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        saved(&dir, &ModelConfig::tiny());
        let weights = dir.join(WEIGHTS_FILE);
        let original = std::fs::read(&weights).unwrap();

        std::fs::write(&weights, &original[..original.len() / 2]).unwrap();
        assert!(matches!(load_err(&dir), CheckpointError::Truncated { .. }));

        let mut flipped = original.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x10;
        std::fs::write(&weights, &flipped).unwrap();
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Corrupted { what: "sha256", .. }
        ));

        std::fs::remove_file(&weights).unwrap();
        assert!(matches!(
            load_err(&dir),
            CheckpointError::MissingFile(WEIGHTS_FILE)
        ));
    }

    /// Rewrites one payload file and its manifest entry, so only the content can be at fault.
    fn replace_consistently(dir: &Path, file: &str, bytes: Vec<u8>) {
        std::fs::write(dir.join(file), &bytes).unwrap();
        let mut manifest: Manifest =
            serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE)).unwrap()).unwrap();
        manifest.files.insert(file.to_string(), entry(&bytes));
        std::fs::write(
            dir.join(MANIFEST_FILE),
            serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn mismatched_and_newer_checkpoints_are_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        saved(&dir, &ModelConfig::tiny());

        // An absurd config is refused by shape before any allocation.
        let huge = serde_json::to_vec(&ModelConfig::tiny().with_vocab_size(1 << 40)).unwrap();
        replace_consistently(&dir, CONFIG_FILE, huge);
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Weights(WeightsError::Shape { .. })
                | CheckpointError::VocabMismatch { .. }
        ));

        // A config that does not match the tensors.
        let wider = serde_json::to_vec(&ModelConfig::tiny().with_d_model(48)).unwrap();
        replace_consistently(&dir, CONFIG_FILE, wider);
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Weights(WeightsError::Shape { .. })
        ));
        let deeper = serde_json::to_vec(&ModelConfig::tiny().with_n_layers(3)).unwrap();
        replace_consistently(&dir, CONFIG_FILE, deeper);
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Weights(WeightsError::Missing(_))
        ));

        // A tokenizer with more ids than the model's vocabulary.
        let small_vocab = serde_json::to_vec(&ModelConfig::tiny().with_vocab_size(280)).unwrap();
        replace_consistently(&dir, CONFIG_FILE, small_vocab);
        assert!(matches!(
            load_err(&dir),
            CheckpointError::VocabMismatch {
                tokenizer: 300,
                config: 280
            }
        ));

        // An invalid config.
        replace_consistently(
            &dir,
            CONFIG_FILE,
            serde_json::to_vec(&ModelConfig::tiny().with_d_model(0)).unwrap(),
        );
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Config(ConfigError::Zero("d_model"))
        ));

        // A newer format.
        let mut manifest: Manifest =
            serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE)).unwrap()).unwrap();
        manifest.format_version = FORMAT_VERSION + 1;
        std::fs::write(
            dir.join(MANIFEST_FILE),
            serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            load_err(&dir),
            CheckpointError::NewerVersion { .. }
        ));

        std::fs::write(dir.join(MANIFEST_FILE), b"not json").unwrap();
        assert!(matches!(load_err(&dir), CheckpointError::Manifest(_)));
    }

    #[test]
    fn tensor_names_are_the_documented_ones() {
        let config = ModelConfig::tiny();
        let model = seeded(12, || config.init::<B>(&Default::default()).unwrap());
        let names: Vec<String> = weights::named_tensors(&model)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        for expected in [
            "embedding.weight",
            "layers.0.norm.gamma",
            "layers.0.mixer.in_proj.weight",
            "layers.0.mixer.conv_weight",
            "layers.0.mixer.dt_proj.bias",
            "layers.0.mixer.a_log",
            "layers.1.feed_forward.moe.router.weight",
            "layers.1.feed_forward.moe.experts.3.down_proj.weight",
            "layers.1.feed_forward.moe.shared_experts.0.gate_proj.weight",
            "norm_f.gamma",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n.starts_with("layers.0.feed_forward")));
    }
}
