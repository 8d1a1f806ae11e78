//! Keeps a lease (an event claim, an account-region's write lease) alive for
//! as long as its holder works, so a lease can be short (a crashed holder
//! delays others briefly) without running out under a live one (a sweep of
//! 900 s, a write held up by a slow endpoint). A renewal that finds the lease
//! taken over marks it lost, and the holder checks that before it writes.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

/// What one renewal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Still ours, now for another lease period.
    Held,
    /// Another run owns it now (or it was released): stop renewing.
    Lost,
    /// The call failed (throttled, endpoint away): try again next beat; the
    /// lease still runs until its last renewal's end.
    Unknown,
}

/// A background task renewing one lease every `period` until dropped.
pub struct Heartbeat {
    task: JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

impl Heartbeat {
    /// Renews every `period` (a third of the lease is usual: two beats may
    /// fail before the lease runs out).
    pub fn start<F, Fut>(period: Duration, mut renew: F) -> Heartbeat
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Renewal> + Send,
    {
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let period = period.max(Duration::from_millis(100));
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                match renew().await {
                    Renewal::Held | Renewal::Unknown => {}
                    Renewal::Lost => {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            }
        });
        Heartbeat { task, lost }
    }

    /// A renewal found the lease in another run's hands.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A heartbeat shared by the clones of one grant: renewing stops when the
/// last clone goes (the grant was recorded, or the run ended).
#[derive(Clone, Default)]
pub struct Keepalive(Option<Arc<Heartbeat>>);

impl Keepalive {
    pub fn new(beat: Heartbeat) -> Keepalive {
        Keepalive(Some(Arc::new(beat)))
    }

    pub fn lost(&self) -> bool {
        self.0.as_ref().is_some_and(|b| b.lost())
    }
}

impl std::fmt::Debug for Keepalive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Keepalive(none)"),
            Some(b) if b.lost() => f.write_str("Keepalive(lost)"),
            Some(_) => f.write_str("Keepalive(beating)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(start_paused = true)]
    async fn beats_until_dropped_and_stops_when_lost() {
        let beats = Arc::new(AtomicUsize::new(0));
        let counted = beats.clone();
        let beat = Heartbeat::start(Duration::from_secs(10), move || {
            let counted = counted.clone();
            async move {
                // A failed call is no verdict; the fourth renewal finds it taken.
                match counted.fetch_add(1, Ordering::SeqCst) {
                    1 => Renewal::Unknown,
                    0 | 2 => Renewal::Held,
                    _ => Renewal::Lost,
                }
            }
        });
        tokio::time::sleep(Duration::from_secs(35)).await;
        assert_eq!(beats.load(Ordering::SeqCst), 3);
        assert!(!beat.lost());
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(beat.lost());
        tokio::time::sleep(Duration::from_secs(100)).await;
        assert_eq!(beats.load(Ordering::SeqCst), 4, "no renewal after Lost");

        let beats = Arc::new(AtomicUsize::new(0));
        let counted = beats.clone();
        let keep = Keepalive::new(Heartbeat::start(Duration::from_secs(1), move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Renewal::Held }
        }));
        let clone = keep.clone();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        drop(keep);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(beats.load(Ordering::SeqCst), 4, "a clone keeps it beating");
        drop(clone);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(beats.load(Ordering::SeqCst), 4, "the last clone stops it");
    }
}
