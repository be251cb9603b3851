//! Argument types: clap value parsers that check once, name the problem with the text the user gave
//! (`'1e400' is not a finite number`), and print numbers readably.

use ibias::dynamics::StepRule;

/// A finite number.
pub fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
    if !v.is_finite() {
        let spelled = s.trim().to_ascii_lowercase();
        return Err(if spelled.contains("nan") || spelled.contains("inf") {
            format!("'{s}' is not a finite number")
        } else {
            format!("'{s}' overflows double precision (above about 1.8e308)")
        });
    }
    // A non-zero literal that parses to 0 underflowed (below about 4.9e-324).
    if v == 0.0 && s.trim().trim_start_matches(['+', '-']).chars().any(|c| ('1'..='9').contains(&c)) {
        let mantissa_nonzero =
            s.trim().split(['e', 'E']).next().is_some_and(|m| m.chars().any(|c| ('1'..='9').contains(&c)));
        if mantissa_nonzero {
            return Err(format!("'{s}' underflows to 0 in double precision"));
        }
    }
    Ok(v)
}

/// A finite number `> 0`.
pub fn positive(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v > 0.0 { Ok(v) } else { Err(format!("'{s}' must be > 0")) }
}

/// A finite number `≥ 0`.
pub fn non_negative(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v >= 0.0 { Ok(v) } else { Err(format!("'{s}' must be ≥ 0")) }
}

/// An initialisation scale α in the supported range.
pub fn alpha(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    ibias::potential::check_alpha("α", v).map_err(|e| match e {
        ibias::Error::Param { message, .. } => message,
        other => other.to_string(),
    })
}

/// A step rule: `auto`, `safe`, `lbfgs` or a positive number.
pub fn step_rule(s: &str) -> Result<StepRule, String> {
    s.parse()
}

/// A memory size (`512M`, `4G`, bytes).
pub fn memory(s: &str) -> Result<u64, String> {
    ibias::io::parse_memory(s).map_err(|e| match e {
        ibias::Error::Param { message, .. } => message,
        other => other.to_string(),
    })
}

/// A thread count between 1 and 4× the cores (at least 64).
pub fn threads(s: &str) -> Result<usize, String> {
    let v: usize = s.trim().parse().map_err(|_| format!("'{s}' is not a count"))?;
    ibias::kernels::par::check_threads(v).map_err(|e| match e {
        ibias::Error::Param { message, .. } => message,
        other => other.to_string(),
    })
}

/// A count of checkpoints (at most 100,000).
pub fn checkpoints(s: &str) -> Result<usize, String> {
    let v: usize = s.trim().parse().map_err(|_| format!("'{s}' is not a count"))?;
    if v > ibias::dynamics::config::MAX_CHECKPOINTS {
        return Err(format!("{v} checkpoints: at most {}", ibias::dynamics::config::MAX_CHECKPOINTS));
    }
    Ok(v)
}
