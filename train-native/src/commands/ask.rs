//! `ask`: answers a question from source files, quoting the sentences it comes from, or says
//! that the sources do not answer it.

use std::path::PathBuf;

use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use siger::ground::{self, Answer, AskOptions, Library, Source};
use siger::infer::generate::{GenerationConfig, Generator};
use siger::infer::sampling::{Sampler, SamplingConfig};
use siger::text::{Message, Role};

use super::common::load_checkpoint;
use crate::backend::{Job, dispatch};
use crate::cli::BackendKind;

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
    /// A chat model (checkpoint or run folder) to phrase a shorter answer from the cited
    /// sentences; the verifier keeps only its sentences whose every content word is in the
    /// citations, and the quoted sentences stay the answer when it keeps none.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Most tokens the model may write for its phrasing.
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
    /// Compute backend for `--model`.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
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
    /// Answers the question (phrased by the model when `--model` is given) and prints it.
    pub fn run(self) -> Result<(), String> {
        if self.model.is_some() {
            return dispatch(self);
        }
        let answer = self.answer()?;
        self.print(&answer)
    }

    /// The quoted answer, from the sources read from disk.
    fn answer(&self) -> Result<Answer, String> {
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
        Ok(ground::ask(&library, &self.question, &options))
    }

    fn print(&self, answer: &Answer) -> Result<(), String> {
        if self.json {
            println!(
                "{}",
                serde_json::to_string(answer).map_err(|e| e.to_string())?
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
        for sentence in &answer.dropped {
            println!("  (dropped, not supported by the citations: {sentence})");
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

impl Job for AskArgs {
    fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Answers, then lets the model phrase the cited sentences (greedily) through the verifier.
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let answer = self.answer()?;
        let Some(model) = self.model.as_ref().filter(|_| !answer.abstained) else {
            return self.print(&answer);
        };
        let ckpt = load_checkpoint::<B::InnerBackend>(model, &devices[0])?;
        let tok = &ckpt.tokenizer;
        let request = ground::phrasing_request(&self.question, &answer);
        let ids = tok
            .encode_chat(&[Message::new(Role::User, request)], true)
            .map_err(|e| e.to_string())?;
        let greedy = SamplingConfig {
            temperature: 0.0,
            ..SamplingConfig::default()
        };
        let sampler = Sampler::new(greedy).map_err(|e| e.to_string())?;
        let config = GenerationConfig::chat(tok, self.max_tokens);
        let generator =
            Generator::new(&ckpt.model, tok, &ids, sampler, config).map_err(|e| e.to_string())?;
        let mut generated = String::new();
        for piece in generator {
            generated.push_str(&piece.map_err(|e| e.to_string())?);
        }
        self.print(&answer.with_phrasing(&generated))
    }
}
