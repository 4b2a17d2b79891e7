//! Answering from a [`Library`]: the sentence (or two) of the source that answers a question,
//! cited by id and exact span, or an abstention in plain words with the closest passages.
//!
//! A sentence's score is its coverage (retrieve.rs) plus [`TYPE_BONUS`] when it holds what the
//! question asks for ([`Expect`]); for a time or a number, which a sentence either states or
//! does not, one that holds none scores only [`UNTYPED_FACTOR`] of its coverage. The answer is
//! the best sentence, with the one before it when it opens by pointing back (`Proses ini …`),
//! the one after it when only that one holds the expected time or number, or a neighbour that
//! scores nearly as well. Below [`AskOptions::threshold`] the answer abstains.

use super::answer::{
    ABSTAIN_TEXT, Answer, AskOptions, Citation, EMPTY_QUESTION_TEXT, abstention, citation,
};
use super::expect::{Expect, expect, focus, holds};
use super::library::Library;
use super::retrieve::{self, Candidate};
use super::terms;
use super::verify;

/// Words that, among a sentence's first three, point back to the sentence before.
const ANAPHORS: &[&str] = &["ini", "itu", "tersebut", "ia", "mereka", "beliau", "dia"];

/// Added to a sentence's score when it holds what the question asks for.
pub const TYPE_BONUS: f32 = 0.1;
/// What a sentence keeps of its coverage when the question asks for a time or a number and it
/// states none.
pub const UNTYPED_FACTOR: f32 = 0.6;
/// What a sentence keeps of its score when its paragraph lacks a name or number the question
/// writes (`Bengkulu` asked of a text about Lampung): the text is about something else.
pub const MISSING_NAME_FACTOR: f32 = 0.5;
/// How close to the best a sentence next to it must score to be quoted with it.
pub const NEIGHBOUR_SHARE: f32 = 0.9;

/// What a sentence keeps of its score when it lacks the question's focus ([`focus`]: `luas` in
/// `Berapa luas …`), though its paragraph may have it.
pub const MISSING_FOCUS_FACTOR: f32 = 0.8;

/// A candidate's score for a question asking for `expect` about the query term at
/// `focus`.
fn score(
    library: &Library,
    c: &Candidate,
    expect: Expect,
    focus: Option<&retrieve::QueryTerm>,
    query: &[retrieve::QueryTerm],
) -> f32 {
    let holds = holds(library, c.sentence, expect, query);
    let typed = match (expect, holds) {
        (Expect::Any, _) => c.coverage,
        (_, true) => c.coverage + TYPE_BONUS,
        (Expect::Time | Expect::Number, false) => c.coverage * UNTYPED_FACTOR,
        (_, false) => c.coverage,
    };
    let passage = library.sentences[c.sentence].passage as usize;
    let named = query
        .iter()
        .filter(|t| t.exact)
        .all(|t| retrieve::passage_holds(library, passage, t));
    let named = if named { 1.0 } else { MISSING_NAME_FACTOR };
    let focused = focus.is_none_or(|t| t.hits.contains_key(&(c.sentence as u32)));
    let focused = if focused { 1.0 } else { MISSING_FOCUS_FACTOR };
    typed * named * focused
}

/// Answers `question` from `library`: quoted sentences with citations, or an abstention.
pub fn ask(library: &Library, question: &str, options: &AskOptions) -> Answer {
    let words = terms::words(question, 0);
    let query = retrieve::query(library, &words);
    if query.is_empty() {
        return abstention(EMPTY_QUESTION_TEXT, Vec::new(), 0.0);
    }
    let expect = expect(&words);
    let focus = focus(&words).and_then(|i| query.iter().find(|t| t.position == i));
    let mut scored: Vec<(f32, Candidate)> = retrieve::candidates(library, &query)
        .into_iter()
        .map(|c| (score(library, &c, expect, focus, &query), c))
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
        return abstention(
            ABSTAIN_TEXT,
            closest(library, &scored, options.closest),
            best,
        );
    }
    let mut quoted = quoted_sentences(library, top.sentence, expect, &query, options.max_sentences);
    if quoted.len() < options.max_sentences {
        quoted.extend(close_neighbour(library, &scored, &quoted));
        quoted.sort_unstable();
    }
    let citations: Vec<Citation> = quoted.iter().map(|&s| citation(library, s)).collect();
    let text = citations
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
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
    } else if wants
        && !holds(library, best, expect, query)
        && best + 1 < passage.end
        && holds(library, best + 1, expect, query)
    {
        quoted.push(best + 1);
    }
    quoted
}

