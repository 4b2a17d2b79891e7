//! Counting a text and estimating the [`NgramModel`] from the counts.

use std::collections::HashMap;

use super::super::normalize;
use super::{
    BOS, BigramStats, EOS, FIRST_WORD, MAX_VOCAB, NgramModel, UNK, WordStats, pair, triple,
};

/// What to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainOptions {
    /// A word enters the vocabulary when seen this many times (default 2).
    pub min_count: u32,
    /// At most this many words, the most frequent first (default 200,000).
    pub max_vocab: usize,
    /// Trigrams seen fewer times are not stored (default 2).
    pub min_trigram: u32,
    /// Bigrams seen fewer times are not stored unless a stored trigram starts with them
    /// (default 1: all stored; 2 kept 204,527 of 593,391 bigrams, a 2.4 MB file instead of
    /// 4.2 MB, and cost 1.0 BLEU on nyo-dev).
    pub min_bigram: u32,
}

impl TrainOptions {
    /// Every word and n-gram kept: for small texts (a user's parallel text, tests), where
    /// pruning would leave almost nothing.
    pub fn every_ngram() -> Self {
        TrainOptions {
            min_count: 1,
            min_trigram: 1,
            min_bigram: 1,
            ..TrainOptions::default()
        }
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            min_count: 2,
            max_vocab: 200_000,
            min_trigram: 2,
            min_bigram: 1,
        }
    }
}

/// The words of each sentence of `text`, normalised as the translator normalises its input.
pub fn sentences(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines().flat_map(|line| {
        let pieces = normalize::normalize(line);
        normalize::sentences(&pieces)
            .into_iter()
            .map(|range| {
                pieces[range]
                    .iter()
                    .filter(|p| p.is_word())
                    .map(|p| p.text.clone())
                    .collect::<Vec<_>>()
            })
            .filter(|words| !words.is_empty())
            .collect::<Vec<_>>()
    })
}

/// Trains a model of language `lang` on `texts` (each `(source name, text)`).
pub fn train(lang: &str, texts: &[(String, String)], options: &TrainOptions) -> NgramModel {
    let (words, unk_types) = vocabulary(texts, options);
    let ids: HashMap<String, u32> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.clone(), i as u32))
        .collect();
    let mut trigram_counts: HashMap<u64, u32> = HashMap::new();
    for (_, text) in texts {
        for sentence in sentences(text) {
            let mut seq = vec![BOS, BOS];
            seq.extend(sentence.iter().map(|w| ids.get(w).copied().unwrap_or(UNK)));
            seq.push(EOS);
            for t in seq.windows(3) {
                *trigram_counts.entry(triple(t[0], t[1], t[2])).or_default() += 1;
            }
        }
    }
    let mut unigrams = vec![WordStats::default(); words.len()];
    for (_, text) in texts {
        for sentence in sentences(text) {
            for w in sentence {
                let id = ids.get(&w).copied().unwrap_or(UNK);
                unigrams[id as usize].count = unigrams[id as usize].count.saturating_add(1);
            }
        }
    }
    let (bigrams, bigram_types) = bigram_stats(&trigram_counts, &mut unigrams);
    let discounts = [
        0.0,
        discount(bigrams.values().map(|b| b.left_types)),
        discount(trigram_counts.values().copied()),
    ];
    trigram_counts.retain(|_, c| *c >= options.min_trigram);
    let contexts: std::collections::HashSet<u64> =
        trigram_counts.keys().map(|&k| k >> 21).collect();
    let mut bigrams = bigrams;
    bigrams.retain(|&key, b| {
        let as_triple_prefix = ((key >> 32) << 21) | (key & 0xffff_ffff);
        b.context_count >= options.min_bigram || contexts.contains(&as_triple_prefix)
    });
    NgramModel {
        lang: lang.to_string(),
        sources: texts.iter().map(|(name, _)| name.clone()).collect(),
        discounts,
        ids,
        words,
        unigrams,
        bigram_types,
        unk_types,
        bigrams,
        trigrams: trigram_counts,
    }
}

