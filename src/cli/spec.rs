//! `ibias sweep plan|run|sbatch|status|merge`: sweeps from a specification file, sharded for Slurm job arrays.

use super::{args, out};
use ibias::sweep::{self, Plan};
use ibias::{Error, Result};
use std::path::{Path, PathBuf};

/// A spec file's plan.
fn load(spec: &Path) -> Result<Plan> {
    Plan::from_file(spec)
}

/// `K/N`.
fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let (k, n) = s.split_once('/').ok_or_else(|| format!("'{s}': expected K/N (0 ≤ K < N)"))?;
    let k: usize = k.trim().parse().map_err(|_| format!("'{s}': K is not a whole number"))?;
    let n: usize = n.trim().parse().map_err(|_| format!("'{s}': N is not a whole number"))?;
    if n == 0 || k >= n {
        return Err(format!("'{s}': need 0 ≤ K < N"));
    }
    Ok((k, n))
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// The specification (TOML).
    spec: PathBuf,
    /// Only the summary line, not the run list (id, dataset, method, α, step rule, variant, estimated seconds).
    #[arg(long)]
    summary: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn plan(a: PlanArgs) -> Result<i32> {
    let p = load(&a.spec)?;
    let (secs, mem) = p.estimate();
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            spec_hash: &'a str,
            problems: usize,
            runs: &'a [sweep::PlannedRun],
            estimated_seconds_total: f64,
            estimated_memory_bytes: f64,
        }
        out::json(&Out {
            spec_hash: &p.spec_hash,
            problems: p.problems.len(),
            runs: &p.runs,
            estimated_seconds_total: secs,
            estimated_memory_bytes: mem,
        })?;
        return Ok(0);
    }
    out::line(format!(
        "{} runs on {} datasets (spec hash {}); estimated {:.1} s in all on one core ({:.3} s per run on average; a cost model, not a measurement), about {:.1} MiB per process",
        p.runs.len(),
        p.problems.len(),
        p.spec_hash,
        secs,
        secs / p.runs.len().max(1) as f64,
        mem / 1048576.0
    ))?;
    if !a.summary {
        out::line(format!(
            "{:<18} {:>8} {:>6} {:>6} {:>13} {:>11} {:>8} {:>13} {:>3} {:>6} {:>6} {:>5} {:>10}",
            "run_id", "source", "n", "d", "method", "alpha", "eta", "loss", "D", "shape", "batch", "seed", "est_s"
        ))?;
        for r in &p.runs {
            let k = &p.problems[r.problem].0;
            out::line(format!(
                "{:<18} {:>8} {:>6} {:>6} {:>13} {:>11} {:>8} {:>13} {:>3} {:>6} {:>6} {:>5} {:>10.3e}",
                r.run_id,
                k.source,
                k.n,
                k.d,
                r.method,
                if r.alpha.is_nan() { "-".to_string() } else { format!("{:.4e}", r.alpha) },
                r.eta.label(),
                r.variant.loss.name(),
                r.variant.depth,
                r.variant.shape,
                r.variant.batch.map_or("full".into(), |b| b.to_string()),
                r.variant.batch.map_or("-".into(), |_| r.variant.sgd_seed.to_string()),
                r.est_seconds
            ))?;
        }
    }
    Ok(0)
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The specification (TOML).
    spec: PathBuf,
    /// The sweep folder (one journal per shard, the spec copied in).
    #[arg(long)]
    out: PathBuf,
    /// Shard K of N (0-based); default from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, else 0/1.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// Worker threads (default: all cores, or SLURM_CPUS_PER_TASK).
    #[arg(long, value_parser = args::threads)]
    threads: Option<usize>,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

