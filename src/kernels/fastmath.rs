//! Elementary functions of the potentials: branch-free `exp` and `c·sinh` that the compiler vectorises,
//! accurate to a few ulp (tested against the standard library over the whole range the potentials use),
//! and the scalar reference forms (`c·sinh`, `c·cosh` without overflow, `e^δ − 1 − δ` without
//! cancellation) they are tested against (SPEC §6).

/// `e^δ − 1 − δ`, accurate for small `δ` (Taylor series below `|δ| = 0.5`).
#[inline]
pub fn expm1_m_x(d: f64) -> f64 {
    if d.abs() < 0.5 {
        let mut term = d * d / 2.0;
        let mut sum = term;
        for k in 3..18 {
            term *= d / k as f64;
            sum += term;
        }
        sum
    } else {
        d.exp_m1() - d
    }
}

/// `c·sinh θ` with the standard library, without overflow while the result is representable
/// (`exp(|θ| + ln(c/2))` past `|θ| = 20`).
#[inline]
pub fn c_sinh_std(c: f64, t: f64) -> f64 {
    if t.abs() < 20.0 { c * t.sinh() } else { t.signum() * (t.abs() + (0.5 * c).ln()).exp() }
}

/// `c·cosh θ` with the standard library, without overflow while the result is representable.
#[inline]
pub fn c_cosh_std(c: f64, t: f64) -> f64 {
    if t.abs() < 20.0 { c * t.cosh() } else { (t.abs() + (0.5 * c).ln()).exp() }
}

const LOG2E: f64 = std::f64::consts::LOG2_E;
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // fdlibm ln2_hi
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // fdlibm ln2_lo
/// 1.5·2⁵²: adding it rounds a double of magnitude < 2⁵¹ to an integer held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `eˣ`: Cody–Waite reduction by `ln 2`, Taylor polynomial of degree 13 on `|r| ≤ ln2/2` (truncation
/// below 1e-17 relative), scaling by `2ᵏ` in two exact halves through the exponent bits, so results
/// overflow to `∞` past `x ≈ 709.8` and underflow gradually to 0 as `std`'s do.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let x = x.clamp(-746.0, 710.0);
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
    // `t = ROUND + k` exactly (its ulp is 1), so `k` is the difference of the bit patterns: integer
    // arithmetic that vectorises (a float-to-int `as` cast would not: it saturates lane by lane).
    let ki = (t.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let k1 = ki >> 1;
    let s1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((ki - k1 + 1023) as u64) << 52);
    p * s1 * s2
}

/// `(c/2)[e^θ(e^x − 1 − x) + e^{−θ}(e^{−x} − 1 + x)] = c(cosh(θ+x) − cosh θ − x sinh θ)` with `a = ln(c/2)`:
/// the hyperbolic entropy's dual Bregman divergence, branch-free (every regime computed, one selected, so the
/// compiler vectorises a loop of it). Each term is non-negative: below `|x| = 0.5` the Taylor series of
/// `e^x − 1 − x` (to `x¹⁷`), past `x = 30` the factor is taken into the exponent (`e^{θ+a+x}(1 − (1+x)e^{−x})`,
/// no `0·∞`), otherwise `e^x − 1 − x` directly. The reference is `Hyperbolic::conj_bregman_i` (SPEC §6).
#[inline(always)]
pub fn c_conj_bregman(theta: f64, x: f64, a: f64) -> f64 {
    conj_bregman_term(theta, x, a) + conj_bregman_term(-theta, -x, a)
}

