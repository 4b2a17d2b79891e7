//! What the translation pipeline may do beyond plain lookup.

/// What the pipeline may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Let the resources' [`super::guess::Guesser`] translate what lookup could not (default `false`).
    pub allow_guesses: bool,
    /// Strip and rebuild affixes to reach lexicon roots (default `true`).
    pub morphology: bool,
    /// Look Lampung words up through their other spellings (default `true`).
    pub spelling_variants: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_guesses: false,
            morphology: true,
            spelling_variants: true,
        }
    }
}
