//! Language and dialect detection from word evidence.
//!
//! Each word votes for the languages it belongs to: built-in function words
//! ([`super::wordlists`]) and Lampung clitics written apart (`no`, `kah`) count one; a word
//! found on only one side of the loaded lexicon (or phrasebook) counts one for that side; a
//! word found on no side counts a half for a side it reaches only through a Lampung spelling
//! variant or a morphological analysis. Other words do not vote. A whole text matching a
//! phrasebook phrase counts three for its side.
//!
//! For Lampung, the dialect is then voted the same way: built-in Nyo and Api words count two,
//! a word whose lexicon entries are all tagged with one dialect counts one, and a typical final
//! vowel (`-o` Nyo, `-a` Api) counts a quarter.

use serde::{Deserialize, Serialize};

use super::lang::{Dialect, DialectTag, Lang, Side};
use super::morphology;
use super::normalize;
use super::resources::Resources;
use super::spelling;
use super::wordlists::{
    API_WORDS, ENGLISH_FUNCTION_WORDS, INDONESIAN_FUNCTION_WORDS, LAMPUNG_WORDS, NYO_WORDS,
};

/// The votes behind a detection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Votes for Lampung.
    pub lampung: f64,
    /// Votes for Indonesian.
    pub indonesian: f64,
    /// Votes for English.
    pub english: f64,
    /// Votes for the Nyo dialect.
    pub nyo: f64,
    /// Votes for the Api dialect.
    pub api: f64,
}

/// What detection found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The most likely language (Indonesian when there is no evidence at all).
    pub lang: Lang,
    /// Whether any word voted.
    pub has_evidence: bool,
    /// The votes.
    pub scores: Scores,
}

/// Detects the language (and Lampung dialect) of `text`.
pub fn detect(text: &str, resources: &Resources) -> Detection {
    let pieces = normalize::normalize(text);
    let words: Vec<&str> = pieces
        .iter()
        .filter(|p| p.is_word())
        .map(|p| p.text.as_str())
        .collect();
    let mut scores = Scores::default();
    for word in &words {
        vote_language(word, resources, &mut scores);
    }
    for stored in resources.phrasebook.lookup(Side::Lampung, text) {
        scores.lampung += 3.0;
        vote_tag(stored.entry.dialect, 3.0, &mut scores);
    }
    scores.indonesian += 3.0 * resources.phrasebook.lookup(Side::Indonesian, text).len() as f64;
    scores.english += 3.0 * resources.phrasebook.lookup(Side::English, text).len() as f64;
    for word in &words {
        vote_dialect(word, resources, &mut scores);
    }
    let has_evidence = scores.lampung + scores.indonesian + scores.english > 0.0;
    let lang = if scores.lampung > scores.indonesian && scores.lampung >= scores.english {
        Lang::Lampung(dialect(&scores))
    } else if scores.english > scores.indonesian {
        Lang::English
    } else {
        Lang::Indonesian
    };
    Detection {
        lang,
        has_evidence,
        scores,
    }
}

fn vote_language(word: &str, resources: &Resources, scores: &mut Scores) {
    let listed = |list: &[&str]| f64::from(u8::from(list.contains(&word)));
    scores.lampung += listed(LAMPUNG_WORDS);
    scores.indonesian += listed(INDONESIAN_FUNCTION_WORDS);
    scores.english += listed(ENGLISH_FUNCTION_WORDS);
    let on_side = |side: Side| {
        resources.lexicon.contains(side, word)
            || resources.phrasebook.lexicon().contains(side, word)
    };
    let lampung = Lang::Lampung(Dialect::Unknown);
    if morphology::standalone_clitic(word, lampung).is_some() {
        scores.lampung += 1.0;
    }
    let sides = Side::ALL.map(on_side);
    match sides {
        [true, false, false] => scores.lampung += 1.0,
        [false, true, false] => scores.indonesian += 1.0,
        [false, false, true] => scores.english += 1.0,
        [false, false, false] => vote_indirect(word, resources, scores),
        _ => {}
    }
}

