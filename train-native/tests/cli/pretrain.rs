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
