//! Two cores for one problem's kernels. [`join`]`(a, b)` runs `a` on the calling thread and `b` on a
//! helper thread that spins between calls, so a split costs well under a microsecond instead of a
//! thread-pool wake-up (10–20 µs measured for `rayon::join` called from outside its pool, comparable
//! to a whole 200×2000 mat-vec: BENCHMARKS.md). Inside a rayon worker (sweeps, which already keep
//! every core busy with independent runs) it is `rayon::join`; while another thread holds the helper,
//! or with one core, `a` and `b` run one after the other.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

const IDLE: u8 = 0;
const POSTED: u8 = 1;
const TAKEN: u8 = 2;

/// How long the helper spins for the next job before it parks.
const SPIN: Duration = Duration::from_micros(300);

/// A job handed to the helper: a type- and lifetime-erased `&mut dyn FnMut()`. Only [`join`]
/// creates one, and it waits for the helper to finish with it before the borrow ends.
struct Job(*mut (dyn FnMut() + Send));
// SAFETY: the pointee is `Send`; the pointer is only dereferenced by the helper between the
// `go` (Release/Acquire) and `done` (Release/Acquire) handshakes of one `join`.
unsafe impl Send for Job {}

struct Helper {
    /// Held by the one caller using the helper.
    busy: AtomicBool,
    /// Number of jobs handed over / finished.
    go: AtomicU64,
    done: AtomicU64,
    /// The helper is parked (or about to park) and needs an unpark.
    sleeping: AtomicBool,
    /// The last job panicked.
    panicked: AtomicBool,
    /// `POSTED` while a job waits in `job`; whoever moves it away (the helper to `TAKEN`, the caller
    /// back to `IDLE`) runs it, so a helper that is descheduled or parked never delays the caller.
    state: AtomicU8,
    job: UnsafeCell<Option<Job>>,
    thread: OnceLock<Thread>,
}

// SAFETY: `job` is written by the caller holding `busy` before it bumps `go` (Release) and read by the
// helper after it observes the new `go` (Acquire); the caller does not touch it again until `done`.
unsafe impl Sync for Helper {}

fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();
    *HELPER.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        if cores < 2 {
            return None;
        }
        let h: &'static Helper = Box::leak(Box::new(Helper {
            busy: AtomicBool::new(false),
            go: AtomicU64::new(0),
            done: AtomicU64::new(0),
            sleeping: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            state: AtomicU8::new(IDLE),
            job: UnsafeCell::new(None),
            thread: OnceLock::new(),
        }));
        let spawned = std::thread::Builder::new().name("ibias-helper".into()).spawn(move || serve(h));
        match spawned {
            Ok(handle) => {
                let _ = h.thread.set(handle.thread().clone());
                Some(h)
            }
            Err(_) => None,
        }
    })
}

fn serve(h: &'static Helper) {
    let mut seen = 0u64;
    loop {
        let mut since = Instant::now();
        let mut spins = 0u32;
        while h.go.load(Ordering::Acquire) == seen {
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(256) {
                std::hint::spin_loop();
                continue;
            }
            if since.elapsed() < SPIN {
                continue;
            }
            h.sleeping.store(true, Ordering::SeqCst);
            if h.go.load(Ordering::SeqCst) == seen {
                std::thread::park();
            }
            h.sleeping.store(false, Ordering::SeqCst);
            since = Instant::now();
        }
        seen = h.go.load(Ordering::Acquire);
        if h.state.compare_exchange(POSTED, TAKEN, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            // SAFETY: see `Helper`: the job was written before `POSTED` and the caller waits for `done`.
            let job = unsafe { (*h.job.get()).take() };
            if let Some(Job(f)) = job {
                // SAFETY: the closure outlives this call (the caller spins until `done`).
                let ok = catch_unwind(AssertUnwindSafe(|| unsafe { (*f)() })).is_ok();
                if !ok {
                    h.panicked.store(true, Ordering::Relaxed);
                }
            }
            h.state.store(IDLE, Ordering::Relaxed);
        }
        h.done.store(seen, Ordering::Release);
    }
}