/// The runner-up sentence when it stands next to a quoted one in the same paragraph and scores
/// nearly as well ([`NEIGHBOUR_SHARE`] of the best): the answer then spans the two.
fn close_neighbour(
    library: &Library,
    scored: &[(f32, Candidate)],
    quoted: &[usize],
) -> Option<usize> {
    let best = scored.first()?.0;
    let (score, runner_up) = scored.iter().find(|(_, c)| !quoted.contains(&c.sentence))?;
    let s = runner_up.sentence;
    let same_passage = |q: usize| library.sentences[q].passage == library.sentences[s].passage;
    let adjacent = quoted
        .iter()
        .any(|&q| same_passage(q) && q.abs_diff(s) == 1);
    (adjacent && *score >= NEIGHBOUR_SHARE * best).then_some(s)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground::Source;
    use crate::ground::answer::EMPTY_QUESTION_TEXT;

    const LESSON: &str = "# Siklus Air\n\nAir di laut, danau, dan sungai menguap karena panas matahari. Uap air naik ke udara.\n\nDi udara yang dingin, uap air mengembun menjadi titik-titik air yang membentuk awan. Peristiwa ini disebut kondensasi.\n\nTitik-titik air di awan makin berat lalu jatuh sebagai hujan. Air hujan meresap ke tanah atau mengalir kembali ke laut.";

    fn library() -> Library {
        Library::new(vec![Source::new("siklus.md", LESSON)]).unwrap()
    }

    #[test]
    fn citations_point_at_the_exact_text() {
        let library = library();
        let answer = ask(
            &library,
            "Mengapa terjadi penguapan air laut?",
            &AskOptions::default(),
        );
        assert!(!answer.abstained, "{answer:?}");
        assert!(answer.supported);
        assert_eq!(answer.citations[0].sentence, "siklus.md#p2.s1");
        assert!(answer.text.contains("menguap karena panas matahari"));
        for c in &answer.citations {
            assert_eq!(&LESSON[c.span.clone()], c.text);
            assert!(LESSON[c.passage_span.clone()].contains(&c.text));
        }
    }

    #[test]
    fn the_expected_kind_of_answer_chooses_the_sentence() {
        let library = library();
        let answer = ask(
            &library,
            "Apa yang dimaksud dengan kondensasi?",
            &AskOptions::default(),
        );
        assert!(answer.text.contains("mengembun"), "{answer:?}");
        assert_eq!(
            expect(&terms::words("Kapan Proklamasi dibacakan?", 0)),
            Expect::Time
        );
        assert_eq!(expect(&terms::words("Tahun berapa itu?", 0)), Expect::Time);
        assert_eq!(
            expect(&terms::words("Berapa jumlah planet?", 0)),
            Expect::Number
        );
        assert_eq!(
            expect(&terms::words("Di mana candi itu?", 0)),
            Expect::Place
        );
    }

    #[test]
    fn a_count_needs_a_number_the_question_does_not_give_and_the_sentence_naming_its_focus() {
        let text = "# Kongres Pemuda\n\nKongres Pemuda Kedua diadakan pada tanggal 27 dan 28 Oktober 1928 di Batavia. Kongres itu dipimpin oleh Soegondo Djojopoespito.";
        let library = Library::new(vec![Source::new("kongres.md", text)]).unwrap();
        let options = AskOptions::default();
        // `27`, `28` stand before a month and `Kedua` is the question's own: no count here.
        let count = ask(
            &library,
            "Berapa orang yang hadir dalam Kongres Pemuda Kedua?",
            &options,
        );
        assert!(count.abstained, "{count:?}");
        // `pemimpin` meets `dipimpin` through its root: the focus is named.
        let leader = ask(&library, "Siapa pemimpin Kongres Pemuda Kedua?", &options);
        assert!(leader.text.contains("Soegondo"), "{leader:?}");
        let focus_of = |q: &str| {
            let words = terms::words(q, 0);
            focus(&words).map(|i| words[i].form.clone())
        };
        assert_eq!(
            focus_of("Berapa luas Taman Nasional Way Kambas?").as_deref(),
            Some("luas")
        );
        assert_eq!(
            focus_of("Berapa jumlah penduduk Lampung?").as_deref(),
            Some("penduduk")
        );
        assert_eq!(
            focus_of("Pada usia berapa gigi tumbuh?").as_deref(),
            Some("usia")
        );
        assert_eq!(focus_of("Siapa ketua BPUPKI?").as_deref(), Some("ketua"));
        assert_eq!(focus_of("Apa manfaat gajah jinak?"), None);
        assert_eq!(focus_of("Siapa yang memimpin kongres?"), None);
    }

    #[test]
    fn an_unanswerable_question_abstains_with_the_closest_passages() {
        let library = library();
        let answer = ask(
            &library,
            "Siapa presiden pertama Amerika Serikat?",
            &AskOptions::default(),
        );
        assert!(answer.abstained, "{answer:?}");
        assert_eq!(answer.text, ABSTAIN_TEXT);
        assert!(answer.citations.is_empty());
        let answer = ask(&library, "Berapa suhu awan hujan?", &AskOptions::default());
        assert!(answer.abstained, "{answer:?}");
        assert!(!answer.closest.is_empty());
        assert!(
            answer
                .closest
                .iter()
                .all(|c| LESSON[c.span.clone()] == c.text)
        );
    }

    #[test]
    fn a_question_without_content_words_abstains_plainly() {
        let answer = ask(&library(), "Apa itu?", &AskOptions::default());
        assert!(answer.abstained);
        assert_eq!(answer.text, EMPTY_QUESTION_TEXT);
    }

    #[test]
    fn a_pointing_back_sentence_brings_the_one_before() {
        let library = library();
        let options = AskOptions {
            threshold: 0.0,
            ..AskOptions::default()
        };
        let answer = ask(&library, "Peristiwa apa yang disebut kondensasi?", &options);
        let ids: Vec<&str> = answer
            .citations
            .iter()
            .map(|c| c.sentence.as_str())
            .collect();
        assert_eq!(ids, ["siklus.md#p3.s1", "siklus.md#p3.s2"], "{answer:?}");
    }
}
