//! `ibias run gd|md|reparam|eg`: one algorithm, discrete or its flow.

use super::{NOT_CONVERGED, args, out};
use ibias::dynamics::{RunResult, StepRule, StopReason};
use ibias::potential::PotentialKind;
use ibias::problem::csv::{load_csv, load_vector};
use ibias::request::{PotentialChoice, RunRequest};
use ibias::{Error, Result};
use std::path::PathBuf;

/// A method name of the library (built-in or registered; hyphens read as underscores).
fn method(s: &str) -> std::result::Result<String, String> {
    let key = s.trim().replace('-', "_");
    if ibias::request::method_names().contains(&key.as_str()) {
        Ok(key)
    } else {
        Err(format!("unknown method '{s}' (one of: {})", ibias::request::method_names().join(", ")))
    }
}

fn methods_help() -> String {
    ibias::request::method_help().iter().map(|(n, h)| format!("{n}: {h}")).collect::<Vec<_>>().join("; ")
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The method (see `ibias run --help`).
    #[arg(value_parser = method, long_help = methods_help())]
    algorithm: String,
    /// The loss: least_squares (the sheet's risk), logistic or exponential (labels ±1 in the last column).
    #[arg(long, default_value = "least_squares")]
    loss: ibias::datafit::LossKind,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Initialisation scale α: md/reparam start from u0 = v0 = α (c = 2α²), eg from w0 = α·1.
    #[arg(long, value_parser = args::alpha)]
    alpha: Option<f64>,
    /// Potential of md (depth: the depth-D network's mirror map, with --depth; pnorm: Σ|wᵢ|^p/p, p-GD, with --p).
    #[arg(long, value_parser = ["euclidean", "hyperbolic", "entropy", "depth", "pnorm"])]
    potential: Option<String>,
    /// Exponent p ∈ [1.05, 20] of --potential pnorm.
    #[arg(long, value_parser = args::finite)]
    p: Option<f64>,
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
    #[arg(long, default_value_t = 40, value_parser = args::checkpoints)]
    checkpoints: usize,
    /// Stochastic gradients: mini-batches of B rows (B = n: full batch). With a fixed --eta or safe.
    #[arg(long)]
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

/// The library request these arguments describe (files read; nothing validated here but what the files hold).
fn request(a: &RunArgs) -> Result<RunRequest> {
    let (u0, v0) = match (&a.u0, &a.v0) {
        (Some(u), Some(v)) => (Some(load_vector(u)?), Some(load_vector(v)?)),
        _ => (None, None),
    };
    let potential = match (&a.potential, a.p) {
        (Some(name), p) if name == "pnorm" => Some(PotentialChoice::PNorm(ibias::potential::PNorm::new(
            p.ok_or_else(|| Error::param("p", "--potential pnorm needs its exponent p ∈ [1.05, 20]"))?,
        )?)),
        (_, Some(_)) => return Err(Error::param("p", "is the exponent of --potential pnorm")),
        (Some(name), None) => {
            Some(PotentialChoice::Kind(name.parse::<PotentialKind>().map_err(|m| Error::param("potential", m))?))
        }
        (None, None) => None,
    };
    Ok(RunRequest {
        method: a.algorithm.clone(),
        loss: a.loss,
        alpha: a.alpha,
        potential,
        depth: a.depth,
        w0: None,
        eta: a.eta,
        momentum: a.momentum,
        shape: a.shape,
        u0,
        v0,
        track_scale: a.track_scale,
        tol: a.tol,
        grad_tol: a.grad_tol,
        max_iter: a.max_iter,
        max_seconds: a.max_seconds,
        checkpoints: a.checkpoints,
        record_every: false,
        batch: a.batch,
        replacement: a.with_replacement,
        label_noise: a.label_noise.unwrap_or(0.0),
        seed: a.seed,
        check_every: a.check_every,
        flow: a.flow,
        stiff: a.stiff,
        t_max: a.t_max,
    })
}

pub fn run(a: RunArgs) -> Result<i32> {
    let req = request(&a)?;
    // Refuse meaningless combinations before reading the data.
    req.validate()?;
    let p = load_csv(&a.data)?;
    // Without a criterion every iteration runs: say up front how long that may take (two mat-vecs a step at ~1
    // Gflop/s, a deliberately slow machine) and how to cap it.
    if a.tol == 0.0 && a.grad_tol == 0.0 && !a.flow && a.max_seconds.is_none() {
        let secs = a.max_iter as f64 * (4.0 * (p.n() * p.d()) as f64 + 20.0 * p.d() as f64) / 1e9;
        if secs > 60.0 {
            eprintln!(
                "note: --tol 0 runs all {} iterations, about {} on this problem (n = {}, d = {}); --max-seconds S caps \
                 the wall time (the run then stops cleanly with its result)",
                a.max_iter,
                if secs < 7200.0 { format!("{:.0} min", secs / 60.0) } else { format!("{:.1} h", secs / 3600.0) },
                p.n(),
                p.d()
            );
        }
    }
    let res = req.run(&p)?;
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
            "{} ({}){alpha}{}, step rule {rule}: η first {}, range {}..{}; flow time Ση = {:.4e}",
            res.algorithm.name(),
            res.potential.name(),
            if res.loss.is_classification() { format!(", {} loss", res.loss) } else { String::new() },
            res.eta_first.map_or("-".into(), |v| format!("{v:.4e}")),
            res.eta_min.map_or("-".into(), |v| format!("{v:.3e}")),
            res.eta_max.map_or("-".into(), |v| format!("{v:.3e}")),
            res.flow_time
        ))?,
        (None, None) => {}
    }
    out::line(format!(
        "{} after {} iterations ({}) in {:.3} s; F(w) = {:.3e}, F(w)/F(0) = {:.3e}",
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
