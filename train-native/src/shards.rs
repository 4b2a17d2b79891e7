//! Token shards: a corpus tokenized once (`siger-train shard`) and read back by `pretrain`
//! without tokenizing again. The folder holds `tokens.bin` (the [`Stream`]'s ids, little-endian
//! u16 when the vocabulary fits, else u32), `mask.bin` (one byte per id), the `tokenizer.json`
//! they were made with, and `shards.json`: the format, the tokenizer's sha256, the id width, the
//! counts, the hold-out setting and the examples it left out, the source files, and the size and
//! sha256 of every file. It is written atomically and verified when read.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use siger::io::atomic;
use siger::io::checkpoint::{FileEntry, entry};
use siger::text::Tokenizer;

use crate::dataset::Stream;

/// The manifest.
pub const MANIFEST_FILE: &str = "shards.json";
const TOKENS_FILE: &str = "tokens.bin";
const MASK_FILE: &str = "mask.bin";
const TOKENIZER_FILE: &str = "tokenizer.json";
const FORMAT: &str = "siger-token-shards";
const VERSION: u32 = 1;

/// `shards.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    /// Always `siger-token-shards`.
    pub format: String,
    /// Format version.
    pub version: u32,
    /// sha256 of the `tokenizer.json` the ids come from.
    pub tokenizer_sha256: String,
    /// Bytes per id in `tokens.bin`: 2 or 4.
    pub id_bytes: usize,
    /// Ids in the stream.
    pub tokens: u64,
    /// Examples the stream holds.
    pub examples: usize,
    /// Every N-th example was held out (0: none), as `pretrain --holdout-every N` would.
    pub holdout_every: usize,
    /// Examples held out (not in the stream).
    pub held_out: usize,
    /// The data given to `shard`.
    pub sources: Vec<PathBuf>,
    /// Size and sha256 of every other file.
    pub files: std::collections::BTreeMap<String, FileEntry>,
}

/// What `shard` records about how the stream was made.
pub struct Made<'a> {
    /// The tokenizer.
    pub tokenizer: &'a Tokenizer,
    /// Examples in the stream.
    pub examples: usize,
    /// The hold-out setting.
    pub holdout_every: usize,
    /// Examples held out.
    pub held_out: usize,
    /// The data given.
    pub sources: &'a [PathBuf],
}

/// Whether `path` is a shard folder.
pub fn is_shards(path: &Path) -> bool {
    path.join(MANIFEST_FILE).is_file()
}

