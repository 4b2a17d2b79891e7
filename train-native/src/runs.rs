//! Finding and pruning a run's checkpoints.

use std::path::{Path, PathBuf};

use siger::checkpoint;

/// The newest checkpoint under `path` that passes verification, or `path` itself if it is one.
pub fn latest_checkpoint(path: &Path) -> Option<PathBuf> {
    if path.join(checkpoint::MANIFEST_FILE).exists() {
        return Some(path.to_path_buf());
    }
    let mut steps: Vec<PathBuf> = std::fs::read_dir(path.join("checkpoints"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
        })
        .collect();
    steps.sort();
    steps.into_iter().rev().find(|dir| {
        let ok = verify_dir(dir);
        if !ok {
            eprintln!("warning: skipping unreadable checkpoint {}", dir.display());
        }
        ok
    })
}

fn verify_dir(dir: &Path) -> bool {
    let read = |name| std::fs::read(dir.join(name)).unwrap_or_default();
    let files = checkpoint::CheckpointFiles {
        manifest: read(checkpoint::MANIFEST_FILE),
        config: read(checkpoint::CONFIG_FILE),
        weights: read(checkpoint::WEIGHTS_FILE),
        tokenizer: read(checkpoint::TOKENIZER_FILE),
    };
    checkpoint::verify(&files).is_ok()
}

pub fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut steps: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
        })
        .collect();
    steps.sort();
    let excess = steps.len().saturating_sub(keep);
    for old in steps.into_iter().take(excess) {
        if let Err(e) = std::fs::remove_dir_all(&old) {
            eprintln!(
                "warning: could not remove old checkpoint {}: {e}",
                old.display()
            );
        }
    }
}
