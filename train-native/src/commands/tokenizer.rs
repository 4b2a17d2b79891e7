//! `tokenizer`: trains the byte-level BPE tokenizer a model is then pretrained with.

use std::path::PathBuf;

use clap::Args;
use siger::io::{atomic, checkpoint};
use siger::text::Tokenizer;

use super::common::example_texts;
use crate::data::{self, OnError};

/// Flags of `tokenizer`.
#[derive(Args)]
pub struct TokenizerArgs {
    /// Files or folders to read (.txt, .md, .jsonl, .tsv; folders recursively).
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Number of ids, special tokens included.
    #[arg(long, default_value_t = 8192)]
    vocab_size: usize,
    /// Folder to write tokenizer.json into.
    #[arg(long)]
    out: PathBuf,
    /// What to do with malformed rows.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    on_error: OnError,
}

impl TokenizerArgs {
    /// Trains the tokenizer on the input and writes `tokenizer.json` into `out`.
    pub fn run(self) -> Result<(), String> {
        let examples = data::load(&self.input, self.on_error).map_err(|e| e.to_string())?;
        let tok = Tokenizer::train(example_texts(&examples), self.vocab_size)
            .map_err(|e| e.to_string())?;
        let out = &self.out;
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let file = out.join(checkpoint::TOKENIZER_FILE);
        atomic::write_file(&file, tok.to_json().as_bytes()).map_err(|e| e.to_string())?;
        println!(
            "tokenizer with {} ids written to {}",
            tok.vocab_size(),
            file.display()
        );
        Ok(())
    }
}
