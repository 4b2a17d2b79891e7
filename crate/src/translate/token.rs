//! The translator's output: tokens that each say where they came from.
//!
//! "Cite or stay silent": every [`Token`] carries a [`Source`]. A token from a lexicon or the
//! phrasebook names the entry it matched and the resource that holds it; a morphological token
//! also names the rule; a word nobody could translate is a [`Source::Unknown`] token that keeps
//! the input word, so the reader sees it was not translated.

use serde::{Deserialize, Serialize};

use super::detect::Detection;
use super::lang::{Dialect, Lang};

/// Where an output token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An exact phrase of the phrasebook.
    Phrasebook,
    /// A lexicon entry (possibly matched through a spelling variant, named in `rule`).
    Lexicon,
    /// A lexicon entry reached by stripping affixes; the target form was rebuilt by rule.
    Morphology,
    /// A regular sound correspondence that turns the input word into an attested target word
    /// (named in `rule`; [`super::sound`]).
    Rule,
    /// A guess by a model ([`super::Guesser`]); only when guesses are allowed.
    Model,
    /// Punctuation, copied verbatim: it needs no translation, and is not unknown.
    Punctuation,
    /// Not translated: the token keeps the input word.
    Unknown,
}

impl Source {
    /// The lower-case name used in reports (`"lexicon"`, `"unknown"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Source::Phrasebook => "phrasebook",
            Source::Lexicon => "lexicon",
            Source::Morphology => "morphology",
            Source::Rule => "rule",
            Source::Model => "model",
            Source::Punctuation => "punctuation",
            Source::Unknown => "unknown",
        }
    }
}

/// One output token and its provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// The output text (one or more words, or one punctuation mark).
    pub text: String,
    /// Where `text` came from.
    pub source: Source,
    /// The source-language entry that was matched (`None` for punctuation, unknown words,
    /// guesses and bare clitics).
    pub entry: Option<String>,
    /// The resource holding the entry, e.g. `"siger-phrasebook"`,
    /// `"meizano/lampung (2019, GPL-3.0)"`; `"built-in morphology"` for bare clitics.
    pub source_name: Option<String>,
    /// The Lampung dialect of the entry, when the entry belongs to exactly one.
    pub dialect: Option<Dialect>,
    /// The normalised input this token translates (for a clitic: the clitic alone).
    pub input: String,
    /// The spelling or morphological rule applied, e.g. `"nasal prefix ng- + lulih"`.
    pub rule: Option<String>,
    /// Written directly after the previous token, without a space (clitics such as `-nya`).
    pub joined: bool,
}

impl Token {
    /// A token for text copied or kept from the input: punctuation or an unknown word.
    pub fn verbatim(text: &str, source: Source) -> Self {
        Token {
            text: text.to_string(),
            source,
            entry: None,
            source_name: None,
            dialect: None,
            input: text.to_string(),
            rule: None,
            joined: false,
        }
    }

    /// Whether the reader can trace this token: it cites an entry or a rule, or copies
    /// punctuation. Unknown and model tokens are not traceable.
    pub fn is_traceable(&self) -> bool {
        match self.source {
            Source::Punctuation => true,
            Source::Model | Source::Unknown => false,
            _ => self.entry.is_some() || self.rule.is_some(),
        }
    }

    /// Number of input words this token covers (0 for punctuation).
    pub fn input_words(&self) -> usize {
        if self.source == Source::Punctuation {
            0
        } else {
            self.input.split_whitespace().count()
        }
    }
}

/// A translated text: its tokens, and the languages it went between.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Translation {
    /// The output tokens, in order.
    pub tokens: Vec<Token>,
    /// The source language (detected when the caller asked for detection).
    pub from: Lang,
    /// The target language.
    pub to: Lang,
    /// What detection found, when the caller asked for it.
    pub detected: Option<Detection>,
}

impl Translation {
    /// The output text: tokens separated by single spaces, except no space before closing
    /// punctuation or a joined clitic and none after opening punctuation.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut previous: Option<&Token> = None;
        for token in &self.tokens {
            let glued = token.joined || closes(token) || previous.is_none_or(opens);
            if !glued {
                out.push(' ');
            }
            out.push_str(&token.text);
            previous = Some(token);
        }
        out
    }

    /// The input words left untranslated, in order.
    pub fn unknown_words(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .filter(|t| t.source == Source::Unknown)
            .map(|t| t.input.as_str())
            .collect()
    }
}

fn closes(token: &Token) -> bool {
    token.source == Source::Punctuation
        && matches!(
            token.text.as_str(),
            "." | "," | "!" | "?" | ";" | ":" | ")" | "]" | "}" | "%" | "…" | "»" | "”" | "’"
        )
}

fn opens(token: &Token) -> bool {
    token.source == Source::Punctuation
        && matches!(
            token.text.as_str(),
            "(" | "[" | "{" | "«" | "“" | "‘" | "¿" | "¡"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Token {
        Token {
            entry: Some(text.to_string()),
            ..Token::verbatim(text, Source::Lexicon)
        }
    }

    fn translation(tokens: Vec<Token>) -> Translation {
        Translation {
            tokens,
            from: Lang::Indonesian,
            to: Lang::Lampung(Dialect::Nyo),
            detected: None,
        }
    }

    #[test]
    fn text_puts_no_space_before_closing_or_after_opening_punctuation() {
        let p = |s: &str| Token::verbatim(s, Source::Punctuation);
        let t = translation(vec![
            word("api"),
            p(","),
            p("("),
            word("kabar"),
            p(")"),
            word("niku"),
            p("?"),
        ]);
        assert_eq!(t.text(), "api, (kabar) niku?");
    }

    #[test]
    fn text_glues_joined_clitics() {
        let clitic = Token {
            joined: true,
            ..word("nya")
        };
        assert_eq!(
            translation(vec![word("nama"), clitic, word("ani")]).text(),
            "namanya ani"
        );
    }

    #[test]
    fn traceability_follows_the_source() {
        assert!(word("x").is_traceable());
        assert!(Token::verbatim("?", Source::Punctuation).is_traceable());
        assert!(!Token::verbatim("x", Source::Unknown).is_traceable());
        assert!(!Token::verbatim("x", Source::Lexicon).is_traceable());
        assert_eq!(Token::verbatim("?", Source::Punctuation).input_words(), 0);
    }
}
