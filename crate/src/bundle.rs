//! Quantized weights files ("bundles"): which tensors are quantized, and how they sit in
//! safetensors.
//!
//! A bundle is a checkpoint folder whose `model.safetensors` holds, for each quantized tensor
//! `name`, its integers under `name` (`I8 [rows, cols]` for int8, `U8 [rows, cols / 2]` for
//! int4) and its block scales under `name.scales` (`F16` or `F32`, `[rows, cols / block]`);
//! every other tensor stays `F32`. The manifest's `quantization` map names each quantized
//! tensor's scheme, block, scale dtype, stored shape and orientation (see [`TensorQuant`]), so a
//! loader never infers a format from bytes, and rejects a scheme it does not know.
//!
//! What gets quantized: every Linear weight (the SSM projections, the router, routed and shared
//! experts, an untied LM head) and the token embedding. An int4 bundle is mixed: the routed and
//! shared experts and the SSM output projections are int4; the embedding / LM head, the router
//! and the SSM input-side projections stay int8 ([`INT8_UNDER_INT4`]). A tensor whose rows cannot be packed into 32-bit words for the GPU kernels
//! (rows not a multiple of 8 values for int4 or 4 for int8, or a block over 255) takes the
//! next wider format that fits, up to f32; the manifest records what each tensor got.

use std::collections::{BTreeMap, HashMap};

use burn::tensor::TensorData;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::quant::{
    QuantMatrix, QuantOptions, QuantScheme, ScaleDtype, TensorQuant, block_len, decode_scales,
    encode_scales,
};
use crate::weights::{WeightsError, f32_tensor};

/// A quantized tensor read from a bundle, with whether it is the model tensor's transpose.
#[derive(Debug, Clone)]
pub struct LoadedMatrix {
    /// The matrix, rows being dot products.
    pub matrix: QuantMatrix,
    /// True for Linear weights (the model keeps `[d_in, d_out]`, the bundle `[d_out, d_in]`).
    pub transposed: bool,
}

impl LoadedMatrix {
    /// The tensor's shape in the model.
    pub fn model_shape(&self) -> Vec<usize> {
        let (r, c) = (self.matrix.rows(), self.matrix.cols());
        if self.transposed {
            vec![c, r]
        } else {
            vec![r, c]
        }
    }
}

/// Tensors an int4 bundle keeps at int8: the LM head and router (logits and routing decide
/// tokens and experts outright) and the SSM's input-side projections, whose errors the
/// recurrence carries forward. On the demo model, int4 `in_proj` alone cut top-1 agreement
/// with f32 from 0.88 to 0.85 (`quant-report`; ARCHITECTURE.md has the table).
const INT8_UNDER_INT4: [&str; 5] = [
    "lm_head.weight",
    ".router.weight",
    ".in_proj.weight",
    ".x_proj.weight",
    ".dt_proj.weight",
];

/// Whether rows of `cols` values in blocks of `block` pack into whole 32-bit words.
pub fn device_packable(scheme: QuantScheme, cols: usize, block: usize) -> bool {
    let per_word = match scheme {
        QuantScheme::Int8 => 4,
        QuantScheme::Int4 => 8,
    };
    block <= 255 && block.is_multiple_of(per_word) && cols.is_multiple_of(block)
}

/// The scheme tensor `name` gets under `options`, and whether it is stored transposed; `None`
/// keeps it f32.
fn plan(name: &str, cols: usize, options: QuantOptions) -> Option<(QuantScheme, bool)> {
    let table = name == "embedding.weight";
    let linear = !table && name.ends_with(".weight");
    if !table && !linear {
        return None;
    }
    let at_least_int8 = table || INT8_UNDER_INT4.iter().any(|s| name.ends_with(s));
    let wanted = match options.scheme {
        QuantScheme::Int4 if at_least_int8 => QuantScheme::Int8,
        scheme => scheme,
    };
    let block = block_len(cols, options.block);
    [wanted, QuantScheme::Int8]
        .into_iter()
        .find(|&s| device_packable(s, cols, block))
        .map(|s| (s, linear))
}

