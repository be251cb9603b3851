//! Trajectory recorder: log-spaced checkpoints of `t`, `w`, `R(w)` (and `u⊙v` for the reparametrisation).

use serde::{Deserialize, Serialize};

/// One recorded point of a trajectory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    /// Iteration index (discrete) or time (flow).
    pub t: f64,
    /// Iterate `w_t`.
    pub w: Vec<f64>,
    /// Risk `R(w_t)`.
    pub risk: f64,
    /// `u⊙v` (reparametrisation only): constant along the flow, shrinking in discrete GD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uv: Option<Vec<f64>>,
}

/// Decides which iterations to record: `0`, then log-spaced indices up to `horizon`, or every one.
#[derive(Debug, Clone)]
pub struct Recorder {
    next: usize,
    ratio: f64,
    every: bool,
    /// The recorded checkpoints.
    pub points: Vec<Checkpoint>,
}

impl Recorder {
    /// `count` log-spaced checkpoints over `0..=horizon` (`count = 0` records nothing but the end).
    pub fn log_spaced(count: usize, horizon: usize) -> Self {
        let ratio = if count > 1 { (horizon.max(2) as f64).powf(1.0 / (count - 1) as f64) } else { f64::INFINITY };
        Recorder { next: if count == 0 { usize::MAX } else { 0 }, ratio, every: false, points: Vec::new() }
    }

    /// Records every iterate (memory grows with the run: only when asked).
    pub fn every() -> Self {
        Recorder { next: 0, ratio: 1.0, every: true, points: Vec::new() }
    }

    /// Whether iteration `k` is to be recorded.
    #[inline]
    pub fn wants(&self, k: usize) -> bool {
        self.every || k >= self.next
    }

    /// Records iteration `k` and schedules the next one.
    pub fn record(&mut self, k: usize, w: &[f64], risk: f64, uv: Option<Vec<f64>>) {
        if self.points.last().is_some_and(|p| p.t == k as f64) {
            return;
        }
        self.points.push(Checkpoint { t: k as f64, w: w.to_vec(), risk, uv });
        if !self.every {
            let nx = ((k.max(1) as f64) * self.ratio).ceil();
            self.next = if nx.is_finite() && nx < usize::MAX as f64 { (nx as usize).max(k + 1) } else { usize::MAX };
        }
    }
}
