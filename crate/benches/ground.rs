//! Prints how fast grounded answering builds its index and answers, from a lesson-sized source
//! to a book-sized one, with the ratio of building the index to only cutting the text into
//! passages (the part no retrieval method can skip) measured in the same run. A benchmark that
//! prints figures, not a test.
//!
//! Run: `cargo bench -p siger --bench ground` (release). The text is the Indonesian Wikipedia
//! passages in `../shared/data/corpus/` when present, else the development passages in
//! `tests/ask/` repeated; sizes: `SIGER_BENCH_MB` (default `0.01,0.1,1,2`).

use std::time::Instant;

use siger::ground::{AskOptions, Library, Source, ask, eval, passages};

const QUESTIONS: [&str; 4] = [
    "Kapan Douwes Dekker wafat?",
    "Siapa yang membacakan teks proklamasi?",
    "Apa yang dihasilkan dari fotosintesis?",
    "Berapa jumlah planet di tata surya?",
];

fn text() -> (String, &'static str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus = root.join("../shared/data/corpus/id-wikipedia-passages.txt");
    if let Ok(text) = std::fs::read_to_string(&corpus) {
        return (text.replace('\n', "\n\n"), "shared Wikipedia passages");
    }
    let dev = std::fs::read_to_string(root.join("tests/ask/dev-passages.jsonl"))
        .expect("tests/ask/dev-passages.jsonl");
    let passages = eval::read_passages(&dev).expect("dev passages");
    let one: String = passages.iter().map(|p| format!("{}\n\n", p.text)).collect();
    (
        one.repeat(2_000_000 / one.len() + 1),
        "tests/ask dev passages, repeated",
    )
}

fn main() {
    let (text, what) = text();
    let sizes = std::env::var("SIGER_BENCH_MB").unwrap_or_else(|_| "0.01,0.1,1,2".into());
    println!("source: {what}");
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>10} {:>8} {:>10}",
        "MB", "passages", "sentences", "split ms", "index ms", "÷ split", "ask µs"
    );
    for mb in sizes
        .split(',')
        .filter_map(|s| s.trim().parse::<f64>().ok())
    {
        let mut cut = ((mb * 1e6) as usize).min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let source = &text[..cut];
        let started = Instant::now();
        let split = passages::split(0, source);
        let split_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        let library = Library::new(vec![Source::new("buku", source)]).expect("one named source");
        let index_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        for question in QUESTIONS {
            std::hint::black_box(ask(&library, question, &AskOptions::default()));
        }
        let ask_us = started.elapsed().as_secs_f64() * 1e6 / QUESTIONS.len() as f64;
        println!(
            "{:>8.2} {:>9} {:>10} {:>10.1} {:>10.1} {:>8.1} {:>10.0}",
            cut as f64 / 1e6,
            split.len(),
            library.sentence_count(),
            split_ms,
            index_ms,
            index_ms / split_ms.max(1e-9),
            ask_us
        );
    }
}
