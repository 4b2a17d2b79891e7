//! `translate` and `eval-translate` on the built-in phrasebook.

use crate::{arg, ok, siger_train};

#[test]
fn translate_prints_tokens_as_json() {
    let out = ok(&siger_train(&[
        "translate",
        "--text",
        "saya mau makan",
        "--from",
        "id",
        "--to",
        "lpg-nyo",
        "--json",
    ]));
    let translation: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        translation["tokens"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{out}"
    );
    let unknown = siger_train(&["translate", "--text", "x", "--to", "xx"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown language \"xx\""));
}

#[test]
fn eval_translate_scores_pairs_and_names_bad_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let pairs = tmp.path().join("pairs.tsv");
    std::fs::write(
        &pairs,
        "indonesian\tlampung\nsaya mau makan\tnyak haga mengan\n",
    )
    .unwrap();
    let out = ok(&siger_train(&[
        "eval-translate",
        "--pairs",
        arg(&pairs),
        "--from",
        "id",
        "--to",
        "lpg-nyo",
        "--json",
    ]));
    let scores: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for key in ["bleu", "chrf", "coverage"] {
        assert!(
            scores[key].as_f64().is_some_and(f64::is_finite),
            "{key} in {out}"
        );
    }
    std::fs::write(&pairs, "indonesian\tlampung\nonly one column\n").unwrap();
    let bad = siger_train(&[
        "eval-translate",
        "--pairs",
        arg(&pairs),
        "--from",
        "id",
        "--to",
        "lpg",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("pairs.tsv:2: expected two tab-separated columns")
    );
}

#[test]
fn translation_lm_trains_a_model_that_translate_loads_and_a_bad_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("id.txt");
    std::fs::write(&text, "saya mau makan nasi\n".repeat(10)).unwrap();
    let model = tmp.path().join("id.ngram");
    let out = ok(&siger_train(&[
        "translation-lm",
        "--text",
        arg(&text),
        "--out",
        arg(&model),
    ]));
    assert!(out.contains("words"), "{out}");
    let out = ok(&siger_train(&[
        "translate",
        "--text",
        "nyak haga mengan",
        "--from",
        "lpg-nyo",
        "--to",
        "id",
        "--language-model",
        arg(&model),
    ]));
    assert!(out.contains("saya mau makan"), "{out}");
    let bad = tmp.path().join("bad.ngram");
    std::fs::write(&bad, b"not a model").unwrap();
    let refused = siger_train(&[
        "translate",
        "--text",
        "nyak",
        "--to",
        "id",
        "--language-model",
        arg(&bad),
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("not a Siger n-gram model"), "{stderr}");
}
