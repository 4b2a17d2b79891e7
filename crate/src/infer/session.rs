//! A saved conversation: a safetensors file holding each layer's state (f32) — an SSM layer's
//! `layers.{i}.conv_state` and `layers.{i}.ssm_state`, fixed in size; an attention layer's
//! `layers.{i}.kv_cache` `[batch, position, kv_rank + rope_dim]`, which grows with every token
//! of the conversation (absent before the first); a recurrent-depth layer's
//! `layers.{i}.loops.{k}.conv_state` and `…ssm_state` for each loop k; a conditioned model's
//! `condition` `[batch, d_model]` — with the messages read, the position and the
//! weights' sha256 in its metadata. A session only fits the weights it was saved with.

use std::collections::HashMap;

use burn::tensor::{Tensor, backend::Backend};

use crate::io::safetensors::{self, StoredTensor};
use crate::model::{KvCache, LayerState, SsmState, State};
use crate::text::Message;

/// The name of a conditioned model's topic and context vector in a session file.
const CONDITION: &str = "condition";

/// The session file's `format` metadata.
const SESSION_FORMAT: &str = "siger-session";

/// Why a session could not be saved or restored.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A session file that cannot be used.
    #[error("cannot restore this session: {0}")]
    Invalid(&'static str),
    /// Reading the state from the device failed.
    #[error("could not read the state from the device: {0}")]
    Read(String),
}

/// `state` after reading `messages`, as session bytes for the weights `weights_id`. Awaits each
/// state tensor's read from the device.
pub async fn encode<B: Backend>(
    state: &State<B>,
    messages: &[Message],
    weights_id: &str,
) -> Result<Vec<u8>, SessionError> {
    let mut tensors = Vec::new();
    for (i, layer) in state.layers.iter().enumerate() {
        for (name, t) in layer.tensors() {
            let data = t.clone().into_data_async().await;
            let data = data.map_err(|e| SessionError::Read(format!("{e:?}")))?;
            tensors.push(StoredTensor::from_data(format!("layers.{i}.{name}"), data));
        }
    }
    if let Some(condition) = &state.condition {
        let data = condition.clone().into_data_async().await;
        let data = data.map_err(|e| SessionError::Read(format!("{e:?}")))?;
        tensors.push(StoredTensor::from_data(CONDITION.to_string(), data));
    }
    let metadata = HashMap::from([
        ("format".to_string(), SESSION_FORMAT.to_string()),
        ("weights_sha256".to_string(), weights_id.to_string()),
        ("position".to_string(), state.position.to_string()),
        (
            "messages".to_string(),
            serde_json::to_string(messages).expect("messages serialise"),
        ),
    ]);
    Ok(safetensors::serialize(&tensors, metadata))
}

/// The messages and the state a session holds, checked against the weights `weights_id` and
/// the shapes of `zero` (the model's state before any token).
pub fn decode<B: Backend>(
    bytes: &[u8],
    weights_id: &str,
    zero: &State<B>,
) -> Result<(Vec<Message>, State<B>), SessionError> {
    let bad = SessionError::Invalid;
    let meta = safetensors::metadata(bytes).map_err(|_| bad("not a session"))?;
    if meta.get("format").map(String::as_str) != Some(SESSION_FORMAT) {
        return Err(bad("not a Siger session"));
    }
    if meta.get("weights_sha256").map(String::as_str) != Some(weights_id) {
        return Err(bad("it was saved with a different model"));
    }
    let messages: Vec<Message> = meta
        .get("messages")
        .and_then(|m| serde_json::from_str(m).ok())
        .ok_or(bad("its messages are unreadable"))?;
    let position = meta
        .get("position")
        .and_then(|p| p.parse().ok())
        .ok_or(bad("its position is unreadable"))?;
    let file = safetensors::parse(bytes).map_err(|_| bad("corrupted"))?;
    let mut layers = Vec::with_capacity(zero.layers.len());
    for (i, layer) in zero.layers.iter().enumerate() {
        layers.push(read_layer(&file, i, layer, position)?);
    }
    let condition = zero
        .condition
        .as_ref()
        .map(|zero| {
            let missing = "its topic and context vector is missing";
            read_tensor(&file, CONDITION, zero.dims(), &zero.device(), missing)
        })
        .transpose()?;
    let stored: usize =
        layers.iter().map(|l| l.tensors().len()).sum::<usize>() + usize::from(condition.is_some());
    if file.len() != stored {
        return Err(bad("it has more layers than this model"));
    }
    Ok((
        messages,
        State {
            layers,
            position,
            loops: None,
            condition,
        },
    ))
}

/// The f32 tensor `name` of `file`, which must have `shape`; `missing` says what is wrong when
/// the file lacks it.
fn read_tensor<B: Backend, const D: usize>(
    file: &safetensors::SafeTensors<'_>,
    name: &str,
    shape: [usize; D],
    device: &B::Device,
    missing: &'static str,
) -> Result<Tensor<B, D>, SessionError> {
    let bad = SessionError::Invalid;
    let view = file.tensor(name).map_err(|_| bad(missing))?;
    let data = safetensors::f32_tensor(name.to_string(), &view)
        .map_err(|_| bad("a state tensor is corrupted"))?;
    if data.shape.to_vec() != shape.to_vec() {
        return Err(bad("its state does not fit this model"));
    }
    Ok(Tensor::from_data(data, device))
}

/// Layer `i`'s state from `file`, shaped like `zero` (an attention layer's cache holding
/// `position` tokens).
fn read_layer<B: Backend>(
    file: &safetensors::SafeTensors<'_>,
    i: usize,
    zero: &LayerState<B>,
    position: usize,
) -> Result<LayerState<B>, SessionError> {
    let read = |name: String, shape: [usize; 3], device: &B::Device| {
        let name = format!("layers.{i}.{name}");
        read_tensor(file, &name, shape, device, "a layer is missing")
    };
    let ssm = |prefix: &str, s: &SsmState<B>| {
        let device = s.ssm_state.device();
        Ok(SsmState {
            conv_state: read(format!("{prefix}conv_state"), s.conv_state.dims(), &device)?,
            ssm_state: read(format!("{prefix}ssm_state"), s.ssm_state.dims(), &device)?,
        })
    };
    Ok(match zero {
        LayerState::Ssm(s) => LayerState::Ssm(ssm("", s)?),
        LayerState::Looped(loops) => LayerState::Looped(
            loops
                .iter()
                .enumerate()
                .map(|(k, s)| ssm(&format!("loops.{k}."), s))
                .collect::<Result<_, _>>()?,
        ),
        LayerState::Attention(cache) => {
            let shape = [cache.batch, position, cache.width];
            let entries = (position > 0)
                .then(|| read("kv_cache".into(), shape, &cache.device))
                .transpose()?;
            LayerState::Attention(KvCache {
                entries,
                ..cache.clone()
            })
        }
    })
}
