//! Helpers shared by the translator's tests: small entries, and the path to `../shared` data.

use std::path::PathBuf;

use super::lang::DialectTag;
use super::lexicon::Entry;

/// A minimal entry.
pub fn entry(lampung: &str, indonesian: &str, dialect: DialectTag) -> Entry {
    Entry {
        lampung: lampung.to_string(),
        indonesian: indonesian.to_string(),
        english: None,
        dialect,
        pos: None,
        source: "test".to_string(),
        note: None,
    }
}

/// The folder of the project's shared Lampung data, if present: `$SIGER_SHARED_DATA/lampung`,
/// then `<crate>/../../shared/data/lampung` (the layout beside the repository), then
/// `/work/shared/data/lampung`. Tests that need it print a message and pass when it is absent.
pub fn shared_lampung_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("SIGER_SHARED_DATA").map(|d| PathBuf::from(d).join("lampung")),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/lampung")),
        Some(PathBuf::from("/work/shared/data/lampung")),
    ];
    candidates.into_iter().flatten().find(|dir| dir.is_dir())
}

/// Reads a file of the shared Lampung data, or prints why not and returns `None`.
pub fn read_shared(file: &str) -> Option<String> {
    let Some(dir) = shared_lampung_dir() else {
        eprintln!("skipped: shared data not found (set SIGER_SHARED_DATA to ../shared/data)");
        return None;
    };
    match std::fs::read_to_string(dir.join(file)) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("skipped: {}: {e}", dir.join(file).display());
            None
        }
    }
}
