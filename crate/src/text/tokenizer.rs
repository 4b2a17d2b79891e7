//! Byte-level BPE tokenizer (HF `tokenizers`), Siger's special tokens and the chat template.
//!
//! Text is always encoded as plain text: a user who types `<|assistant|>` gets those characters,
//! never the control token. Control tokens enter a prompt only through the chat template
//! (`chat_template.rs`).

use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::models::{ModelWrapper, TrainerWrapper};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{
    AddedToken, DecoderWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper,
    TokenizerImpl,
};

/// Siger's special tokens, in id order (ids 0–8 in a tokenizer trained here).
pub const SPECIAL_TOKENS: [&str; 9] = [
    "<|endoftext|>",
    "<|pad|>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|end_turn|>",
    "<|id|>",
    "<|en|>",
    "<|lpg|>",
];

/// Why a tokenizer could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// `tokenizer.json` could not be parsed.
    #[error("tokenizer.json is not a valid tokenizer: {0}")]
    Parse(String),
    /// A special token is missing or not a single id.
    #[error("tokenizer lacks the special token {0} as a single id; it was not made for Siger")]
    MissingSpecial(&'static str),
    /// Training failed.
    #[error("tokenizer training failed: {0}")]
    Train(String),
    /// A token id is beyond what the model's vocabulary (or any real tokenizer) holds.
    #[error(
        "tokenizer.json has token id {id}, but the model's vocabulary has {vocab} ids: it belongs to another model"
    )]
    IdOutOfRange {
        /// The largest id found.
        id: u64,
        /// Ids allowed (0..vocab).
        vocab: u64,
    },
    /// Encoding text failed inside the tokenizer (e.g. a third-party file without its unknown
    /// token): the text is not silently dropped.
    #[error("the tokenizer could not encode the text: {0}")]
    Encode(String),
    /// Vocabulary too small to hold the bytes and special tokens.
    #[error("vocab size {0} is too small: a byte-level tokenizer needs at least {min}", min = MIN_VOCAB)]
    VocabTooSmall(usize),
}

/// The most ids a tokenizer loaded without a model's vocabulary to bound it may have
/// (2^24: far beyond any real vocabulary, small enough to size a table by).
pub const MAX_TOKEN_IDS: u64 = 1 << 24;

/// 256 byte symbols plus the special tokens.
pub const MIN_VOCAB: usize = 256 + SPECIAL_TOKENS.len();

/// Ids of the special tokens in one tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialIds {
    /// `<|endoftext|>`: end of a document.
    pub end_of_text: u32,
    /// `<|pad|>`: padding.
    pub pad: u32,
    /// `<|system|>`: starts a system message.
    pub system: u32,
    /// `<|user|>`: starts a user message.
    pub user: u32,
    /// `<|assistant|>`: starts an assistant message.
    pub assistant: u32,
    /// `<|end_turn|>`: ends any message.
    pub end_turn: u32,
    /// `<|id|>`: Indonesian.
    pub lang_id: u32,
    /// `<|en|>`: English.
    pub lang_en: u32,
    /// `<|lpg|>`: Lampung.
    pub lang_lpg: u32,
}

/// The tokenizer with Siger's conventions.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    special: SpecialIds,
    /// The raw bytes each id stands for (empty for special tokens).
    token_bytes: Vec<Vec<u8>>,
}

impl Tokenizer {
    /// Trains a byte-level BPE tokenizer of `vocab_size` ids on `texts`.
    pub fn train<I, S>(texts: I, vocab_size: usize) -> Result<Self, TokenizerError>
    where
        I: Iterator<Item = S> + Send,
        S: AsRef<str> + Send,
    {
        if vocab_size < MIN_VOCAB {
            return Err(TokenizerError::VocabTooSmall(vocab_size));
        }
        let specials = SPECIAL_TOKENS
            .iter()
            .map(|t| AddedToken::from(*t, true))
            .collect();
        let mut trainer = TrainerWrapper::BpeTrainer(
            BpeTrainerBuilder::new()
                .vocab_size(vocab_size)
                .min_frequency(2)
                .show_progress(false)
                .special_tokens(specials)
                .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
                .build(),
        );
        let byte_level = ByteLevel::new(false, false, true);
        let mut inner: TokenizerImpl<
            ModelWrapper,
            NormalizerWrapper,
            PreTokenizerWrapper,
            PostProcessorWrapper,
            DecoderWrapper,
        > = TokenizerImpl::new(ModelWrapper::BPE(BPE::default()));
        inner
            .with_pre_tokenizer(Some(PreTokenizerWrapper::ByteLevel(byte_level)))
            .with_decoder(Some(DecoderWrapper::ByteLevel(byte_level)));
        inner
            .train(&mut trainer, texts)
            .map_err(|e| TokenizerError::Train(e.to_string()))?;
        Self::from_inner(tokenizers::Tokenizer::from(inner), MAX_TOKEN_IDS)
    }

