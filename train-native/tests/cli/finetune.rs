//! `finetune`.

use crate::{arg, eval_json, export_int4, finetune_tiny, manifest, ok, siger_train, trained_run};

#[test]
fn finetune_holds_out_every_nth_example_and_writes_a_model() {
    let (ws, run) = trained_run();
    let chat = ws.tmp.path().join("chat");
    let out = finetune_tiny(&run, &ws.data, &chat, &["--holdout-every", "3"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    // 15 dialogs and 15 instruction rows: every third of the 30 is held out.
    assert!(stderr.contains("holding out 10 examples"), "{stderr}");
    assert!(chat.join("model").join("model.safetensors").is_file());
}

#[test]
fn lora_finetune_writes_an_adapter_that_merge_folds_into_an_exportable_checkpoint() {
    let (ws, run) = trained_run();
    let tuned = ws.tmp.path().join("lora");
    let lora = ["--lora-rank", "4", "--lora-targets", "in_proj,out_proj"];
    let out = finetune_tiny(&run, &ws.data, &tuned, &lora);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LoRA rank 4"), "{stderr}");
    let adapter = tuned.join("adapter");
    assert!(adapter.join("adapter.safetensors").is_file());
    assert!(
        !tuned.join("model").exists(),
        "a LoRA run writes no full model"
    );

    let merged = ws.tmp.path().join("merged");
    let out = siger_train(&[
        "merge",
        "--base",
        arg(&run),
        "--adapter",
        arg(&adapter),
        "--out",
        arg(&merged),
    ]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("merged rank-4 adapters"), "{stderr}");
    let bundle = ws.tmp.path().join("bundle");
    ok(&siger_train(&[
        "export",
        "--model",
        arg(&merged),
        "--out",
        arg(&bundle),
        "--quant",
        "int8",
    ]));
    assert!(bundle.join("model.safetensors").is_file());

    let wrong = siger_train(&[
        "merge",
        "--base",
        arg(&merged),
        "--adapter",
        arg(&adapter),
        "--out",
        arg(&ws.tmp.path().join("again")),
    ]);
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        !wrong.status.success() && stderr.contains("fine-tuned from"),
        "{stderr}"
    );
    let bad_target = siger_train(&[
        "finetune",
        "--from",
        arg(&run),
        "--data",
        arg(&ws.data),
        "--out",
        arg(&tuned),
        "--lora-rank",
        "2",
        "--lora-targets",
        "conv",
        "--steps",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&bad_target.stderr);
    assert!(stderr.contains("unknown LoRA target `conv`"), "{stderr}");
}

/// `--conditioning` attaches topic and context maps to a model pretrained without them; the
/// tuned model's config declares them, `eval` scores it with each dialog's topic, and its
/// bundle keeps the maps.
#[test]
fn conditioning_finetune_attaches_topic_maps_that_eval_and_export_keep() {
    let (ws, run) = trained_run();
    let tuned = ws.tmp.path().join("conditioned");
    let out = finetune_tiny(&run, &ws.data, &tuned, &["--conditioning", "16"]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("conditioning attached"), "{stderr}");
    // The 15 dialogs declare "Topik: Air"; the instruction rows declare none.
    assert!(
        stderr.contains("15 conversations declaring a topic"),
        "{stderr}"
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tuned.join("model").join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["conditioning"]["max_tokens"], 16, "{config}");
    let eval = eval_json(&tuned, &ws.data);
    assert!(
        eval["bits_per_byte"].as_f64().is_some_and(f64::is_finite),
        "{eval}"
    );
    let int4 = ws.tmp.path().join("int4");
    export_int4(&tuned, &int4);
    let manifest = manifest(&int4);
    assert!(
        manifest["quantization"]["conditioning.topic"].is_null(),
        "maps stay f32"
    );
    assert!(manifest["quantization"]["layers.0.mixer.in_proj.weight"].is_object());
}
