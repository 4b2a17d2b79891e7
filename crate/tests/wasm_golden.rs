//! The golden decode in the browser: the demo model's int4 bundle greedily answers the fixed
//! prompts of `tests/reference/golden-demo.json` with exactly the native CPU path's token ids,
//! on WebGPU (SwiftShader in headless Chromium) and on the CPU backend in wasm.
//! Run: `pkg-scripts/test` (needs `--features wgpu`; SwiftShader is slow, so the runner's
//! timeout is raised there).
#![cfg(all(target_arch = "wasm32", feature = "wgpu"))]

use burn::tensor::backend::Backend;
use siger::infer::generate::{GenerationConfig, Generator};
use siger::infer::sampling::Sampler;
use siger::io::checkpoint::{CheckpointFiles, load_files};
use siger::ops::placement::Placement;
use siger::text::{Message, Role};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("../../tests/reference/golden-demo.json");

/// The committed int4 bundle, the files `pkg-scripts/build-web` serves.
fn int4_bundle() -> CheckpointFiles {
    CheckpointFiles {
        manifest: include_bytes!("../../models/siger-demo/manifest.json").to_vec(),
        config: include_bytes!("../../models/siger-demo/config.json").to_vec(),
        weights: include_bytes!("../../models/siger-demo/model.safetensors").to_vec(),
        tokenizer: include_bytes!("../../models/siger-demo/tokenizer.json").to_vec(),
    }
}

async fn check<B: Backend>(device: &B::Device, dispatch: siger::ExpertDispatch) {
    let golden: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    let bundle = load_files::<B>(&int4_bundle(), device).unwrap();
    let model = bundle.model.with_dispatch(dispatch);
    let tok = &bundle.tokenizer;
    let max_tokens = golden["max_tokens"].as_u64().unwrap() as usize;
    for case in golden["cases"].as_array().unwrap() {
        let prompt = case["prompt"].as_str().unwrap();
        let ids = tok
            .encode_chat(&[Message::new(Role::User, prompt)], true)
            .unwrap();
        let config = GenerationConfig::chat(tok, max_tokens);
        let mut generator = Generator::new(&model, tok, &ids, Sampler::greedy(), config).unwrap();
        let mut out = Vec::new();
        while let Some(id) = generator.next_token_async().await {
            out.push(serde_json::Value::from(id.unwrap()));
        }
        assert_eq!(
            &serde_json::Value::Array(out),
            &case["ids"],
            "prompt {prompt:?}"
        );
    }
}

#[wasm_bindgen_test]
async fn golden_ids_on_the_cpu_backend_in_wasm() {
    type Cpu = burn::backend::NdArray<f32>;
    assert_eq!(
        Placement::for_backend::<Cpu>(&Default::default()),
        Placement::Host
    );
    check::<Cpu>(&Default::default(), siger::ExpertDispatch::Gather).await;
}

#[wasm_bindgen_test]
async fn golden_ids_on_webgpu() {
    use burn::backend::wgpu::{Wgpu, WgpuDevice, graphics::WebGpu, init_setup_async};
    let device = WgpuDevice::default();
    init_setup_async::<WebGpu>(&device, Default::default()).await;
    // WebGPU holds quantized matrices as burn's quantized tensors, never as host kernels.
    assert_eq!(Placement::for_backend::<Wgpu>(&device), Placement::Device);
    assert!(!Placement::runs_host_kernels::<Wgpu>(&device));
    check::<Wgpu>(&device, siger::ExpertDispatch::Dense).await;
}
