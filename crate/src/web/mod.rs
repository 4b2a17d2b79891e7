//! The browser bindings (wasm-bindgen): one `Engine` over a [`Chat`], on WebGPU or on the CPU
//! backend in wasm. Thin by design: the model, sampling, sessions and translation are the
//! core's; this module only moves bytes and JSON across the JS boundary. `www/siger.js` runs it
//! in a Web Worker.
//!
//! No synchronous device read happens on the WebGPU path: the engine uses dense expert
//! dispatch there and reads one logits vector per token asynchronously.

use burn::backend::NdArray;
use burn::backend::wgpu::{Wgpu, WgpuDevice, graphics::WebGpu, init_setup_async};
use burn::tensor::backend::Backend;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::ExpertDispatch;
use crate::infer::chat::{Chat, ReplyOptions};
use crate::io::checkpoint::{self, CheckpointFiles, WEIGHTS_FILE};
use crate::quant::{QuantOptions, QuantScheme};
use crate::text::Message;

mod library;
mod translator;
pub use library::Library;
pub use translator::Translator;

/// A chat on one of the two backends.
enum Runtime {
    Cpu(Chat<NdArray<f32>>),
    Gpu(Chat<Wgpu>),
}

/// Runs `$body` with `$chat` bound to the runtime's chat, whichever backend it is on.
macro_rules! with_chat {
    ($runtime:expr, $chat:ident => $body:expr) => {
        match $runtime {
            Runtime::Cpu($chat) => $body,
            Runtime::Gpu($chat) => $body,
        }
    };
}

/// What `Engine.info()` returns.
#[derive(Serialize)]
struct Info {
    backend: &'static str,
    vocab_size: usize,
    parameters: u64,
    quantization: String,
}

/// A loaded model with its conversation, as JavaScript sees it.
#[wasm_bindgen]
pub struct Engine {
    runtime: Runtime,
    info: Info,
}

/// The largest model the browser engine loads: 2^30 parameters (4 GiB as f32) is already all a
/// wasm32 memory can address, so a bigger config is refused before anything is allocated.
const MAX_PARAMETERS: u64 = 1 << 30;

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The model's weights format: `f32`, or the widest quantized scheme in the bundle.
fn format_of(manifest: &checkpoint::Manifest) -> String {
    let schemes = manifest.quantization.values().map(|q| q.scheme.as_str());
    if manifest.quantization.is_empty() {
        "f32".into()
    } else if schemes.clone().any(|s| s == "int4") {
        "int4".into()
    } else {
        "int8".into()
    }
}

fn load_chat<B: Backend>(
    files: &CheckpointFiles,
    device: &B::Device,
    dispatch: ExpertDispatch,
) -> Result<(Chat<B>, checkpoint::Manifest), JsError> {
    let options = checkpoint::LoadOptions {
        max_parameters: Some(MAX_PARAMETERS),
    };
    let ckpt = checkpoint::load_files_with::<B>(files, device, &options).map_err(js_error)?;
    let weights_id = ckpt
        .manifest
        .files
        .get(WEIGHTS_FILE)
        .map(|f| f.sha256.clone())
        .unwrap_or_default();
    let model = ckpt.model.with_dispatch(dispatch);
    Ok((Chat::new(model, ckpt.tokenizer, weights_id), ckpt.manifest))
}