    /// Loads a `tokenizer.json` (ids bounded by [`MAX_TOKEN_IDS`]).
    pub fn from_json(json: &[u8]) -> Result<Self, TokenizerError> {
        Self::from_json_bounded(json, MAX_TOKEN_IDS)
    }

    /// Loads a `tokenizer.json` whose ids must all be below `vocab` (the model's vocabulary),
    /// checked before any table is sized by them.
    pub fn from_json_bounded(json: &[u8], vocab: u64) -> Result<Self, TokenizerError> {
        // tokenizers 0.22 panics (`expect("Helper")`) on a JSON syntax error inside the decoder
        // section, which in wasm traps the engine: check the syntax first. Found by siger-fuzz.
        serde_json::from_slice::<serde_json::Value>(json)
            .map_err(|e| TokenizerError::Parse(e.to_string()))?;
        let inner = tokenizers::Tokenizer::from_bytes(json)
            .map_err(|e| TokenizerError::Parse(e.to_string()))?;
        Self::from_inner(inner, vocab.min(MAX_TOKEN_IDS))
    }

    /// Serialises to `tokenizer.json` form.
    pub fn to_json(&self) -> String {
        self.inner
            .to_string(false)
            .expect("a loaded tokenizer serialises")
    }

    fn from_inner(mut inner: tokenizers::Tokenizer, vocab: u64) -> Result<Self, TokenizerError> {
        inner.set_encode_special_tokens(true);
        // Ids may have gaps in a third-party file: the table is sized by the largest id, so
        // that id is bounded first (in u64: `u32::MAX + 1` would wrap a 32-bit usize).
        let largest = inner
            .get_vocab(true)
            .values()
            .max()
            .map_or(0, |&m| u64::from(m));
        if largest >= vocab {
            return Err(TokenizerError::IdOutOfRange { id: largest, vocab });
        }
        let id = |token: &'static str| {
            inner
                .token_to_id(token)
                .ok_or(TokenizerError::MissingSpecial(token))
        };
        let special = SpecialIds {
            end_of_text: id(SPECIAL_TOKENS[0])?,
            pad: id(SPECIAL_TOKENS[1])?,
            system: id(SPECIAL_TOKENS[2])?,
            user: id(SPECIAL_TOKENS[3])?,
            assistant: id(SPECIAL_TOKENS[4])?,
            end_turn: id(SPECIAL_TOKENS[5])?,
            lang_id: id(SPECIAL_TOKENS[6])?,
            lang_en: id(SPECIAL_TOKENS[7])?,
            lang_lpg: id(SPECIAL_TOKENS[8])?,
        };
        let unicode_to_byte = byte_level_decoding_table();
        let size = largest as u32 + 1;
        let token_bytes = (0..size)
            .map(|id| match inner.id_to_token(id) {
                Some(t) if SPECIAL_TOKENS.contains(&t.as_str()) => Vec::new(),
                Some(t) => t.chars().filter_map(&unicode_to_byte).collect(),
                None => Vec::new(),
            })
            .collect();
        Ok(Self {
            inner,
            special,
            token_bytes,
        })
    }

    /// Number of ids, special tokens included.
    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// The special tokens' ids.
    pub fn special(&self) -> SpecialIds {
        self.special
    }

    /// Encodes plain text; special-token spellings in it stay plain text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        self.inner
            .encode(text, false)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|e| TokenizerError::Encode(e.to_string()))
    }

    /// The raw bytes of one id (empty for special tokens and unknown ids).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.token_bytes.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// Decodes ids to text, dropping special tokens; invalid UTF-8 becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .flat_map(|&id| self.token_bytes(id).iter().copied())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The inverse of GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the other 68
/// to U+0100 onwards, in byte order.
fn byte_level_decoding_table() -> impl Fn(char) -> Option<u8> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut table = std::collections::HashMap::with_capacity(256);
    let mut next = 0u32;
    for b in 0..=255u8 {
        let c = if printable(b) {
            char::from(b)
        } else {
            next += 1;
            char::from_u32(255 + next).expect("U+0100..U+0143 are chars")
        };
        table.insert(c, b);
    }
    move |c| table.get(&c).copied()
}

#[cfg(test)]
mod tests {

