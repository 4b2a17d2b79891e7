//! The LoRA adapter folder: `adapter.safetensors` (the adapters' tensors only, f32) and
//! `adapter.json` (format, the [`LoraConfig`], the sha256 of the base weights the adapters were
//! trained on, and the size and sha256 of every file), plus any extra files a trainer keeps
//! (optimizer and trainer state), written atomically ([`atomic::write_folder`]).
//!
//! An adapter only means something on its base: [`apply`] refuses a base whose weights differ
//! from the recorded ones, and a file that does not match its recorded size and hash.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

use burn::tensor::TensorData;

use crate::io::atomic;
use crate::io::checkpoint::{Checkpoint, FileEntry, entry};
use crate::io::error::WeightsError;
use crate::io::safetensors::{self, StoredTensor};
use crate::io::weights::{load_named, named_tensors_where};
use crate::model::Model;
use crate::model::init::materialize;
use crate::model::lora::{LoraConfig, LoraError, attach, freeze_base, targets_mut};

/// The adapters' tensors.
pub const ADAPTER_FILE: &str = "adapter.safetensors";
/// The adapter's manifest.
pub const ADAPTER_MANIFEST: &str = "adapter.json";
/// `format` of [`AdapterManifest`].
pub const ADAPTER_FORMAT: &str = "siger-lora-adapter";
/// The manifest version this build writes and reads.
pub const ADAPTER_VERSION: u32 = 1;

/// `adapter.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterManifest {
    /// [`ADAPTER_FORMAT`].
    pub format: String,
    /// [`ADAPTER_VERSION`].
    pub version: u32,
    /// Where the adapters go and their rank.
    pub lora: LoraConfig,
    /// sha256 of the base checkpoint's `model.safetensors`.
    pub base_weights_sha256: String,
    /// Size and sha256 of every other file of the folder.
    pub files: BTreeMap<String, FileEntry>,
}

