//! Dot products of one input row with one packed quantized row: `Σ_blocks s · Σ q·x`, the
//! integers converted to f32 as they are loaded. The portable loops are what native builds
//! run (the compiler vectorises them); wasm with SIMD runs explicit 128-bit code instead,
//! because the compiler left the portable loops scalar there (the demo's int4 step took
//! 2.7 ms instead of 1.85, measured in Chromium with `crate/tests/wasm_profile.rs`).
//!
//! Both forms sum each block in their own fixed order, so a build always gives the same bits
//! for the same input; the two forms can differ from each other in the last bits.

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub use portable::{row_dot_int4, row_dot_int8};
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use wasm_simd::{row_dot_int4, row_dot_int8};

/// An int4 byte's two values as f32 (low nibble, high nibble).
fn nibbles(byte: u8) -> (f32, f32) {
    let (lo, hi) = super::nibbles(byte);
    (f32::from(lo), f32::from(hi))
}

/// An int8 row's blocks: (values, inputs, scale).
fn int8_blocks<'a>(
    bytes: &'a [u8],
    scales: &'a [f32],
    x: &'a [f32],
    block: usize,
) -> impl Iterator<Item = (&'a [u8], &'a [f32], f32)> {
    let blocks = bytes.chunks_exact(block).zip(x.chunks_exact(block));
    blocks.zip(scales).map(|((q, x), &s)| (q, x, s))
}

/// An int4 row's blocks of `half` bytes: (bytes, even inputs, odd inputs, scale).
fn int4_blocks<'a>(
    bytes: &'a [u8],
    scales: &'a [f32],
    even: &'a [f32],
    odd: &'a [f32],
    half: usize,
) -> impl Iterator<Item = (&'a [u8], &'a [f32], &'a [f32], f32)> {
    let blocks = bytes
        .chunks_exact(half)
        .zip(even.chunks_exact(half))
        .zip(odd.chunks_exact(half));
    blocks.zip(scales).map(|(((q, e), o), &s)| (q, e, o, s))
}

#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
mod portable {
    use super::{int4_blocks, int8_blocks, nibbles};

    /// Partial sums kept apart so the compiler holds them in SIMD lanes.
    const LANES: usize = 8;

    /// `Σ_b scales[b] · Σ_{c in b} q_c · x_c` over an int8 row of blocks of `block` values.
    pub fn row_dot_int8(bytes: &[u8], scales: &[f32], x: &[f32], block: usize) -> f32 {
        let mut total = [0f32; LANES];
        for (q, x, s) in int8_blocks(bytes, scales, x, block) {
            let mut acc = [0f32; LANES];
            let (cq, cx) = (q.chunks_exact(LANES), x.chunks_exact(LANES));
            for (&q, &x) in cq.remainder().iter().zip(cx.remainder()) {
                acc[0] += f32::from(q as i8) * x;
            }
            for (q, x) in cq.zip(cx) {
                for k in 0..LANES {
                    acc[k] += f32::from(q[k] as i8) * x[k];
                }
            }
            add_scaled(&mut total, &acc, s);
        }
        total.iter().sum()
    }

    /// The int4 form: byte j of a block holds the values for `even[j]` (low nibble) and
    /// `odd[j]` (high nibble), x split once into its even and odd columns; `half` = block / 2.
    pub fn row_dot_int4(
        bytes: &[u8],
        scales: &[f32],
        even: &[f32],
        odd: &[f32],
        half: usize,
    ) -> f32 {
        let mut total = [0f32; LANES];
        for (q, e, o, s) in int4_blocks(bytes, scales, even, odd, half) {
            let mut acc = [0f32; LANES];
            let (cq, ce, co) = (
                q.chunks_exact(LANES),
                e.chunks_exact(LANES),
                o.chunks_exact(LANES),
            );
            for ((&b, &e), &o) in cq
                .remainder()
                .iter()
                .zip(ce.remainder())
                .zip(co.remainder())
            {
                let (lo, hi) = nibbles(b);
                acc[0] += lo * e + hi * o;
            }
            for ((q, e), o) in cq.zip(ce).zip(co) {
                for k in 0..LANES {
                    let (lo, hi) = nibbles(q[k]);
                    acc[k] += lo * e[k] + hi * o[k];
                }
            }
            add_scaled(&mut total, &acc, s);
        }
        total.iter().sum()
    }

