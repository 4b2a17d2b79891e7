//! `tokenizer`.

use crate::{arg, siger_train, workspace};

#[test]
fn tokenizer_writes_a_tokenizer_of_at_most_the_asked_size() {
    let ws = workspace();
    let tok =
        siger::text::Tokenizer::from_json(&std::fs::read(ws.tok.join("tokenizer.json")).unwrap())
            .unwrap();
    assert!(tok.vocab_size() <= 300);
}

#[test]
fn malformed_data_is_reported_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.jsonl");
    std::fs::write(&file, "{\"text\":\"baik\"}\n{oops\n").unwrap();
    let out = siger_train(&[
        "tokenizer",
        "--input",
        arg(&file),
        "--vocab-size",
        "300",
        "--out",
        arg(tmp.path()),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.jsonl:2"), "{stderr}");
    assert!(stderr.contains("--on-error skip"), "{stderr}");
}
