//! Ties in the Lasso homotopy (issue "Truth at the last edges"): integer designs with forced two- and three-way
//! ties of `|x_jᵀ(y − Xw)|`, at λ_max and mid-path, against an exact rational reference. The reference runs the
//! homotopy in rational arithmetic (i128 fractions, every operation checked for overflow) and certifies each of
//! its breakpoints by the exact KKT conditions; ibias' breakpoints must match it, and ibias' path must satisfy
//! KKT ≤ 1e-10·λ_max at every breakpoint and at the middle of every segment.

use ibias::exact::lasso::lasso_path;
use ibias::exact::penalty::{L1, kkt_violation};
use ibias::kernels::linalg::Dense;
use ibias::problem::Problem;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// A fraction `n/d`, `d > 0`, in lowest terms; `None` on overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Q(i128, i128);

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Q {
    fn int(v: i64) -> Q {
        Q(v as i128, 1)
    }
    fn new(n: i128, d: i128) -> Option<Q> {
        if d == 0 {
            return None;
        }
        let g = gcd(n, d);
        let s = if d < 0 { -1 } else { 1 };
        Some(Q(s * n / g, s * d / g))
    }
    fn add(self, o: Q) -> Option<Q> {
        Q::new(self.0.checked_mul(o.1)?.checked_add(o.0.checked_mul(self.1)?)?, self.1.checked_mul(o.1)?)
    }
    fn neg(self) -> Q {
        Q(-self.0, self.1)
    }
    fn sub(self, o: Q) -> Option<Q> {
        self.add(o.neg())
    }
    fn mul(self, o: Q) -> Option<Q> {
        let (g1, g2) = (gcd(self.0, o.1), gcd(o.0, self.1));
        Q::new((self.0 / g1).checked_mul(o.0 / g2)?, (self.1 / g2).checked_mul(o.1 / g1)?)
    }
    fn div(self, o: Q) -> Option<Q> {
        if o.0 == 0 {
            return None;
        }
        self.mul(Q(o.1, o.0)).and_then(|q| Q::new(q.0, q.1))
    }
    fn sign(self) -> i128 {
        self.0.signum()
    }
    fn cmp(self, o: Q) -> Option<std::cmp::Ordering> {
        Some(self.0.checked_mul(o.1)?.cmp(&o.0.checked_mul(self.1)?))
    }
    fn f(self) -> f64 {
        self.0 as f64 / self.1 as f64
    }
}

/// Solves `G x = b` exactly (Gaussian elimination); `None` if singular or on overflow.
fn solve(g: &[Vec<Q>], b: &[Q]) -> Option<Vec<Q>> {
    let k = b.len();
    let mut m: Vec<Vec<Q>> = g.iter().zip(b).map(|(r, &bi)| r.iter().copied().chain([bi]).collect()).collect();
    for col in 0..k {
        let piv = (col..k).find(|&r| m[r][col].0 != 0)?;
        m.swap(col, piv);
        for r in 0..k {
            if r != col && m[r][col].0 != 0 {
                let f = m[r][col].div(m[col][col])?;
                let pivot_row = m[col].clone();
                for (dst, src) in m[r].iter_mut().zip(&pivot_row).skip(col) {
                    *dst = dst.sub(f.mul(*src)?)?;
                }
            }
        }
    }
    (0..k).map(|i| m[i][k].div(m[i][i])).collect()
}

