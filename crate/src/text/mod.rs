//! Text to token ids and back: the byte-level BPE tokenizer with Siger's special tokens, and the
//! chat template that frames a conversation.

pub mod chat_template;
pub mod tokenizer;

pub use chat_template::{Message, Role};
pub use tokenizer::{SpecialIds, Tokenizer, TokenizerError};
