//! `eval-translate`: scores the translator on sentence pairs (BLEU, chrF, coverage, where the
//! words came from).

use std::path::{Path, PathBuf};

use clap::Args;
use siger::translate::{cross_validated, evaluate};

use super::translate::{parse_lang, resources};
use crate::cli::TranslationSources;

/// Flags of `eval-translate`.
#[derive(Args)]
pub struct EvalTranslateArgs {
    /// Two-column TSV with a header, source first (e.g. nyo-dev.tsv).
    #[arg(long)]
    pairs: PathBuf,
    /// Source language (id, en, lpg, lpg-nyo, lpg-api).
    #[arg(long)]
    from: String,
    /// Target language.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    sources: TranslationSources,
    /// Also learn from the pairs themselves, in K-fold cross-validation: each fold is
    /// translated with a target-side model trained on the other folds' references (what a
    /// user's own parallel text would add; nothing learned is kept).
    #[arg(long, value_name = "K")]
    cross_validate: Option<usize>,
    /// Print JSON (`bleu`, `chrf`, `coverage`, `by_source`, `invented`).
    #[arg(long)]
    json: bool,
    /// Also write the translations to this file, one per line in the order of the pairs
    /// (for reading the errors, or for scoring with another tool).
    #[arg(long, value_name = "FILE")]
    hypotheses: Option<PathBuf>,
}

impl EvalTranslateArgs {
    /// Scores the translator on the pairs and prints the figures.
    pub fn run(self) -> Result<(), String> {
        let (from, to) = (parse_lang(&self.from)?, parse_lang(&self.to)?);
        let rows = read_pairs(&self.pairs)?;
        let (mut resources, options) = resources(&self.sources)?;
        let evaluation = match self.cross_validate {
            Some(k) if k < 2 => return Err("--cross-validate needs at least 2 folds".into()),
            Some(k) => cross_validated(&rows, from, to, &mut resources, &options, k),
            None => evaluate(&rows, from, to, &resources, &options),
        };
        if let Some(path) = &self.hypotheses {
            let mut text = evaluation.hypotheses.join("\n");
            text.push('\n');
            siger::io::atomic::write_file(path, text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if self.json {
            println!(
                "{}",
                serde_json::to_string(&evaluation).map_err(|e| e.to_string())?
            );
        } else {
            println!(
                "BLEU {:.2}  chrF {:.2}  coverage {:.1}%  invented {}  over {} pairs",
                evaluation.bleu,
                evaluation.chrf,
                evaluation.coverage * 100.0,
                evaluation.invented,
                rows.len()
            );
            for (source, count) in &evaluation.by_source {
                println!("  {source:<12} {count}");
            }
        }
        Ok(())
    }
}

/// (source, reference) rows of a two-column TSV after its header; blank lines are skipped.
fn read_pairs(pairs: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(pairs).map_err(|e| format!("{}: {e}", pairs.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut cells = line.split('\t');
        match (cells.next(), cells.next()) {
            (Some(s), Some(r)) if !s.trim().is_empty() && !r.trim().is_empty() => {
                rows.push((s.to_string(), r.to_string()))
            }
            _ => {
                return Err(format!(
                    "{}:{}: expected two tab-separated columns",
                    pairs.display(),
                    i + 1
                ));
            }
        }
    }
    Ok(rows)
}