/// The exact homotopy in `μ = nλ/2` units: breakpoints `(μ_k, w_k)`, each certified by exact KKT. `None` on
/// overflow or a singular active Gram matrix (the case is then skipped and counted).
fn rational_path(x: &[Vec<i64>], y: &[i64], most_tied: &mut usize) -> Option<Vec<(Q, Vec<Q>)>> {
    let (n, d) = (y.len(), x[0].len());
    let col = |j: usize| -> Vec<Q> { (0..n).map(|i| Q::int(x[i][j])).collect() };
    let dot = |a: &[Q], b: &[Q]| -> Option<Q> { a.iter().zip(b).try_fold(Q::int(0), |s, (u, v)| s.add(u.mul(*v)?)) };
    let cols: Vec<Vec<Q>> = (0..d).map(col).collect();
    let yq: Vec<Q> = y.iter().map(|&v| Q::int(v)).collect();
    let gram: Vec<Vec<Q>> = (0..d).map(|a| (0..d).map(|b| dot(&cols[a], &cols[b])).collect()).collect::<Option<_>>()?;
    let xty: Vec<Q> = (0..d).map(|j| dot(&cols[j], &yq)).collect::<Option<_>>()?;
    let corr = |w: &[Q]| -> Option<Vec<Q>> {
        (0..d)
            .map(|j| (0..d).try_fold(xty[j], |s, k| if w[k].0 == 0 { Some(s) } else { s.sub(gram[j][k].mul(w[k])?) }))
            .collect()
    };
    let mut mu = xty.iter().map(|q| Q(q.0.abs(), q.1)).max_by(|a, b| a.cmp(*b).unwrap())?;
    let mut w = vec![Q::int(0); d];
    let mut out = vec![(mu, w.clone())];
    for _ in 0..200 {
        let c = corr(&w)?;
        // Exact KKT at this breakpoint: c_j = μ sign(w_j) on the support, |c_j| ≤ μ elsewhere.
        for j in 0..d {
            if w[j].0 != 0 {
                assert_eq!(c[j], Q(mu.0 * w[j].sign(), mu.1), "reference KKT on the support");
            } else {
                assert!(Q(c[j].0.abs(), c[j].1).cmp(mu)? != std::cmp::Ordering::Greater, "reference KKT off it");
            }
        }
        if mu.0 == 0 {
            return Some(out);
        }
        let must: Vec<usize> = (0..d).filter(|&j| w[j].0 != 0).collect();
        let optional: Vec<usize> =
            (0..d).filter(|&j| w[j].0 == 0 && c[j].0 != 0 && Q(c[j].0.abs(), c[j].1) == mu).collect();
        *most_tied = (*most_tied).max(optional.len());
        let sgn = |j: usize| if w[j].0 != 0 { w[j].sign() } else { c[j].sign() };
        let m = optional.len();
        let mut masks: Vec<u32> = (0..(1u32 << m)).collect();
        masks.sort_by_key(|k| std::cmp::Reverse(k.count_ones()));
        let mut chosen = None;
        for mask in masks {
            let act: Vec<usize> = must
                .iter()
                .copied()
                .chain(optional.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|x| *x.1))
                .collect();
            if act.is_empty() {
                continue;
            }
            let g: Vec<Vec<Q>> = act.iter().map(|&a| act.iter().map(|&b| gram[a][b]).collect()).collect();
            let s: Vec<Q> = act.iter().map(|&j| Q::int(sgn(j) as i64)).collect();
            // A singular active Gram matrix (more columns than the rank): not this subset.
            let Some(v) = solve(&g, &s) else { continue };
            // a_j = (XᵀX_A v)_j: the rate of c_j per unit decrease of μ.
            let a: Vec<Q> = (0..d)
                .map(|j| act.iter().zip(&v).try_fold(Q::int(0), |t, (&k, vk)| t.add(gram[j][k].mul(*vk)?)))
                .collect::<Option<_>>()?;
            let ok_in = act.iter().zip(&v).all(|(&j, vj)| must.contains(&j) || vj.sign() * sgn(j) >= 0);
            let ok_out = optional.iter().filter(|j| !act.contains(j)).all(|&j| {
                a[j].mul(Q::int(sgn(j) as i64)).and_then(|t| t.cmp(Q::int(1))) != Some(std::cmp::Ordering::Less)
            });
            if ok_in && ok_out {
                chosen = Some((act, s, v, a));
                break;
            }
        }
        let (act, s, v, a) = chosen.expect("the reference finds a valid direction");
        // Events: joins (|c_j| reaches μ) and leaves (w_j reaches 0).
        let mut step = mu;
        for j in 0..d {
            if act.contains(&j) {
                continue;
            }
            for side in [1i64, -1] {
                if optional.contains(&j) && side as i128 == c[j].sign() {
                    continue;
                }
                let sd = Q::int(side);
                // side·c_j(μ − t) = μ − t with c_j(μ − t) = c_j − t a_j: t = (μ − side·c_j)/(1 − side·a_j).
                let den = Q::int(1).sub(sd.mul(a[j])?)?;
                if den.0 > 0 {
                    let t = mu.sub(sd.mul(c[j])?)?.div(den)?;
                    if t.0 > 0 && t.cmp(step)? == std::cmp::Ordering::Less {
                        step = t;
                    }
                }
            }
        }
        for (kk, &j) in act.iter().enumerate() {
            if w[j].0 != 0 && v[kk].0 != 0 {
                let t = w[j].neg().div(v[kk])?;
                if t.0 > 0 && t.cmp(step)? == std::cmp::Ordering::Less {
                    step = t;
                }
            }
        }
        mu = mu.sub(step)?;
        let g: Vec<Vec<Q>> = act.iter().map(|&a| act.iter().map(|&b| gram[a][b]).collect()).collect();
        let rhs: Vec<Q> = act.iter().zip(&s).map(|(&j, sj)| xty[j].sub(mu.mul(*sj)?)).collect::<Option<_>>()?;
        let wa = solve(&g, &rhs)?;
        w = vec![Q::int(0); d];
        for (kk, &j) in act.iter().enumerate() {
            w[j] = wa[kk];
        }
        out.push((mu, w.clone()));
    }
    None
}

