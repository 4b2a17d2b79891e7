//! The selective scan: the linear recurrence at the heart of the SSM mixer.
//!
//! With per-token step size Δ_t, input-dependent B_t and C_t, and a diagonal A (Mamba, Gu & Dao
//! 2023, eqs. 2a, 2b and 4 with zero-order hold for A and Euler for B):
//!
//! ```text
//!   Ā_t = exp(Δ_t A)                (elementwise over d_inner × d_state)
//!   B̄_t x_t = Δ_t B_t x_t
//!   h_t = Ā_t ⊙ h_{t-1} + B̄_t x_t    (eq. 2a)
//!   y_t = C_t · h_t + D x_t          (eq. 2b, plus the D skip connection)
//! ```
//!
//! Two implementations share [`ScanInputs`]: [`scan_reference`], a plain loop over time through
//! [`ssm_step`] (the same function the decoder calls), and [`scan_chunked`], which splits the
//! sequence into chunks and runs a Hillis–Steele parallel prefix scan inside each: ⌈log₂ T⌉
//! tensor ops per chunk instead of T. Tests hold them equal.
//!
//! # Shapes
//! b = batch, l = sequence length, d = d_inner, n = d_state.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::ops::exp::exp;
use crate::ops::placement::host_values;

/// Everything the scan reads besides the initial state.
#[derive(Debug, Clone)]
pub struct ScanInputs<B: Backend> {
    /// x: the mixer's inner activations, `[b, l, d]`.
    pub x: Tensor<B, 3>,
    /// Δ (after softplus), `[b, l, d]`.
    pub delta: Tensor<B, 3>,
    /// A = −exp(A_log), `[d, n]`.
    pub a: Tensor<B, 2>,
    /// B, `[b, l, n]`.
    pub b: Tensor<B, 3>,
    /// C, `[b, l, n]`.
    pub c: Tensor<B, 3>,
    /// The skip weight D, `[d]`.
    pub d: Tensor<B, 1>,
}

/// One step of the recurrence for one token.
///
/// # Shapes
/// h `[b, d, n]`, x_t and Δ_t `[b, d]`, a `[d, n]`, b_t and c_t `[b, n]`, d `[d]`;
/// returns y_t `[b, d]` and the new h `[b, d, n]`.
pub fn ssm_step<B: Backend>(
    h: Tensor<B, 3>,
    x_t: Tensor<B, 2>,
    delta_t: Tensor<B, 2>,
    a: Tensor<B, 2>,
    b_t: Tensor<B, 2>,
    c_t: Tensor<B, 2>,
    d: Tensor<B, 1>,
) -> (Tensor<B, 2>, Tensor<B, 3>) {
    let delta_t3: Tensor<B, 3> = delta_t.clone().unsqueeze_dim(2);
    // Ā_t = exp(Δ_t A)
    let a_bar = (delta_t3.clone() * a.unsqueeze_dim(0)).exp();
    // B̄_t x_t = Δ_t B_t x_t
    let bx = delta_t3 * b_t.unsqueeze_dim(1) * x_t.clone().unsqueeze_dim(2);
    // eq. 2a: h_t = Ā_t h_{t-1} + B̄_t x_t
    let h = a_bar * h + bx;
    // eq. 2b: y_t = C_t h_t + D x_t
    let y = (h.clone() * c_t.unsqueeze_dim(1)).sum_dim(2).squeeze_dim(2) + x_t * d.unsqueeze_dim(0);
    (y, h)
}

