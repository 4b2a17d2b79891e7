//! Retrieval: a question's content words looked up in the index, passages ranked by BM25, and
//! the sentences of the best passages scored by how much of the question they cover.
//!
//! BM25 (Robertson & Zaragoza 2009; k1 = 1.2, b = 0.75) ranks paragraphs, with a source's title
//! counted in each of its paragraphs. Within the best paragraphs, a sentence's *coverage* is the
//! share of the question's IDF weight that it matches: a question word found in the sentence
//! counts its match weight (1 for the same form, [`ROOT_MATCH`] through a root), one found only
//! elsewhere in the paragraph or in the title counts [`CONTEXT`] of that. Coverage is in [0, 1]
//! and is what the abstention threshold compares: a question whose words the source lacks
//! cannot be covered, however the passages rank.
//!
//! [`ROOT_MATCH`]: super::terms::ROOT_MATCH

use std::collections::HashMap;

use super::library::Library;
use super::terms::{self, Word};

/// BM25's term-frequency saturation.
const K1: f32 = 1.2;
/// BM25's length normalisation.
const B: f32 = 0.75;
/// What a question word matched only in the sentence's paragraph or title counts, against its
/// match in the sentence itself.
pub const CONTEXT: f32 = 0.5;
/// What a question word matched only in another paragraph of the same source counts.
pub const SOURCE_CONTEXT: f32 = 0.25;
/// Paragraphs whose sentences are scored.
const TOP_PASSAGES: usize = 8;

/// A content word of the question, with where the library matches it.
pub(crate) struct QueryTerm {
    pub keys: Vec<(String, bool)>,
    /// Whether the question writes it as a name (a capital inside the sentence) or a number:
    /// such a word must appear as written in the passage an answer comes from.
    pub exact: bool,
    pub idf: f32,
    /// Sentence → (best match weight, summed match weight) of this term in it.
    pub hits: HashMap<u32, (f32, f32)>,
}

/// A sentence scored for a question.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub sentence: usize,
    /// Share of the question's IDF weight covered (see the module's doc).
    pub coverage: f32,
    /// Its paragraph's BM25 score.
    pub bm25: f32,
}

/// The question's content words, looked up.
pub(crate) fn query(library: &Library, question: &[Word]) -> Vec<QueryTerm> {
    let n = library.passage_count() as f32;
    let mut seen: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for (i, word) in question.iter().enumerate() {
        if terms::is_stopword(&word.form) || seen.contains(&word.form.as_str()) {
            continue;
        }
        seen.push(&word.form);
        let keys = terms::keys(&word.form);
        let hits = hits(library, &keys);
        let mut passages: Vec<u32> = hits
            .keys()
            .map(|&s| library.sentences[s as usize].passage)
            .collect();
        passages.sort_unstable();
        passages.dedup();
        let df = passages.len() as f32;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let exact = word.numeric || (word.capitalized && i > 0);
        found.push(QueryTerm {
            keys,
            exact,
            idf,
            hits,
        });
    }
    found
}

/// Where the keys occur: sentence → (best, summed) match weight.
fn hits(library: &Library, keys: &[(String, bool)]) -> HashMap<u32, (f32, f32)> {
    let mut hits: HashMap<u32, (f32, f32)> = HashMap::new();
    for (key, same) in keys {
        let Some(list) = library.postings.get(key) else {
            continue;
        };
        for posting in list {
            let weight = if *same && posting.same_form {
                1.0
            } else {
                terms::ROOT_MATCH
            };
            let entry = hits.entry(posting.sentence).or_insert((0.0, 0.0));
            entry.0 = entry.0.max(weight);
            entry.1 += weight;
        }
    }
    // One word may reach the question through several of its keys: a sentence's sum counts at
    // most one match per content word.
    for (sentence, entry) in hits.iter_mut() {
        let words = library.sentences[*sentence as usize].words.len() as f32;
        entry.1 = entry.1.min(words);
    }
    hits
}

/// BM25 of every paragraph that matches a term, best first.
pub(crate) fn rank_passages(library: &Library, query: &[QueryTerm]) -> Vec<(usize, f32)> {
    let n = library.passage_count().max(1) as f32;
    let average = library.passage_len.iter().map(|&l| l as f32).sum::<f32>() / n;
    let mut scores: HashMap<usize, f32> = HashMap::new();
    for term in query {
        let mut tf: HashMap<usize, f32> = HashMap::new();
        for (&s, &(_, sum)) in &term.hits {
            *tf.entry(library.sentences[s as usize].passage as usize)
                .or_default() += sum;
        }
        for (p, tf) in tf {
            let title = title_match(library, p, term);
            let tf = tf + title;
            let length = library.passage_len[p] as f32 / average.max(1.0);
            let saturated = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length));
            *scores.entry(p).or_default() += term.idf * saturated;
        }
    }
    let mut ranked: Vec<(usize, f32)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

/// How well a term matches the title of paragraph `p`'s source.
fn title_match(library: &Library, p: usize, term: &QueryTerm) -> f32 {
    library.titles[library.passages[p].source]
        .iter()
        .map(|keys| terms::match_weight(&term.keys, keys))
        .fold(0.0, f32::max)
}

/// Whether paragraph `p` (or its title) holds `term` as the question writes it.
pub(crate) fn passage_holds(library: &Library, p: usize, term: &QueryTerm) -> bool {
    let own = library
        .sentences_of(p)
        .any(|s| term.hits.get(&(s as u32)).is_some_and(|h| h.0 >= 1.0));
    own || title_match(library, p, term) >= 1.0
}

/// The sentences of the best paragraphs, scored by coverage, best first.
pub(crate) fn candidates(library: &Library, query: &[QueryTerm]) -> Vec<Candidate> {
    let total: f32 = query.iter().map(|t| t.idf).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (p, bm25) in rank_passages(library, query).into_iter().take(TOP_PASSAGES) {
        let sentences = library.sentences_of(p);
        let source = library.passages[p].source;
        for s in sentences.clone() {
            let mut covered = 0.0;
            for term in query {
                let own = term.hits.get(&(s as u32)).map_or(0.0, |h| h.0);
                let elsewhere = sentences
                    .clone()
                    .filter(|&o| o != s)
                    .filter_map(|o| term.hits.get(&(o as u32)).map(|h| h.0))
                    .fold(title_match(library, p, term), f32::max);
                let in_source = term
                    .hits
                    .iter()
                    .filter(|(o, _)| {
                        let other = library.sentences[**o as usize].passage as usize;
                        other != p && library.passages[other].source == source
                    })
                    .map(|(_, h)| h.0)
                    .fold(0.0, f32::max);
                covered += term.idf * own.max(CONTEXT * elsewhere).max(SOURCE_CONTEXT * in_source);
            }
            found.push(Candidate {
                sentence: s,
                coverage: covered / total,
                bm25,
            });
        }
    }
    found.sort_by(|a, b| {
        b.coverage
            .total_cmp(&a.coverage)
            .then(b.bm25.total_cmp(&a.bm25))
            .then(a.sentence.cmp(&b.sentence))
    });
    found
}