/// An integer design with forced ties: columns 1 (and 2, negated, for three-way ties) tie with column 0 in
/// |x_jᵀy|, either at λ_max (column 0 = 3·sign(y) leads, the other columns are small) or mid-path (column
/// a = 3 leads, and the tied columns also share x_jᵀx_a, so that they reach λ together after a entered).
fn tied_design(rng: &mut ChaCha8Rng, three: bool, mid: bool) -> (Vec<Vec<i64>>, Vec<i64>) {
    let (n, d) = (6, 8);
    let mut x: Vec<Vec<i64>> = (0..n).map(|_| (0..d).map(|_| (rng.next_u32() % 7) as i64 - 3).collect()).collect();
    let mut y: Vec<i64> = (0..n).map(|_| (rng.next_u32() % 7) as i64 - 3).collect();
    // Rows 0 and 1 let two linear conditions be met by integer changes: y = (1, 0, …), x_a = (0, 1, …).
    y[0] = 1;
    y[1] = 0;
    let sgn = |v: i64| if v < 0 { -1 } else { 1 };
    let lead = if mid { 3 } else { 0 };
    for (row, &yi) in x.iter_mut().zip(&y) {
        row[lead] = 3 * sgn(yi);
        if !mid {
            for v in row.iter_mut().skip(3) {
                *v = (rng.next_u32() % 3) as i64 - 1;
            }
        }
    }
    if mid {
        x[0][lead] = 0;
        x[1][lead] = 1;
    }
    let dot = |x: &Vec<Vec<i64>>, j: usize, v: &[i64]| (0..n).map(|i| x[i][j] * v[i]).sum::<i64>();
    let tied: &[usize] = if three { &[1, 2] } else { &[1] };
    for &b in tied {
        let sign = if b == 2 { -1 } else { 1 };
        let gap = sign * dot(&x, 0, &y) - dot(&x, b, &y);
        x[0][b] += gap; // y₀ = 1
        if mid {
            let xa: Vec<i64> = (0..n).map(|i| x[i][lead]).collect();
            let gap = sign * dot(&x, 0, &xa) - dot(&x, b, &xa);
            x[1][b] += gap; // x_a = (0, 1, …) and y₁ = 0: the first condition is unchanged
        }
    }
    (x, y)
}

#[test]
fn tied_lasso_paths_match_an_exact_rational_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let (mut checked, mut skipped, mut tied) = (0, 0, 0);
    for case in 0..48 {
        let (three, mid) = (case % 2 == 1, case % 4 >= 2);
        let (x, y) = tied_design(&mut rng, three, mid);
        let (n, d) = (y.len(), x[0].len());
        let p =
            Problem::new(Dense::from_fn(n, d, |i, j| x[i][j] as f64), y.iter().map(|&v| v as f64).collect()).unwrap();
        let mut most_tied = 0;
        let Some(reference) = rational_path(&x, &y, &mut most_tied) else {
            skipped += 1;
            continue;
        };
        checked += 1;
        let path = lasso_path(&p).unwrap();
        if std::env::var("TIES_DEBUG").is_ok_and(|v| v == case.to_string()) {
            eprintln!("x = {x:?}\ny = {y:?}");
            for (l, w) in path.lambdas.iter().zip(&path.coefs) {
                eprintln!("ibias λ {l}: {w:?}");
            }
            for (mu, w) in &reference {
                eprintln!("exact λ {}: {:?}", 2.0 * mu.f() / n as f64, w.iter().map(|q| q.f()).collect::<Vec<_>>());
            }
        }
        let lmax = path.lambdas[0];
        let mu_to_lambda = |q: Q| 2.0 * q.f() / n as f64;
        // Ties present: two or more variables at zero with |c_j| = μ at one breakpoint.
        tied += usize::from(most_tied >= 2);
        assert!(path.method.starts_with("homotopy"), "case {case}: fell back: {}", path.method);
        assert_eq!(
            path.lambdas.len(),
            reference.len(),
            "case {case}: {:?} vs {:?}",
            path.lambdas,
            reference.iter().map(|r| mu_to_lambda(r.0)).collect::<Vec<_>>()
        );
        for (k, ((l, w), (mu, wq))) in path.lambdas.iter().zip(&path.coefs).zip(&reference).enumerate() {
            let lr = mu_to_lambda(*mu);
            assert!((l - lr).abs() <= 1e-10 * lmax, "case {case}, breakpoint {k}: λ {l} vs exact {lr}");
            let scale = wq.iter().map(|q| q.f().abs()).fold(1.0, f64::max);
            for (a, b) in w.iter().zip(wq) {
                assert!((a - b.f()).abs() <= 1e-9 * scale, "case {case}, breakpoint {k}: w {w:?} vs {wq:?}");
            }
        }
        // KKT at every breakpoint and in the middle of every segment.
        for s in path.lambdas.windows(2) {
            for l in [s[0], 0.5 * (s[0] + s[1]), s[1]] {
                let kkt = kkt_violation(&L1::default(), &p, &path.at(l), l);
                assert!(kkt <= 1e-10 * lmax, "case {case}: KKT {kkt:e} at λ = {l}");
            }
        }
    }
    eprintln!("checked {checked}, skipped {skipped}, with ties {tied}");
    assert!(checked >= 40 && tied >= 20, "checked {checked}, skipped {skipped}, with ties {tied}");
}
