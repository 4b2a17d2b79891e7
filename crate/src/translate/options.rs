//! What the translation pipeline may do beyond plain lookup.

use super::decode::DecodeOptions;

/// What the pipeline may do.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Let the resources' [`super::guess::Guesser`] translate what lookup could not (default `false`).
    pub allow_guesses: bool,
    /// Strip and rebuild affixes to reach lexicon roots (default `true`).
    pub morphology: bool,
    /// Look Lampung words up through their other spellings (default `true`).
    pub spelling_variants: bool,
    /// Rewrite Nyo words no entry reaches into attested Indonesian words by regular sound
    /// correspondences (default `true`; [`super::sound`]).
    pub sound_rules: bool,
    /// How a target-side language model, when the resources hold one, chooses among senses.
    pub decode: DecodeOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_guesses: false,
            morphology: true,
            spelling_variants: true,
            sound_rules: true,
            decode: DecodeOptions::default(),
        }
    }
}
