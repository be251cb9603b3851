//! How one gradient is computed, chosen once per run ([`GradPlan`]): dense products, the Gram form for
//! `4d ≤ n`, or the rows split over two cores; and how per-coordinate updates are split
//! ([`GradPlan::coords`]). Every method uses it, so these decisions live in one place.
//!
//! Thresholds (measured, BENCHMARKS.md): the helper thread's hand-over ([`crate::kernels::par`]) costs
//! 0.1–0.2 µs, about the half of a gradient at `n·d = 50,000`; inside a rayon worker (a sweep keeping
//! every core busy with independent runs) a split only pays from `n·d = 200,000`.

use super::Problem;
use crate::kernels::{linalg, par};
use serde::{Deserialize, Serialize};

/// `n·d` from which one gradient is split over two cores outside a thread pool.
const SPLIT_WORK: usize = 50_000;
/// `n·d` from which a gradient is split inside a rayon worker too, and per-coordinate updates and
/// `Xᵀv` are split.
const PARALLEL_WORK: usize = 200_000;

/// How many cores one run may use for its kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parallelism {
    /// Split over two cores where it pays (the thresholds above; never with one core).
    #[default]
    Auto,
    /// One core.
    Sequential,
    /// Always split over two cores (problems with at least 8 rows; for tests and measurements).
    TwoCores,
}

/// The route a gradient takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `r = Xw − y`, `g = (2/n)Xᵀr` on one core.
    Dense,
    /// `g = (2/n)(XᵀX w − Xᵀy)`, `R = (‖y‖² − 2bᵀw + wᵀGw)/n` (`4d ≤ n`).
    Gram,
    /// Each half of the rows (split at `at`) forms its residual and its share of `Xᵀr` in one pass, on two cores.
    Split {
        /// First row of the second half.
        at: usize,
    },
}

/// A gradient plan for one problem: fixed for a run.
#[derive(Debug, Clone, Copy)]
pub struct GradPlan<'a> {
    p: &'a Problem,
    route: Route,
    /// Rows split for `Xᵀv` (large problems).
    xt_split: Option<usize>,
    /// Coordinates split for per-coordinate updates (large problems).
    coord_split: Option<usize>,
}

