//! Streaming generation: prefill a prompt, then sample and step until a stop token or the token
//! limit, handing out text pieces that never split a UTF-8 character.
//!
//! The same [`Generator`] serves the CLI and the browser. Each token needs one read of the
//! logits: [`Generator::next_token`] reads synchronously (native backends),
//! [`Generator::next_token_async`] awaits the read (WebGPU, where synchronous reads panic).

use std::borrow::Cow;

use burn::tensor::{Int, Tensor, TensorData, backend::Backend};

use crate::infer::sampling::{Sampler, SamplingError};
use crate::model::Model;
use crate::model::state::State;
use crate::text::Tokenizer;

/// Why generation stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Nothing to prefill.
    #[error("the prompt is empty: give at least one token")]
    EmptyPrompt,
    /// A prompt id the model has no embedding for.
    #[error("prompt token id {id} is outside the model's vocabulary of {vocab}")]
    TokenOutOfVocab {
        /// The id.
        id: u32,
        /// The model's vocabulary size.
        vocab: usize,
    },
    /// Sampling failed.
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    /// Reading logits from the device failed.
    #[error("could not read the logits from the device: {0}")]
    Read(String),
}

/// Why generation finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// A stop token was sampled: the model ended its turn.
    Stop,
    /// `max_tokens` were generated.
    Length,
    /// The caller stopped it (a chat's `stop`); a [`Generator`] never
    /// reports this itself.
    Abort,
}

impl FinishReason {
    /// The name OpenAI-style APIs give it: `stop`, `length` or `abort`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::Abort => "abort",
        }
    }
}

/// Limits of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationConfig {
    /// Most tokens to generate (the stop token not counted).
    pub max_tokens: usize,
    /// Ids that end generation; none of them is emitted as text.
    pub stop_tokens: Vec<u32>,
}

impl GenerationConfig {
    /// Stops at `<|end_turn|>` or `<|endoftext|>`, after at most `max_tokens`.
    pub fn chat(tokenizer: &Tokenizer, max_tokens: usize) -> Self {
        let s = tokenizer.special();
        Self {
            max_tokens,
            stop_tokens: vec![s.end_turn, s.end_of_text],
        }
    }
}

/// Buffers bytes and releases the longest valid UTF-8 prefix.
#[derive(Debug, Default, Clone)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// Adds bytes; returns every complete character now available. Bytes that can never form a
    /// character come out as U+FFFD.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.pending[..valid]).unwrap_or_default());
                    match e.error_len() {
                        // Incomplete character at the end: wait for more bytes.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// Flushes what is left (an unfinished character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

/// Prompt tokens read in one pass: a longer prompt is read in chunks of this many, the state
/// carrying over (the result equals one pass), so memory is bounded by the chunk, not the
/// prompt, and a caller stepping with [`Generator::read_prompt_chunk`] can stop between chunks.
pub const PREFILL_CHUNK: usize = 512;

/// Token-by-token generation over a caller-visible [`State`].
#[derive(Debug)]
pub struct Generator<'a, B: Backend> {
    model: Cow<'a, Model<B>>,
    tokenizer: Cow<'a, Tokenizer>,
    sampler: Sampler,
    config: GenerationConfig,
    state: State<B>,
    /// Logits for the next token, not yet read.
    logits: Option<Tensor<B, 2>>,
    /// Prompt tokens not read yet, and how many are read per pass.
    unread: Vec<u32>,
    chunk: usize,
    /// The last sampled token, not yet fed to the model.
    pending: Option<u32>,
    history: Vec<u32>,
    generated: usize,
    text: Utf8Stream,
    finished: Option<FinishReason>,
    /// Loops the recurrent-depth layer ran, summed over the tokens fed since the prompt (on the
    /// device, unread), and how many tokens that is.
    depth: Option<(Tensor<B, 1>, usize)>,
}

