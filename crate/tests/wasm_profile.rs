//! Where the CPU-wasm decode time goes: the demo model's step in wasm (its committed int8 and
//! int4 bundles, bare and through `Chat`), and Siger's quantized kernel alone on the demo's matrix shapes. Prints
//! figures (a benchmark, not a test); compare with `cargo bench -p siger --bench decode`.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_DIR=target/web cargo test -p siger
//! --release --target wasm32-unknown-unknown --features web --test wasm_profile -- --nocapture`.
#![cfg(all(target_arch = "wasm32", feature = "web"))]

use burn::tensor::{Distribution, Int, Tensor, TensorData};
use siger::io::checkpoint::{CheckpointFiles, load_files};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// The four files of the committed bundle in `models/siger-demo/` + `$dir`.
macro_rules! demo_bundle {
    ($dir:literal) => {
        CheckpointFiles {
            manifest: include_bytes!(concat!("../../models/siger-demo/", $dir, "manifest.json"))
                .to_vec(),
            config: include_bytes!(concat!("../../models/siger-demo/", $dir, "config.json"))
                .to_vec(),
            weights: include_bytes!(concat!(
                "../../models/siger-demo/",
                $dir,
                "model.safetensors"
            ))
            .to_vec(),
            tokenizer: include_bytes!(concat!("../../models/siger-demo/", $dir, "tokenizer.json"))
                .to_vec(),
        }
    };
}

#[wasm_bindgen_test]
async fn profile_decode() {
    type B = burn::backend::NdArray<f32>;
    let device = Default::default();
    for (name, files) in [("int8", demo_bundle!("int8/")), ("int4", demo_bundle!(""))] {
        let loaded = load_files::<B>(&files, &device).unwrap();
        let (model, d_model) = (loaded.model, loaded.config.d_model);
        let prompt: Vec<i64> = (0..16).map(|i| 10 + i * 37).collect();
        let prompt = Tensor::<B, 2, Int>::from_data(TensorData::new(prompt, [1, 16]), &device);
        let mut state = model.zero_state(1, &device);
        let logits = model.prefill(prompt, &mut state);
        let mut next = logits.argmax(1).into_data();
        let n = 64;
        let t0 = now();
        for _ in 0..n {
            let token = Tensor::<B, 2, Int>::from_data(next, &device).reshape([1]);
            let logits = model.step(token, &mut state);
            next = logits.argmax(1).into_data();
        }
        let ms = (now() - t0) / n as f64;
        console_log!("{name}: {ms:.2} ms/token = {:.0} tokens/s", 1000.0 / ms);
        profile_parts(&model, d_model, &device, name);
        let tok = loaded.tokenizer;
        for (label, temperature, rep, top_p) in [
            ("greedy plain", 0.0, 1.0, 1.0),
            ("greedy rep1.1 top_p0.9", 0.0, 1.1, 0.9),
            ("sampled t1 top_p0.9", 1.0, 1.0, 0.9),
        ] {
            let mut chat = siger::infer::chat::Chat::new(model.clone(), tok.clone(), "x");
            let mut options = siger::infer::chat::ReplyOptions::default();
            options.sampling.temperature = temperature;
            options.sampling.repetition_penalty = rep;
            options.sampling.top_p = top_p;
            options.max_tokens = 128;
            let msgs = [siger::text::Message::new(
                siger::text::Role::User,
                "Apa itu fotosintesis?",
            )];
            let t0 = now();
            chat.start(&msgs, &options).unwrap();
            let t1 = now();
            let mut n = 0;
            while let Some(piece) = chat.next().await {
                piece.unwrap();
                n += 1;
            }
            let ms = (now() - t1) / n as f64;
            console_log!(
                "{name} chat {label}: start {:.1} ms, {n} pieces, {ms:.2} ms/piece",
                t1 - t0
            );
        }
    }
}

/// The time of one call of each part of a decode step, on a random input.
fn profile_parts<B: burn::tensor::backend::Backend>(
    model: &siger::Model<B>,
    d_model: usize,
    device: &B::Device,
    name: &str,
) {
    let x = Tensor::<B, 2>::random([1, d_model], Distribution::Normal(0.0, 1.0), device);
    let layer = &model.layers[0];
    let ff = model
        .layers
        .iter()
        .find_map(|l| l.feed_forward.as_ref())
        .expect("the demo has MoE layers");
    let mut state = model.zero_state(1, device);
    let time = |label: &str, f: &mut dyn FnMut()| {
        for _ in 0..20 {
            f();
        }
        let reps = 500;
        let t0 = now();
        for _ in 0..reps {
            f();
        }
        console_log!(
            "{name} {label}: {:.1} us",
            (now() - t0) * 1000.0 / reps as f64
        );
    };
    time("rms norm", &mut || drop(layer.norm.forward(x.clone())));
    time("mixer step", &mut || {
        drop(layer.mixer.step(x.clone(), &mut state.layers[0]))
    });
    let siger::model::Mixer::Ssm(ssm) = &layer.mixer else {
        panic!("the demo's first layer is an SSM layer");
    };
    time("in_proj", &mut || drop(ssm.in_proj.forward(x.clone())));
    time("moe infer", &mut || drop(ff.moe.infer(x.clone())));
    time("add", &mut || drop(x.clone() + x.clone()));
    time("silu", &mut || {
        drop(siger::ops::activation::silu(x.clone()))
    });
    time("softplus", &mut || {
        drop(siger::model::ssm::softplus(x.clone()))
    });
}

#[wasm_bindgen_test]
fn profile_quant_matmul() {
    use siger::quant::{QuantMatrix, QuantOptions, QuantScheme};
    // (rows, cols, scheme, calls per token) for the demo model's int4 bundle.
    let c = siger::ModelConfig::demo();
    let (d, inner, layers, moe) = (c.d_model, c.d_inner(), c.n_layers, c.moe_layers());
    let experts = c.moe.experts_per_token + c.moe.shared_experts;
    let hidden = c.moe.expert_hidden;
    let shapes = [
        (2 * inner, d, QuantScheme::Int8, layers), // in_proj
        (
            c.dt_rank() + 2 * c.d_state,
            inner,
            QuantScheme::Int8,
            layers,
        ), // x_proj
        (inner, c.dt_rank(), QuantScheme::Int8, layers), // dt_proj
        (d, inner, QuantScheme::Int4, layers),     // out_proj
        (hidden, d, QuantScheme::Int4, 2 * experts * moe), // experts up/gate
        (d, hidden, QuantScheme::Int4, experts * moe), // experts down
        (c.vocab_size, d, QuantScheme::Int8, 1),   // lm head
    ];
    let mut total = 0.0;
    for (rows, cols, scheme, calls) in shapes {
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        let m = QuantMatrix::quantize(&w, rows, cols, QuantOptions::new(scheme)).unwrap();
        let x: Vec<f32> = (0..cols).map(|i| (i as f32).sin()).collect();
        let reps = 200;
        let t0 = now();
        let mut s = 0.0;
        for _ in 0..reps {
            s += m.matmul(&x, 1)[0];
        }
        let ms = (now() - t0) / reps as f64;
        total += ms * calls as f64;
        console_log!(
            "{rows}x{cols} {}: {:.4} ms x {calls} ({s})",
            scheme.name(),
            ms
        );
    }
    console_log!("quant matmul per token: {total:.3} ms");
}
