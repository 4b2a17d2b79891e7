//! `ask`: answers a question from source files, quoting the sentences it comes from, or says
//! that the sources do not answer it.

use std::path::PathBuf;

use clap::Args;
use siger::ground::{self, AskOptions, Library, Source};

/// Flags of `ask`.
#[derive(Args)]
pub struct AskArgs {
    /// Plain-text or markdown files to answer from (each is cited by its file name).
    #[arg(long = "source", required = true, num_args = 1..)]
    sources: Vec<PathBuf>,
    /// The question.
    #[arg(long)]
    question: String,
    #[command(flatten)]
    options: AskFlags,
    /// Print the answer as JSON (`text`, `citations`, `abstained`, `supported`, `closest`,
    /// `score`, `dropped`).
    #[arg(long)]
    json: bool,
}

/// How answers are chosen (shared with `eval-ask`).
#[derive(Args, Clone)]
pub struct AskFlags {
    /// Score below which the answer is an abstention (default: the calibrated one).
    #[arg(long)]
    threshold: Option<f32>,
    /// Most sentences an answer quotes.
    #[arg(long, default_value_t = 2)]
    max_sentences: usize,
}

impl AskFlags {
    /// The options these flags ask for.
    pub fn options(&self) -> Result<AskOptions, String> {
        if self.max_sentences == 0 {
            return Err("--max-sentences must be at least 1".into());
        }
        let defaults = AskOptions::default();
        let threshold = self.threshold.unwrap_or(defaults.threshold);
        if !threshold.is_finite() {
            return Err("--threshold must be a finite number".into());
        }
        Ok(AskOptions {
            threshold,
            max_sentences: self.max_sentences,
            ..defaults
        })
    }
}

impl AskArgs {
    /// Answers the question and prints the answer with its citations.
    pub fn run(self) -> Result<(), String> {
        let options = self.options.options()?;
        let mut sources = Vec::new();
        for path in &self.sources {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "{}: {e} (a source must be a UTF-8 text file)",
                    path.display()
                )
            })?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            sources.push(Source::new(name, text));
        }
        let library = Library::new(sources).map_err(|e| e.to_string())?;
        let answer = ground::ask(&library, &self.question, &options);
        if self.json {
            println!(
                "{}",
                serde_json::to_string(&answer).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        println!("{}", answer.text);
        for citation in &answer.citations {
            println!(
                "  [{}] bytes {}..{}",
                citation.sentence, citation.span.start, citation.span.end
            );
        }
        if answer.abstained && !answer.closest.is_empty() {
            println!("Bagian sumber yang paling dekat:");
            for citation in &answer.closest {
                println!("  [{}] {}", citation.sentence, citation.text);
            }
        }
        Ok(())
    }
}