impl<'a, B: Backend> Generator<'a, B> {
    /// Prefills `prompt` from a zero state.
    pub fn new(
        model: &'a Model<B>,
        tokenizer: &'a Tokenizer,
        prompt: &[u32],
        sampler: Sampler,
        config: GenerationConfig,
    ) -> Result<Self, GenerateError> {
        let device = model.device();
        Self::resume(
            model,
            tokenizer,
            model.zero_state(1, &device),
            prompt,
            sampler,
            config,
        )
    }

    /// Prefills `prompt` on top of `state` (which has already read the earlier turns).
    pub fn resume(
        model: &'a Model<B>,
        tokenizer: &'a Tokenizer,
        state: State<B>,
        prompt: &[u32],
        sampler: Sampler,
        config: GenerationConfig,
    ) -> Result<Self, GenerateError> {
        let (model, tokenizer) = (Cow::Borrowed(model), Cow::Borrowed(tokenizer));
        Self::from_parts(model, tokenizer, state, prompt, sampler, config)
    }

    /// [`Self::resume`] with a model and tokenizer it may own (`Generator<'static, B>` keeps
    /// no borrow, as a long-lived browser engine needs; cloning a model shares its tensors).
    pub fn from_parts(
        model: Cow<'a, Model<B>>,
        tokenizer: Cow<'a, Tokenizer>,
        state: State<B>,
        prompt: &[u32],
        sampler: Sampler,
        config: GenerationConfig,
    ) -> Result<Self, GenerateError> {
        if prompt.is_empty() {
            return Err(GenerateError::EmptyPrompt);
        }
        let vocab = model.vocab_size();
        if let Some(&id) = prompt.iter().find(|&&id| id as usize >= vocab) {
            return Err(GenerateError::TokenOutOfVocab { id, vocab });
        }
        Ok(Self {
            model,
            tokenizer,
            sampler,
            config,
            state,
            logits: None,
            unread: prompt.to_vec(),
            chunk: PREFILL_CHUNK,
            pending: None,
            history: prompt.to_vec(),
            generated: 0,
            text: Utf8Stream::default(),
            finished: None,
            depth: None,
        })
    }

    /// Reads prompts in chunks of `chunk` tokens (at least 1) instead of [`PREFILL_CHUNK`].
    pub fn with_prefill_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    /// Whether part of the prompt is still to be read.
    pub fn prefilling(&self) -> bool {
        !self.unread.is_empty()
    }

