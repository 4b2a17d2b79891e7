//! Lookup-first translation between Lampung (Nyo and Api dialects), Indonesian and English.
//!
//! The rule is "cite or stay silent": every output [`Token`] says where it came from (a
//! phrasebook phrase, a lexicon entry, a morphological rule over an entry, copied punctuation,
//! or, only when the caller allows it, a model's guess), and a word nobody can translate is
//! returned as [`Source::Unknown`], never silently replaced.
//!
//! ```text
//! text ─ normalize ─ (detect) ─ phrasebook ─ longest lexicon match ─ spelling ─ morphology
//!                                                   └─ guesser (if allowed) ─ else unknown
//! ```
//!
//! Lexicons are TSV or JSONL files ([`format`]); the meizano word list can be loaded when a user
//! supplies it ([`meizano`]). The built-in phrasebook is `models/lexicon/siger-phrasebook.tsv`.
//!
//! This module uses only `std`, `serde`, `serde_json` and `thiserror`, and refers to its own
//! items through `super::`, so it builds on its own as well as inside the `siger` crate.

pub mod decode;
pub mod detect;
pub mod evaluate;
pub mod format;
pub mod guess;
pub mod lang;
pub mod learn;
pub mod lexicon;
pub mod load;
pub mod lookup;
pub mod meizano;
pub mod metrics;
pub mod morphology;
pub mod ngram;
pub mod normalize;
pub mod options;
pub mod phrasebook;
pub mod pipeline;
pub mod rank;
pub mod request;
pub mod resources;
pub mod sound;
pub mod spelling;
pub mod token;
pub mod wordlists;

#[cfg(test)]
mod test_data;

pub use detect::{Detection, detect};
pub use evaluate::{Evaluation, cross_validated, evaluate};
pub use format::{LexiconError, Loaded, RowProblem};
pub use guess::Guesser;
pub use lang::{Dialect, DialectTag, Lang};
pub use lexicon::{Entry, Lexicon};
pub use load::load_lexicon;
pub use metrics::{corpus_bleu, corpus_chrf};
pub use ngram::NgramModel;
pub use options::Options;
pub use phrasebook::Phrasebook;
pub use pipeline::translate;
pub use request::{Request, is_translation_request};
pub use resources::Resources;
pub use token::{Source, Token, Translation};
