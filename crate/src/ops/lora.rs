//! A LoRA adapter (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"):
//! `x ↦ s · x A B`, the low-rank update a [`super::linear::Linear`] adds to its output while
//! fine-tuning. Where adapters go, and attaching, freezing and merging them, is the model's
//! `lora` module.

use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor, backend::Backend};

/// One adapter: `x ↦ s · x A B`.
#[derive(Module, Debug)]
pub struct Lora<B: Backend> {
    /// `[d_in, r]`, drawn uniformly in ±1/√d_in.
    pub a: Param<Tensor<B, 2>>,
    /// `[r, d_out]`, zero at the start.
    pub b: Param<Tensor<B, 2>>,
    /// `α / r`.
    #[module(skip)]
    scale: f64,
}

impl<B: Backend> Lora<B> {
    /// A fresh adapter of inner width `rank` scaled by `scale`: `A` uniform in ±1/√d_in, `B`
    /// zero, so it adds nothing until trained.
    pub fn new(d_in: usize, d_out: usize, rank: usize, scale: f64, device: &B::Device) -> Self {
        let bound = 1.0 / (d_in as f64).sqrt();
        let a = Tensor::random([d_in, rank], Distribution::Uniform(-bound, bound), device);
        Self {
            a: Param::from_tensor(a),
            b: Param::from_tensor(Tensor::zeros([rank, d_out], device)),
            scale,
        }
    }

    /// # Shapes
    /// `[..., d_in]` → `[..., d_out]`.
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        let low = burn::tensor::module::linear(x, self.a.val(), None);
        burn::tensor::module::linear(low, self.b.val(), None).mul_scalar(self.scale)
    }

    /// The update to the weight, `s · A B`, `[d_in, d_out]`.
    pub fn delta(&self) -> Tensor<B, 2> {
        self.a.val().matmul(self.b.val()).mul_scalar(self.scale)
    }
}
