//! Named weights: every float parameter of a module under a stable dotted name, to and from
//! safetensors.
//!
//! A tensor's name is its module path, fields joined with `.` and list entries by index:
//! `embedding.weight`, `layers.{i}.norm.gamma`, `layers.{i}.mixer.{in_proj,x_proj,dt_proj,out_proj}.weight`,
//! `layers.{i}.mixer.dt_proj.bias`, `layers.{i}.mixer.{conv_weight,conv_bias,a_log,d}`,
//! `layers.{i}.feed_forward.norm.gamma`, `layers.{i}.feed_forward.moe.router.weight`,
//! `layers.{i}.feed_forward.moe.{experts,shared_experts}.{j}.{gate_proj,up_proj,down_proj}.weight`,
//! `norm_f.gamma`, and `lm_head.weight` when the head is untied. Linear weights are stored
//! `[d_in, d_out]` (y = x W), as burn keeps them; transpose for PyTorch's `nn.Linear`.
//! Any future rename between file names and field paths belongs in this file. A quantized
//! bundle stores a quantized tensor under the same name (plus `name.scales`; see `bundle.rs`),
//! and [`set_quantized`] puts it into the layer of that name.

use std::collections::{BTreeMap, HashMap};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Tensor, TensorData, backend::Backend};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::bundle::LoadedMatrix;
use crate::linear::Linear;
use crate::model::Model;

/// Why weights could not be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file is not valid safetensors.
    #[error("weights file is not valid safetensors ({0}); it may be truncated or corrupted")]
    Format(String),
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

/// Forces every lazily initialised parameter to take its value now, in module order, and gives
/// each the [`ParamId`] of its name ([`param_id`]).
///
/// burn initialises parameters on first use, and a clone made before that draws its own random
/// values; materialising right after `init` keeps clones identical and a seeded init
/// reproducible. Name-derived ids keep optimizer state (keyed by id) valid across save and load.
pub fn materialize<B: Backend, M: Module<B>>(module: M) -> M {
    struct Materialize {
        path: Vec<String>,
    }
    impl<B: Backend> ModuleMapper<B> for Materialize {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (_, tensor, mapper) = param.consume();
            Param::from_mapped_value(param_id(&self.path.join(".")), tensor, mapper)
        }
    }
    module.map(&mut Materialize { path: Vec::new() })
}

/// The parameter id of a tensor name: 64-bit FNV-1a of the name, stable across runs and builds.
pub fn param_id(name: &str) -> ParamId {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    ParamId::from(hash)
}

/// Every float parameter of `module` with its name, in module order, as f32.
pub fn named_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<(String, TensorData)> {
    struct Collect {
        path: Vec<String>,
        out: Vec<(String, TensorData)>,
    }
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let data = param.val().into_data().convert::<f32>();
            self.out.push((self.path.join("."), data));
        }
    }
    let mut collect = Collect {
        path: Vec::new(),
        out: Vec::new(),
    };
    module.visit(&mut collect);
    collect.out
}

/// Serialises `module`'s parameters to safetensors bytes, with `metadata` in the header.
pub fn to_safetensors<B: Backend, M: Module<B>>(
    module: &M,
    metadata: HashMap<String, String>,
) -> Vec<u8> {
    let tensors = named_tensors(module);
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(name, data)| {
            let shape = data.shape.to_vec();
            (name, shape, data.into_bytes().to_vec())
        })
        .collect();
    let views = bytes.iter().map(|(name, shape, raw)| {
        let view = TensorView::new(Dtype::F32, shape.clone(), raw).expect("f32 bytes match shape");
        (name.as_str(), view)
    });
    safetensors::serialize(views, Some(metadata)).expect("in-memory safetensors serialisation")
}

/// Reads every tensor of a safetensors buffer as f32 data, checking dtype and finiteness.
pub fn read_safetensors(bytes: &[u8]) -> Result<BTreeMap<String, TensorData>, WeightsError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (name, view) in file.tensors() {
        out.insert(name.clone(), f32_tensor(name, &view)?);
    }
    Ok(out)
}

