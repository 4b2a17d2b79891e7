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
/// The share of a sentence's score that proximity decides: question words written next to each
/// other (`gaya pegas`, `ibu kota`) should stand close in the answer too (the sequential
/// dependence model of Metzler & Croft 2005 gives its ordered and unordered windows 0.15).
pub const PROXIMITY: f32 = 0.15;
/// How many content words apart two words may stand and still count as close.
const WINDOW: u16 = 3;

/// Where a query term occurs in one sentence.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hit {
    /// Best match weight.
    pub best: f32,
    /// Summed match weight (term frequency), at most one per content word.
    pub sum: f32,
    /// Content-word positions matched.
    pub positions: Vec<u16>,
}

/// A content word of the question, with where the library matches it.
pub(crate) struct QueryTerm {
    pub keys: Vec<(String, bool)>,
    /// Whether the question writes it as a name (a capital inside the sentence) or a number:
    /// such a word must appear as written in the passage an answer comes from.
    pub exact: bool,
    pub idf: f32,
    /// Where it is in the question (which words are neighbours there).
    pub position: usize,
    /// Sentence → where the term occurs in it.
    pub hits: HashMap<u32, Hit>,
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
            position: i,
            idf,
            hits,
        });
    }
    found
}

/// Where the keys occur, by sentence.
fn hits(library: &Library, keys: &[(String, bool)]) -> HashMap<u32, Hit> {
    let mut hits: HashMap<u32, Hit> = HashMap::new();
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
            let hit = hits.entry(posting.sentence).or_default();
            hit.best = hit.best.max(weight);
            // One word may reach the question through several of its keys: it counts once.
            if !hit.positions.contains(&posting.position) {
                hit.positions.push(posting.position);
                hit.sum += weight;
            }
        }
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
        for (&s, hit) in &term.hits {
            *tf.entry(library.sentences[s as usize].passage as usize)
                .or_default() += hit.sum;
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
        .any(|s| term.hits.get(&(s as u32)).is_some_and(|h| h.best >= 1.0));
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
                let own = term.hits.get(&(s as u32)).map_or(0.0, |h| h.best);
                let elsewhere = sentences
                    .clone()
                    .filter(|&o| o != s)
                    .filter_map(|o| term.hits.get(&(o as u32)).map(|h| h.best))
                    .fold(title_match(library, p, term), f32::max);
                let in_source = term
                    .hits
                    .iter()
                    .filter(|(o, _)| {
                        let other = library.sentences[**o as usize].passage as usize;
                        other != p && library.passages[other].source == source
                    })
                    .map(|(_, h)| h.best)
                    .fold(0.0, f32::max);
                covered += term.idf * own.max(CONTEXT * elsewhere).max(SOURCE_CONTEXT * in_source);
            }
            let coverage = covered / total;
            let coverage = match proximity(query, s as u32) {
                Some(close) => (1.0 - PROXIMITY) * coverage + PROXIMITY * close,
                None => coverage,
            };
            found.push(Candidate {
                sentence: s,
                coverage,
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

/// The IDF-weighted share of the question's neighbouring word pairs (at most one stopword
/// apart in the question) that stand within [`WINDOW`] content words of each other in sentence
/// `s`; `None` when the question has no such pair.
fn proximity(query: &[QueryTerm], s: u32) -> Option<f32> {
    let (mut close, mut total) = (0.0, 0.0);
    for pair in query.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.position - a.position > 2 {
            continue;
        }
        let weight = a.idf + b.idf;
        total += weight;
        let (Some(ha), Some(hb)) = (a.hits.get(&s), b.hits.get(&s)) else {
            continue;
        };
        let near = ha
            .positions
            .iter()
            .any(|&pa| hb.positions.iter().any(|&pb| pa.abs_diff(pb) <= WINDOW));
        if near {
            close += weight;
        }
    }
    (total > 0.0).then(|| close / total)
}