pub fn run(a: RunArgs) -> Result<i32> {
    let (k, n) = match a.shard {
        Some(s) => s,
        None => sweep::slurm_shard()?.unwrap_or((0, 1)),
    };
    let p = load(&a.spec)?;
    let threads = a.threads.or(sweep::env_usize("SLURM_CPUS_PER_TASK")?);
    let pool = ibias::kernels::par::thread_pool(threads).map_err(super::flag_names)?;
    let bar = out::Bar::new(a.quiet);
    let cb = bar.callback();
    let t = std::time::Instant::now();
    let rep = pool.install(|| sweep::run_shard(&p, k, n, &a.out, &cb));
    bar.finish();
    let rep = rep?;
    out::line(format!(
        "shard {k}/{n}: {} runs planned, {} already in {} (skipped), {} computed, {} failed in {:.2} s{}",
        rep.planned,
        rep.skipped,
        a.out.display(),
        rep.computed,
        rep.failed,
        t.elapsed().as_secs_f64(),
        if rep.truncated_last_line { "; a cut last journal line was dropped and its run redone" } else { "" }
    ))?;
    if rep.failed > 0 {
        return Err(Error::Numerical(format!(
            "{} of the shard's runs failed (their errors are in {}; `ibias sweep status {}` lists them); the \
             others are in the journal, and rerunning the shard retries only the failed ones",
            rep.failed,
            sweep::failures_path(&a.out, k, n).display(),
            a.out.display()
        )));
    }
    Ok(0)
}

#[derive(clap::Args, Debug)]
pub struct SbatchArgs {
    /// The specification (TOML).
    spec: PathBuf,
    /// Array tasks (shards).
    #[arg(long)]
    tasks: usize,
    /// The sweep folder.
    #[arg(long)]
    out: PathBuf,
    /// Slurm --time per task (e.g. 00:30:00).
    #[arg(long)]
    time: Option<String>,
    /// Slurm --mem per task (e.g. 2G).
    #[arg(long)]
    mem: Option<String>,
    /// Slurm --partition.
    #[arg(long)]
    partition: Option<String>,
    /// CPUs per task (threads of each shard).
    #[arg(long, default_value_t = 1)]
    cpus_per_task: usize,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Slurm's `--time` formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S` (digits), or `UNLIMITED`/`INFINITE`.
fn slurm_time(t: &str) -> bool {
    if matches!(t, "UNLIMITED" | "INFINITE" | "unlimited" | "infinite") {
        return true;
    }
    let digits = |p: &str| !p.is_empty() && p.len() <= 6 && p.chars().all(|c| c.is_ascii_digit());
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, t),
    };
    if days.is_some_and(|d| !digits(d)) {
        return false;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    parts.len() <= 3 && parts.iter().all(|p| digits(p))
}