/// Serialises named model tensors (burn shapes) as a bundle's weights file, quantizing what
/// [`plan`] selects. Returns the bytes and the manifest's `quantization` map.
pub fn to_safetensors(
    tensors: Vec<(String, TensorData)>,
    options: QuantOptions,
    metadata: HashMap<String, String>,
) -> Result<(Vec<u8>, BTreeMap<String, TensorQuant>), WeightsError> {
    let mut stored: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut quantization = BTreeMap::new();
    for (name, data) in tensors {
        let shape = data.shape.to_vec();
        let values: Vec<f32> = data.convert::<f32>().into_vec().expect("f32 weights");
        // Rows are dot products: the embedding's rows, a Linear weight's columns.
        let cols = match shape[..] {
            [_, d] if name == "embedding.weight" => d,
            [d_in, _] => d_in,
            _ => 0,
        };
        let Some((scheme, transposed)) = plan(&name, cols, options).filter(|_| shape.len() == 2)
        else {
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            stored.push((name, Dtype::F32, shape, bytes));
            continue;
        };
        let (rows, cols, matrix) = if transposed {
            (shape[1], shape[0], transpose(&values, shape[0], shape[1]))
        } else {
            (shape[0], shape[1], values)
        };
        let options = QuantOptions { scheme, ..options };
        let q = QuantMatrix::quantize(&matrix, rows, cols, options).map_err(|source| {
            WeightsError::Quant {
                name: name.clone(),
                source,
            }
        })?;
        let (dtype, value_cols) = match scheme {
            QuantScheme::Int8 => (Dtype::I8, cols),
            QuantScheme::Int4 => (Dtype::U8, cols / 2),
        };
        let scale_dtype = match options.scales {
            ScaleDtype::F16 => Dtype::F16,
            ScaleDtype::F32 => Dtype::F32,
        };
        stored.push((
            format!("{name}.scales"),
            scale_dtype,
            vec![rows, cols / q.block()],
            encode_scales(q.scales(), options.scales),
        ));
        quantization.insert(
            name.clone(),
            TensorQuant {
                scheme: scheme.name().to_string(),
                block: q.block(),
                scales: options.scales,
                transposed,
                shape: [rows, cols],
            },
        );
        stored.push((name, dtype, vec![rows, value_cols], q.values().to_vec()));
    }
    let views = stored.iter().map(|(name, dtype, shape, bytes)| {
        let view = TensorView::new(*dtype, shape.clone(), bytes).expect("bytes match shape");
        (name.as_str(), view)
    });
    let bytes = safetensors::serialize(views, Some(metadata)).expect("in-memory serialisation");
    Ok((bytes, quantization))
}

fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

