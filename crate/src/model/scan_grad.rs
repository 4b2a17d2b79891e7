//! The selective scan's backward pass on host memory, for training on CPU backends.
//!
//! burn's autodiff records the sequential scan as about 20 small ops per token and layer, each a
//! fresh `[b, d, n]` tensor and a graph node; on two CPU cores that costs more than everything
//! else in a training step together. Here the forward pass is [`scan_host`]'s loop and the
//! backward pass is its hand-derived adjoint, one pass over h per token each way.
//!
//! Memory grows with `b · l · d`, not `b · l · d · n`: the forward pass keeps h only at the start
//! of every [`CHECKPOINT_EVERY`] tokens, and the backward pass recomputes the states of one
//! block at a time from its checkpoint (as the Mamba authors' fused `selective_scan` does).
//! Sequences run in parallel on rayon's pool.
//!
//! # The adjoint (per sequence, channel i, state j; g = ∂L/∂h_t, carried backwards)
//! ```text
//!   g      += ∂L/∂y_t · C_t                       (y_t = C_t · h_t + D x_t, eq. 2b)
//!   ∂L/∂C_t += ∂L/∂y_t · h_t      ∂L/∂D += ∂L/∂y_t · x_t      ∂L/∂x_t += ∂L/∂y_t · D
//!   Ā = exp(Δ_t A)                                (h_t = Ā h_{t-1} + Δ_t B_t x_t, eq. 2a)
//!   ∂L/∂Δ_t += g · (A Ā h_{t-1} + B_t x_t)    ∂L/∂A += g · Δ_t Ā h_{t-1}
//!   ∂L/∂x_t += Δ_t g · B_t                    ∂L/∂B_t += g Δ_t x_t
//!   g ← g Ā                                       (∂L/∂h_{t-1})
//! ```
//!
//! [`scan_host`]: crate::model::scan::scan_host

use rayon::prelude::*;

use crate::model::scan::{HostToken, dot4};
use crate::ops::exp::exp;

/// Tokens between the states the forward pass keeps for the backward pass.
pub const CHECKPOINT_EVERY: usize = 16;

/// Sizes of one scan: b sequences of l tokens, d channels, n states per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanDims {
    /// b.
    pub batch: usize,
    /// l.
    pub len: usize,
    /// d = d_inner.
    pub inner: usize,
    /// n = d_state.
    pub state: usize,
}

impl ScanDims {
    fn blocks(&self) -> usize {
        self.len.div_ceil(CHECKPOINT_EVERY)
    }
}

/// A scan's inputs on the host, row-major: x and Δ `[b, l, d]`, A `[d, n]` (A itself, not its
/// log), B and C `[b, l, n]`, D `[d]`.
#[derive(Debug, Clone)]
pub struct HostScan {
    /// The sizes.
    pub dims: ScanDims,
    /// x.
    pub x: Vec<f32>,
    /// Δ.
    pub delta: Vec<f32>,
    /// A.
    pub a: Vec<f32>,
    /// B.
    pub b: Vec<f32>,
    /// C.
    pub c: Vec<f32>,
    /// D.
    pub skip: Vec<f32>,
}

/// What the forward pass returns: y `[b, l, d]`, the last state `[b, d, n]`, and the states
/// the backward pass starts its blocks from, `[b, ⌈l / CHECKPOINT_EVERY⌉, d, n]`.
#[derive(Debug, Clone)]
pub struct ScanForward {
    /// y.
    pub y: Vec<f32>,
    /// h after the last token.
    pub h_last: Vec<f32>,
    /// h before each block of [`CHECKPOINT_EVERY`] tokens.
    pub checkpoints: Vec<f32>,
}

/// Gradients of the loss with respect to every input, shaped like them; `h0` is `[b, d, n]`.
/// One sequence's share has the same form, with b = 1.
#[derive(Debug, Clone)]
pub struct ScanGrads {
    /// ∂L/∂x.
    pub x: Vec<f32>,
    /// ∂L/∂Δ.
    pub delta: Vec<f32>,
    /// ∂L/∂A.
    pub a: Vec<f32>,
    /// ∂L/∂B.
    pub b: Vec<f32>,
    /// ∂L/∂C.
    pub c: Vec<f32>,
    /// ∂L/∂D.
    pub skip: Vec<f32>,
    /// ∂L/∂h0.
    pub h0: Vec<f32>,
}

