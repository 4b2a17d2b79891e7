//! The Rust model reproduces the numpy reference's logits from the same weights.

use burn::tensor::{Int, Tensor, TensorData};
use siger::ModelConfig;
use siger::io::safetensors::read_f32_all;
use siger::io::weights::load_named;
use siger_tests::reference_dir;

type B = burn::backend::NdArray<f32>;

#[test]
fn rust_logits_match_the_numpy_reference() {
    matches_fixture("parity");
}

/// The middle layer is multi-head latent attention (rotary positions, causal mask).
#[test]
fn a_hybrid_with_an_attention_layer_matches_the_numpy_reference() {
    matches_fixture("parity-hybrid");
}

fn matches_fixture(name: &str) {
    let fixtures = reference_dir().join("fixtures");
    let config: ModelConfig = serde_json::from_slice(
        &std::fs::read(fixtures.join(format!("{name}-config.json"))).unwrap(),
    )
    .unwrap();
    let bytes = std::fs::read(fixtures.join(format!("{name}.safetensors"))).unwrap();
    let mut tensors = read_f32_all(&bytes).unwrap();
    let tokens = tensors.remove("fixture.tokens").expect("fixture tokens");
    let expected = tensors.remove("fixture.logits").expect("fixture logits");

    let device = Default::default();
    let model = load_named(config.init::<B>(&device).unwrap(), tensors, &device).unwrap();
    let shape = tokens.shape.to_vec();
    let ids: Vec<i64> = tokens
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|&t| t as i64)
        .collect();
    let tokens =
        Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [shape[0], shape[1]]), &device);

    let logits = model.forward(tokens).logits;
    let expected = Tensor::<B, 3>::from_data(expected, &device);
    let scale: f32 = expected.clone().abs().max().into_scalar();
    let diff: f32 = (logits - expected).abs().max().into_scalar();
    assert!(
        scale > 1.0,
        "fixture logits are degenerate (max |logit| {scale})"
    );
    assert!(
        diff < 1e-4,
        "max |rust - numpy| = {diff} (logits up to {scale})"
    );
}
