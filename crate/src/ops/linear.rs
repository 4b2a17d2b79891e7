//! Linear layers and the token embedding. Their [`Weight`] is a float parameter, or — after a
//! quantized bundle is loaded — a [`QuantWeight`]: quantization is a property of the loaded
//! weights, and the rest of the model does not know which it got.

use burn::module::{
    AutodiffModule, Content, Devices, Module, ModuleDisplay, ModuleDisplayDefault, ModuleMapper,
    ModuleVisitor, Param,
};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor};

use crate::ops::lora::Lora;
use crate::ops::quant_weight::QuantWeight;
use crate::quant::QuantMatrix;

/// A weight matrix: a trainable float parameter, or a quantized matrix loaded from a bundle.
#[derive(Debug, Clone)]
pub enum Weight<B: Backend> {
    /// The float matrix, as burn keeps it (a Linear's `[d_in, d_out]`, the embedding's
    /// `[vocab, d_model]`).
    Float(Param<Tensor<B, 2>>),
    /// The quantized matrix, rows being dot products (a Linear's `Wᵀ`, the embedding itself).
    Quantized(QuantWeight<B>),
}

impl<B: Backend> Weight<B> {
    /// The float parameter, if this weight is one.
    pub fn float(&self) -> Option<&Param<Tensor<B, 2>>> {
        match self {
            Self::Float(param) => Some(param),
            Self::Quantized(_) => None,
        }
    }
}

// A weight is its variant's module: the float parameter is visited under the weight's own
// name (`….weight`), exactly as a plain `Param` field would be; a quantized one has none.
impl<B: Backend> Module<B> for Weight<B> {
    type Record = Option<<Param<Tensor<B, 2>> as Module<B>>::Record>;

    fn visit<V: ModuleVisitor<B>>(&self, visitor: &mut V) {
        if let Self::Float(param) = self {
            Module::visit(param, visitor);
        }
    }

    fn map<M: ModuleMapper<B>>(self, mapper: &mut M) -> Self {
        match self {
            Self::Float(param) => Self::Float(Module::map(param, mapper)),
            quantized => quantized,
        }
    }

    fn load_record(self, record: Self::Record) -> Self {
        match (self, record) {
            (Self::Float(param), Some(record)) => Self::Float(Module::load_record(param, record)),
            (weight, _) => weight,
        }
    }

    fn into_record(self) -> Self::Record {
        match self {
            Self::Float(param) => Some(Module::into_record(param)),
            Self::Quantized(_) => None,
        }
    }

    fn to_device(self, device: &B::Device) -> Self {
        match self {
            Self::Float(param) => Self::Float(Module::to_device(param, device)),
            Self::Quantized(q) => Self::Quantized(q.to_device(device)),
        }
    }

    fn fork(self, device: &B::Device) -> Self {
        match self {
            Self::Float(param) => Self::Float(Module::fork(param, device)),
            Self::Quantized(q) => Self::Quantized(q.fork(device)),
        }
    }

    fn collect_devices(&self, devices: Devices<B>) -> Devices<B> {
        match self {
            Self::Float(param) => Module::collect_devices(param, devices),
            Self::Quantized(q) => q.collect_devices(devices),
        }
    }
}

impl<B: Backend> ModuleDisplayDefault for Weight<B> {
    fn content(&self, content: Content) -> Option<Content> {
        match self {
            Self::Float(param) => param.content(content),
            Self::Quantized(q) => q.content(content),
        }
    }
}

impl<B: Backend> ModuleDisplay for Weight<B> {}

impl<B: AutodiffBackend> AutodiffModule<B> for Weight<B> {
    type InnerModule = Weight<B::InnerBackend>;

    fn valid(&self) -> Self::InnerModule {
        match self {
            Self::Float(param) => Weight::Float(param.valid()),
            Self::Quantized(q) => Weight::Quantized(q.valid()),
        }
    }

    fn from_inner(module: Self::InnerModule) -> Self {
        match module {
            Weight::Float(param) => Self::Float(Param::from_inner(param)),
            Weight::Quantized(q) => Self::Quantized(QuantWeight::from_inner(q)),
        }
    }
}

/// `y = x W + b`, with `W` float `[d_in, d_out]` or quantized.
#[derive(Module, Debug)]
pub struct Linear<B: Backend> {
    /// `W`: float `[d_in, d_out]`, or the quantized `Wᵀ` (`[d_out, d_in]`).
    pub weight: Weight<B>,
    /// `[d_out]`.
    pub bias: Option<Param<Tensor<B, 1>>>,
    /// A LoRA adapter added to the output while fine-tuning (the model's `lora` module); `None`
    /// in every saved or exported model.
    pub lora: Option<Lora<B>>,
}

impl<B: Backend> From<burn::nn::Linear<B>> for Linear<B> {
    fn from(linear: burn::nn::Linear<B>) -> Self {
        Self {
            weight: Weight::Float(linear.weight),
            bias: linear.bias,
            lora: None,
        }
    }
}

impl<B: Backend> Linear<B> {
    /// # Shapes
    /// `[..., d_in]` → `[..., d_out]`.
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        let bias = self.bias.as_ref().map(|b| b.val());
        let adapted = self.lora.as_ref().map(|lora| lora.forward(x.clone()));
        let y = match &self.weight {
            Weight::Quantized(q) => {
                let y = q.apply(x);
                match bias {
                    Some(b) => y + b.unsqueeze(),
                    None => y,
                }
            }
            Weight::Float(w) => burn::tensor::module::linear(x, w.val(), bias),
        };
        match adapted {
            Some(delta) => y + delta,
            None => y,
        }
    }

    /// Replaces the float weight by a quantized `Wᵀ`.
    pub fn set_quantized(&mut self, matrix: QuantMatrix, device: &B::Device) {
        self.weight = Weight::Quantized(QuantWeight::new(matrix, device));
    }
}

/// The token embedding `[vocab, d_model]`, float or quantized; also the tied LM head.
#[derive(Module, Debug)]
pub struct Embedding<B: Backend> {
    /// The table `[vocab, d_model]`, float or quantized.
    pub weight: Weight<B>,
    vocab_size: usize,
}

impl<B: Backend> From<burn::nn::Embedding<B>> for Embedding<B> {
    fn from(embedding: burn::nn::Embedding<B>) -> Self {
        Self {
            vocab_size: embedding.weight.shape().dims::<2>()[0],
            weight: Weight::Float(embedding.weight),
        }
    }
}

impl<B: Backend> Embedding<B> {
    /// Rows of the table.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// # Shapes
    /// tokens `[b, l]` → `[b, l, d_model]`.
    pub fn forward(&self, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        match &self.weight {
            Weight::Quantized(q) => {
                let [b, l] = tokens.dims();
                let rows = q.rows_of(tokens.reshape([b * l]));
                let d = rows.dims()[1];
                rows.reshape([b, l, d])
            }
            Weight::Float(w) => burn::tensor::module::embedding(w.val(), tokens),
        }
    }

    /// The tied LM head, `x Eᵀ`.
    ///
    /// # Shapes
    /// `[b, l, d_model]` → `[b, l, vocab]`.
    pub fn head(&self, hidden: Tensor<B, 3>) -> Tensor<B, 3> {
        match &self.weight {
            Weight::Quantized(q) => q.apply(hidden),
            Weight::Float(w) => hidden.matmul(w.val().transpose().unsqueeze_dim(0)),
        }
    }

    /// Replaces the float table by a quantized one.
    pub fn set_quantized(&mut self, matrix: QuantMatrix, device: &B::Device) {
        self.weight = Weight::Quantized(QuantWeight::new(matrix, device));
    }
}
