//! The checkpoint folder: `config.json`, `model.safetensors`, `tokenizer.json` and
//! `manifest.json` (format version, size and sha256 of each file, parameter counts).
//!
//! Loading verifies everything before building anything: a truncated, corrupted, mismatched or
//! newer checkpoint is an error that says what to do, never a panic. Saving writes the whole
//! folder atomically ([`atomic::write_folder`]), so a crash never leaves a half-written
//! checkpoint.

mod error;
mod manifest;
mod precheck;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use burn::tensor::backend::Backend;

pub use error::CheckpointError;
pub use manifest::{
    CONFIG_FILE, CheckpointFiles, FORMAT, FORMAT_VERSION, FileEntry, MANIFEST_FILE, Manifest,
    ParameterCounts, TOKENIZER_FILE, WEIGHTS_FILE, entry, read_extra, verify,
};
pub use precheck::parameter_counts;

use crate::io::{atomic, bundle, weights};
use crate::model::{Model, ModelConfig};
use crate::quant::QuantOptions;
use crate::text::{Tokenizer, TokenizerError};
use manifest::FLOAT_FORMAT_VERSION;
use precheck::precheck;

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

impl<B: Backend> Checkpoint<B> {
    /// The files of this checkpoint exported as `quant` asks (f32 when `None`), built in memory:
    /// what `export` writes and the browser loads. Only an f32 checkpoint exports; a bundle's
    /// integers would be quantized a second time.
    pub fn export_files(
        &self,
        quant: Option<QuantOptions>,
    ) -> Result<CheckpointFiles, CheckpointError> {
        self.refuse_requantizing()?;
        checkpoint_files(&self.config, &self.model, &self.tokenizer, quant)
    }

    /// [`Self::export_files`], written as the folder `dir` (atomically, as [`save`]).
    pub fn export(
        &self,
        dir: &Path,
        quant: Option<QuantOptions>,
    ) -> Result<Manifest, CheckpointError> {
        self.refuse_requantizing()?;
        let (config, model, tokenizer) = (&self.config, &self.model, &self.tokenizer);
        let (manifest, files) = to_files(config, model, tokenizer, quant, &[])?;
        write_folder(dir, &manifest, &files)?;
        Ok(manifest)
    }