thread_local! {
    static WEBGPU_READY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[wasm_bindgen]
impl Engine {
    /// Verifies and loads a model from its files' bytes on `backend` (`"webgpu"` or `"cpu"`).
    /// Check that a WebGPU adapter exists before asking for `"webgpu"`.
    pub async fn load(
        backend: String,
        manifest: Vec<u8>,
        config: Vec<u8>,
        weights: Vec<u8>,
        tokenizer: Vec<u8>,
    ) -> Result<Engine, JsError> {
        console_error_panic_hook::set_once();
        let files = CheckpointFiles {
            manifest,
            config,
            weights,
            tokenizer,
        };
        let (runtime, manifest, name) = match backend.as_str() {
            "cpu" => {
                let (chat, manifest) =
                    load_chat(&files, &Default::default(), ExpertDispatch::Gather)?;
                (Runtime::Cpu(chat), manifest, "cpu")
            }
            "webgpu" => {
                let device = WgpuDevice::default();
                if !WEBGPU_READY.get() {
                    init_setup_async::<WebGpu>(&device, Default::default()).await;
                    WEBGPU_READY.set(true);
                }
                let (chat, manifest) = load_chat(&files, &device, ExpertDispatch::Dense)?;
                (Runtime::Gpu(chat), manifest, "webgpu")
            }
            other => {
                return Err(JsError::new(&format!(
                    "unknown backend `{other}`: use \"webgpu\" or \"cpu\""
                )));
            }
        };
        let vocab_size = with_chat!(&runtime, c => c.model().vocab_size());
        let info = Info {
            backend: name,
            vocab_size,
            parameters: manifest.parameters.total,
            quantization: format_of(&manifest),
        };
        Ok(Engine { runtime, info })
    }

    /// `"webgpu"` or `"cpu"`.
    pub fn backend(&self) -> String {
        self.info.backend.to_string()
    }

    /// `{backend, vocab_size, parameters, quantization}`.
    pub fn info(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.info).map_err(js_error)
    }

    /// Starts a reply to `messages` (`[{role, content}]`, the whole conversation) with
    /// `options` (`{temperature, top_p, top_k, repetition_penalty, seed, max_tokens}`, each
    /// optional). Returns `{reused_messages, prompt_tokens}`.
    pub fn start(&mut self, messages: JsValue, options: JsValue) -> Result<JsValue, JsError> {
        let messages: Vec<Message> = serde_wasm_bindgen::from_value(messages)
            .map_err(|e| JsError::new(&format!("messages: {e}")))?;
        let options: ReplyOptions = if options.is_undefined() || options.is_null() {
            ReplyOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| JsError::new(&format!("options: {e}")))?
        };
        let started =
            with_chat!(&mut self.runtime, c => c.start(&messages, &options)).map_err(js_error)?;
        serde_wasm_bindgen::to_value(&started).map_err(js_error)
    }

    /// The next piece of the reply (possibly empty), or `undefined` once it is finished.
    pub async fn next(&mut self) -> Result<Option<String>, JsError> {
        let piece = with_chat!(&mut self.runtime, c => c.next().await);
        piece.transpose().map_err(js_error)
    }

    /// `"stop"`, `"length"` or `"abort"` once the reply has finished.
    pub fn finish_reason(&self) -> Option<String> {
        let finish = with_chat!(&self.runtime, c => c.finish());
        finish.map(|f| f.name().to_string())
    }

    /// Tokens generated in the reply so far, or in the last one once it has finished.
    pub fn reply_tokens(&self) -> usize {
        with_chat!(&self.runtime, c => c.reply_tokens())
    }

    /// For a model with a recurrent-depth layer, the loops it ran per token on average while
    /// writing the last reply; `undefined` otherwise.
    pub async fn reply_loops_per_token(&self) -> Result<Option<f32>, JsError> {
        let depth = with_chat!(&self.runtime, c => c.reply_depth().await);
        depth.map_err(js_error)
    }

    /// Ends the reply now; what it said so far becomes its message.
    pub fn stop(&mut self) {
        with_chat!(&mut self.runtime, c => c.stop())
    }

    /// The conversation read so far with its recurrent state, as bytes.
    pub async fn save_session(&self) -> Result<Vec<u8>, JsError> {
        with_chat!(&self.runtime, c => c.save().await).map_err(js_error)
    }

    /// Continues from bytes `save_session` returned for the same model.
    pub fn restore_session(&mut self, bytes: Vec<u8>) -> Result<(), JsError> {
        with_chat!(&mut self.runtime, c => c.restore(&bytes)).map_err(js_error)
    }
}

/// The four files of a checkpoint, as [`export_bundle`] returns them.
#[wasm_bindgen(getter_with_clone)]
pub struct BundleFiles {
    /// `manifest.json`.
    pub manifest: Vec<u8>,
    /// `config.json`.
    pub config: Vec<u8>,
    /// `model.safetensors`.
    pub weights: Vec<u8>,
    /// `tokenizer.json`.
    pub tokenizer: Vec<u8>,
}

/// The bundle `siger-train export --quant <quant>` writes (`int4`, `int8` or `none`; blocks of
/// 32, f16 scales) from an f32 checkpoint's files, verified first. The same core code, so the
/// same bytes: `pkg-scripts/build-web` makes the demo bundle with this in Node instead of
/// compiling the native trainer, and `pkg-scripts/test` compares the two.
#[wasm_bindgen]
pub fn export_bundle(
    quant: String,
    manifest: Vec<u8>,
    config: Vec<u8>,
    weights: Vec<u8>,
    tokenizer: Vec<u8>,
) -> Result<BundleFiles, JsError> {
    let options = match quant.as_str() {
        "none" => None,
        name => Some(QuantOptions::new(
            QuantScheme::parse(name).map_err(js_error)?,
        )),
    };
    let files = CheckpointFiles {
        manifest,
        config,
        weights,
        tokenizer,
    };
    let ckpt =
        checkpoint::load_files::<NdArray<f32>>(&files, &Default::default()).map_err(js_error)?;
    let out = ckpt.export_files(options).map_err(js_error)?;
    Ok(BundleFiles {
        manifest: out.manifest,
        config: out.config,
        weights: out.weights,
        tokenizer: out.tokenizer,
    })
}
