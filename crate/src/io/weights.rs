//! Named weights: every float parameter of a module under its dotted name (the table is in
//! [`names`]), to and from safetensors, and a bundle's quantized matrices put into the layers
//! of their names ([`set_quantized`]).

use std::collections::{BTreeMap, HashMap};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::io::bundle::LoadedMatrix;
use crate::io::error::WeightsError;
use crate::io::names::{self, ExpertGroup};
use crate::io::safetensors::{self, StoredTensor};
use crate::model::Model;
use crate::model::init::{ModulePath, param_id};
use crate::ops::linear::{Linear, Weight};
use crate::ops::placement::Placement;
use crate::quant::QuantMatrix;

/// Every float parameter of `module` with its name, in module order, as f32.
pub fn named_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<(String, TensorData)> {
    named_tensors_where(module, |_| true)
}

/// [`named_tensors`] for the parameters whose name `keep` accepts; the others are not read.
pub fn named_tensors_where<B: Backend, M: Module<B>>(
    module: &M,
    keep: impl Fn(&str) -> bool,
) -> Vec<(String, TensorData)> {
    struct Collect<F> {
        path: ModulePath,
        out: Vec<(String, TensorData)>,
        keep: F,
    }
    impl<B: Backend, F: Fn(&str) -> bool> ModuleVisitor<B> for Collect<F> {
        fn enter_module(&mut self, name: &str, container: &str) {
            self.path.enter(name, container);
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.exit();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let name = self.path.name();
            if (self.keep)(&name) {
                let data = param.val().into_data().convert::<f32>();
                self.out.push((name, data));
            }
        }
    }
    let mut collect = Collect {
        path: ModulePath::default(),
        out: Vec::new(),
        keep,
    };
    module.visit(&mut collect);
    collect.out
}

/// Serialises `module`'s parameters to safetensors bytes (all f32), with `metadata` in the
/// header.
pub fn to_safetensors<B: Backend, M: Module<B>>(
    module: &M,
    metadata: HashMap<String, String>,
) -> Vec<u8> {
    let tensors: Vec<StoredTensor> = named_tensors(module)
        .into_iter()
        .map(|(name, data)| StoredTensor::from_data(name, data))
        .collect();
    safetensors::serialize(&tensors, metadata)
}

/// Replaces every float parameter of `module` with the tensor of the same name in `tensors`.
/// Fails, naming the tensor, on a missing, extra or wrongly shaped one; `module` is then dropped,
/// never half-loaded.
pub fn load_named<B: Backend, M: Module<B>>(
    module: M,
    mut tensors: BTreeMap<String, TensorData>,
    device: &B::Device,
) -> Result<M, WeightsError> {
    struct Load<'a, B: Backend> {
        path: ModulePath,
        tensors: &'a mut BTreeMap<String, TensorData>,
        device: &'a B::Device,
        error: Option<WeightsError>,
    }
    impl<B: Backend> ModuleMapper<B> for Load<'_, B> {
        fn enter_module(&mut self, name: &str, container: &str) {
            self.path.enter(name, container);
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.exit();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let name = self.path.name();
            let expected = param.lazy_shape().to_vec();
            let found = match self.tensors.remove(&name) {
                Some(data) if data.shape.to_vec() == expected => data,
                Some(data) => {
                    let found = data.shape.to_vec();
                    self.error.get_or_insert(WeightsError::Shape {
                        name,
                        expected,
                        found,
                    });
                    return param;
                }
                None => {
                    self.error.get_or_insert(WeightsError::Missing(name));
                    return param;
                }
            };
            let (_, old, mapper) = param.consume();
            let value =
                Tensor::from_data(found, self.device).set_require_grad(old.is_require_grad());
            Param::from_mapped_value(param_id(&name), value, mapper)
        }
    }
    let mut load = Load {
        path: ModulePath::default(),
        tensors: &mut tensors,
        device,
        error: None,
    };
    let module = module.map(&mut load);
    if let Some(error) = load.error {
        return Err(error);
    }
    if let Some(extra) = tensors.into_keys().next() {
        return Err(WeightsError::Unexpected(extra));
    }
    Ok(module)
}

