//! Helpers shared by the crate's unit tests.

use burn::tensor::{Tensor, TensorData, backend::Backend};

/// The backend unit tests run on.
pub type TestBackend = burn::backend::NdArray<f32>;
/// Its autodiff wrapper, for gradient tests.
pub type TestAutodiff = burn::backend::Autodiff<TestBackend>;

/// Deterministic pseudo-random values in [-1, 1] (no global RNG involved).
pub fn random<const D: usize>(
    shape: [usize; D],
    seed: u64,
    device: &burn::backend::ndarray::NdArrayDevice,
) -> Tensor<TestBackend, D> {
    random_on::<TestBackend, D>(shape, seed, device)
}

/// [`random`] on any backend.
pub fn random_on<B: Backend, const D: usize>(
    shape: [usize; D],
    seed: u64,
    device: &B::Device,
) -> Tensor<B, D> {
    let count: usize = shape.iter().product();
    let values: Vec<f32> = (0..count)
        .map(|i| (i as f64 * 0.618_034 + seed as f64 * 7.3).sin() as f32)
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Panics with the largest difference when two tensors differ by more than `tol` anywhere.
pub fn assert_close<B: Backend, const D: usize>(
    actual: Tensor<B, D>,
    expected: Tensor<B, D>,
    tol: f32,
    what: &str,
) {
    assert_eq!(actual.dims(), expected.dims(), "{what}: shapes differ");
    let diff: f32 = (actual - expected).abs().max().into_scalar().elem();
    assert!(
        diff <= tol,
        "{what}: max abs difference {diff} exceeds {tol}"
    );
}

use burn::tensor::ElementConversion;

/// Runs `init` with the backend RNG seeded, holding a lock so parallel tests cannot draw from
/// the (process-global) RNG in between.
pub fn seeded<T>(seed: u64, init: impl FnOnce() -> T) -> T {
    static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = RNG.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    <TestBackend as Backend>::seed(&Default::default(), seed);
    init()
}

/// Runs a future whose awaits complete at once (CPU backend reads) to its end.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
    }
}

/// [`crate::ModelConfig::tiny`] with three layers, the middle one (which also carries the MoE
/// feed-forward) looped up to 4 times per token.
pub fn recurrent_config() -> crate::ModelConfig {
    use crate::model::RecurrentConfig;
    crate::ModelConfig::tiny()
        .with_n_layers(3)
        .with_recurrent(Some(RecurrentConfig::new().with_layer(1).with_max_loops(4)))
}

/// [`crate::ModelConfig::tiny`] with topic and context conditioning.
pub fn conditioned_config() -> crate::ModelConfig {
    crate::ModelConfig::tiny().with_conditioning(Some(
        crate::model::ConditioningConfig::new().with_max_tokens(8),
    ))
}

/// [`crate::ModelConfig::tiny`] with three layers, the middle one (which also carries the MoE
/// feed-forward) an attention layer.
pub fn hybrid_config() -> crate::ModelConfig {
    use crate::model::AttentionConfig;
    crate::ModelConfig::tiny()
        .with_n_layers(3)
        .with_attention(Some(
            AttentionConfig::new()
                .with_layers(vec![1])
                .with_heads(2)
                .with_head_dim(8)
                .with_kv_rank(8)
                .with_rope_dim(4),
        ))
}