/// Writes `stream` as the shard folder `dir`, atomically.
pub fn write(dir: &Path, stream: &Stream, made: &Made) -> Result<ShardManifest, String> {
    let tokenizer = made.tokenizer.to_json().into_bytes();
    let id_bytes = if made.tokenizer.vocab_size() <= 1 << 16 {
        2
    } else {
        4
    };
    let mut tokens = Vec::with_capacity(stream.ids.len() * id_bytes);
    for &id in &stream.ids {
        match id_bytes {
            2 => tokens.extend_from_slice(&(id as u16).to_le_bytes()),
            _ => tokens.extend_from_slice(&id.to_le_bytes()),
        }
    }
    let mut files: Vec<(&str, &[u8])> = vec![
        (TOKENS_FILE, &tokens),
        (MASK_FILE, &stream.mask),
        (TOKENIZER_FILE, &tokenizer),
    ];
    let manifest = ShardManifest {
        format: FORMAT.into(),
        version: VERSION,
        tokenizer_sha256: entry(&tokenizer).sha256,
        id_bytes,
        tokens: stream.ids.len() as u64,
        examples: made.examples,
        holdout_every: made.holdout_every,
        held_out: made.held_out,
        sources: made.sources.to_vec(),
        files: files
            .iter()
            .map(|(name, bytes)| (name.to_string(), entry(bytes)))
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    files.push((MANIFEST_FILE, &json));
    atomic::write_folder(dir, &files).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(manifest)
}

/// Reads and verifies the shard folder `dir`: its manifest, the stream and its tokenizer.
pub fn read(dir: &Path) -> Result<(ShardManifest, Stream, Tokenizer), String> {
    let at = |name: &str| dir.join(name).display().to_string();
    let bytes = std::fs::read(dir.join(MANIFEST_FILE))
        .map_err(|e| format!("{}: {e}", at(MANIFEST_FILE)))?;
    let manifest: ShardManifest = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a token-shard manifest: {e}", at(MANIFEST_FILE)))?;
    if manifest.format != FORMAT || manifest.version > VERSION {
        return Err(format!(
            "{}: format {} version {}; this build reads {FORMAT} up to version {VERSION}",
            at(MANIFEST_FILE),
            manifest.format,
            manifest.version
        ));
    }
    let file = |name: &str| -> Result<Vec<u8>, String> {
        let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", at(name)))?;
        match manifest.files.get(name) {
            Some(expected) if *expected == entry(&bytes) => Ok(bytes),
            _ => Err(format!(
                "{} does not match {MANIFEST_FILE} (truncated or changed): run `siger-train shard` again",
                at(name)
            )),
        }
    };
    let (tokens, mask, tokenizer) = (file(TOKENS_FILE)?, file(MASK_FILE)?, file(TOKENIZER_FILE)?);
    let tokenizer =
        Tokenizer::from_json(&tokenizer).map_err(|e| format!("{}: {e}", at(TOKENIZER_FILE)))?;
    let ids: Vec<u32> = match manifest.id_bytes {
        2 => tokens
            .chunks_exact(2)
            .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
            .collect(),
        4 => tokens
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        n => {
            return Err(format!(
                "{}: ids of {n} bytes are not a format",
                at(MANIFEST_FILE)
            ));
        }
    };
    let vocab = tokenizer.vocab_size() as u32;
    if ids.len() as u64 != manifest.tokens || mask.len() != ids.len() {
        return Err(format!(
            "{}: the files hold different numbers of ids",
            dir.display()
        ));
    }
    if let Some(bad) = ids.iter().find(|&&id| id >= vocab) {
        return Err(format!(
            "{}: id {bad} is outside the tokenizer's {vocab} ids",
            at(TOKENS_FILE)
        ));
    }
    Ok((manifest, Stream::new(ids, mask), tokenizer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Example;
    use crate::dataset::{LossMask, cut, stream, windows};

    fn tokenizer() -> Tokenizer {
        let text = "Tumbuhan membuat makanan dari air dan cahaya matahari.";
        Tokenizer::train(std::iter::repeat_n(text, 20), 300).unwrap()
    }

    fn examples() -> Vec<Example> {
        [
            "Air mendidih pada seratus derajat.",
            "Tumbuhan membuat makanan.",
        ]
        .iter()
        .cycle()
        .take(9)
        .map(|t| Example::Text(t.to_string()))
        .collect()
    }

    fn made<'a>(tok: &'a Tokenizer, sources: &'a [PathBuf]) -> Made<'a> {
        Made {
            tokenizer: tok,
            examples: 9,
            holdout_every: 0,
            held_out: 0,
            sources,
        }
    }

    #[test]
    fn shards_read_back_the_windows_tokenizing_gives() {
        let tmp = tempfile::tempdir().unwrap();
        let tok = tokenizer();
        let s = stream(&examples(), &tok, LossMask::All).unwrap();
        let manifest = write(&tmp.path().join("s"), &s, &made(&tok, &[])).unwrap();
        assert_eq!(manifest.id_bytes, 2);
        let (read_manifest, read_stream, read_tok) = read(&tmp.path().join("s")).unwrap();
        assert_eq!(read_manifest, manifest);
        assert_eq!(read_stream, s);
        assert_eq!(read_tok.to_json(), tok.to_json());
        let direct = windows(&examples(), &tok, 8, LossMask::All).unwrap();
        assert_eq!(cut(&read_stream, read_tok.special().pad, 8), direct);
        assert!(is_shards(&tmp.path().join("s")));
    }

    #[test]
    fn a_changed_or_foreign_shard_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let tok = tokenizer();
        let dir = tmp.path().join("s");
        let s = stream(&examples(), &tok, LossMask::All).unwrap();
        write(&dir, &s, &made(&tok, &[])).unwrap();
        let tokens = dir.join(TOKENS_FILE);
        let mut bytes = std::fs::read(&tokens).unwrap();
        bytes[0] ^= 1;
        std::fs::write(&tokens, bytes).unwrap();
        let err = read(&dir).unwrap_err();
        assert!(err.contains("tokens.bin does not match"), "{err}");
        std::fs::write(dir.join(MANIFEST_FILE), b"{}").unwrap();
        assert!(
            read(&dir)
                .unwrap_err()
                .contains("not a token-shard manifest")
        );
        assert!(!is_shards(tmp.path()));
    }
}
