//! The threads that run argon2 for [`hash_password_async`](super::hash_password_async) and
//! [`verify_password_async`](super::verify_password_async).
//!
//! Why not tokio's blocking pool: a hash takes a whole CPU for tens of milliseconds, and
//! blocking-pool threads compete with the async workers as equals, so during a login storm a
//! worker that wakes for a request waits for a CPU for a scheduler slice at a time, and every
//! other route's tail latency grows with the number of logins. These threads lower their own
//! scheduling priority (on Linux, the nice value is per thread), so that when a worker and a
//! hash both want a CPU the worker gets most of it and hashing the time that is left, which on
//! a busy server is most of it. A waking worker may still wait for the running hash's slice to
//! end (up to a scheduler tick, a few milliseconds, on the kernel of bench/README.md's storm
//! traces), so this shortens the tail rather than removing it. There is one thread per
//! available CPU, which also bounds the hashes in flight (19 MiB each) and lets their memory be
//! reused.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, mpsc};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// How many nice levels below the process the hashing threads run. Ten levels weigh about
/// 1:10 against the workers when both want a CPU (CFS/EEVDF weights), while a thread with the
/// CPU to itself runs at full speed.
#[cfg(target_os = "linux")]
const NICE_INCREMENT: i32 = 10;

/// The job queue and how many threads serve it; `None` when not a single thread could be
/// started (the work then runs on the caller's thread: slower for others, but still correct).
static QUEUE: LazyLock<Option<(mpsc::Sender<Job>, usize)>> = LazyLock::new(start);

fn start() -> Option<(mpsc::Sender<Job>, usize)> {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    let started = (0..super::parallelism())
        .filter(|index| {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("bustjwt-hash-{index}"))
                .spawn(move || serve(&receiver))
                .is_ok()
        })
        .count();
    (started > 0).then_some((sender, started))
}

fn serve(receiver: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    loop {
        // A `let` statement, so the lock is released before the job runs, not after.
        let next = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match next {
            Ok(job) => job(),
            // Only when the sender is gone, which is static: never in practice.
            Err(mpsc::RecvError) => return,
        }
    }
}

/// Lowers the calling thread's priority by [`NICE_INCREMENT`] nice levels. Best effort: a
/// process already at the lowest priority, or a sandbox that forbids `setpriority`, leaves it
/// as it is, which only costs latency.
#[cfg(target_os = "linux")]
fn lower_priority() {
    use rustix::process::{getpriority_process, setpriority_process};
    // `PRIO_PROCESS` with a thread id changes that thread alone on Linux (setpriority(2)).
    let thread = rustix::thread::gettid();
    if let Ok(current) = getpriority_process(Some(thread)) {
        let _ = setpriority_process(Some(thread), (current + NICE_INCREMENT).min(19));
    }
}

/// Other systems have no per-thread nice value; their threads keep the process's priority.
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// How many hashing threads are running (0 if none could be started).
#[cfg(test)]
pub(super) fn threads() -> usize {
    QUEUE.as_ref().map_or(0, |(_, threads)| *threads)
}

/// Runs `work` on a hashing thread and waits for it without blocking the async caller. Works
/// under any executor. A panic in `work` resumes in the caller; a caller that is dropped
/// before its turn comes (a client that left mid-login) costs no hash.
pub(super) async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let Some((queue, _)) = QUEUE.as_ref() else {
        return work();
    };
    let (reply, result) = oneshot::channel();
    let job: Job = Box::new(move || {
        if !reply.is_closed() {
            let _ = reply.send(catch_unwind(AssertUnwindSafe(work)));
        }
    });
    if let Err(mpsc::SendError(job)) = queue.send(job) {
        job();
    }
    // `result` is alive until here, so the job always replies.
    match result.await.expect("a hashing job always replies") {
        Ok(value) => value,
        Err(panic) => resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn runs_on_named_pool_threads() {
        let name = run(|| std::thread::current().name().map(str::to_owned)).await;
        assert!(name.is_some_and(|name| name.starts_with("bustjwt-hash-")));
        assert_eq!(threads(), super::super::parallelism());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn pool_threads_run_below_the_callers_priority() {
        use rustix::process::getpriority_process;
        let nice = || getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let (ours, theirs) = (nice(), run(nice).await);
        assert_eq!(theirs, (ours + NICE_INCREMENT).min(19), "caller at {ours}");
    }

    #[tokio::test]
    async fn a_panic_reaches_the_caller_and_the_pool_keeps_working() {
        let panicked = tokio::spawn(run(|| -> u8 { panic!("hash failed") })).await;
        let panic = panicked.unwrap_err().into_panic();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"hash failed"));
        for _ in 0..threads() * 2 {
            assert_eq!(run(|| 7).await, 7);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_left_costs_no_work() {
        let threads = threads();
        // Occupy every pool thread until `gate` opens.
        let gate = Arc::new(Barrier::new(threads + 1));
        let busy = Arc::new(AtomicUsize::new(0));
        let blockers: Vec<_> = (0..threads)
            .map(|_| {
                let (gate, busy) = (Arc::clone(&gate), Arc::clone(&busy));
                tokio::spawn(run(move || {
                    busy.fetch_add(1, Ordering::SeqCst);
                    gate.wait();
                }))
            })
            .collect();
        while busy.load(Ordering::SeqCst) < threads {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }

        // Queued behind the blockers, then abandoned: polled once (which queues it), dropped.
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let abandoned = tokio::time::timeout(
            Duration::ZERO,
            run(move || flag.store(true, Ordering::SeqCst)),
        );
        assert!(abandoned.await.is_err(), "it cannot have run yet");

        tokio::task::block_in_place(|| gate.wait());
        for blocker in blockers {
            blocker.await.unwrap();
        }
        // The queue is first in, first out: once every thread has taken one of these jobs, the
        // abandoned one has been taken, and skipped, before them.
        let all_taken = Arc::new(Barrier::new(threads));
        let after: Vec<_> = (0..threads)
            .map(|_| {
                let all_taken = Arc::clone(&all_taken);
                tokio::spawn(run(move || {
                    all_taken.wait();
                }))
            })
            .collect();
        for job in after {
            job.await.unwrap();
        }
        assert!(!ran.load(Ordering::SeqCst));

        let flag = Arc::clone(&ran);
        run(move || flag.store(true, Ordering::SeqCst)).await;
        assert!(
            ran.load(Ordering::SeqCst),
            "a caller that waits gets its work done"
        );
    }
}
