//! Finding and pruning a run's checkpoints.

use std::path::{Path, PathBuf};

use siger::io::checkpoint;

/// Every checkpoint under `path` that passes verification, newest first (or `path` itself if it
/// is one), so a caller can fall back to an older one when the newest will not load.
pub fn candidates(path: &Path) -> Vec<PathBuf> {
    if path.join(checkpoint::MANIFEST_FILE).exists() {
        return vec![path.to_path_buf()];
    }
    let Ok(entries) = std::fs::read_dir(path.join("checkpoints")) else {
        return Vec::new();
    };
    let mut steps: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| Some((step_of(&p)?, p)))
        .collect();
    steps.sort();
    steps
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .filter(|dir| {
            let ok = verify_dir(dir);
            if !ok {
                eprintln!("warning: skipping unreadable checkpoint {}", dir.display());
            }
            ok
        })
        .collect()
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

/// Removes all but the newest `keep` checkpoints at or before step `current`. Folders of later
/// steps (left by another run in the same folder) are never touched, so the checkpoint just
/// written always survives.
pub fn prune(dir: &Path, keep: usize, current: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut steps: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| Some((step_of(&p)?, p)))
        .filter(|(step, _)| *step <= current)
        .collect();
    steps.sort();
    let excess = steps.len().saturating_sub(keep.max(1));
    for (_, old) in steps.into_iter().take(excess) {
        if let Err(e) = std::fs::remove_dir_all(&old) {
            eprintln!(
                "warning: could not remove old checkpoint {}: {e}",
                old.display()
            );
        }
    }
}

/// The step of a `step-NNNNNNNN` folder.
fn step_of(path: &Path) -> Option<u64> {
    path.file_name()?
        .to_str()?
        .strip_prefix("step-")?
        .parse()
        .ok()
}

/// The newest checkpoint under `path` that passes verification, or `path` itself if it is one.
#[cfg(test)]
pub fn latest_checkpoint(path: &Path) -> Option<PathBuf> {
    candidates(path).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_the_newest_and_never_later_steps() {
        let tmp = tempfile::tempdir().unwrap();
        for step in [100, 200, 300, 5000] {
            std::fs::create_dir_all(tmp.path().join(format!("step-{step:08}"))).unwrap();
        }
        prune(tmp.path(), 1, 300);
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec!["step-00000300", "step-00005000"]);
    }
}
