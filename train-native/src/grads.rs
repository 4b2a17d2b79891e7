//! Operations over a model's gradients: global norm, scaling (clipping), and summing the
//! gradients of several shards, parameter by parameter.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use siger::Model;

/// Visits every float parameter's gradient in `grads`.
struct GradVisitor<'a, B: AutodiffBackend, F> {
    grads: &'a mut GradientsParams,
    other: Option<&'a mut GradientsParams>,
    op: F,
    _backend: std::marker::PhantomData<B>,
}

/// What to do with one parameter's gradient (and, for sums, the other gradient).
trait GradOp<B: Backend> {
    fn apply<const D: usize>(
        &mut self,
        grad: Tensor<B, D>,
        other: Option<Tensor<B, D>>,
    ) -> Option<Tensor<B, D>>;
}

impl<B: AutodiffBackend, F: GradOp<B::InnerBackend>> ModuleVisitor<B> for GradVisitor<'_, B, F> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let Some(grad) = self.grads.remove::<B::InnerBackend, D>(param.id) else {
            return;
        };
        let other = self
            .other
            .as_mut()
            .and_then(|o| o.remove::<B::InnerBackend, D>(param.id));
        if let Some(new) = self.op.apply(grad, other) {
            self.grads.register(param.id, new);
        }
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

/// √(Σ ‖g‖²) over every parameter.
pub fn global_norm<B: AutodiffBackend>(model: &Model<B>, grads: &mut GradientsParams) -> f64 {
    struct SumSquares(f64);
    impl<B: Backend> GradOp<B> for SumSquares {
        fn apply<const D: usize>(
            &mut self,
            grad: Tensor<B, D>,
            _: Option<Tensor<B, D>>,
        ) -> Option<Tensor<B, D>> {
            let s: f64 = grad.clone().powi_scalar(2).sum().into_scalar().elem();
            self.0 += s;
            Some(grad)
        }
    }
    visit_grads(model, grads, None, SumSquares(0.0)).0.sqrt()
}

pub fn scale_grads<B: AutodiffBackend>(
    model: &Model<B>,
    mut grads: GradientsParams,
    factor: f64,
) -> GradientsParams {
    struct Scale(f64);
    impl<B: Backend> GradOp<B> for Scale {
        fn apply<const D: usize>(
            &mut self,
            grad: Tensor<B, D>,
            _: Option<Tensor<B, D>>,
        ) -> Option<Tensor<B, D>> {
            Some(grad * self.0)
        }
    }
    visit_grads(model, &mut grads, None, Scale(factor));
    grads
}

pub fn add_grads<B: AutodiffBackend>(
    model: &Model<B>,
    mut acc: GradientsParams,
    mut other: GradientsParams,
) -> GradientsParams {
    struct Add;
    impl<B: Backend> GradOp<B> for Add {
        fn apply<const D: usize>(
            &mut self,
            grad: Tensor<B, D>,
            other: Option<Tensor<B, D>>,
        ) -> Option<Tensor<B, D>> {
            Some(match other {
                Some(o) => grad + o,
                None => grad,
            })
        }
    }
    visit_grads(model, &mut acc, Some(&mut other), Add);
    // Parameters only the other shard touched (e.g. an expert no local token chose).
    move_missing(model, &mut other, &mut acc);
    acc
}

/// Moves gradients present in `from` but absent in `into`.
fn move_missing<B: AutodiffBackend>(
    model: &Model<B>,
    from: &mut GradientsParams,
    into: &mut GradientsParams,
) {
    struct MoveVisitor<'a, B: AutodiffBackend> {
        from: &'a mut GradientsParams,
        into: &'a mut GradientsParams,
        _backend: std::marker::PhantomData<B>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for MoveVisitor<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = self.from.remove::<B::InnerBackend, D>(param.id) {
                self.into.register(param.id, g);
            }
        }
    }
    model.visit(&mut MoveVisitor::<B> {
        from,
        into,
        _backend: std::marker::PhantomData,
    });
}