/// The recurrence on host memory, for CPU backends without autodiff (see
/// [`crate::ops::placement::Placement::runs_host_kernels`]): one pass over h per token, with none of
/// [`ssm_step`]'s `[b, d, n]` temporaries and a polynomial `exp` the compiler vectorises (in
/// wasm, `f32::exp` is a scalar library call, and Ā needs d·n of them per token and layer).
/// The same equations as [`ssm_step`], which tests hold it to; A = −exp(A_log) is formed here.
///
/// # Shapes
/// x and Δ `[b, l, d]`, a_log `[d, n]`, b and c `[b, l, n]`, d `[d]`, h0 `[b, d, n]`;
/// returns y `[b, l, d]` and the last state `[b, d, n]`.
pub fn scan_host<B: Backend>(
    inputs: HostScanInputs<B>,
    h0: Tensor<B, 3>,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let [batch, l, d] = inputs.x.dims();
    let n = inputs.a_log.dims()[1];
    let device = inputs.x.device();
    let a: Vec<f32> = host_values(inputs.a_log)
        .into_iter()
        .map(|a_log| -exp(a_log))
        .collect();
    let skip = host_values(inputs.d);
    let (x, delta) = (host_values(inputs.x), host_values(inputs.delta));
    let (b, c) = (host_values(inputs.b), host_values(inputs.c));
    let mut h = host_values(h0);
    let mut y = vec![0f32; batch * l * d];
    for (h, seq) in h.chunks_exact_mut(d * n).zip(0..batch) {
        for row in seq * l..(seq + 1) * l {
            let token = HostToken {
                x: &x[row * d..][..d],
                delta: &delta[row * d..][..d],
                b: &b[row * n..][..n],
                c: &c[row * n..][..n],
            };
            token.step(h, &a, &skip, &mut y[row * d..][..d]);
        }
    }
    (
        Tensor::from_data(TensorData::new(y, [batch, l, d]), &device),
        Tensor::from_data(TensorData::new(h, [batch, d, n]), &device),
    )
}

/// What [`scan_host`] reads besides the initial state: [`ScanInputs`] with A_log in place of A.
#[derive(Debug, Clone)]
pub struct HostScanInputs<B: Backend> {
    /// x, `[b, l, d]`.
    pub x: Tensor<B, 3>,
    /// Δ (after softplus), `[b, l, d]`.
    pub delta: Tensor<B, 3>,
    /// ln(−A), `[d, n]`.
    pub a_log: Tensor<B, 2>,
    /// B, `[b, l, n]`.
    pub b: Tensor<B, 3>,
    /// C, `[b, l, n]`.
    pub c: Tensor<B, 3>,
    /// The skip weight D, `[d]`.
    pub d: Tensor<B, 1>,
}

/// One token's inputs on the host: x_t and Δ_t `[d]`, B_t and C_t `[n]`.
#[derive(Clone, Copy)]
pub(crate) struct HostToken<'a> {
    pub(crate) x: &'a [f32],
    pub(crate) delta: &'a [f32],
    pub(crate) b: &'a [f32],
    pub(crate) c: &'a [f32],
}

impl HostToken<'_> {
    /// Updates h `[d, n]` in place and writes y_t `[d]`; `a` is A `[d, n]`, `skip` is D `[d]`.
    pub(crate) fn step(&self, h: &mut [f32], a: &[f32], skip: &[f32], y: &mut [f32]) {
        let n = self.b.len();
        let channels = h.chunks_exact_mut(n).zip(a.chunks_exact(n));
        for (i, (h, a)) in channels.enumerate() {
            let (delta, x) = (self.delta[i], self.x[i]);
            let delta_x = delta * x;
            // eq. 2a: h_t = exp(Δ_t A) h_{t-1} + Δ_t B_t x_t
            for ((h, &a), &b) in h.iter_mut().zip(a).zip(self.b) {
                *h = exp(delta * a) * *h + delta_x * b;
            }
            // eq. 2b: y_t = C_t · h_t + D x_t
            y[i] = dot4(h, self.c) + skip[i] * x;
        }
    }
}

