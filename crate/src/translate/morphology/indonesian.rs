//! Indonesian affixes: analysis of written forms and spelling of rebuilt ones.
//!
//! Prefixes `di-`, `meN-` (`me-`, `mem-`, `men-`, `meng-`, `meny-`, `menge-`), `ber-`, `ter-`,
//! `peN-`, `per-`, `ke-` and the proclitics `ku-`, `kau-`; a second `per-` or `ke-` may follow
//! the first (`diperbaiki`, `diketahui`). Suffixes, outermost first: particles `-lah`, `-kah`,
//! `-pun`; possessives `-ku`, `-mu`, `-nya`; derivational `-kan`, `-i`, `-an`. The nasal of
//! `meN-`/`peN-` takes the place of the root's first consonant by the standard rules
//! (`tulis` → `menulis`, `pukul` → `memukul`, `sapu` → `menyapu`, `kirim` → `mengirim`).

use super::{Affix, Analysis, Person, build};

const PARTICLES: [(&str, Affix); 3] = [
    ("lah", Affix::Lah),
    ("kah", Affix::Kah),
    ("pun", Affix::Pun),
];
const POSSESSIVES: [(&str, Affix); 3] = [
    ("ku", Affix::Possessive(Person::First)),
    ("mu", Affix::Possessive(Person::Second)),
    ("nya", Affix::Possessive(Person::Third)),
];
const DERIVATIONAL: [(&str, Affix); 3] = [("kan", Affix::Kan), ("i", Affix::I), ("an", Affix::An)];

