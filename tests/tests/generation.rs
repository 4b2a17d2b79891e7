//! End-to-end: tokenizer → chat template → generator over a checkpoint loaded from disk.

use siger::infer::generate::{FinishReason, GenerationConfig, Generator};
use siger::infer::sampling::{Sampler, SamplingConfig};
use siger::io::checkpoint::{load, save};
use siger::text::{Message, Role, Tokenizer};
use siger::{Model, ModelConfig};

type B = burn::backend::NdArray<f32>;

fn setup() -> (tempfile::TempDir, siger::io::checkpoint::Checkpoint<B>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ckpt");
    let config = ModelConfig::tiny();
    let model: Model<B> = config.init(&Default::default()).unwrap();
    let corpus = ["Halo! Apa kabar? Saya baik. Kita belajar sains hari ini. 🌱 Mari mulai."];
    let tokenizer = Tokenizer::train(corpus.into_iter().cycle().take(30), 320).unwrap();
    save(&dir, &config, &model, &tokenizer).unwrap();
    let checkpoint = load::<B>(&dir, &Default::default()).unwrap();
    (tmp, checkpoint)
}

#[test]
fn seeded_generation_is_reproducible_and_respects_limits() {
    let (_tmp, ckpt) = setup();
    let prompt = ckpt
        .tokenizer
        .encode_chat(&[Message::new(Role::User, "Halo")], true)
        .unwrap();
    let run = |seed: u64| -> (String, Vec<u32>) {
        let sampler = Sampler::new(SamplingConfig {
            temperature: 1.0,
            seed,
            ..Default::default()
        })
        .unwrap();
        let config = GenerationConfig {
            max_tokens: 12,
            stop_tokens: vec![],
        };
        let mut generator =
            Generator::new(&ckpt.model, &ckpt.tokenizer, &prompt, sampler, config).unwrap();
        let mut ids = Vec::new();
        while let Some(token) = generator.next_token() {
            ids.push(token.unwrap());
        }
        assert_eq!(generator.finish_reason(), Some(FinishReason::Length));
        (ckpt.tokenizer.decode(&ids), ids)
    };
    let (text, ids) = run(5);
    assert_eq!(ids.len(), 12);
    assert_eq!(run(5), (text, ids.clone()));
    assert_ne!(run(6).1, ids, "another seed should sample differently");
}

#[test]
fn streamed_pieces_concatenate_to_the_decoded_text() {
    let (_tmp, ckpt) = setup();
    let prompt = ckpt.tokenizer.encode("Kita belajar").unwrap();
    let sampler = Sampler::new(SamplingConfig {
        temperature: 0.8,
        seed: 1,
        ..Default::default()
    })
    .unwrap();
    let config = GenerationConfig::chat(&ckpt.tokenizer, 40);
    let pieces: Vec<String> = Generator::new(
        &ckpt.model,
        &ckpt.tokenizer,
        &prompt,
        sampler.clone(),
        config.clone(),
    )
    .unwrap()
    .map(Result::unwrap)
    .collect();
    assert!(pieces.iter().all(|p| !p.is_empty()));
    let mut generator =
        Generator::new(&ckpt.model, &ckpt.tokenizer, &prompt, sampler, config).unwrap();
    let mut ids = Vec::new();
    while let Some(t) = generator.next_token() {
        ids.push(t.unwrap());
    }
    assert_eq!(pieces.concat(), ckpt.tokenizer.decode(&ids));
}

#[test]
fn resuming_from_a_saved_state_equals_reading_everything_again() {
    let (_tmp, ckpt) = setup();
    let tok = &ckpt.tokenizer;
    let first = tok
        .encode_chat(&[Message::new(Role::User, "Halo")], true)
        .unwrap();
    let greedy = || GenerationConfig {
        max_tokens: 6,
        stop_tokens: vec![],
    };
    let mut turn = Generator::new(&ckpt.model, tok, &first, Sampler::greedy(), greedy()).unwrap();
    let mut reply = Vec::new();
    while let Some(t) = turn.next_token() {
        reply.push(t.unwrap());
    }
    let state = turn.into_state();

    let second = tok
        .encode_chat(&[Message::new(Role::User, "Lagi")], true)
        .unwrap();
    let resumed: Vec<u32> = {
        let mut g = Generator::resume(
            &ckpt.model,
            tok,
            state,
            &second,
            Sampler::greedy(),
            greedy(),
        )
        .unwrap();
        std::iter::from_fn(|| g.next_token())
            .map(Result::unwrap)
            .collect()
    };
    let whole: Vec<u32> = first.iter().chain(&reply).chain(&second).copied().collect();
    let reread: Vec<u32> = {
        let mut g = Generator::new(&ckpt.model, tok, &whole, Sampler::greedy(), greedy()).unwrap();
        std::iter::from_fn(|| g.next_token())
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(resumed, reread);
}

#[test]
fn zero_max_tokens_generates_nothing() {
    let (_tmp, ckpt) = setup();
    let config = GenerationConfig {
        max_tokens: 0,
        stop_tokens: vec![],
    };
    let prompt = ckpt.tokenizer.encode("Halo").unwrap();
    let mut g = Generator::new(
        &ckpt.model,
        &ckpt.tokenizer,
        &prompt,
        Sampler::greedy(),
        config,
    )
    .unwrap();
    assert!(g.next_token().is_none());
    assert_eq!(g.finish_reason(), Some(FinishReason::Length));
}

#[test]
fn bad_prompts_are_errors() {
    let (_tmp, ckpt) = setup();
    let config = GenerationConfig::chat(&ckpt.tokenizer, 4);
    let err = |prompt: &[u32]| {
        Generator::new(
            &ckpt.model,
            &ckpt.tokenizer,
            prompt,
            Sampler::greedy(),
            config.clone(),
        )
        .err()
    };
    assert!(matches!(
        err(&[]),
        Some(siger::infer::generate::GenerateError::EmptyPrompt)
    ));
    assert!(matches!(
        err(&[1, 99_999]),
        Some(siger::infer::generate::GenerateError::TokenOutOfVocab { id: 99_999, .. })
    ));
}
