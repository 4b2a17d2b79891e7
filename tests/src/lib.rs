//! Cross-crate tests for Siger: parity with the independent numpy reference
//! (`reference/siger_reference.py`), checkpoints read from Python, and end-to-end generation.
//! The tests live in `tests/`; this library only holds what they share.

use std::path::PathBuf;

pub mod fuzz;
pub mod fuzz_targets;

/// The folder holding the reference script and its fixtures.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference")
}

/// A Python interpreter with numpy and safetensors, if this machine has one.
pub fn python_with_safetensors() -> Option<&'static str> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import numpy, safetensors"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some("python3")
}