    /// `total += s · partial`, lane by lane.
    fn add_scaled(total: &mut [f32; LANES], partial: &[f32; LANES], s: f32) {
        for (t, p) in total.iter_mut().zip(partial) {
            *t += p * s;
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm_simd {
    use core::arch::wasm32::{
        f32x4_add, f32x4_convert_i32x4, f32x4_extract_lane, f32x4_mul, f32x4_splat, i8x16_shl,
        i8x16_shr, i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i32x4_extend_high_i16x8,
        i32x4_extend_low_i16x8, v128, v128_load,
    };

    use super::{int4_blocks, int8_blocks, nibbles};

    /// 16 bytes from `q` (at least 16 long).
    fn load_bytes(q: &[u8]) -> v128 {
        assert!(q.len() >= 16);
        // SAFETY: 16 readable bytes (checked above); v128_load needs no alignment.
        unsafe { v128_load(q.as_ptr().cast()) }
    }

    /// Four f32 from `x` (at least 4 long).
    fn load_f32(x: &[f32]) -> v128 {
        assert!(x.len() >= 4);
        // SAFETY: 16 readable bytes (checked above); v128_load needs no alignment.
        unsafe { v128_load(x.as_ptr().cast()) }
    }

    /// `acc + Σ lanes of q (16 signed bytes) · x[0..16]`, four lanes wide.
    fn dot16(acc: v128, q: v128, x: &[f32]) -> v128 {
        let (lo, hi) = (i16x8_extend_low_i8x16(q), i16x8_extend_high_i8x16(q));
        let parts = [
            i32x4_extend_low_i16x8(lo),
            i32x4_extend_high_i16x8(lo),
            i32x4_extend_low_i16x8(hi),
            i32x4_extend_high_i16x8(hi),
        ];
        let mut sum = acc;
        for (part, x) in parts.into_iter().zip(x.chunks_exact(4)) {
            sum = f32x4_add(sum, f32x4_mul(f32x4_convert_i32x4(part), load_f32(x)));
        }
        sum
    }

    fn lanes_sum(v: v128) -> f32 {
        (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v))
            + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
    }

    /// See the portable form; 16 values a load, a shorter tail in scalar code.
    pub fn row_dot_int8(bytes: &[u8], scales: &[f32], x: &[f32], block: usize) -> f32 {
        let (mut total, mut tail_total) = (f32x4_splat(0.0), 0f32);
        for (q, x, s) in int8_blocks(bytes, scales, x, block) {
            let mut acc = f32x4_splat(0.0);
            let (cq, cx) = (q.chunks_exact(16), x.chunks_exact(16));
            let tail: f32 = cq
                .remainder()
                .iter()
                .zip(cx.remainder())
                .map(|(&q, &x)| f32::from(q as i8) * x)
                .sum();
            for (q, x) in cq.zip(cx) {
                acc = dot16(acc, load_bytes(q), x);
            }
            total = f32x4_add(total, f32x4_mul(acc, f32x4_splat(s)));
            tail_total += tail * s;
        }
        lanes_sum(total) + tail_total
    }

    /// See the portable form; 16 bytes (32 values) a load, a shorter tail in scalar code.
    pub fn row_dot_int4(
        bytes: &[u8],
        scales: &[f32],
        even: &[f32],
        odd: &[f32],
        half: usize,
    ) -> f32 {
        let (mut total, mut tail_total) = (f32x4_splat(0.0), 0f32);
        for (q, e, o, s) in int4_blocks(bytes, scales, even, odd, half) {
            let mut acc = f32x4_splat(0.0);
            let (cq, ce, co) = (q.chunks_exact(16), e.chunks_exact(16), o.chunks_exact(16));
            let tail: f32 = cq
                .remainder()
                .iter()
                .zip(ce.remainder())
                .zip(co.remainder())
                .map(|((&b, &e), &o)| {
                    let (lo, hi) = nibbles(b);
                    lo * e + hi * o
                })
                .sum();
            for ((q, e), o) in cq.zip(ce).zip(co) {
                let packed = load_bytes(q);
                let lo = i8x16_shr(i8x16_shl(packed, 4), 4);
                let hi = i8x16_shr(packed, 4);
                acc = dot16(dot16(acc, lo, e), hi, o);
            }
            total = f32x4_add(total, f32x4_mul(acc, f32x4_splat(s)));
            tail_total += tail * s;
        }
        lanes_sum(total) + tail_total
    }
}
