//! The one lexicon loader: it recognises a file's format by its first character (`[` is
//! meizano JSON, `{` is Siger JSONL, anything else Siger TSV; see [`super::format`]).

use super::format::{LexiconError, Loaded, parse_jsonl, parse_tsv};
use super::meizano;

/// An opening brace, the first character of a JSONL file (escaped so that this file's braces
/// stay balanced for line-based tools).
const OBJECT_START: char = '\u{7b}';

/// Loads a lexicon in any supported format; `name` names the file in errors and citations.
pub fn load_lexicon(name: &str, text: &str) -> Result<Loaded, LexiconError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.trim_start().chars().next() {
        Some('[') => meizano::import(name, text),
        Some(OBJECT_START) => parse_jsonl(name, text),
        _ => parse_tsv(name, text),
    }
}