/// Reads a bundle's weights file: the f32 tensors, and the quantized ones the manifest's
/// `quantization` map names (checked against it: scheme, dtypes, shapes, sizes, scale values).
#[allow(clippy::type_complexity)]
pub fn read(
    bytes: &[u8],
    quantization: &BTreeMap<String, TensorQuant>,
) -> Result<(BTreeMap<String, TensorData>, BTreeMap<String, LoadedMatrix>), WeightsError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut floats = BTreeMap::new();
    let mut matrices = BTreeMap::new();
    for (name, entry) in quantization {
        let quant_error = |source| WeightsError::Quant {
            name: name.clone(),
            source,
        };
        let scheme = QuantScheme::parse(&entry.scheme).map_err(quant_error)?;
        let view = |n: &str| {
            file.tensor(n)
                .map_err(|_| WeightsError::Missing(n.to_string()))
        };
        let (values, scales) = (view(name)?, view(&format!("{name}.scales"))?);
        let [rows, cols] = entry.shape;
        let (value_dtype, value_cols) = match scheme {
            QuantScheme::Int8 => (Dtype::I8, cols),
            QuantScheme::Int4 => (Dtype::U8, cols.div_ceil(2)),
        };
        let scale_dtype = match entry.scales {
            ScaleDtype::F16 => Dtype::F16,
            ScaleDtype::F32 => Dtype::F32,
        };
        let blocks = cols.checked_div(entry.block).unwrap_or(0);
        for (n, view, dtype, shape) in [
            (name.clone(), &values, value_dtype, [rows, value_cols]),
            (
                format!("{name}.scales"),
                &scales,
                scale_dtype,
                [rows, blocks],
            ),
        ] {
            if view.dtype() != dtype || view.shape() != shape {
                return Err(WeightsError::Layout {
                    name: n,
                    expected: format!("{dtype:?} {shape:?}"),
                    found: format!("{:?} {:?}", view.dtype(), view.shape()),
                });
            }
        }
        let matrix = QuantMatrix::from_parts(
            rows,
            cols,
            scheme,
            entry.block,
            values.data().to_vec(),
            decode_scales(scales.data(), entry.scales),
        )
        .map_err(quant_error)?;
        matrices.insert(
            name.clone(),
            LoadedMatrix {
                matrix,
                transposed: entry.transposed,
            },
        );
    }
    for (name, view) in file.tensors() {
        let is_quant_part = quantization.contains_key(&name)
            || name
                .strip_suffix(".scales")
                .is_some_and(|base| quantization.contains_key(base));
        if !is_quant_part {
            floats.insert(name.clone(), f32_tensor(name, &view)?);
        }
    }
    Ok((floats, matrices))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{CheckpointError, checkpoint_files, load_files};
    use crate::config::ModelConfig;
    use crate::model::Model;
    use crate::test_util::{TestBackend, seeded};
    use crate::tokenizer::Tokenizer;
    use burn::tensor::{Int, Tensor, TensorData};

    type B = TestBackend;

    fn tokenizer() -> Tokenizer {
        let corpus = ["Selamat pagi, apa kabar?", "Tabik pun, nyak haga belajagh."];
        Tokenizer::train(corpus.iter().cycle().take(40).copied(), 300).unwrap()
    }

    /// A tiny model with weights large enough that its logits spread (a freshly initialised
    /// model's are all near zero, where any top-1 comparison is noise).
    fn model(config: &ModelConfig) -> Model<B> {
        seeded(11, || {
            config
                .clone()
                .with_init_std(0.3)
                .init(&Default::default())
                .unwrap()
        })
    }

    fn logits(model: &Model<B>, vocab: usize) -> Vec<f32> {
        let ids: Vec<i64> = (0..2 * 48)
            .map(|i| ((i * 7919 + 3) % vocab) as i64)
            .collect();
        let tokens =
            Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [2, 48]), &Default::default());
        model.forward(tokens).logits.into_data().to_vec().unwrap()
    }

    /// Max |Δlogit| relative to the float logits' largest magnitude, and top-1 agreement.
    fn compare(float: &[f32], quant: &[f32], vocab: usize) -> (f32, f32) {
        let scale = float.iter().fold(0f32, |m, v| m.max(v.abs()));
        let diff = float
            .iter()
            .zip(quant)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        let argmax = |row: &[f32]| {
            row.iter()
                .enumerate()
                .fold(0, |best, (i, v)| if *v > row[best] { i } else { best })
        };
        let rows = float.len() / vocab;
        let agree = float
            .chunks(vocab)
            .zip(quant.chunks(vocab))
            .filter(|(a, b)| argmax(a) == argmax(b))
            .count();
        (diff / scale, agree as f32 / rows as f32)
    }

    #[test]
    fn int8_and_int4_bundles_load_and_stay_close_to_float() {
        let config = ModelConfig::tiny();
        let model = model(&config);
        let float = logits(&model, config.vocab_size);
        // Measured: int8 0.005 / 1.0, int4 0.021 / 1.0 (a sign-extension bug in int4
        // unpacking gives 0.94 / 0.01).
        for (scheme, max_rel, min_agree) in [
            (QuantScheme::Int8, 0.01, 0.99),
            (QuantScheme::Int4, 0.05, 0.9),
        ] {
            let options = QuantOptions::new(scheme);
            let files = checkpoint_files(&config, &model, &tokenizer(), Some(options)).unwrap();
            // Loading initialises a model first, drawing from the shared RNG: hold its lock.
            let loaded = seeded(0, || load_files::<B>(&files, &Default::default())).unwrap();
            let q = &loaded.manifest.quantization;
            assert_eq!(loaded.manifest.format_version, 2);
            assert_eq!(q["embedding.weight"].scheme, "int8");
            assert_eq!(q["layers.1.feed_forward.moe.router.weight"].scheme, "int8");
            assert_eq!(q["layers.0.mixer.in_proj.weight"].scheme, "int8");
            let out_proj = &q["layers.0.mixer.out_proj.weight"];
            assert_eq!(out_proj.scheme, scheme.name());
            assert!(out_proj.transposed);
            let expert = "layers.1.feed_forward.moe.experts.0.down_proj.weight";
            assert_eq!(q[expert].scheme, scheme.name());
            // dt_rank 2: rows too short to pack, kept f32.
            assert!(!q.contains_key("layers.0.mixer.dt_proj.weight"));
            assert!(
                loaded.model.embedding.weight.is_none(),
                "float table dropped"
            );
            let quant = logits(&loaded.model, config.vocab_size);
            let (rel, agree) = compare(&float, &quant, config.vocab_size);
            assert!(
                rel <= max_rel,
                "{scheme}: max |Δlogit| / max |logit| = {rel}"
            );
            assert!(agree >= min_agree, "{scheme}: top-1 agreement {agree}");
        }
    }

    #[test]
    fn int4_is_smaller_than_int8_is_smaller_than_float() {
        let config = ModelConfig::tiny();
        let model = model(&config);
        let size = |quant| {
            checkpoint_files(&config, &model, &tokenizer(), quant)
                .unwrap()
                .weights
                .len()
        };
        let (f32_bytes, int8, int4) = (
            size(None),
            size(Some(QuantOptions::new(QuantScheme::Int8))),
            size(Some(QuantOptions::new(QuantScheme::Int4))),
        );
        assert!(int8 * 3 < f32_bytes, "int8 {int8} vs f32 {f32_bytes}");
        assert!(int4 < int8, "int4 {int4} vs int8 {int8}");
    }

    #[test]
    fn unknown_schemes_and_mislabelled_tensors_are_rejected() {
        let config = ModelConfig::tiny();
        let model = model(&config);
        let options = QuantOptions::new(QuantScheme::Int4);
        let files = checkpoint_files(&config, &model, &tokenizer(), Some(options)).unwrap();
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut manifest: serde_json::Value = serde_json::from_slice(&files.manifest).unwrap();
            f(&mut manifest);
            let mut edited = files.clone();
            edited.manifest = serde_json::to_vec(&manifest).unwrap();
            seeded(0, || load_files::<B>(&edited, &Default::default())).unwrap_err()
        };
        let name = "layers.0.mixer.out_proj.weight";
        let err = edit(&|m| m["quantization"][name]["scheme"] = "int3".into());
        assert!(err.to_string().contains("`int3` is unknown"), "{err}");
        let err = edit(&|m| m["quantization"][name]["scheme"] = "int8".into());
        assert!(
            matches!(err, CheckpointError::Weights(WeightsError::Layout { .. })),
            "{err}"
        );
        let err = edit(&|m| {
            m["quantization"].as_object_mut().unwrap().remove(name);
        });
        assert!(
            matches!(err, CheckpointError::Weights(WeightsError::DType { .. })),
            "{err}"
        );
        let err = edit(&|m| m["quantization"][name]["transposed"] = false.into());
        assert!(
            matches!(err, CheckpointError::Weights(WeightsError::Shape { .. })),
            "{err}"
        );
    }
}
