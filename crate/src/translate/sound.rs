//! Regular sound correspondences between Lampung Nyo and Indonesian, for words no lexicon or
//! rule of morphology reaches: `sekulah` → `sekolah`, `tigo` → `tiga`, `harei` → `hari`.
//!
//! A rewritten form is accepted only when it is an attested Indonesian word (seen at least
//! [`MIN_ATTESTED`] times in the Indonesian language model's training text, or an Indonesian
//! form of a lexicon entry), so the rules never produce a word nobody writes. The token says
//! `rule` and names every correspondence applied. The correspondences are the regular ones of
//! Nyo against Malay/Indonesian cognates: final vowels and diphthongs, the velar `gh` for `r`,
//! geminates where Indonesian has a nasal cluster, and the vowel shifts of closed syllables.

use super::lang::Side;
use super::lexicon::Lexicon;
use super::ngram::NgramModel;
use super::token::{Source, Token};

/// Times a word must occur in the language model's text to count as attested.
pub const MIN_ATTESTED: u32 = 5;

/// Shorter words are left alone: their rewrites are too often another word.
const MIN_LETTERS: usize = 4;

/// The name that rule tokens cite.
pub const SOUND_RULES_NAME: &str = "Nyo–Indonesian sound correspondences";

/// Where in the word a correspondence applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// At the end of the word.
    End,
    /// Anywhere.
    Anywhere,
}

/// One correspondence: Nyo `from` is Indonesian `to`.
struct Rule {
    from: &'static str,
    to: &'static str,
    at: At,
}

#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { from: "ei", to: "i", at: At::End },
    Rule { from: "eu", to: "u", at: At::End },
    Rule { from: "o", to: "a", at: At::End },
    Rule { from: "ou", to: "u", at: At::End },
    Rule { from: "ne", to: "nya", at: At::End },
    Rule { from: "gh", to: "r", at: At::Anywhere },
    Rule { from: "u", to: "o", at: At::Anywhere },
    Rule { from: "e", to: "i", at: At::Anywhere },
    Rule { from: "i", to: "e", at: At::Anywhere },
    Rule { from: "pp", to: "mp", at: At::Anywhere },
    Rule { from: "tt", to: "nt", at: At::Anywhere },
    Rule { from: "kk", to: "ngk", at: At::Anywhere },
    Rule { from: "cc", to: "nc", at: At::Anywhere },
    Rule { from: "hh", to: "h", at: At::Anywhere },
    Rule { from: "aha", to: "aa", at: At::Anywhere },
];

/// Rules applied to one word, at most.
const MAX_RULES: usize = 3;

/// Attested Indonesian words: a language model's vocabulary and the lexicon's Indonesian side.
pub struct WordList<'a> {
    /// The Indonesian language model, if loaded.
    pub model: Option<&'a NgramModel>,
    /// The lexicon.
    pub lexicon: &'a Lexicon,
}

impl WordList<'_> {
    fn attested(&self, word: &str) -> bool {
        self.model.is_some_and(|m| m.attested(word, MIN_ATTESTED))
            || self.lexicon.contains(Side::Indonesian, word)
    }
}

/// Indonesian words `word` (Nyo, normalised) corresponds to, fewest rules first, each as a
/// [`Source::Rule`] token with a prior that prefers fewer rules.
/// A word that is itself Indonesian is left alone (it is copied as unknown, not rewritten).
pub fn indonesian_forms(word: &str, words: &WordList) -> Vec<(Token, f64)> {
    if word.chars().count() < MIN_LETTERS || words.attested(word) {
        return Vec::new();
    }
    let mut frontier: Vec<(String, Vec<&Rule>)> = vec![(word.to_string(), Vec::new())];
    let mut seen = std::collections::HashSet::from([word.to_string()]);
    let mut found = Vec::new();
    for _ in 0..MAX_RULES {
        let mut next = Vec::new();
        for (form, applied) in &frontier {
            for rule in RULES {
                for rewritten in apply(form, rule) {
                    if !seen.insert(rewritten.clone()) {
                        continue;
                    }
                    let mut applied = applied.clone();
                    applied.push(rule);
                    if words.attested(&rewritten) {
                        found.push(token(word, &rewritten, &applied));
                    }
                    next.push((rewritten, applied));
                }
            }
        }
        frontier = next;
    }
    found
}

/// Every form of `word` with `rule` applied once.
fn apply(word: &str, rule: &Rule) -> Vec<String> {
    match rule.at {
        At::End => word
            .strip_suffix(rule.from)
            .filter(|stem| !stem.is_empty())
            .map(|stem| format!("{stem}{}", rule.to))
            .into_iter()
            .collect(),
        At::Anywhere => word
            .match_indices(rule.from)
            .map(|(i, _)| format!("{}{}{}", &word[..i], rule.to, &word[i + rule.from.len()..]))
            .collect(),
    }
}

fn token(input: &str, text: &str, applied: &[&Rule]) -> (Token, f64) {
    let names: Vec<String> = applied
        .iter()
        .map(|r| match r.at {
            At::End => format!("-{} ~ -{}", r.from, r.to),
            At::Anywhere => format!("{} ~ {}", r.from, r.to),
        })
        .collect();
    let token = Token {
        text: text.to_string(),
        source: Source::Rule,
        entry: None,
        source_name: Some(SOUND_RULES_NAME.to_string()),
        dialect: None,
        input: input.to_string(),
        rule: Some(format!(
            "sound: {} ({input} → {text}, an attested Indonesian word)",
            names.join(", ")
        )),
        joined: false,
    };
    (token, -(applied.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::super::lang::DialectTag;
    use super::super::test_data::entry;
    use super::*;

    fn lexicon(indonesian: &[&str]) -> Lexicon {
        let mut lexicon = Lexicon::new();
        for (i, word) in indonesian.iter().enumerate() {
            lexicon.push("t", entry(&format!("x{i}"), word, DialectTag::Unknown));
        }
        lexicon
    }

    fn forms(word: &str, known: &[&str]) -> Vec<String> {
        let lexicon = lexicon(known);
        let words = WordList {
            model: None,
            lexicon: &lexicon,
        };
        indonesian_forms(word, &words)
            .into_iter()
            .map(|(t, _)| t.text)
            .collect()
    }

    #[test]
    fn rewrites_only_into_attested_words() {
        assert_eq!(forms("sekulah", &["sekolah", "sekali"]), ["sekolah"]);
        assert_eq!(forms("tigo", &["tiga"]), ["tiga"]);
        assert_eq!(forms("harei", &["hari"]), ["hari"]);
        assert_eq!(forms("belajagh", &["belajar"]), ["belajar"]);
        assert_eq!(forms("suttik", &["suntik"]), ["suntik"]);
        assert!(forms("qqq", &["sekolah"]).is_empty());
        assert!(forms("tigo", &[]).is_empty());
    }

    #[test]
    fn names_every_rule_and_prefers_fewer() {
        let lexicon = lexicon(&["nomor"]);
        let words = WordList {
            model: None,
            lexicon: &lexicon,
        };
        let found = indonesian_forms("numur", &words);
        let (token, prior) = &found[0];
        assert_eq!((token.text.as_str(), token.source), ("nomor", Source::Rule));
        assert!(token.is_traceable());
        let rule = token.rule.as_deref().unwrap_or_default();
        assert!(rule.starts_with("sound: u ~ o, u ~ o"), "{rule}");
        assert_eq!(*prior, -2.0);
    }
}
