//! Word lookup, from the most to the least direct evidence: longest multi-word match in the
//! phrasebook and lexicon, then (single words) a Lampung spelling variant, then morphology,
//! then a clitic written apart. Each success is a token that cites its entry and rule.

use super::decode::Alternatives;
use super::lang::{Lang, Side};
use super::lexicon::{Lexicon, Stored};
use super::morphology::{self, Affix, Analysis};
use super::normalize;
use super::options::Options;
use super::rank;
use super::resources::Resources;
use super::sound::{self, WordList};
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
    /// The longest run of `words` (from the start) that an entry covers, as (words used, its
    /// translations best first). Phrasebook entries win over lexicon entries of the same length.
    pub fn longest_match(&self, words: &[String]) -> Option<(usize, Alternatives)> {
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
                let tokens = self.entry_tokens(lexicon, &key, source);
                if !tokens.is_empty() {
                    return Some((n, tokens));
                }
            }
        }
        None
    }

    /// A single word not found as written: spelling variant, then morphology; its
    /// translations best first.
    pub fn word(&self, word: &str) -> Option<Alternatives> {
        let found = self.variants(word);
        if !found.is_empty() {
            return Some(found);
        }
        self.morphological(word)
    }

    /// Indonesian words a Nyo word corresponds to by regular sound changes ([`sound`]), the
    /// word alone or as the locative `di` joined to its noun (`disekulah` → `di sekolah`).
    pub fn by_sound(&self, word: &str) -> Option<Alternatives> {
        if !self.options.sound_rules
            || !matches!(self.from, Lang::Lampung(_))
            || self.to != Lang::Indonesian
        {
            return None;
        }
        let words = WordList {
            model: self.resources.language_model(Lang::Indonesian),
            lexicon: &self.resources.lexicon,
        };
        let mut found = sound::indonesian_forms(word, &words);
        if let Some(noun) = word.strip_prefix("di").filter(|n| n.chars().count() >= 3) {
            for (mut token, prior) in sound::indonesian_forms(noun, &words) {
                token.text = format!("di {}", token.text);
                token.input = word.to_string();
                token.rule = token.rule.map(|r| format!("locative di + {noun}; {r}"));
                found.push((token, prior - 0.5));
            }
        }
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
        (!found.is_empty()).then_some(found)
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
    fn variants(&self, word: &str) -> Alternatives {
        let spelled = self.ranked_spelling(word);
        let tokens = spelled.into_iter().map(|(stored, text, score)| {
            let entry = stored.entry.lampung.clone();
            let token = Token {
                input: word.to_string(),
                rule: Some(format!("spelling: {word} ~ {entry}")),
                ..self.cite(stored, &text, Source::Lexicon)
            };
            (token, score)
        });
        tokens.collect()
    }

    fn morphological(&self, word: &str) -> Option<Alternatives> {
        if !self.options.morphology {
            return None;
        }
        morphology::analyses(word, self.from)
            .iter()
            .find_map(|analysis| {
                let found = self.analysed(word, analysis);
                (!found.is_empty()).then_some(found)
            })
    }

    fn analysed(&self, word: &str, analysis: &Analysis) -> Alternatives {
        let root = &analysis.root;
        let mut roots = self.ranked(&self.resources.lexicon, root);
        if roots.is_empty() {
            roots = self.ranked_spelling(root);
        }
        let mut out = Alternatives::new();
        for (stored, root_text, score) in roots {
            let Some((form, dropped)) = morphology::generate(analysis, &root_text, self.to) else {
                continue;
            };
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
            if let Some(locative) = self.locative(analysis, &root_text) {
                let token = Token {
                    rule: Some(format!("locative di + {root}")),
                    input: word.to_string(),
                    ..self.cite(stored, &locative, Source::Morphology)
                };
                out.push((token, score - 0.5));
            }
            let token = Token {
                rule: Some(rule),
                input: word.to_string(),
                ..self.cite(stored, &form, Source::Morphology)
            };
            out.push((token, score));
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    /// Lampung writes the locative `di` joined to its noun (`dikattur`), Indonesian apart
    /// (`di kantor`): for a Lampung word whose only prefix is `di-`, the form with `di` apart,
    /// offered beside the passive reading for the language model to choose.
    fn locative(&self, analysis: &Analysis, root_text: &str) -> Option<String> {
        let only_di = analysis.prefixes == [Affix::Di] && !analysis.reduplicated;
        if !only_di || !matches!(self.from, Lang::Lampung(_)) || self.to != Lang::Indonesian {
            return None;
        }
        let bare = Analysis {
            prefixes: Vec::new(),
            ..analysis.clone()
        };
        let (form, dropped) = morphology::generate(&bare, root_text, self.to)?;
        dropped.is_empty().then(|| format!("di {form}"))
    }

    /// A word whose root no entry reaches, the root rewritten by sound correspondences and its
    /// affixes rebuilt (`ngeraso` → `merasa`); tried after the whole word by sound.
    pub fn morphology_by_sound(&self, word: &str) -> Option<Alternatives> {
        if !self.options.morphology {
            return None;
        }
        morphology::analyses(word, self.from)
            .iter()
            .find_map(|analysis| {
                let found = self.analysed_by_sound(word, analysis);
                (!found.is_empty()).then_some(found)
            })
    }

    /// A root no entry reaches, rewritten by sound correspondences, with its affixes rebuilt.
    fn analysed_by_sound(&self, word: &str, analysis: &Analysis) -> Alternatives {
        let root = &analysis.root;
        let Some(forms) = self.by_sound(root) else {
            return Alternatives::new();
        };
        let rebuilt = forms.into_iter().filter_map(|(token, prior)| {
            if token.text.contains(' ') {
                return None;
            }
            let (form, dropped) = morphology::generate(analysis, &token.text, self.to)?;
            if !dropped.is_empty() {
                return None;
            }
            let sound_rule = token.rule.unwrap_or_default();
            let rule = format!(
                "{}; {sound_rule}",
                morphology::describe(analysis, self.from, root)
            );
            let rebuilt = Token {
                text: form,
                input: word.to_string(),
                rule: Some(rule),
                ..token
            };
            Some((rebuilt, prior - 0.5))
        });
        rebuilt.collect()
    }

    /// Like [`Self::ranked`], through the Lampung spelling index.
    fn ranked_spelling(&self, word: &str) -> Vec<(&Stored, String, f64)> {
        if !self.options.spelling_variants || !matches!(self.from, Lang::Lampung(_)) {
            return Vec::new();
        }
        let candidates = self.resources.lexicon.lookup_spelling(word);
        self.rank(&candidates, word)
    }

    /// The entries for `key` with their target text and score, best first, one per distinct
    /// target text.
    fn ranked<'l>(&self, lexicon: &'l Lexicon, key: &str) -> Vec<(&'l Stored, String, f64)> {
        let candidates = lexicon.lookup(self.from.side(), key);
        self.rank(&candidates, key)
    }

    fn rank<'l>(&self, candidates: &[&'l Stored], key: &str) -> Vec<(&'l Stored, String, f64)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let query = rank::Query {
            from: self.from,
            to: self.to,
            source_key: key,
            lexicon: &self.resources.lexicon,
        };
        for (i, score) in rank::ranked(candidates, query) {
            let stored = candidates[i];
            let Some(text) = stored.entry.text(self.to.side()) else {
                continue;
            };
            if seen.insert(normalize::key(text)) {
                out.push((stored, text.to_string(), score));
            }
        }
        out
    }

    fn entry_tokens(&self, lexicon: &Lexicon, key: &str, source: Source) -> Alternatives {
        let ranked = self.ranked(lexicon, key).into_iter();
        ranked
            .map(|(stored, text, score)| {
                let token = Token {
                    input: key.to_string(),
                    ..self.cite(stored, &text, source)
                };
                (token, score)
            })
            .collect()
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
