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
//! (`ijo`, `acaro`) where Api writes `-a` (`ija`, `acara`). [`DialectGrams`] learns the same
//! kind of hint from the whole spelling of the forms a lexicon does tag (`mawek`, `jimo` look
//! Nyo; `jelma`, `hina` look Api). Both are used only to order lexicon candidates that the
//! lexicon itself leaves untagged.

use std::collections::HashMap;

use super::lang::Dialect;

/// Character trigram counts of the Lampung words a lexicon tags as Nyo and as Api.
/// Also counts how each dialect's tagged words write their final vowel (Nyo: `-o` 269 times,
/// `-ou` 7 in meizano; `-ei` 124, `-i` 41).
#[derive(Clone, Debug, Default)]
pub struct DialectGrams {
    counts: [HashMap<[char; 3], u32>; 2],
    totals: [u32; 2],
    finals: [HashMap<&'static str, u32>; 2],
}

/// The ways one final vowel is written, the plain spelling first: [`skeleton`] writes the
/// others plain, [`DialectGrams::final_fit`] counts them.
const FINAL_SPELLINGS: [&[&str]; 4] = [
    &["ai", "ay"],
    &["i", "ei", "ey"],
    &["o", "ou"],
    &["u", "eu"],
];

impl DialectGrams {
    /// Counts the trigrams of each word of `form` (a normalised Lampung form) for `dialect`;
    /// [`Dialect::Unknown`] is ignored.
    pub fn add(&mut self, form: &str, dialect: Dialect) {
        let Some(d) = Self::slot(dialect) else {
            return;
        };
        for word in form.split(' ') {
            for gram in trigrams(word) {
                *self.counts[d].entry(gram).or_default() += 1;
                self.totals[d] += 1;
            }
            if let Some((_, written)) = final_spelling(word) {
                *self.finals[d].entry(written).or_default() += 1;
            }
        }
    }

    /// How usual `dialect`'s tagged words find the way `form` writes its final vowel, among the
    /// ways of writing that vowel: the log of the smoothed share, at least -1 (a hint). 0 for a
    /// form ending otherwise, or when nothing is tagged with `dialect`.
    pub fn final_fit(&self, form: &str, dialect: Dialect) -> f64 {
        let Some(d) = Self::slot(dialect) else {
            return 0.0;
        };
        let word = form.rsplit(' ').next().unwrap_or(form);
        let Some((group, written)) = final_spelling(word) else {
            return 0.0;
        };
        if self.finals[d].is_empty() {
            return 0.0;
        }
        let count = |w: &str| f64::from(self.finals[d].get(w).copied().unwrap_or(0)) + 0.5;
        let all: f64 = group.iter().map(|w| count(w)).sum();
        (count(written) / all).ln().max(-1.0)
    }

    /// How much more `dialect`'s tagged words than the other dialect's look like `form`: the
    /// mean, over its trigrams, of the log ratio of their smoothed relative frequencies. 0 when
    /// either dialect has no tagged words, or for [`Dialect::Unknown`].
    pub fn lean(&self, form: &str, dialect: Dialect) -> f64 {
        let Some(d) = Self::slot(dialect) else {
            return 0.0;
        };
        if self.totals.contains(&0) {
            return 0.0;
        }
        let other = 1 - d;
        let frequency = |slot: usize, gram: &[char; 3]| {
            let count = self.counts[slot].get(gram).copied().unwrap_or(0);
            (f64::from(count) + 0.5) / f64::from(self.totals[slot])
        };
        let grams: Vec<[char; 3]> = form.split(' ').flat_map(trigrams).collect();
        if grams.is_empty() {
            return 0.0;
        }
        let sum: f64 = grams
            .iter()
            .map(|g| (frequency(d, g) / frequency(other, g)).ln())
            .sum();
        sum / grams.len() as f64
    }

    fn slot(dialect: Dialect) -> Option<usize> {
        match dialect {
            Dialect::Nyo => Some(0),
            Dialect::Api => Some(1),
            Dialect::Unknown => None,
        }
    }
}

/// The spellings of `word`'s final vowel and the one it uses (`lagei`: `i`, `ei`, `ey`; `ei`).
fn final_spelling(word: &str) -> Option<(&'static [&'static str], &'static str)> {
    // The longest spelling that ends the word: `lagei` ends in `ei`, not in `i`.
    FINAL_SPELLINGS
        .into_iter()
        .flat_map(|group| group.iter().map(move |&w| (group, w)))
        .filter(|(_, w)| word.ends_with(w) && word.len() > w.len())
        .max_by_key(|(_, w)| w.len())
}

/// The character trigrams of `word` padded with `^` and `$` (`ijo`: `^ij`, `ijo`, `jo$`).
fn trigrams(word: &str) -> Vec<[char; 3]> {
    let chars: Vec<char> = std::iter::once('^')
        .chain(word.chars())
        .chain(std::iter::once('$'))
        .collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

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
    for group in FINAL_SPELLINGS {
        for written in &group[1..] {
            if let Some(stem) = word.strip_suffix(written) {
                return format!("{stem}{}", group[0]);
            }
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
    fn grams_lean_towards_the_dialect_whose_tagged_words_look_alike() {
        let mut grams = DialectGrams::default();
        assert_eq!(grams.lean("ijo", Dialect::Nyo), 0.0, "nothing tagged yet");
        for nyo in ["ijo", "kedo", "jimo", "mawek"] {
            grams.add(nyo, Dialect::Nyo);
        }
        for api in ["ija", "keda", "jelma", "hina"] {
            grams.add(api, Dialect::Api);
        }
        grams.add("ignored", Dialect::Unknown);
        assert!(grams.lean("sijo", Dialect::Nyo) > 0.0);
        assert!(grams.lean("sija", Dialect::Nyo) < 0.0);
        let (nyo, api) = (
            grams.lean("sijo", Dialect::Nyo),
            grams.lean("sijo", Dialect::Api),
        );
        assert!((nyo + api).abs() < 1e-12, "the two leans are opposite");
        assert_eq!(grams.lean("ijo", Dialect::Unknown), 0.0);
        assert_eq!(grams.lean("", Dialect::Nyo), 0.0);
    }

    #[test]
    fn final_fit_prefers_how_the_dialect_writes_a_final_vowel() {
        let mut grams = DialectGrams::default();
        assert_eq!(
            grams.final_fit("ijo", Dialect::Nyo),
            0.0,
            "nothing tagged yet"
        );
        for nyo in ["ijo", "kedo", "pigho", "lagei", "mettei", "seunyenno"] {
            grams.add(nyo, Dialect::Nyo);
        }
        assert!(grams.final_fit("ijo", Dialect::Nyo) > grams.final_fit("ijou", Dialect::Nyo));
        assert!(grams.final_fit("lagei", Dialect::Nyo) > grams.final_fit("lagi", Dialect::Nyo));
        assert_eq!(
            grams.final_fit("pai", Dialect::Nyo),
            (0.5f64 / 1.0).ln(),
            "-ai is its own vowel"
        );
        assert_eq!(
            grams.final_fit("ijou", Dialect::Nyo),
            -1.0,
            "a hint, capped"
        );
        assert_eq!(grams.final_fit("kabar", Dialect::Nyo), 0.0);
        assert_eq!(
            grams.final_fit("ijo", Dialect::Api),
            0.0,
            "nothing tagged Api"
        );
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