/// Σ aᵢbᵢ with four running sums, so the compiler keeps them in one SIMD register.
pub(crate) fn dot4(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// The sequential reference: a loop over time of [`ssm_step`].
///
/// Per-token slices are cut from blocks of [`BLOCK`] tokens rather than from the whole sequence:
/// under autodiff the gradient of a slice is as large as the tensor it was cut from, so slicing
/// the whole sequence token by token costs O(l²) memory traffic in the backward pass.
///
/// # Shapes
/// h0 `[b, d, n]`; returns y `[b, l, d]` and the last state `[b, d, n]`.
pub fn scan_reference<B: Backend>(
    inputs: ScanInputs<B>,
    h0: Tensor<B, 3>,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let [_, l, _] = inputs.x.dims();
    let at =
        |t: &Tensor<B, 3>, i: usize| -> Tensor<B, 2> { t.clone().narrow(1, i, 1).squeeze_dim(1) };
    let mut h = h0;
    let mut ys = Vec::with_capacity(l);
    for start in (0..l).step_by(BLOCK) {
        let len = BLOCK.min(l - start);
        let block = |t: &Tensor<B, 3>| t.clone().narrow(1, start, len);
        let (x, delta, b, c) = (
            block(&inputs.x),
            block(&inputs.delta),
            block(&inputs.b),
            block(&inputs.c),
        );
        for i in 0..len {
            let (y, next) = ssm_step(
                h,
                at(&x, i),
                at(&delta, i),
                inputs.a.clone(),
                at(&b, i),
                at(&c, i),
                inputs.d.clone(),
            );
            h = next;
            ys.push(y.unsqueeze_dim(1));
        }
    }
    (Tensor::cat(ys, 1), h)
}

/// Tokens per block in [`scan_reference`].
pub const BLOCK: usize = 16;

/// The fast path: chunks of `chunk_len` tokens, each scanned in parallel (Hillis–Steele),
/// the state carried from one chunk to the next.
///
/// # Shapes
/// As [`scan_reference`].
pub fn scan_chunked<B: Backend>(
    inputs: ScanInputs<B>,
    h0: Tensor<B, 3>,
    chunk_len: usize,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let [_, l, _] = inputs.x.dims();
    let chunk_len = chunk_len.max(1);
    let mut h = h0;
    let mut ys = Vec::with_capacity(l.div_ceil(chunk_len));
    for start in (0..l).step_by(chunk_len) {
        let len = chunk_len.min(l - start);
        let part = |t: &Tensor<B, 3>| t.clone().narrow(1, start, len);
        let chunk = ScanInputs {
            x: part(&inputs.x),
            delta: part(&inputs.delta),
            a: inputs.a.clone(),
            b: part(&inputs.b),
            c: part(&inputs.c),
            d: inputs.d.clone(),
        };
        let (y, next) = scan_chunk_parallel(chunk, h);
        h = next;
        ys.push(y);
    }
    (Tensor::cat(ys, 1), h)
}

/// Hillis–Steele inclusive scan of the affine maps h ↦ Ā_t h + B̄_t x_t over one chunk.
///
/// Composing two maps (Ā₁, u₁) then (Ā₂, u₂) gives (Ā₂Ā₁, Ā₂u₁ + u₂); after ⌈log₂ l⌉ rounds of
/// combining each position with the one `offset` before it, position t holds the composition of
/// maps 0..=t. Folding h0 into u₀ first makes u_t equal h_t.
fn scan_chunk_parallel<B: Backend>(
    inputs: ScanInputs<B>,
    h0: Tensor<B, 3>,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let [batch, l, d] = inputs.x.dims();
    let n = inputs.a.dims()[1];
    let device = inputs.x.device();
    let delta4: Tensor<B, 4> = inputs.delta.unsqueeze_dim(3);
    // Ā_t = exp(Δ_t A), [b, l, d, n]
    let mut decay = (delta4.clone() * inputs.a.unsqueeze_dims::<4>(&[0, 1])).exp();
    // B̄_t x_t = Δ_t B_t x_t, [b, l, d, n]
    let mut acc =
        delta4 * inputs.b.clone().unsqueeze_dim::<4>(2) * inputs.x.clone().unsqueeze_dim::<4>(3);
    let first = decay.clone().narrow(1, 0, 1) * h0.unsqueeze_dim(1) + acc.clone().narrow(1, 0, 1);
    acc = if l > 1 {
        Tensor::cat(vec![first, acc.narrow(1, 1, l - 1)], 1)
    } else {
        first
    };

    let mut offset = 1;
    while offset < l {
        let keep = l - offset;
        let prev_decay = Tensor::cat(
            vec![
                Tensor::ones([batch, offset, d, n], &device),
                decay.clone().narrow(1, 0, keep),
            ],
            1,
        );
        let prev_acc = Tensor::cat(
            vec![
                Tensor::zeros([batch, offset, d, n], &device),
                acc.clone().narrow(1, 0, keep),
            ],
            1,
        );
        acc = decay.clone() * prev_acc + acc;
        decay = decay * prev_decay;
        offset *= 2;
    }
    let h_last = acc.clone().narrow(1, l - 1, 1).squeeze_dim(1);
    // eq. 2b for every t at once: y_t = C_t · h_t + D x_t
    let y = (acc * inputs.c.unsqueeze_dim::<4>(2))
        .sum_dim(3)
        .squeeze_dim(3)
        + inputs.x * inputs.d.unsqueeze_dims::<3>(&[0, 1]);
    (y, h_last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{TestBackend, assert_close, random};

    fn inputs(batch: usize, l: usize, d: usize, n: usize) -> ScanInputs<TestBackend> {
        let device = Default::default();
        ScanInputs {
            x: random([batch, l, d], 1, &device),
            // Δ > 0 as after softplus.
            delta: random::<3>([batch, l, d], 2, &device).abs() * 0.5,
            a: -(random::<2>([d, n], 3, &device).abs() + 0.1),
            b: random([batch, l, n], 4, &device),
            c: random([batch, l, n], 5, &device),
            d: random([d], 6, &device),
        }
    }

    #[test]
    fn chunked_scan_equals_reference_for_every_chunk_length() {
        let device = Default::default();
        let input = inputs(2, 13, 6, 4);
        let h0 = random::<3>([2, 6, 4], 7, &device);
        let (y_ref, h_ref) = scan_reference(input.clone(), h0.clone());
        for chunk in [1, 2, 3, 5, 8, 13, 64] {
            let (y, h) = scan_chunked(input.clone(), h0.clone(), chunk);
            assert_close(y, y_ref.clone(), 1e-5, &format!("y, chunk {chunk}"));
            assert_close(h, h_ref.clone(), 1e-5, &format!("h, chunk {chunk}"));
        }
    }

    #[test]
    fn host_scan_equals_reference_from_a_random_state() {
        let device = Default::default();
        let (batch, l, d, n) = (2, 13, 6, 8);
        let a_log = random::<2>([d, n], 3, &device);
        let input = ScanInputs {
            a: -a_log.clone().exp(),
            ..inputs(batch, l, d, n)
        };
        let h0 = random::<3>([batch, d, n], 7, &device);
        let (y_ref, h_ref) = scan_reference(input.clone(), h0.clone());
        let host = HostScanInputs {
            x: input.x,
            delta: input.delta,
            a_log,
            b: input.b,
            c: input.c,
            d: input.d,
        };
        let (y, h) = scan_host(host, h0);
        assert_close(y, y_ref, 1e-5, "y");
        assert_close(h, h_ref, 1e-5, "h");
    }

    #[test]
    fn single_step_matches_the_equations_by_hand() {
        // d = n = 1: h = exp(Δa) h0 + Δ b x; y = c h + D x.
        let device = Default::default();
        let t1 = |v: f32| Tensor::<TestBackend, 2>::from_floats([[v]], &device);
        let h0 = Tensor::<TestBackend, 3>::from_floats([[[0.5]]], &device);
        let (y, h) = ssm_step(
            h0,
            t1(2.0),
            t1(0.1),
            t1(-1.0),
            t1(3.0),
            t1(0.7),
            Tensor::from_floats([0.25], &device),
        );
        let h_expect = (-0.1f32).exp() * 0.5 + 0.1 * 3.0 * 2.0;
        let y_expect = 0.7 * h_expect + 0.25 * 2.0;
        assert!((h.into_scalar() - h_expect).abs() < 1e-6);
        assert!((y.into_scalar() - y_expect).abs() < 1e-6);
    }
}
