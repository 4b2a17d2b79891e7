//! The host scan as one autodiff operation of burn's CPU training backend
//! (`Autodiff<NdArray<f32>>`), its backward pass [`HostScan::backward`].
//!
//! The model is generic over the backend, and Rust has no specialisation, so [`applies`] tells
//! by type identity whether a backend is the one this operation is written for, and the tensors
//! are moved across by downcasting (the two types are then the same type). Any other backend
//! keeps the scans of [`crate::model::scan`].
//!
//! The operation's one output packs y and the last state per sequence, `[b, l·d + d·n]`; the
//! caller's narrow and reshape route each part's gradient back into it, so the last state is
//! differentiable too (a loss on it trains h0 and every input, as the reference scan does).

use std::any::{Any, TypeId};
use std::sync::Arc;

use burn::backend::NdArray;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::tensor::ops::{Device, FloatTensor};
use burn::tensor::{Tensor, TensorData, TensorPrimitive, backend::Backend};

use crate::model::scan::HostScanInputs;
use crate::model::scan_grad::{HostScan, ScanDims};
use crate::ops::exp::exp;
use crate::ops::placement::host_values;

type Inner = NdArray<f32>;
/// The backend this operation serves: burn's CPU backend under autodiff.
pub type HostAutodiff = Autodiff<Inner>;

/// Whether `B` is [`HostAutodiff`], for which [`scan_host_autodiff`] runs.
pub fn applies<B: Backend>() -> bool {
    TypeId::of::<B>() == TypeId::of::<HostAutodiff>()
}

/// [`crate::model::scan::scan_host`], recorded as one differentiable operation.
///
/// # Panics
/// When `B` is not [`HostAutodiff`]: callers check [`applies`] first.
///
/// # Shapes
/// As `scan_host`: returns y `[b, l, d]` and the last state `[b, d, n]`.
pub fn scan_host_autodiff<B: Backend>(
    inputs: HostScanInputs<B>,
    h0: Tensor<B, 3>,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let HostScanInputs {
        x,
        delta,
        a_log,
        b,
        c,
        d,
    } = inputs;
    let [batch, len, inner] = x.dims();
    let state = a_log.dims()[1];
    let dims = ScanDims {
        batch,
        len,
        inner,
        state,
    };
    let packed = record(
        dims,
        [
            primitive(x),
            primitive(delta),
            primitive(a_log),
            primitive(b),
            primitive(c),
            primitive(d),
            primitive(h0),
        ],
    );
    let packed: Tensor<B, 2> = cast(Tensor::<HostAutodiff, 2>::from_primitive(
        TensorPrimitive::Float(packed),
    ));
    let y = packed.clone().narrow(1, 0, len * inner);
    let h_last = packed.narrow(1, len * inner, inner * state);
    (
        y.reshape([batch, len, inner]),
        h_last.reshape([batch, inner, state]),
    )
}

type AdPrimitive = FloatTensor<HostAutodiff>;

/// Parents, in order: x, Δ, A_log, B, C, D, h0.
const PARENTS: usize = 7;

fn primitive<B: Backend, const D: usize>(t: Tensor<B, D>) -> AdPrimitive {
    cast::<B, HostAutodiff, D>(t).into_primitive().tensor()
}

fn cast<B: Backend, T: Backend, const D: usize>(t: Tensor<B, D>) -> Tensor<T, D> {
    let any: Box<dyn Any> = Box::new(t);
    *any.downcast::<Tensor<T, D>>()
        .expect("the caller checked `applies`: both backends are HostAutodiff")
}

/// A tracked tensor's values; `host_values` flattens first, so the rank given here is only a
/// wrapper's and any primitive's shape passes.
fn values(t: AdPrimitive) -> Vec<f32> {
    host_values(Tensor::<Inner, 1>::from_primitive(TensorPrimitive::Float(
        t.primitive,
    )))
}

