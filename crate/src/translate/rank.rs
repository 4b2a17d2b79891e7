//! Choosing one translation when a lexicon offers several.
//!
//! A lexicon lists every sense and synonym it knows (`ikam` → `aku`, `kami`, `saya`, `daku`), in
//! no useful order. The choice is made on evidence only, and every candidate is a lexicon entry,
//! so the choice never invents a word. In order of weight:
//!
//! 1. dialect: an entry tagged with the Lampung dialect being read or written beats an untagged
//!    one, which beats one tagged with the other dialect (for Lampung output the first step is
//!    small: meizano leaves most everyday Nyo words untagged and tags rarer synonyms, so the
//!    tag only breaks near-ties);
//! 2. for Indonesian output, everyday words ([`super::wordlists::EVERYDAY_INDONESIAN`]) beat
//!    rare synonyms, the more frequent the better;
//! 3. a translation spelled like its source word (a shared word, `harus` → `harus`);
//! 4. for Lampung output, a common word: the log of how many entries of the lexicon give this
//!    form in some spelling ([`Lexicon::spelling_support`]); and among spellings, the final
//!    vowel written as the dialect's tagged words mostly write it
//!    ([`super::spelling::DialectGrams::final_fit`]: Nyo `ijo` rather than `ijou`);
//! 5. for an untagged Lampung candidate, a spelling typical of the dialect: its final vowel
//!    ([`super::spelling::dialect_affinity`]) and how its letters resemble the lexicon's tagged
//!    words of each dialect ([`super::spelling::DialectGrams`]).
//!
//! Remaining ties keep lexicon order. On `nyo-dev.tsv`, Indonesian → Nyo (`eval-translate`, no
//! guesses), the small step 1, step 4's commonness and step 5's trigrams took BLEU / chrF from
//! 8.45 / 43.62 to 10.58 / 46.86, and step 4's final-vowel fit from 11.29 / 46.86 to 13.21 /
//! 48.29 (Nyo's `no` already written apart).

use super::lang::{Dialect, Fit, Lang};
use super::lexicon::{Lexicon, Stored};
use super::normalize;
use super::spelling;
use super::wordlists;

/// What a choice is made for: the direction, the source word, and the lexicon whose
/// statistics (spelling support, dialect trigrams) inform it.
#[derive(Clone, Copy)]
pub struct Query<'a> {
    /// The source language.
    pub from: Lang,
    /// The target language.
    pub to: Lang,
    /// The normalised source word or phrase.
    pub source_key: &'a str,
    /// The lexicon the statistics come from (the translator's main lexicon).
    pub lexicon: &'a Lexicon,
}

/// The position of the best candidate for `query`, or `None` when no candidate has a target
/// form.
pub fn best(candidates: &[&Stored], query: Query) -> Option<usize> {
    ranked(candidates, query).first().map(|&(i, _)| i)
}

/// Every candidate with a target form, as (position, score), best first; ties keep lexicon
/// order.
pub fn ranked(candidates: &[&Stored], query: Query) -> Vec<(usize, f64)> {
    let mut scored: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, stored)| Some((i, score(stored, query)?)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

fn score(stored: &Stored, query: Query) -> Option<f64> {
    let Query {
        from,
        to,
        source_key,
        lexicon,
    } = query;
    let target = normalize::key(stored.entry.text(to.side())?);
    if target.is_empty() {
        return None;
    }
    let dialect = from.dialect().or(to.dialect()).unwrap_or(Dialect::Unknown);
    let lampung_out = matches!(to, Lang::Lampung(_));
    let mut score = match stored.entry.dialect.fit(dialect) {
        Fit::Same if lampung_out => 2.0,
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
    if let Lang::Lampung(dialect) = to {
        score += (lexicon.spelling_support(&target).max(1) as f64).ln();
        score += lexicon.dialect_grams().final_fit(&target, dialect);
    }
    if let Lang::Lampung(dialect) = to
        && stored.entry.dialect.single().is_none()
    {
        score += f64::from(spelling::dialect_affinity(&target, dialect));
        // Read on the skeleton, so spellings of one word (`ago`, `agou`) lean alike, and capped
        // like the final-vowel hint: a resemblance, not evidence.
        let lean = lexicon
            .dialect_grams()
            .lean(&spelling::skeleton(&target), dialect);
        score += lean.clamp(-1.0, 1.0);
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

    /// The best of `candidates`, with statistics from a lexicon of the candidates themselves.
    fn pick<'a>(candidates: &'a [Stored], from: Lang, to: Lang, source: &str) -> &'a Stored {
        pick_with(candidates, &[], from, to, source)
    }

    /// Like [`pick`], with `more` entries in the statistics' lexicon.
    fn pick_with<'a>(
        candidates: &'a [Stored],
        more: &[Stored],
        from: Lang,
        to: Lang,
        source_key: &str,
    ) -> &'a Stored {
        let mut lexicon = Lexicon::new();
        lexicon.extend(
            "test",
            candidates.iter().chain(more).map(|s| s.entry.clone()),
        );
        let refs: Vec<&Stored> = candidates.iter().collect();
        let query = Query {
            from,
            to,
            source_key,
            lexicon: &lexicon,
        };
        &candidates[best(&refs, query).unwrap()]
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
    fn a_form_the_lexicon_gives_often_beats_a_rare_synonym_in_lampung_output() {
        let c = [
            stored("qi", "saya", DialectTag::Unknown),
            stored("qe", "saya", DialectTag::Unknown),
        ];
        let nyo = Lang::Lampung(Dialect::Nyo);
        let alone = pick(&c, Lang::Indonesian, nyo, "saya");
        assert_eq!(alone.entry.lampung, "qi", "a tie keeps lexicon order");
        let more = [
            stored("qe", "aku", DialectTag::Unknown),
            stored("qee", "kami", DialectTag::Unknown),
        ];
        let common = pick_with(&c, &more, Lang::Indonesian, nyo, "saya");
        assert_eq!(
            common.entry.lampung, "qe",
            "three entries spell it, one the other"
        );
    }

    #[test]
    fn tagged_words_teach_the_spelling_of_untagged_ones() {
        let c = [
            stored("helma", "orang", DialectTag::Unknown),
            stored("hemo", "orang", DialectTag::Unknown),
        ];
        let tagged = [
            stored("jelma", "manusia", DialectTag::Api),
            stored("jemo", "manusia", DialectTag::Nyo),
        ];
        let nyo = Lang::Lampung(Dialect::Nyo);
        let api = Lang::Lampung(Dialect::Api);
        let pick_for = |to| pick_with(&c, &tagged, Lang::Indonesian, to, "orang");
        assert_eq!(pick_for(nyo).entry.lampung, "hemo");
        assert_eq!(pick_for(api).entry.lampung, "helma");
    }

    #[test]
    fn candidates_without_a_target_form_are_skipped() {
        let c = [stored("x", "y", DialectTag::Unknown)];
        let refs: Vec<&Stored> = c.iter().collect();
        let lexicon = Lexicon::new();
        let query = Query {
            from: Lang::Indonesian,
            to: Lang::English,
            source_key: "y",
            lexicon: &lexicon,
        };
        assert_eq!(best(&refs, query), None);
    }
}
