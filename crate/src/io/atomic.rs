//! Atomic writes: a file or a folder appears complete or not at all, and survives a crash once
//! the call returns. Every file Siger writes (checkpoints, bundles, trainer state, metrics,
//! reports) goes through here.
//!
//! Both write into a staging sibling (`.{name}.tmp-{pid}`), sync it, rename it into place and
//! sync the parent folder, so the rename itself is durable. A folder being replaced is first
//! moved aside (`.{name}.old-{pid}`) and removed once the new one is in; a save killed between
//! the two renames leaves the previous folder there, which [`interrupted_save`] finds.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A write that failed, with the path it failed on.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The file or folder.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

fn at(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path`: through a synced staging file renamed over it, then the parent
/// folder synced. A reader sees the old file or the new one, never part of one.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let staging = sibling(path, "tmp");
    if let Some(parent) = non_empty_parent(path) {
        std::fs::create_dir_all(parent).map_err(at(parent))?;
    }
    write_synced(&staging, bytes).map_err(at(&staging))?;
    if let Err(source) = std::fs::rename(&staging, path) {
        let _ = std::fs::remove_file(&staging);
        return Err(WriteError {
            path: path.to_path_buf(),
            source,
        });
    }
    sync_parent(path).map_err(at(path))
}

/// Writes `files` (name, bytes) as the folder `dir`, replacing any folder there only once the
/// new one is complete and synced. Staging folders left by killed saves are removed first.
pub fn write_folder(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), WriteError> {
    let staging = sibling(dir, "tmp");
    remove_stale_siblings(dir, "tmp");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(at(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(at(&staging))?;
    let written =
        fill_staging(&staging, files).and_then(|()| replace_dir(&staging, dir).map_err(at(dir)));
    if written.is_err() {
        // A full disk or a bad name: leave no half-written staging folder behind.
        let _ = std::fs::remove_dir_all(&staging);
        return written;
    }
    // The new folder is complete: folders set aside by earlier killed saves are obsolete.
    remove_stale_siblings(dir, "old");
    Ok(())
}

fn fill_staging(staging: &Path, files: &[(&str, &[u8])]) -> Result<(), WriteError> {
    for (name, bytes) in files {
        let path = staging.join(name);
        write_synced(&path, bytes).map_err(at(&path))?;
    }
    File::open(staging)
        .and_then(|f| f.sync_all())
        .map_err(at(staging))
}

/// The previous folder a save killed between its two renames left aside, if `dir` is missing
/// because of one.
/// When several are there (saves killed more than once), the most recently modified.
pub fn interrupted_save(dir: &Path) -> Option<PathBuf> {
    let prefix = sibling_prefix(dir, "old")?;
    std::fs::read_dir(non_empty_parent(dir).unwrap_or(Path::new(".")))
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// `.{name}.{tag}-`: the start of a staging or set-aside sibling's name.
fn sibling_prefix(path: &Path, tag: &str) -> Option<String> {
    Some(format!(".{}.{tag}-", path.file_name()?.to_string_lossy()))
}

/// This process's staging or set-aside sibling of `path`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let prefix = sibling_prefix(path, tag).unwrap_or_else(|| format!(".siger.{tag}-"));
    path.with_file_name(format!("{prefix}{}", std::process::id()))
}

fn non_empty_parent(path: &Path) -> Option<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Moves `staging` to `dir`; an existing `dir` is moved aside first and removed after.
fn replace_dir(staging: &Path, dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = non_empty_parent(dir) {
        std::fs::create_dir_all(parent)?;
    }
    if !dir.exists() {
        std::fs::rename(staging, dir)?;
        return sync_parent(dir);
    }
    let old = sibling(dir, "old");
    std::fs::rename(dir, &old)?;
    if let Err(e) = std::fs::rename(staging, dir) {
        // Put the previous folder back rather than leave nothing.
        let _ = std::fs::rename(&old, dir);
        return Err(e);
    }
    sync_parent(dir)?;
    // The new folder is in place; a leftover copy of the old one is only clutter.
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Makes renames in `path`'s folder durable. Platforms that cannot open a folder for syncing
/// (Windows) skip it; anywhere else a failed sync is an error.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = non_empty_parent(path).unwrap_or(Path::new("."));
    match File::open(parent) {
        Ok(folder) => folder.sync_all(),
        Err(_) if cfg!(windows) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes `.{name}.{tag}-*` folders left by saves that were killed.
fn remove_stale_siblings(dir: &Path, tag: &str) {
    let Some(prefix) = sibling_prefix(dir, tag) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(non_empty_parent(dir).unwrap_or(Path::new("."))) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

// These tests use the file system, which wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn files_and_folders_are_replaced_whole_and_leave_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("sub").join("metrics.jsonl");
        write_file(&file, b"one").unwrap();
        write_file(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        assert_eq!(names(&tmp.path().join("sub")), ["metrics.jsonl"]);

        let dir = tmp.path().join("ckpt");
        // A staging folder a killed save left behind is cleared, not reused.
        std::fs::create_dir_all(tmp.path().join(".ckpt.tmp-1")).unwrap();
        write_folder(&dir, &[("a", b"1"), ("b", b"2")]).unwrap();
        write_folder(&dir, &[("a", b"3")]).unwrap();
        assert_eq!(names(&dir), ["a"]);
        assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"3");
        assert_eq!(names(tmp.path()), ["ckpt", "sub"]);
    }

    #[test]
    fn a_save_killed_between_its_renames_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        assert_eq!(interrupted_save(&dir), None);
        let aside = tmp.path().join(".ckpt.old-4242");
        std::fs::create_dir_all(&aside).unwrap();
        assert_eq!(interrupted_save(&dir), Some(aside));
    }

    #[test]
    fn a_failed_folder_write_leaves_no_staging_and_the_old_folder_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        write_folder(&dir, &[("a", b"1")]).unwrap();
        // A file in a sub-folder that does not exist fails like a full disk, mid-write.
        let err = write_folder(&dir, &[("a", b"2"), ("missing/b", b"3")]).unwrap_err();
        assert!(err.path.ends_with("missing/b"), "{err}");
        assert_eq!(names(tmp.path()), ["ckpt"]);
        assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"1");
    }

    #[test]
    fn old_folders_of_killed_saves_are_pruned_and_the_newest_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ckpt");
        let older = tmp.path().join(".ckpt.old-1");
        let newer = tmp.path().join(".ckpt.old-2");
        std::fs::create_dir_all(&older).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::create_dir_all(&newer).unwrap();
        std::fs::write(newer.join("x"), b"x").unwrap();
        assert_eq!(interrupted_save(&dir), Some(newer));
        write_folder(&dir, &[("a", b"1")]).unwrap();
        assert_eq!(names(tmp.path()), ["ckpt"]);
        assert_eq!(interrupted_save(&dir), None);
    }

    #[test]
    fn a_write_into_a_missing_place_names_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let err = write_file(&blocker.join("under-a-file"), b"y").unwrap_err();
        assert_eq!(err.path, blocker, "{err}");
        assert!(
            err.to_string().starts_with(&blocker.display().to_string()),
            "{err}"
        );
    }
}