/// One term of [`c_conj_bregman`]: `e^{θ+a}(e^x − 1 − x)`.
#[inline(always)]
fn conj_bregman_term(theta: f64, x: f64, a: f64) -> f64 {
    let mut p: f64 = 1.0 / 355_687_428_096_000.0; // 1/17!
    p = p.mul_add(x, INV_FACT[16]);
    p = p.mul_add(x, INV_FACT[15]);
    p = p.mul_add(x, INV_FACT[14]);
    p = p.mul_add(x, INV_FACT[13]);
    p = p.mul_add(x, INV_FACT[12]);
    p = p.mul_add(x, INV_FACT[11]);
    p = p.mul_add(x, INV_FACT[10]);
    p = p.mul_add(x, INV_FACT[9]);
    p = p.mul_add(x, INV_FACT[8]);
    p = p.mul_add(x, INV_FACT[7]);
    p = p.mul_add(x, INV_FACT[6]);
    p = p.mul_add(x, INV_FACT[5]);
    p = p.mul_add(x, INV_FACT[4]);
    p = p.mul_add(x, INV_FACT[3]);
    p = p.mul_add(x, INV_FACT[2]);
    let small = x * x * p;
    let mid = exp(x) - 1.0 - x;
    let e = if x.abs() < 0.5 { small } else { mid };
    let lo = if e == 0.0 { 0.0 } else { exp(theta + a) * e };
    let hi = exp(theta + a + x) * (1.0 - (1.0 + x) * exp(-x));
    if x > 30.0 { hi } else { lo }
}

/// `1/k!` for `k = 0..17`.
const INV_FACT: [f64; 17] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
    1.0 / 1_307_674_368_000.0,
    1.0 / 20_922_789_888_000.0,
];

