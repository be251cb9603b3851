//! Branch-free `exp` and `c·sinh` that the compiler vectorises, accurate to a few ulp (tested
//! against the standard library over the whole range the potentials use).

const LOG2E: f64 = std::f64::consts::LOG2_E;
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // fdlibm ln2_hi
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // fdlibm ln2_lo
/// 1.5·2⁵²: adding it rounds a double of magnitude < 2⁵¹ to an integer held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `eˣ` for `x ∈ [−708, 709]` (clamped outside): Cody–Waite reduction by `ln 2`, Taylor polynomial
/// of degree 13 on `|r| ≤ ln2/2` (truncation below 1e-17 relative), scaling by `2ᵏ` through the exponent bits.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let t = x * LOG2E + ROUND;
    let k = t - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p: f64 = 1.0 / 6_227_020_800.0;
    p = p.mul_add(r, 1.0 / 479_001_600.0);
    p = p.mul_add(r, 1.0 / 39_916_800.0);
    p = p.mul_add(r, 1.0 / 3_628_800.0);
    p = p.mul_add(r, 1.0 / 362_880.0);
    p = p.mul_add(r, 1.0 / 40_320.0);
    p = p.mul_add(r, 1.0 / 5_040.0);
    p = p.mul_add(r, 1.0 / 720.0);
    p = p.mul_add(r, 1.0 / 120.0);
    p = p.mul_add(r, 1.0 / 24.0);
    p = p.mul_add(r, 1.0 / 6.0);
    p = p.mul_add(r, 0.5);
    p = p.mul_add(r, 1.0);
    p = p.mul_add(r, 1.0);
    let bits = ((k as i64 + 1023) as u64) << 52;
    p * f64::from_bits(bits)
}

/// `c·sinh(θ)` with `lc = ln(c/2)`: the odd Taylor series (to θ¹⁵) for `|θ| < 0.5`, and
/// `sign(θ)(P − h·(h/P))` with `P = e^{|θ|+lc}`, `h = c/2` otherwise (one exponential; no overflow
/// while the result is finite, since `h/P = e^{−|θ|}`).
#[inline(always)]
pub fn c_sinh(c: f64, lc: f64, t: f64) -> f64 {
    let a = t.abs();
    let big_p = exp(a + lc);
    let h = 0.5 * c;
    let big = big_p - h * (h / big_p);
    let t2 = t * t;
    let mut p: f64 = 1.0 / 1_307_674_368_000.0;
    p = p.mul_add(t2, 1.0 / 6_227_020_800.0);
    p = p.mul_add(t2, 1.0 / 39_916_800.0);
    p = p.mul_add(t2, 1.0 / 362_880.0);
    p = p.mul_add(t2, 1.0 / 5_040.0);
    p = p.mul_add(t2, 1.0 / 120.0);
    p = p.mul_add(t2, 1.0 / 6.0);
    p = p.mul_add(t2, 1.0);
    let small = c * (t * p);
    if a < 0.5 { small } else { big.copysign(t) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x: f64 = -708.0;
        while x < 709.0 {
            let e = x.exp();
            worst = worst.max(((exp(x) - e) / e).abs());
            x += 0.0137;
        }
        for x in [-1e-300f64, 0.0, 1e-17, -1e-10, 0.3465, -0.3466, 1.0, 700.0] {
            worst = worst.max(((exp(x) - x.exp()) / x.exp()).abs());
        }
        assert!(worst < 4e-16, "worst relative error {worst:e}");
    }

    #[test]
    fn c_sinh_matches_the_reference_over_all_scales() {
        let mut worst = 0.0f64;
        for &c in &[2e-20, 2e-12, 2e-6, 2.0, 2e6] {
            let lc = (0.5f64 * c).ln();
            let mut t: f64 = -60.0;
            while t < 60.0 {
                let reference = crate::potential::c_sinh(c, t);
                if reference.is_finite() && reference != 0.0 {
                    worst = worst.max(((c_sinh(c, lc, t) - reference) / reference).abs());
                }
                t += 0.01234;
            }
            for t in [1e-300f64, -1e-12, 1e-6, 0.4999, 0.5, -0.5001] {
                let reference = crate::potential::c_sinh(c, t);
                worst = worst.max(((c_sinh(c, lc, t) - reference) / reference).abs());
            }
        }
        assert!(worst < 2e-14, "worst relative error {worst:e}");
    }
}
