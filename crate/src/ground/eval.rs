//! Evaluation of grounded answers: passages and questions in JSON lines, the answers scored.
//!
//! Passages: `{"id", "title", "text"}` a line; all of a file's passages form one library.
//! Questions: `{"p": passage id, "q": question, "a": [[phrase, …], …], "answerable": bool}`; an
//! answer is correct when its text contains every phrase of one group (case-insensitive).
//! Since the threshold only decides between the chosen sentence and an abstention, questions are
//! answered once and every threshold of a sweep is scored from the same answers.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, AskOptions};
use super::ask::ask;
use super::library::Library;
use super::passages::{self, Source};
use super::verify;

/// A line of an evaluation file that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct DataError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PassageLine {
    id: String,
    #[serde(default)]
    title: Option<String>,
    text: String,
}

/// One evaluation question.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Question {
    /// The id of the passage it is about.
    pub p: String,
    /// The question.
    pub q: String,
    /// Accepted answers: groups of phrases that must all appear.
    #[serde(default)]
    pub a: Vec<Vec<String>>,
    /// Whether the passages answer it.
    pub answerable: bool,
}

/// The non-blank lines of `text`, parsed, with their 1-based numbers.
fn lines<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<(usize, T)>, DataError> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line).map_err(|e| DataError {
            line: i + 1,
            message: e.to_string(),
        })?;
        found.push((i + 1, item));
    }
    Ok(found)
}

/// The passages of a JSON-lines file, one source each (named by its id).
pub fn read_passages(text: &str) -> Result<Vec<Source>, DataError> {
    let parsed: Vec<(usize, PassageLine)> = lines(text)?;
    Ok(parsed
        .into_iter()
        .map(|(_, p)| Source {
            name: p.id,
            title: p.title,
            text: p.text,
        })
        .collect())
}

/// The questions of a JSON-lines file; an answerable question must have an accepted answer.
pub fn read_questions(text: &str) -> Result<Vec<Question>, DataError> {
    let questions: Vec<(usize, Question)> = lines(text)?;
    for (line, q) in &questions {
        if q.answerable && q.a.iter().all(|group| group.is_empty()) {
            return Err(DataError {
                line: *line,
                message: "an answerable question needs at least one accepted answer in `a`".into(),
            });
        }
    }
    Ok(questions.into_iter().map(|(_, q)| q).collect())
}

/// Whether `text` contains every phrase of one of `accepted`'s groups.
pub fn is_correct(text: &str, accepted: &[Vec<String>]) -> bool {
    let text = text.to_lowercase();
    accepted
        .iter()
        .any(|group| !group.is_empty() && group.iter().all(|p| text.contains(&p.to_lowercase())))
}

/// The figures of one evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// The threshold the figures are for.
    pub threshold: f32,
    /// Correct answers ÷ answerable questions.
    pub accuracy: f32,
    /// Abstentions on unanswerable questions ÷ abstentions (1 when there are none).
    pub abstain_precision: f32,
    /// Abstentions on unanswerable questions ÷ unanswerable questions.
    pub abstain_recall: f32,
    /// Answer sentences with a content word absent from their citations (must be 0).
    pub unsupported: usize,
    /// Questions asked.
    pub questions: usize,
    /// Of them, answerable.
    pub answerable: usize,
    /// Answerable questions whose first citation is in the question's own passage.
    pub cited_passage: f32,
}

/// One question's answer, kept for scoring at several thresholds.
#[derive(Clone)]
pub struct Asked {
    /// The question.
    pub question: Question,
    /// Its answer with no threshold (never an abstention unless nothing matched).
    pub answer: Answer,
}

/// Answers every question once, with no threshold.
pub fn ask_all(library: &Library, questions: &[Question], options: &AskOptions) -> Vec<Asked> {
    let open = AskOptions {
        threshold: f32::NEG_INFINITY,
        ..options.clone()
    };
    questions
        .iter()
        .map(|q| Asked {
            question: q.clone(),
            answer: ask(library, &q.q, &open),
        })
        .collect()
}

/// The figures at `threshold` (an answer scoring below it counts as an abstention).
pub fn score(asked: &[Asked], threshold: f32) -> Evaluation {
    let judged: Vec<(&Asked, f32)> = asked.iter().map(|a| (a, threshold)).collect();
    let mut figures = judge(&judged);
    figures.threshold = threshold;
    figures
}

