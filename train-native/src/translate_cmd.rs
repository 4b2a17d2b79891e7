//! `translate` and `eval-translate`: the core's lookup-first translator on the command line.

use std::path::{Path, PathBuf};

use siger::model_guesser::ModelGuesser;

use crate::cli::TranslationSources;
use siger::translate::{Lang, Options, Resources, evaluate, translate};

/// Parses a language code (see `Lang::from_code`).
pub fn parse_lang(code: &str) -> Result<Lang, String> {
    Lang::from_code(code)
        .ok_or_else(|| format!("unknown language \"{code}\": use id, en, lpg, lpg-nyo or lpg-api"))
}

/// The built-in phrasebook plus the user's lexicons (project TSV/JSONL or meizano JSON), and a
/// model guesser when one is given; returns the options that allow guesses exactly then.
pub fn resources(
    lexicons: &[PathBuf],
    guess_with: Option<&Path>,
) -> Result<(Resources, Options), String> {
    let mut resources = Resources::builtin();
    let mut options = Options::default();
    if let Some(dir) = guess_with {
        type Cpu = burn::backend::NdArray<f32>;
        let dir = crate::commands::model_dir(dir)?;
        let ckpt = siger::checkpoint::load::<Cpu>(&dir, &Default::default())
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = format!("model guess ({})", dir.display());
        resources = resources.with_guesser(Box::new(ModelGuesser::new(
            ckpt.model,
            ckpt.tokenizer,
            name,
        )));
        options.allow_guesses = true;
    }
    for path in lexicons {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let loaded = resources
            .add_lexicon(&name, &text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!(
            "loaded {name} ({:?}): {} entries from {} rows, {} skipped",
            loaded.format,
            loaded.entries.len(),
            loaded.rows,
            loaded.skipped
        );
    }
    Ok((resources, options))
}

/// Translates one text and prints it with the source of every word.
pub fn run_translate(
    text: &str,
    from: Option<&str>,
    to: &str,
    sources: &TranslationSources,
    json: bool,
) -> Result<(), String> {
    let from = from.map(parse_lang).transpose()?;
    let to = parse_lang(to)?;
    let (resources, options) = resources(&sources.lexicon, sources.guess_with.as_deref())?;
    let translation = translate(text, from, to, &resources, &options);
    if json {
        println!(
            "{}",
            serde_json::to_string(&translation).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!("{}", translation.text());
    for token in &translation.tokens {
        let entry = token.entry.as_deref().unwrap_or("");
        let origin = token.source_name.as_deref().unwrap_or("");
        println!(
            "  {:<20} {:<12} {entry} {origin}",
            token.text,
            token.source.name()
        );
    }
    Ok(())
}

/// Scores the translator on a two-column TSV (header, source first).
pub fn run_eval(
    pairs: &Path,
    from: &str,
    to: &str,
    sources: &TranslationSources,
    json: bool,
) -> Result<(), String> {
    let (from, to) = (parse_lang(from)?, parse_lang(to)?);
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
    let (resources, options) = resources(&sources.lexicon, sources.guess_with.as_deref())?;
    let evaluation = evaluate(&rows, from, to, &resources, &options);
    if json {
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
