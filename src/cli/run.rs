//! `ibias run gd|md|reparam|eg`: one algorithm, discrete or its flow.

use super::{NOT_CONVERGED, args, out};
use ibias::dynamics::flow::{FlowKind, run_flow};
use ibias::dynamics::ode::OdeOptions;
use ibias::dynamics::sgd::{SgdKind, run_sgd};
use ibias::dynamics::{
    Init, RunConfig, RunResult, StepRule, StopReason, StopRule, run_eg, run_gd, run_heavy_ball, run_md, run_reparam,
};
use ibias::potential::{DepthD, Euclidean, Hyperbolic, NegEntropy, Potential, PotentialKind};
use ibias::problem::csv::load_csv;
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Algo {
    /// Gradient descent from 0 (with --momentum: heavy ball).
    Gd,
    /// Mirror descent (hyperbolic entropy by default).
    Md,
    /// GD on (u, v), w = u⊙u − v⊙v.
    Reparam,
    /// GD on Azulay et al.'s w = u₊⊙v₊ − u₋⊙v₋ from u₊ = u₋ = u0, v₊ = v₋ = v0 (w0 = 0).
    Azulay,
    /// Exponentiated gradient from α·1.
    Eg,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// gd (from 0), md (mirror descent), reparam (GD on u, v), eg (exponentiated gradient).
    algorithm: Algo,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Initialisation scale α: md/reparam start from u0 = v0 = α (c = 2α²), eg from w0 = α·1.
    #[arg(long, default_value = "1.0", value_parser = args::alpha)]
    alpha: f64,
    /// Potential of md (depth: the depth-D network's mirror map, with --depth).
    #[arg(long, default_value = "hyperbolic", value_parser = ["euclidean", "hyperbolic", "entropy", "depth"])]
    potential: String,
    /// Depth D of the network w = u^D − v^D: md with --potential depth (D ≥ 3), or reparam (D ≥ 2).
    #[arg(long)]
    depth: Option<u32>,
    /// Step size: a number, safe (SPEC §6), auto (Barzilai–Borwein on the dual; md/gd/eg) or lbfgs (md).
    /// Default: auto, and safe for reparam and --momentum.
    #[arg(long, value_parser = args::step_rule)]
    eta: Option<StepRule>,
    /// Heavy-ball momentum β ∈ [0, 1) (gd only).
    #[arg(long, value_parser = args::non_negative)]
    momentum: Option<f64>,
    /// reparam: the initialisation shape s ∈ (−1, 1): u0 = α√((1−s)/(1+s)), v0 = α√((1+s)/(1−s)).
    #[arg(long, value_parser = args::finite)]
    shape: Option<f64>,
    /// reparam: u0 from a file (d numbers, comma/space/newline separated, all > 0); needs --v0.
    #[arg(long, requires = "v0", conflicts_with = "shape")]
    u0: Option<PathBuf>,
    /// reparam: v0 from a file (with --u0). The limit is then the Bregman projection of w0 = u0² − v0² with
    /// c = 2u0⊙v0 (`ibias solve bregman --u0 … --v0 …`).
    #[arg(long, requires = "u0")]
    v0: Option<PathBuf>,
    /// reparam: track ln a² and θ of SPEC §8 along the run and report the identity's residual.
    #[arg(long)]
    track_scale: bool,
    /// Stop when R(w) ≤ tol·R(0); 0 disables the risk stop (then --max-iter runs exactly N iterations).
    #[arg(long, default_value = "1e-16", value_parser = args::non_negative)]
    tol: f64,
    /// Stop when the local-metric gradient ≤ grad_tol·‖∇R(0)‖∞; 0 disables it.
    #[arg(long, default_value = "0.0", value_parser = args::non_negative)]
    grad_tol: f64,
    /// Iteration cap.
    #[arg(long, default_value_t = 1_000_000)]
    max_iter: usize,
    /// Wall-clock cap in seconds.
    #[arg(long, value_parser = args::positive)]
    max_seconds: Option<f64>,
    /// Number of log-spaced checkpoints recorded (at most 100,000).
    #[arg(long, default_value_t = 30, value_parser = args::checkpoints)]
    checkpoints: usize,
    /// Stochastic gradients: mini-batches of B rows (B = n: full batch). With a fixed --eta or safe.
    #[arg(long, conflicts_with_all = ["flow", "momentum"])]
    batch: Option<usize>,
    /// With --batch: draw with replacement (default: epochs of a seeded permutation).
    #[arg(long, requires = "batch")]
    with_replacement: bool,
    /// With --batch: Gaussian label noise of this standard deviation added to each batch's y.
    #[arg(long, requires = "batch", value_parser = args::non_negative)]
    label_noise: Option<f64>,
    /// With --batch: the seed of the ChaCha8 batch stream.
    #[arg(long, requires = "batch", default_value_t = 0)]
    seed: u64,
    /// With --batch: compute the full risk (for the stop rule) every K steps.
    #[arg(long, requires = "batch", default_value_t = 100)]
    check_every: usize,
    /// Integrate the continuous-time flow instead (Dormand–Prince 5(4), rtol 1e-10).
    #[arg(long)]
    flow: bool,
    /// With --flow: the stiff L-stable Rosenbrock integrator ROS2 (md, eg and gd flows).
    #[arg(long, requires = "flow")]
    stiff: bool,
    /// Flow horizon (with --flow).
    #[arg(long, default_value = "1e4", value_parser = args::positive, requires = "flow")]
    t_max: f64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The potential named on the command line (`--potential`, with `--alpha` and `--depth`).
pub fn potential(name: &str, alpha: f64, depth: Option<u32>, d: usize) -> Result<Box<dyn Potential>> {
    let kind = name.parse::<PotentialKind>().map_err(|m| Error::param("--potential", m))?;
    if depth.is_some() && kind != PotentialKind::Depth {
        return Err(Error::param("--depth", "takes --potential depth (or run reparam --depth D)"));
    }
    Ok(match kind {
        PotentialKind::Euclidean => Box::new(Euclidean),
        PotentialKind::Hyperbolic => Box::new(Hyperbolic::uniform(alpha, d)?),
        PotentialKind::Entropy => Box::new(NegEntropy),
        PotentialKind::Depth => Box::new(DepthD::new(
            depth.ok_or_else(|| Error::param("--depth", "--potential depth needs --depth D (D ≥ 3)"))?,
            alpha,
        )?),
    })
}

fn check_conflicts(a: &RunArgs) -> Result<()> {
    let bad = |name: &str, why: &str| Err(Error::param(name, why.to_string()));
    if a.flow && a.eta.is_some() {
        return bad(
            "--eta",
            "flows have no step size (the integrator chooses its steps to rtol); drop --eta or --flow",
        );
    }
    if a.momentum.is_some() && a.algorithm != Algo::Gd {
        return bad("--momentum", "heavy-ball momentum is for gd");
    }
    if a.momentum.is_some() && a.flow {
        return bad("--momentum", "there is no heavy-ball flow here; drop --flow");
    }
    if (a.shape.is_some() || a.u0.is_some()) && !matches!(a.algorithm, Algo::Reparam | Algo::Azulay) {
        return bad("--shape/--u0/--v0", "these are options of reparam and azulay");
    }
    if a.track_scale && a.algorithm != Algo::Reparam {
        return bad("--track-scale", "this is an option of reparam");
    }
    if a.algorithm == Algo::Azulay && (a.flow || a.batch.is_some()) {
        return bad(
            "--flow/--batch",
            "azulay runs full-batch GD only (its flow limit: solve bregman with c = u0² + v0²)",
        );
    }
    if a.depth.is_some() && !(a.algorithm == Algo::Reparam || a.algorithm == Algo::Md && a.potential == "depth") {
        return bad("--depth", "depth is an option of reparam and of md with --potential depth");
    }
    if a.potential != "hyperbolic" && a.algorithm != Algo::Md {
        return bad(
            "--potential",
            "only md takes a potential (gd is Euclidean, eg is the entropy, reparam the hyperbolic entropy)",
        );
    }
    if a.stiff && a.algorithm == Algo::Reparam && a.depth.is_some_and(|d| d != 2) {
        return bad("--stiff", "ROS2 integrates the depth-2 (u, v) flow (a mirror flow); depth D > 2 uses DOPRI5");
    }
    Ok(())
}

pub fn run(a: RunArgs) -> Result<i32> {
    check_conflicts(&a)?;
    let p = load_csv(&a.data)?;
    let d = p.d();
    let stop = StopRule::default()
        .risk_tol(a.tol)
        .grad_tol(a.grad_tol)
        .max_iter(a.max_iter)
        .max_seconds(a.max_seconds)
        .max_time(a.t_max);
    stop.validate()?;
    let default_rule =
        if matches!(a.algorithm, Algo::Reparam | Algo::Azulay) || a.momentum.is_some() || a.batch.is_some() {
            StepRule::Safe
        } else {
            StepRule::Auto
        };
    let cfg = RunConfig::new(a.eta.unwrap_or(default_rule)).checkpoints(a.checkpoints).stop(stop);
    let md_w0 = |name: &str| if name == "entropy" { vec![a.alpha; d] } else { vec![0.0; d] };
    let init = || -> Result<Init> {
        let i = match (a.shape, &a.u0, &a.v0) {
            (Some(s), _, _) => Init::shape(a.alpha, s, d)?,
            (None, Some(u), Some(v)) => super::solve::explicit_init(u, v, d)?,
            _ => Init::uniform(a.alpha, d)?,
        };
        let i = if a.algorithm == Algo::Reparam { i.depth(a.depth.unwrap_or(2))? } else { i };
        Ok(i.track_scale(a.track_scale))
    };
    let mut res: RunResult = if a.flow {
        let opts = if a.stiff {
            OdeOptions { rtol: 1e-8, atol: 1e-12, stiff: true, ..Default::default() }
        } else {
            OdeOptions::default()
        };
        let pot = potential(&a.potential, a.alpha, a.depth.filter(|_| a.algorithm == Algo::Md), d)?;
        let init = init()?;
        let kind = match a.algorithm {
            Algo::Gd => FlowKind::Gd,
            Algo::Md => FlowKind::Md(pot.as_ref(), md_w0(&a.potential)),
            Algo::Eg => FlowKind::Md(&NegEntropy, vec![a.alpha; d]),
            Algo::Reparam | Algo::Azulay => FlowKind::Reparam(&init),
        };
        let mut r = run_flow(&p, kind, &stop, a.checkpoints, opts)?;
        if a.algorithm == Algo::Eg {
            r.algorithm = ibias::dynamics::Algorithm::EgFlow;
        }
        r
    } else if let Some(b) = a.batch {
        let opts = ibias::dynamics::sgd::SgdOptions {
            batch: b,
            replacement: a.with_replacement,
            label_noise: a.label_noise.unwrap_or(0.0),
            seed: a.seed,
            check_every: a.check_every,
        };
        let pot = potential(&a.potential, a.alpha, a.depth.filter(|_| a.algorithm == Algo::Md), d)?;
        let init = init()?;
        let kind = match a.algorithm {
            Algo::Gd => SgdKind::Gd,
            Algo::Md => SgdKind::Md(pot.as_ref(), md_w0(&a.potential)),
            Algo::Eg => SgdKind::Eg(vec![a.alpha; d]),
            Algo::Reparam | Algo::Azulay => SgdKind::Reparam(&init),
        };
        run_sgd(&p, &kind, &opts, &cfg)?
    } else {
        match a.algorithm {
            Algo::Gd => match a.momentum {
                Some(b) => run_heavy_ball(&p, b, &cfg)?,
                None => run_gd(&p, &cfg)?,
            },
            Algo::Md => {
                let pot = potential(&a.potential, a.alpha, a.depth, d)?;
                run_md(&p, pot.as_ref(), &md_w0(&a.potential), &cfg)?
            }
            Algo::Eg => run_eg(&p, &vec![a.alpha; d], &cfg)?,
            Algo::Reparam => run_reparam(&p, &init()?, &cfg)?,
            Algo::Azulay => {
                let i = init()?;
                ibias::dynamics::run_azulay(&p, i.u0(), i.v0(), &cfg)?
            }
        }
    };
    // GD on (u, v) at a fixed step, converged, with the identity tracked: what the finite step did to the limit.
    if a.algorithm == Algo::Reparam
        && a.track_scale
        && res.converged
        && !a.flow
        && let Some(StepRule::Fixed(eta)) = a.eta
    {
        res.step_effect = Some(ibias::exact::finite_step::step_effect(&p, &init()?, &res, eta)?);
    }
    if a.algorithm != Algo::Gd && !(a.algorithm == Algo::Md && a.potential == "euclidean") {
        // An explicit (u0, v0) has no single α.
        res.alpha = if a.u0.is_some() { None } else { Some(a.alpha) };
    }
    let no_criterion = a.tol == 0.0 && a.grad_tol == 0.0;
    let code = if res.converged
        || no_criterion && matches!(res.stop_reason, StopReason::MaxIterations | StopReason::FinalTime)
    {
        0
    } else {
        NOT_CONVERGED
    };
    if a.json {
        out::json(&res)?;
        return Ok(code);
    }
    print_text(&res)?;
    Ok(code)
}

fn print_text(res: &RunResult) -> Result<()> {
    let alpha = res.alpha.map(|v| format!(", α = {v:e}")).unwrap_or_default();
    match (&res.step_rule, &res.integrator) {
        (_, Some(i)) => out::line(format!(
            "{} ({}){alpha}, integrator {} (rtol {:e}, atol {:e}), flow time t = {:.4e}",
            res.algorithm.name(),
            res.potential.name(),
            i.method,
            i.rtol,
            i.atol,
            res.flow_time
        ))?,
        (Some(rule), None) => out::line(format!(
            "{} ({}){alpha}, step rule {rule}: η first {}, range {}..{}; flow time Ση = {:.4e}",
            res.algorithm.name(),
            res.potential.name(),
            res.eta_first.map_or("-".into(), |v| format!("{v:.4e}")),
            res.eta_min.map_or("-".into(), |v| format!("{v:.3e}")),
            res.eta_max.map_or("-".into(), |v| format!("{v:.3e}")),
            res.flow_time
        ))?,
        (None, None) => {}
    }
    out::line(format!(
        "{} after {} iterations ({}) in {:.3} s; R(w) = {:.3e}, R(w)/R(0) = {:.3e}",
        if res.converged { "converged" } else { "NOT converged" },
        res.iterations,
        res.stop_reason,
        res.wall_seconds,
        res.risk,
        res.risk_rel
    ))?;
    out::line(format!("‖w‖₁ = {:.12}, ‖w‖₂ = {:.12}", res.l1_norm, res.l2_norm))?;
    if let Some(info) = &res.reparam {
        out::line(format!(
            "effective scale a_∞/α: min {:.4e}, median {:.4e}, max {:.4e}; θ outside range(Xᵀ) (relative) {:.3e}",
            info.scale_ratio_min, info.scale_ratio_median, info.scale_ratio_max, info.theta_outside_range_rel
        ))?;
        if let Some(t) = &info.tracked {
            out::line(format!("identity w = 2a² sinh θ (SPEC §8): relative residual {:.3e}", t.identity_error_rel))?;
        }
    }
    if let Some(e) = &res.step_effect {
        out::line(format!(
            "limits (relative distances): run ↔ flow limit (Bregman at α) {:.3e}; run ↔ effective-scale prediction (cᵢ = 2a_∞,ᵢ²) {:.3e}; effective ↔ flow {:.3e}",
            e.flow_limit_distance_rel, e.effective_limit_distance_rel, e.effective_vs_flow_rel
        ))?;
        out::line(format!(
            "stability at the limit: sharpness {:.4e} vs 2/η = {:.4e}; Σ|wᵢ|‖xᵢ‖² = {:.4e} vs n²/η = {:.4e}",
            e.sharpness, e.two_over_eta, e.stability_sum, e.stability_bound
        ))?;
    }
    for n in &res.notes {
        out::line(format!("note: {n}"))?;
    }
    Ok(())
}
