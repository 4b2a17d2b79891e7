//! `eval`.

use crate::{arg, ok, siger_train, trained_run};

#[test]
fn eval_prints_finite_perplexity_tokens_and_speed() {
    let (ws, run) = trained_run();
    let eval = ok(&siger_train(&[
        "eval",
        "--model",
        arg(&run),
        "--data",
        arg(&ws.data),
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
}
