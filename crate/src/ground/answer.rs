//! Answering from a [`Library`]: the sentence (or two) of the source that answers a question,
//! cited by id and exact span, or an abstention in plain words with the closest passages.
//!
//! The question's word (`kapan`, `berapa`, `siapa`, `di mana`, `mengapa`, `bagaimana`, `apa
//! itu`) says what an answer must hold ([`Expect`]). A sentence's score is its coverage
//! (retrieve.rs) plus [`TYPE_BONUS`] when it holds what is expected; for a time or a number,
//! which a sentence either states or does not, one that holds none scores only
//! [`UNTYPED_FACTOR`] of its coverage. The answer is the best sentence, with the one before it
//! when it opens by pointing back (`Proses ini …`), or the one after it when only that one holds
//! the expected time or number. Below [`AskOptions::threshold`] the answer abstains.

use std::ops::Range;

use serde::Serialize;

use super::library::Library;
use super::retrieve::{self, Candidate};
use super::terms::{self, Word};
use super::verify;

/// What an abstention says.
pub const ABSTAIN_TEXT: &str = "Aku tidak menemukan jawabannya di sumber ini.";
/// What a question with no content word to look up gets.
pub const EMPTY_QUESTION_TEXT: &str =
    "Pertanyaannya tidak berisi kata yang bisa dicari di sumber ini. Coba tulis pertanyaan yang lebih lengkap.";
/// Added to a sentence's score when it holds what the question asks for.
pub const TYPE_BONUS: f32 = 0.1;
/// What a sentence keeps of its coverage when the question asks for a time or a number and it
/// states none.
pub const UNTYPED_FACTOR: f32 = 0.6;

/// How [`ask`] answers.
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
            threshold: 0.6,
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

/// What a question asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `kapan`, `tahun berapa`: a date, a year, a time of day.
    Time,
    /// `berapa`: a quantity.
    Number,
    /// `siapa`: a person or a group, by name.
    Person,
    /// `di mana`, `ke mana`: a place.
    Place,
    /// `mengapa`, `kenapa`: a cause or purpose.
    Reason,
    /// `bagaimana`: a way or process.
    Manner,
    /// `apa itu`, `apa yang dimaksud`: a definition.
    Definition,
    /// Anything else.
    Any,
}

const MONTHS: &[&str] = &[
    "januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september",
    "oktober", "november", "desember",
];
const TIME_WORDS: &[&str] = &["abad", "masehi", "hijriah", "dekade", "windu"];
const NUMBER_WORDS: &[&str] = &[
    "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh",
    "sebelas", "seratus", "seribu", "sejuta", "belas", "puluh", "ratus", "ribu", "juta", "miliar",
    "triliun", "setengah", "separuh", "sepertiga", "seperempat", "pertama", "kedua", "ketiga",
    "keempat", "kelima", "beberapa", "banyak",
];
const REASON_CUES: &[&str] = &[
    "karena", "sebab", "disebabkan", "akibat", "agar", "supaya", "sehingga", "untuk", "oleh",
    "membuat", "menyebabkan",
];
const MANNER_CUES: &[&str] = &["dengan", "cara", "melalui", "menggunakan", "proses", "lalu"];
const DEFINITION_CUES: &[&str] = &[
    "adalah", "ialah", "merupakan", "yaitu", "yakni", "disebut", "dinamakan", "berarti",
];
/// Words that, among a sentence's first three, point back to the sentence before.
const ANAPHORS: &[&str] = &["ini", "itu", "tersebut", "ia", "mereka", "beliau", "dia"];

/// What the question's words ask for.
pub fn expect(question: &[Word]) -> Expect {
    let forms: Vec<&str> = question.iter().map(|w| w.form.as_str()).collect();
    let has = |w: &str| forms.contains(&w);
    let after = |a: &str, b: &[&str]| forms.windows(2).any(|p| p[0] == a && b.contains(&p[1]));
    if has("kapan") || has("kapankah") || has("bilamana") || after("tahun", &["berapa", "berapakah"])
        || after("tanggal", &["berapa", "berapakah"]) || after("abad", &["berapa", "keberapa"])
    {
        Expect::Time
    } else if has("berapa") || has("berapakah") || has("keberapa") {
        Expect::Number
    } else if has("siapa") || has("siapakah") {
        Expect::Person
    } else if has("dimana") || has("kemana") || has("darimana") || after("di", &["mana", "manakah"])
        || after("ke", &["mana", "manakah"]) || after("dari", &["mana", "manakah"])
    {
        Expect::Place
    } else if has("mengapa") || has("kenapa") {
        Expect::Reason
    } else if has("bagaimana") || has("bagaimanakah") {
        Expect::Manner
    } else if has("apa") || has("apakah") || has("dimaksud") || has("pengertian") {
        Expect::Definition
    } else {
        Expect::Any
    }
}

