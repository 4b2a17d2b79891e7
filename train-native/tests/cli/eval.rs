//! `eval`.

use crate::{eval_json, trained_run};

#[test]
fn eval_prints_finite_perplexity_tokens_and_speed() {
    let (ws, run) = trained_run();
    let eval = eval_json(&run, &ws.data);
    for key in ["perplexity", "tokens", "tokens_per_s"] {
        assert!(
            eval[key].as_f64().is_some_and(f64::is_finite),
            "{key} in {eval}"
        );
    }
}
