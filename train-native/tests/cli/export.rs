//! `export`: f32 and int4 bundles that load and decode, and no re-quantizing a quantized one.

use std::path::{Path, PathBuf};

use siger::infer::generate::{GenerationConfig, Generator};
use siger::infer::sampling::Sampler;
use siger::io::checkpoint;

use crate::{
    Workspace, arg, eval_json, export_int4, manifest, ok, pretrain_config, siger_train,
    trained_run, workspace,
};

type B = burn::backend::NdArray<f32>;

/// Greedy ids the bundle at `dir` generates after "Air mendidih", at most `max_tokens`.
fn greedy_tokens(dir: &Path, max_tokens: usize) -> Vec<u32> {
    let loaded = checkpoint::load::<B>(dir, &Default::default()).unwrap();
    let prompt = loaded.tokenizer.encode("Air mendidih").unwrap();
    let config = GenerationConfig {
        max_tokens,
        stop_tokens: vec![],
    };
    let mut generator = Generator::new(
        &loaded.model,
        &loaded.tokenizer,
        &prompt,
        Sampler::greedy(),
        config,
    )
    .unwrap();
    std::iter::from_fn(|| generator.next_token())
        .map(Result::unwrap)
        .collect()
}

/// A config file `name` in the workspace: the tiny preset with 3 layers and `option` set to
/// `value`.
fn tiny_with(ws: &Workspace, name: &str, option: &str, value: serde_json::Value) -> PathBuf {
    let path = ws.tmp.path().join(name);
    let mut config = serde_json::to_value(siger::ModelConfig::tiny().with_n_layers(3)).unwrap();
    config[option] = value;
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

#[test]
fn an_f32_bundle_loads_and_generates() {
    let (ws, run) = trained_run();
    let bundle = ws.tmp.path().join("bundle");
    ok(&siger_train(&[
        "export",
        "--model",
        arg(&run),
        "--out",
        arg(&bundle),
    ]));
    assert_eq!(greedy_tokens(&bundle, 5).len(), 5);
}

#[test]
fn an_int4_bundle_loads_generates_and_is_not_quantized_again() {
    let (ws, run) = trained_run();
    let int4 = ws.tmp.path().join("bundle-int4");
    let said = export_int4(&run, &int4);
    assert!(said.contains("int4 bundle written"), "{said}");
    let loaded = checkpoint::load::<B>(&int4, &Default::default()).unwrap();
    assert!(
        loaded
            .manifest
            .quantization
            .values()
            .any(|q| q.scheme == "int4")
    );
    assert_eq!(greedy_tokens(&int4, 5).len(), 5);
    let again = siger_train(&[
        "export",
        "--model",
        arg(&int4),
        "--out",
        arg(&ws.tmp.path().join("x")),
        "--quant",
        "int8",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a quantized bundle"));
}

/// A config whose middle layer is attention trains, exports to int4 (attention projections
/// quantized like the others) and generates from the bundle.
#[test]
fn a_hybrid_config_with_an_attention_layer_trains_exports_and_generates() {
    let ws = workspace();
    let attention = serde_json::json!({
        "layers": [1], "heads": 2, "head_dim": 8, "kv_rank": 8, "rope_dim": 4, "rope_theta": 10000.0
    });
    let config = tiny_with(&ws, "hybrid.json", "attention", attention);
    let run = ws.tmp.path().join("run");
    ok(&pretrain_config(arg(&config), &ws.data, &run, &[]));
    let int4 = ws.tmp.path().join("int4");
    export_int4(&run, &int4);
    let manifest = manifest(&int4);
    let scheme = &manifest["quantization"]["layers.1.mixer.q_proj.weight"]["scheme"];
    assert_eq!(scheme, "int4", "{manifest}");
    let up = &manifest["quantization"]["layers.1.mixer.k_up.weight"];
    assert!(up.is_null(), "k_up stays f32 for the absorbed decode: {up}");
    assert_eq!(greedy_tokens(&int4, 5).len(), 5);
}

/// A config with a recurrent-depth layer trains with the ponder cost in its loss, reports its
/// loops per token in `eval`, exports to int4 (the halting unit stays f32) and generates from
/// the bundle.
#[test]
fn a_recurrent_depth_config_trains_evaluates_exports_and_generates() {
    let ws = workspace();
    let recurrent = serde_json::json!({
        "layer": 1, "max_loops": 4, "threshold": 0.99, "ponder_weight": 0.01
    });
    let config = tiny_with(&ws, "recurrent.json", "recurrent", recurrent);
    let run = ws.tmp.path().join("run");
    ok(&pretrain_config(arg(&config), &ws.data, &run, &[]));
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    for line in metrics.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        let ponder = m["ponder"].as_f64().unwrap();
        // N + R per position, N in 1..=4 and R in (0, 1].
        assert!(ponder > 1.0 && ponder <= 5.0, "{m}");
        let ce = m["cross_entropy"].as_f64().unwrap();
        let aux = m["aux_loss"].as_f64().unwrap();
        let loss = m["loss"].as_f64().unwrap();
        assert!(
            (loss - (ce + 0.01 * aux + 0.01 * ponder)).abs() < 1e-6,
            "{m}"
        );
    }
    let eval = eval_json(&run, &ws.data);
    let loops = eval["loops_per_token"].as_f64().unwrap();
    assert!((1.0..=4.0).contains(&loops), "{eval}");
    let int4 = ws.tmp.path().join("int4");
    export_int4(&run, &int4);
    let manifest = manifest(&int4);
    let halting = &manifest["quantization"]["halting.weight"];
    assert!(halting.is_null(), "the halting unit stays f32: {halting}");
    assert_eq!(greedy_tokens(&int4, 5).len(), 5);
    let generated = siger_train(&[
        "generate",
        "--model",
        arg(&int4),
        "--prompt",
        "Air mendidih",
        "--max-tokens",
        "6",
    ]);
    ok(&generated);
    let stderr = String::from_utf8_lossy(&generated.stderr);
    assert!(
        stderr.contains("loops per token on average (of up to 4)"),
        "{stderr}"
    );
}
