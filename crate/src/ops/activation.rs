//! SiLU, the model's activation (the SSM mixer's convolution output and gate, the experts'
//! gate). On CPU inference it is one host loop with the polynomial exp ([`crate::ops::exp`]); on
//! autodiff and GPU backends it is burn's. In wasm, burn's version is a few tensor ops per call
//! and a library `expf` per value, and a demo token makes 21 calls.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::ops::exp::exp;
use crate::ops::placement::{Placement, host_values};

/// SiLU(x) = x · σ(x) = x / (1 + e⁻ˣ).
pub fn silu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let device = x.device();
    if !Placement::runs_host_kernels::<B>(&device) {
        return burn::tensor::activation::silu(x);
    }
    let shape = x.shape();
    let values: Vec<f32> = host_values(x)
        .into_iter()
        .map(|v| v / (1.0 + exp(-v)))
        .collect();
    Tensor::from_data(TensorData::new(values, shape), &device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{TestAutodiff, TestBackend, assert_close};

    #[test]
    fn host_silu_equals_burns_and_autodiff_keeps_gradients() {
        let device = Default::default();
        let values = [-100.0, -5.0, -0.5, 0.0, 0.25, 3.0, 90.0];
        let x = Tensor::<TestBackend, 1>::from_floats(values, &device);
        let burn_silu = burn::tensor::activation::silu(x.clone());
        assert_close(silu(x), burn_silu, 1e-6, "silu");
        let x = Tensor::<TestAutodiff, 1>::from_floats(values, &device).require_grad();
        let grads = silu(x.clone()).sum().backward();
        assert!(
            x.grad(&grads).is_some(),
            "the autodiff path records the graph"
        );
    }
}
