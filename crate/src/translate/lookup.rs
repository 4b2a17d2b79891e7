//! Word lookup, from the most to the least direct evidence: longest multi-word match in the
//! phrasebook and lexicon, then (single words) a Lampung spelling variant, then morphology,
//! then a clitic written apart. Each success is a token that cites its entry and rule.

use super::lang::{Lang, Side};
use super::lexicon::{Lexicon, Stored};
use super::morphology::{self, Analysis};
use super::normalize;
use super::options::Options;
use super::rank;
use super::resources::Resources;
use super::token::{Source, Token};

/// The name cited by clitic tokens, which come from built-in rules, not a lexicon.
pub const MORPHOLOGY_NAME: &str = "built-in morphology";

/// One direction of lookup over a set of resources.
pub struct Lookup<'a> {
    /// Source language.
    pub from: Lang,
    /// Target language.
    pub to: Lang,
    /// Phrasebook, lexicon.
    pub resources: &'a Resources,
    /// What is allowed.
    pub options: &'a Options,
}

impl Lookup<'_> {
    /// The longest run of `words` (from the start) that an entry covers, as (words used, token).
    /// Phrasebook entries win over lexicon entries of the same length.
    pub fn longest_match(&self, words: &[String]) -> Option<(usize, Token)> {
        let side = self.from.side();
        let window = self
            .resources
            .lexicon
            .longest(side)
            .max(self.resources.phrasebook.lexicon().longest(side))
            .min(words.len());
        for n in (1..=window).rev() {
            let key = words[..n].join(" ");
            let sources = [
                (self.resources.phrasebook.lexicon(), Source::Phrasebook),
                (&self.resources.lexicon, Source::Lexicon),
            ];
            for (lexicon, source) in sources {
                if let Some(token) = self.entry_token(lexicon, &key, source) {
                    return Some((n, token));
                }
            }
        }
        None
    }

    /// A single word not found as written: spelling variant, then morphology.
    pub fn word(&self, word: &str) -> Option<Token> {
        self.variant(word).or_else(|| self.morphological(word))
    }

    /// A clitic written as its own word (`penceramah no`), joined to the previous token.
    pub fn standalone_clitic(&self, word: &str) -> Option<Token> {
        if !self.options.morphology {
            return None;
        }
        let affix = morphology::standalone_clitic(word, self.from)?;
        let text = morphology::clitic_text(affix, self.to)?;
        Some(Token {
            text: text.to_string(),
            source: Source::Morphology,
            entry: None,
            source_name: Some(MORPHOLOGY_NAME.to_string()),
            dialect: None,
            input: word.to_string(),
            rule: Some(format!("clitic `{word}` written apart")),
            joined: true,
        })
    }

    /// A Lampung word spelled differently from its entry (`kedo` for `keddo`).
    fn variant(&self, word: &str) -> Option<Token> {
        let (stored, text) = self.choose_spelling(word)?;
        let entry = stored.entry.lampung.clone();
        Some(Token {
            input: word.to_string(),
            rule: Some(format!("spelling: {word} ~ {entry}")),
            ..self.cite(stored, &text, Source::Lexicon)
        })
    }

    fn morphological(&self, word: &str) -> Option<Token> {
        if !self.options.morphology {
            return None;
        }
        morphology::analyses(word, self.from)
            .iter()
            .find_map(|analysis| self.analysed(word, analysis))
    }

    fn analysed(&self, word: &str, analysis: &Analysis) -> Option<Token> {
        let root = &analysis.root;
        let (stored, root_text) = self
            .choose(&self.resources.lexicon, root)
            .or_else(|| self.choose_spelling(root))?;
        let (form, dropped) = morphology::generate(analysis, &root_text, self.to)?;
        let written = stored.entry.text(self.from.side()).unwrap_or(root);
        let mut rule = morphology::describe(analysis, self.from, root);
        if normalize::key(written) != *root {
            rule.push_str(&format!(" (spelling: {root} ~ {written})"));
        }
        if !dropped.is_empty() {
            let names: Vec<String> = dropped
                .iter()
                .map(|&a| morphology::affix_name(a, self.from))
                .collect();
            rule.push_str(&format!(" (not rendered: {})", names.join(", ")));
        }
        Some(Token {
            rule: Some(rule),
            input: word.to_string(),
            ..self.cite(stored, &form, Source::Morphology)
        })
    }

    /// Like [`Self::choose`], through the Lampung spelling index.
    fn choose_spelling(&self, word: &str) -> Option<(&Stored, String)> {
        if !self.options.spelling_variants || !matches!(self.from, Lang::Lampung(_)) {
            return None;
        }
        let candidates = self.resources.lexicon.lookup_spelling(word);
        let best = rank::best(&candidates, self.from, self.to, word)?;
        let stored = candidates[best];
        Some((stored, stored.entry.text(self.to.side())?.to_string()))
    }

    /// The best entry for `key` and its target text.
    fn choose<'l>(&self, lexicon: &'l Lexicon, key: &str) -> Option<(&'l Stored, String)> {
        let candidates = lexicon.lookup(self.from.side(), key);
        let best = rank::best(&candidates, self.from, self.to, key)?;
        let stored = candidates[best];
        let text = stored.entry.text(self.to.side())?.to_string();
        Some((stored, text))
    }

    fn entry_token(&self, lexicon: &Lexicon, key: &str, source: Source) -> Option<Token> {
        let (stored, text) = self.choose(lexicon, key)?;
        Some(Token {
            input: key.to_string(),
            ..self.cite(stored, &text, source)
        })
    }

    fn cite(&self, stored: &Stored, text: &str, source: Source) -> Token {
        let side: Side = self.from.side();
        Token {
            text: text.to_string(),
            source,
            entry: stored.entry.text(side).map(str::to_string),
            source_name: Some(stored.origin.clone()),
            dialect: stored.entry.dialect.single(),
            input: String::new(),
            rule: None,
            joined: false,
        }
    }
}
