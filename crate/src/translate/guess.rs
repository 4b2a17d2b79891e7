//! The guesser: a model that may propose translations for what no lexicon covers.
//!
//! The pipeline calls it only when [`super::Options::allow_guesses`] is set, only for runs of
//! words that every lookup failed on, and marks what it returns as [`super::Source::Model`].

use super::lang::Lang;

/// Proposes a translation for words the lexicons could not translate.
pub trait Guesser {
    /// A translation of `words` (one run of consecutive untranslated words) from `from` to
    /// `to`, as output words; `None` to stay silent.
    fn guess(&self, words: &[String], from: Lang, to: Lang) -> Option<Vec<String>>;

    /// The name cited in the tokens it produces.
    fn name(&self) -> &str {
        "model"
    }
}
