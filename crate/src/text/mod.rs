//! Text to token ids and back: the byte-level BPE tokenizer with Siger's special tokens, the
//! chat template that frames a conversation, and the topic and context a conversation declares.

pub mod chat_template;
pub mod tokenizer;
pub mod topic;

pub use chat_template::{Message, Role};
pub use tokenizer::{SpecialIds, Tokenizer, TokenizerError};
pub use topic::{ConditionIds, TopicContext};
