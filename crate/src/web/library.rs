//! Grounded answers as JavaScript sees them: a [`Library`] built from the page's sources (a
//! lesson, a chapter, notes) that answers questions with cited sentences or abstains. Like the
//! translator it needs no model, and nothing leaves the page: the index lives in this object.
//!
//! Spans cross the boundary as UTF-16 offsets (what JavaScript strings index by) into the
//! source's text, so the page can highlight a cited sentence in its passage exactly.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::js_error;
use crate::ground::{self, AskOptions, Citation, Source};

/// The sources, cut into passages and indexed.
#[wasm_bindgen]
pub struct Library {
    inner: ground::Library,
}

/// One source as JavaScript passes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceIn {
    name: String,
    #[serde(default)]
    title: Option<String>,
    text: String,
}

/// Options of `ask`, all optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AskOptionsIn {
    threshold: Option<f32>,
    max_sentences: Option<usize>,
    closest: Option<usize>,
}

/// A citation with UTF-16 spans and its passage's text.
#[derive(Serialize)]
struct CitationOut {
    source: String,
    passage: String,
    sentence: String,
    /// UTF-16 range of the sentence in the source's text.
    span: [usize; 2],
    /// UTF-16 range of the paragraph in the source's text.
    passage_span: [usize; 2],
    text: String,
    passage_text: String,
}

/// An answer as `ask` returns it.
#[derive(Serialize)]
struct AnswerOut {
    text: String,
    citations: Vec<CitationOut>,
    abstained: bool,
    supported: bool,
    closest: Vec<CitationOut>,
    score: f32,
}

/// `info()`: what was indexed.
#[derive(Serialize)]
struct LibraryInfo {
    sources: usize,
    passages: usize,
    sentences: usize,
}

/// The UTF-16 offset of byte `at` of `text`.
fn utf16_at(text: &str, at: usize) -> usize {
    text[..at].encode_utf16().count()
}

#[wasm_bindgen]
impl Library {
    /// Indexes `sources`, an array of `{name, title?, text}` (names unique; plain text or
    /// markdown).
    #[wasm_bindgen(constructor)]
    pub fn new(sources: JsValue) -> Result<Library, JsError> {
        console_error_panic_hook::set_once();
        let sources: Vec<SourceIn> = serde_wasm_bindgen::from_value(sources).map_err(|e| {
            JsError::new(&format!(
                "sources must be an array of {{name, title?, text}}: {e}"
            ))
        })?;
        let sources = sources
            .into_iter()
            .map(|s| Source {
                name: s.name,
                title: s.title,
                text: s.text,
            })
            .collect();
        let inner = ground::Library::new(sources).map_err(js_error)?;
        Ok(Library { inner })
    }

    /// `{sources, passages, sentences}`: counts of what was indexed.
    pub fn info(&self) -> Result<JsValue, JsError> {
        let info = LibraryInfo {
            sources: self.inner.sources().len(),
            passages: self.inner.passage_count(),
            sentences: self.inner.sentence_count(),
        };
        serde_wasm_bindgen::to_value(&info).map_err(js_error)
    }

    /// Answers `question` from the sources: `{text, citations, abstained, supported, closest,
    /// score}`, each citation `{source, passage, sentence, span, passage_span, text,
    /// passage_text}`. `options`: `{threshold?, max_sentences?, closest?}` or undefined.
    pub fn ask(&self, question: String, options: JsValue) -> Result<JsValue, JsError> {
        let given: AskOptionsIn = if options.is_undefined() || options.is_null() {
            AskOptionsIn::default()
        } else {
            serde_wasm_bindgen::from_value(options).map_err(|e| {
                JsError::new(&format!(
                    "ask options must be {{threshold?, max_sentences?, closest?}}: {e}"
                ))
            })?
        };
        let defaults = AskOptions::default();
        let options = AskOptions {
            threshold: given.threshold.unwrap_or(defaults.threshold),
            max_sentences: given.max_sentences.unwrap_or(defaults.max_sentences),
            closest: given.closest.unwrap_or(defaults.closest),
        };
        if !options.threshold.is_finite() || options.max_sentences == 0 {
            return Err(JsError::new(
                "ask: threshold must be a finite number and max_sentences at least 1",
            ));
        }
        let answer = ground::ask(&self.inner, &question, &options);
        let out = AnswerOut {
            citations: answer.citations.iter().map(|c| self.citation(c)).collect(),
            closest: answer.closest.iter().map(|c| self.citation(c)).collect(),
            text: answer.text,
            abstained: answer.abstained,
            supported: answer.supported,
            score: answer.score,
        };
        serde_wasm_bindgen::to_value(&out).map_err(js_error)
    }
}

impl Library {
    fn citation(&self, c: &Citation) -> CitationOut {
        let text = self
            .inner
            .sources()
            .iter()
            .find(|s| s.name == c.source)
            .map_or("", |s| s.text.as_str());
        CitationOut {
            source: c.source.clone(),
            passage: c.passage.clone(),
            sentence: c.sentence.clone(),
            span: [utf16_at(text, c.span.start), utf16_at(text, c.span.end)],
            passage_span: [
                utf16_at(text, c.passage_span.start),
                utf16_at(text, c.passage_span.end),
            ],
            text: c.text.clone(),
            passage_text: text[c.passage_span.clone()].to_string(),
        }
    }
}
