//! `translate`: the core's lookup-first translator on the command line, showing where every
//! word came from; and the translator's resources, which `eval-translate` uses too.

use std::path::Path;

use clap::Args;
use siger::infer::guesser::ModelGuesser;
use siger::translate::{Lang, Options, Resources, translate};

use super::common::{load_checkpoint, model_dir};
use crate::cli::TranslationSources;

/// Flags of `translate`.
#[derive(Args)]
pub struct TranslateArgs {
    /// The text.
    #[arg(long)]
    text: String,
    /// Source language (id, en, lpg, lpg-nyo, lpg-api); detected when left out.
    #[arg(long)]
    from: Option<String>,
    /// Target language.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    sources: TranslationSources,
    /// Print the translation with its tokens as JSON.
    #[arg(long)]
    json: bool,
}

impl TranslateArgs {
    /// Translates the text and prints it with the source of every word.
    pub fn run(self) -> Result<(), String> {
        let from = self.from.as_deref().map(parse_lang).transpose()?;
        let to = parse_lang(&self.to)?;
        let (resources, options) = resources(&self.sources)?;
        let translation = translate(&self.text, from, to, &resources, &options);
        if self.json {
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
}

/// Parses a language code (see `Lang::from_code`).
pub fn parse_lang(code: &str) -> Result<Lang, String> {
    Lang::from_code(code)
        .ok_or_else(|| format!("unknown language \"{code}\": use id, en, lpg, lpg-nyo or lpg-api"))
}

/// The built-in phrasebook plus the user's lexicons (project TSV/JSONL or meizano JSON), and a
/// model guesser when one is given; returns the options that allow guesses exactly then.
pub fn resources(sources: &TranslationSources) -> Result<(Resources, Options), String> {
    let mut resources = Resources::builtin();
    let mut options = Options::default();
    if let Some(dir) = &sources.guess_with {
        resources = resources.with_guesser(Box::new(model_guesser(dir)?));
        options.allow_guesses = true;
    }
    for path in &sources.lexicon {
        add_lexicon(&mut resources, path)?;
    }
    for path in &sources.language_model {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.display().to_string();
        resources
            .add_language_model(&name, &bytes)
            .map_err(|e| e.to_string())?;
    }
    Ok((resources, options))
}

type Cpu = burn::backend::NdArray<f32>;

/// The model at `path` (a checkpoint or run folder) as a guesser of words no lookup found,
/// loaded on the CPU.
fn model_guesser(path: &Path) -> Result<ModelGuesser<Cpu>, String> {
    let dir = model_dir(path)?;
    let ckpt = load_checkpoint::<Cpu>(&dir, &Default::default())?;
    let name = format!("model guess ({})", dir.display());
    Ok(ModelGuesser::new(ckpt.model, ckpt.tokenizer, name))
}

/// Reads one lexicon file into `resources` and says what it held.
fn add_lexicon(resources: &mut Resources, path: &Path) -> Result<(), String> {
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
    Ok(())
}
