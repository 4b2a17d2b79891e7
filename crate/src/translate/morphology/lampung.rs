//! Lampung affixes: analysis of written forms and spelling of rebuilt ones.
//!
//! Only affixes Siger is sure of: the prefix `di-` (passive, and the locative `di` that Lampung
//! writers often join to its noun: `disekulah`), `be-` and `te-` (Indonesian `ber-`, `ter-`:
//! `betunangan`, `terlaleu`), the suffix `-ken`/`-ke` (Nyo) or `-ko` (Api) of Indonesian `-kan`
//! (`kenalken`), the nasal prefix of active verbs (`nge-` before
//! a root, `ng-` for a vowel or in place of `k`, `ny-` for `s`, `m-` for `p`, `n-` for `t`:
//! `ngelulih`, `nginum`, `nulung`), the suffix `-an`, the possessive clitics `-ku`, `-mu` and the
//! third person `-no` (Nyo, also written `-ne`) / `-ni` (Api), and the particles `-kah`, `-lah`. Clitics `-no`,
//! `-ni` and `-kah` are also written as separate words (`penceramah no`).

use super::super::lang::Dialect;
use super::{Affix, Analysis, Person, build};

/// The dialect whose spelling is used when none was asked for: dialect O, the one Siger's
/// founding examples are in.
pub const DEFAULT_DIALECT: Dialect = Dialect::Nyo;

const PARTICLES: [(&str, Affix); 2] = [("kah", Affix::Kah), ("lah", Affix::Lah)];
const POSSESSIVES: [(&str, Affix); 5] = [
    ("ku", Affix::Possessive(Person::First)),
    ("mu", Affix::Possessive(Person::Second)),
    ("no", Affix::Possessive(Person::Third)),
    ("ni", Affix::Possessive(Person::Third)),
    ("ne", Affix::Possessive(Person::Third)),
];
const DERIVATIONAL: [(&str, Affix); 4] = [
    ("an", Affix::An),
    ("ken", Affix::Kan),
    ("ke", Affix::Kan),
    ("ko", Affix::Kan),
];
/// Prefixes written before the root as they are: `be-` (Indonesian `ber-`), `te-` (`ter-`).
const PLAIN_PREFIXES: [(&str, Affix); 2] = [("be", Affix::Ber), ("te", Affix::Ter)];

/// Candidate analyses of one Lampung word (no hyphen), in no particular order.
pub fn analyses(word: &str) -> Vec<Analysis> {
    let mut found = Vec::new();
    for (stem, suffixes) in strip_suffixes(word) {
        let mut stems = vec![(stem.clone(), Vec::new())];
        if let Some(rest) = stem.strip_prefix("di") {
            stems.push((rest.to_string(), vec![Affix::Di]));
        }
        for (spelling, affix) in PLAIN_PREFIXES {
            if let Some(rest) = stem.strip_prefix(spelling) {
                stems.push((rest.to_string(), vec![affix]));
            }
        }
        stems.extend(
            nasal_roots(&stem)
                .into_iter()
                .map(|r| (r, vec![Affix::Active])),
        );
        for (root, prefixes) in stems {
            if root.chars().count() >= 3 && root.chars().any(is_vowel) {
                found.push(Analysis {
                    root,
                    prefixes,
                    suffixes: suffixes.clone(),
                    reduplicated: false,
                });
            }
        }
    }
    found
}

fn strip_suffixes(word: &str) -> Vec<(String, Vec<Affix>)> {
    let mut found = vec![(word.to_string(), Vec::new())];
    for layer in [&PARTICLES[..], &POSSESSIVES[..], &DERIVATIONAL[..]] {
        let mut next = found.clone();
        for (stem, suffixes) in &found {
            for &(spelling, affix) in layer {
                if let Some(shorter) = stem.strip_suffix(spelling) {
                    let mut with = vec![affix];
                    with.extend(suffixes.iter().copied());
                    next.push((shorter.to_string(), with));
                }
            }
        }
        found = next;
    }
    found
}

/// Roots a nasal prefix may have been attached to.
fn nasal_roots(word: &str) -> Vec<String> {
    let vowel_initial = |s: &str| s.starts_with(is_vowel);
    let mut roots = Vec::new();
    if let Some(r) = word.strip_prefix("nge") {
        roots.push(r.to_string());
    }
    if let Some(r) = word.strip_prefix("ng").filter(|r| vowel_initial(r)) {
        roots.extend([r.to_string(), format!("k{r}")]);
    }
    let replaced = [("ny", 's'), ("m", 'p'), ("n", 't')];
    for (nasal, consonant) in replaced {
        if let Some(r) = word.strip_prefix(nasal).filter(|r| vowel_initial(r)) {
            roots.push(format!("{consonant}{r}"));
        }
    }
    roots
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

/// Spells `analysis` around the Lampung `root` in `dialect`; returns the form and the affixes
/// Lampung has no spelling for here (left out). Nyo's third-person `no` is written as a word of
/// its own (`ceramah no`), as Nyo writers mostly do (in `nyo-dev.tsv` 43 times apart, fewer
/// joined).
pub fn generate(analysis: &Analysis, root: &str, dialect: Dialect) -> (String, Vec<Affix>) {
    build(analysis, root, prefix, |affix| match (affix, dialect) {
        (Affix::Possessive(Person::Third), Dialect::Nyo | Dialect::Unknown) => Some(" no"),
        _ => suffix_text(affix, dialect),
    })
}

fn prefix(affix: Affix, word: &str) -> Option<String> {
    match affix {
        Affix::Di => Some(format!("di{word}")),
        Affix::Active => Some(nasalise(word)),
        Affix::Ber => Some(format!("be{word}")),
        Affix::Ter => Some(format!("te{word}")),
        _ => None,
    }
}

/// The spelling of a suffix or clitic in `dialect`, if Lampung has one Siger knows.
pub fn suffix_text(affix: Affix, dialect: Dialect) -> Option<&'static str> {
    match affix {
        Affix::An => Some("an"),
        Affix::Kah => Some("kah"),
        Affix::Lah => Some("lah"),
        Affix::Kan => Some(match dialect {
            Dialect::Api => "ko",
            Dialect::Nyo | Dialect::Unknown => "ken",
        }),
        Affix::Possessive(Person::First) => Some("ku"),
        Affix::Possessive(Person::Second) => Some("mu"),
        Affix::Possessive(Person::Third) => Some(match dialect {
            Dialect::Api => "ni",
            Dialect::Nyo | Dialect::Unknown => "no",
        }),
        _ => None,
    }
}

