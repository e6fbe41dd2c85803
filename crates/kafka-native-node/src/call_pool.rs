//! The threads behind Promise-returning calls (start, stop, metadata, admin requests): one pool
//! per process, never libuv's. An idle thread takes the next call; a new one starts only when
//! the calls waiting outnumber the idle threads, up to `MAX_THREADS`, so a thousand calls in
//! flight use at most that many threads, and a call waits behind others only when
//! `MAX_THREADS` of them are in progress.
//! A thread idle for `IDLE_EXIT` ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

/// Most calls take milliseconds; some wait on a broker for seconds. Enough that unrelated calls
/// rarely queue, few enough that a burst cannot exhaust the process.
const MAX_THREADS: usize = 64;
const IDLE_EXIT: Duration = Duration::from_secs(20);

type Call = Box<dyn FnOnce() + Send>;

struct CallPool {
    calls: Sender<Call>,
    waiting: Receiver<Call>,
    threads: AtomicUsize,
    idle: AtomicUsize,
}

fn shared() -> &'static CallPool {
    static POOL: OnceLock<CallPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (calls, waiting) = crossbeam_channel::unbounded();
        CallPool {
            calls,
            waiting,
            threads: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
        }
    })
}

/// Runs `call` on a pool thread. Fails only when no thread runs and none can be started.
pub(crate) fn run(call: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    let pool = shared();
    // The channel lives as long as the process (the pool holds both ends): send cannot fail.
    let _ = pool.calls.send(Box::new(call));
    // Every waiting call has an idle thread to take it: none needs starting.
    if pool.waiting.len() <= pool.idle.load(Ordering::Acquire) {
        return Ok(());
    }
    let started = pool
        .threads
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_THREADS).then_some(n + 1)
        });
    if started.is_err() {
        return Ok(()); // at the cap: a busy thread takes it when it is done
    }
    let spawned = std::thread::Builder::new()
        .name("kn-call".into())
        .spawn(|| serve(shared()));
    if let Err(e) = spawned {
        let left = pool.threads.fetch_sub(1, Ordering::AcqRel) - 1;
        if left == 0 {
            return Err(e); // the call stays queued with nobody to take it
        }
    }
    Ok(())
}

fn serve(pool: &CallPool) {
    loop {
        pool.idle.fetch_add(1, Ordering::AcqRel);
        let next = pool.waiting.recv_timeout(IDLE_EXIT);
        pool.idle.fetch_sub(1, Ordering::AcqRel);
        match next {
            Ok(call) => call(),
            Err(_) => {
                pool.threads.fetch_sub(1, Ordering::AcqRel);
                // A call may have come just as this thread gave up, seeing it idle: take it.
                if let Ok(call) = pool.waiting.try_recv() {
                    pool.threads.fetch_add(1, Ordering::AcqRel);
                    call();
                    continue;
                }
                return;
            }
        }
    }
}
