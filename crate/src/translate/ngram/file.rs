//! The shipped form of an [`NgramModel`]: a text header, then the counts as varints.
//!
//! ```text
//! siger-ngram 1\n
//! {"lang":…,"sources":[…],"discounts":[…],"vocab":V,"bigrams":B,"trigrams":T,"bigram_types":N,"unk_types":U}\n
//! V words, each followed by \n (ids in this order: <unk> <s> </s> first)
//! V × (count, left_types, middle_types, right_types)               varints
//! B × (key delta, left_types, context_count, context_types)         keys ascending, varints
//! T × (key delta, count)                                            keys ascending, varints
//! ```
//! Reading checks every length, id and count, so a truncated or corrupted file is an error
//! that says what is wrong, never a panic or a silently different model.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{BigramStats, FIRST_WORD, MAX_VOCAB, NgramModel, WordStats};

/// The first line of the file.
pub const MAGIC: &str = "siger-ngram 1";

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NgramError {
    /// The file does not start with [`MAGIC`].
    #[error("{file}: not a Siger n-gram model (the first line must be `{MAGIC}`)")]
    Magic {
        /// The file's name.
        file: String,
    },
    /// The header line is not the expected JSON.
    #[error("{file}: bad header: {reason}")]
    Header {
        /// The file's name.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The body ends early or holds an impossible value.
    #[error("{file}: corrupt {section}: {reason}; download or rebuild the file")]
    Body {
        /// The file's name.
        file: String,
        /// Which part of the file.
        section: &'static str,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    lang: String,
    sources: Vec<String>,
    discounts: [f64; 3],
    vocab: usize,
    bigrams: usize,
    trigrams: usize,
    bigram_types: u64,
    unk_types: u64,
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl NgramModel {
    /// The model as bytes ([`Self::from_bytes`] reads them back).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            lang: self.lang.clone(),
            sources: self.sources.clone(),
            discounts: self.discounts,
            vocab: self.words.len(),
            bigrams: self.bigrams.len(),
            trigrams: self.trigrams.len(),
            bigram_types: self.bigram_types,
            unk_types: self.unk_types,
        };
        let mut out = format!("{MAGIC}\n").into_bytes();
        out.extend(serde_json::to_string(&header).unwrap_or_default().bytes());
        out.push(b'\n');
        for w in &self.words {
            out.extend(w.bytes());
            out.push(b'\n');
        }
        for s in &self.unigrams {
            for v in [s.count, s.left_types, s.middle_types, s.right_types] {
                put(&mut out, u64::from(v));
            }
        }
        let mut bigrams: Vec<(&u64, &BigramStats)> = self.bigrams.iter().collect();
        bigrams.sort_unstable_by_key(|(k, _)| **k);
        let mut last = 0;
        for (&key, b) in bigrams {
            put(&mut out, key - last);
            last = key;
            for v in [b.left_types, b.context_count, b.context_types] {
                put(&mut out, u64::from(v));
            }
        }
        let mut trigrams: Vec<(&u64, &u32)> = self.trigrams.iter().collect();
        trigrams.sort_unstable_by_key(|(k, _)| **k);
        let mut last = 0;
        for (&key, &count) in trigrams {
            put(&mut out, key - last);
            last = key;
            put(&mut out, u64::from(count));
        }
        out
    }

    /// Reads a model written by [`Self::to_bytes`]; `file` names it in errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<NgramModel, NgramError> {
        let mut reader = Reader { file, bytes, at: 0 };
        if reader.line("magic").ok() != Some(MAGIC.as_bytes()) {
            return Err(NgramError::Magic { file: file.into() });
        }
        let header = reader.header()?;
        let words = reader.words(header.vocab)?;
        let ids: HashMap<String, u32> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as u32))
            .collect();
        if ids.len() != words.len() {
            return Err(reader.corrupt("vocabulary", "a word is listed twice".into()));
        }
        let mut unigrams = Vec::with_capacity(words.len());
        for _ in 0..words.len() {
            let [count, left_types, middle_types, right_types] = reader.u32s("unigrams")?;
            unigrams.push(WordStats {
                count,
                left_types,
                middle_types,
                right_types,
            });
        }
        let bigrams = reader.bigrams(header.bigrams, words.len())?;
        let trigrams = reader.trigrams(header.trigrams, words.len())?;
        if reader.at != bytes.len() {
            return Err(reader.corrupt("end", "bytes after the last trigram".into()));
        }
        Ok(NgramModel {
            lang: header.lang,
            sources: header.sources,
            discounts: header.discounts,
            words,
            ids,
            unigrams,
            bigram_types: header.bigram_types,
            unk_types: header.unk_types,
            bigrams,
            trigrams,
        })
    }
}

