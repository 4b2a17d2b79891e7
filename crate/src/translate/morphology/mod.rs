//! Morphology: strip affixes to reach a lexicon root, and rebuild the translated form.
//!
//! Affixes are named by what they do ([`Affix`]), not how they are spelled, so an analysis of
//! one language can be spelled in the other: Lampung `ngelulih-lulih` (nasal prefix + doubled
//! root `lulih`) becomes Indonesian `meN-` + the doubled translation of `lulih`. Each language
//! module lists the affixes it knows; an affix the target language has no spelling for is left
//! out and the rule names what was dropped, so nothing is invented.
//!
//! Analysis only proposes candidates. The pipeline looks each candidate root up in the lexicon
//! and takes the first that is found; candidates come simplest first (fewest affixes).

pub mod indonesian;
pub mod lampung;

use std::collections::HashMap;

use super::lang::Lang;

/// A grammatical person, for possessive and proclitic pronouns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Person {
    /// I / my.
    First,
    /// You / your.
    Second,
    /// He, she, it / his, her, its; also the definite `-nya`.
    Third,
}

/// An affix, by function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Affix {
    /// `di-`: passive (Lampung also writes the locative `di` joined to its noun).
    Di,
    /// Active verb: Indonesian `meN-`, Lampung nasal `ng-`/`nge-`/`ny-`/`m-`/`n-`.
    Active,
    /// Indonesian `ber-`: intransitive, "having".
    Ber,
    /// Indonesian `ter-`: accidental or superlative.
    Ter,
    /// Indonesian `peN-`: agent or instrument.
    PeN,
    /// Indonesian `per-`: causative.
    Per,
    /// Indonesian `ke-`: ordinal or part of `ke-an`.
    Ke,
    /// Proclitic pronoun: Indonesian `ku-`, `kau-`.
    Proclitic(Person),
    /// Indonesian `-kan`: causative or benefactive.
    Kan,
    /// Indonesian `-i`: locative or repetitive.
    I,
    /// `-an`: noun of result or place (both languages).
    An,
    /// Possessive clitic: `-ku`, `-mu`, and `-nya` (Indonesian), `-no` (Nyo), `-ni` (Api).
    Possessive(Person),
    /// Question particle `-kah` (both languages).
    Kah,
    /// Emphasis particle `-lah`.
    Lah,
    /// Particle `-pun` ("also", "even").
    Pun,
}

/// A word split into a root and affixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// The root to look up.
    pub root: String,
    /// Prefixes as written, outermost first (`di` + `per` in `diperbaiki`).
    pub prefixes: Vec<Affix>,
    /// Suffixes as written, innermost first (`-kan`, then `-nya`, then `-lah`).
    pub suffixes: Vec<Affix>,
    /// Whether the root is doubled (`lulih-lulih`).
    pub reduplicated: bool,
}

impl Analysis {
    /// A bare root.
    pub fn root(root: &str) -> Self {
        Analysis {
            root: root.to_string(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            reduplicated: false,
        }
    }

    /// Number of morphological operations (for ordering candidates simplest first).
    pub fn complexity(&self) -> usize {
        self.prefixes.len() + self.suffixes.len() + usize::from(self.reduplicated)
    }

    /// Whether the analysis strips nothing.
    pub fn is_bare(&self) -> bool {
        self.complexity() == 0
    }
}

/// Candidate analyses of a word in `lang`, simplest first (the bare word excluded).
pub fn analyses(word: &str, lang: Lang) -> Vec<Analysis> {
    let single = |w: &str| -> Vec<Analysis> {
        match lang {
            Lang::Indonesian => indonesian::analyses(w),
            Lang::Lampung(_) => lampung::analyses(w),
            Lang::English => Vec::new(),
        }
    };
    let mut found = match word.split_once('-') {
        Some((left, right)) if !right.contains('-') => reduplications(left, right, single),
        _ => single(word),
    };
    found.retain(|a| !a.is_bare() || a.reduplicated);
    found.sort_by_key(Analysis::complexity);
    found
}

/// Spells an analysis with a translated root in `lang`. Returns the form and the affixes that
/// `lang` has no spelling for (left out), or `None` when the language has no morphology here.
pub fn generate(analysis: &Analysis, root: &str, lang: Lang) -> Option<(String, Vec<Affix>)> {
    match lang {
        Lang::Indonesian => Some(indonesian::generate(analysis, root)),
        Lang::Lampung(dialect) => Some(lampung::generate(analysis, root, dialect)),
        Lang::English => None,
    }
}

/// The clitic that `word` is, when `lang` writes that clitic as a word of its own (Lampung
/// `penceramah no`). The pipeline joins its translation to the previous word.
pub fn standalone_clitic(word: &str, lang: Lang) -> Option<Affix> {
    match lang {
        Lang::Lampung(_) => lampung::standalone_clitic(word),
        _ => None,
    }
}

/// Spells a clitic alone in `lang` (for a clitic written apart in the source).
pub fn clitic_text(affix: Affix, lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::Indonesian => indonesian::suffix_text(affix),
        Lang::Lampung(dialect) => lampung::suffix_text(affix, dialect),
        Lang::English => None,
    }
}