/// A clitic written as a word of its own.
pub fn standalone_clitic(word: &str) -> Option<Affix> {
    match word {
        "no" | "ni" | "ne" => Some(Affix::Possessive(Person::Third)),
        "kah" => Some(Affix::Kah),
        _ => None,
    }
}

/// The nasal prefix of an active verb.
fn nasalise(word: &str) -> String {
    let mut chars = word.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return format!("nge{word}");
    };
    let tail = &word[first.len_utf8()..];
    match first {
        c if is_vowel(c) => format!("ng{word}"),
        'k' if is_vowel(second) => format!("ng{tail}"),
        's' if is_vowel(second) => format!("ny{tail}"),
        'p' if is_vowel(second) => format!("m{tail}"),
        't' if is_vowel(second) => format!("n{tail}"),
        _ => format!("nge{word}"),
    }
}

/// The name of an affix in a rule.
pub fn name(affix: Affix, dialect: Dialect) -> String {
    match affix {
        Affix::Di => "di-".into(),
        Affix::Active => "nasal prefix".into(),
        Affix::Possessive(Person::Third) if dialect == Dialect::Unknown => "-no/-ni".into(),
        other => match suffix_text(other, dialect) {
            Some(text) => format!("-{text}"),
            None => format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(word: &str, root: &str, prefixes: &[Affix], suffixes: &[Affix]) -> bool {
        analyses(word)
            .iter()
            .any(|a| a.root == root && a.prefixes == prefixes && a.suffixes == suffixes)
    }

    #[test]
    fn analyses_known_forms() {
        use Affix::*;
        assert!(has("ngelulih", "lulih", &[Active], &[]));
        assert!(has("nginum", "inum", &[Active], &[]));
        assert!(has("nulung", "tulung", &[Active], &[]));
        assert!(has("makai", "pakai", &[Active], &[]));
        assert!(has("nyapu", "sapu", &[Active], &[]));
        assert!(has("gelaghno", "gelagh", &[], &[Possessive(Person::Third)]));
        assert!(has("nuwoku", "nuwo", &[], &[Possessive(Person::First)]));
        assert!(has("disekulah", "sekulah", &[Di], &[]));
        assert!(has("nyokah", "nyo", &[], &[Kah]));
        assert!(
            !has("noku", "no", &[], &[Possessive(Person::First)]),
            "roots need three letters"
        );
        assert!(has("pighokah", "pigho", &[], &[Kah]));
    }

    #[test]
    fn regenerates_what_it_analyses() {
        for word in [
            "ngelulih",
            "nginum",
            "nulung",
            "makai",
            "gelaghno",
            "disekulah",
            "pighokah",
        ] {
            let regenerated = analyses(word)
                .iter()
                .any(|a| generate(a, &a.root, Dialect::Nyo) == (word.to_string(), vec![]));
            assert!(regenerated, "{word}");
        }
    }

    #[test]
    fn be_te_and_ken_map_to_ber_ter_and_kan() {
        use Affix::*;
        assert!(has("betunangan", "tunangan", &[Ber], &[]));
        assert!(has("tepukul", "pukul", &[Ter], &[]));
        assert!(has("kenalken", "kenal", &[], &[Kan]));
        assert!(has("acarane", "acara", &[], &[Possessive(Person::Third)]));
        let kan = Analysis {
            suffixes: vec![Kan],
            ..Analysis::root("kenal")
        };
        assert_eq!(generate(&kan, "kenal", Dialect::Nyo).0, "kenalken");
        assert_eq!(generate(&kan, "kenal", Dialect::Api).0, "kenalko");
        let ber = Analysis {
            prefixes: vec![Ber],
            ..Analysis::root("tunangan")
        };
        assert_eq!(generate(&ber, "tunangan", Dialect::Nyo).0, "betunangan");
    }

    #[test]
    fn third_person_follows_the_dialect() {
        let analysis = Analysis {
            suffixes: vec![Affix::Possessive(Person::Third)],
            ..Analysis::root("gelar")
        };
        assert_eq!(generate(&analysis, "gelar", Dialect::Api).0, "gelarni");
        assert_eq!(
            generate(&analysis, "gelar", Dialect::Nyo).0,
            "gelar no",
            "Nyo writes it apart"
        );
        let affixes = vec![Affix::PeN];
        let dropped = generate(
            &Analysis {
                prefixes: affixes,
                ..Analysis::root("x")
            },
            "x",
            Dialect::Nyo,
        );
        assert_eq!(dropped, ("x".to_string(), vec![Affix::PeN]));
    }
}
