//! Operations over a model's gradients: global norm, scaling (clipping), and summing the
//! gradients of several shards, parameter by parameter.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use siger::Model;

/// What to do with one parameter's gradient.
trait GradOp<B: Backend> {
    fn apply<const D: usize>(&mut self, grad: Tensor<B, D>) -> Tensor<B, D>;
}

/// Visits every float parameter: takes its gradient from `grads`, adds the one in `other` (if
/// any; a parameter only `other` has, such as an expert no local token chose, is taken as is),
/// applies `op` and puts the result back in `grads`.
struct GradVisitor<'a, B: AutodiffBackend, F> {
    grads: &'a mut GradientsParams,
    other: Option<&'a mut GradientsParams>,
    op: F,
    _backend: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend, F: GradOp<B::InnerBackend>> ModuleVisitor<B> for GradVisitor<'_, B, F> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let grad = self.grads.remove::<B::InnerBackend, D>(param.id);
        let other = self
            .other
            .as_mut()
            .and_then(|o| o.remove::<B::InnerBackend, D>(param.id));
        let merged = match (grad, other) {
            (Some(g), Some(o)) => g + o,
            (Some(g), None) | (None, Some(g)) => g,
            (None, None) => return,
        };
        self.grads.register(param.id, self.op.apply(merged));
    }
}

fn visit_grads<B: AutodiffBackend, F: GradOp<B::InnerBackend>>(
    model: &Model<B>,
    grads: &mut GradientsParams,
    other: Option<&mut GradientsParams>,
    op: F,
) -> F {
    let mut visitor = GradVisitor::<B, F> {
        grads,
        other,
        op,
        _backend: std::marker::PhantomData,
    };
    model.visit(&mut visitor);
    visitor.op
}

/// √(Σ ‖g‖²) over every parameter, summed on the device and read back once.
pub fn global_norm<B: AutodiffBackend>(model: &Model<B>, grads: &mut GradientsParams) -> f64 {
    struct SumSquares<B: Backend>(Option<Tensor<B, 1>>);
    impl<B: Backend> GradOp<B> for SumSquares<B> {
        fn apply<const D: usize>(&mut self, grad: Tensor<B, D>) -> Tensor<B, D> {
            let squares = grad.clone().powi_scalar(2).sum();
            self.0 = Some(match self.0.take() {
                Some(total) => total + squares,
                None => squares,
            });
            grad
        }
    }
    let total = visit_grads(model, grads, None, SumSquares(None)).0;
    total.map_or(0.0, |t| t.into_scalar().elem::<f64>().sqrt())
}

/// Multiplies every gradient by `factor`.
pub fn scale_grads<B: AutodiffBackend>(
    model: &Model<B>,
    mut grads: GradientsParams,
    factor: f64,
) -> GradientsParams {
    struct Scale(f64);
    impl<B: Backend> GradOp<B> for Scale {
        fn apply<const D: usize>(&mut self, grad: Tensor<B, D>) -> Tensor<B, D> {
            grad * self.0
        }
    }
    visit_grads(model, &mut grads, None, Scale(factor));
    grads
}

/// The parameter-wise sum of two shards' gradients.
pub fn add_grads<B: AutodiffBackend>(
    model: &Model<B>,
    mut acc: GradientsParams,
    mut other: GradientsParams,
) -> GradientsParams {
    struct Keep;
    impl<B: Backend> GradOp<B> for Keep {
        fn apply<const D: usize>(&mut self, grad: Tensor<B, D>) -> Tensor<B, D> {
            grad
        }
    }
    visit_grads(model, &mut acc, Some(&mut other), Keep);
    acc
}
