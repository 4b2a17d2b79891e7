//! A conversation over a model: the messages it has read, the recurrent state after them, and
//! the reply being generated. What the browser runtime drives, written once over `B: Backend`.
//!
//! Each request passes the whole conversation (as OpenAI-style APIs do). When the messages this
//! chat has already read are a prefix of the request, only the new ones are read: an SSM's
//! state is a few hundred kilobytes whatever the conversation's length, so continuing is cheap.
//! A snapshot from before the last reply makes "regenerate" and "edit the last message" cheap
//! too. Anything else starts over from a zero state.
//!
//! The state follows the chat template exactly: after a reply it has read the reply's tokens,
//! `<|end_turn|>` and the newline, as if the whole transcript had been read at once (the reply
//! as its sampled tokens).
//!
//! [`Chat::save`] writes the conversation read so far as a [`session`] file;
//! [`Chat::restore`] refuses one saved with other weights.

use std::borrow::Cow;

use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::infer::generate::{FinishReason, GenerateError, GenerationConfig, Generator};
use crate::infer::sampling::{Sampler, SamplingConfig};
use crate::infer::session::{self, SessionError};
use crate::model::Model;
use crate::model::state::State;
use crate::text::{Message, Role, Tokenizer};

/// Why a chat request failed.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The request has no message to answer.
    #[error("the conversation has no new user or system message to answer")]
    NothingToAnswer,
    /// Another reply is being generated.
    #[error("a reply is being generated: wait for it or stop it first")]
    Busy,
    /// Generation failed.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The new text of a request is longer than one reply may read.
    #[error(
        "the message is too long: {tokens} tokens, at most {max} can be read at once; shorten it or split it into several messages"
    )]
    PromptTooLong {
        /// Tokens the new messages take.
        tokens: usize,
        /// The most allowed.
        max: usize,
    },
    /// The tokenizer could not encode a message.
    #[error(transparent)]
    Tokenize(#[from] crate::text::TokenizerError),
    /// Bad sampling options.
    #[error(transparent)]
    Sampling(#[from] crate::infer::sampling::SamplingError),
    /// A session that cannot be saved or restored.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Options of one reply: sampling (fields at the top level, as in OpenAI's API) and a length.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplyOptions {
    /// Temperature, top-k, top-p, repetition penalty, seed.
    #[serde(flatten)]
    pub sampling: SamplingConfig,
    /// Most tokens in the reply.
    pub max_tokens: usize,
}

impl Default for ReplyOptions {
    /// Chat defaults: temperature 0.7, top-p 0.9, repetition penalty 1.1, 256 tokens.
    fn default() -> Self {
        Self {
            sampling: SamplingConfig {
                temperature: 0.7,
                top_p: 0.9,
                repetition_penalty: 1.1,
                ..SamplingConfig::default()
            },
            max_tokens: 256,
        }
    }
}

/// The most tokens one request's new messages may take (about 100,000 characters).
pub const MAX_PROMPT_TOKENS: usize = 32_768;

/// What [`Chat::start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Started {
    /// Messages not read again, thanks to the saved state.
    pub reused_messages: usize,
    /// Tokens read for this reply.
    pub prompt_tokens: usize,
}

/// The messages read and the state after them.
#[derive(Debug, Clone)]
struct Read<B: Backend> {
    messages: Vec<Message>,
    state: State<B>,
}

#[derive(Debug)]
struct Reply<B: Backend> {
    generator: Generator<'static, B>,
    /// The conversation the reply answers.
    messages: Vec<Message>,
    text: String,
    tokens: usize,
}

/// A conversation with one model.
#[derive(Debug)]
pub struct Chat<B: Backend> {
    model: Model<B>,
    tokenizer: Tokenizer,
    /// sha256 of the weights, to match sessions to models.
    weights_id: String,
    read: Read<B>,
    /// The conversation before the last reply's prompt was read.
    before_reply: Option<Read<B>>,
    reply: Option<Reply<B>>,
    finish: Option<FinishReason>,
    /// Tokens of the last finished reply.
    last_reply_tokens: usize,
    /// The recurrent-depth loops of the last finished reply ([`Generator::depth`]).
    last_reply_depth: Option<(Tensor<B, 1>, usize)>,
}

impl<B: Backend> Chat<B> {
    /// A chat with nothing read yet. `weights_id` identifies the weights (their sha256).
    pub fn new(model: Model<B>, tokenizer: Tokenizer, weights_id: impl Into<String>) -> Self {
        let state = model.zero_state(1, &model.device());
        Self {
            model,
            tokenizer,
            weights_id: weights_id.into(),
            read: Read {
                messages: Vec::new(),
                state,
            },
            before_reply: None,
            reply: None,
            finish: None,
            last_reply_tokens: 0,
            last_reply_depth: None,
        }
    }