    /// A syntax error inside the decoder section once panicked inside tokenizers (found by
    /// `siger-fuzz`); it is a parse error now.
    #[test]
    fn a_syntax_error_in_the_decoder_is_an_error_not_a_panic() {
        let corpus = ["Selamat pagi, apa kabar?", "Tabik pun."];
        let json = Tokenizer::train(corpus.iter().cycle().take(20).copied(), 280)
            .unwrap()
            .to_json();
        let at = json.find("\"decoder\"").expect("a decoder section");
        let broken = format!(
            "{}\"decoder\":{{\"type\" \"ByteLevel\"{}",
            &json[..at],
            &json[at + 10..]
        );
        let err = Tokenizer::from_json(broken.as_bytes()).unwrap_err();
        assert!(matches!(err, TokenizerError::Parse(_)), "{err}");
    }

    use super::*;
    use crate::text::{Message, Role};

    pub(crate) fn sample_tokenizer() -> Tokenizer {
        let corpus = [
            "Selamat pagi, apa kabar? Saya belajar matematika dan ilmu pengetahuan alam.",
            "Nyak haga belajagh. Tabik pun! Api kabagh?",
            "The quick brown fox jumps over the lazy dog.",
        ];
        let texts = corpus.iter().cycle().take(60).copied();
        Tokenizer::train(texts, 400).expect("training")
    }

    #[test]
    fn round_trips_arbitrary_utf8() {
        let tok = sample_tokenizer();
        for text in [
            "Selamat pagi, Bu Guru!",
            "Nyak haga mulang, tabik pun.",
            "مرحبا بالعالم",
            "emoji 🦜🇮🇩 and a ZWJ 👩‍🏫",
            "tabs\tand\nnewlines  double  spaces ",
            "<|user|> typed by a user stays text",
            "",
        ] {
            let ids = tok.encode(text).unwrap();
            assert_eq!(tok.decode(&ids), text, "ids {ids:?}");
        }
    }

    #[test]
    fn special_tokens_are_single_ids_in_order() {
        let tok = sample_tokenizer();
        for (i, token) in SPECIAL_TOKENS.iter().enumerate() {
            assert_eq!(tok.inner.token_to_id(token), Some(i as u32), "{token}");
        }
        // In plain text they are not control ids.
        assert!(
            !tok.encode("<|end_turn|>")
                .unwrap()
                .contains(&tok.special().end_turn)
        );
    }

    #[test]
    fn chat_template_is_exact() {
        let messages = [
            Message::new(Role::System, "Kamu tutor."),
            Message::new(Role::User, "Halo"),
            Message::new(Role::Assistant, "Halo juga!"),
            Message::new(Role::User, "Apa itu fotosintesis?"),
        ];
        let text = Tokenizer::render_chat(&messages, true);
        assert_eq!(
            text,
            "<|system|>Kamu tutor.<|end_turn|>\n<|user|>Halo<|end_turn|>\n\
             <|assistant|>Halo juga!<|end_turn|>\n<|user|>Apa itu fotosintesis?<|end_turn|>\n<|assistant|>"
        );
        let tok = sample_tokenizer();
        let ids = tok.encode_chat(&messages, true).unwrap();
        let s = tok.special();
        assert_eq!(ids[0], s.system);
        assert_eq!(*ids.last().unwrap(), s.assistant);
        assert_eq!(ids.iter().filter(|&&i| i == s.end_turn).count(), 4);
    }

    #[test]
    fn training_mask_covers_exactly_the_assistant_tokens() {
        let tok = sample_tokenizer();
        let messages = [
            Message::new(Role::System, "Kamu tutor."),
            Message::new(Role::User, "Halo"),
            Message::new(Role::Assistant, "Halo juga!"),
        ];
        let (ids, mask) = tok.encode_chat_for_training(&messages).unwrap();
        assert_eq!(ids, tok.encode_chat(&messages, false).unwrap());
        let learned: Vec<u32> = ids
            .iter()
            .zip(&mask)
            .filter(|(_, m)| **m == 1)
            .map(|(i, _)| *i)
            .collect();
        let mut expected = tok.encode("Halo juga!").unwrap();
        expected.push(tok.special().end_turn);
        assert_eq!(learned, expected);
    }

    #[test]
    fn json_round_trip_and_bad_input() {
        let tok = sample_tokenizer();
        let back = Tokenizer::from_json(tok.to_json().as_bytes()).unwrap();
        assert_eq!(
            back.encode("Selamat pagi").unwrap(),
            tok.encode("Selamat pagi").unwrap()
        );
        assert!(matches!(
            Tokenizer::from_json(b"{not json"),
            Err(TokenizerError::Parse(_))
        ));
        assert!(matches!(
            Tokenizer::train(["a"].into_iter(), 10),
            Err(TokenizerError::VocabTooSmall(10))
        ));
    }
}
