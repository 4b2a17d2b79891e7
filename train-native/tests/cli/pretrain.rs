//! `pretrain`.

use crate::trained_run;

#[test]
fn pretrain_writes_metrics_curve_model_and_checkpoints() {
    let (_ws, run) = trained_run();
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
}

/// The `loss` of every line of a run's metrics.
fn losses(run: &std::path::Path) -> Vec<f64> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn pretraining_on_token_shards_equals_pretraining_on_the_files() {
    let ws = crate::workspace();
    let shards = ws.tmp.path().join("shards");
    let out = crate::siger_train(&[
        "shard",
        "--data",
        crate::arg(&ws.data),
        "--tokenizer",
        crate::arg(&ws.tok),
        "--out",
        crate::arg(&shards),
        "--holdout-every",
        "5",
    ]);
    crate::ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(6 held out)"), "{stderr}");
    let train = |data: &std::path::Path, run: &str, extra: &[&str]| {
        let run = ws.tmp.path().join(run);
        let mut args = vec![
            "pretrain",
            "--config",
            "tiny",
            "--data",
            crate::arg(data),
            "--out",
            crate::arg(&run),
            "--steps",
            "3",
            "--seq-len",
            "16",
            "--batch-size",
            "2",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        (crate::siger_train(&args), run)
    };
    let tok = ["--tokenizer", crate::arg(&ws.tok), "--holdout-every", "5"];
    let (files, files_run) = train(&ws.data, "files", &tok);
    crate::ok(&files);
    let (sharded, shards_run) = train(&shards, "sharded", &[]);
    crate::ok(&sharded);
    assert!(String::from_utf8_lossy(&sharded.stderr).contains("read "));
    assert_eq!(
        losses(&files_run),
        losses(&shards_run),
        "same windows, same run"
    );

    let (mismatch, _) = train(&shards, "mismatch", &["--holdout-every", "3"]);
    let stderr = String::from_utf8_lossy(&mismatch.stderr);
    assert!(
        !mismatch.status.success() && stderr.contains("every 5-th"),
        "{stderr}"
    );
}

#[test]
fn a_run_on_token_shards_resumes_exactly() {
    let ws = crate::workspace();
    let shards = ws.tmp.path().join("shards");
    crate::ok(&crate::siger_train(&[
        "shard",
        "--data",
        crate::arg(&ws.data),
        "--tokenizer",
        crate::arg(&ws.tok),
        "--out",
        crate::arg(&shards),
    ]));
    let run = ws.tmp.path().join("run");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "pretrain",
            "--config",
            "tiny",
            "--data",
            crate::arg(&shards),
            "--out",
            crate::arg(&run),
            "--steps",
            "4",
            "--seq-len",
            "16",
            "--batch-size",
            "2",
            "--checkpoint-every",
            "2",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let call = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::ok(&crate::siger_train(&refs));
    };
    call(args(&[]));
    let whole = losses(&run);
    // Lose the last checkpoint, as a run killed after step 2 would have, and resume.
    std::fs::remove_dir_all(run.join("checkpoints/step-00000004")).unwrap();
    std::fs::remove_dir_all(run.join("model")).unwrap();
    call(args(&["--resume", crate::arg(&run)]));
    assert_eq!(
        losses(&run),
        whole,
        "the resumed run computes the same steps 3 and 4"
    );
}
