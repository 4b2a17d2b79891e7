//! A vectorisable eˣ for the CPU kernels. In wasm, `f32::exp` is a scalar library call (there
//! is no exp instruction), and the decoder needs tens of thousands per token: the scan's
//! Ā = exp(Δ A) over d_inner × d_state per layer, and the sampler's softmax over the
//! vocabulary. This one is plain arithmetic, so the compiler vectorises loops of it, and it
//! gives the same bits natively and in the browser.

/// eˣ in f32 by Cody–Waite range reduction and Cephes' degree-6 polynomial (about 1 ulp
/// from the true value), written without calls or branches so a loop of it vectorises.
/// Below −87.3 (where eˣ leaves the normal floats) it returns 0, above 88.3 +∞ (f32 itself
/// overflows a little later, at 88.72); NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 · 2²³: adding it rounds to an integer, which then sits in the mantissa's low bits.
    const ROUND: f32 = 12_582_912.0;
    let clamped = x.clamp(-87.3, 88.3);
    let shifted = clamped * LOG2E + ROUND;
    let k = shifted - ROUND;
    let r = clamped - k * LN2_HI - k * LN2_LO;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let poly = p * r * r + r + 1.0;
    let k = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let scale = f32::from_bits(((k + 127) << 23) as u32);
    let value = poly * scale;
    if x < -87.3 {
        0.0
    } else if x > 88.3 {
        f32::INFINITY
    } else if x.is_nan() {
        x
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_exp_is_within_two_ulps_and_handles_the_edges() {
        for i in -8730..=8827 {
            let x = i as f32 / 100.0 + 0.003;
            let (got, want) = (exp(x), x.exp());
            let ulps = (got.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(ulps <= 2, "exp({x}) = {got}, std gives {want}: {ulps} ulps");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
    }
}