/// Pairs the analyses of `left-right` whose roots agree: prefixes from the left half, suffixes
/// from the right (`ngelulih-lulih`, `anak-anaknya`, `berlari-lari`).
fn reduplications(
    left: &str,
    right: &str,
    single: impl Fn(&str) -> Vec<Analysis>,
) -> Vec<Analysis> {
    let with_bare = |w: &str| {
        let mut all = vec![Analysis::root(w)];
        all.extend(single(w));
        all
    };
    let mut rights: HashMap<String, Vec<Analysis>> = HashMap::new();
    for r in with_bare(right)
        .into_iter()
        .filter(|r| r.prefixes.is_empty())
    {
        rights.entry(r.root.clone()).or_default().push(r);
    }
    let mut found = Vec::new();
    for l in with_bare(left)
        .into_iter()
        .filter(|l| l.suffixes.is_empty())
    {
        for r in rights.get(&l.root).into_iter().flatten() {
            found.push(Analysis {
                root: l.root.clone(),
                prefixes: l.prefixes.clone(),
                suffixes: r.suffixes.clone(),
                reduplicated: true,
            });
        }
    }
    found
}

/// Applies prefixes, suffixes and reduplication to a (possibly multi-word) root: prefixes go on
/// the first word, suffixes on the last; a multi-word root is not doubled. Each language
/// passes its own spelling functions; `None` means "no spelling: leave out".
fn build(
    analysis: &Analysis,
    root: &str,
    prefix: impl Fn(Affix, &str) -> Option<String>,
    suffix: impl Fn(Affix) -> Option<&'static str>,
) -> (String, Vec<Affix>) {
    let mut dropped = Vec::new();
    let mut words: Vec<String> = root.split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return (String::new(), dropped);
    }
    let single_word = words.len() == 1;
    let first = &mut words[0];
    for &affix in analysis.prefixes.iter().rev() {
        match prefix(affix, first) {
            Some(spelled) => *first = spelled,
            None => dropped.push(affix),
        }
    }
    if analysis.reduplicated && single_word {
        // Prefixes go on the first copy only: ber-lari-lari, ngelulih-lulih.
        *first = format!("{first}-{root}");
    }
    let last = words.last_mut().expect("root has a word");
    for &affix in &analysis.suffixes {
        match suffix(affix) {
            Some(spelled) => last.push_str(spelled),
            None => dropped.push(affix),
        }
    }
    (words.join(" "), dropped)
}

/// The rule a morphological token cites, e.g. `di- + kedo + -kah`.
pub fn describe(analysis: &Analysis, lang: Lang, root_as_written: &str) -> String {
    let mut parts: Vec<String> = analysis
        .prefixes
        .iter()
        .map(|&a| affix_name(a, lang))
        .collect();
    let root = if analysis.reduplicated {
        format!("{root_as_written} (doubled)")
    } else {
        root_as_written.to_string()
    };
    parts.push(root);
    parts.extend(analysis.suffixes.iter().map(|&a| affix_name(a, lang)));
    parts.join(" + ")
}

/// How an affix is written in `lang`, for rules (`meN-`, `-no`, `nasal prefix`).
pub fn affix_name(affix: Affix, lang: Lang) -> String {
    match lang {
        Lang::Lampung(dialect) => lampung::name(affix, dialect),
        _ => indonesian::name(affix),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lang::Dialect;
    use super::*;

    #[test]
    fn reduplication_pairs_prefix_left_and_suffix_right() {
        let lpg = analyses("ngelulih-lulih", Lang::Lampung(Dialect::Nyo));
        assert!(
            lpg.iter()
                .any(|a| a.root == "lulih" && a.prefixes == [Affix::Active] && a.reduplicated)
        );
        let id = analyses("anak-anaknya", Lang::Indonesian);
        assert!(id.iter().any(|a| a.root == "anak"
            && a.suffixes == [Affix::Possessive(Person::Third)]
            && a.reduplicated));
        let plain = analyses("buku-buku", Lang::Indonesian);
        assert_eq!(plain[0].root, "buku");
        assert!(plain[0].reduplicated && plain[0].complexity() == 1);
    }

    #[test]
    fn build_puts_prefixes_first_and_suffixes_last() {
        let analysis = Analysis {
            root: "x".into(),
            prefixes: vec![Affix::Di],
            suffixes: vec![Affix::Kah],
            reduplicated: false,
        };
        let (form, dropped) = build(
            &analysis,
            "di mana",
            |_, w| Some(format!("di{w}")),
            |_| Some("kah"),
        );
        assert_eq!(form, "didi manakah");
        assert!(dropped.is_empty());
        let (form, dropped) = build(&analysis, "mana", |_, _| None, |_| Some("kah"));
        assert_eq!((form.as_str(), dropped), ("manakah", vec![Affix::Di]));
    }
}