/// Half a vote for the side a word reaches only through spelling or morphology.
fn vote_indirect(word: &str, resources: &Resources, scores: &mut Scores) {
    let lexicon = &resources.lexicon;
    let reaches = |lang: Lang| {
        morphology::analyses(word, lang).iter().any(|a| {
            lexicon.contains(lang.side(), &a.root)
                || (lang.side() == Side::Lampung && !lexicon.lookup_spelling(&a.root).is_empty())
        })
    };
    let lampung =
        !lexicon.lookup_spelling(word).is_empty() || reaches(Lang::Lampung(Dialect::Unknown));
    let indonesian = reaches(Lang::Indonesian);
    if lampung && !indonesian {
        scores.lampung += 0.5;
    } else if indonesian && !lampung {
        scores.indonesian += 0.5;
    }
}

fn vote_dialect(word: &str, resources: &Resources, scores: &mut Scores) {
    if NYO_WORDS.contains(&word) {
        scores.nyo += 2.0;
    }
    if API_WORDS.contains(&word) {
        scores.api += 2.0;
    }
    let entries = resources.lexicon.lookup(Side::Lampung, word);
    let first = entries.first().map(|s| s.entry.dialect);
    if let Some(tag) = first.filter(|&t| entries.iter().all(|s| s.entry.dialect == t)) {
        vote_tag(tag, 1.0, scores);
    }
    let lean = f64::from(spelling::dialect_affinity(word, Dialect::Nyo));
    scores.nyo += 0.25 * lean.max(0.0);
    scores.api += 0.25 * (-lean).max(0.0);
}

fn vote_tag(tag: DialectTag, weight: f64, scores: &mut Scores) {
    match tag {
        DialectTag::Nyo => scores.nyo += weight,
        DialectTag::Api => scores.api += weight,
        DialectTag::Both | DialectTag::Unknown => {}
    }
}

fn dialect(scores: &Scores) -> Dialect {
    if scores.nyo > scores.api {
        Dialect::Nyo
    } else if scores.api > scores.nyo {
        Dialect::Api
    } else {
        Dialect::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(text: &str) -> Lang {
        detect(text, &Resources::builtin()).lang
    }

    #[test]
    fn detects_from_built_in_words() {
        assert_eq!(lang("saya tidak tahu apa itu"), Lang::Indonesian);
        assert_eq!(lang("what is the name of this"), Lang::English);
        assert_eq!(lang("nyo kabar sekam"), Lang::Lampung(Dialect::Nyo));
        assert_eq!(lang("niku haga api?"), Lang::Lampung(Dialect::Api));
        // The phrasebook tags this founding example as dialect O, which outweighs `api`.
        assert_eq!(lang("Api kabar niku?"), Lang::Lampung(Dialect::Nyo));
    }

    #[test]
    fn phrasebook_phrases_vote_for_their_side_and_dialect() {
        let detection = detect("Tabik pun!", &Resources::builtin());
        assert_eq!(detection.lang, Lang::Lampung(Dialect::Unknown));
        assert!(detection.has_evidence);
    }

    #[test]
    fn no_evidence_defaults_to_indonesian() {
        let detection = detect("zzz qqq", &Resources::builtin());
        assert_eq!(detection.lang, Lang::Indonesian);
        assert!(!detection.has_evidence);
    }

    #[test]
    fn lexicon_dialect_tags_vote() {
        let mut resources = Resources::builtin();
        let tsv = "lampung\tindonesian\tenglish\tdialect\tpos\tsource\tnote\n\
                   qq\tx\t\tapi\t\tt\t\nmak\ttidak\t\tboth\t\tt\t\n";
        resources.add_lexicon("t.tsv", tsv).unwrap();
        // `qq` is made up: what counts is that its only entry is tagged Api.
        let detection = detect("mak qq", &resources);
        assert_eq!(detection.lang, Lang::Lampung(Dialect::Api));
    }
}