/// Candidate analyses of one Indonesian word (no hyphen), in no particular order.
pub fn analyses(word: &str) -> Vec<Analysis> {
    let mut found = Vec::new();
    for (stem, suffixes) in strip_suffixes(word) {
        for (root, prefixes) in strip_prefixes(&stem) {
            if plausible_root(&root) {
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

/// Every way to strip particle, possessive and derivational suffixes (each optional, in that
/// order from the end), with the suffixes innermost first.
fn strip_suffixes(word: &str) -> Vec<(String, Vec<Affix>)> {
    let mut found = vec![(word.to_string(), Vec::new())];
    for layer in [PARTICLES, POSSESSIVES, DERIVATIONAL] {
        let mut next = found.clone();
        for (stem, suffixes) in &found {
            for (spelling, affix) in layer {
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

/// Every way to strip up to two prefixes, outermost first.
fn strip_prefixes(stem: &str) -> Vec<(String, Vec<Affix>)> {
    let mut found = vec![(stem.to_string(), Vec::new())];
    for (rest, outer) in prefix_layer(stem, true) {
        found.push((rest.clone(), vec![outer]));
        if matches!(
            outer,
            Affix::Di | Affix::Active | Affix::Ter | Affix::Ber | Affix::PeN
        ) {
            for (root, inner) in prefix_layer(&rest, false) {
                if matches!(inner, Affix::Per | Affix::Ke) {
                    found.push((root, vec![outer, inner]));
                }
            }
        }
    }
    found
}

/// The stems left by stripping one prefix; `outer` allows the proclitics.
fn prefix_layer(word: &str, outer: bool) -> Vec<(String, Affix)> {
    let mut found: Vec<(String, Affix)> = Vec::new();
    let mut add = |stems: Vec<String>, affix: Affix| {
        found.extend(stems.into_iter().map(|s| (s, affix)));
    };
    add(nasal_roots(word, "me"), Affix::Active);
    add(nasal_roots(word, "pe"), Affix::PeN);
    let plain = |prefix: &str| word.strip_prefix(prefix).map(str::to_string);
    add(plain("di").into_iter().collect(), Affix::Di);
    add(plain("ke").into_iter().collect(), Affix::Ke);
    add(plain("per").into_iter().collect(), Affix::Per);
    add(plain("ter").into_iter().collect(), Affix::Ter);
    add(plain("ber").into_iter().collect(), Affix::Ber);
    let r_initial = |prefix: &str| plain(prefix).filter(|s| s.starts_with('r'));
    add(r_initial("te").into_iter().collect(), Affix::Ter);
    add(r_initial("be").into_iter().collect(), Affix::Ber);
    add(
        plain("bel").filter(|s| s == "ajar").into_iter().collect(),
        Affix::Ber,
    );
    add(
        plain("be")
            .filter(|s| s.starts_with("ker"))
            .into_iter()
            .collect(),
        Affix::Ber,
    );
    if outer {
        add(
            plain("ku").into_iter().collect(),
            Affix::Proclitic(Person::First),
        );
        add(
            plain("kau").into_iter().collect(),
            Affix::Proclitic(Person::Second),
        );
    }
    found
}

/// Roots that `meN-` (prefix `me`) or `peN-` (prefix `pe`) may have been attached to.
fn nasal_roots(word: &str, prefix: &str) -> Vec<String> {
    let Some(rest) = word.strip_prefix(prefix) else {
        return Vec::new();
    };
    let starts_vowel = |s: &str| s.starts_with(is_vowel);
    let mut roots = Vec::new();
    if let Some(r) = rest.strip_prefix("nge") {
        roots.push(r.to_string());
    }
    if let Some(r) = rest.strip_prefix("ng") {
        if starts_vowel(r) {
            roots.extend([r.to_string(), format!("k{r}")]);
        } else if r.starts_with(['g', 'h', 'k']) {
            roots.push(r.to_string());
        }
    }
    if let Some(r) = rest.strip_prefix("ny").filter(|r| starts_vowel(r)) {
        roots.push(format!("s{r}"));
    }
    if let Some(r) = rest.strip_prefix('m') {
        if starts_vowel(r) {
            roots.push(format!("p{r}"));
        } else if r.starts_with(['b', 'f', 'v', 'p']) {
            roots.push(r.to_string());
        }
    }
    if let Some(r) = rest.strip_prefix('n') {
        if starts_vowel(r) {
            roots.push(format!("t{r}"));
        } else if r.starts_with(['d', 'c', 'j', 'z', 's', 't']) {
            roots.push(r.to_string());
        }
    }
    if rest.starts_with(['l', 'm', 'n', 'r', 'w', 'y']) {
        roots.push(rest.to_string());
    }
    roots
}

fn plausible_root(root: &str) -> bool {
    root.chars().count() >= 3 && root.chars().any(is_vowel)
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

/// Spells `analysis` around the Indonesian `root`; returns the form and the affixes left out.
pub fn generate(analysis: &Analysis, root: &str) -> (String, Vec<Affix>) {
    build(analysis, root, prefix, suffix_text)
}

fn prefix(affix: Affix, word: &str) -> Option<String> {
    Some(match affix {
        Affix::Di => format!("di{word}"),
        Affix::Active => nasalise("me", word),
        Affix::PeN => nasalise("pe", word),
        Affix::Ber if word == "ajar" => "belajar".to_string(),
        Affix::Ber if word.starts_with('r') => format!("be{word}"),
        Affix::Ber => format!("ber{word}"),
        Affix::Ter if word.starts_with('r') => format!("te{word}"),
        Affix::Ter => format!("ter{word}"),
        Affix::Per => format!("per{word}"),
        Affix::Ke => format!("ke{word}"),
        Affix::Proclitic(Person::First) => format!("ku{word}"),
        Affix::Proclitic(Person::Second) => format!("kau{word}"),
        _ => return None,
    })
}

/// The spelling of a suffix or clitic, if it is one.
pub fn suffix_text(affix: Affix) -> Option<&'static str> {
    Some(match affix {
        Affix::Kan => "kan",
        Affix::I => "i",
        Affix::An => "an",
        Affix::Possessive(Person::First) => "ku",
        Affix::Possessive(Person::Second) => "mu",
        Affix::Possessive(Person::Third) => "nya",
        Affix::Kah => "kah",
        Affix::Lah => "lah",
        Affix::Pun => "pun",
        _ => return None,
    })
}

/// `meN-`/`peN-` + root: the nasal agrees with, and may replace, the root's first consonant.
fn nasalise(prefix: &str, word: &str) -> String {
    let mut chars = word.chars();
    let (Some(first), second) = (chars.next(), chars.next()) else {
        return prefix.to_string();
    };
    let tail = &word[first.len_utf8()..];
    let replaced = second.is_some_and(is_vowel);
    if word.chars().filter(|&c| is_vowel(c)).count() == 1 {
        return format!("{prefix}nge{word}");
    }
    match first {
        c if is_vowel(c) => format!("{prefix}ng{word}"),
        'k' if replaced => format!("{prefix}ng{tail}"),
        'g' | 'h' | 'k' => format!("{prefix}ng{word}"),
        'p' if replaced => format!("{prefix}m{tail}"),
        'b' | 'f' | 'v' | 'p' => format!("{prefix}m{word}"),
        't' if replaced => format!("{prefix}n{tail}"),
        's' if replaced => format!("{prefix}ny{tail}"),
        'd' | 'c' | 'j' | 'z' | 't' | 's' => format!("{prefix}n{word}"),
        _ => format!("{prefix}{word}"),
    }
}

/// The name of an affix in a rule.
pub fn name(affix: Affix) -> String {
    match affix {
        Affix::Di => "di-".into(),
        Affix::Active => "meN-".into(),
        Affix::Ber => "ber-".into(),
        Affix::Ter => "ter-".into(),
        Affix::PeN => "peN-".into(),
        Affix::Per => "per-".into(),
        Affix::Ke => "ke-".into(),
        Affix::Proclitic(Person::First) => "ku-".into(),
        Affix::Proclitic(_) => "kau-".into(),
        other => format!("-{}", suffix_text(other).unwrap_or("?")),
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
        assert!(has("menulis", "tulis", &[Active], &[]));
        assert!(has("memukul", "pukul", &[Active], &[]));
        assert!(has("menyapu", "sapu", &[Active], &[]));
        assert!(has("mengirim", "kirim", &[Active], &[]));
        assert!(has("mengambil", "ambil", &[Active], &[]));
        assert!(has("membaca", "baca", &[Active], &[]));
        assert!(has("bertanya", "tanya", &[Ber], &[]));
        assert!(has("belajar", "ajar", &[Ber], &[]));
        assert!(has("diperbaiki", "baik", &[Di, Per], &[I]));
        assert!(has(
            "makanannya",
            "makan",
            &[],
            &[An, Possessive(Person::Third)]
        ));
        assert!(has("bukukah", "buku", &[], &[Kah]));
        assert!(has("kubaca", "baca", &[Proclitic(Person::First)], &[]));
        assert!(!has("di", "", &[Di], &[]), "roots need three letters");
    }

    #[test]
    fn regenerates_what_it_analyses() {
        for word in [
            "menulis",
            "memukul",
            "menyapu",
            "mengirim",
            "mengambil",
            "membaca",
            "belajar",
            "bertanya",
            "diperbaiki",
            "makanannya",
            "mengecat",
            "rumahku",
            "terbawa",
        ] {
            let regenerated = analyses(word)
                .iter()
                .any(|a| generate(a, &a.root) == (word.to_string(), vec![]));
            assert!(regenerated, "{word}");
        }
    }

    #[test]
    fn generates_reduplication_with_prefix_on_first_copy() {
        let analysis = Analysis {
            prefixes: vec![Affix::Active],
            reduplicated: true,
            ..Analysis::root("lihat")
        };
        assert_eq!(generate(&analysis, "lihat").0, "melihat-lihat");
    }
}