impl HostScan {
    fn token(&self, row: usize) -> HostToken<'_> {
        let ScanDims { inner, state, .. } = self.dims;
        HostToken {
            x: &self.x[row * inner..][..inner],
            delta: &self.delta[row * inner..][..inner],
            b: &self.b[row * state..][..state],
            c: &self.c[row * state..][..state],
        }
    }

    /// Runs the scan from `h0` `[b, d, n]`.
    pub fn forward(&self, h0: &[f32]) -> ScanForward {
        let ScanDims {
            len, inner, state, ..
        } = self.dims;
        let per_state = inner * state;
        let blocks = self.dims.blocks();
        let mut y = vec![0f32; self.x.len()];
        let mut h_last = h0.to_vec();
        let mut checkpoints = vec![0f32; self.dims.batch * blocks * per_state];
        let sequences = y
            .par_chunks_mut(len * inner)
            .zip(h_last.par_chunks_mut(per_state))
            .zip(checkpoints.par_chunks_mut(blocks * per_state))
            .enumerate();
        sequences.for_each(|(seq, ((y, h), checkpoints))| {
            for (t, y) in y.chunks_exact_mut(inner).enumerate() {
                if t % CHECKPOINT_EVERY == 0 {
                    checkpoints[t / CHECKPOINT_EVERY * per_state..][..per_state].copy_from_slice(h);
                }
                self.token(seq * len + t).step(h, &self.a, &self.skip, y);
            }
        });
        ScanForward {
            y,
            h_last,
            checkpoints,
        }
    }

    /// The gradients, given the forward pass's checkpoints and the loss's gradients with
    /// respect to y `[b, l, d]` and to the last state `[b, d, n]`.
    pub fn backward(&self, checkpoints: &[f32], grad_y: &[f32], grad_h_last: &[f32]) -> ScanGrads {
        let ScanDims {
            len, inner, state, ..
        } = self.dims;
        let per_state = inner * state;
        let per_seq: Vec<ScanGrads> = (0..self.dims.batch)
            .into_par_iter()
            .map(|seq| {
                self.backward_sequence(
                    seq,
                    &checkpoints[seq * self.dims.blocks() * per_state..],
                    &grad_y[seq * len * inner..][..len * inner],
                    &grad_h_last[seq * per_state..][..per_state],
                )
            })
            .collect();
        let mut grads = ScanGrads {
            x: Vec::with_capacity(self.x.len()),
            delta: Vec::with_capacity(self.x.len()),
            a: vec![0f32; per_state],
            b: Vec::with_capacity(self.b.len()),
            c: Vec::with_capacity(self.c.len()),
            skip: vec![0f32; inner],
            h0: Vec::with_capacity(self.dims.batch * per_state),
        };
        for seq in per_seq {
            grads.x.extend(seq.x);
            grads.delta.extend(seq.delta);
            grads.b.extend(seq.b);
            grads.c.extend(seq.c);
            grads.h0.extend(seq.h0);
            add_into(&mut grads.a, &seq.a);
            add_into(&mut grads.skip, &seq.skip);
        }
        grads
    }

    /// One sequence's gradients, its blocks in reverse, each block's states recomputed from
    /// its checkpoint.
    fn backward_sequence(
        &self,
        seq: usize,
        checkpoints: &[f32],
        grad_y: &[f32],
        grad_h_last: &[f32],
    ) -> ScanGrads {
        let ScanDims {
            len, inner, state, ..
        } = self.dims;
        let per_state = inner * state;
        let mut grads = ScanGrads {
            x: vec![0f32; len * inner],
            delta: vec![0f32; len * inner],
            a: vec![0f32; per_state],
            b: vec![0f32; len * state],
            c: vec![0f32; len * state],
            skip: vec![0f32; inner],
            h0: grad_h_last.to_vec(),
        };
        // states[k] = h after token start + k; the scan's y is not needed again.
        let mut states = vec![0f32; CHECKPOINT_EVERY * per_state];
        let mut scratch_y = vec![0f32; inner];
        let mut lanes = vec![0f32; 2 * state];
        for block in (0..self.dims.blocks()).rev() {
            let start = block * CHECKPOINT_EVERY;
            let block_len = CHECKPOINT_EVERY.min(len - start);
            let checkpoint = &checkpoints[block * per_state..][..per_state];
            let mut h = checkpoint.to_vec();
            for k in 0..block_len {
                self.token(seq * len + start + k)
                    .step(&mut h, &self.a, &self.skip, &mut scratch_y);
                states[k * per_state..][..per_state].copy_from_slice(&h);
            }
            for k in (0..block_len).rev() {
                let t = start + k;
                let prev = match k {
                    0 => checkpoint,
                    _ => &states[(k - 1) * per_state..][..per_state],
                };
                let adjoint = TokenAdjoint {
                    token: self.token(seq * len + t),
                    grad_y: &grad_y[t * inner..][..inner],
                    h: &states[k * per_state..][..per_state],
                    h_prev: prev,
                };
                adjoint.apply(self, &mut grads, t, &mut lanes);
            }
        }
        grads
    }
}