struct Reader<'a> {
    file: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn corrupt(&self, section: &'static str, reason: String) -> NgramError {
        NgramError::Body {
            file: self.file.into(),
            section,
            reason,
        }
    }

    fn line(&mut self, section: &'static str) -> Result<&'a [u8], NgramError> {
        let rest: &'a [u8] = &self.bytes[self.at..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| self.corrupt(section, "the file ends early".into()))?;
        self.at += end + 1;
        Ok(&rest[..end])
    }

    fn header(&mut self) -> Result<Header, NgramError> {
        let line = self.line("header")?;
        let header: Header = serde_json::from_slice(line).map_err(|e| NgramError::Header {
            file: self.file.into(),
            reason: e.to_string(),
        })?;
        let discounts_ok = header.discounts.iter().all(|d| (0.0..=1.0).contains(d));
        if !(FIRST_WORD as usize..=MAX_VOCAB).contains(&header.vocab) || !discounts_ok {
            return Err(NgramError::Header {
                file: self.file.into(),
                reason: format!(
                    "vocab {} must be 3..={MAX_VOCAB}, discounts in [0, 1]",
                    header.vocab
                ),
            });
        }
        Ok(header)
    }

    fn words(&mut self, n: usize) -> Result<Vec<String>, NgramError> {
        let mut words = Vec::with_capacity(n.min(self.bytes.len()));
        for _ in 0..n {
            let line = self.line("vocabulary")?;
            let word = std::str::from_utf8(line)
                .map_err(|e| self.corrupt("vocabulary", format!("not UTF-8: {e}")))?;
            words.push(word.to_string());
        }
        Ok(words)
    }

    fn varint(&mut self, section: &'static str) -> Result<u64, NgramError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(self.corrupt(section, "the file ends early".into()));
            };
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.corrupt(section, "a number is too long".into()))
    }

    fn u32s<const N: usize>(&mut self, section: &'static str) -> Result<[u32; N], NgramError> {
        let mut out = [0u32; N];
        for v in &mut out {
            let wide = self.varint(section)?;
            *v = u32::try_from(wide)
                .map_err(|_| self.corrupt(section, format!("count {wide} too large")))?;
        }
        Ok(out)
    }

    fn key(
        &mut self,
        section: &'static str,
        last: &mut u64,
        first: bool,
    ) -> Result<u64, NgramError> {
        let delta = self.varint(section)?;
        if !first && delta == 0 {
            return Err(self.corrupt(section, "keys not strictly ascending".into()));
        }
        *last = last
            .checked_add(delta)
            .ok_or_else(|| self.corrupt(section, "key overflow".into()))?;
        Ok(*last)
    }

    fn bigrams(&mut self, n: usize, vocab: usize) -> Result<HashMap<u64, BigramStats>, NgramError> {
        let mut map = HashMap::with_capacity(n.min(self.bytes.len()));
        let mut last = 0;
        for i in 0..n {
            let key = self.key("bigrams", &mut last, i == 0)?;
            if (key >> 32) as usize >= vocab || (key & 0xffff_ffff) as usize >= vocab {
                return Err(self.corrupt("bigrams", format!("word id out of range in {key:#x}")));
            }
            let [left_types, context_count, context_types] = self.u32s("bigrams")?;
            let stats = BigramStats {
                left_types,
                context_count,
                context_types,
            };
            map.insert(key, stats);
        }
        Ok(map)
    }

    fn trigrams(&mut self, n: usize, vocab: usize) -> Result<HashMap<u64, u32>, NgramError> {
        const MASK: u64 = (1 << 21) - 1;
        let mut map = HashMap::with_capacity(n.min(self.bytes.len()));
        let mut last = 0;
        for i in 0..n {
            let key = self.key("trigrams", &mut last, i == 0)?;
            let ids = [key >> 42, (key >> 21) & MASK, key & MASK];
            if ids.iter().any(|&id| id as usize >= vocab) {
                return Err(self.corrupt("trigrams", format!("word id out of range in {key:#x}")));
            }
            let [count] = self.u32s("trigrams")?;
            map.insert(key, count);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TrainOptions, train};
    use super::*;

    fn model() -> NgramModel {
        let text = "saya mau makan nasi\nsaya mau minum\nkamu mau makan\nnasi enak sekali\n";
        train(
            "id",
            &[("t".into(), text.into())],
            &TrainOptions::every_ngram(),
        )
    }

    #[test]
    fn round_trips_exactly() {
        let m = model();
        let back = NgramModel::from_bytes("m.ngram", &m.to_bytes()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn every_truncation_and_bad_magic_is_an_error_not_a_panic() {
        let bytes = model().to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                NgramModel::from_bytes("m", &bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut wrong = bytes.clone();
        wrong[0] = b'x';
        assert!(matches!(
            NgramModel::from_bytes("m", &wrong),
            Err(NgramError::Magic { .. })
        ));
        let mut extra = bytes.clone();
        extra.push(0);
        let err = NgramModel::from_bytes("m", &extra).unwrap_err().to_string();
        assert!(err.contains("m: corrupt end"), "{err}");
    }

    #[test]
    fn flipped_bytes_never_panic() {
        let bytes = model().to_bytes();
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xff;
            let _ = NgramModel::from_bytes("m", &flipped);
        }
    }
}
