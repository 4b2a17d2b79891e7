//! LoRA runs: the trainer fine-tunes adapters on a frozen base ([`siger::model::lora`]), and its
//! checkpoints and final output are adapter folders ([`siger::io::adapter`]): the adapters, and
//! for a checkpoint the optimizer (which holds state for the adapters only) and trainer state,
//! but never a copy of the base.

use std::path::Path;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use siger::io::adapter;
use siger::model::LoraConfig;

use super::{TrainError, Trainer};

/// What a LoRA run records about itself.
#[derive(Debug, Clone)]
pub struct LoraRun {
    /// The adapters' configuration.
    pub config: LoraConfig,
    /// sha256 of the base checkpoint's weights, checked when the adapter is applied.
    pub base_weights_sha256: String,
}

impl<B: AutodiffBackend> Trainer<B> {
    /// Makes this run a LoRA run: its model must carry adapters on a frozen base
    /// ([`siger::model::lora::attach`]).
    pub fn with_lora(mut self, run: LoraRun) -> Self {
        self.lora = Some(run);
        self
    }

    /// The folder name of the run's final output: `adapter` for a LoRA run, else `model`.
    pub fn output_name(&self) -> &'static str {
        if self.lora.is_some() {
            "adapter"
        } else {
            "model"
        }
    }

    /// Writes the adapters (with `extras`) as the folder `dir`, if this is a LoRA run.
    pub(super) fn save_adapter(
        &self,
        dir: &Path,
        extras: &[(&str, Vec<u8>)],
    ) -> Option<Result<(), TrainError>> {
        let run = self.lora.as_ref()?;
        let saved = adapter::save(
            dir,
            &run.config,
            &run.base_weights_sha256,
            &self.model.valid(),
            extras,
        );
        Some(saved.map_err(|e| TrainError::Io(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use burn::optim::Optimizer;
    use burn::tensor::TensorData;
    use siger::ModelConfig;
    use siger::io::weights::named_tensors;
    use siger::model::lora;

    use super::super::tests::{B, losses, serial, setup_with};
    use super::*;

    fn tensors(model: &siger::Model<B>) -> BTreeMap<String, TensorData> {
        named_tensors(&model.valid()).into_iter().collect()
    }

    #[test]
    fn a_lora_run_trains_only_its_adapters_and_saves_only_them() {
        let _serial = serial();
        let tmp = tempfile::tempdir().unwrap();
        let (mut trainer, data) = setup_with(12, 1, tmp.path(), ModelConfig::tiny());
        let before = tensors(&trainer.model);
        let config = LoraConfig::new(4);
        trainer.model = lora::attach(trainer.model.clone(), &config).unwrap();
        let run = LoraRun {
            config,
            base_weights_sha256: "base".into(),
        };
        let mut trainer = trainer.with_lora(run);
        assert_eq!(trainer.output_name(), "adapter");
        let l = losses(&trainer.run(&data, |_| {}).unwrap());
        assert!(
            l[l.len() - 1] < l[0] - 0.1,
            "the adapters learn: loss {l:?}"
        );

        let after = tensors(&trainer.model);
        let mut adapters = 0;
        for (name, value) in &after {
            match before.get(name) {
                Some(base) => assert_eq!(value, base, "{name} is frozen"),
                None => {
                    assert!(name.contains(".lora."), "{name}");
                    adapters += 1;
                }
            }
        }
        let moved = after
            .iter()
            .filter(|(n, _)| n.ends_with(".lora.b"))
            .any(|(_, t)| t.iter::<f32>().any(|v| v != 0.0));
        assert!(moved, "the adapters trained");
        assert_eq!(
            trainer.optim.to_record().len(),
            adapters,
            "optimizer state for adapters only"
        );

        let last = tmp.path().join("checkpoints/step-00000012");
        for file in [
            "adapter.json",
            "adapter.safetensors",
            "optimizer.mpk",
            "trainer.json",
        ] {
            assert!(last.join(file).exists(), "{file}");
        }
        assert!(
            !last.join("model.safetensors").exists(),
            "no copy of the base"
        );
        let out = tmp.path().join("adapter");
        trainer.save_model(&out).unwrap();
        let manifest = adapter::read_manifest(&out).unwrap();
        assert_eq!(manifest.base_weights_sha256, "base");
    }
}
