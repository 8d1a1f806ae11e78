//! Alerts outlive outages: every decided alert is kept in the outbox (one
//! item per destination) before it is published, and removed once its topic
//! took it. Any run that claims work first publishes what earlier runs left
//! there, so an alert waits for the first run after SNS is back, however
//! long it was away; its `alert_id` never changes.

mod ledger_writes;
pub(crate) use ledger_writes::{ledger_writes, tells_facts, withheld_unless_kept, LedgerWrites};

use crate::adapters::store::outbox::{OutboxEntry, OUTBOX_LEASE};
use crate::adapters::store::receipts::Receipts;
use crate::domain::alert::default_told::defaults_told;
use crate::domain::alert::render::Dest;
use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::outcome::AlertSent;
use crate::domain::report::audit::told::told_rows;
use crate::flow::publish::{Alerts, Attempt};

/// What delivering a run's alerts came to.
#[derive(Default)]
pub struct Delivered {
    /// Copies the alert topic took.
    pub sent: Vec<AlertSent>,
    /// Alerts the alert topic refused (kept or lost).
    pub unsent: usize,
    /// Of those, kept in the outbox: the next run publishes them.
    pub kept: usize,
    /// Refused and not kept either: the caller's last resort (a claim).
    pub lost: Vec<Alert>,
    /// Chat copies refused (kept in the outbox when it could).
    pub chat_unsent: usize,
    pub first_error: Option<AwsError>,
}

impl Delivered {
    /// Another delivery's copies sent, counted as sent; what it could not
    /// send waits in the outbox without failing this one.
    pub(crate) fn absorb(&mut self, other: Delivered) {
        if other.unsent + other.chat_unsent > 0 {
            tracing::warn!(
                unsent = other.unsent,
                chat_unsent = other.chat_unsent,
                "alerts of a dead run not published yet; they wait in the outbox"
            );
        }
        self.sent.extend(other.sent);
        self.kept += other.kept;
        self.lost.extend(other.lost);
    }
}

/// Every destination's copy of each alert, made to fit SNS first: what is
/// kept is what is published, and it fits a DynamoDB item too.
fn copies(alerts: &Alerts, decided: &[Alert]) -> Vec<(Alert, Dest)> {
    decided
        .iter()
        .map(|a| alerts.fit(a.clone()))
        .flat_map(|a| alerts.dests().iter().map(move |d| (a.clone(), *d)))
        .collect()
}

/// Every copy of `decided` into the outbox, leased to us, with the window
/// claims they tell marked kept and the defaults their drift tells marked
/// told ([`Receipts::keep`]); true when kept.
pub(crate) async fn keep_first(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    (decided, ledgered): (&[Alert], &LedgerWrites),
) -> bool {
    let claims = &ledgered.claims;
    if decided.is_empty() && claims.is_empty() && ledgered.drift.is_empty() {
        return true;
    }
    let marks = defaults_told(decided, &ledgered.made, claims);
    let entries: Vec<(String, &str, String)> = copies(alerts, decided)
        .iter()
        .map(|(a, d)| {
            let json = serde_json::to_string(a).expect("alert serialises");
            (d.key(&a.alert_id), d.as_str(), json)
        })
        .collect();
    let told: Vec<_> = decided.iter().flat_map(told_rows).collect();
    match receipts
        .keep(&entries, owner, (claims, &marks, &ledgered.drift), &told)
        .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error_code = %e.code, error = %e, "cannot keep decided alerts in the outbox");
            receipts.give_back(claims).await;
            false
        }
    }
}

/// Publishes copies already kept (or not: `kept` false), removes what went
/// out, gives the rest back to the outbox for the next run.
pub(crate) async fn publish_kept(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    decided: Vec<Alert>,
    kept: bool,
) -> Delivered {
    let attempts = attempt(alerts, &decided).await;
    settle(receipts, owner, attempts, &|_| kept).await
}

/// Every destination's copy of `decided` published once (an event's run
/// does it beside keeping them: [`settle`] decides afterwards what the
/// outbox keeps).
pub(crate) async fn attempt(alerts: &Alerts, decided: &[Alert]) -> Vec<Attempt> {
    if decided.is_empty() {
        return vec![];
    }
    alerts.publish_copies(copies(alerts, decided)).await
}

