//! Word translations learned from sentence pairs, by association (Dice coefficient of sentence
//! co-occurrence): what a user's own parallel text adds to the lexicon.
//!
//! Used by [`super::evaluate::cross_validated`] on the folds it does not score; a learned entry
//! is cited as learned, with its counts in the note, and tagged with the dialect of the pairs.

use std::collections::HashMap;

use super::lang::{DialectTag, Lang};
use super::lexicon::Entry;
use super::normalize;

/// How sure an association must be.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnOptions {
    /// Sentences the two words must share.
    pub min_pairs: usize,
    /// Dice coefficient, 2·c(s,t) / (c(s) + c(t)), at least.
    pub min_dice: f64,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            min_pairs: 2,
            min_dice: 0.3,
        }
    }
}

/// The name learned entries cite.
pub const LEARNED_NAME: &str = "learned from parallel text";

fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = normalize::normalize(text)
        .into_iter()
        .filter(|p| p.is_word())
        .map(|p| p.text)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// For each source word of `pairs` (source, translation), the target word it is most strongly
/// associated with, if the association passes `options`; as lexicon entries from `from` to `to`.
pub fn learn(
    pairs: &[(String, String)],
    from: Lang,
    to: Lang,
    options: &LearnOptions,
) -> Vec<Entry> {
    let mut source_count: HashMap<String, usize> = HashMap::new();
    let mut target_count: HashMap<String, usize> = HashMap::new();
    let mut joint: HashMap<(String, String), usize> = HashMap::new();
    for (source, target) in pairs {
        let (s, t) = (words(source), words(target));
        for w in &s {
            *source_count.entry(w.clone()).or_default() += 1;
        }
        for w in &t {
            *target_count.entry(w.clone()).or_default() += 1;
        }
        for a in &s {
            for b in &t {
                *joint.entry((a.clone(), b.clone())).or_default() += 1;
            }
        }
    }
    let mut best: HashMap<&str, (&str, f64, usize)> = HashMap::new();
    for ((s, t), &both) in &joint {
        let dice = 2.0 * both as f64 / (source_count[s] + target_count[t]) as f64;
        if both < options.min_pairs || dice < options.min_dice {
            continue;
        }
        let better = best
            .get(s.as_str())
            .is_none_or(|&(kept, d, _)| dice > d || (dice == d && t.as_str() < kept));
        if better {
            best.insert(s, (t, dice, both));
        }
    }
    let mut learned: Vec<(&str, (&str, f64, usize))> = best.into_iter().collect();
    learned.sort_by(|a, b| a.0.cmp(b.0));
    learned
        .into_iter()
        .map(|(s, (t, dice, both))| entry(s, t, from, to, dice, both))
        .collect()
}

fn entry(source: &str, target: &str, from: Lang, to: Lang, dice: f64, both: usize) -> Entry {
    let (lampung, indonesian) = match from {
        Lang::Lampung(_) => (source, target),
        _ => (target, source),
    };
    let dialect = match from.dialect().or(to.dialect()) {
        Some(d) => DialectTag::from(d),
        None => DialectTag::Unknown,
    };
    Entry {
        lampung: lampung.to_string(),
        indonesian: indonesian.to_string(),
        english: None,
        dialect,
        pos: None,
        source: LEARNED_NAME.to_string(),
        note: Some(format!("{both} shared sentences, Dice {dice:.2}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lang::Dialect;
    use super::*;

    #[test]
    fn learns_consistent_word_pairs_only() {
        let rows = [
            ("mak mengan", "tidak makan"),
            ("mak nginum", "tidak minum"),
            ("nyak mengan", "saya makan"),
            ("nyak mak mengan", "saya tidak makan"),
            ("sekali", "once"),
        ];
        let pairs: Vec<(String, String)> = rows
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let nyo = Lang::Lampung(Dialect::Nyo);
        let learned = learn(&pairs, nyo, Lang::Indonesian, &LearnOptions::default());
        let found: Vec<(&str, &str)> = learned
            .iter()
            .map(|e| (e.lampung.as_str(), e.indonesian.as_str()))
            .collect();
        assert_eq!(
            found,
            [("mak", "tidak"), ("mengan", "makan"), ("nyak", "saya")]
        );
        assert!(learned.iter().all(|e| e.dialect == DialectTag::Nyo));
        let back: Vec<(String, String)> =
            pairs.iter().map(|(a, b)| (b.clone(), a.clone())).collect();
        let learned = learn(&back, Lang::Indonesian, nyo, &LearnOptions::default());
        assert!(
            learned
                .iter()
                .any(|e| e.lampung == "mak" && e.indonesian == "tidak")
        );
    }
}
