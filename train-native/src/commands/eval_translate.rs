//! `eval-translate`: scores the translator on sentence pairs (BLEU, chrF, coverage, where the
//! words came from).

use std::path::{Path, PathBuf};

use clap::Args;
use siger::translate::{Lang, cross_validated, evaluate};

use super::translate::{parse_lang, resources};
use crate::cli::TranslationSources;

/// Flags of `eval-translate`.
#[derive(Args)]
pub struct EvalTranslateArgs {
    /// Two-column TSV with a header, source first, unless the header names the two languages
    /// the other way round (nyo-dev.tsv's `lampung_nyo`, `indonesian` serves both directions).
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
        let rows = read_pairs(&self.pairs, from, to)?;
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

/// The language a header cell names (`indonesian`, `lampung_nyo`, `id`), if any.
fn header_lang(cell: &str) -> Option<Lang> {
    let cell = cell.trim();
    Lang::from_code(cell)
        .or_else(|| Lang::from_code(&cell.replace('_', "-")))
        .or_else(|| Lang::from_code(cell.split(['_', '-']).next()?))
}

/// Whether the header says the reference comes first: both cells name a language, the first
/// `to`'s and the second `from`'s (`lampung_nyo`, `indonesian` read for Indonesian → Nyo). An
/// error when the header names languages that are neither.
fn reversed(header: &str, from: Lang, to: Lang) -> Result<bool, String> {
    let mut cells = header.split('\t').map(header_lang);
    let (Some(Some(first)), Some(Some(second))) = (cells.next(), cells.next()) else {
        return Ok(false);
    };
    let sides = (first.side(), second.side());
    if sides == (from.side(), to.side()) {
        Ok(false)
    } else if sides == (to.side(), from.side()) {
        Ok(true)
    } else {
        Err(format!(
            "the header names {} and {}, not {} and {}: pass the file's languages with --from and --to",
            first.code(),
            second.code(),
            from.code(),
            to.code()
        ))
    }
}

/// (source, reference) rows of a two-column TSV after its header; blank lines are skipped.
/// The source is the first column unless the header names the languages the other way round.
fn read_pairs(pairs: &Path, from: Lang, to: Lang) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(pairs).map_err(|e| format!("{}: {e}", pairs.display()))?;
    let header = text.lines().next().unwrap_or_default();
    let swap = reversed(header, from, to).map_err(|e| format!("{}: {e}", pairs.display()))?;
    if swap {
        eprintln!(
            "{}: the header puts {} first; reading the second column as the source",
            pairs.display(),
            to.code()
        );
    }
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
                let (s, r) = if swap { (r, s) } else { (s, r) };
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

#[cfg(test)]
mod tests {
    use siger::translate::Dialect;

    use super::*;

    const NYO: Lang = Lang::Lampung(Dialect::Nyo);

    #[test]
    fn the_header_decides_which_column_is_the_source() {
        let header = "lampung_nyo\tindonesian";
        assert!(!reversed(header, NYO, Lang::Indonesian).unwrap());
        assert!(reversed(header, Lang::Indonesian, NYO).unwrap());
        assert!(
            !reversed("src\tref", Lang::Indonesian, NYO).unwrap(),
            "unnamed: source first"
        );
        let wrong = reversed("english\tindonesian", NYO, Lang::Indonesian).unwrap_err();
        assert!(wrong.contains("--from"), "{wrong}");
    }

    #[test]
    fn reads_the_source_column_the_header_names() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pairs.tsv");
        std::fs::write(
            &file,
            "lampung_nyo\tindonesian\nnyak haga mengan\tsaya mau makan\n\n",
        )
        .unwrap();
        let forward = read_pairs(&file, NYO, Lang::Indonesian).unwrap();
        let backward = read_pairs(&file, Lang::Indonesian, NYO).unwrap();
        assert_eq!(
            forward,
            [("nyak haga mengan".into(), "saya mau makan".into())]
        );
        assert_eq!(
            backward,
            [("saya mau makan".into(), "nyak haga mengan".into())]
        );
        std::fs::write(&file, "a\tb\nonly one column\n").unwrap();
        assert!(
            read_pairs(&file, NYO, Lang::Indonesian)
                .unwrap_err()
                .contains(":2:")
        );
    }
}
