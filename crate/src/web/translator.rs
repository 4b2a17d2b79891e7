//! The translator as JavaScript sees it: a [`Translator`] holding the phrasebook and whatever
//! translation resources the page downloaded (lexicons, and the target-side language model
//! once it ships), independent of any chat model, so a translation mode works before (or
//! without) loading one.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::js_error;
use crate::translate::{self, Lang, Options, Resources};

/// The translation resources loaded so far, and translation over them.
#[wasm_bindgen]
pub struct Translator {
    resources: Resources,
    loaded: Vec<LoadedResource>,
}

/// One resource as `Translator.info()` lists it.
#[derive(Clone, Serialize)]
struct LoadedResource {
    kind: &'static str,
    name: String,
    entries: usize,
    skipped: usize,
}

/// What `Translator.info()` returns.
#[derive(Serialize)]
struct TranslatorInfo<'a> {
    phrasebook: usize,
    lexicon: usize,
    resources: &'a [LoadedResource],
}

/// The language codes [`Lang::from_code`] understands, for error messages.
const LANG_CODES: &str = "id, en, lpg, lpg-nyo or lpg-api";

fn lang(code: &str) -> Result<Lang, JsError> {
    Lang::from_code(code)
        .ok_or_else(|| JsError::new(&format!("unknown language `{code}`: use {LANG_CODES}")))
}

impl Default for Translator {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Translator {
    /// A translator with the built-in phrasebook only.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Translator {
        console_error_panic_hook::set_once();
        Translator {
            resources: Resources::builtin(),
            loaded: Vec::new(),
        }
    }

    /// Adds a downloaded resource: `kind` is `"lexicon"` (a meizano JSON, Siger TSV or JSONL
    /// file; see `models/lexicon/README.md`) or `"language-model"` (a `siger-ngram` file that
    /// chooses among senses), `name` the file name its words will cite.
    /// Returns `{kind, name, entries, skipped}`; a malformed file is an error naming the file
    /// and line, and leaves the translator as it was.
    pub fn add_resource(
        &mut self,
        kind: String,
        name: String,
        bytes: Vec<u8>,
    ) -> Result<JsValue, JsError> {
        let resource = match kind.as_str() {
            "lexicon" => {
                let text = std::str::from_utf8(&bytes).map_err(|e| {
                    JsError::new(&format!("{name}: a lexicon must be UTF-8 text: {e}"))
                })?;
                let loaded = self.resources.add_lexicon(&name, text).map_err(js_error)?;
                LoadedResource {
                    kind: "lexicon",
                    name,
                    entries: loaded.entries.len(),
                    skipped: loaded.skipped,
                }
            }
            "language-model" => {
                let model = self
                    .resources
                    .add_language_model(&name, &bytes)
                    .map_err(js_error)?;
                LoadedResource {
                    kind: "language-model",
                    entries: model.vocab_len(),
                    name,
                    skipped: 0,
                }
            }
            other => {
                return Err(JsError::new(&format!(
                    "{name}: unknown translation resource kind `{other}`: use \"lexicon\" or \"language-model\""
                )));
            }
        };
        self.loaded.push(resource.clone());
        serde_wasm_bindgen::to_value(&resource).map_err(js_error)
    }

    /// `{phrasebook, lexicon, resources}`: entry counts and the resources added.
    pub fn info(&self) -> Result<JsValue, JsError> {
        let info = TranslatorInfo {
            phrasebook: self.resources.phrasebook.lexicon().len(),
            lexicon: self.resources.lexicon.len(),
            resources: &self.loaded,
        };
        serde_wasm_bindgen::to_value(&info).map_err(js_error)
    }

    /// Lookup-first translation with every word's source: `from` is a language code (`id`,
    /// `en`, `lpg`, `lpg-nyo`, `lpg-api`) or undefined to detect it; returns `{text, tokens,
    /// from, to, detected}`.
    pub fn translate(
        &self,
        text: String,
        from: Option<String>,
        to: String,
    ) -> Result<JsValue, JsError> {
        let from = from.as_deref().map(lang).transpose()?;
        let to = lang(&to)?;
        let translation =
            translate::translate(&text, from, to, &self.resources, &Options::default());
        #[derive(Serialize)]
        struct Out {
            text: String,
            #[serde(flatten)]
            translation: translate::Translation,
        }
        let out = Out {
            text: translation.text(),
            translation,
        };
        serde_wasm_bindgen::to_value(&out).map_err(js_error)
    }
}
