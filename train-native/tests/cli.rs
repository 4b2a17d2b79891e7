//! The `siger-train` binary end to end: tokenizer, pretrain, eval, generate, export.

use std::path::Path;
use std::process::{Command, Output};

use siger::checkpoint;
use siger::generate::{GenerationConfig, Generator};
use siger::sampling::Sampler;

fn siger_train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_siger-train"))
        .args(args)
        .output()
        .expect("run siger-train")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn corpus(dir: &Path) {
    let dialog = "==== Topik: Air ====\nKonteks: Di kelas.\nRina: Air mendidih pada suhu berapa?\n\
                  Bu Sari: Pada 100 derajat Celsius di permukaan laut.\n\n";
    std::fs::write(dir.join("dialog.txt"), dialog.repeat(15)).unwrap();
    let row = r#"{"instruction":"Sebutkan warna langit","input":"","output":"Langit cerah berwarna biru.","system":""}"#;
    std::fs::write(dir.join("rows.jsonl"), format!("{row}\n").repeat(15)).unwrap();
}

#[test]
fn train_export_and_generate_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    corpus(&data);
    let (run, bundle) = (tmp.path().join("run"), tmp.path().join("bundle"));
    let data_s = data.to_str().unwrap();

    let tok_dir = tmp.path().join("tok");
    ok(&siger_train(&[
        "tokenizer",
        "--input",
        data_s,
        "--vocab-size",
        "300",
        "--out",
        tok_dir.to_str().unwrap(),
    ]));
    let tok = siger::tokenizer::Tokenizer::from_json(
        &std::fs::read(tok_dir.join("tokenizer.json")).unwrap(),
    )
    .unwrap();
    assert!(tok.vocab_size() <= 300);

    ok(&siger_train(&[
        "pretrain",
        "--config",
        "tiny",
        "--data",
        data_s,
        "--tokenizer",
        tok_dir.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--steps",
        "4",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--checkpoint-every",
        "2",
        "--quiet",
    ]));
    for file in [
        "metrics.jsonl",
        "loss.svg",
        "model/manifest.json",
        "checkpoints/step-00000004/optimizer.mpk",
    ] {
        assert!(run.join(file).exists(), "{file} missing");
    }
    assert_eq!(
        std::fs::read_to_string(run.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .count(),
        4
    );

    let eval = ok(&siger_train(&[
        "eval",
        "--model",
        run.to_str().unwrap(),
        "--data",
        data_s,
        "--json",
        "--seq-len",
        "16",
    ]));
    let eval: serde_json::Value = serde_json::from_str(eval.trim()).unwrap();
    for key in ["perplexity", "tokens", "tokens_per_s"] {
        assert!(
            eval[key].as_f64().is_some_and(f64::is_finite),
            "{key} in {eval}"
        );
    }

    let reply = ok(&siger_train(&[
        "generate",
        "--model",
        run.to_str().unwrap(),
        "--prompt",
        "Halo",
        "--max-tokens",
        "5",
        "--seed",
        "3",
    ]));
    assert!(!reply.is_empty());

    ok(&siger_train(&[
        "export",
        "--model",
        run.to_str().unwrap(),
        "--out",
        bundle.to_str().unwrap(),
    ]));
    type B = burn::backend::NdArray<f32>;
    let loaded = checkpoint::load::<B>(&bundle, &Default::default()).unwrap();
    let prompt = loaded.tokenizer.encode("Air mendidih");
    let config = GenerationConfig {
        max_tokens: 5,
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
    let tokens: Vec<u32> = std::iter::from_fn(|| generator.next_token())
        .map(Result::unwrap)
        .collect();
    assert_eq!(tokens.len(), 5);

    let int4 = tmp.path().join("bundle-int4");
    let said = ok(&siger_train(&[
        "export",
        "--model",
        run.to_str().unwrap(),
        "--out",
        int4.to_str().unwrap(),
        "--quant",
        "int4",
    ]));
    assert!(said.contains("int4 bundle written"), "{said}");
    let loaded = checkpoint::load::<B>(&int4, &Default::default()).unwrap();
    assert!(
        loaded
            .manifest
            .quantization
            .values()
            .any(|q| q.scheme == "int4")
    );
    let mut generator = Generator::new(
        &loaded.model,
        &loaded.tokenizer,
        &prompt,
        Sampler::greedy(),
        GenerationConfig {
            max_tokens: 5,
            stop_tokens: vec![],
        },
    )
    .unwrap();
    assert_eq!(std::iter::from_fn(|| generator.next_token()).count(), 5);
    let again = siger_train(&[
        "export",
        "--model",
        int4.to_str().unwrap(),
        "--out",
        tmp.path().join("x").to_str().unwrap(),
        "--quant",
        "int8",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a quantized bundle"));

    let report = ok(&siger_train(&[
        "quant-report",
        "--model",
        run.to_str().unwrap(),
        "--data",
        data_s,
        "--seq-len",
        "16",
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    for format in ["f32", "int8", "int4"] {
        for key in [
            "perplexity",
            "top1_agreement",
            "max_abs_logit_diff",
            "bytes",
        ] {
            let v = report[format][key].as_f64();
            assert!(v.is_some_and(f64::is_finite), "{format}.{key} in {report}");
        }
    }
    assert_eq!(report["f32"]["top1_agreement"], 1.0);
    let bytes = |f: &str| report[f]["bytes"].as_f64().unwrap();
    assert!(bytes("int4") < bytes("int8") && bytes("int8") < bytes("f32"));
}

#[test]
fn malformed_data_is_reported_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.jsonl");
    std::fs::write(&file, "{\"text\":\"baik\"}\n{oops\n").unwrap();
    let out = siger_train(&[
        "tokenizer",
        "--input",
        file.to_str().unwrap(),
        "--vocab-size",
        "300",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.jsonl:2"), "{stderr}");
    assert!(stderr.contains("--on-error skip"), "{stderr}");
}

#[test]
fn missing_backends_and_models_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = siger_train(&[
        "generate",
        "--model",
        tmp.path().to_str().unwrap(),
        "--prompt",
        "x",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a checkpoint folder"));
    if !cfg!(feature = "cuda") {
        let out = siger_train(&["eval", "--model", ".", "--data", ".", "--backend", "cuda"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features cuda"));
    }
}
