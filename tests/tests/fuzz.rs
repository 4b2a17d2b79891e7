//! A short fuzz run of every target (the long run is `pkg-scripts/fuzz`): no input panics.

use siger_tests::fuzz_targets::{TARGETS, run_target};

#[test]
fn no_mutated_input_panics_any_parser() {
    for name in TARGETS {
        let executions = if ["checkpoint", "session", "request"].contains(&name) {
            150
        } else {
            2_000
        };
        let report = run_target(name, executions, 7).expect("known target");
        assert_eq!(report.panics, 0, "{name}: {:?}", report.first_panic);
        assert!(
            report.accepted < report.executions,
            "{name}: every mutation was accepted"
        );
    }
}

/// Inputs the fuzzer found panicking, kept so each stays an error: a `tokenizer.json` with a
/// syntax error inside its decoder section (tokenizers 0.22 `expect`s there).
#[test]
fn inputs_that_once_panicked_are_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-regressions");
    let json = std::fs::read(dir.join("tokenizer-decoder-syntax-error.json")).unwrap();
    assert!(siger::text::Tokenizer::from_json(&json).is_err());
}