/// Takes the job back if the helper has not started it, otherwise waits for it and collects whether it
/// panicked; then releases the helper. Also runs when `a` unwinds.
struct Release<'h> {
    h: &'h Helper,
    ticket: u64,
    panicked: &'h std::cell::Cell<bool>,
    reclaimed: &'h std::cell::Cell<Option<Job>>,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        if self.h.state.compare_exchange(POSTED, IDLE, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            // SAFETY: the helper touches the cell only after winning `POSTED → TAKEN`, which it lost.
            self.reclaimed.set(unsafe { (*self.h.job.get()).take() });
        } else {
            while self.h.done.load(Ordering::Acquire) < self.ticket {
                std::hint::spin_loop();
            }
            self.panicked.set(self.h.panicked.swap(false, Ordering::Relaxed));
        }
        self.h.busy.store(false, Ordering::Release);
    }
}

/// Runs `a` here and `b` on a second core, and returns both results (see the module notes).
pub fn join<RA, RB>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB)
where
    RA: Send,
    RB: Send,
{
    if rayon::current_thread_index().is_some() {
        return rayon::join(a, b);
    }
    let Some(h) =
        helper().filter(|h| h.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok())
    else {
        let ra = a();
        return (ra, b());
    };
    let mut b = Some(b);
    let mut rb: Option<RB> = None;
    let mut task = || rb = b.take().map(|f| f());
    let ptr: *mut (dyn FnMut() + Send + '_) = &mut task;
    // SAFETY: only the lifetime is erased; `Release` below waits until the helper is done with the
    // closure before `task` (and what it borrows) goes out of scope, on return and on unwind.
    let ptr: *mut (dyn FnMut() + Send + 'static) = unsafe { std::mem::transmute(ptr) };
    // SAFETY: we hold `busy`; the helper reads the cell only after it wins `POSTED → TAKEN`.
    unsafe { *h.job.get() = Some(Job(ptr)) };
    h.state.store(POSTED, Ordering::Release);
    let ticket = h.go.fetch_add(1, Ordering::SeqCst) + 1;
    if h.sleeping.load(Ordering::SeqCst)
        && let Some(t) = h.thread.get()
    {
        t.unpark();
    }
    let helper_panicked = std::cell::Cell::new(false);
    let reclaimed = std::cell::Cell::new(None);
    let ra = {
        let _release = Release { h, ticket, panicked: &helper_panicked, reclaimed: &reclaimed };
        a()
    };
    if helper_panicked.get() {
        resume_unwind(Box::new("a task on the helper thread panicked"));
    }
    if let Some(Job(f)) = reclaimed.take() {
        // The helper had not started `b` when `a` finished: run it here.
        // SAFETY: `task` is alive in this frame and no other thread holds the pointer.
        unsafe { (*f)() };
    }
    (ra, rb.expect("the task ran"))
}

/// The most worker threads a sweep may ask for: four per core, at least 64.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    (4 * cores).max(64)
}

/// Checks a requested worker-thread count (`threads`, 1 to [`max_threads`]).
pub fn check_threads(threads: usize) -> crate::Result<usize> {
    let cap = max_threads();
    if threads == 0 || threads > cap {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        return Err(crate::Error::param("threads", format!("{threads} threads: give 1 to {cap} ({cores} cores here)")));
    }
    Ok(threads)
}

/// A rayon pool of `threads` workers (`None`: one per core), the count checked by [`check_threads`]; every door
/// (the command line, Python, Slurm's `SLURM_CPUS_PER_TASK`) builds its sweep pool here.
pub fn thread_pool(threads: Option<usize>) -> crate::Result<rayon::ThreadPool> {
    let n = match threads {
        Some(t) => check_threads(t)?,
        None => 0,
    };
    rayon::ThreadPoolBuilder::new().num_threads(n).build().map_err(|e| crate::Error::param("threads", e.to_string()))
}

/// Runs independent jobs on the current rayon pool, the largest (by `cost`, an estimate) first, each worker taking
/// the next from one shared queue (a greedy schedule: a few large jobs left to the end would leave cores idle,
/// and rayon's halving of a list keeps no order). Results come back in the jobs' order; after an error no new
/// job starts, and the first error in the jobs' order is returned.
pub fn largest_first<T: Sync, R: Send>(
    jobs: &[T],
    cost: impl Fn(&T) -> f64,
    run: impl Fn(&T) -> crate::Result<R> + Sync,
) -> crate::Result<Vec<R>> {
    use rayon::prelude::*;
    use std::sync::atomic::AtomicUsize;
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| cost(&jobs[b]).total_cmp(&cost(&jobs[a])));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    let per_worker: Vec<Vec<(usize, crate::Result<R>)>> = (0..workers)
        .into_par_iter()
        .with_max_len(1)
        .map(|_| {
            let mut mine = Vec::new();
            while !failed.load(Ordering::Relaxed) {
                let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                let r = run(&jobs[i]);
                if r.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                mine.push((i, r));
            }
            mine
        })
        .collect();
    let mut all: Vec<(usize, crate::Result<R>)> = per_worker.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every job runs once, the results come back in the jobs' order whatever the costs, and an error is returned
    /// (the first in the jobs' order) with no job started after it was seen.
    #[test]
    fn largest_first_runs_each_job_once_and_keeps_the_order() {
        use std::sync::atomic::AtomicUsize;
        let jobs: Vec<usize> = (0..37).collect();
        let runs = AtomicUsize::new(0);
        let out = largest_first(
            &jobs,
            |&j| ((j * 7) % 11) as f64,
            |&j| {
                runs.fetch_add(1, Ordering::Relaxed);
                Ok(j * j)
            },
        )
        .unwrap();
        assert_eq!(out, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        assert_eq!(runs.load(Ordering::Relaxed), jobs.len());
        let empty: Vec<usize> = Vec::new();
        assert!(largest_first(&empty, |_| 0.0, |&j| Ok(j)).unwrap().is_empty());
        // One worker: the order is exact (36, 35, 34, then 33 fails and nothing else starts).
        let runs = AtomicUsize::new(0);
        let one = thread_pool(Some(1)).unwrap();
        let err = one.install(|| {
            largest_first(
                &jobs,
                |&j| j as f64,
                |&j| {
                    runs.fetch_add(1, Ordering::Relaxed);
                    if j % 10 == 3 { Err(crate::Error::Numerical(format!("job {j}"))) } else { Ok(j) }
                },
            )
        });
        match err {
            Err(crate::Error::Numerical(m)) => assert_eq!(m, "job 33"),
            other => panic!("{other:?}"),
        }
        assert_eq!(runs.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn join_runs_both_sides_and_returns_both_results() {
        for k in 0..2000u64 {
            let mut left = vec![0u64; 100];
            let mut right = vec![0u64; 100];
            let (a, b) = join(
                || {
                    left.iter_mut().for_each(|x| *x = k);
                    left.iter().sum::<u64>()
                },
                || {
                    right.iter_mut().for_each(|x| *x = 2 * k);
                    right.iter().sum::<u64>()
                },
            );
            assert_eq!((a, b), (100 * k, 200 * k));
            assert!(right.iter().all(|&x| x == 2 * k));
        }
    }

    #[test]
    fn a_parked_helper_delays_nothing_and_results_stay_right() {
        for k in 0..50u64 {
            // Long enough for the helper to park: `b` is then often taken back by the caller.
            std::thread::sleep(Duration::from_micros(400));
            let mut v = vec![0u64; 1000];
            let (a, b) = join(|| k, || v.iter_mut().map(|x| *x + k).sum::<u64>());
            assert_eq!((a, b), (k, 1000 * k));
        }
    }

    #[test]
    fn concurrent_callers_fall_back_to_one_thread() {
        let totals: Vec<u64> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4u64)
                .map(|t| s.spawn(move || (0..500u64).map(|k| join(|| k + t, || 2 * k).0 + join(|| 0, || k).1).sum()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (t, total) in totals.iter().enumerate() {
            let want: u64 = (0..500u64).map(|k| k + t as u64 + k).sum();
            assert_eq!(*total, want);
        }
    }

    #[test]
    fn a_panic_on_the_helper_reaches_the_caller_and_the_helper_survives() {
        let r = catch_unwind(|| join(|| 1, || -> u32 { panic!("boom") }));
        assert!(r.is_err());
        assert_eq!(join(|| 1, || 2), (1, 2));
    }
}
