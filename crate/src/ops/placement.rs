//! Where a backend runs Siger's host kernels, and how a host kernel reads a CPU tensor.
//!
//! burn's CubeCL backends (wgpu natively, WebGPU in the browser, CUDA) keep quantized matrices
//! as burn quantized tensors and run everything on the device; CPU backends run the quantized
//! matmul, the selective scan and SiLU as plain loops over host memory.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Where a backend runs quantized matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The host kernel ([`crate::quant::QuantMatrix::matmul`]): CPU backends.
    Host,
    /// burn's quantized tensors and matmul: CubeCL backends (wgpu, WebGPU, CUDA).
    Device,
}

impl Placement {
    /// The placement for backend `B` on `device`.
    pub fn for_backend<B: Backend>(device: &B::Device) -> Self {
        if B::name(device).contains("cubecl") {
            Self::Device
        } else {
            Self::Host
        }
    }

    /// Whether the model's CPU kernels (the quantized matmul's and the scan's host loops) run
    /// for backend `B`: on host placements without autodiff, since the kernels record no graph.
    pub fn runs_host_kernels<B: Backend>(device: &B::Device) -> bool {
        Self::for_backend::<B>(device) == Self::Host && !B::ad_enabled(device)
    }
}

/// A CPU tensor's values, row-major, for a host kernel.
///
/// burn-ndarray 0.21 moves a tensor's buffer out when nothing else holds it, but copies a
/// shared one (a parameter, a state the caller keeps, an input given to several layers)
/// element by element through dynamic-rank indexing: about 27 ns a value, 170 µs for one
/// layer's `[384, 16]` A_log (measured); the same for a view whose strides it does not take
/// for contiguous (an unsqueezed vector). Flattened, then put through an elementwise op, the
/// values are an unshared contiguous copy made at memory speed, whose buffer is moved out;
/// `× 1` changes no value (NaN and −0 too).
pub fn host_values<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
    let count = tensor.shape().num_elements();
    tensor
        .reshape([count])
        .mul_scalar(1.0)
        .into_data()
        .convert::<f32>()
        .into_vec()
        .expect("a float tensor's values are f32 after convert")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{TestAutodiff, TestBackend};

    // The CubeCL side is pinned by the browser tests (`crate/tests/wasm_golden.rs` runs the
    // WebGPU backend and checks its placement).
    #[test]
    fn cpu_backends_run_host_kernels_unless_they_record_a_graph() {
        let device = Default::default();
        assert_eq!(
            Placement::for_backend::<TestBackend>(&device),
            Placement::Host
        );
        assert!(Placement::runs_host_kernels::<TestBackend>(&device));
        assert_eq!(
            Placement::for_backend::<TestAutodiff>(&device),
            Placement::Host
        );
        assert!(!Placement::runs_host_kernels::<TestAutodiff>(&device));
    }
}
