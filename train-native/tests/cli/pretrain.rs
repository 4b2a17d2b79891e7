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

/// The workspace's corpus as token shards at `shards/` (`extra` flags passed to `shard`).
fn shard(ws: &crate::Workspace, extra: &[&str]) -> (std::process::Output, std::path::PathBuf) {
    let shards = ws.tmp.path().join("shards");
    let mut args = vec![
        "shard",
        "--data",
        crate::arg(&ws.data),
        "--tokenizer",
        crate::arg(&ws.tok),
        "--out",
        crate::arg(&shards),
    ];
    args.extend_from_slice(extra);
    let out = crate::siger_train(&args);
    crate::ok(&out);
    (out, shards)
}

#[test]
fn pretraining_on_token_shards_equals_pretraining_on_the_files() {
    let ws = crate::workspace();
    let (out, shards) = shard(&ws, &["--holdout-every", "5"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(6 held out)"), "{stderr}");
    let (files_run, shards_run) = (ws.tmp.path().join("files"), ws.tmp.path().join("sharded"));
    let tok = ["--tokenizer", crate::arg(&ws.tok), "--holdout-every", "5"];
    crate::ok(&crate::pretrain_tiny(&ws.data, &files_run, &tok));
    let sharded = crate::pretrain_tiny(&shards, &shards_run, &[]);
    crate::ok(&sharded);
    assert!(String::from_utf8_lossy(&sharded.stderr).contains("read "));
    assert_eq!(
        losses(&files_run),
        losses(&shards_run),
        "same windows, same run"
    );

    let mismatch = crate::pretrain_tiny(
        &shards,
        &ws.tmp.path().join("mismatch"),
        &["--holdout-every", "3"],
    );
    let stderr = String::from_utf8_lossy(&mismatch.stderr);
    assert!(
        !mismatch.status.success() && stderr.contains("every 5-th"),
        "{stderr}"
    );
}

#[test]
fn a_run_on_token_shards_resumes_exactly() {
    let ws = crate::workspace();
    let (_, shards) = shard(&ws, &[]);
    let run = ws.tmp.path().join("run");
    crate::ok(&crate::pretrain_tiny(&shards, &run, &[]));
    let whole = losses(&run);
    // Lose the last checkpoint, as a run killed after step 2 would have, and resume.
    std::fs::remove_dir_all(run.join("checkpoints/step-00000004")).unwrap();
    std::fs::remove_dir_all(run.join("model")).unwrap();
    crate::ok(&crate::pretrain_tiny(
        &shards,
        &run,
        &["--resume", crate::arg(&run)],
    ));
    assert_eq!(
        losses(&run),
        whole,
        "the resumed run computes the same steps 3 and 4"
    );
}

/// `recall` trains a preset on associative recall and reports its accuracy as JSON.
#[test]
fn recall_trains_and_reports_an_accuracy() {
    let said = crate::ok(&crate::siger_train(&[
        "recall",
        "--config",
        "tiny",
        "--pairs",
        "4",
        "--key-space",
        "8",
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--eval-sequences",
        "8",
    ]));
    let report: serde_json::Value = serde_json::from_str(said.trim()).unwrap();
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{report}");
    assert_eq!(report["pairs"], 4);
    let refused = crate::siger_train(&["recall", "--pairs", "9", "--key-space", "8"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--key-space"));
}
