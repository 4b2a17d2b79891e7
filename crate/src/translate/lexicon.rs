//! Lexicon entries and their index in both directions.
//!
//! An [`Entry`] pairs a Lampung form with an Indonesian (and optionally English) form; either
//! may be several words. A [`Lexicon`] indexes every entry by the normalised key of each of its
//! sides ([`super::normalize::key`]), so the same lexicon serves Lampung → Indonesian,
//! Indonesian → Lampung and either ↔ English. The file formats are described in
//! [`super::format`].
//!
//! Lampung forms are also indexed by their spelling skeleton ([`super::spelling::skeleton`]),
//! so a word written with other doubled consonants or final vowels still finds its entry.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::lang::{DialectTag, Side};
use super::normalize;
use super::spelling;

/// One lexicon row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The Lampung form (one or more words).
    pub lampung: String,
    /// The Indonesian form (one or more words).
    pub indonesian: String,
    /// The English form, if known.
    pub english: Option<String>,
    /// The Lampung dialect(s) the row belongs to.
    pub dialect: DialectTag,
    /// Part of speech, if recorded (free text: `noun`, `verb`, `phrase`, ...).
    pub pos: Option<String>,
    /// Where the row comes from (a citation).
    pub source: String,
    /// A free-text note.
    pub note: Option<String>,
}

impl Entry {
    /// The form on one side, if the row has one.
    pub fn text(&self, side: Side) -> Option<&str> {
        match side {
            Side::Lampung => Some(&self.lampung),
            Side::Indonesian => Some(&self.indonesian),
            Side::English => self.english.as_deref(),
        }
    }
}

/// An entry as stored: the row and the name of the resource it was loaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The row.
    pub entry: Entry,
    /// The resource's name, cited in tokens (e.g. `"siger-phrasebook"`).
    pub origin: String,
}

/// Entries indexed by the normalised key of each side.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    entries: Vec<Stored>,
    index: [HashMap<String, Vec<usize>>; 3],
    spelling: HashMap<String, Vec<usize>>,
    grams: spelling::DialectGrams,
    longest: [usize; 3],
}

impl Lexicon {
    /// An empty lexicon.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds entries loaded from the resource `origin`.
    pub fn extend(&mut self, origin: &str, entries: impl IntoIterator<Item = Entry>) {
        for entry in entries {
            self.push(origin, entry);
        }
    }

    /// Adds one entry loaded from the resource `origin`.
    pub fn push(&mut self, origin: &str, entry: Entry) {
        let id = self.entries.len();
        for side in Side::ALL {
            let Some(key) = entry.text(side).map(normalize::key) else {
                continue;
            };
            if key.is_empty() {
                continue;
            }
            let words = key.split(' ').count();
            let longest = &mut self.longest[side.index()];
            *longest = (*longest).max(words);
            if side == Side::Lampung {
                let skeleton = spelling::skeleton(&key);
                self.spelling.entry(skeleton).or_default().push(id);
                if let Some(dialect) = entry.dialect.single() {
                    self.grams.add(&key, dialect);
                }
            }
            self.index[side.index()].entry(key).or_default().push(id);
        }
        self.entries.push(Stored {
            entry,
            origin: origin.to_string(),
        });
    }

    /// The entries whose `side` form normalises to `key`, in the order they were added.
    pub fn lookup(&self, side: Side, key: &str) -> Vec<&Stored> {
        self.index[side.index()]
            .get(key)
            .map(|ids| ids.iter().map(|&id| &self.entries[id]).collect())
            .unwrap_or_default()
    }

    /// The entries whose Lampung form is spelled like `key` (same [`spelling::skeleton`]),
    /// including exact matches.
    pub fn lookup_spelling(&self, key: &str) -> Vec<&Stored> {
        self.spelling
            .get(&spelling::skeleton(key))
            .map(|ids| ids.iter().map(|&id| &self.entries[id]).collect())
            .unwrap_or_default()
    }

    /// How many entries have a Lampung form spelled like `key` (same [`spelling::skeleton`]):
    /// a word the lexicon gives for many meanings, or in many spellings, is a common one.
    pub fn spelling_support(&self, key: &str) -> usize {
        self.spelling
            .get(&spelling::skeleton(key))
            .map_or(0, Vec::len)
    }

    /// The character trigrams of the Lampung forms this lexicon tags with one dialect.
    pub fn dialect_grams(&self) -> &spelling::DialectGrams {
        &self.grams
    }

    /// Whether any entry's `side` form normalises to `key`.
    pub fn contains(&self, side: Side, key: &str) -> bool {
        self.index[side.index()].contains_key(key)
    }

    /// The most words any `side` form has (the window of longest-match lookup).
    pub fn longest(&self, side: Side) -> usize {
        self.longest[side.index()]
    }

    /// All entries, in the order they were added.
    pub fn entries(&self) -> &[Stored] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::entry;
    use super::*;

    #[test]
    fn indexes_both_directions_by_normalised_key() {
        let mut lexicon = Lexicon::new();
        lexicon.push("t", entry("Aa Bb", "x", DialectTag::Api));
        lexicon.push("t", entry("cc", "x", DialectTag::Unknown));
        assert_eq!(lexicon.lookup(Side::Lampung, "aa bb").len(), 1);
        let both: Vec<&str> = lexicon
            .lookup(Side::Indonesian, "x")
            .iter()
            .map(|s| s.entry.lampung.as_str())
            .collect();
        assert_eq!(both, ["Aa Bb", "cc"]);
        assert_eq!(lexicon.longest(Side::Lampung), 2);
        assert_eq!(lexicon.longest(Side::Indonesian), 1);
        assert!(lexicon.lookup(Side::English, "strange").is_empty());
        assert_eq!(lexicon.lookup_spelling("aa bbb").len(), 1);
        assert!(lexicon.lookup(Side::Lampung, "aa bbb").is_empty());
    }
}