/// What the attempts came to: a copy the topic took leaves the outbox (when
/// `kept` says its alert was kept), a refused one is left there for the
/// next run.
pub(crate) async fn settle(
    receipts: &Receipts,
    owner: &str,
    attempts: Vec<Attempt>,
    kept: &(dyn Fn(&Alert) -> bool + Sync),
) -> Delivered {
    let mut out = Delivered::default();
    for Attempt {
        alert,
        dest,
        result,
    } in attempts
    {
        let key = dest.key(&alert.alert_id);
        let kept = kept(&alert);
        match result {
            Ok(()) => {
                if dest == Dest::Main {
                    out.sent.push(Alerts::sent(&alert));
                }
                if kept {
                    if let Err(e) = receipts.sent_from_outbox(&key).await {
                        tracing::warn!(alert_id = %alert.alert_id, error = %e, "sent alert stays in the outbox; it may be sent again with the same alert_id");
                    }
                }
            }
            Err(e) => {
                let saved = leave_for_next_run(receipts, owner, &alert, dest, kept).await;
                match dest {
                    Dest::Chat => out.chat_unsent += 1,
                    Dest::Main => {
                        out.unsent += 1;
                        if saved {
                            out.kept += 1;
                        } else {
                            out.lost.push(alert);
                        }
                        out.first_error.get_or_insert(e);
                    }
                }
            }
        }
    }
    out
}

/// The delivery of attempts that all went out: known before the outbox is
/// tidied, so the event's claim can close beside it.
pub(crate) fn all_sent(attempts: &[Attempt]) -> Option<Delivered> {
    attempts
        .iter()
        .all(|a| a.result.is_ok())
        .then(|| Delivered {
            sent: attempts
                .iter()
                .filter(|a| a.dest == Dest::Main)
                .map(|a| Alerts::sent(&a.alert))
                .collect(),
            ..Delivered::default()
        })
}

/// An unsent copy left in the outbox, free for the next run to take; true
/// when it is there.
async fn leave_for_next_run(
    receipts: &Receipts,
    owner: &str,
    alert: &Alert,
    dest: Dest,
    kept: bool,
) -> bool {
    let key = dest.key(&alert.alert_id);
    let saved = if kept {
        receipts.free_in_outbox(&key, owner).await.map(|_| true)
    } else {
        let json = serde_json::to_string(alert).expect("alert serialises");
        let free = receipts
            .keep(
                &[(key.clone(), dest.as_str(), json)],
                owner,
                (&[], &[], &[]),
                &[],
            )
            .await;
        match free {
            Ok(()) => receipts.free_in_outbox(&key, owner).await.map(|_| true),
            Err(e) => Err(e),
        }
    };
    saved.unwrap_or_else(|e| {
        // Kept but still leased: it waits out the lease instead.
        tracing::warn!(alert_id = %alert.alert_id, error = %e, "cannot free an unsent alert in the outbox");
        kept
    })
}

/// Kept first, then published: alerts no redelivery will carry (a sweep's
/// summary, a rejected policy) are never lost to an outage or a crash.
pub async fn deliver(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    decided: Vec<Alert>,
) -> Delivered {
    let kept = keep_first(
        receipts,
        alerts,
        owner,
        (&decided, &LedgerWrites::default()),
    )
    .await;
    let delivered = publish_kept(receipts, alerts, owner, decided, kept).await;
    for a in &delivered.lost {
        let json = serde_json::to_string(a).expect("alert serialises");
        tracing::error!(outcome = "alert_lost", alert_id = %a.alert_id, alert = %json, "alert neither published nor kept");
    }
    delivered
}

/// An event's alerts published: what earlier runs left in the outbox first
/// (`waiting`, read while ours were being kept; nothing, and no call, as a
/// rule), then each copy of `ours` once. A copy of ours, or of a dead run's
/// alert this run adopted, may be there under an older lease (an earlier
/// attempt's, a dead run's): it is left out of the flush, which would send
/// it twice. The flush stops half way through our copies' lease: a long
/// backlog published first let the lease on ours run out, and a run that
/// took them then published them as well (two pages, one `alert_id`).
pub(crate) async fn publish_after(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    waiting: Result<Vec<OutboxEntry>, AwsError>,
    ours: &[Alert],
    adopted: &[Alert],
) -> Vec<Attempt> {
    let waiting = waiting.map(|w| left_by_others(w, ours.iter().chain(adopted), alerts.dests()));
    let deadline = clock::now() + OUTBOX_LEASE / 2;
    let flushed = flush_read(
        receipts,
        alerts,
        owner,
        waiting,
        Some(clock::epoch_millis(deadline)),
    )
    .await;
    if flushed > 0 {
        tracing::info!(count = flushed, "alerts left by earlier runs published");
    }
    attempt(alerts, ours).await
}

/// The outbox read, less every copy of `ours`.
fn left_by_others<'a>(
    waiting: Vec<OutboxEntry>,
    ours: impl Iterator<Item = &'a Alert>,
    dests: &[Dest],
) -> Vec<OutboxEntry> {
    let keys: std::collections::HashSet<String> = ours
        .flat_map(|a| dests.iter().map(|d| d.key(&a.alert_id)))
        .collect();
    waiting
        .into_iter()
        .filter(|e| !keys.contains(&e.key))
        .collect()
}

