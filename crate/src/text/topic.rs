//! The topic and context of a conversation, as the dialog format writes them into its system
//! message (`Topik: …` and `Konteks: …` lines; see `train-native/src/data.rs`): what a
//! conditioned model pools into vectors added to every token's embedding.

use crate::text::{Message, Role, Tokenizer, TokenizerError};

/// A conversation's topic and context texts (each possibly empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicContext {
    /// The text after `Topik:`.
    pub topic: String,
    /// The text after `Konteks:`.
    pub context: String,
}

/// Token ids of a topic and a context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionIds {
    /// The topic's ids.
    pub topic: Vec<u32>,
    /// The context's ids.
    pub context: Vec<u32>,
}

impl TopicContext {
    /// The `Topik:` and `Konteks:` lines of the first message, when it is a system message;
    /// `None` when it has neither.
    pub fn of(messages: &[Message]) -> Option<Self> {
        let first = messages.first().filter(|m| m.role == Role::System)?;
        let line = |prefix: &str| {
            first
                .content
                .lines()
                .find_map(|l| l.trim_start().strip_prefix(prefix))
                .map(|rest| rest.trim().to_string())
        };
        let (topic, context) = (line("Topik:"), line("Konteks:"));
        if topic.is_none() && context.is_none() {
            return None;
        }
        Some(Self {
            topic: topic.unwrap_or_default(),
            context: context.unwrap_or_default(),
        })
    }

    /// The two texts' token ids.
    pub fn encode(&self, tokenizer: &Tokenizer) -> Result<ConditionIds, TokenizerError> {
        Ok(ConditionIds {
            topic: tokenizer.encode(&self.topic)?,
            context: tokenizer.encode(&self.context)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_message_lines_give_topic_and_context() {
        let system = Message::new(Role::System, "Topik: Fotosintesis\nKonteks: Di kelas IPA.");
        let user = Message::new(Role::User, "Apa itu fotosintesis?");
        let found = TopicContext::of(&[system.clone(), user.clone()]).unwrap();
        assert_eq!(found.topic, "Fotosintesis");
        assert_eq!(found.context, "Di kelas IPA.");
        let topic_only = Message::new(Role::System, "Kamu tutor.\nTopik: Pecahan");
        let found = TopicContext::of(&[topic_only]).unwrap();
        assert_eq!(
            (found.topic.as_str(), found.context.as_str()),
            ("Pecahan", "")
        );
        assert_eq!(
            TopicContext::of(&[user.clone(), system]),
            None,
            "not the first message"
        );
        assert_eq!(
            TopicContext::of(&[Message::new(Role::System, "Kamu tutor.")]),
            None
        );
        assert_eq!(TopicContext::of(&[]), None);
    }
}
