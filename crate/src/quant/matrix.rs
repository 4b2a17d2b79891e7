//! [`QuantMatrix`]: a quantized weight matrix and the CPU kernel over it.

use std::fmt;

use half::f16;

use super::kernel;
use super::{QuantError, QuantOptions, QuantScheme, ScaleDtype, block_len, nibbles};

/// A quantized matrix `[rows, cols]` (rows are dot products), with its block scales.
#[derive(Clone, PartialEq)]
pub struct QuantMatrix {
    rows: usize,
    cols: usize,
    scheme: QuantScheme,
    block: usize,
    /// `rows × row_bytes(cols)` bytes: i8 values, or packed nibbles.
    values: Vec<u8>,
    /// `rows × cols / block` scales.
    scales: Vec<f32>,
}

impl fmt::Debug for QuantMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "QuantMatrix({}×{} {} block {})",
            self.rows, self.cols, self.scheme, self.block
        )
    }
}

impl QuantMatrix {
    /// Quantizes a row-major `[rows, cols]` matrix.
    pub fn quantize(
        values: &[f32],
        rows: usize,
        cols: usize,
        options: QuantOptions,
    ) -> Result<Self, QuantError> {
        assert_eq!(values.len(), rows * cols, "matrix size");
        if options.block == 0 {
            return Err(QuantError::ZeroBlock);
        }
        let scheme = options.scheme;
        let block = block_len(cols, options.block);
        let q_max = f32::from(scheme.q_max());
        let mut scales = Vec::with_capacity(rows * cols / block.max(1));
        let mut ints = Vec::with_capacity(rows * cols);
        for chunk in values.chunks(block.max(1)) {
            let scale = best_scale(chunk, q_max, options.scales)?;
            scales.push(scale);
            ints.extend(chunk.iter().map(|v| quantize_value(*v, scale, q_max)));
        }
        Ok(Self {
            rows,
            cols,
            scheme,
            block,
            values: pack(&ints, rows, cols, scheme),
            scales,
        })
    }

