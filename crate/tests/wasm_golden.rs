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

/// The WebGPU device, set up on first use: cubecl registers one server per device and page,
/// and a second setup panics.
async fn webgpu() -> burn::backend::wgpu::WgpuDevice {
    use burn::backend::wgpu::{WgpuDevice, graphics::WebGpu, init_setup_async};
    use std::sync::atomic::{AtomicBool, Ordering};
    static SET_UP: AtomicBool = AtomicBool::new(false);
    let device = WgpuDevice::default();
    if !SET_UP.swap(true, Ordering::SeqCst) {
        init_setup_async::<WebGpu>(&device, Default::default()).await;
    }
    device
}

#[wasm_bindgen_test]
async fn golden_ids_on_webgpu() {
    use burn::backend::wgpu::Wgpu;
    let device = webgpu().await;
    // WebGPU holds quantized matrices as burn's quantized tensors, never as host kernels.
    assert_eq!(Placement::for_backend::<Wgpu>(&device), Placement::Device);
    assert!(!Placement::runs_host_kernels::<Wgpu>(&device));
    check::<Wgpu>(&device, siger::ExpertDispatch::Dense).await;
}

/// A model with an attention layer (its key/value cache growing on the device) reads a prompt
/// and then steps on WebGPU to the logits the CPU backend computes, from the same int8 bundle.
#[wasm_bindgen_test]
async fn a_hybrid_bundle_prefills_and_steps_on_webgpu_as_on_the_cpu() {
    use siger::model::AttentionConfig;
    let attention = AttentionConfig::new()
        .with_layers(vec![1])
        .with_heads(2)
        .with_head_dim(16)
        .with_kv_rank(16)
        .with_rope_dim(8);
    let config = siger::ModelConfig::tiny().with_attention(Some(attention));
    webgpu_matches_cpu(config, |_| {}).await;
}

/// A model with a recurrent-depth layer: WebGPU runs every loop masked (no read of the halting
/// decision), the CPU stops each token when it halts; logits and loops per token agree.
#[wasm_bindgen_test]
async fn a_recurrent_bundle_loops_on_webgpu_as_on_the_cpu() {
    use burn::module::Param;
    use burn::tensor::Tensor;
    use siger::model::RecurrentConfig;
    let recurrent = RecurrentConfig::new().with_layer(1).with_max_loops(4);
    let config = siger::ModelConfig::tiny().with_recurrent(Some(recurrent));
    // A halting unit that stops tokens after different numbers of loops (a fresh one stops
    // every token at the same loop).
    let loops = webgpu_matches_cpu(config, |model| {
        let halting = model.halting.as_mut().unwrap();
        let device = halting.weight.device();
        let w: Vec<f32> = (0..32).map(|i| (i as f32 * 0.618).sin() * 4.0).collect();
        halting.weight = Param::from_tensor(Tensor::from_floats(w.as_slice(), &device));
        halting.bias = Param::from_tensor(Tensor::from_floats([-0.5], &device));
    })
    .await;
    let (min, max) = loops
        .iter()
        .fold((f32::MAX, 0f32), |(a, b), &v| (a.min(v), b.max(v)));
    assert!(
        1.0 <= min && min < max && max <= 4.0,
        "loops per token {loops:?}"
    );
}

/// A conditioned model pools a topic and a context through the bundle's embedding on WebGPU
/// and adds the vector to every token as the CPU does.
#[wasm_bindgen_test]
async fn a_conditioned_bundle_reads_its_topic_on_webgpu_as_on_the_cpu() {
    use burn::module::Param;
    use burn::tensor::Tensor;
    use siger::model::ConditioningConfig;
    let config = siger::ModelConfig::tiny().with_conditioning(Some(ConditioningConfig::new()));
    webgpu_matches_cpu(config, |model| {
        let conditioning = model.conditioning.as_mut().unwrap();
        let device = conditioning.topic.device();
        let w: Vec<f32> = (0..32 * 32)
            .map(|i| (i as f32 * 0.37).sin() * 0.3)
            .collect();
        let w = Tensor::<_, 1>::from_floats(w.as_slice(), &device).reshape([32, 32]);
        conditioning.topic = Param::from_tensor(w.clone());
        conditioning.context = Param::from_tensor(w.transpose());
    })
    .await;
}