/// Every Linear layer of `model` under its weight's name ([`names`]).
fn linears_mut<B: Backend>(model: &mut Model<B>) -> Vec<(String, &mut Linear<B>)> {
    let mut out: Vec<(String, &mut Linear<B>)> = Vec::new();
    if let Some(head) = model.lm_head.as_mut() {
        out.push((names::LM_HEAD.into(), head));
    }
    for (i, layer) in model.layers.iter_mut().enumerate() {
        for (field, linear) in layer.mixer.linears_mut() {
            out.push((names::mixer_linear(i, field), linear));
        }
        let Some(feed_forward) = layer.feed_forward.as_mut() else {
            continue;
        };
        let moe = &mut feed_forward.moe;
        out.push((names::router(i), &mut moe.router));
        let groups = [&mut moe.experts, &mut moe.shared_experts];
        for (group, experts) in ExpertGroup::ALL.into_iter().zip(groups) {
            for (j, e) in experts.iter_mut().enumerate() {
                let projections = [&mut e.gate_proj, &mut e.up_proj, &mut e.down_proj];
                for (name, linear) in names::EXPERT_LINEARS.into_iter().zip(projections) {
                    out.push((names::expert_linear(i, group, j, name), linear));
                }
            }
        }
    }
    out
}

/// Replaces every quantized matrix of `model` by the float weight its integers stand for, so a
/// model loaded from a bundle can be trained (fine-tuned, or given LoRA adapters). The values
/// carry the bundle's rounding; nothing else changes.
pub fn dequantize<B: Backend>(model: &mut Model<B>) {
    let device = model.device();
    let float = |name: &str, tensor| Weight::Float(Param::initialized(param_id(name), tensor));
    if let Weight::Quantized(q) = &model.embedding.weight {
        model.embedding.weight = float(names::EMBEDDING, q.dequantize(&device));
    }
    for (name, linear) in linears_mut(model) {
        if let Weight::Quantized(q) = &linear.weight {
            // A quantized linear holds Wᵀ (`[d_out, d_in]`); burn's is `[d_in, d_out]`.
            linear.weight = float(&name, q.dequantize(&device).transpose());
        }
    }
}

/// Puts a bundle's quantized matrices into `model` by name (a load-time pass; the float
/// weights they replace are dropped). Fails on a name the model lacks or a shape or
/// orientation that does not fit.
pub fn set_quantized<B: Backend>(
    model: &mut Model<B>,
    mut matrices: BTreeMap<String, LoadedMatrix>,
    device: &B::Device,
) -> Result<(), WeightsError> {
    fn fit<B: Backend>(
        name: &str,
        loaded: LoadedMatrix,
        weight: &Weight<B>,
        transposed: bool,
    ) -> Result<QuantMatrix, WeightsError> {
        let Some(expected) = weight.float().map(|w| w.dims().to_vec()) else {
            return Err(WeightsError::Unexpected(name.to_string()));
        };
        let found = loaded.model_shape();
        if found != expected || loaded.transposed != transposed {
            return Err(WeightsError::Shape {
                name: name.to_string(),
                expected,
                found,
            });
        }
        Ok(loaded.matrix)
    }
    let placement = Placement::for_backend::<B>(device);
    for (name, loaded) in &matrices {
        packable(name, &loaded.matrix, placement)?;
    }
    if let Some(loaded) = matrices.remove(names::EMBEDDING) {
        let matrix = fit(names::EMBEDDING, loaded, &model.embedding.weight, false)?;
        model.embedding.set_quantized(matrix, device);
    }
    for (name, linear) in linears_mut(model) {
        if let Some(loaded) = matrices.remove(&name) {
            let matrix = fit(&name, loaded, &linear.weight, true)?;
            linear.set_quantized(matrix, device);
        }
    }
    match matrices.into_keys().next() {
        Some(extra) => Err(WeightsError::Unexpected(extra)),
        None => Ok(()),
    }
}