    /// Rebuilds a matrix from a bundle's bytes, checking sizes and value ranges.
    pub fn from_parts(
        rows: usize,
        cols: usize,
        scheme: QuantScheme,
        block: usize,
        values: Vec<u8>,
        scales: Vec<f32>,
    ) -> Result<Self, QuantError> {
        let size = |what, expected: usize, found: usize| QuantError::Size {
            what,
            rows,
            cols,
            scheme,
            expected,
            found,
        };
        if block == 0 || !cols.is_multiple_of(block) {
            return Err(QuantError::Corrupt("block size does not divide the row"));
        }
        let expected = rows * scheme.row_bytes(cols);
        if values.len() != expected {
            return Err(size("integers", expected, values.len()));
        }
        let blocks = rows * cols / block;
        if scales.len() != blocks {
            return Err(size("scales", blocks, scales.len()));
        }
        if scales.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return Err(QuantError::Corrupt(
                "a block scale is negative or not finite",
            ));
        }
        if scheme == QuantScheme::Int8 && values.contains(&0x80) {
            return Err(QuantError::Corrupt("an int8 value is -128"));
        }
        Ok(Self {
            rows,
            cols,
            scheme,
            block,
            values,
            scales,
        })
    }

    /// Rows (output features).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns (input features).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Integer format.
    pub fn scheme(&self) -> QuantScheme {
        self.scheme
    }

    /// Values per block.
    pub fn block(&self) -> usize {
        self.block
    }

    /// Packed integers, `rows × row_bytes(cols)` bytes.
    pub fn values(&self) -> &[u8] {
        &self.values
    }

    /// Block scales, row-major `[rows, cols / block]`.
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }

    /// Bytes held in memory (integers plus f32 scales).
    pub fn memory_bytes(&self) -> usize {
        self.values.len() + 4 * self.scales.len()
    }

    /// Writes row `r`, dequantized, into `out` (`cols` long).
    pub fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        let row_bytes = self.scheme.row_bytes(self.cols);
        let bytes = &self.values[r * row_bytes..(r + 1) * row_bytes];
        let blocks = self.cols / self.block;
        let scales = &self.scales[r * blocks..(r + 1) * blocks];
        match self.scheme {
            QuantScheme::Int8 => {
                for ((o, b), s) in out
                    .chunks_exact_mut(self.block)
                    .zip(bytes.chunks_exact(self.block))
                    .zip(scales)
                {
                    for (o, &q) in o.iter_mut().zip(b) {
                        *o = f32::from(q as i8) * s;
                    }
                }
            }
            QuantScheme::Int4 if self.block.is_multiple_of(2) => {
                for ((o, b), s) in out
                    .chunks_exact_mut(self.block)
                    .zip(bytes.chunks_exact(self.block / 2))
                    .zip(scales)
                {
                    for (pair, &byte) in o.chunks_exact_mut(2).zip(b) {
                        let (lo, hi) = nibbles(byte);
                        pair[0] = f32::from(lo) * s;
                        pair[1] = f32::from(hi) * s;
                    }
                }
            }
            QuantScheme::Int4 => {
                for (c, o) in out.iter_mut().enumerate() {
                    *o = f32::from(nibble(bytes, c)) * scales[c / self.block];
                }
            }
        }
    }

    /// The whole matrix as row-major f32 (tests, reports and backends without a kernel).
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        for (r, row) in out.chunks_exact_mut(self.cols).enumerate() {
            self.dequantize_row(r, row);
        }
        out
    }

    /// `y = x · Mᵀ` for `x` row-major `[m, cols]`: returns row-major `[m, rows]`.
    ///
    /// One input row (a decode step) takes each block's integer dot product with the input
    /// and scales the sum once, reading the packed values straight from memory. More input
    /// rows (a prompt) dequantize each matrix row once into a buffer and reuse it for all of
    /// them (the fused form was already slower for two rows, natively). Both sum in a fixed
    /// order, so a given `(matrix, x)` always gives the same bits.
    pub fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.cols, "input size");
        let mut y = vec![0f32; m * self.rows];
        if m == 1 && (self.scheme == QuantScheme::Int8 || self.block.is_multiple_of(2)) {
            self.fused_row_dots(x, &mut y);
            return y;
        }
        let mut row = vec![0f32; self.cols];
        for r in 0..self.rows {
            self.dequantize_row(r, &mut row);
            for (i, xi) in x.chunks_exact(self.cols).enumerate() {
                y[i * self.rows + r] = dot(xi, &row);
            }
        }
        y
    }

    /// `y[r] = x · row r` for every row, block by block on the packed integers. Int4 needs an
    /// even block: its bytes then hold columns (2j, 2j + 1), and x is split once into its
    /// even and odd columns so each nibble meets its input in a plain loop.
    fn fused_row_dots(&self, x: &[f32], y: &mut [f32]) {
        let row_bytes = self.scheme.row_bytes(self.cols);
        let blocks = self.cols / self.block;
        let rows = self
            .values
            .chunks_exact(row_bytes)
            .zip(self.scales.chunks_exact(blocks));
        match self.scheme {
            QuantScheme::Int8 => {
                for ((bytes, scales), out) in rows.zip(y) {
                    *out = kernel::row_dot_int8(bytes, scales, x, self.block);
                }
            }
            QuantScheme::Int4 => {
                let even: Vec<f32> = x.iter().step_by(2).copied().collect();
                let odd: Vec<f32> = x.iter().skip(1).step_by(2).copied().collect();
                for ((bytes, scales), out) in rows.zip(y) {
                    *out = kernel::row_dot_int4(bytes, scales, &even, &odd, self.block / 2);
                }
            }
        }
    }

    /// Rows `ids`, dequantized: row-major `[ids.len(), cols]` (an embedding lookup).
    pub fn gather_rows(&self, ids: &[usize]) -> Vec<f32> {
        let mut out = vec![0f32; ids.len() * self.cols];
        for (o, &id) in out.chunks_exact_mut(self.cols).zip(ids) {
            self.dequantize_row(id, o);
        }
        out
    }
}

