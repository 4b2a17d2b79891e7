//! The golden decode: the shipped demo model's int4 bundle (`models/siger-demo`, which
//! `pkg-scripts/build-web` serves)
//! greedily answers fixed prompts with exactly the token ids in
//! `tests/reference/golden-demo.json`, natively on the CPU. The browser test
//! (`crate/tests/wasm_golden.rs`) holds WebGPU and CPU-wasm to the same ids.
//! `SIGER_BLESS=1 cargo test -p siger-tests --test golden` rewrites the file after a deliberate
//! change to the model or the decoder.

use siger::infer::generate::{GenerationConfig, Generator};
use siger::infer::sampling::Sampler;
use siger::io::checkpoint::load;
use siger::text::{Message, Role};

type B = burn::backend::NdArray<f32>;

const PROMPTS: [&str; 3] = [
    "Apa itu fotosintesis?",
    "Bagaimana cara belajar matematika?",
    "Halo!",
];
const MAX_TOKENS: usize = 12;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_demo_int4_bundle_decodes_the_golden_ids() {
    let device = Default::default();
    let bundle = load::<B>(&root().join("models/siger-demo"), &device).unwrap();
    let quant = &bundle.manifest.quantization;
    assert!(
        quant.values().any(|q| q.scheme == "int4"),
        "models/siger-demo is not an int4 bundle"
    );
    let cases: Vec<serde_json::Value> = PROMPTS
        .iter()
        .map(|prompt| {
            let ids = bundle
                .tokenizer
                .encode_chat(&[Message::new(Role::User, *prompt)], true)
                .unwrap();
            let config = GenerationConfig::chat(&bundle.tokenizer, MAX_TOKENS);
            let tok = &bundle.tokenizer;
            let mut generator =
                Generator::new(&bundle.model, tok, &ids, Sampler::greedy(), config).unwrap();
            let out: Vec<u32> = std::iter::from_fn(|| generator.next_token())
                .map(Result::unwrap)
                .collect();
            serde_json::json!({ "prompt": prompt, "ids": out })
        })
        .collect();
    let golden = serde_json::json!({
        "model": "models/siger-demo, the int4 bundle (block 32, f16 scales)",
        "decode": "greedy, chat template, one user message",
        "max_tokens": MAX_TOKENS,
        "cases": cases,
    });
    let path = root().join("tests/reference/golden-demo.json");
    if std::env::var("SIGER_BLESS").is_ok() {
        std::fs::write(&path, serde_json::to_string_pretty(&golden).unwrap() + "\n").unwrap();
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        golden,
        expected,
        "native decode differs from {}",
        path.display()
    );
    assert!(
        cases
            .iter()
            .all(|c| !c["ids"].as_array().unwrap().is_empty())
    );
}
