//! Text normalisation: lower-casing, splitting into words and punctuation, collapsing whitespace.
//!
//! Punctuation is kept as pieces of its own, so the pipeline can copy it into the translation
//! with its own provenance ([`super::Source::Punctuation`]) instead of calling it unknown.
//!
//! A word is a run of letters, digits and combining marks. Inside a word three joiners stay part
//! of it: a hyphen or apostrophe between two letters or digits (`lulih-lulih`, `jum'at`), and a
//! `.` or `,` between two digits (`1.000`, `3,5`). Everything else that is not whitespace is a
//! one-character punctuation piece. Unicode text is handled by `char` properties, so `“`, `¿`
//! and `—` are punctuation like `"`, `?` and `-`.

use std::ops::Range;

/// What a piece of normalised text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PieceKind {
    /// A word (letters, digits, inner joiners).
    Word,
    /// One punctuation or symbol character.
    Punctuation,
}

/// One word or punctuation mark of normalised (lower-cased) text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The lower-cased text.
    pub text: String,
    /// Word or punctuation.
    pub kind: PieceKind,
}

impl Piece {
    /// Whether this piece is a word.
    pub fn is_word(&self) -> bool {
        self.kind == PieceKind::Word
    }
}

/// Splits `text` into lower-cased words and punctuation marks; whitespace only separates.
pub fn normalize(text: &str) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut pieces = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        if is_word_char(c) || (!word.is_empty() && joins_word(prev, c, next)) {
            word.push(c);
            continue;
        }
        flush_word(&mut word, &mut pieces);
        if !c.is_whitespace() {
            pieces.push(Piece {
                text: c.to_string(),
                kind: PieceKind::Punctuation,
            });
        }
    }
    flush_word(&mut word, &mut pieces);
    pieces
}

/// The lookup key of a phrase: its normalised words joined by single spaces, punctuation dropped.
pub fn key(text: &str) -> String {
    words_key(&normalize(text))
}

/// The lookup key of already normalised pieces: the words joined by single spaces.
pub fn words_key(pieces: &[Piece]) -> String {
    let words: Vec<&str> = pieces
        .iter()
        .filter(|p| p.is_word())
        .map(|p| p.text.as_str())
        .collect();
    words.join(" ")
}

/// Splits pieces into sentences: each range ends after a run of `.`, `!`, `?` or `…`.
pub fn sentences(pieces: &[Piece]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for i in 0..pieces.len() {
        let ends = is_sentence_end(&pieces[i]);
        let run_continues = pieces.get(i + 1).is_some_and(is_sentence_end);
        if ends && !run_continues {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < pieces.len() {
        ranges.push(start..pieces.len());
    }
    ranges
}

/// Whether `c` starts or continues a word on its own.
fn is_word_char(c: char) -> bool {
    // U+0300..U+036F: combining diacritics, part of the letter they follow.
    c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)
}

/// Whether `c` joins the word before it to the word character after it.
fn joins_word(prev: Option<char>, c: char, next: Option<char>) -> bool {
    let (Some(prev), Some(next)) = (prev, next) else {
        return false;
    };
    match c {
        '-' | '\'' | '’' => is_word_char(prev) && is_word_char(next),
        '.' | ',' => prev.is_ascii_digit() && next.is_ascii_digit(),
        _ => false,
    }
}

fn flush_word(word: &mut String, pieces: &mut Vec<Piece>) {
    if !word.is_empty() {
        pieces.push(Piece {
            text: std::mem::take(word),
            kind: PieceKind::Word,
        });
    }
}

fn is_sentence_end(piece: &Piece) -> bool {
    piece.kind == PieceKind::Punctuation && matches!(piece.text.as_str(), "." | "!" | "?" | "…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        normalize(text).into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn lower_cases_and_splits_punctuation() {
        assert_eq!(
            texts("Apa  Kabar,\tNiku?"),
            ["apa", "kabar", ",", "niku", "?"]
        );
    }

    #[test]
    fn unicode_punctuation_and_letters() {
        assert_eq!(texts("«Élan» ¿qué?"), ["«", "élan", "»", "¿", "qué", "?"]);
        assert_eq!(normalize("“x”")[0].kind, PieceKind::Punctuation);
    }

    #[test]
    fn inner_joiners_stay_in_words() {
        assert_eq!(
            texts("ngelulih-lulih jum'at 1.000,5"),
            ["ngelulih-lulih", "jum'at", "1.000,5"]
        );
        assert_eq!(texts("akhir. -ya"), ["akhir", ".", "-", "ya"]);
        assert_eq!(texts("a - b"), ["a", "-", "b"]);
    }

    #[test]
    fn key_ignores_case_spacing_and_punctuation() {
        assert_eq!(key("  Api KABAR, niku ?! "), "api kabar niku");
        assert_eq!(key("...!"), "");
    }

    #[test]
    fn sentences_end_after_terminal_runs() {
        let pieces = normalize("Tabik pun! Apa kabar?! baik");
        let split: Vec<String> = sentences(&pieces)
            .into_iter()
            .map(|r| words_key(&pieces[r]))
            .collect();
        assert_eq!(split, ["tabik pun", "apa kabar", "baik"]);
    }
}
