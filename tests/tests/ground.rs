//! Grounded answers on the development set in `tests/ask/` (hand-written Indonesian school
//! passages and questions): every quoted answer is supported by its citations and quotes its
//! source exactly, and the figures stay at least where they were measured (README.md has them).
//! The held-back test set in the same folder is only ever reported, never checked here.

use siger::ground::eval::{self, Asked};
use siger::ground::{AskOptions, Library};

fn dev() -> (Library, Vec<Asked>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ask");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let passages = eval::read_passages(&read("dev-passages.jsonl")).unwrap();
    let questions = eval::read_questions(&read("dev-qa.jsonl")).unwrap();
    let library = Library::new(passages).unwrap();
    let asked = eval::ask_all(&library, &questions, &AskOptions::default());
    (library, asked)
}

#[test]
fn every_answer_quotes_its_source_exactly_and_is_supported() {
    let (library, asked) = dev();
    let figures = eval::score(&asked, AskOptions::default().threshold);
    assert_eq!(figures.unsupported, 0);
    for item in &asked {
        for c in &item.answer.citations {
            let source = library
                .sources()
                .iter()
                .find(|s| s.name == c.source)
                .unwrap();
            assert_eq!(source.text[c.span.clone()], c.text, "{}", c.sentence);
        }
        assert!(
            item.answer.abstained || item.answer.supported,
            "{}",
            item.question.q
        );
    }
}

#[test]
fn the_dev_figures_hold() {
    let (_, asked) = dev();
    let figures = eval::score(&asked, AskOptions::default().threshold);
    // Measured 0.910 / 0.926 / 0.658 (accuracy, abstention precision, recall) at the
    // calibrated threshold; a change that loses more than a few questions shows here.
    assert!(figures.accuracy >= 0.88, "{figures:?}");
    assert!(figures.abstain_recall >= 0.6, "{figures:?}");
    assert!(figures.abstain_precision >= 0.88, "{figures:?}");
}
