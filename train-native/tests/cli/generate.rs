//! `generate`.

use crate::{arg, ok, siger_train, trained_run};

#[test]
fn generate_streams_a_reply() {
    let (_ws, run) = trained_run();
    let reply = ok(&siger_train(&[
        "generate",
        "--model",
        arg(&run),
        "--prompt",
        "Halo",
        "--max-tokens",
        "5",
        "--seed",
        "3",
    ]));
    assert!(!reply.is_empty());
}
