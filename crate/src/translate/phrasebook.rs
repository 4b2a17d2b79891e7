//! The phrasebook: whole phrases matched exactly, ignoring case, spacing and punctuation.
//!
//! It uses the lexicon TSV format ([`super::format`]). The built-in phrasebook,
//! `models/lexicon/siger-phrasebook.tsv`, holds only phrases the project is certain of (its
//! founding examples and `tabik pun`); users add their own with [`Phrasebook::add`].

use super::format::{LexiconError, Loaded};
use super::lang::Side;
use super::lexicon::{Lexicon, Stored};
use super::load::load_lexicon;
use super::normalize;

/// The built-in phrasebook's name, cited in tokens.
pub const BUILTIN_NAME: &str = "siger-phrasebook";

/// The built-in phrasebook's text.
pub const BUILTIN_TSV: &str = include_str!("../../../models/lexicon/siger-phrasebook.tsv");

/// Phrases indexed in every direction.
#[derive(Clone, Debug, Default)]
pub struct Phrasebook {
    lexicon: Lexicon,
}

impl Phrasebook {
    /// An empty phrasebook.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in phrasebook.
    pub fn builtin() -> Self {
        let mut phrasebook = Self::new();
        // The file ships with the crate and a test below loads it, so this cannot fail at run time.
        phrasebook
            .add(BUILTIN_NAME, BUILTIN_TSV)
            .expect("the built-in phrasebook is valid TSV");
        phrasebook
    }

    /// Adds the phrases of a lexicon file (any format [`load_lexicon`] reads).
    pub fn add(&mut self, name: &str, text: &str) -> Result<Loaded, LexiconError> {
        let loaded = load_lexicon(name, text)?;
        self.lexicon
            .extend(&loaded.origin, loaded.entries.iter().cloned());
        Ok(loaded)
    }

    /// The phrases whose `side` form matches `text` exactly, up to case, spacing and punctuation.
    pub fn lookup(&self, side: Side, text: &str) -> Vec<&Stored> {
        self.lexicon.lookup(side, &normalize::key(text))
    }

    /// The phrases as a lexicon (for multi-word matches inside longer sentences).
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }
}

#[cfg(test)]
mod tests {
    use super::super::lang::DialectTag;
    use super::*;

    #[test]
    fn builtin_holds_the_founding_examples_and_tabik_pun() {
        let phrasebook = Phrasebook::builtin();
        assert_eq!(phrasebook.lexicon().len(), 4);
        let hit = phrasebook.lookup(Side::Lampung, "tabik pun");
        assert_eq!(hit[0].entry.dialect, DialectTag::Both);
        assert_eq!(hit[0].origin, BUILTIN_NAME);
    }

    #[test]
    fn lookup_is_exact_but_ignores_case_spacing_and_punctuation() {
        let phrasebook = Phrasebook::builtin();
        for text in ["api kabar niku", "Api  Kabar, NIKU?", " api kabar niku !"] {
            let hit = phrasebook.lookup(Side::Lampung, text);
            assert_eq!(hit.len(), 1, "{text}");
            assert_eq!(hit[0].entry.indonesian, "apa kabar kamu");
        }
        assert!(phrasebook.lookup(Side::Lampung, "api kabar").is_empty());
        assert!(
            phrasebook
                .lookup(Side::Lampung, "api kabar niku wawai")
                .is_empty()
        );
        let back = phrasebook.lookup(Side::Indonesian, "Saya mau makan.");
        assert_eq!(back[0].entry.lampung, "nyak haga mengan");
    }
}
