//! The Lambda invocation's deadline, visible to the work it runs (a task
//! local, set by the Lambda entry point; the CLI has none). A sweep stops
//! starting accounts when too little time is left to finish one, rather than
//! being killed mid-write with nothing reported.
//!
//! A task the work spawns (each account of a sweep runs in its own) does not
//! inherit a task local, so the deadline in force is also kept for the
//! process while `within` runs: Lambda runs one invocation at a time.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

// tokio's clock, not std's: a runtime whose time is paused (the simulation)
// runs deadlines with every other timer; otherwise they are the same clock.
use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The deadline of the invocation in progress, for tasks it spawned.
static INVOCATION: Mutex<Option<Instant>> = Mutex::new(None);

fn invocation() -> Option<Instant> {
    INVOCATION.lock().map_or_else(|p| *p.into_inner(), |d| *d)
}

fn set_invocation(deadline: Option<Instant>) {
    match INVOCATION.lock() {
        Ok(mut d) => *d = deadline,
        Err(p) => *p.into_inner() = deadline,
    }
}

/// The deadline in force: this task's, else the invocation's.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok().or_else(invocation)
}

/// Time one account needs at worst: a few bounded calls in sequence
/// (connect, attempts and retries within the call timeout), plus the sweep's
/// own wrap-up (summary, state, receipt).
pub const MARGIN: Duration = Duration::from_secs(60);

/// Runs `f` with `deadline` in force.
pub async fn within<F: Future>(deadline: Instant, f: F) -> F::Output {
    // Cleared on drop, not after the await: work dropped mid-way (a
    // cancelled future; the simulation's crashed instances) must not leave
    // its deadline in force for what the process runs next.
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            set_invocation(None);
        }
    }
    set_invocation(Some(deadline));
    let _clear = Clear;
    DEADLINE.scope(deadline, f).await
}

/// True when the deadline in force is less than [`MARGIN`] away.
pub fn running_out() -> bool {
    current().is_some_and(|d| d.saturating_duration_since(Instant::now()) < MARGIN)
}

/// The instant `deadline_ms` (epoch milliseconds, as Lambda gives it) falls on.
pub fn from_epoch_millis(deadline_ms: u64) -> Instant {
    let now_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let left = (deadline_ms as i64 - now_ms).max(0) as u64;
    Instant::now() + Duration::from_millis(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_a_deadline_in_force_runs_out() {
        assert!(!running_out(), "no deadline: the CLI never runs out");
        assert!(within(Instant::now(), async { running_out() }).await);
        assert!(within(Instant::now() + MARGIN * 2, async { !running_out() }).await);
        // A task the work spawns sees the invocation's deadline too.
        let spawned = within(Instant::now(), async {
            tokio::spawn(async { running_out() }).await.unwrap()
        });
        assert!(spawned.await, "a spawned task runs out with its invocation");
        assert!(!running_out(), "and nothing is left in force after it");
        // Work dropped before it ends leaves nothing in force either.
        let dropped = within(Instant::now(), std::future::pending::<()>());
        let polled = tokio::time::timeout(Duration::from_millis(1), dropped).await;
        assert!(polled.is_err(), "the work was cut off, not finished");
        assert!(!running_out(), "a dropped invocation leaves no deadline");
        let soon = from_epoch_millis(
            crate::domain::clock::epoch_millis(crate::domain::clock::now()) as u64 + 5_000,
        );
        let left = soon.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(4) && left <= Duration::from_secs(5),
            "{left:?}"
        );
        assert!(
            from_epoch_millis(0) <= Instant::now(),
            "a past deadline is now"
        );
    }
}