/// `<unk> <s> </s>`, then the words seen `min_count` times, most frequent first (ties by
/// spelling, so training is deterministic); and how many word types were left out.
fn vocabulary(texts: &[(String, String)], options: &TrainOptions) -> (Vec<String>, u64) {
    let mut counts: HashMap<String, u32> = HashMap::new();
    for (_, text) in texts {
        for sentence in sentences(text) {
            for w in sentence {
                *counts.entry(w).or_default() += 1;
            }
        }
    }
    let types = counts.len();
    let mut kept: Vec<(String, u32)> = counts
        .into_iter()
        .filter(|(_, c)| *c >= options.min_count)
        .collect();
    kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    kept.truncate(options.max_vocab.min(MAX_VOCAB - FIRST_WORD as usize));
    let left_out = (types - kept.len()) as u64;
    let mut words: Vec<String> = ["<unk>", "<s>", "</s>"].map(String::from).to_vec();
    words.extend(kept.into_iter().map(|(w, _)| w));
    (words, left_out)
}

/// Bigram statistics and the unigram type counts, from the trigram counts.
fn bigram_stats(
    trigrams: &HashMap<u64, u32>,
    unigrams: &mut [WordStats],
) -> (HashMap<u64, BigramStats>, u64) {
    const MASK: u64 = (1 << 21) - 1;
    let mut bigrams: HashMap<u64, BigramStats> = HashMap::new();
    for (&key, &count) in trigrams {
        let (u, v, w) = (
            (key >> 42) as u32,
            ((key >> 21) & MASK) as u32,
            (key & MASK) as u32,
        );
        let context = bigrams.entry(pair(u, v)).or_default();
        context.context_count = context.context_count.saturating_add(count);
        context.context_types += 1;
        bigrams.entry(pair(v, w)).or_default().left_types += 1;
        unigrams[v as usize].middle_types += 1;
    }
    let mut bigram_types = 0u64;
    for (&key, stats) in &bigrams {
        if stats.left_types > 0 {
            let (v, w) = ((key >> 32) as usize, (key & 0xffff_ffff) as usize);
            unigrams[v].right_types += 1;
            unigrams[w].left_types += 1;
            bigram_types += 1;
        }
    }
    (bigrams, bigram_types)
}

/// D = n1 / (n1 + 2 n2) from the counts of an order (0.5 when there are none).
fn discount(counts: impl Iterator<Item = u32>) -> f64 {
    let (mut n1, mut n2) = (0u64, 0u64);
    for c in counts {
        match c {
            1 => n1 += 1,
            2 => n2 += 1,
            _ => {}
        }
    }
    if n1 + n2 == 0 {
        0.5
    } else {
        n1 as f64 / (n1 as f64 + 2.0 * n2 as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> NgramModel {
        train(
            "id",
            &[("t".into(), text.into())],
            &TrainOptions::every_ngram(),
        )
    }

    #[test]
    fn probabilities_over_the_vocabulary_sum_to_one() {
        let m = model("saya mau makan nasi\nsaya mau minum\nkamu mau makan\nnasi enak sekali\n");
        for (u, v) in [
            (BOS, BOS),
            (m.id("saya"), m.id("mau")),
            (m.id("nasi"), m.id("enak")),
        ] {
            let total: f64 = (0..m.vocab_len() as u32)
                .filter(|&w| w != BOS)
                .map(|w| m.prob3(u, v, w))
                .sum();
            // <unk> takes the add-half mass of unseen words; the rest is exactly distributed.
            assert!((total - 1.0).abs() < 1e-9, "context ({u}, {v}): {total}");
        }
    }

    #[test]
    fn seen_continuations_beat_unseen_ones() {
        let m = model("saya mau makan nasi\nsaya mau minum\nkamu mau makan\n");
        let (saya, mau) = (m.id("saya"), m.id("mau"));
        assert!(m.log10_prob(saya, mau, m.id("makan")) > m.log10_prob(saya, mau, m.id("nasi")));
        assert!(
            m.sentence_log10(&["saya", "mau", "makan"])
                > m.sentence_log10(&["makan", "mau", "saya"])
        );
        assert_eq!(m.id("tidak ada"), UNK);
        assert!(m.attested("mau", 3) && !m.attested("mau", 4) && !m.attested("<s>", 1));
    }
}
