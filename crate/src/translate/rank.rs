//! Choosing one translation when a lexicon offers several.
//!
//! A lexicon lists every sense and synonym it knows (`ikam` → `aku`, `kami`, `saya`, `daku`), in
//! no useful order. The choice is made on evidence only, and every candidate is a lexicon entry,
//! so the choice never invents a word. In order of weight:
//!
//! 1. dialect: an entry tagged with the Lampung dialect being read or written beats an untagged
//!    one, which beats one tagged with the other dialect;
//! 2. for Indonesian output, everyday words ([`super::wordlists::EVERYDAY_INDONESIAN`]) beat
//!    rare synonyms, the more frequent the better;
//! 3. a translation spelled like its source word (a shared word, `harus` → `harus`);
//! 4. for an untagged Lampung candidate, a spelling typical of the dialect
//!    ([`super::spelling::dialect_affinity`]).
//!
//! Remaining ties keep lexicon order.

use super::lang::{Dialect, Fit, Lang};
use super::lexicon::Stored;
use super::normalize;
use super::spelling;
use super::wordlists;

/// The position of the best candidate for translating `source_key` from `from` to `to`, or
/// `None` when no candidate has a `to` form.
pub fn best(candidates: &[&Stored], from: Lang, to: Lang, source_key: &str) -> Option<usize> {
    ranked(candidates, from, to, source_key)
        .first()
        .map(|&(i, _)| i)
}

/// Every candidate with a `to` form, as (position, score), best first; ties keep lexicon order.
pub fn ranked(candidates: &[&Stored], from: Lang, to: Lang, source_key: &str) -> Vec<(usize, f64)> {
    let mut scored: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, stored)| Some((i, score(stored, from, to, source_key)?)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

fn score(stored: &Stored, from: Lang, to: Lang, source_key: &str) -> Option<f64> {
    let target = normalize::key(stored.entry.text(to.side())?);
    if target.is_empty() {
        return None;
    }
    let dialect = from.dialect().or(to.dialect()).unwrap_or(Dialect::Unknown);
    let mut score = match stored.entry.dialect.fit(dialect) {
        Fit::Same => 8.0,
        Fit::Neutral => 0.0,
        Fit::Other => -8.0,
    };
    if to == Lang::Indonesian
        && let Some(rank) = wordlists::everyday_rank(&target)
    {
        let listed = wordlists::EVERYDAY_INDONESIAN.len() as f64;
        score += 3.0 + (1.0 - rank as f64 / listed);
    }
    if target == source_key {
        score += 1.5;
    }
    if let Lang::Lampung(dialect) = to
        && stored.entry.dialect.single().is_none()
    {
        score += f64::from(spelling::dialect_affinity(&target, dialect));
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::super::lang::DialectTag;
    use super::super::test_data::entry;
    use super::*;

    fn stored(lampung: &str, indonesian: &str, dialect: DialectTag) -> Stored {
        Stored {
            entry: entry(lampung, indonesian, dialect),
            origin: "test".into(),
        }
    }

    fn pick<'a>(candidates: &'a [Stored], from: Lang, to: Lang, source: &str) -> &'a Stored {
        let refs: Vec<&Stored> = candidates.iter().collect();
        &candidates[best(&refs, from, to, source).unwrap()]
    }

    // Lampung forms here are made up: only their dialect tags and final vowels matter.

    #[test]
    fn everyday_indonesian_beats_rare_synonyms() {
        let c = [
            stored("qq", "daku", DialectTag::Unknown),
            stored("qq", "aku", DialectTag::Unknown),
            stored("qq", "saya", DialectTag::Unknown),
        ];
        let nyo = Lang::Lampung(Dialect::Nyo);
        assert_eq!(
            pick(&c, nyo, Lang::Indonesian, "qq").entry.indonesian,
            "saya"
        );
    }

    #[test]
    fn tagged_dialect_beats_everyday_words() {
        let c = [
            stored("qq", "saya", DialectTag::Api),
            stored("qq", "daku", DialectTag::Nyo),
        ];
        let nyo = Lang::Lampung(Dialect::Nyo);
        assert_eq!(
            pick(&c, nyo, Lang::Indonesian, "qq").entry.indonesian,
            "daku"
        );
    }

    #[test]
    fn dialect_tags_then_dialect_spelling_decide_lampung_output() {
        let c = [
            stored("qa", "ini", DialectTag::Unknown),
            stored("sqa", "ini", DialectTag::Api),
            stored("qo", "ini", DialectTag::Unknown),
            stored("sqo", "ini", DialectTag::Nyo),
        ];
        let pick_for = |d| {
            let to = Lang::Lampung(d);
            pick(&c, Lang::Indonesian, to, "ini").entry.lampung.clone()
        };
        assert_eq!(pick_for(Dialect::Nyo), "sqo");
        assert_eq!(pick_for(Dialect::Api), "sqa");
        let untagged = [c[0].clone(), c[2].clone()];
        let nyo = pick(
            &untagged,
            Lang::Indonesian,
            Lang::Lampung(Dialect::Nyo),
            "ini",
        );
        assert_eq!(nyo.entry.lampung, "qo");
        let api = pick(
            &untagged,
            Lang::Indonesian,
            Lang::Lampung(Dialect::Api),
            "ini",
        );
        assert_eq!(api.entry.lampung, "qa");
    }

    #[test]
    fn candidates_without_a_target_form_are_skipped() {
        let c = [stored("x", "y", DialectTag::Unknown)];
        let refs: Vec<&Stored> = c.iter().collect();
        assert_eq!(best(&refs, Lang::Indonesian, Lang::English, "y"), None);
    }
}