thread_local! {
    /// The second half's share of `Xᵀv` in a split product or gradient (no allocation per call).
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The cores available to this process (read once: `available_parallelism` reads cgroup files, tens of
/// microseconds a call).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

impl<'a> GradPlan<'a> {
    /// Chooses the plan for `p` under `par` (and, for [`Parallelism::Auto`], the calling thread: inside a
    /// rayon worker only large problems split).
    pub fn new(p: &'a Problem, par: Parallelism) -> Self {
        let (n, d) = (p.n(), p.d());
        let work = n * d;
        let (split, large) = match par {
            Parallelism::Sequential => (false, false),
            Parallelism::TwoCores => (n >= 8, n >= 8),
            Parallelism::Auto => {
                let ok = n >= 8 && cores() > 1;
                let in_pool = rayon::current_thread_index().is_some();
                let large = ok && work >= PARALLEL_WORK;
                (large || (ok && !in_pool && work >= SPLIT_WORK), large)
            }
        };
        let route = if p.gram().is_some() && par != Parallelism::TwoCores {
            Route::Gram
        } else if split {
            Route::Split { at: n / 2 }
        } else {
            Route::Dense
        };
        GradPlan { p, route, xt_split: large.then_some(n / 2), coord_split: (large && d >= 2).then_some(d / 2) }
    }

    /// The problem.
    pub fn problem(&self) -> &'a Problem {
        self.p
    }

    /// The route gradients take.
    pub fn route(&self) -> Route {
        self.route
    }

    /// Whether per-coordinate work is split over two cores.
    pub fn splits_coords(&self) -> bool {
        self.coord_split.is_some()
    }

    /// Gradient into `g` and the risk, by the plan's route. `r` receives `Xw − y` except on the Gram
    /// route, where it is filled only when the Gram-form risk falls below `1e-8·R(0)` (where its
    /// cancellation would matter, the risk is then recomputed from the residual).
    #[inline]
    pub fn grad(&self, w: &[f64], r: &mut [f64], g: &mut [f64]) -> f64 {
        match self.route {
            Route::Gram => self.grad_gram(w, r, g),
            _ => self.grad_residual(w, r, g),
        }
    }

    /// Gradient into `g` and the risk, always through the residual (`r = Xw − y` is filled).
    #[inline]
    pub fn grad_residual(&self, w: &[f64], r: &mut [f64], g: &mut [f64]) -> f64 {
        let p = self.p;
        let nf = p.n() as f64;
        let at = match self.route {
            Route::Split { at } => at,
            _ => return p.grad_into(w, r, g),
        };
        let d = p.d();
        let (ra, rb) = r.split_at_mut(at);
        let (ya, yb) = p.y().split_at(at);
        let (da, db) = p.x().data.split_at(at * d);
        let s = 2.0 / nf;
        let risk = SCRATCH.with_borrow_mut(|gb| {
            gb.resize(d, 0.0);
            let (sa, sb) = par::join(
                || linalg::residual_tmul_rows(da, d, w, ya, ra, g),
                || linalg::residual_tmul_rows(db, d, w, yb, rb, gb),
            );
            for (gi, bi) in g.iter_mut().zip(gb.iter()) {
                *gi = s * (*gi + bi);
            }
            sa + sb
        });
        risk / nf
    }

    fn grad_gram(&self, w: &[f64], r: &mut [f64], g: &mut [f64]) -> f64 {
        let p = self.p;
        let gr = p.gram().expect("the Gram route needs the Gram form");
        let nf = p.n() as f64;
        gr.g.mul_vec(w, g);
        let quad = linalg::dot(w, g);
        let bw = linalg::dot(&gr.b, w);
        for (gi, bi) in g.iter_mut().zip(&gr.b) {
            *gi = 2.0 / nf * (*gi - bi);
        }
        let risk = (gr.yy - 2.0 * bw + quad) / nf;
        if risk < 1e-8 * gr.yy / nf || !risk.is_finite() {
            p.residual_into(w, r);
            return linalg::dot(r, r) / nf;
        }
        risk
    }

    /// `out = Xᵀv` (length `d`), by halves of the rows on two cores for large problems.
    pub fn xt_mul(&self, v: &[f64], out: &mut [f64]) {
        let p = self.p;
        let Some(at) = self.xt_split else {
            p.xt_mul(v, out);
            return;
        };
        let d = p.d();
        let (va, vb) = v.split_at(at);
        let (da, db) = p.x().data.split_at(at * d);
        SCRATCH.with_borrow_mut(|ob| {
            ob.resize(d, 0.0);
            par::join(|| linalg::tmul_rows(da, d, va, out), || linalg::tmul_rows(db, d, vb, ob));
            for (o, b) in out.iter_mut().zip(ob.iter()) {
                *o += b;
            }
        });
    }

    /// `‖Xv‖²`, from the Gram matrix when there is one (`scratch` has length `n`).
    pub fn x_norm2(&self, v: &[f64], scratch: &mut [f64]) -> f64 {
        let p = self.p;
        if let Some(gr) = p.gram() {
            // 4d ≤ n, so the first d entries of the scratch hold Gv.
            let gv = &mut scratch[..v.len()];
            gr.g.mul_vec(v, gv);
            return linalg::dot(v, gv).max(0.0);
        }
        p.x().mul_vec(v, scratch);
        linalg::dot(scratch, scratch)
    }

    /// Runs `f(start, parts)` on the coordinates: on two cores by halves (`parts` split at `d/2`,
    /// `start` the first coordinate of each half; the two results combined by `join`) for large problems,
    /// else once on all of them.
    #[inline]
    pub fn coords<A: Halves, T: Send>(
        &self,
        parts: A,
        f: impl Fn(usize, A) -> T + Sync,
        join: impl FnOnce(T, T) -> T,
    ) -> T {
        match self.coord_split {
            Some(at) => {
                let (a, b) = parts.halves(at);
                let (x, y) = par::join(|| f(0, a), || f(at, b));
                join(x, y)
            }
            None => f(0, parts),
        }
    }
}

/// Slices (and tuples of slices) that split at a coordinate into two halves for two cores.
pub trait Halves: Sized + Send {
    /// The parts before and from `at`.
    fn halves(self, at: usize) -> (Self, Self);
}

impl<T: Sync> Halves for &[T] {
    fn halves(self, at: usize) -> (Self, Self) {
        self.split_at(at)
    }
}

impl<T: Send> Halves for &mut [T] {
    fn halves(self, at: usize) -> (Self, Self) {
        self.split_at_mut(at)
    }
}

macro_rules! tuple_halves {
    ($($t:ident $v:ident $a:ident $b:ident),+) => {
        impl<$($t: Halves),+> Halves for ($($t,)+) {
            fn halves(self, at: usize) -> (Self, Self) {
                let ($($v,)+) = self;
                $(let ($a, $b) = $v.halves(at);)+
                (($($a,)+), ($($b,)+))
            }
        }
    };
}
tuple_halves!(A a a0 a1, B b b0 b1);
tuple_halves!(A a a0 a1, B b b0 b1, C c c0 c1);
tuple_halves!(A a a0 a1, B b b0 b1, C c c0 c1, D e e0 e1);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::generate::{Entries, GenSpec};

    fn big() -> Problem {
        GenSpec {
            n: 101,
            d: 2000,
            sparsity: Some(7),
            entries: Entries::Gaussian,
            w_star: None,
            noise: 0.1,
            seed: 3,
            margin: None,
        }
        .generate()
        .unwrap()
        .problem
    }

    #[test]
    fn every_route_gives_the_plain_gradient() {
        let p = big();
        let w: Vec<f64> = (0..p.d()).map(|j| ((j * 37 % 11) as f64 - 5.0) * 1e-2).collect();
        let (mut r0, mut g0) = (vec![0.0; p.n()], vec![0.0; p.d()]);
        let risk0 = p.grad_into(&w, &mut r0, &mut g0);
        for par in [Parallelism::Auto, Parallelism::Sequential, Parallelism::TwoCores] {
            let plan = GradPlan::new(&p, par);
            let (mut r, mut g) = (vec![0.0; p.n()], vec![0.0; p.d()]);
            let risk = plan.grad(&w, &mut r, &mut g);
            assert!(linalg::dist2(&g, &g0) <= 1e-13 * linalg::norm2(&g0), "{par:?}");
            assert!(linalg::dist2(&r, &r0) <= 1e-13 * linalg::norm2(&r0), "{par:?}");
            assert!((risk - risk0).abs() <= 1e-13 * risk0);
            let mut xtr = vec![0.0; p.d()];
            plan.xt_mul(&r0, &mut xtr);
            let mut plain = vec![0.0; p.d()];
            p.xt_mul(&r0, &mut plain);
            assert!(linalg::dist2(&xtr, &plain) <= 1e-13 * linalg::norm2(&plain));
        }
        assert!(matches!(GradPlan::new(&p, Parallelism::TwoCores).route(), Route::Split { .. }));
        assert_eq!(GradPlan::new(&p, Parallelism::Sequential).route(), Route::Dense);
    }

    #[test]
    fn gram_route_is_exact_near_a_fit() {
        let g0 = GenSpec {
            n: 100,
            d: 5,
            sparsity: None,
            entries: Entries::Gaussian,
            w_star: None,
            noise: 0.0,
            seed: 4,
            margin: None,
        }
        .generate()
        .unwrap();
        let p = &g0.problem;
        let plan = GradPlan::new(p, Parallelism::Auto);
        assert_eq!(plan.route(), Route::Gram);
        let (mut r, mut g1, mut g2) = (vec![0.0; 100], vec![0.0; 5], vec![0.0; 5]);
        let w = vec![0.3, -0.2, 0.1, 0.0, 1.0];
        let a = plan.grad(&w, &mut r, &mut g1);
        let b = p.grad_into(&w, &mut r, &mut g2);
        assert!(linalg::dist2(&g1, &g2) <= 1e-13 * linalg::norm2(&g2) && (a - b).abs() <= 1e-13 * b);
        // At (almost) the planted vector the risk is tiny and must not be cancellation noise.
        let mut w = g0.w_star.clone();
        w[0] += 1e-9;
        let a = plan.grad(&w, &mut r, &mut g1);
        let b = p.grad_into(&w, &mut r, &mut g2);
        assert!((a - b).abs() <= 1e-10 * b, "{a:e} vs {b:e}");
    }

    #[test]
    fn coordinate_halves_cover_every_coordinate_once() {
        let p = big();
        for par in [Parallelism::Sequential, Parallelism::TwoCores] {
            let plan = GradPlan::new(&p, par);
            let mut a = vec![0usize; p.d()];
            let b: Vec<usize> = (0..p.d()).collect();
            plan.coords(
                (a.as_mut_slice(), b.as_slice()),
                |start, (a, b)| {
                    for i in 0..a.len() {
                        assert_eq!(b[i], start + i, "the start of a half is its first coordinate");
                        a[i] = b[i] + 1;
                    }
                },
                |_, _| (),
            );
            assert!(a.iter().enumerate().all(|(i, &v)| v == i + 1), "{par:?}");
        }
    }
}