/// Slurm's `--mem`: a whole number with an optional unit K, M, G or T.
fn slurm_mem(m: &str) -> bool {
    let num = m.strip_suffix(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']).unwrap_or(m);
    !num.is_empty() && num.len() <= 12 && num.chars().all(|c| c.is_ascii_digit())
}

/// Slurm partition names (a comma-separated list): letters, digits, `_`, `-`, `.`.
fn slurm_partition(p: &str) -> bool {
    p.split(',').all(|q| !q.is_empty() && q.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
}

pub fn sbatch(a: SbatchArgs) -> Result<i32> {
    if let Some(t) = &a.time
        && !slurm_time(t)
    {
        return Err(Error::param(
            "--time",
            format!("'{t}' is not a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS)"),
        ));
    }
    if let Some(m) = &a.mem
        && !slurm_mem(m)
    {
        return Err(Error::param(
            "--mem",
            format!("'{m}' is not a Slurm memory size (a whole number with K, M, G or T)"),
        ));
    }
    if let Some(q) = &a.partition
        && !slurm_partition(q)
    {
        return Err(Error::param(
            "--partition",
            format!("'{q}' is not a Slurm partition name (letters, digits, _ - . ; comma-separated)"),
        ));
    }
    if a.tasks == 0 || a.tasks > 100_000 {
        return Err(Error::param("--tasks", format!("must be in [1, 100000], got {}", a.tasks)));
    }
    if a.cpus_per_task == 0 {
        return Err(Error::param("--cpus-per-task", "must be ≥ 1"));
    }
    let p = load(&a.spec)?; // validates the spec and resolves its data now, not on the cluster
    sweep::prepare_folder(&p, &a.out)?; // the spec copied in: `ibias sweep status DIR` works before any task ran
    std::fs::create_dir_all(a.out.join("logs")).map_err(|e| Error::io(&a.out, e))?;
    let out_dir = std::fs::canonicalize(&a.out).map_err(|e| Error::io(&a.out, e))?;
    let spec_abs = std::fs::canonicalize(&a.spec).map_err(|e| Error::io(&a.spec, e))?;
    let exe = std::env::current_exe().map_err(|e| Error::io(Path::new("ibias"), e))?;
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!("#SBATCH --job-name=ibias-sweep-{}\n", &p.spec_hash[..8.min(p.spec_hash.len())]));
    s.push_str(&format!("#SBATCH --array=0-{}\n", a.tasks - 1));
    s.push_str(&format!("#SBATCH --output={}/logs/task-%a.out\n", out_dir.display()));
    s.push_str(&format!("#SBATCH --error={}/logs/task-%a.err\n", out_dir.display()));
    s.push_str("#SBATCH --requeue\n");
    s.push_str("#SBATCH --ntasks=1\n");
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", a.cpus_per_task));
    if let Some(t) = &a.time {
        s.push_str(&format!("#SBATCH --time={t}\n"));
    }
    if let Some(m) = &a.mem {
        s.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    if let Some(q) = &a.partition {
        s.push_str(&format!("#SBATCH --partition={q}\n"));
    }
    s.push_str(&format!(
        "# {} runs of spec {} in {} shards; a requeued or rerun task skips the runs already in the folder.\n",
        p.runs.len(),
        p.spec_hash,
        a.tasks
    ));
    s.push_str(&format!(
        "exec {} sweep run {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet\n",
        shell_quote(&exe.display().to_string()),
        shell_quote(&spec_abs.display().to_string()),
        shell_quote(&out_dir.display().to_string()),
        a.tasks
    ));
    let script = out_dir.join("job.sbatch");
    ibias::io::write_atomic(&script, s.as_bytes())?;
    out::line(format!("wrote {} ({} runs, {} array tasks); submit with:", script.display(), p.runs.len(), a.tasks))?;
    out::line(format!("sbatch {}", script.display()))?;
    Ok(0)
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The sweep folder (holding spec.toml and the shards' journals).
    dir: PathBuf,
    /// Shards (default: from the journals' names).
    #[arg(long)]
    tasks: Option<usize>,
}

pub fn status(a: StatusArgs) -> Result<i32> {
    let p = load(&a.dir.join("spec.toml"))?;
    let n = a.tasks.or(sweep::shard_count(&a.dir)?).unwrap_or(1);
    let st = sweep::status(&p, &a.dir, n)?;
    out::line(format!(
        "{:>6} {:>8} {:>8} {:>8} {:>8}  {}",
        "shard", "planned", "done", "failing", "missing", "last error"
    ))?;
    let (mut done, mut missing, mut failing) = (0, 0, 0);
    for (k, st) in st.iter().enumerate() {
        done += st.done;
        missing += st.missing;
        failing += st.failing;
        out::line(format!(
            "{k:>6} {:>8} {:>8} {:>8} {:>8}  {}",
            st.planned,
            st.done,
            st.failing,
            st.missing,
            st.last_error.as_deref().unwrap_or("")
        ))?;
    }
    out::line(format!(
        "{done} of {} runs done, {failing} failing, {missing} missing{}",
        p.runs.len(),
        if missing > 0 {
            format!(
                "; rerun a shard with: ibias sweep run {} --out {} --shard K/{n}",
                a.dir.join("spec.toml").display(),
                a.dir.display()
            )
        } else {
            String::new()
        }
    ))?;
    Ok(if missing == 0 { 0 } else { super::NOT_CONVERGED })
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The sweep folder.
    dir: PathBuf,
    /// Output: .csv or .jsonl.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

pub fn merge(a: MergeArgs) -> Result<i32> {
    let p = load(&a.dir.join("spec.toml"))?;
    let (rows, dups) = sweep::merge_counted(&p, &a.dir)?;
    let text = match a.output.extension().and_then(|e| e.to_str()) {
        Some("csv") => sweep::to_csv(&rows),
        Some("jsonl") => sweep::to_jsonl(&rows),
        _ => return Err(Error::param("-o", format!("{}: the output must end in .csv or .jsonl", a.output.display()))),
    };
    ibias::io::write_atomic(&a.output, text.as_bytes())?;
    out::line(format!(
        "merged {} runs (every planned run exactly once{}) into {}",
        rows.len(),
        if dups > 0 { format!("; {dups} duplicate rows of runs done twice dropped") } else { String::new() },
        a.output.display()
    ))?;
    Ok(0)
}
