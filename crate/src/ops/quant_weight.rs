//! A quantized weight matrix placed where its backend runs it ([`Placement`]):
//! - GPU backends (burn's CubeCL: wgpu natively, WebGPU in the browser, CUDA) hold it as a
//!   burn quantized tensor (packed u32 values and block scales in GPU memory); burn's matmul
//!   dequantizes blocks as it loads them, so no float copy of the matrix is ever made.
//! - CPU backends run [`QuantMatrix::matmul`], which reads the activations to the host (a copy
//!   on a CPU backend) and never materialises the float matrix. burn's own CPU quantized
//!   matmul is not used: it dequantizes the whole matrix on every call (about 70× slower than
//!   the float matmul on the demo's shapes), has no int4, and returned wrong values for a
//!   transposed quantized operand when measured (burn 0.21; `ARCHITECTURE.md`).

use std::sync::Arc;

use burn::module::{
    AutodiffModule, Content, Devices, EmptyRecord, Module, ModuleDisplay, ModuleDisplayDefault,
    ModuleMapper, ModuleVisitor,
};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::quantization::{QuantLevel, QuantParam, QuantScheme as BurnScheme};
use burn::tensor::quantization::{QuantStore, QuantValue};
use burn::tensor::{DType, Int, Tensor, TensorData};

use crate::ops::placement::{Placement, host_values};
use crate::quant::{QuantMatrix, QuantScheme};

/// A quantized weight matrix `[rows, cols]` whose rows are dot products (`y = x Mᵀ`).
#[derive(Debug, Clone)]
pub enum QuantWeight<B: Backend> {
    /// Held on the host, run by the CPU kernel.
    Host(Arc<QuantMatrix>),
    /// A burn quantized tensor on the device.
    Device {
        /// The quantized tensor, `[rows, cols]`.
        matrix: Tensor<B, 2>,
        /// Its integer format.
        scheme: QuantScheme,
        /// Bytes it holds.
        bytes: usize,
    },
}

impl<B: Backend> QuantWeight<B> {
    /// Places `matrix` on `device` the way backend `B` runs it.
    pub fn new(matrix: QuantMatrix, device: &B::Device) -> Self {
        match Placement::for_backend::<B>(device) {
            Placement::Host => Self::Host(Arc::new(matrix)),
            Placement::Device => Self::Device {
                scheme: matrix.scheme(),
                bytes: matrix.memory_bytes(),
                matrix: Tensor::from_data(device_data(&matrix), device),
            },
        }
    }

    /// Integer format.
    pub fn scheme(&self) -> QuantScheme {
        match self {
            Self::Host(m) => m.scheme(),
            Self::Device { scheme, .. } => *scheme,
        }
    }

    /// Bytes held (integers and scales).
    pub fn bytes(&self) -> usize {
        match self {
            Self::Host(m) => m.memory_bytes(),
            Self::Device { bytes, .. } => *bytes,
        }
    }

    /// The float matrix `[rows, cols]` the integers stand for (for training from a bundle).
    pub fn dequantize(&self, device: &B::Device) -> Tensor<B, 2> {
        match self {
            Self::Host(m) => Tensor::from_data(
                TensorData::new(m.dequantize(), [m.rows(), m.cols()]),
                device,
            ),
            Self::Device { matrix, .. } => matrix.clone().dequantize(),
        }
    }

    fn rows(&self) -> usize {
        match self {
            Self::Host(m) => m.rows(),
            Self::Device { matrix, .. } => matrix.dims()[0],
        }
    }