/// Runs the forward pass and records it; returns the packed `[b, l·d + d·n]` output.
fn record(dims: ScanDims, parents: [AdPrimitive; PARENTS]) -> AdPrimitive {
    // burn's CPU backend has one device.
    let device = Device::<Inner>::default();
    let nodes = parents.each_ref().map(|p| p.node.clone());
    let [x, delta, a_log, b, c, skip, h0] = parents.map(values);
    let scan = HostScan {
        dims,
        x,
        delta,
        a: a_log.iter().map(|&v| -exp(v)).collect(),
        b,
        c,
        skip,
    };
    let forward = scan.forward(&h0);
    let (y_len, h_len) = (dims.len * dims.inner, dims.inner * dims.state);
    let mut packed = Vec::with_capacity(dims.batch * (y_len + h_len));
    for (y, h) in forward
        .y
        .chunks_exact(y_len)
        .zip(forward.h_last.chunks_exact(h_len))
    {
        packed.extend_from_slice(y);
        packed.extend_from_slice(h);
    }
    let output = inner_tensor(packed, vec![dims.batch, y_len + h_len], &device);
    match ScanBackward
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let tape = Tape {
                scan: Arc::new(scan),
                checkpoints: Arc::new(forward.checkpoints),
            };
            prep.finish(tape, output)
        }
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}

fn inner_tensor(values: Vec<f32>, shape: Vec<usize>, device: &Device<Inner>) -> FloatTensor<Inner> {
    let rank = shape.len();
    let data = TensorData::new(values, shape);
    match rank {
        1 => Tensor::<Inner, 1>::from_data(data, device).into_primitive(),
        2 => Tensor::<Inner, 2>::from_data(data, device).into_primitive(),
        3 => Tensor::<Inner, 3>::from_data(data, device).into_primitive(),
        _ => unreachable!("the scan's tensors have rank 1 to 3, not {rank}"),
    }
    .tensor()
}

/// What the backward pass reads: the inputs and the forward pass's checkpoints.
#[derive(Debug, Clone)]
struct Tape {
    scan: Arc<HostScan>,
    checkpoints: Arc<Vec<f32>>,
}

#[derive(Debug)]
struct ScanBackward;

impl Backward<Inner, PARENTS> for ScanBackward {
    type State = Tape;

