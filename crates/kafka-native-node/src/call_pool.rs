//! The threads behind Promise-returning calls (start, stop, metadata, admin requests): one pool
//! per process, never libuv's.
//!
//! Each client has a `Lane`. At most `LANE_WIDTH` calls of one lane run at once; its further
//! calls wait in the lane, behind calls of the same client only. A call admitted to run takes an
//! idle thread, or a new one starts for it: a call never waits behind another client's call,
//! however slow. So the threads running calls number at most `LANE_WIDTH` per client with calls
//! in flight, whatever the number of calls (a thousand on one client use sixteen). A thread idle
//! for `IDLE_EXIT` ends.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

/// Most calls take milliseconds; some wait on a broker for seconds. Enough that one client's
/// calls rarely queue behind each other, few enough that a burst on one client stays cheap.
pub(crate) const LANE_WIDTH: usize = 16;
const IDLE_EXIT: Duration = Duration::from_secs(20);

type Call = Box<dyn FnOnce() + Send>;

/// One client's calls: how many run, and those waiting for one of them to end.
#[derive(Default)]
pub(crate) struct Lane {
    state: Mutex<LaneState>,
}

#[derive(Default)]
struct LaneState {
    running: usize,
    waiting: VecDeque<Call>,
}

/// A call admitted to run, with the lane it came from.
struct Job {
    lane: Arc<Lane>,
    call: Call,
}

impl Job {
    /// Runs the call, then the calls its lane queued meanwhile, on this thread.
    fn run(self) {
        let Job { lane, mut call } = self;
        loop {
            call();
            let mut state = lane.state.lock();
            match state.waiting.pop_front() {
                Some(next) => call = next,
                None => {
                    state.running -= 1;
                    return;
                }
            }
        }
    }
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job (and not yet woken for one).
    idle: usize,
}

#[derive(Default)]
struct CallPool {
    state: Mutex<PoolState>,
    job_ready: Condvar,
}

fn shared() -> &'static CallPool {
    static POOL: OnceLock<CallPool> = OnceLock::new();
    POOL.get_or_init(CallPool::default)
}

/// Runs `call` on a pool thread, in `lane`'s turn. Fails only when the call was to start a
/// thread and none could start; the call then runs once another thread is free.
pub(crate) fn run(lane: &Arc<Lane>, call: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    {
        let mut state = lane.state.lock();
        if state.running >= LANE_WIDTH {
            state.waiting.push_back(Box::new(call));
            return Ok(());
        }
        state.running += 1;
    }
    let pool = shared();
    let needs_thread = {
        let mut state = pool.state.lock();
        state.jobs.push_back(Job {
            lane: lane.clone(),
            call: Box::new(call),
        });
        // Counted under one lock: every job has an idle thread to take it, or one starts.
        state.jobs.len() > state.idle
    };
    if needs_thread {
        std::thread::Builder::new()
            .name("kn-call".into())
            .spawn(|| serve(shared()))?;
    } else {
        pool.job_ready.notify_one();
    }
    Ok(())
}

fn serve(pool: &CallPool) {
    let mut state = pool.state.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            job.run();
            state = pool.state.lock();
            continue;
        }
        state.idle += 1;
        let waited = pool.job_ready.wait_for(&mut state, IDLE_EXIT);
        state.idle -= 1;
        if waited.timed_out() && state.jobs.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// The calls of `lane` that run at once, at most, while `calls` of them each hold a thread
    /// until released.
    #[test]
    fn a_lane_runs_at_most_its_width_and_then_its_queue() {
        let lane = Arc::new(Lane::default());
        let (started, starts) = mpsc::channel();
        let release = Arc::new((Mutex::new(false), Condvar::new()));
        for i in 0..LANE_WIDTH + 4 {
            let started = started.clone();
            let release = release.clone();
            run(&lane, move || {
                started.send(i).unwrap();
                let mut go = release.0.lock();
                while !*go {
                    release.1.wait(&mut go);
                }
            })
            .unwrap();
        }
        let first: Vec<usize> = (0..LANE_WIDTH)
            .map(|_| starts.recv_timeout(Duration::from_secs(30)).unwrap())
            .collect();
        assert_eq!(lane.state.lock().waiting.len(), 4, "{first:?}");
        // Another lane is not held up by this one.
        let other = Arc::new(Lane::default());
        let (done, finished) = mpsc::channel();
        run(&other, move || done.send(()).unwrap()).unwrap();
        finished.recv_timeout(Duration::from_secs(30)).unwrap();
        *release.0.lock() = true;
        release.1.notify_all();
        let rest: Vec<usize> = (0..4)
            .map(|_| starts.recv_timeout(Duration::from_secs(30)).unwrap())
            .collect();
        assert!(rest.iter().all(|&i| i >= LANE_WIDTH), "{rest:?}");
    }
}