/// The figures of answers each judged at its own threshold.
fn judge(judged: &[(&Asked, f32)]) -> Evaluation {
    let (mut correct, mut answerable, mut abstained, mut right_abstained) = (0, 0, 0, 0);
    let (mut unsupported, mut cited_passage) = (0, 0);
    for &(item, threshold) in judged {
        let abstains = item.answer.abstained || item.answer.score < threshold;
        if abstains {
            abstained += 1;
            right_abstained += usize::from(!item.question.answerable);
        } else {
            unsupported += unsupported_sentences(&item.answer);
        }
        if item.question.answerable {
            answerable += 1;
            correct += usize::from(!abstains && is_correct(&item.answer.text, &item.question.a));
            let own = item
                .answer
                .citations
                .first()
                .is_some_and(|c| c.source == item.question.p);
            cited_passage += usize::from(!abstains && own);
        }
    }
    let unanswerable = judged.len() - answerable;
    let ratio = |a: usize, b: usize, empty: f32| if b == 0 { empty } else { a as f32 / b as f32 };
    Evaluation {
        threshold: f32::NAN,
        accuracy: ratio(correct, answerable, 0.0),
        abstain_precision: ratio(right_abstained, abstained, 1.0),
        abstain_recall: ratio(right_abstained, unanswerable, 1.0),
        unsupported,
        questions: judged.len(),
        answerable,
        cited_passage: ratio(cited_passage, answerable, 0.0),
    }
}

/// The calibrated threshold: the one (in steps of 0.01 from 0 to 1) that maximises the mean of
/// accuracy, abstention precision and abstention recall on `asked`; the lowest such on ties.
pub fn calibrate(asked: &[Asked]) -> f32 {
    let balanced = |e: &Evaluation| (e.accuracy + e.abstain_precision + e.abstain_recall) / 3.0;
    let mut best = (f32::NEG_INFINITY, 0.0);
    for i in 0..=100 {
        let threshold = i as f32 / 100.0;
        let value = balanced(&score(asked, threshold));
        if value > best.0 + 1e-6 {
            best = (value, threshold);
        }
    }
    best.1
}

/// Figures on questions the threshold was not calibrated on: the questions are cut into `k`
/// folds (question `i` in fold `i mod k`), each fold judged at the threshold calibrated on the
/// other folds, and the folds' judgements pooled. Returns the pooled figures (`threshold` is
/// their mean threshold) and each fold's threshold.
pub fn cross_validated(asked: &[Asked], k: usize) -> (Evaluation, Vec<f32>) {
    let k = k.clamp(2, asked.len().max(2));
    let mut thresholds = Vec::new();
    let mut judged: Vec<(&Asked, f32)> = Vec::new();
    for fold in 0..k {
        let rest: Vec<Asked> = asked
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, a)| a.clone())
            .collect();
        let threshold = calibrate(&rest);
        thresholds.push(threshold);
        judged.extend(asked.iter().skip(fold).step_by(k).map(|a| (a, threshold)));
    }
    let mut figures = judge(&judged);
    figures.threshold = thresholds.iter().sum::<f32>() / k as f32;
    (figures, thresholds)
}

/// The sentences of an answer's text that the verifier does not find in its citations.
fn unsupported_sentences(answer: &Answer) -> usize {
    passages::split(0, &answer.text)
        .iter()
        .flat_map(|p| p.sentences.iter())
        .filter(|s| !verify::unsupported(&answer.text[(*s).clone()], &answer.citations).is_empty())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_and_bad_lines_named() {
        let passages = read_passages("{\"id\":\"a\",\"title\":\"T\",\"text\":\"X.\"}\n\n").unwrap();
        assert_eq!(
            passages,
            vec![Source {
                name: "a".into(),
                title: Some("T".into()),
                text: "X.".into()
            }]
        );
        let err = read_passages("{\"id\":\"a\",\"text\":\"X.\"}\n{oops").unwrap_err();
        assert_eq!(err.line, 2);
        let err =
            read_questions("{\"p\":\"a\",\"q\":\"?\",\"a\":[],\"answerable\":true}").unwrap_err();
        assert_eq!(err.line, 1);
    }

    #[test]
    fn correctness_needs_every_phrase_of_one_group() {
        let accepted = vec![
            vec!["Soekarno".to_string(), "Hatta".to_string()],
            vec!["1945".to_string()],
        ];
        assert!(is_correct("dibacakan soekarno dan HATTA", &accepted));
        assert!(is_correct("pada 1945", &accepted));
        assert!(!is_correct("dibacakan Soekarno", &accepted));
        assert!(!is_correct("anything", &[]));
    }
}
