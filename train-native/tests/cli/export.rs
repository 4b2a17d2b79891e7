//! `export`: f32 and int4 bundles that load and decode, and no re-quantizing a quantized one.

use std::path::Path;

use siger::infer::generate::{GenerationConfig, Generator};
use siger::infer::sampling::Sampler;
use siger::io::checkpoint;

use crate::{arg, ok, siger_train, trained_run};

type B = burn::backend::NdArray<f32>;

/// Greedy ids the bundle at `dir` generates after "Air mendidih", at most `max_tokens`.
fn greedy_tokens(dir: &Path, max_tokens: usize) -> Vec<u32> {
    let loaded = checkpoint::load::<B>(dir, &Default::default()).unwrap();
    let prompt = loaded.tokenizer.encode("Air mendidih").unwrap();
    let config = GenerationConfig {
        max_tokens,
        stop_tokens: vec![],
    };
    let mut generator = Generator::new(
        &loaded.model,
        &loaded.tokenizer,
        &prompt,
        Sampler::greedy(),
        config,
    )
    .unwrap();
    std::iter::from_fn(|| generator.next_token())
        .map(Result::unwrap)
        .collect()
}

#[test]
fn an_f32_bundle_loads_and_generates() {
    let (ws, run) = trained_run();
    let bundle = ws.tmp.path().join("bundle");
    ok(&siger_train(&[
        "export",
        "--model",
        arg(&run),
        "--out",
        arg(&bundle),
    ]));
    assert_eq!(greedy_tokens(&bundle, 5).len(), 5);
}

#[test]
fn an_int4_bundle_loads_generates_and_is_not_quantized_again() {
    let (ws, run) = trained_run();
    let int4 = ws.tmp.path().join("bundle-int4");
    let said = ok(&siger_train(&[
        "export",
        "--model",
        arg(&run),
        "--out",
        arg(&int4),
        "--quant",
        "int4",
    ]));
    assert!(said.contains("int4 bundle written"), "{said}");
    let loaded = checkpoint::load::<B>(&int4, &Default::default()).unwrap();
    assert!(
        loaded
            .manifest
            .quantization
            .values()
            .any(|q| q.scheme == "int4")
    );
    assert_eq!(greedy_tokens(&int4, 5).len(), 5);
    let again = siger_train(&[
        "export",
        "--model",
        arg(&int4),
        "--out",
        arg(&ws.tmp.path().join("x")),
        "--quant",
        "int8",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a quantized bundle"));
}