    /// `x Mᵀ` over the last dimension: `[..., cols]` → `[..., rows]`.
    pub fn apply<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        let dims = x.dims();
        let cols = dims[D - 1];
        let m = x.shape().num_elements() / cols.max(1);
        let flat: Tensor<B, 2> = x.reshape([m, cols]);
        let y = match self {
            Self::Host(matrix) => {
                let device = flat.device();
                let input = host_values(flat);
                let out = matrix.matmul(&input, m);
                Tensor::from_data(TensorData::new(out, [m, matrix.rows()]), &device)
            }
            Self::Device { matrix, .. } => flat.matmul(matrix.clone().transpose()),
        };
        let mut out_dims = dims;
        out_dims[D - 1] = self.rows();
        y.reshape(out_dims)
    }

    /// Rows `ids` (an embedding lookup): `[n]` → `[n, cols]`.
    pub fn rows_of(&self, ids: Tensor<B, 1, Int>) -> Tensor<B, 2> {
        match self {
            Self::Host(matrix) => {
                let device = ids.device();
                let n = ids.dims()[0];
                let ids: Vec<usize> = ids
                    .into_data()
                    .convert::<i64>()
                    .into_vec::<i64>()
                    .expect("token ids are integers")
                    .into_iter()
                    .map(|id| id as usize)
                    .collect();
                let out = matrix.gather_rows(&ids);
                Tensor::from_data(TensorData::new(out, [n, matrix.cols()]), &device)
            }
            // burn's CubeCL backends cannot select rows of a quantized tensor; a one-hot
            // matmul selects them exactly (each output is one dequantized value plus zeros).
            Self::Device { matrix, .. } => {
                let n = ids.dims()[0];
                let rows = matrix.dims()[0];
                let device = ids.device();
                let one_hot = Tensor::<B, 2>::zeros([n, rows], &device).scatter(
                    1,
                    ids.reshape([n, 1]),
                    Tensor::ones([n, 1], &device),
                    burn::tensor::IndexingUpdateOp::Add,
                );
                one_hot.matmul(matrix.clone())
            }
        }
    }
}

// A quantized weight is a module with no trainable parameters: visitors and mappers (and so
// optimizers and float checkpoints) pass over it; it only follows the model between devices.
impl<B: Backend> Module<B> for QuantWeight<B> {
    type Record = EmptyRecord;

    fn visit<V: ModuleVisitor<B>>(&self, _: &mut V) {}

    fn map<M: ModuleMapper<B>>(self, _: &mut M) -> Self {
        self
    }

    fn load_record(self, _: Self::Record) -> Self {
        self
    }

    fn into_record(self) -> Self::Record {
        EmptyRecord::new()
    }

    fn to_device(self, device: &B::Device) -> Self {
        match self {
            Self::Device {
                matrix,
                scheme,
                bytes,
            } => Self::Device {
                matrix: matrix.to_device(device),
                scheme,
                bytes,
            },
            host => host,
        }
    }

    fn fork(self, device: &B::Device) -> Self {
        self.to_device(device)
    }

    fn collect_devices(&self, devices: Devices<B>) -> Devices<B> {
        devices
    }
}

impl<B: Backend> ModuleDisplayDefault for QuantWeight<B> {
    fn content(&self, content: Content) -> Option<Content> {
        content
            .add_single(&format!("{} ({} bytes)", self.scheme(), self.bytes()))
            .optional()
    }
}

impl<B: Backend> ModuleDisplay for QuantWeight<B> {}

impl<B: AutodiffBackend> AutodiffModule<B> for QuantWeight<B> {
    type InnerModule = QuantWeight<B::InnerBackend>;

    fn valid(&self) -> Self::InnerModule {
        match self {
            Self::Host(m) => QuantWeight::Host(m.clone()),
            Self::Device {
                matrix,
                scheme,
                bytes,
            } => QuantWeight::Device {
                matrix: matrix.clone().inner(),
                scheme: *scheme,
                bytes: *bytes,
            },
        }
    }

    fn from_inner(module: Self::InnerModule) -> Self {
        match module {
            QuantWeight::Host(m) => Self::Host(m),
            QuantWeight::Device {
                matrix,
                scheme,
                bytes,
            } => Self::Device {
                matrix: Tensor::from_inner(matrix),
                scheme,
                bytes,
            },
        }
    }
}

/// The burn tensor data of `matrix`: packed u32 values followed by f32 block scales.
fn device_data(matrix: &QuantMatrix) -> TensorData {
    let value = match matrix.scheme() {
        QuantScheme::Int8 => QuantValue::Q8S,
        QuantScheme::Int4 => QuantValue::Q4S,
    };
    // `io::weights::set_quantized` refuses layouts that are not device-packable before this.
    let block = u8::try_from(matrix.block()).expect("device-packable blocks fit a u8");
    let scheme = BurnScheme::default()
        .with_value(value)
        .with_level(QuantLevel::block([block]))
        .with_store(QuantStore::PackedU32(0))
        .with_param(QuantParam::F32);
    // Row bytes are whole u32 words for device-packable shapes, so the rows concatenate.
    let mut bytes = matrix.values().to_vec();
    for scale in matrix.scales() {
        bytes.extend_from_slice(&scale.to_le_bytes());
    }
    TensorData::from_bytes_vec(bytes, [matrix.rows(), matrix.cols()], DType::QFloat(scheme))
}
