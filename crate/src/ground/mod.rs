//! Answers grounded in a given source: cite or stay silent.
//!
//! A small model does not know facts reliably; what Siger can do is answer from a text the
//! student or teacher gives it and show exactly where the answer came from, or say that the
//! text does not answer. A [`Library`] cuts sources into paragraphs and sentences with stable
//! ids ([`passages`]), normalises and stems their words so forms of one root meet ([`terms`]),
//! and indexes them; [`ask`] retrieves paragraphs (BM25), quotes the sentence that covers the
//! question best with its citation, or abstains below a calibrated threshold with the closest
//! passages. A model may phrase a shorter answer only through the verifier ([`verify`]), which
//! drops every generated sentence with a content word the citations lack. Independent of the
//! model, like the translator, so it runs before (or without) one.

pub mod answer;
mod ask;
pub mod eval;
pub mod expect;
pub mod library;
pub mod passages;
pub(crate) mod retrieve;
pub mod terms;
pub mod verify;

pub use answer::{ABSTAIN_TEXT, Answer, AskOptions, CALIBRATED_THRESHOLD, Citation};
pub use ask::ask;
pub use expect::Expect;
pub use library::{Library, LibraryError};
pub use passages::{Passage, Source};
pub use verify::{phrasing_request, unsupported};
