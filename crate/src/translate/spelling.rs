//! Lampung spelling variation.
//!
//! Lampung has no single written standard, so one word reaches the page in several spellings.
//! Two kinds of variation are common enough to look through:
//!
//! - doubled consonants: `keddo` / `kedo`, `tijjang` / `tijang`, `lappung` / `lapung`;
//! - the Nyo word-final vowels written two ways: `kedo` / `kedou`, `lagei` / `lagey` / `lagi`,
//!   `perleu` / `perlu`, and final `-ay` for `-ai` (`pay` / `pai`).
//!
//! [`skeleton`] removes both, and the lexicon indexes Lampung forms by it
//! ([`super::lexicon::Lexicon::lookup_spelling`]), so a variant only ever leads to an entry
//! that is already in a lexicon; the token cites that entry and names the variant.
//!
//! [`dialect_affinity`] reads the same final vowels as a hint of dialect: Nyo writes `-o`
//! (`ijo`, `acaro`) where Api writes `-a` (`ija`, `acara`). It is used only to order lexicon
//! candidates that the lexicon itself leaves untagged.

use super::lang::Dialect;

/// A Lampung form with doubled consonants single and final `-ou`, `-ei`/`-ey`, `-eu`, `-ay`
/// written `-o`, `-i`, `-u`, `-ai`, word by word: spellings of one word share a skeleton.
pub fn skeleton(form: &str) -> String {
    let words: Vec<String> = form.split(' ').map(|w| final_vowel(&undouble(w))).collect();
    words.join(" ")
}

/// How strongly a word's spelling suggests `dialect`: +1 for, -1 against, 0 no hint.
pub fn dialect_affinity(word: &str, dialect: Dialect) -> i32 {
    let nyo = if ["o", "ou", "ei", "eu"].iter().any(|e| word.ends_with(e)) {
        1
    } else if word.ends_with('a') {
        -1
    } else {
        0
    };
    match dialect {
        Dialect::Nyo => nyo,
        Dialect::Api => -nyo,
        Dialect::Unknown => 0,
    }
}

/// Collapses doubled consonants (`ll` → `l`); doubled vowels are kept.
fn undouble(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut previous = None;
    for c in word.chars() {
        if previous == Some(c) && is_consonant(c) {
            continue;
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// The plain spelling of a final vowel: `-ou` → `-o`, `-ei`/`-ey` → `-i`, `-eu` → `-u`,
/// `-ay` → `-ai`.
fn final_vowel(word: &str) -> String {
    let spellings = [
        ("ou", "o"),
        ("ei", "i"),
        ("ey", "i"),
        ("eu", "u"),
        ("ay", "ai"),
    ];
    for (written, plain) in spellings {
        if let Some(stem) = word.strip_suffix(written) {
            return format!("{stem}{plain}");
        }
    }
    word.to_string()
}

fn is_consonant(c: char) -> bool {
    c.is_ascii_alphabetic() && !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_word_share_a_skeleton() {
        for group in [
            &["keddo", "kedo", "kedou", "keddou"][..],
            &["lagei", "lagey", "lagi"],
            &["pay", "pai"],
            &["wakteu", "waktu"],
            &["tijjang", "tijang"],
        ] {
            for form in group {
                assert_eq!(skeleton(form), skeleton(group[0]), "{form}");
            }
        }
        assert_eq!(skeleton("saat"), "saat", "doubled vowels stay");
        assert_eq!(skeleton("mak biasso"), "mak biaso");
        assert_ne!(skeleton("kedo"), skeleton("keda"));
    }

    #[test]
    fn affinity_reads_final_vowels() {
        assert_eq!(dialect_affinity("ijo", Dialect::Nyo), 1);
        assert_eq!(dialect_affinity("ija", Dialect::Nyo), -1);
        assert_eq!(dialect_affinity("ija", Dialect::Api), 1);
        assert_eq!(dialect_affinity("kabar", Dialect::Api), 0);
        assert_eq!(dialect_affinity("ijo", Dialect::Unknown), 0);
    }
}
