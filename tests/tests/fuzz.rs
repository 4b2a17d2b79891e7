//! A short fuzz run of every target (the long run is `pkg-scripts/fuzz`): no input panics.

use siger_tests::fuzz_targets::{TARGETS, run_target};

#[test]
fn no_mutated_input_panics_any_parser() {
    for name in TARGETS {
        let executions = if name == "checkpoint" || name == "session" {
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