    /// The model.
    pub fn model(&self) -> &Model<B> {
        &self.model
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Starts a reply to `messages` (the whole conversation), reading only what is new.
    pub fn start(
        &mut self,
        messages: &[Message],
        options: &ReplyOptions,
    ) -> Result<Started, ChatError> {
        if self.reply.is_some() {
            return Err(ChatError::Busy);
        }
        if messages.last().is_none_or(|m| m.role == Role::Assistant) {
            return Err(ChatError::NothingToAnswer);
        }
        let sampler = Sampler::new(options.sampling.clone())?;
        let base = [Some(&self.read), self.before_reply.as_ref()]
            .into_iter()
            .flatten()
            // Nothing read is a fresh start: the new conversation's topic may condition it.
            .filter(|r| !r.messages.is_empty())
            .filter(|r| r.messages.len() < messages.len() && messages.starts_with(&r.messages))
            .max_by_key(|r| r.messages.len())
            .cloned()
            .map_or_else(|| self.fresh(messages), Ok)?;
        let reused_messages = base.messages.len();
        let prompt = self
            .tokenizer
            .encode_chat(&messages[reused_messages..], true)?;
        if prompt.len() > MAX_PROMPT_TOKENS {
            return Err(ChatError::PromptTooLong {
                tokens: prompt.len(),
                max: MAX_PROMPT_TOKENS,
            });
        }
        let config = GenerationConfig::chat(&self.tokenizer, options.max_tokens);
        let generator = Generator::from_parts(
            Cow::Owned(self.model.clone()),
            Cow::Owned(self.tokenizer.clone()),
            base.state.clone(),
            &prompt,
            sampler,
            config,
        )?;
        self.before_reply = Some(base);
        self.finish = None;
        self.reply = Some(Reply {
            generator,
            messages: messages.to_vec(),
            text: String::new(),
            tokens: 0,
        });
        Ok(Started {
            reused_messages,
            prompt_tokens: prompt.len(),
        })
    }

    /// The next piece of the reply (possibly empty: a token that completes no character, or a
    /// chunk of the prompt read), or `None` once the reply is finished. Awaits one device read
    /// per token; a long prompt is read one chunk per call, so [`Self::stop`] can come between.
    pub async fn next(&mut self) -> Option<Result<String, ChatError>> {
        let reply = self.reply.as_mut()?;
        if reply.generator.prefilling() {
            reply.generator.read_prompt_chunk();
            if reply.generator.prefilling() {
                return Some(Ok(String::new()));
            }
        }
        match reply.generator.next_token_async().await {
            Some(Ok(token)) => {
                reply.tokens += 1;
                let piece = reply.generator.text_of(token);
                reply.text.push_str(&piece);
                Some(Ok(piece))
            }
            Some(Err(e)) => {
                self.reply = None;
                Some(Err(e.into()))
            }
            None => {
                let reason = reply.generator.finish_reason();
                let reason = reason.unwrap_or(FinishReason::Length);
                let rest = self.end_reply(reason);
                (!rest.is_empty()).then_some(Ok(rest))
            }
        }
    }

    /// Ends the reply being generated now; what it said so far is its message.
    pub fn stop(&mut self) {
        let Some(reply) = &self.reply else {
            return;
        };
        if reply.generator.prefilling() {
            // Stopped while reading the prompt: nothing was said, and the state has read only
            // part of it, so the conversation stays where it was before this request.
            self.reply = None;
            self.last_reply_tokens = 0;
            self.last_reply_depth = None;
            self.finish = Some(FinishReason::Abort);
            return;
        }
        self.end_reply(FinishReason::Abort);
    }

    /// How the last reply ended, once it has.
    pub fn finish(&self) -> Option<FinishReason> {
        self.finish
    }

    /// Tokens generated in the reply so far, or in the last reply once it has finished (the
    /// stop token not counted).
    pub fn reply_tokens(&self) -> usize {
        self.reply
            .as_ref()
            .map_or(self.last_reply_tokens, |r| r.tokens)
    }

    /// Closes the reply: reads whatever the template still needs (`<|end_turn|>` unless the
    /// model produced it, then the newline) and records the reply as a message. Returns the
    /// text still buffered.
    fn end_reply(&mut self, reason: FinishReason) -> String {
        let Some(mut reply) = self.reply.take() else {
            return String::new();
        };
        let rest = reply.generator.flush();
        reply.text.push_str(&rest);
        let ended_turn = reply.generator.finish_reason() == Some(FinishReason::Stop);
        self.last_reply_depth = reply.generator.depth();
        let mut state = reply.generator.into_state();
        let mut tail = Vec::new();
        if !ended_turn {
            tail.push(self.tokenizer.special().end_turn);
        }
        // `start` encoded "\n" already (encode_chat begins with it), so this cannot fail here.
        tail.extend(self.tokenizer.encode("\n").unwrap_or_default());
        self.read_ids(&tail, &mut state);
        self.last_reply_tokens = reply.tokens;
        let mut messages = reply.messages;
        messages.push(Message::new(Role::Assistant, reply.text));
        self.read = Read { messages, state };
        self.finish = Some(reason);
        rest
    }

    /// For a model with a recurrent-depth layer, the loops it ran per token on average while
    /// writing the last finished reply (one device read); `None` otherwise or before one.
    pub async fn reply_depth(&self) -> Result<Option<f32>, ChatError> {
        let Some((sum, tokens)) = self.last_reply_depth.clone() else {
            return Ok(None);
        };
        let data = sum.into_data_async().await;
        let data = data.map_err(|e| GenerateError::Read(format!("{e:?}")))?;
        let total = data.convert::<f32>().to_vec::<f32>().unwrap_or_default();
        Ok(total.first().map(|t| t / tokens as f32))
    }

    /// Nothing read yet, for a conversation of `messages` ([`Model::conversation_state`]).
    fn fresh(&self, messages: &[Message]) -> Result<Read<B>, ChatError> {
        Ok(Read {
            messages: Vec::new(),
            state: self.model.conversation_state(messages, &self.tokenizer)?,
        })
    }

    fn read_ids(&self, ids: &[u32], state: &mut State<B>) {
        let device = self.model.device();
        let ids: Vec<i64> = ids.iter().map(|&i| i64::from(i)).collect();
        let len = ids.len();
        let tokens = Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [1, len]), &device);
        let _ = self.model.prefill(tokens, state);
    }

    /// The conversation read so far and its state, as session bytes ([`session`]).
    pub async fn save(&self) -> Result<Vec<u8>, ChatError> {
        if self.reply.is_some() {
            return Err(ChatError::Busy);
        }
        let read = &self.read;
        Ok(session::encode(&read.state, &read.messages, &self.weights_id).await?)
    }

    /// Continues from session bytes saved with the same weights.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), ChatError> {
        if self.reply.is_some() {
            return Err(ChatError::Busy);
        }
        let zero = self.model.zero_state(1, &self.model.device());
        let (messages, state) = session::decode(bytes, &self.weights_id, &zero)?;
        self.read = Read { messages, state };
        self.before_reply = None;
        self.finish = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::safetensors::SafeTensors;
    use crate::model::config::ModelConfig;
    use crate::test_util::{TestBackend, block_on, seeded};
    use burn::module::Param;

    type B = TestBackend;

    fn chat() -> Chat<B> {
        chat_with(ModelConfig::tiny())
    }

    fn chat_with(config: ModelConfig) -> Chat<B> {
        let corpus = ["Selamat pagi, apa kabar?", "Tabik pun, nyak haga belajagh."];
        let tokenizer = Tokenizer::train(corpus.iter().cycle().take(40).copied(), 300).unwrap();
        let config = config.with_init_std(0.3);
        let model = seeded(5, || config.init::<B>(&Default::default()).unwrap());
        Chat::new(model, tokenizer, "weights-a")
    }

    /// Seeded sampling at temperature 1: deterministic, and unlike greedy decoding of a random
    /// model, it does not end the turn at once.
    fn seeded_options(max_tokens: usize) -> ReplyOptions {
        ReplyOptions {
            sampling: SamplingConfig {
                temperature: 1.0,
                repetition_penalty: 1.1,
                seed: 3,
                ..SamplingConfig::default()
            },
            max_tokens,
        }
    }

    /// The whole reply's text.
    fn reply(chat: &mut Chat<B>) -> String {
        let mut text = String::new();
        while let Some(piece) = block_on(chat.next()) {
            text.push_str(&piece.unwrap());
        }
        text
    }

    /// Same tensors, same values, same metadata (key order in the header may differ).
    fn assert_same_session(a: &[u8], b: &[u8]) {
        let (fa, fb) = (
            SafeTensors::deserialize(a).unwrap(),
            SafeTensors::deserialize(b).unwrap(),
        );
        let mut names = fa.names();
        names.sort();
        assert_eq!(names.len(), fb.len());
        for name in names {
            assert_eq!(
                fa.tensor(name).unwrap().data(),
                fb.tensor(name).unwrap().data(),
                "{name}"
            );
        }
        let meta = |bytes| {
            SafeTensors::read_metadata(bytes)
                .unwrap()
                .1
                .metadata()
                .clone()
        };
        assert_eq!(meta(a), meta(b));
    }

    fn user(text: &str) -> Message {
        Message::new(Role::User, text)
    }

    #[test]
    fn a_restored_session_continues_exactly_like_an_uninterrupted_chat() {
        restored_session_continues(ModelConfig::tiny());
    }

    /// With an attention layer the session carries its key/value cache, which grows with the
    /// conversation.
    #[test]
    fn a_restored_hybrid_session_carries_the_attention_cache() {
        restored_session_continues(crate::test_util::hybrid_config());
    }

    #[test]
    fn a_reply_reports_the_loops_per_token_of_a_recurrent_model_only() {
        let mut looped = chat_with(crate::test_util::recurrent_config());
        looped
            .start(&[user("apa kabar?")], &seeded_options(3))
            .unwrap();
        reply(&mut looped);
        let depth = block_on(looped.reply_depth())
            .unwrap()
            .expect("a looped layer");
        // A fresh halting unit stops every token at the third of four loops.
        assert_eq!(depth, 3.0);
        let mut plain = chat_with(ModelConfig::tiny());
        plain
            .start(&[user("apa kabar?")], &seeded_options(3))
            .unwrap();
        reply(&mut plain);
        assert_eq!(block_on(plain.reply_depth()).unwrap(), None);
    }

    /// A conditioned model reads the topic the system message declares into its state, so the
    /// topic changes the reply, and a session carries it.
    #[test]
    fn a_declared_topic_conditions_the_reply_and_its_session() {
        let conditioned = || {
            let mut chat = chat_with(crate::test_util::conditioned_config());
            let conditioning = chat.model.conditioning.as_mut().unwrap();
            let device = Default::default();
            conditioning.topic = Param::from_tensor(crate::test_util::random([32, 32], 1, &device));
            chat
        };
        let conversation = |topic: &str| {
            [
                Message::new(Role::System, format!("Topik: {topic}\nKonteks: Di kelas.")),
                user("apa kabar?"),
            ]
        };
        let replies: Vec<String> = ["Air", "Api"]
            .into_iter()
            .map(|topic| {
                let mut chat = conditioned();
                chat.start(&conversation(topic), &seeded_options(8))
                    .unwrap();
                reply(&mut chat)
            })
            .collect();
        assert_ne!(replies[0], replies[1], "the topic conditions the reply");

        let mut before = conditioned();
        before
            .start(&conversation("Air"), &seeded_options(8))
            .unwrap();
        let first = reply(&mut before);
        let session = block_on(before.save()).unwrap();
        let mut after = conditioned();
        after.restore(&session).unwrap();
        let mut next = conversation("Air").to_vec();
        next.extend([Message::new(Role::Assistant, first), user("tabik pun")]);
        let started = after.start(&next, &seeded_options(8)).unwrap();
        assert_eq!(
            started.reused_messages, 3,
            "the restored state is continued"
        );
        let continued = reply(&mut after);
        let started = before.start(&next, &seeded_options(8)).unwrap();
        assert_eq!(started.reused_messages, 3);
        assert_eq!(
            continued,
            reply(&mut before),
            "the session carried the topic"
        );
    }

    /// A recurrent-depth layer's session holds a state per loop.
    #[test]
    fn a_restored_recurrent_session_carries_every_loop_state() {
        restored_session_continues(crate::test_util::recurrent_config());
    }

    fn restored_session_continues(config: ModelConfig) {
        let chat = || chat_with(config.clone());
        let mut whole = chat();
        let first = [user("apa kabar?")];
        whole.start(&first, &seeded_options(6)).unwrap();
        let answer = Message::new(Role::Assistant, reply(&mut whole));
        let second = [first[0].clone(), answer, user("tabik pun")];
        let started = whole.start(&second, &seeded_options(6)).unwrap();
        assert_eq!(
            started.reused_messages, 2,
            "the earlier turns are not read again"
        );
        let expected = reply(&mut whole);

        let mut before = chat();
        before.start(&first, &seeded_options(6)).unwrap();
        reply(&mut before);
        let session = block_on(before.save()).unwrap();
        let mut after = chat();
        after.restore(&session).unwrap();
        assert_same_session(&block_on(after.save()).unwrap(), &session);
        assert_eq!(
            after
                .start(&second, &seeded_options(6))
                .unwrap()
                .reused_messages,
            2
        );
        assert_eq!(reply(&mut after), expected);
        assert!(
            !expected.is_empty(),
            "the reply must say something for the check to mean anything"
        );
    }

    #[test]
    fn stop_ends_the_reply_and_regenerate_reuses_the_state_before_it() {
        let mut chat = chat();
        let first = [user("selamat pagi")];
        chat.start(&first, &seeded_options(20)).unwrap();
        block_on(chat.next()).unwrap().unwrap();
        assert!(matches!(
            chat.start(&first, &seeded_options(5)),
            Err(ChatError::Busy)
        ));
        chat.stop();
        assert_eq!(chat.finish(), Some(FinishReason::Abort));
        assert_eq!(chat.reply_tokens(), 1);
        assert!(block_on(chat.next()).is_none());
        // Regenerate: the same request again reads only its prompt, from the saved snapshot.
        let again = chat.start(&first, &seeded_options(3)).unwrap();
        assert_eq!(again.reused_messages, 0);
        reply(&mut chat);
        assert_eq!(chat.finish(), Some(FinishReason::Length));
        assert!(matches!(
            chat.start(&[Message::new(Role::Assistant, "x")], &seeded_options(1)),
            Err(ChatError::NothingToAnswer)
        ));
    }

    #[test]
    fn long_prompts_are_read_in_chunks_that_stop_can_interrupt() {
        let text: String = (0..400).map(|i| format!("pagi {i}, ")).collect();
        let long = [user(&text)];
        let mut fresh = chat();
        let started = fresh.start(&long, &seeded_options(8)).unwrap();
        assert!(started.prompt_tokens > 2 * crate::infer::generate::PREFILL_CHUNK);
        let expected = reply(&mut fresh);
        assert!(!expected.is_empty());

        let mut interrupted = chat();
        interrupted.start(&long, &seeded_options(8)).unwrap();
        assert_eq!(block_on(interrupted.next()).unwrap().unwrap(), "");
        interrupted.stop();
        assert_eq!(interrupted.finish(), Some(FinishReason::Abort));
        assert_eq!(interrupted.reply_tokens(), 0);
        // Nothing of the half-read prompt stays in the conversation's state.
        interrupted.start(&long, &seeded_options(8)).unwrap();
        assert_eq!(reply(&mut interrupted), expected);
    }

    #[test]
    fn chunked_prefill_equals_one_pass() {
        let chat = chat();
        let prompt = chat
            .tokenizer()
            .encode_chat(&[user(&"tabik pun, nyak haga belajagh. ".repeat(20))], true)
            .unwrap();
        let generate = |chunk| {
            let config = GenerationConfig::chat(chat.tokenizer(), 12);
            let sampler = Sampler::new(seeded_options(12).sampling).unwrap();
            let state = chat.model().zero_state(1, &Default::default());
            let generator = Generator::resume(
                chat.model(),
                chat.tokenizer(),
                state,
                &prompt,
                sampler,
                config,
            )
            .unwrap()
            .with_prefill_chunk(chunk);
            generator.map(Result::unwrap).collect::<String>()
        };
        let one_pass = generate(usize::MAX);
        assert!(!one_pass.is_empty());
        assert_eq!(generate(7), one_pass);
        assert_eq!(generate(1), one_pass);
    }

    #[test]
    fn a_request_longer_than_the_cap_is_refused_with_its_size() {
        let mut chat = chat();
        let huge = [user(&"zq".repeat(MAX_PROMPT_TOKENS))];
        let err = chat.start(&huge, &seeded_options(1)).unwrap_err();
        assert!(
            matches!(err, ChatError::PromptTooLong { tokens, max } if tokens > max),
            "{err}"
        );
        assert!(err.to_string().contains("too long"), "{err}");
        chat.start(&[user("apa kabar?")], &seeded_options(1))
            .unwrap();
    }

    #[test]
    fn sessions_from_other_weights_or_garbage_are_refused() {
        let mut chat = chat();
        chat.start(&[user("apa kabar?")], &seeded_options(2))
            .unwrap();
        reply(&mut chat);
        let session = block_on(chat.save()).unwrap();
        let mut other = Chat::new(chat.model().clone(), chat.tokenizer().clone(), "weights-b");
        let err = other.restore(&session).unwrap_err();
        assert!(err.to_string().contains("different model"), "{err}");
        assert!(other.restore(b"not a session").is_err());
        let mut cut = session.clone();
        cut.truncate(session.len() / 2);
        assert!(chat.restore(&cut).is_err());
    }
}
