//! `finetune`.

use crate::{arg, siger_train, trained_run};

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
