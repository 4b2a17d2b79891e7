//! What the translator translates with: the phrasebook, the lexicon and an optional guesser.

use super::format::{LexiconError, Loaded};
use super::guess::Guesser;
use super::lang::Lang;
use super::lexicon::Lexicon;
use super::load::load_lexicon;
use super::ngram::{NgramError, NgramModel};
use super::phrasebook::Phrasebook;

/// The translator's resources. Build once, translate many times.
#[derive(Default)]
pub struct Resources {
    /// Exact phrases, tried first.
    pub phrasebook: Phrasebook,
    /// Words and multi-word expressions, all loaded lexicons together.
    pub lexicon: Lexicon,
    /// Target-side language models that choose among the senses lookup found ([`super::decode`]).
    pub language_models: Vec<NgramModel>,
    /// A model for what the lexicons leave untranslated; used only when guesses are allowed.
    pub guesser: Option<Box<dyn Guesser>>,
}

impl Resources {
    /// The built-in phrasebook, an empty lexicon and no guesser.
    pub fn builtin() -> Self {
        Resources {
            phrasebook: Phrasebook::builtin(),
            ..Self::default()
        }
    }

    /// Loads a lexicon file (TSV, JSONL or meizano JSON) into the lexicon.
    pub fn add_lexicon(&mut self, name: &str, text: &str) -> Result<Loaded, LexiconError> {
        let loaded = load_lexicon(name, text)?;
        self.lexicon
            .extend(&loaded.origin, loaded.entries.iter().cloned());
        Ok(loaded)
    }

    /// Reads a language model file ([`NgramModel::from_bytes`]) and adds it.
    pub fn add_language_model(
        &mut self,
        name: &str,
        bytes: &[u8],
    ) -> Result<&NgramModel, NgramError> {
        let model = NgramModel::from_bytes(name, bytes)?;
        self.language_models.push(model);
        Ok(&self.language_models[self.language_models.len() - 1])
    }

    /// The language models of `lang`'s side (all Lampung dialects share one side).
    pub fn language_models_of(&self, lang: Lang) -> Vec<&NgramModel> {
        let wanted = lang.side();
        self.language_models
            .iter()
            .filter(|m| Lang::from_code(&m.lang).is_some_and(|l| l.side() == wanted))
            .collect()
    }

    /// The first language model of `lang`'s side, whose vocabulary is the attested word list.
    pub fn language_model(&self, lang: Lang) -> Option<&NgramModel> {
        self.language_models_of(lang).into_iter().next()
    }

    /// Sets the guesser.
    pub fn with_guesser(mut self, guesser: Box<dyn Guesser>) -> Self {
        self.guesser = Some(guesser);
        self
    }
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resources")
            .field("phrasebook", &self.phrasebook.lexicon().len())
            .field("lexicon", &self.lexicon.len())
            .field("language_models", &self.language_models.len())
            .field(
                "guesser",
                &self.guesser.as_ref().map(|g| g.name().to_string()),
            )
            .finish()
    }
}