/// Why an adapter folder could not be written, read or applied.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// Reading or writing failed.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `adapter.json` is not a manifest this build reads.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A file differs from what the manifest records.
    #[error(
        "{0} does not match adapter.json (truncated or changed): copy the adapter folder again"
    )]
    Corrupted(String),
    /// The base is not the one the adapter was trained on.
    #[error(
        "the adapter was trained on base weights {expected}, but this base's are {found}: pass the checkpoint it was fine-tuned from"
    )]
    WrongBase {
        /// The recorded sha256 (shortened).
        expected: String,
        /// The base's sha256 (shortened).
        found: String,
    },
    /// The adapters do not fit the model.
    #[error(transparent)]
    Lora(#[from] LoraError),
    /// The tensors file is unreadable.
    #[error("adapter.safetensors: {0}")]
    Weights(#[from] WeightsError),
}

/// Writes `model`'s adapters to the folder `dir` with `extras`, atomically.
pub fn save<B: Backend>(
    dir: &Path,
    config: &LoraConfig,
    base_weights_sha256: &str,
    model: &Model<B>,
    extras: &[(&str, Vec<u8>)],
) -> Result<(), AdapterError> {
    let tensors: Vec<StoredTensor> = adapter_tensors(model)
        .into_iter()
        .map(|(name, data)| StoredTensor::from_data(name, data))
        .collect();
    let weights = safetensors::serialize(&tensors, HashMap::new());
    let mut files: Vec<(&str, &[u8])> = vec![(ADAPTER_FILE, &weights)];
    files.extend(extras.iter().map(|(name, bytes)| (*name, bytes.as_slice())));
    let manifest = AdapterManifest {
        format: ADAPTER_FORMAT.into(),
        version: ADAPTER_VERSION,
        lora: config.clone(),
        base_weights_sha256: base_weights_sha256.into(),
        files: files
            .iter()
            .map(|(name, bytes)| (name.to_string(), entry(bytes)))
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    files.push((ADAPTER_MANIFEST, &json));
    atomic::write_folder(dir, &files).map_err(|e| AdapterError::Io {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads and verifies an adapter folder's manifest.
pub fn read_manifest(dir: &Path) -> Result<AdapterManifest, AdapterError> {
    let path = dir.join(ADAPTER_MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| AdapterError::Io {
        path: path.clone(),
        message: format!("{e} (an adapter folder holds {ADAPTER_MANIFEST} and {ADAPTER_FILE})"),
    })?;
    let manifest: AdapterManifest =
        serde_json::from_slice(&bytes).map_err(|e| AdapterError::Manifest {
            path: path.clone(),
            message: format!("not an adapter manifest: {e}"),
        })?;
    if manifest.format != ADAPTER_FORMAT || manifest.version > ADAPTER_VERSION {
        return Err(AdapterError::Manifest {
            path,
            message: format!(
                "format {} version {}: this build reads {ADAPTER_FORMAT} up to version {ADAPTER_VERSION}",
                manifest.format, manifest.version
            ),
        });
    }
    manifest.lora.validate()?;
    Ok(manifest)
}

/// One file of the folder, checked against the manifest.
pub fn read_file(
    dir: &Path,
    manifest: &AdapterManifest,
    name: &str,
) -> Result<Vec<u8>, AdapterError> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| AdapterError::Io {
        path: path.clone(),
        message: e.to_string(),
    })?;
    match manifest.files.get(name) {
        Some(expected) if *expected == entry(&bytes) => Ok(bytes),
        _ => Err(AdapterError::Corrupted(name.to_string())),
    }
}

/// `base`'s model with the adapters of the folder `dir` attached (frozen base, trainable
/// adapters), after checking that `base` is the checkpoint they were trained on.
pub fn apply<B: Backend>(dir: &Path, base: Checkpoint<B>) -> Result<Checkpoint<B>, AdapterError> {
    let manifest = read_manifest(dir)?;
    let found = base_weights_sha256(&base);
    if found != manifest.base_weights_sha256 {
        return Err(AdapterError::WrongBase {
            expected: short(&manifest.base_weights_sha256),
            found: short(&found),
        });
    }
    let bytes = read_file(dir, &manifest, ADAPTER_FILE)?;
    let tensors = safetensors::read_f32_all(&bytes)?;
    let model = load_adapter(base.model, &manifest.lora, tensors)?;
    Ok(Checkpoint { model, ..base })
}

/// The adapters' tensors only, by name (`layers.0.mixer.in_proj.lora.a`, …), in model order.
/// Only the adapters are read back from the device, not the base.
pub fn adapter_tensors<B: Backend>(model: &Model<B>) -> Vec<(String, TensorData)> {
    named_tensors_where(model, |name| name.split('.').any(|part| part == "lora"))
}

/// `model` with adapters for `config` attached and their values from `tensors` (frozen base,
/// trainable adapters). Fails, naming the tensor, on a missing, extra or wrongly shaped one.
pub fn load_adapter<B: Backend>(
    model: Model<B>,
    config: &LoraConfig,
    mut tensors: BTreeMap<String, TensorData>,
) -> Result<Model<B>, AdapterError> {
    let mut model = attach(model, config)?;
    let device = model.device();
    for (prefix, linear) in targets_mut(&mut model, &config.targets) {
        let Some(lora) = linear.lora.take() else {
            continue;
        };
        let mut own = BTreeMap::new();
        for part in ["a", "b"] {
            let name = format!("{prefix}.{part}");
            let data = tensors
                .remove(&name)
                .ok_or(WeightsError::Missing(name.clone()))?;
            own.insert(part.to_string(), data);
        }
        linear.lora = Some(load_named(lora, own, &device).map_err(|e| named(e, &prefix))?);
    }
    if let Some(extra) = tensors.into_keys().next() {
        return Err(WeightsError::Unexpected(extra).into());
    }
    // Name-derived parameter ids again (loading gave each adapter's `a`/`b` their short names).
    Ok(freeze_base(materialize(model)))
}

/// A weights error about an adapter's `a` or `b`, with the adapter's full name.
fn named(error: WeightsError, prefix: &str) -> WeightsError {
    match error {
        WeightsError::Shape {
            name,
            expected,
            found,
        } => WeightsError::Shape {
            name: format!("{prefix}.{name}"),
            expected,
            found,
        },
        other => other,
    }
}

/// The sha256 of a checkpoint's weights file, as its manifest records it.
pub fn base_weights_sha256<B: Backend>(base: &Checkpoint<B>) -> String {
    base.manifest
        .files
        .get(crate::io::checkpoint::WEIGHTS_FILE)
        .map(|e| e.sha256.clone())
        .unwrap_or_default()
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use burn::module::Param;
    use burn::tensor::{Distribution, Int, Tensor, TensorData};

    use super::*;
    use crate::io::checkpoint::{self, CheckpointError};
    use crate::model::ModelConfig;
    use crate::model::lora::{LoraTarget, attach, has_adapters, merge};
    use crate::test_util::{TestBackend as B, assert_close, seeded};
    use crate::text::Tokenizer;

    fn tokenizer() -> Tokenizer {
        let corpus = ["Selamat pagi, apa kabar?", "Tabik pun, nyak haga belajagh."];
        Tokenizer::train(corpus.iter().cycle().take(40).copied(), 300).unwrap()
    }

    fn logits(model: &Model<B>) -> Tensor<B, 3> {
        let ids = TensorData::new(vec![1i64, 40, 7, 99, 3, 250], [1, 6]);
        model
            .forward(Tensor::<B, 2, Int>::from_data(ids, &Default::default()))
            .logits
    }

    /// A saved tiny base at `dir/base` and the same model with trained-looking adapters.
    fn base_and_adapted(dir: &Path, config: &LoraConfig) -> (Checkpoint<B>, Model<B>) {
        let model_config = ModelConfig::tiny().with_vocab_size(tokenizer().vocab_size());
        let model = model_config.init::<B>(&Default::default()).unwrap();
        checkpoint::save(&dir.join("base"), &model_config, &model, &tokenizer()).unwrap();
        let base = checkpoint::load::<B>(&dir.join("base"), &Default::default()).unwrap();
        let mut adapted = attach(base.model.clone(), config).unwrap();
        for layer in &mut adapted.layers {
            for (_, linear) in layer.mixer.linears_mut() {
                if let Some(lora) = linear.lora.as_mut() {
                    let b = Tensor::random(
                        lora.b.dims(),
                        Distribution::Uniform(-0.3, 0.3),
                        &Default::default(),
                    );
                    lora.b = Param::from_tensor(b);
                }
            }
        }
        (base, adapted)
    }

    #[test]
    fn an_adapter_folder_round_trips_onto_its_base_and_merges() {
        // Holds the test RNG's lock: every draw here (init, adapters) would disturb tests
        // that seed it.
        seeded(0, || {
            let tmp = tempfile::tempdir().unwrap();
            let config = LoraConfig {
                targets: vec![LoraTarget::InProj, LoraTarget::OutProj],
                ..LoraConfig::new(2)
            };
            let (base, adapted) = base_and_adapted(tmp.path(), &config);
            let sha = base_weights_sha256(&base);
            let adapter = tmp.path().join("adapter");
            save(
                &adapter,
                &config,
                &sha,
                &adapted,
                &[("trainer.json", b"{}".to_vec())],
            )
            .unwrap();
            let weights = std::fs::metadata(adapter.join(ADAPTER_FILE)).unwrap().len();
            let full = std::fs::metadata(tmp.path().join("base/model.safetensors"))
                .unwrap()
                .len();
            assert!(weights * 10 < full, "adapter {weights} B vs base {full} B");

            let reloaded =
                checkpoint::load::<B>(&tmp.path().join("base"), &Default::default()).unwrap();
            let applied = apply(&adapter, reloaded).unwrap();
            assert!(has_adapters(&applied.model));
            assert_close(
                logits(&applied.model),
                logits(&adapted),
                1e-6,
                "applied adapter",
            );

            let err = checkpoint::save(
                &tmp.path().join("x"),
                &applied.config,
                &applied.model,
                &tokenizer(),
            );
            assert!(matches!(err, Err(CheckpointError::Adapters)), "{err:?}");
            let merged = merge(applied.model).unwrap();
            checkpoint::save(
                &tmp.path().join("merged"),
                &applied.config,
                &merged,
                &tokenizer(),
            )
            .unwrap();
            let loaded =
                checkpoint::load::<B>(&tmp.path().join("merged"), &Default::default()).unwrap();
            assert_close(
                logits(&loaded.model),
                logits(&adapted),
                1e-4,
                "merged checkpoint",
            );
        })
    }

    #[test]
    fn adapter_tensors_that_do_not_fit_are_refused_by_name() {
        // Holds the test RNG's lock: every draw here (init, adapters) would disturb tests
        // that seed it.
        seeded(0, || {
            let tmp = tempfile::tempdir().unwrap();
            let lora = LoraConfig::new(2);
            let (base, adapted) = base_and_adapted(tmp.path(), &lora);
            let saved: BTreeMap<String, TensorData> =
                adapter_tensors(&adapted).into_iter().collect();
            assert_eq!(
                saved.len(),
                2 * 4 * adapted.layers.len(),
                "a and b per projection"
            );
            let mut missing = saved.clone();
            let (first, _) = missing.pop_first().unwrap();
            let err = load_adapter(base.model.clone(), &lora, missing).unwrap_err();
            assert!(err.to_string().contains(&first), "{err}");
            let err =
                load_adapter(base.model.clone(), &LoraConfig::new(3), saved.clone()).unwrap_err();
            assert!(err.to_string().contains(".lora.a"), "{err}");
            let mut extra = saved;
            extra.insert(
                "layers.9.mixer.in_proj.lora.a".into(),
                TensorData::new(vec![0f32], [1]),
            );
            let err = load_adapter(base.model, &lora, extra).unwrap_err();
            assert!(err.to_string().contains("layers.9"), "{err}");
        })
    }

    #[test]
    fn a_wrong_base_or_a_changed_file_is_refused() {
        // Holds the test RNG's lock: every draw here (init, adapters) would disturb tests
        // that seed it.
        seeded(0, || {
            let tmp = tempfile::tempdir().unwrap();
            let config = LoraConfig::new(2);
            let (base, adapted) = base_and_adapted(tmp.path(), &config);
            let adapter = tmp.path().join("adapter");
            save(&adapter, &config, "0123456789abcdef", &adapted, &[]).unwrap();
            let err = apply(&adapter, base).unwrap_err();
            assert!(matches!(err, AdapterError::WrongBase { .. }), "{err}");

            let base =
                checkpoint::load::<B>(&tmp.path().join("base"), &Default::default()).unwrap();
            save(
                &adapter,
                &config,
                &base_weights_sha256(&base),
                &adapted,
                &[],
            )
            .unwrap();
            let path = adapter.join(ADAPTER_FILE);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.truncate(bytes.len() - 4);
            std::fs::write(&path, bytes).unwrap();
            let err = apply(&adapter, base).unwrap_err();
            assert!(matches!(err, AdapterError::Corrupted(_)), "{err}");

            std::fs::write(adapter.join(ADAPTER_MANIFEST), b"{\"format\": 1}").unwrap();
            let err = read_manifest(&adapter).unwrap_err();
            assert!(err.to_string().contains("not an adapter manifest"), "{err}");
            let err = read_manifest(tmp.path()).unwrap_err();
            assert!(err.to_string().contains("adapter folder holds"), "{err}");
        })
    }
}
