//! What several commands share: finding and loading a checkpoint or a tokenizer, and reading
//! examples.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use siger::io::checkpoint::{self, Checkpoint};
use siger::text::Tokenizer;

use crate::data::{self, Example, OnError};

/// A checkpoint folder, or a run folder's `model/`.
pub fn model_dir(path: &Path) -> Result<PathBuf, String> {
    for candidate in [path.to_path_buf(), path.join("model")] {
        if candidate.join(checkpoint::MANIFEST_FILE).exists() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "{}: not a checkpoint folder (no manifest.json here or in model/)",
        path.display()
    ))
}

/// Loads the checkpoint at `path` (a checkpoint folder or a run folder).
pub fn load_checkpoint<B: Backend>(
    path: &Path,
    device: &B::Device,
) -> Result<Checkpoint<B>, String> {
    let dir = model_dir(path)?;
    checkpoint::load::<B>(&dir, device).map_err(|e| format!("{}: {e}", dir.display()))
}

/// [`load_checkpoint`] for training on: a quantized bundle's integers become the float weights
/// they stand for (said on stderr), so the shipped demo model can be fine-tuned.
pub fn load_trainable<B: Backend>(
    path: &Path,
    device: &B::Device,
) -> Result<Checkpoint<B>, String> {
    let mut ckpt = load_checkpoint::<B>(path, device)?;
    if !ckpt.manifest.quantization.is_empty() {
        eprintln!(
            "{} is a quantized bundle: training from its dequantized weights (they keep its rounding)",
            path.display()
        );
        siger::io::weights::dequantize(&mut ckpt.model);
    }
    Ok(ckpt)
}

/// Reads a `tokenizer.json`, or the one in the folder `path`.
pub fn read_tokenizer(path: &Path) -> Result<Tokenizer, String> {
    let file = if path.is_dir() {
        path.join(checkpoint::TOKENIZER_FILE)
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    Tokenizer::from_json(&bytes).map_err(|e| format!("{}: {e}", file.display()))
}

/// The examples as the text a tokenizer is trained on (chats rendered with their template).
pub fn example_texts(examples: &[Example]) -> impl Iterator<Item = String> + Send + '_ {
    examples.iter().map(|e| match e {
        Example::Text(t) => t.clone(),
        Example::Chat(m) => Tokenizer::render_chat(m, false),
    })
}

/// The examples of `paths` (TSV files as only their column `tsv_column`, when given); with
/// `holdout_every` N > 0, only every N-th: the slice `pretrain --holdout-every N` left out.
pub fn held_out_examples(
    paths: &[PathBuf],
    on_error: OnError,
    holdout_every: usize,
    tsv_column: Option<&str>,
) -> Result<Vec<Example>, String> {
    let examples = data::load_selecting(paths, on_error, tsv_column).map_err(|e| e.to_string())?;
    Ok(match holdout_every {
        0 => examples,
        every => data::split_holdout(examples, every).1,
    })
}