/// The block scale with the least squared reconstruction error among `max|w| / q_max` shrunk
/// by 0–40% (clipping the largest values a little buys finer steps for all the others; this
/// matters most for int4's 15 levels).
fn best_scale(block: &[f32], q_max: f32, dtype: ScaleDtype) -> Result<f32, QuantError> {
    let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
    let mut best = (f32::INFINITY, stored_scale(amax / q_max, dtype)?);
    for step in 0..=20 {
        let scale = stored_scale(amax / q_max * (1.0 - 0.02 * step as f32), dtype)?;
        let error: f32 = block
            .iter()
            .map(|&w| w - f32::from(quantize_value(w, scale, q_max)) * scale)
            .map(|e| e * e)
            .sum();
        if error < best.0 {
            best = (error, scale);
        }
    }
    Ok(best.1)
}

fn quantize_value(w: f32, scale: f32, q_max: f32) -> i8 {
    if scale > 0.0 {
        (w / scale).round().clamp(-q_max, q_max) as i8
    } else {
        0
    }
}

/// Eight independent partial sums so the compiler keeps them in SIMD lanes.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Value `c` of a packed int4 row, sign-extended.
fn nibble(row: &[u8], c: usize) -> i8 {
    let (lo, hi) = nibbles(row[c / 2]);
    if c.is_multiple_of(2) { lo } else { hi }
}

fn pack(ints: &[i8], rows: usize, cols: usize, scheme: QuantScheme) -> Vec<u8> {
    match scheme {
        QuantScheme::Int8 => ints.iter().map(|&q| q as u8).collect(),
        QuantScheme::Int4 => {
            let mut out = Vec::with_capacity(rows * scheme.row_bytes(cols));
            for row in ints.chunks(cols.max(1)) {
                out.extend(
                    row.chunks(2)
                        .map(|p| (p[0] as u8 & 0x0f) | ((*p.get(1).unwrap_or(&0) as u8) << 4)),
                );
            }
            out
        }
    }
}

