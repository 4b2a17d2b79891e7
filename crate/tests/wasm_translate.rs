//! The translator and the model in the browser build (wasm32, headless Chromium).
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p siger --target wasm32-unknown-unknown --test wasm_translate`.
#![cfg(target_arch = "wasm32")]

use siger::translate::{Dialect, Lang, Options, Resources, Source, translate};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn translation_cites_its_sources_in_the_browser() {
    let resources = Resources::builtin();
    let nyo = Some(Lang::Lampung(Dialect::Nyo));
    let t = translate(
        "Nyak haga mengan!",
        nyo,
        Lang::Indonesian,
        &resources,
        &Options::default(),
    );
    assert_eq!(t.text().to_lowercase(), "saya mau makan!");
    assert!(t.tokens.iter().any(|t| t.source == Source::Phrasebook));
    let unknown = translate(
        "xqzv",
        nyo,
        Lang::Indonesian,
        &resources,
        &Options::default(),
    );
    assert!(unknown.tokens.iter().all(|t| t.source == Source::Unknown));
}

#[wasm_bindgen_test]
fn a_tiny_model_runs_forward_and_prefill_on_the_cpu_backend_in_the_browser() {
    use burn::tensor::{Int, Tensor, TensorData};
    type B = burn::backend::NdArray<f32>;
    let device = Default::default();
    let model = siger::ModelConfig::tiny().init::<B>(&device).unwrap();
    let ids = TensorData::new(vec![1i64, 5, 9, 2], [1, 4]);
    let tokens = Tensor::<B, 2, Int>::from_data(ids, &device);
    let logits = model.forward(tokens.clone()).logits;
    let mut state = model.zero_state(1, &device);
    let last = model.prefill(tokens, &mut state);
    let first: Tensor<B, 2> = logits.narrow(1, 3, 1).squeeze_dim(1);
    let diff: f32 = (first - last).abs().max().into_scalar();
    assert!(diff < 1e-4, "prefill differs from forward by {diff}");
}

#[wasm_bindgen_test]
fn an_int4_bundle_loads_and_runs_on_the_cpu_backend_in_the_browser() {
    use burn::tensor::backend::Backend;
    use burn::tensor::{Int, Tensor, TensorData};
    use siger::io::checkpoint::{checkpoint_files, load_files};
    use siger::quant::{QuantOptions, QuantScheme};
    type B = burn::backend::NdArray<f32>;
    let device = Default::default();
    // A fixed draw: the bound below holds for this model (measured 0.021 of the scale), not for
    // every random one (an unseeded draw once reached 0.056).
    B::seed(&device, 11);
    let tokenizer =
        siger::text::Tokenizer::from_json(include_bytes!("../../models/siger-demo/tokenizer.json"))
            .unwrap();
    let config = siger::ModelConfig::tiny()
        .with_vocab_size(tokenizer.vocab_size())
        .with_init_std(0.3);
    let model = config.init::<B>(&device).unwrap();
    let options = Some(QuantOptions::new(QuantScheme::Int4));
    let files = checkpoint_files(&config, &model, &tokenizer, options).unwrap();
    let quantized = load_files::<B>(&files, &device).unwrap().model;
    assert!(quantized.embedding.weight.float().is_none());
    let tokens =
        Tensor::<B, 2, Int>::from_data(TensorData::new(vec![1i64, 5, 9, 2], [1, 4]), &device);
    let float = model.forward(tokens.clone()).logits;
    let quant = quantized.forward(tokens).logits;
    let scale: f32 = float.clone().abs().max().into_scalar();
    let diff: f32 = (float - quant).abs().max().into_scalar();
    assert!(
        diff <= 0.05 * scale,
        "int4 logits differ by {diff} (scale {scale})"
    );
}

/// wasm builds run their own SIMD form of the quantized kernel: it must equal the plain dot
/// product with the dequantized matrix, on row lengths with and without scalar tails.
#[wasm_bindgen_test]
fn the_quantized_kernel_equals_the_dequantized_matrix_in_the_browser() {
    use siger::quant::{QuantMatrix, QuantOptions, QuantScheme};
    // cols 12: one int8/int4 block with tails; 48: one block of 48 (int4: 16 + 8 bytes);
    // 96: three blocks of 32; 64 int4: whole 16-byte loads only.
    for (rows, cols) in [(5, 12), (4, 48), (9, 96), (3, 64)] {
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i as f32) * 0.37).sin() * (1.0 + (i % 7) as f32))
            .collect();
        let x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.11).cos()).collect();
        for scheme in [QuantScheme::Int8, QuantScheme::Int4] {
            let q = QuantMatrix::quantize(&w, rows, cols, QuantOptions::new(scheme)).unwrap();
            let d = q.dequantize();
            let y = q.matmul(&x, 1);
            for (r, got) in y.iter().enumerate() {
                let terms = (0..cols).map(|c| x[c] * d[r * cols + c]);
                let (want, size) = terms.fold((0f32, 0f32), |(s, a), t| (s + t, a + t.abs()));
                assert!(
                    (got - want).abs() <= 1e-5 * (1.0 + size),
                    "{scheme} {rows}x{cols} row {r}: {got} vs {want}"
                );
            }
        }
    }
}