/// One stored tensor as f32 data, checking dtype and finiteness.
pub(crate) fn f32_tensor(name: String, view: &TensorView<'_>) -> Result<TensorData, WeightsError> {
    if view.dtype() != Dtype::F32 {
        return Err(WeightsError::DType {
            name,
            dtype: format!("{:?}", view.dtype()),
        });
    }
    let values: Vec<f32> = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(WeightsError::NonFinite(name));
    }
    Ok(TensorData::new(values, view.shape().to_vec()))
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
        path: Vec<String>,
        tensors: &'a mut BTreeMap<String, TensorData>,
        device: &'a B::Device,
        error: Option<WeightsError>,
    }
    impl<B: Backend> ModuleMapper<B> for Load<'_, B> {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let name = self.path.join(".");
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
        path: Vec::new(),
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

/// Every Linear layer of `model` under its weight's name (`….weight`).
fn linears_mut<B: Backend>(model: &mut Model<B>) -> Vec<(String, &mut Linear<B>)> {
    let mut out: Vec<(String, &mut Linear<B>)> = Vec::new();
    if let Some(head) = model.lm_head.as_mut() {
        out.push(("lm_head.weight".into(), head));
    }
    for (i, layer) in model.layers.iter_mut().enumerate() {
        let m = &mut layer.mixer;
        let mixer = [
            ("in_proj", &mut m.in_proj),
            ("x_proj", &mut m.x_proj),
            ("dt_proj", &mut m.dt_proj),
            ("out_proj", &mut m.out_proj),
        ];
        for (name, linear) in mixer {
            out.push((format!("layers.{i}.mixer.{name}.weight"), linear));
        }
        let Some(feed_forward) = layer.feed_forward.as_mut() else {
            continue;
        };
        let moe = &mut feed_forward.moe;
        let prefix = format!("layers.{i}.feed_forward.moe");
        out.push((format!("{prefix}.router.weight"), &mut moe.router));
        for (group, experts) in [
            ("experts", &mut moe.experts),
            ("shared_experts", &mut moe.shared_experts),
        ] {
            for (j, e) in experts.iter_mut().enumerate() {
                let projections = [
                    ("gate_proj", &mut e.gate_proj),
                    ("up_proj", &mut e.up_proj),
                    ("down_proj", &mut e.down_proj),
                ];
                for (name, linear) in projections {
                    out.push((format!("{prefix}.{group}.{j}.{name}.weight"), linear));
                }
            }
        }
    }
    out
}

/// Puts a bundle's quantized matrices into `model` by name (a load-time pass; the float
/// weights they replace are dropped). Fails on a name the model lacks or a shape or
/// orientation that does not fit.
pub fn set_quantized<B: Backend>(
    model: &mut Model<B>,
    mut matrices: BTreeMap<String, LoadedMatrix>,
    device: &B::Device,
) -> Result<(), WeightsError> {
    fn fit(
        name: &str,
        loaded: LoadedMatrix,
        expected: Option<Vec<usize>>,
        transposed: bool,
    ) -> Result<crate::quant::QuantMatrix, WeightsError> {
        let Some(expected) = expected else {
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
    let shape = |w: &Option<Param<Tensor<B, 2>>>| w.as_ref().map(|w| w.dims().to_vec());
    if let Some(loaded) = matrices.remove("embedding.weight") {
        let expected = shape(&model.embedding.weight);
        let matrix = fit("embedding.weight", loaded, expected, false)?;
        model.embedding.set_quantized(matrix, device);
    }
    for (name, linear) in linears_mut(model) {
        if let Some(loaded) = matrices.remove(&name) {
            let matrix = fit(&name, loaded, shape(&linear.weight), true)?;
            linear.set_quantized(matrix, device);
        }
    }
    match matrices.into_keys().next() {
        Some(extra) => Err(WeightsError::Unexpected(extra)),
        None => Ok(()),
    }
}