/// Whether `matrix` can be placed as `placement` needs: the device kernels take only blocks of
/// at most 255 values, whole u32 words, dividing the row; the host kernel takes any layout.
fn packable(name: &str, matrix: &QuantMatrix, placement: Placement) -> Result<(), WeightsError> {
    let scheme = matrix.scheme();
    if placement == Placement::Host || scheme.device_packable(matrix.cols(), matrix.block()) {
        return Ok(());
    }
    Err(WeightsError::NotDevicePackable {
        name: name.to_string(),
        scheme: scheme.name().to_string(),
        block: matrix.block(),
        cols: matrix.cols(),
        per_word: scheme.values_per_word(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::io::names::Role;
    use crate::model::{ModelConfig, MoeConfig};
    use crate::test_util::{TestBackend, seeded};

    /// A bundle with block 256 loaded on the CPU but panicked on WebGPU (`u8::try_from`), and
    /// rows that are not whole u32 words were packed misaligned: refused for the device now.
    #[test]
    fn layouts_the_gpu_kernels_cannot_run_are_refused_for_the_device_only() {
        use crate::quant::{QuantOptions, QuantScheme};
        let values: Vec<f32> = (0..2 * 512).map(|i| (i as f32 * 0.01).sin()).collect();
        let matrix = |scheme, block, cols: usize| {
            let options = QuantOptions {
                block,
                ..QuantOptions::new(scheme)
            };
            QuantMatrix::quantize(&values[..2 * cols], 2, cols, options).unwrap()
        };
        let wide_block = matrix(QuantScheme::Int8, 256, 512);
        let odd_int4 = matrix(QuantScheme::Int4, 4, 12);
        let fine = matrix(QuantScheme::Int4, 32, 64);
        for bad in [&wide_block, &odd_int4] {
            assert!(packable("w", bad, Placement::Host).is_ok());
            let err = packable("w", bad, Placement::Device).unwrap_err();
            assert!(
                matches!(err, WeightsError::NotDevicePackable { .. }),
                "{err}"
            );
        }
        assert!(packable("w", &fine, Placement::Device).is_ok());
    }

    #[test]
    fn the_name_table_matches_the_module_paths() {
        let config = ModelConfig::tiny().with_tie_embeddings(false).with_moe(
            MoeConfig::new()
                .with_routed_experts(3)
                .with_shared_experts(2),
        );
        names_match_module_paths(config);
        names_match_module_paths(crate::test_util::hybrid_config());
        names_match_module_paths(crate::test_util::recurrent_config());
        names_match_module_paths(crate::test_util::conditioned_config());
    }

    fn names_match_module_paths(config: ModelConfig) {
        let model = seeded(0, || {
            config.init::<TestBackend>(&Default::default()).unwrap()
        });
        let shapes: std::collections::BTreeMap<String, Vec<usize>> = named_tensors(&model)
            .into_iter()
            .map(|(n, data)| (n, data.shape.to_vec()))
            .collect();
        assert_eq!(shapes, names::tensor_shapes(&config));
        let size = config.implied_size().unwrap();
        assert_eq!(size.tensors, shapes.len() as u64);
        let elements: usize = shapes.values().map(|s| s.iter().product::<usize>()).sum();
        assert_eq!(size.parameters, elements as u64);
        let found: BTreeSet<String> = shapes.into_keys().collect();
        let mut model = model;
        let linears: BTreeSet<String> = linears_mut(&mut model)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let expected = found
            .iter()
            .filter(|n| Role::is_linear_weight(n))
            .cloned()
            .collect();
        assert_eq!(linears, expected);
    }
}