    fn backward(
        self,
        ops: Ops<Self::State, PARENTS>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let Tape { scan, checkpoints } = ops.state;
        let ScanDims {
            batch,
            len,
            inner,
            state,
        } = scan.dims;
        let packed = grads.consume::<Inner>(&ops.node);
        let device = Device::<Inner>::default();
        let packed = host_values(Tensor::<Inner, 2>::from_primitive(TensorPrimitive::Float(
            packed,
        )));
        let (y_len, h_len) = (len * inner, inner * state);
        let mut grad_y = Vec::with_capacity(batch * y_len);
        let mut grad_h = Vec::with_capacity(batch * h_len);
        for row in packed.chunks_exact(y_len + h_len) {
            grad_y.extend_from_slice(&row[..y_len]);
            grad_h.extend_from_slice(&row[y_len..]);
        }
        let g = scan.backward(&checkpoints, &grad_y, &grad_h);
        // A = −exp(A_log), so ∂A/∂A_log = A.
        let grad_a_log = g.a.iter().zip(&scan.a).map(|(g, a)| g * a).collect();
        let per_seq = |n| vec![batch, len, n];
        let results = [
            (g.x, per_seq(inner)),
            (g.delta, per_seq(inner)),
            (grad_a_log, vec![inner, state]),
            (g.b, per_seq(state)),
            (g.c, per_seq(state)),
            (g.skip, vec![inner]),
            (g.h0, vec![batch, inner, state]),
        ];
        for (parent, (grad, shape)) in ops.parents.into_iter().zip(results) {
            if let Some(node) = parent {
                grads.register::<Inner>(node.id, inner_tensor(grad, shape, &device));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scan::{ScanInputs, scan_reference};
    use crate::test_util::{TestAutodiff, assert_close, random_on};

    struct Leaves {
        x: Tensor<TestAutodiff, 3>,
        delta: Tensor<TestAutodiff, 3>,
        a_log: Tensor<TestAutodiff, 2>,
        b: Tensor<TestAutodiff, 3>,
        c: Tensor<TestAutodiff, 3>,
        d: Tensor<TestAutodiff, 1>,
        h0: Tensor<TestAutodiff, 3>,
    }

    fn leaves(batch: usize, l: usize, d: usize, n: usize) -> Leaves {
        let device = Default::default();
        let grad = |t: Tensor<TestAutodiff, 3>| t.require_grad();
        Leaves {
            x: grad(random_on([batch, l, d], 1, &device)),
            // Δ > 0 as after softplus.
            delta: grad(random_on::<TestAutodiff, 3>([batch, l, d], 2, &device).abs() * 0.5),
            a_log: random_on::<TestAutodiff, 2>([d, n], 3, &device).require_grad(),
            b: grad(random_on([batch, l, n], 4, &device)),
            c: grad(random_on([batch, l, n], 5, &device)),
            d: random_on::<TestAutodiff, 1>([d], 6, &device).require_grad(),
            h0: grad(random_on([batch, d, n], 7, &device)),
        }
    }

    /// A loss that weighs every output element differently, on y and on the last state.
    fn loss(y: Tensor<TestAutodiff, 3>, h: Tensor<TestAutodiff, 3>) -> Tensor<TestAutodiff, 1> {
        let device = Default::default();
        let wy = random_on::<TestAutodiff, 3>(y.dims(), 11, &device);
        let wh = random_on::<TestAutodiff, 3>(h.dims(), 12, &device);
        (y * wy).sum() + (h * wh).sum()
    }

    #[test]
    fn gradients_equal_the_reference_scans_for_every_input() {
        // Lengths below, at and across checkpoint blocks, not multiples of them.
        for (batch, l, d, n) in [(1, 1, 3, 2), (2, 7, 5, 4), (3, 16, 4, 3), (2, 37, 6, 8)] {
            let p = leaves(batch, l, d, n);
            let (y, h) = scan_reference(
                ScanInputs {
                    x: p.x.clone(),
                    delta: p.delta.clone(),
                    a: -p.a_log.clone().exp(),
                    b: p.b.clone(),
                    c: p.c.clone(),
                    d: p.d.clone(),
                },
                p.h0.clone(),
            );
            let expected = loss(y.clone(), h.clone()).backward();
            let q = leaves(batch, l, d, n);
            let (y_host, h_host) = scan_host_autodiff(
                HostScanInputs {
                    x: q.x.clone(),
                    delta: q.delta.clone(),
                    a_log: q.a_log.clone(),
                    b: q.b.clone(),
                    c: q.c.clone(),
                    d: q.d.clone(),
                },
                q.h0.clone(),
            );
            let what = |name: &str| format!("{name}, shape {batch}×{l}×{d}×{n}");
            assert_close(y_host.clone(), y, 1e-5, &what("y"));
            assert_close(h_host.clone(), h, 1e-5, &what("h_last"));
            let got = loss(y_host, h_host).backward();
            macro_rules! same_grad {
                ($($field:ident),*) => {$(
                    assert_close(
                        q.$field.grad(&got).expect("a gradient"),
                        p.$field.grad(&expected).expect("a gradient"),
                        2e-4,
                        &what(concat!("∂L/∂", stringify!($field))),
                    );
                )*};
            }
            same_grad!(x, delta, a_log, b, c, d, h0);
        }
    }

    #[test]
    fn applies_only_to_the_cpu_autodiff_backend() {
        assert!(applies::<TestAutodiff>());
        assert!(!applies::<crate::test_util::TestBackend>());
    }
}
