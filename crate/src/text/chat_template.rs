//! The chat template: each message is `<|role|>content<|end_turn|>` and a newline, and a prompt
//! for a reply ends with `<|assistant|>`. Role markers enter the ids only here, as control ids;
//! message contents are always encoded as plain text.

use crate::text::tokenizer::{SPECIAL_TOKENS, Tokenizer, TokenizerError};

/// Who speaks a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions and context.
    System,
    /// The student.
    User,
    /// The model.
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl Message {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

impl Tokenizer {
    /// The chat template as text: each message is `<|role|>content<|end_turn|>` followed by a
    /// newline; with `add_generation_prompt`, `<|assistant|>` ends the prompt.
    pub fn render_chat(messages: &[Message], add_generation_prompt: bool) -> String {
        let mut out = String::new();
        for m in messages {
            out.push_str(role_token(m.role));
            out.push_str(&m.content);
            out.push_str(SPECIAL_TOKENS[5]);
            out.push('\n');
        }
        if add_generation_prompt {
            out.push_str(SPECIAL_TOKENS[4]);
        }
        out
    }

    /// The ids of [`Self::render_chat`]'s text, with role markers as control ids and contents as
    /// plain text.
    pub fn encode_chat(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<Vec<u32>, TokenizerError> {
        let newline = self.encode("\n")?;
        let mut ids = Vec::new();
        for m in messages {
            ids.push(self.role_id(m.role));
            ids.extend(self.encode(&m.content)?);
            ids.push(self.special().end_turn);
            ids.extend(&newline);
        }
        if add_generation_prompt {
            ids.push(self.special().assistant);
        }
        Ok(ids)
    }

    /// [`Self::encode_chat`] without a generation prompt, with a training mask per id: 1 for the
    /// ids the model should learn to produce (assistant contents and the `<|end_turn|>` closing
    /// them), 0 for everything given to it (role markers, system and user turns, newlines).
    pub fn encode_chat_for_training(
        &self,
        messages: &[Message],
    ) -> Result<(Vec<u32>, Vec<u8>), TokenizerError> {
        let newline = self.encode("\n")?;
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for m in messages {
            let learn = u8::from(m.role == Role::Assistant);
            let content = self.encode(&m.content)?;
            ids.push(self.role_id(m.role));
            mask.push(0);
            mask.extend(std::iter::repeat_n(learn, content.len() + 1));
            ids.extend(content);
            ids.push(self.special().end_turn);
            mask.extend(std::iter::repeat_n(0, newline.len()));
            ids.extend(&newline);
        }
        Ok((ids, mask))
    }

    fn role_id(&self, role: Role) -> u32 {
        match role {
            Role::System => self.special().system,
            Role::User => self.special().user,
            Role::Assistant => self.special().assistant,
        }
    }
}

fn role_token(role: Role) -> &'static str {
    match role {
        Role::System => SPECIAL_TOKENS[2],
        Role::User => SPECIAL_TOKENS[3],
        Role::Assistant => SPECIAL_TOKENS[4],
    }
}
