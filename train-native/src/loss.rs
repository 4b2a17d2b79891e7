//! The training and evaluation loss: cross-entropy over the scored positions only.

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// Σ over scored positions of −log p(target).
///
/// # Shapes
/// logits `[b, l, vocab]`, targets and mask `[b, l]` → `[1]`.
pub fn masked_nll_sum<B: Backend>(
    logits: Tensor<B, 3>,
    targets: Tensor<B, 2, Int>,
    mask: Tensor<B, 2>,
) -> Tensor<B, 1> {
    let log_probs = log_softmax(logits, 2);
    let picked = log_probs
        .gather(2, targets.unsqueeze_dim(2))
        .squeeze_dim::<2>(2);
    (picked * mask).sum().neg()
}
