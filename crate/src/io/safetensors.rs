//! The one safetensors reader and writer: every weights file, bundle and session goes through
//! here, so what is written and what a reader accepts are decided in one place.
//!
//! Reading checks what a loader can act on: a file that does not parse, a float tensor stored
//! in another dtype, NaN or infinity. Which tensors a file must hold is the caller's business.

use std::collections::{BTreeMap, HashMap};

use burn::tensor::TensorData;
use safetensors::tensor::TensorView;
pub use safetensors::{Dtype, SafeTensors};

use crate::io::error::WeightsError;

/// A tensor to write: its name, dtype, shape and little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTensor {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
    /// Shape (for packed int4, the stored byte columns).
    pub shape: Vec<usize>,
    /// The values' bytes, little-endian, row-major.
    pub bytes: Vec<u8>,
}

impl StoredTensor {
    /// An f32 tensor.
    pub fn f32(name: impl Into<String>, shape: Vec<usize>, values: &[f32]) -> Self {
        Self {
            name: name.into(),
            dtype: Dtype::F32,
            shape,
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// An f32 tensor from burn data.
    pub fn from_data(name: impl Into<String>, data: TensorData) -> Self {
        let shape = data.shape.to_vec();
        let values = data
            .convert::<f32>()
            .into_vec::<f32>()
            .expect("a float tensor's values are f32 after convert");
        Self::f32(name, shape, &values)
    }
}

/// Serialises `tensors` (in the file's sorted order, as safetensors writes them) with
/// `metadata` in the header.
///
/// # Panics
/// If a tensor's bytes do not match its dtype and shape: the callers build them together.
pub fn serialize(tensors: &[StoredTensor], metadata: HashMap<String, String>) -> Vec<u8> {
    let views = tensors.iter().map(|t| {
        let view = TensorView::new(t.dtype, t.shape.clone(), &t.bytes)
            .expect("a stored tensor's bytes match its dtype and shape");
        (t.name.as_str(), view)
    });
    safetensors::serialize(views, Some(metadata)).expect("in-memory safetensors serialisation")
}

/// Parses a safetensors buffer (the header; tensor data stays borrowed).
pub fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>, WeightsError> {
    SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))
}

/// The metadata of a safetensors buffer's header (empty when it has none).
pub fn metadata(bytes: &[u8]) -> Result<HashMap<String, String>, WeightsError> {
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    Ok(header.metadata().clone().unwrap_or_default())
}

/// Reads every tensor of a safetensors buffer as f32 data, checking dtype and finiteness.
pub fn read_f32_all(bytes: &[u8]) -> Result<BTreeMap<String, TensorData>, WeightsError> {
    let file = parse(bytes)?;
    let mut out = BTreeMap::new();
    for (name, view) in file.tensors() {
        out.insert(name.clone(), f32_tensor(name, &view)?);
    }
    Ok(out)
}

/// One stored tensor as f32 data, checking dtype and finiteness.
pub fn f32_tensor(name: String, view: &TensorView<'_>) -> Result<TensorData, WeightsError> {
    if view.dtype() != Dtype::F32 {
        return Err(WeightsError::DType {
            name,
            dtype: format!("{:?}", view.dtype()),
        });
    }
    let values = f32_values(view.data());
    if values.iter().any(|v| !v.is_finite()) {
        return Err(WeightsError::NonFinite(name));
    }
    Ok(TensorData::new(values, view.shape().to_vec()))
}

/// Little-endian f32 bytes as values (a trailing partial value is ignored).
pub fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_and_metadata_round_trip_and_bad_floats_are_named() {
        let tensors = [
            StoredTensor::f32("b", vec![2], &[1.5, -2.0]),
            StoredTensor::f32("a", vec![1, 1], &[f32::NAN]),
        ];
        let meta = HashMap::from([("format".to_string(), "test".to_string())]);
        let bytes = serialize(&tensors, meta.clone());
        assert_eq!(metadata(&bytes).unwrap(), meta);
        let file = parse(&bytes).unwrap();
        let b = f32_tensor("b".into(), &file.tensor("b").unwrap()).unwrap();
        assert_eq!(b.to_vec::<f32>().unwrap(), vec![1.5, -2.0]);
        let err = read_f32_all(&bytes).unwrap_err();
        assert!(
            matches!(err, WeightsError::NonFinite(ref n) if n == "a"),
            "{err}"
        );
        assert!(matches!(parse(&bytes[..10]), Err(WeightsError::Format(_))));
    }
}