/// The scale as it will be stored (rounded to f16 when asked).
fn stored_scale(scale: f32, dtype: ScaleDtype) -> Result<f32, QuantError> {
    match dtype {
        ScaleDtype::F32 => Ok(scale),
        ScaleDtype::F16 => {
            let half = f16::from_f32(scale);
            if half.is_infinite() {
                return Err(QuantError::ScaleRange(scale));
            }
            Ok(half.to_f32())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{decode_scales, encode_scales};

    fn matrix(rows: usize, cols: usize) -> Vec<f32> {
        (0..rows * cols)
            .map(|i| ((i as f32) * 0.37).sin() * (1.0 + (i % 7) as f32))
            .collect()
    }

    #[test]
    fn values_within_range_round_to_half_a_step_and_clipping_only_lowers_the_error() {
        for scheme in [QuantScheme::Int8, QuantScheme::Int4] {
            for scales in [ScaleDtype::F16, ScaleDtype::F32] {
                let w = matrix(6, 64);
                let options = QuantOptions {
                    scheme,
                    block: 32,
                    scales,
                };
                let q = QuantMatrix::quantize(&w, 6, 64, options).unwrap();
                let d = q.dequantize();
                let q_max = f32::from(scheme.q_max());
                for (i, (a, b)) in w.iter().zip(&d).enumerate() {
                    let step = q.scales()[i / 32];
                    if a.abs() <= q_max * step {
                        assert!(
                            (a - b).abs() <= 0.5 * step * 1.001,
                            "{scheme} {i}: {a} vs {b}"
                        );
                    }
                }
                // The chosen scales do no worse than max|w| / q_max (no clipping).
                for (block, dq) in w.chunks(32).zip(d.chunks(32)) {
                    let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
                    let plain = stored_scale(amax / q_max, scales).unwrap();
                    let sse = |f: &dyn Fn(f32) -> f32| -> f32 {
                        block.iter().map(|&v| (v - f(v)).powi(2)).sum()
                    };
                    let plain_sse = sse(&|v| f32::from(quantize_value(v, plain, q_max)) * plain);
                    let chosen_sse: f32 = block.iter().zip(dq).map(|(a, b)| (a - b).powi(2)).sum();
                    assert!(
                        chosen_sse <= plain_sse,
                        "{scheme}: {chosen_sse} > {plain_sse}"
                    );
                }
            }
        }
    }

    #[test]
    fn int4_packing_is_low_nibble_first_and_sign_extended() {
        let w = [-7.0f32, 7.0, 1.0, -1.0, 0.0, 3.0, -3.0, 2.0];
        let options = QuantOptions {
            scheme: QuantScheme::Int4,
            block: 8,
            scales: ScaleDtype::F32,
        };
        let q = QuantMatrix::quantize(&w, 1, 8, options).unwrap();
        assert_eq!(q.scales(), &[1.0]);
        assert_eq!(q.values(), &[0x79, 0xf1, 0x30, 0x2d]);
        assert_eq!(q.dequantize(), w.to_vec());
    }

    #[test]
    fn matmul_and_gather_equal_the_dequantized_matrix() {
        // One block per row (32 divides neither 48, 12 nor 7), then several blocks of 32;
        // m = 1 runs the fused kernel, m > 1 the dequantize-once one; 12 and 7 leave
        // lane tails; 7 is an odd int4 block (the dequantize-once path for any m).
        for (rows, cols, m) in [
            (10, 48, 3),
            (4, 7, 2),
            (5, 12, 1),
            (9, 96, 1),
            (6, 64, 2),
            (3, 64, 5),
        ] {
            check_matmul(rows, cols, m);
        }
    }

    fn check_matmul(rows: usize, cols: usize, m: usize) {
        let w = matrix(rows, cols);
        let x: Vec<f32> = (0..m * cols).map(|i| (i as f32 * 0.11).cos()).collect();
        for scheme in [QuantScheme::Int8, QuantScheme::Int4] {
            let q = QuantMatrix::quantize(&w, rows, cols, QuantOptions::new(scheme)).unwrap();
            assert_eq!(q.block(), if cols.is_multiple_of(32) { 32 } else { cols });
            let d = q.dequantize();
            let y = q.matmul(&x, m);
            for i in 0..m {
                for r in 0..rows {
                    let terms = (0..cols).map(|c| x[i * cols + c] * d[r * cols + c]);
                    let (want, size) = terms.fold((0f32, 0f32), |(s, a), t| (s + t, a + t.abs()));
                    let got = y[i * rows + r];
                    assert!(
                        (got - want).abs() <= 1e-5 * (1.0 + size),
                        "{scheme} {rows}x{cols} m {m}: {got} vs {want}"
                    );
                }
            }
            let last = rows - 1;
            assert_eq!(q.gather_rows(&[last]), d[last * cols..].to_vec());
        }
    }

    #[test]
    fn bad_parts_and_unknown_schemes_are_errors() {
        assert!(matches!(
            QuantScheme::parse("int3"),
            Err(QuantError::UnknownScheme(_))
        ));
        let scheme = QuantScheme::Int4;
        let err = QuantMatrix::from_parts(2, 8, scheme, 8, vec![0; 7], vec![1.0; 2]);
        assert!(matches!(err, Err(QuantError::Size { .. })), "{err:?}");
        let err = QuantMatrix::from_parts(2, 8, scheme, 8, vec![0; 8], vec![1.0, f32::NAN]);
        assert!(matches!(err, Err(QuantError::Corrupt(_))), "{err:?}");
        let err = QuantMatrix::from_parts(1, 4, QuantScheme::Int8, 4, vec![0x80; 4], vec![1.0]);
        assert!(matches!(err, Err(QuantError::Corrupt(_))), "{err:?}");
        let huge = [1e9f32; 4];
        let options = QuantOptions::new(QuantScheme::Int8);
        assert!(matches!(
            QuantMatrix::quantize(&huge, 1, 4, options),
            Err(QuantError::ScaleRange(_))
        ));
    }

    #[test]
    fn scales_round_trip_through_their_dtype() {
        let scales = [0.5f32, 0.0123, 3.0];
        for dtype in [ScaleDtype::F16, ScaleDtype::F32] {
            let rounded: Vec<f32> = scales
                .iter()
                .map(|s| stored_scale(*s, dtype).unwrap())
                .collect();
            assert_eq!(
                decode_scales(&encode_scales(&rounded, dtype), dtype),
                rounded
            );
        }
    }
}