/// Ours settled (sent copies leave the outbox, refused ones stay there for
/// the next run), then those of dead runs found while recording delivered
/// (their failure to send is not this event's).
pub(crate) async fn tidy(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    attempts: Vec<Attempt>,
    kept: &(dyn Fn(&Alert) -> bool + Sync),
    adopted: Vec<Alert>,
) -> Delivered {
    let mut delivered = settle(receipts, owner, attempts, kept).await;
    delivered.absorb(deliver(receipts, alerts, owner, adopted).await);
    if delivered.chat_unsent > 0 {
        tracing::warn!(
            count = delivered.chat_unsent,
            "chat copies not published; kept in the outbox"
        );
    }
    delivered
}

/// Publishes what earlier runs could not (their lease on each copy over);
/// returns how many copies went out. Every run that claimed work calls it,
/// so an alert waits for the first run after SNS is back, however long it
/// was away.
pub async fn flush_outbox(receipts: &Receipts, alerts: &Alerts, owner: &str) -> usize {
    flush_read(receipts, alerts, owner, receipts.outbox().await, None).await
}

/// [`flush_outbox`] of an outbox read already (an event's run reads it
/// while it keeps and records its own results, to spare a round trip, and
/// leaves its own alerts out of the read). `deadline_ms`: no copy is taken
/// after it (epoch milliseconds), the rest left to the next run.
pub async fn flush_read(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    read: Result<Vec<OutboxEntry>, AwsError>,
    deadline_ms: Option<i64>,
) -> usize {
    let waiting = match read {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error_code = %e.code, error = %e, "cannot read the alert outbox");
            return 0;
        }
    };
    let now = clock::epoch_millis(clock::now());
    let waiting: Vec<OutboxEntry> = waiting
        .into_iter()
        .filter(|e| e.lease_until < now)
        .collect();
    let (total, mut sent) = (waiting.len(), 0);
    for (i, entry) in waiting.into_iter().enumerate() {
        if deadline_ms.is_some_and(|d| clock::epoch_millis(clock::now()) >= d) {
            tracing::warn!(left = total - i, "outbox backlog left for the next run: this run's own alerts are due before their lease ends");
            break;
        }
        sent += usize::from(flushed_one(receipts, alerts, owner, entry).await);
    }
    sent
}

/// One waiting copy taken and published; whether it went out.
async fn flushed_one(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    entry: OutboxEntry,
) -> bool {
    let (alert, dest) = match (
        serde_json::from_str::<Alert>(&entry.alert),
        Dest::parse(&entry.dest),
    ) {
        (Ok(a), Some(d)) => (a, d),
        (Err(e), _) => {
            tracing::error!(outcome = "alert_lost", key = %entry.key, error = %e, "outbox alert is unreadable");
            return false;
        }
        (_, None) => {
            tracing::error!(outcome = "alert_lost", key = %entry.key, dest = %entry.dest, "outbox alert has an unknown destination");
            return false;
        }
    };
    match receipts.take_from_outbox(&entry.key, owner).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(key = %entry.key, error = %e, "cannot take an outbox alert");
            return false;
        }
    }
    match alerts.publish(&alert, dest).await {
        Ok(()) => {
            tracing::info!(alert = alert.kind.as_str(), alert_id = %alert.alert_id, dest = dest.as_str(), "alert from the outbox sent");
            if let Err(e) = receipts.sent_from_outbox(&entry.key).await {
                tracing::warn!(alert_id = %alert.alert_id, error = %e, "sent alert stays in the outbox; it may be sent again with the same alert_id");
            }
            true
        }
        Err(e) => {
            tracing::warn!(alert_id = %alert.alert_id, dest = dest.as_str(), error_code = %e.code, error = %e, "outbox alert still not published");
            let _ = receipts.free_in_outbox(&entry.key, owner).await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::sample as alert;

    #[test]
    fn the_flush_leaves_every_copy_of_our_own_alerts_to_us() {
        let entry = |key: &str| OutboxEntry {
            key: key.into(),
            alert: String::new(),
            dest: "main".into(),
            lease_until: 0,
        };
        let waiting = || {
            vec![
                entry("a"),
                entry("a#chat"),
                entry("b"),
                entry("b#chat"),
                entry("c"),
            ]
        };
        let ours = [alert("a", "x"), alert("zz", "not waiting")];
        let keys = |left: Vec<OutboxEntry>| left.into_iter().map(|e| e.key).collect::<Vec<_>>();
        let cases: [(&[Dest], &[Alert], &[&str]); 4] = [
            (&[Dest::Main], &ours, &["a#chat", "b", "b#chat", "c"]),
            (&[Dest::Main, Dest::Chat], &ours, &["b", "b#chat", "c"]),
            (
                &[Dest::Main, Dest::Chat],
                &[],
                &["a", "a#chat", "b", "b#chat", "c"],
            ),
            // An id that is a prefix of another's key leaves that key alone.
            (
                &[Dest::Main, Dest::Chat],
                &[alert("b#", "prefix")],
                &["a", "a#chat", "b", "b#chat", "c"],
            ),
        ];
        for (dests, ours, want) in cases {
            assert_eq!(keys(left_by_others(waiting(), ours.iter(), dests)), want);
        }
    }
}
