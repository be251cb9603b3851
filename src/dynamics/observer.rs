//! What is observed along a run: an [`Observer`] says which iterations it wants and records them. The
//! [`Recorder`] keeps log-spaced checkpoints (or every iterate, when asked), bounded by construction.

use super::config::Record;
use super::result::Checkpoint;

/// Something that watches a run.
pub trait Observer {
    /// Whether iteration `k` is to be observed (called every iteration: keep it cheap).
    fn wants(&self, k: usize) -> bool;
    /// Observes iteration `k` at time `time` (`Σ η` so far), with its iterate, risk and, for GD on
    /// `(u, v)`, `u⊙v`.
    fn observe(&mut self, k: usize, time: f64, w: &[f64], risk: f64, uv: Option<Vec<f64>>);
}

/// An observer that records nothing.
pub struct Silent;

impl Observer for Silent {
    #[inline]
    fn wants(&self, _: usize) -> bool {
        false
    }
    fn observe(&mut self, _: usize, _: f64, _: &[f64], _: f64, _: Option<Vec<f64>>) {}
}

/// Records iteration `0`, then log-spaced iterations up to a horizon (or every one), and the end.
#[derive(Debug, Clone)]
pub struct Recorder {
    next: usize,
    ratio: f64,
    every: bool,
    /// The recorded checkpoints.
    pub points: Vec<Checkpoint>,
}

impl Recorder {
    /// The recorder for a run's [`Record`] setting and iteration cap.
    pub fn for_record(record: Record, horizon: usize) -> Self {
        match record {
            Record::EndOnly => Self::log_spaced(0, horizon),
            Record::LogSpaced(k) => Self::log_spaced(k, horizon),
            Record::Every => Recorder { next: 0, ratio: 1.0, every: true, points: Vec::new() },
        }
    }

    /// `count` log-spaced checkpoints over `0..=horizon` (`count = 0` records nothing but the end).
    pub fn log_spaced(count: usize, horizon: usize) -> Self {
        let ratio = if count > 1 { (horizon.max(2) as f64).powf(1.0 / (count - 1) as f64) } else { f64::INFINITY };
        Recorder { next: if count == 0 { usize::MAX } else { 0 }, ratio, every: false, points: Vec::new() }
    }
}

impl Observer for Recorder {
    #[inline]
    fn wants(&self, k: usize) -> bool {
        self.every || k >= self.next
    }

    fn observe(&mut self, k: usize, time: f64, w: &[f64], risk: f64, uv: Option<Vec<f64>>) {
        if self.points.last().is_some_and(|p| p.iteration == Some(k)) {
            return;
        }
        self.points.push(Checkpoint { iteration: Some(k), time, w: w.to_vec(), risk, uv });
        if !self.every {
            let nx = ((k.max(1) as f64) * self.ratio).ceil();
            self.next = if nx.is_finite() && nx < usize::MAX as f64 { (nx as usize).max(k + 1) } else { usize::MAX };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_spaced_recorder_is_bounded_and_starts_at_zero() {
        let mut r = Recorder::log_spaced(20, 1_000_000);
        for k in 0..=1_000_000 {
            if r.wants(k) {
                r.observe(k, k as f64, &[0.0], 1.0, None);
            }
        }
        assert_eq!(r.points[0].iteration, Some(0));
        assert!(r.points.len() <= 22, "{} points", r.points.len());
        let ks: Vec<usize> = r.points.iter().map(|p| p.iteration.unwrap()).collect();
        assert!(ks.windows(2).all(|w| w[1] > w[0]));
        // A repeated end point is not stored twice.
        let last = *ks.last().unwrap();
        r.observe(last, 0.0, &[0.0], 1.0, None);
        assert_eq!(r.points.len(), ks.len());
        let mut e = Recorder::for_record(Record::EndOnly, 10);
        assert!(!e.wants(0) && !e.wants(9));
        e.observe(10, 1.0, &[1.0], 0.5, None);
        assert_eq!(e.points.len(), 1);
    }
}
