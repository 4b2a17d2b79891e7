//! What [`ask`] returns: an [`Answer`] of quoted sentences with their [`Citation`]s, or an
//! abstention in plain words with the closest sentences, and the [`AskOptions`] it answers by.
//!
//! [`ask`]: super::ask()

use std::ops::Range;

use serde::Serialize;

use super::library::Library;

/// What an abstention says.
pub const ABSTAIN_TEXT: &str = "Aku tidak menemukan jawabannya di sumber ini.";
/// What a question with no content word to look up gets.
pub const EMPTY_QUESTION_TEXT: &str = "Pertanyaannya tidak berisi kata yang bisa dicari di sumber ini. Coba tulis pertanyaan yang lebih lengkap.";
/// The default threshold: calibrated on the development set in `tests/ask/` with `siger-train
/// eval-ask --cross-validate 5` (the threshold maximising the mean of accuracy, abstention
/// precision and recall over all its questions; README.md gives the figures).
pub const CALIBRATED_THRESHOLD: f32 = 0.41;

/// How [`ask`](super::ask()) answers.
#[derive(Clone, Debug, PartialEq)]
pub struct AskOptions {
    /// Score (coverage, adjusted by the question's type) below which the answer abstains.
    pub threshold: f32,
    /// Most sentences one answer quotes (1 or more).
    pub max_sentences: usize,
    /// Passages offered with an abstention.
    pub closest: usize,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            threshold: CALIBRATED_THRESHOLD,
            max_sentences: 2,
            closest: 3,
        }
    }
}

/// Where a quoted sentence is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// The source's name.
    pub source: String,
    /// The paragraph's id (`lesson#p2`).
    pub passage: String,
    /// The sentence's id (`lesson#p2.s3`).
    pub sentence: String,
    /// Byte range of the sentence in the source's text.
    pub span: Range<usize>,
    /// Byte range of its paragraph in the source's text.
    pub passage_span: Range<usize>,
    /// The sentence, exactly as the source writes it.
    pub text: String,
}

/// An answer: quoted sentences with their citations, or an abstention.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// What to show: the cited sentences, a verified phrasing of them, or the abstention.
    pub text: String,
    /// The sentences the text comes from (empty when abstaining).
    pub citations: Vec<Citation>,
    /// Whether the source was found not to answer the question.
    pub abstained: bool,
    /// Whether every content word of `text` was found in the citations (the verifier's word).
    pub supported: bool,
    /// With an abstention: the closest sentences, one per passage, offered to read.
    pub closest: Vec<Citation>,
    /// The best sentence's score, which the threshold was compared with.
    pub score: f32,
    /// Generated sentences the verifier refused (see [`Answer::with_phrasing`]).
    pub dropped: Vec<String>,
}

/// The citation of sentence `s`.
pub(crate) fn citation(library: &Library, s: usize) -> Citation {
    let sentence = &library.sentences[s];
    let passage = sentence.passage as usize;
    Citation {
        source: library.sources[library.passages[passage].source]
            .name
            .clone(),
        passage: library.passage_id(passage),
        sentence: library.sentence_id(s),
        span: sentence.span.clone(),
        passage_span: library.passages[passage].span.clone(),
        text: library.sentence_text(s).to_string(),
    }
}

pub(crate) fn abstention(text: &str, closest: Vec<Citation>, score: f32) -> Answer {
    Answer {
        text: text.to_string(),
        citations: Vec::new(),
        abstained: true,
        supported: false,
        closest,
        score,
        dropped: Vec::new(),
    }
}