/// The adjoint of one token's step: its inputs, ∂L/∂y_t, and the states around it.
struct TokenAdjoint<'a> {
    token: HostToken<'a>,
    grad_y: &'a [f32],
    /// h_t, `[d, n]`.
    h: &'a [f32],
    /// h_{t-1}, `[d, n]`.
    h_prev: &'a [f32],
}

impl TokenAdjoint<'_> {
    /// Adds token t's terms to `grads` and turns `grads.h0` (holding ∂L/∂h_t) into ∂L/∂h_{t-1}.
    /// `lanes` is scratch of 2n values: the sums over j are taken from it after the loop over j,
    /// which then has no float reduction in it and vectorises.
    fn apply(&self, scan: &HostScan, grads: &mut ScanGrads, t: usize, lanes: &mut [f32]) {
        let (d, n) = (scan.dims.inner, scan.dims.state);
        let HostToken { x, delta, b, c } = self.token;
        let (b, c) = (&b[..n], &c[..n]);
        let grad_b = &mut grads.b[t * n..][..n];
        let grad_c = &mut grads.c[t * n..][..n];
        let (decay_terms, g_terms) = lanes[..2 * n].split_at_mut(n);
        for i in 0..d {
            let (dy, delta, x) = (self.grad_y[i], delta[i], x[i]);
            let span = i * n..(i + 1) * n;
            let g = &mut grads.h0[span.clone()];
            let grad_a = &mut grads.a[span.clone()];
            let (a, h, h_prev) = (
                &scan.a[span.clone()],
                &self.h[span.clone()],
                &self.h_prev[span],
            );
            for j in 0..n {
                grad_c[j] += dy * h[j];
                let g_j = g[j] + dy * c[j];
                let a_bar = exp(delta * a[j]);
                let g_h_prev = g_j * h_prev[j];
                decay_terms[j] = g_h_prev * a[j] * a_bar;
                g_terms[j] = g_j;
                grad_a[j] += g_h_prev * delta * a_bar;
                grad_b[j] += g_j * delta * x;
                g[j] = g_j * a_bar;
            }
            let g_dot_b = dot4(g_terms, b);
            grads.delta[t * d + i] = sum4(decay_terms) + x * g_dot_b;
            grads.x[t * d + i] = dy * scan.skip[i] + delta * g_dot_b;
            grads.skip[i] += dy * x;
        }
    }
}

/// Σ aᵢ with four running sums, as [`dot4`] keeps them.
fn sum4(a: &[f32]) -> f32 {
    let mut acc = [0f32; 4];
    let chunks = a.chunks_exact(4);
    let tail: f32 = chunks.remainder().iter().sum();
    for x in chunks {
        for k in 0..4 {
            acc[k] += x[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

fn add_into(sum: &mut [f32], part: &[f32]) {
    for (s, p) in sum.iter_mut().zip(part) {
        *s += p;
    }
}
