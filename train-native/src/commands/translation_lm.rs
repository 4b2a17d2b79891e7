//! `translation-lm`: trains the target-side language model the translator chooses senses with
//! (a Kneser-Ney trigram model, `siger::translate::ngram`), and writes it atomically.

use std::path::PathBuf;

use clap::Args;
use siger::io::atomic::write_file;
use siger::translate::Lang;
use siger::translate::ngram::{TrainOptions, train};

/// Flags of `translation-lm`.
#[derive(Args)]
pub struct TranslationLmArgs {
    /// Text files, one sentence or passage per line; `PATH:BYTES` reads only the first BYTES
    /// (cut at a line end), so one large source cannot dominate the mix.
    #[arg(long = "text", required = true)]
    texts: Vec<String>,
    /// The language of the text (id, en, lpg-nyo, …).
    #[arg(long, default_value = "id")]
    lang: String,
    /// A word enters the vocabulary when seen this many times.
    #[arg(long, default_value_t = 2)]
    min_count: u32,
    /// Trigrams seen fewer times are not stored.
    #[arg(long, default_value_t = 2)]
    min_trigram: u32,
    /// Bigrams seen fewer times are not stored unless a stored trigram starts with them.
    #[arg(long, default_value_t = 1)]
    min_bigram: u32,
    /// Where to write the model.
    #[arg(long)]
    out: PathBuf,
}

impl TranslationLmArgs {
    /// Reads the texts, trains, writes the model and prints its size.
    pub fn run(self) -> Result<(), String> {
        let lang = Lang::from_code(&self.lang).ok_or_else(|| {
            format!(
                "unknown language `{}`: use id, en, lpg, lpg-nyo or lpg-api",
                self.lang
            )
        })?;
        let mut texts = Vec::new();
        for spec in &self.texts {
            texts.push(read_text(spec)?);
        }
        let options = TrainOptions {
            min_count: self.min_count.max(1),
            min_trigram: self.min_trigram.max(1),
            min_bigram: self.min_bigram.max(1),
            ..TrainOptions::default()
        };
        let model = train(lang.code(), &texts, &options);
        let bytes = model.to_bytes();
        write_file(&self.out, &bytes).map_err(|e| e.to_string())?;
        let (bigrams, trigrams) = model.ngram_counts();
        println!(
            "{}: {} words, {bigrams} bigrams, {trigrams} trigrams, {} bytes",
            self.out.display(),
            model.vocab_len(),
            bytes.len()
        );
        Ok(())
    }
}

/// `(source name, text)` for `PATH` or `PATH:BYTES`.
fn read_text(spec: &str) -> Result<(String, String), String> {
    let (path, limit) = match spec.rsplit_once(':') {
        Some((path, bytes)) if bytes.chars().all(|c| c.is_ascii_digit()) && !bytes.is_empty() => {
            let limit = bytes
                .parse::<usize>()
                .map_err(|e| format!("{spec}: the byte limit: {e}"))?;
            (path, Some(limit))
        }
        _ => (spec, None),
    };
    let mut text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    if let Some(limit) = limit.filter(|&l| l < text.len()) {
        let cut = text[..limit].rfind('\n').map_or(0, |i| i + 1);
        text.truncate(cut);
    }
    let name = std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
    let name = match limit {
        Some(l) => format!("{name} (first {l} bytes)"),
        None => name,
    };
    Ok((name, text))
}