/// Builds `config` (3 layers on the demo's vocabulary, `adjust`ed on the CPU), exports it as an
/// int8 bundle, and holds the logits of a prefill and three steps on WebGPU to the CPU's.
/// Returns the CPU's loops per token (empty without a recurrent-depth layer), which WebGPU's
/// must equal.
async fn webgpu_matches_cpu(
    config: siger::ModelConfig,
    adjust: impl FnOnce(&mut siger::Model<burn::backend::NdArray<f32>>),
) -> Vec<f32> {
    use burn::backend::wgpu::Wgpu;
    use burn::tensor::{Int, Tensor, TensorData};
    use siger::io::checkpoint::checkpoint_files;
    use siger::quant::{QuantOptions, QuantScheme};
    type Cpu = burn::backend::NdArray<f32>;
    let cpu = Default::default();
    Cpu::seed(&cpu, 5);
    let tokenizer =
        siger::text::Tokenizer::from_json(include_bytes!("../../models/siger-demo/tokenizer.json"))
            .unwrap();
    let config = config
        .with_n_layers(3)
        .with_vocab_size(tokenizer.vocab_size())
        .with_init_std(0.3);
    let mut model = config.init::<Cpu>(&cpu).unwrap();
    adjust(&mut model);
    let options = Some(QuantOptions::new(QuantScheme::Int8));
    let files = checkpoint_files(&config, &model, &tokenizer, options).unwrap();

    let gpu = webgpu().await;
    // Dense expert dispatch, as the web engine runs WebGPU: gathering reads routes back.
    let on_gpu = load_files::<Wgpu>(&files, &gpu)
        .unwrap()
        .model
        .with_dispatch(siger::ExpertDispatch::Dense);
    let on_cpu = load_files::<Cpu>(&files, &cpu).unwrap().model;
    let prompt = [1i64, 50, 900, 7, 3000];
    let steps = [12i64, 400, 77];
    async fn run<B: Backend>(
        model: &siger::Model<B>,
        prompt: &[i64],
        steps: &[i64],
        device: &B::Device,
    ) -> (Vec<f32>, Vec<f32>) {
        let ids = TensorData::new(prompt.to_vec(), [1, prompt.len()]);
        let mut state = model.zero_state(1, device);
        let topic = siger::text::ConditionIds {
            topic: vec![5, 900, 41],
            context: vec![7, 3000],
        };
        if let Some(condition) = model.condition(&[topic]) {
            state.condition = Some(condition);
        }
        let mut logits =
            vec![model.prefill(Tensor::<B, 2, Int>::from_data(ids, device), &mut state)];
        let mut loops: Vec<Tensor<B, 2>> = state.loops.iter().cloned().collect();
        for &id in steps {
            let token = Tensor::<B, 1, Int>::from_data(TensorData::new(vec![id], [1]), device);
            logits.push(model.step(token, &mut state));
            loops.extend(state.loops.clone());
        }
        let all = Tensor::cat(logits, 0).into_data_async().await.unwrap();
        let loops = match loops.is_empty() {
            true => Vec::new(),
            false => {
                let data = Tensor::cat(loops, 1).into_data_async().await.unwrap();
                data.to_vec::<f32>().unwrap()
            }
        };
        (all.to_vec::<f32>().unwrap(), loops)
    }
    let (expected, expected_loops) = run(&on_cpu, &prompt, &steps, &cpu).await;
    let (found, found_loops) = run(&on_gpu, &prompt, &steps, &gpu).await;
    let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = expected
        .iter()
        .zip(&found)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(scale > 1.0, "degenerate logits (scale {scale})");
    assert!(
        diff <= 1e-3 * scale,
        "WebGPU differs from the CPU by {diff} (scale {scale})"
    );
    assert_eq!(found_loops, expected_loops, "loops per token");
    expected_loops
}