    /// Reads the next chunk of the prompt (no device read); returns whether one was read.
    /// Sampling reads whatever is left first, so calling this is optional.
    pub fn read_prompt_chunk(&mut self) -> bool {
        if self.unread.is_empty() {
            return false;
        }
        let n = self.chunk.min(self.unread.len());
        let ids: Vec<i64> = self.unread.drain(..n).map(i64::from).collect();
        let device = self.model.device();
        let tokens = Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [1, n]), &device);
        self.logits = Some(self.model.prefill(tokens, &mut self.state));
        true
    }

    /// Samples the next token, reading the logits synchronously. `None` once finished.
    pub fn next_token(&mut self) -> Option<Result<u32, GenerateError>> {
        let logits = self.take_logits()?;
        self.choose(logits.into_data())
    }

    /// As [`Self::next_token`], awaiting the device read (for WebGPU).
    pub async fn next_token_async(&mut self) -> Option<Result<u32, GenerateError>> {
        let logits = self.take_logits()?;
        match logits.into_data_async().await {
            Ok(data) => self.choose(data),
            Err(e) => Some(Err(GenerateError::Read(format!("{e:?}")))),
        }
    }

    /// Feeds the pending token (if any) and returns the logits to sample from next.
    fn take_logits(&mut self) -> Option<Tensor<B, 2>> {
        if self.finished.is_none() && self.config.max_tokens == 0 {
            self.finished = Some(FinishReason::Length);
        }
        if self.finished.is_some() {
            return None;
        }
        while self.read_prompt_chunk() {}
        if let Some(token) = self.pending.take() {
            self.feed(token);
        }
        self.logits.take()
    }

    fn feed(&mut self, token: u32) {
        let device = self.model.device();
        let input =
            Tensor::<B, 1, Int>::from_data(TensorData::new(vec![token as i64], [1]), &device);
        self.logits = Some(self.model.step(input, &mut self.state));
        if let Some(loops) = &self.state.loops {
            let (sum, tokens) = match self.depth.take() {
                Some((sum, tokens)) => (sum + loops.clone().sum(), tokens + 1),
                None => (loops.clone().sum(), 1),
            };
            self.depth = Some((sum, tokens));
        }
    }

    /// For a model with a recurrent-depth layer, the loops it ran summed over the tokens fed
    /// after the prompt (still on the device) and their number; `None` otherwise or before the
    /// first.
    pub fn depth(&self) -> Option<(Tensor<B, 1>, usize)> {
        self.depth.clone()
    }

    fn choose(&mut self, logits: TensorData) -> Option<Result<u32, GenerateError>> {
        let values = match logits.convert::<f32>().to_vec::<f32>() {
            Ok(v) => v,
            Err(e) => return Some(Err(GenerateError::Read(format!("{e:?}")))),
        };
        let token = match self.sampler.sample(&values, &self.history) {
            Ok(t) => t,
            Err(e) => return Some(Err(e.into())),
        };
        self.history.push(token);
        self.pending = Some(token);
        if self.config.stop_tokens.contains(&token) {
            self.finished = Some(FinishReason::Stop);
            return None;
        }
        self.generated += 1;
        if self.generated >= self.config.max_tokens {
            self.finished = Some(FinishReason::Length);
        }
        Some(Ok(token))
    }

    /// The text of a sampled token, completed characters only; see [`Self::flush`].
    pub fn text_of(&mut self, token: u32) -> String {
        self.text.push(self.tokenizer.token_bytes(token))
    }

    /// Whatever text is still buffered at the end (an unfinished character becomes U+FFFD).
    pub fn flush(&mut self) -> String {
        self.text.finish()
    }

    /// Why generation finished, once it has.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finished
    }

    /// Tokens generated so far (stop token not counted).
    pub fn generated(&self) -> usize {
        self.generated
    }

    /// The state after every sampled token, the stop token included, so a later turn can
    /// [`resume`](Self::resume) from it.
    pub fn into_state(mut self) -> State<B> {
        while self.read_prompt_chunk() {}
        if let Some(token) = self.pending.take() {
            self.feed(token);
        }
        self.state
    }
}

/// Text pieces as they are generated; pieces are never empty and never split a character.
impl<B: Backend> Iterator for Generator<'_, B> {
    type Item = Result<String, GenerateError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.next_token() {
                Some(Ok(token)) => {
                    let piece = self.text_of(token);
                    if !piece.is_empty() {
                        return Some(Ok(piece));
                    }
                }
                Some(Err(e)) => return Some(Err(e)),
                None => {
                    let rest = self.flush();
                    return (!rest.is_empty()).then_some(Ok(rest));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_stream_never_splits_a_character() {
        let text = "Apa kabar? 🦜 Şükür, مرحبا";
        let bytes = text.as_bytes();
        for chunk in 1..=5 {
            let mut stream = Utf8Stream::default();
            let mut out = String::new();
            for piece in bytes.chunks(chunk) {
                let s = stream.push(piece);
                assert!(!s.contains(char::REPLACEMENT_CHARACTER));
                out.push_str(&s);
            }
            out.push_str(&stream.finish());
            assert_eq!(out, text, "chunk {chunk}");
        }
    }

    #[test]
    fn utf8_stream_replaces_invalid_bytes_and_keeps_going() {
        let mut stream = Utf8Stream::default();
        assert_eq!(stream.push(b"ab\xffcd"), "ab\u{FFFD}cd");
        assert_eq!(stream.push(b"\xf0\x9f"), "");
        assert_eq!(stream.finish(), "\u{FFFD}");
    }
}