/// Whether sentence `s` holds what `expect` asks for; `query` tells names the question already
/// gives from new ones.
fn holds(library: &Library, s: usize, expect: Expect, query: &[retrieve::QueryTerm]) -> bool {
    let sentence = &library.sentences[s];
    let all = terms::words(library.sentence_text(s), 0);
    let has_cue = |cues: &[&str]| all.iter().any(|w| cues.contains(&w.form.as_str()));
    let new_name = || {
        sentence.words.iter().any(|w| {
            w.capitalized && !w.numeric && {
                let keys = terms::keys(&w.form);
                query.iter().all(|t| terms::match_weight(&t.keys, &keys) == 0.0)
            }
        })
    };
    match expect {
        Expect::Time => sentence.words.iter().any(|w| {
            w.numeric || MONTHS.contains(&w.form.as_str()) || TIME_WORDS.contains(&w.form.as_str())
        }),
        Expect::Number => sentence
            .words
            .iter()
            .any(|w| w.numeric || NUMBER_WORDS.contains(&w.form.as_str())),
        Expect::Person | Expect::Place => new_name(),
        Expect::Reason => has_cue(REASON_CUES),
        Expect::Manner => has_cue(MANNER_CUES),
        Expect::Definition => has_cue(DEFINITION_CUES),
        Expect::Any => false,
    }
}

/// A candidate's score for a question asking for `expect`.
fn score(library: &Library, c: &Candidate, expect: Expect, query: &[retrieve::QueryTerm]) -> f32 {
    let holds = holds(library, c.sentence, expect, query);
    match (expect, holds) {
        (Expect::Any, _) => c.coverage,
        (_, true) => c.coverage + TYPE_BONUS,
        (Expect::Time | Expect::Number, false) => c.coverage * UNTYPED_FACTOR,
        (_, false) => c.coverage,
    }
}

/// Answers `question` from `library`: quoted sentences with citations, or an abstention.
pub fn ask(library: &Library, question: &str, options: &AskOptions) -> Answer {
    let words = terms::words(question, 0);
    let query = retrieve::query(library, &words);
    if query.is_empty() {
        return abstention(EMPTY_QUESTION_TEXT, Vec::new(), 0.0);
    }
    let expect = expect(&words);
    let mut scored: Vec<(f32, Candidate)> = retrieve::candidates(library, &query)
        .into_iter()
        .map(|c| (score(library, &c, expect, &query), c))
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.bm25.total_cmp(&a.1.bm25))
            .then(a.1.sentence.cmp(&b.1.sentence))
    });
    let Some((best, top)) = scored.first().cloned() else {
        return abstention(ABSTAIN_TEXT, Vec::new(), 0.0);
    };
    if best < options.threshold {
        return abstention(ABSTAIN_TEXT, closest(library, &scored, options.closest), best);
    }
    let quoted = quoted_sentences(library, top.sentence, expect, &query, options.max_sentences);
    let citations: Vec<Citation> = quoted.iter().map(|&s| citation(library, s)).collect();
    let text = citations.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" ");
    let supported = verify::unsupported(&text, &citations).is_empty();
    Answer {
        text,
        citations,
        abstained: false,
        supported,
        closest: Vec::new(),
        score: best,
        dropped: Vec::new(),
    }
}

/// The best sentence with the neighbour it needs, in reading order.
fn quoted_sentences(
    library: &Library,
    best: usize,
    expect: Expect,
    query: &[retrieve::QueryTerm],
    max: usize,
) -> Vec<usize> {
    let mut quoted = vec![best];
    let passage = library.sentences_of(library.sentences[best].passage as usize);
    if max < 2 {
        return quoted;
    }
    let opening: Vec<String> = terms::words(library.sentence_text(best), 0)
        .into_iter()
        .take(3)
        .map(|w| w.form)
        .collect();
    let points_back = opening.iter().any(|w| ANAPHORS.contains(&w.as_str()));
    let wants = matches!(expect, Expect::Time | Expect::Number);
    if points_back && best > passage.start {
        quoted.insert(0, best - 1);
    } else if wants && !holds(library, best, expect, query) && best + 1 < passage.end
        && holds(library, best + 1, expect, query)
    {
        quoted.push(best + 1);
    }
    quoted
}

/// The best sentence of each of the first `count` passages among the scored candidates.
fn closest(library: &Library, scored: &[(f32, Candidate)], count: usize) -> Vec<Citation> {
    let mut passages = Vec::new();
    let mut found = Vec::new();
    for (_, c) in scored {
        let passage = library.sentences[c.sentence].passage;
        if found.len() == count {
            break;
        }
        if !passages.contains(&passage) {
            passages.push(passage);
            found.push(citation(library, c.sentence));
        }
    }
    found
}

/// The citation of sentence `s`.
pub(crate) fn citation(library: &Library, s: usize) -> Citation {
    let sentence = &library.sentences[s];
    let passage = sentence.passage as usize;
    Citation {
        source: library.sources[library.passages[passage].source].name.clone(),
        passage: library.passage_id(passage),
        sentence: library.sentence_id(s),
        span: sentence.span.clone(),
        text: library.sentence_text(s).to_string(),
    }
}

fn abstention(text: &str, closest: Vec<Citation>, score: f32) -> Answer {
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