    fn refuse_requantizing(&self) -> Result<(), CheckpointError> {
        if self.manifest.quantization.is_empty() {
            Ok(())
        } else {
            Err(CheckpointError::AlreadyQuantized)
        }
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
    if crate::model::lora::has_adapters(model) {
        return Err(CheckpointError::Adapters);
    }
    let metadata = HashMap::from([("format".to_string(), FORMAT.to_string())]);
    let (weights_bytes, quantization) = match quant {
        None => (weights::to_safetensors(model, metadata), BTreeMap::new()),
        Some(options) => bundle::to_safetensors(weights::named_tensors(model), options, metadata)?,
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

/// Loads and verifies the checkpoint folder at `dir`.
pub fn load<B: Backend>(dir: &Path, device: &B::Device) -> Result<Checkpoint<B>, CheckpointError> {
    load_files(&read_files(dir)?, device)
}

/// The four files of the checkpoint folder at `dir`, read but not yet verified.
pub fn read_files(dir: &Path) -> Result<CheckpointFiles, CheckpointError> {
    if !dir.exists()
        && let Some(previous) = atomic::interrupted_save(dir)
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
    Ok(CheckpointFiles {
        manifest: read(MANIFEST_FILE)?,
        config: read(CONFIG_FILE)?,
        weights: read(WEIGHTS_FILE)?,
        tokenizer: read(TOKENIZER_FILE)?,
    })
}

/// What a loader accepts beyond a well-formed checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Refuse a model with more parameters than this (counted from its config before anything
    /// is allocated). `None`: no cap beyond the file's own size.
    pub max_parameters: Option<u64>,
}

/// Verifies and loads a checkpoint from its files' bytes.
pub fn load_files<B: Backend>(
    files: &CheckpointFiles,
    device: &B::Device,
) -> Result<Checkpoint<B>, CheckpointError> {
    load_files_with(files, device, &LoadOptions::default())
}

/// [`load_files`] with [`LoadOptions`].
pub fn load_files_with<B: Backend>(
    files: &CheckpointFiles,
    device: &B::Device,
    options: &LoadOptions,
) -> Result<Checkpoint<B>, CheckpointError> {
    let manifest = verify(files)?;
    let config: ModelConfig = serde_json::from_slice(&files.config)
        .map_err(|e| CheckpointError::ConfigParse(e.to_string()))?;
    config.validate()?;
    let (tensors, matrices) = bundle::read(&files.weights, &manifest.quantization)?;
    // Before allocating a model of the config's size, check the config against the tensors.
    let shapes = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.shape.to_vec()))
        .chain(matrices.iter().map(|(n, m)| (n.clone(), m.model_shape())))
        .collect();
    precheck(
        &config,
        config.implied_size()?,
        &shapes,
        options.max_parameters,
    )?;
    // The vocabulary is now bounded by the embedding the file holds; the tokenizer's ids must
    // fit it before they size a table.
    let tokenizer = match Tokenizer::from_json_bounded(&files.tokenizer, config.vocab_size as u64) {
        Err(TokenizerError::IdOutOfRange { id, .. }) => {
            return Err(CheckpointError::VocabMismatch {
                tokenizer: id.saturating_add(1).try_into().unwrap_or(usize::MAX),
                config: config.vocab_size,
            });
        }
        other => other?,
    };
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

/// Writes `files` and the manifest as the folder `dir`, atomically.
fn write_folder(
    dir: &Path,
    manifest: &Manifest,
    files: &[(String, Vec<u8>)],
) -> Result<(), CheckpointError> {
    let manifest_bytes = serde_json::to_vec_pretty(manifest).expect("manifests serialise");
    let all: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .chain([(MANIFEST_FILE, manifest_bytes.as_slice())])
        .collect();
    Ok(atomic::write_folder(dir, &all)?)
}

// These tests use the file system, which wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::io::error::WeightsError;
    use crate::model::ConfigError;
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
            // One more layer: ten more tensors than the file holds.
            CheckpointError::Weights(WeightsError::TensorCount { expected, found })
                if expected == found as u64 + 10
        ));

        // A config whose vocabulary is smaller than the embedding the file holds.
        let small_vocab = serde_json::to_vec(&ModelConfig::tiny().with_vocab_size(280)).unwrap();
        replace_consistently(&dir, CONFIG_FILE, small_vocab);
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Weights(WeightsError::Shape { .. })
        ));
        replace_consistently(
            &dir,
            CONFIG_FILE,
            serde_json::to_vec(&ModelConfig::tiny()).unwrap(),
        );

        // A tokenizer with more ids than the model's vocabulary, or one absurd id (which once
        // sized a table of 2·10⁹ entries, and at u32::MAX wrapped to an empty one).
        let vocab = ModelConfig::tiny().vocab_size;
        let json: serde_json::Value = serde_json::from_str(&tokenizer().to_json()).unwrap();
        for id in [vocab as u64, 2_000_000_000, u64::from(u32::MAX)] {
            let mut hostile = json.clone();
            hostile["model"]["vocab"]["a"] = serde_json::json!(id);
            replace_consistently(&dir, TOKENIZER_FILE, serde_json::to_vec(&hostile).unwrap());
            let err = load_err(&dir);
            assert!(
                matches!(err, CheckpointError::VocabMismatch { config, .. } if config == vocab),
                "id {id}: {err}"
            );
        }
        let original = serde_json::to_vec(&json).unwrap();
        replace_consistently(&dir, TOKENIZER_FILE, original);

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

    /// Configs that once passed the shape pre-check and then made `init` allocate their
    /// product: a million layers, a million shared experts, experts of 10⁵ × 10⁵ on d_model 1,
    /// and sizes whose product wraps. Each is refused before allocation.
    #[test]
    fn configs_implying_more_than_the_file_holds_are_refused_before_allocation() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        saved(&dir, &ModelConfig::tiny());
        let tiny = ModelConfig::tiny();
        let moe = tiny.moe.clone();
        let hostile = [
            tiny.clone().with_n_layers(1_000_000),
            tiny.clone()
                .with_moe(moe.clone().with_shared_experts(1_000_000)),
            tiny.clone().with_d_model(1).with_moe(
                moe.clone()
                    .with_routed_experts(100_000)
                    .with_expert_hidden(100_000),
            ),
        ];
        for config in hostile {
            replace_consistently(&dir, CONFIG_FILE, serde_json::to_vec(&config).unwrap());
            let err = load_err(&dir);
            assert!(
                matches!(
                    err,
                    CheckpointError::Weights(
                        WeightsError::TensorCount { .. } | WeightsError::Shape { .. }
                    )
                ),
                "{err}"
            );
        }
        let wrapping = tiny.clone().with_d_model(usize::MAX / 2);
        replace_consistently(&dir, CONFIG_FILE, serde_json::to_vec(&wrapping).unwrap());
        assert!(matches!(
            load_err(&dir),
            CheckpointError::Config(ConfigError::Overflow)
        ));
        replace_consistently(&dir, CONFIG_FILE, serde_json::to_vec(&tiny).unwrap());
        let files = CheckpointFiles {
            manifest: std::fs::read(dir.join(MANIFEST_FILE)).unwrap(),
            config: std::fs::read(dir.join(CONFIG_FILE)).unwrap(),
            weights: std::fs::read(dir.join(WEIGHTS_FILE)).unwrap(),
            tokenizer: std::fs::read(dir.join(TOKENIZER_FILE)).unwrap(),
        };
        let capped = LoadOptions {
            max_parameters: Some(1000),
        };
        let err = load_files_with::<B>(&files, &Default::default(), &capped).unwrap_err();
        assert!(
            matches!(
                err,
                CheckpointError::Weights(WeightsError::TooManyParameters { cap: 1000, .. })
            ),
            "{err}"
        );
        assert!(load_files_with::<B>(&files, &Default::default(), &LoadOptions::default()).is_ok());
    }

    #[test]
    fn d_conv_1_is_refused_by_validation() {
        let err = ModelConfig::tiny().with_d_conv(1).validate().unwrap_err();
        assert_eq!(
            err,
            ConfigError::TooSmall {
                field: "d_conv",
                value: 1,
                min: 2
            }
        );
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
