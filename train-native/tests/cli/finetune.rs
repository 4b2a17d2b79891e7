//! `finetune`.

use crate::{arg, ok, siger_train, trained_run};

#[test]
fn finetune_holds_out_every_nth_example_and_writes_a_model() {
    let (ws, run) = trained_run();
    let chat = ws.tmp.path().join("chat");
    let out = siger_train(&[
        "finetune",
        "--from",
        arg(&run),
        "--data",
        arg(&ws.data),
        "--holdout-every",
        "3",
        "--out",
        arg(&chat),
        "--steps",
        "2",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--quiet",
    ]);
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
    let out = siger_train(&[
        "finetune",
        "--from",
        arg(&run),
        "--data",
        arg(&ws.data),
        "--out",
        arg(&tuned),
        "--lora-rank",
        "4",
        "--lora-targets",
        "in_proj,out_proj",
        "--steps",
        "2",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--quiet",
    ]);
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
    let out = siger_train(&[
        "finetune",
        "--from",
        arg(&run),
        "--data",
        arg(&ws.data),
        "--out",
        arg(&tuned),
        "--conditioning",
        "16",
        "--steps",
        "2",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--quiet",
    ]);
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
    let eval = ok(&siger_train(&[
        "eval",
        "--model",
        arg(&tuned),
        "--data",
        arg(&ws.data),
        "--json",
        "--seq-len",
        "16",
    ]));
    let eval: serde_json::Value = serde_json::from_str(eval.trim()).unwrap();
    assert!(
        eval["bits_per_byte"].as_f64().is_some_and(f64::is_finite),
        "{eval}"
    );
    let int4 = ws.tmp.path().join("int4");
    ok(&siger_train(&[
        "export",
        "--model",
        arg(&tuned),
        "--out",
        arg(&int4),
        "--quant",
        "int4",
    ]));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(int4.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["quantization"]["conditioning.topic"].is_null(),
        "maps stay f32"
    );
    assert!(manifest["quantization"]["layers.0.mixer.in_proj.weight"].is_object());
}
