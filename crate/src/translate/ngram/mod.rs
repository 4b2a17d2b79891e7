//! A word trigram language model with interpolated Kneser-Ney smoothing, small enough to ship
//! beside the lexicon: it chooses among the senses and forms that lookup found, and its
//! vocabulary is the list of attested words that sound-correspondence rules must land on.
//!
//! ```text
//! P3(w | u v) = max(c(uvw) − D3, 0) / c(uv•) + D3 · N1+(uv•) / c(uv•) · P2(w | v)
//! P2(w | v)   = max(N1+(•vw) − D2, 0) / N1+(•v•) + D2 · N1+(v•) / N1+(•v•) · P1(w)
//! P1(w)       = (N1+(•w) + ½) / (N1+(••) + ½ · |V|)        |V|: the vocabulary but `<s>`
//! ```
//! (Chen & Goodman 1998, interpolated Kneser-Ney with one discount per order, `D = n1 / (n1 +
//! 2 n2)`.) Sentences are padded with two `<s>` and one `</s>`. Words outside the vocabulary
//! are one `<unk>`, whose probability is shared evenly among the word types it stands for. Trigrams seen fewer than `min_trigram` times are not stored; their
//! contexts keep their full totals, so pruning only lowers, never raises, a probability.
//!
//! [`train`] counts and estimates, [`file`] writes and reads the shipped binary form.

pub mod file;
pub mod train;

use std::collections::HashMap;

pub use file::NgramError;
pub use train::{TrainOptions, train};

/// The id of `<unk>`.
pub const UNK: u32 = 0;
/// The id of `<s>`.
pub const BOS: u32 = 1;
/// The id of `</s>`.
pub const EOS: u32 = 2;
/// The first id of a real word.
pub const FIRST_WORD: u32 = 3;

/// Per-word statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordStats {
    /// Times seen in the training text (for the word list).
    pub count: u32,
    /// N1+(•w): distinct words seen before it.
    pub left_types: u32,
    /// N1+(•v•): distinct (before, after) pairs around it, the bigram-level denominator.
    pub middle_types: u32,
    /// N1+(v•) counted over those pairs: distinct words seen after it in a trigram.
    pub right_types: u32,
}

/// Per-bigram statistics: as a continuation `(v, w)` and as a trigram context `(v, w)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BigramStats {
    /// N1+(•vw): distinct words seen before the pair.
    pub left_types: u32,
    /// c(vw•): trigrams with this context.
    pub context_count: u32,
    /// N1+(vw•): distinct words after this context.
    pub context_types: u32,
}

/// A trained trigram model over one language's words.
#[derive(Clone, Debug, PartialEq)]
pub struct NgramModel {
    /// The language code of its text (`id`).
    pub lang: String,
    /// Where its training text came from, for citations and the model card.
    pub sources: Vec<String>,
    /// Discounts D1..D3 (D1 unused: unigrams are add-half smoothed).
    pub discounts: [f64; 3],
    words: Vec<String>,
    ids: HashMap<String, u32>,
    unigrams: Vec<WordStats>,
    /// N1+(••): distinct bigram types.
    bigram_types: u64,
    /// Distinct word types of the training text left out of the vocabulary: `<unk>`'s
    /// probability is shared among them, so one unseen word is not as likely as all of them.
    unk_types: u64,
    bigrams: HashMap<u64, BigramStats>,
    trigrams: HashMap<u64, u32>,
}

fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

fn triple(a: u32, b: u32, c: u32) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// The most words a model can hold (ids are packed 21 bits to a word in trigram keys).
pub const MAX_VOCAB: usize = 1 << 21;

impl NgramModel {
    /// The id of `word` (already normalised), `UNK` if it is not in the vocabulary.
    pub fn id(&self, word: &str) -> u32 {
        self.ids.get(word).copied().unwrap_or(UNK)
    }

    /// Whether `word` was seen at least `min_count` times in the training text.
    pub fn attested(&self, word: &str, min_count: u32) -> bool {
        let id = self.id(word);
        id >= FIRST_WORD && self.unigrams[id as usize].count >= min_count
    }

    /// Vocabulary size, `<unk>`, `<s>` and `</s>` included.
    pub fn vocab_len(&self) -> usize {
        self.words.len()
    }

    /// Stored bigrams and trigrams.
    pub fn ngram_counts(&self) -> (usize, usize) {
        (self.bigrams.len(), self.trigrams.len())
    }

    /// log10 P(w | u v) for ids (`u`, `v` may be `BOS`); for `UNK`, the probability of one
    /// word outside the vocabulary (`<unk>`'s share divided among the words it stands for).
    pub fn log10_prob(&self, u: u32, v: u32, w: u32) -> f64 {
        let share = if w == UNK {
            (self.unk_types + 1) as f64
        } else {
            1.0
        };
        (self.prob3(u, v, w) / share).max(1e-12).log10()
    }

    /// log10 of the probability of `words` as a whole sentence (with `<s> <s>` and `</s>`).
    pub fn sentence_log10(&self, words: &[&str]) -> f64 {
        let mut ids: Vec<u32> = vec![BOS, BOS];
        ids.extend(words.iter().map(|w| self.id(w)));
        ids.push(EOS);
        ids.windows(3)
            .map(|t| self.log10_prob(t[0], t[1], t[2]))
            .sum()
    }

    fn prob1(&self, w: u32) -> f64 {
        let left = self.unigrams.get(w as usize).map_or(0, |s| s.left_types);
        let vocab = self.words.len() as f64;
        (f64::from(left) + 0.5) / (self.bigram_types as f64 + 0.5 * (vocab - 1.0))
    }

    fn prob2(&self, v: u32, w: u32) -> f64 {
        let lower = self.prob1(w);
        let Some(stats) = self.unigrams.get(v as usize) else {
            return lower;
        };
        if stats.middle_types == 0 {
            return lower;
        }
        let d = self.discounts[1];
        let seen = self.bigrams.get(&pair(v, w)).map_or(0, |b| b.left_types);
        let denominator = f64::from(stats.middle_types);
        (f64::from(seen) - d).max(0.0) / denominator
            + d * f64::from(stats.right_types) / denominator * lower
    }

    fn prob3(&self, u: u32, v: u32, w: u32) -> f64 {
        let lower = self.prob2(v, w);
        let Some(context) = self.bigrams.get(&pair(u, v)) else {
            return lower;
        };
        if context.context_count == 0 {
            return lower;
        }
        let d = self.discounts[2];
        let seen = self.trigrams.get(&triple(u, v, w)).copied().unwrap_or(0);
        let denominator = f64::from(context.context_count);
        (f64::from(seen) - d).max(0.0) / denominator
            + d * f64::from(context.context_types) / denominator * lower
    }
}