/// `c·sinh(θ)` with `lc = ln(c/2)`: the odd Taylor series (to θ¹⁵) for `|θ| < 0.5`, and
/// `sign(θ)(P − h·(h/P))` with `P = e^{|θ|+lc}`, `h = c/2` otherwise (one exponential; no overflow
/// while the result is finite, since `h/P = e^{−|θ|}`).
#[inline(always)]
pub fn c_sinh(c: f64, lc: f64, t: f64) -> f64 {
    let a = t.abs();
    let big_p = exp(a + lc);
    let h = 0.5 * c;
    // h/P with P floored at the smallest normal: where c itself underflowed (the log-scale potentials, lc far
    // below −745) P can underflow to 0 as well, and 0·(0/0) would be NaN; then h = 0 and the term is 0.
    let big = big_p - h * (h / big_p.max(f64::MIN_POSITIVE));
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

/// `ln(1 + z)` for `z ∈ [0, 1]` (the logistic loss' `ln1p(e^{−|m|})`), branch-free so that a loop over margins
/// vectorises: `ln(1 + z) = 2·atanh(s)`, `s = z/(2 + z) ∈ [0, 1/3]`, by its odd series to `s³³` (the first term
/// left out is below `s³⁵/35 · 2 ≤ 1e-18` relative). `s` carries two roundings, the series one per step: a few
/// ulp in all (tested against the standard library's `ln_1p`). NaN in, NaN out.
#[inline(always)]
pub fn ln1p_unit(z: f64) -> f64 {
    // u = 2s from 2z (exact) so that subnormal z keep their last bit.
    let u = (2.0 * z) / (2.0 + z);
    let s = 0.5 * u;
    let s2 = s * s;
    let mut p: f64 = 1.0 / 33.0;
    p = p.mul_add(s2, 1.0 / 31.0);
    p = p.mul_add(s2, 1.0 / 29.0);
    p = p.mul_add(s2, 1.0 / 27.0);
    p = p.mul_add(s2, 1.0 / 25.0);
    p = p.mul_add(s2, 1.0 / 23.0);
    p = p.mul_add(s2, 1.0 / 21.0);
    p = p.mul_add(s2, 1.0 / 19.0);
    p = p.mul_add(s2, 1.0 / 17.0);
    p = p.mul_add(s2, 1.0 / 15.0);
    p = p.mul_add(s2, 1.0 / 13.0);
    p = p.mul_add(s2, 1.0 / 11.0);
    p = p.mul_add(s2, 1.0 / 9.0);
    p = p.mul_add(s2, 1.0 / 7.0);
    p = p.mul_add(s2, 1.0 / 5.0);
    p = p.mul_add(s2, 1.0 / 3.0);
    // 2s(1 + s²p): the leading 1 added last keeps the correction's rounding relative to s²p, not to 1.
    u.mul_add(s2 * p, u)
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
        for x in [-1e-300f64, 0.0, 1e-17, -1e-10, 0.3465, -0.3466, 1.0, 700.0, 709.7, -708.3] {
            worst = worst.max(((exp(x) - x.exp()) / x.exp()).abs());
        }
        assert!(worst < 4e-16, "worst relative error {worst:e}");
        // Overflow and gradual underflow as the standard library's.
        for x in [709.8f64, 710.0, 800.0, f64::INFINITY] {
            assert_eq!(exp(x), f64::INFINITY, "exp({x})");
        }
        for x in [-746.0f64, -800.0, f64::NEG_INFINITY] {
            assert_eq!(exp(x), 0.0, "exp({x})");
        }
        let mut x = -745.0f64;
        while x < -708.0 {
            // Subnormal results: within one unit of the smallest subnormal, or relatively close.
            let (a, b) = (exp(x), x.exp());
            assert!((a - b).abs() <= 5e-324_f64.max(1e-13 * b), "exp({x}) = {a:e}, std {b:e}");
            x += 0.0731;
        }
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn c_sinh_matches_the_reference_over_all_scales() {
        let mut worst = 0.0f64;
        for &c in &[2e-20, 2e-12, 2e-6, 2.0, 2e6] {
            let lc = (0.5f64 * c).ln();
            let mut t: f64 = -60.0;
            while t < 60.0 {
                let reference = c_sinh_std(c, t);
                if reference.is_finite() && reference != 0.0 {
                    worst = worst.max(((c_sinh(c, lc, t) - reference) / reference).abs());
                }
                t += 0.01234;
            }
            for t in [1e-300f64, -1e-12, 1e-6, 0.4999, 0.5, -0.5001] {
                let reference = c_sinh_std(c, t);
                worst = worst.max(((c_sinh(c, lc, t) - reference) / reference).abs());
            }
        }
        assert!(worst < 2e-14, "worst relative error {worst:e}");
    }

    /// Scales below the floating-point range (`c = 0`, only `ln(c/2)` known): 0 where the value underflows, never
    /// NaN, and `sign(θ)e^{|θ| + ln(c/2)}` where it is representable.
    #[test]
    fn c_sinh_survives_an_underflowed_scale() {
        let lc = -2000.0;
        for t in [0.0, 0.3, 0.5, 0.7, 19.0, 25.0, 700.0, 1254.0, -1254.0] {
            let v = c_sinh(0.0, lc, t);
            assert!(v == 0.0, "θ = {t}: {v}");
        }
        for t in [1300.0f64, 2000.0, -2100.0] {
            let want = (t.abs() + lc).exp().copysign(t);
            assert!((c_sinh(0.0, lc, t) - want).abs() <= 1e-13 * want.abs(), "θ = {t}");
        }
    }

    #[test]
    fn ln1p_unit_matches_std_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut z: f64 = 0.0;
        while z <= 1.0 {
            let r = z.ln_1p();
            if r > 0.0 {
                worst = worst.max(((ln1p_unit(z) - r) / r).abs());
            }
            z += 1.0 / 4099.0;
        }
        // Tiny and subnormal arguments (e^{−|m|} for margins up to 745), and the ends.
        for z in [5e-324f64, 1e-310, 1e-300, 1e-200, 1e-20, 1e-16, 2.2e-16, 1e-8, 0.5, 1.0 - 1e-16, 1.0] {
            let r = z.ln_1p();
            worst = worst.max(((ln1p_unit(z) - r) / r).abs());
        }
        assert!(worst < 6e-16, "worst relative error {worst:e}");
        assert_eq!(ln1p_unit(0.0), 0.0);
        assert!(ln1p_unit(f64::NAN).is_nan());
    }
}
