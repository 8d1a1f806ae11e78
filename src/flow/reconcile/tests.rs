//! `reconcile` against an in-memory document that behaves like SSM's
//! (version-checked updates, duplicate content refused) and can stage the
//! rare interleavings: a peer's write between our read and our update, a
//! document that vanishes, a lost answer, a lease another run just released.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

use super::*;
use crate::domain::aws_error::AwsError;
use crate::domain::ports::{Got, Listed, Versions, Written};
use crate::domain::preferences::Layout;

#[derive(Debug, Clone, Default)]
struct Doc {
    /// Version n is `versions[n - 1]`.
    versions: Vec<String>,
    default: usize,
    /// Versions deleted (their slot in `versions` keeps the numbering).
    deleted: Vec<usize>,
    /// SSM's version limit, when a test sets one.
    limit: Option<usize>,
}

impl Doc {
    fn with(contents: &[&Value], default: usize) -> Doc {
        Doc {
            versions: contents.iter().map(|c| c.to_string()).collect(),
            default,
            ..Doc::default()
        }
    }
    fn latest(&self) -> usize {
        self.versions.len()
    }
    fn json(&self, n: usize) -> Value {
        serde_json::from_str(&self.versions[n - 1]).unwrap()
    }
}

type Hook = Box<dyn FnOnce(&mut Doc) + Send>;

#[derive(Default)]
struct Fake {
    doc: Mutex<Option<Doc>>,
    /// Runs inside our next `update`, before AWS looks at it: a peer's write.
    before_update: Mutex<Vec<Hook>>,
    /// A peer that writes before every one of our updates.
    relentless_peer: bool,
    /// Our next update lands but its answer is lost; the SDK's retry answers.
    lose_update_answer: Mutex<bool>,
    /// `versions` answers, then the document is deleted before `content`.
    vanish_after_describe: Mutex<bool>,
    fail_describe: Option<&'static str>,
    writes: AtomicUsize,
}

fn aws(op: &'static str, code: &str) -> AwsError {
    AwsError {
        operation: op,
        account: "111122223333".into(),
        region: "eu-west-1".into(),
        code: code.into(),
        message: "injected".into(),
    }
}

impl Fake {
    fn new(doc: Option<Doc>) -> Fake {
        Fake {
            doc: Mutex::new(doc),
            ..Fake::default()
        }
    }

    fn doc(&self) -> Doc {
        self.doc.lock().unwrap().clone().expect("document exists")
    }

    fn apply_update(doc: &mut Doc, content: &str, latest: &str) -> Written {
        if latest != doc.latest().to_string() {
            return Written::Stale;
        }
        if doc.versions.iter().any(|v| v == content) {
            return Written::Duplicate;
        }
        if doc
            .limit
            .is_some_and(|limit| doc.latest() - doc.deleted.len() >= limit)
        {
            return Written::LimitReached;
        }
        doc.versions.push(content.to_string());
        Written::Version(doc.latest().to_string())
    }
}

impl Documents for Fake {
    fn account(&self) -> &str {
        "111122223333"
    }
    fn region(&self) -> &str {
        "eu-west-1"
    }
    async fn versions(&self) -> Result<Option<Versions>, AwsError> {
        if let Some(code) = self.fail_describe {
            return Err(aws("DescribeDocument", code));
        }
        let found = self.doc.lock().unwrap().as_ref().map(|d| Versions {
            default: d.default.to_string(),
            latest: d.latest().to_string(),
        });
        if std::mem::take(&mut *self.vanish_after_describe.lock().unwrap()) {
            *self.doc.lock().unwrap() = None;
        }
        Ok(found)
    }
    async fn content(&self, version: Option<&str>) -> Result<Option<Got>, AwsError> {
        let doc = self.doc.lock().unwrap();
        let Some(d) = doc.as_ref() else {
            return Ok(None);
        };
        let n = match version {
            None => d.default,
            Some(v) => v.parse().unwrap(),
        };
        Ok(d.versions.get(n - 1).map(|c| Got {
            number: n.to_string(),
            content: c.clone(),
            made: Some(format!("2026-11-20T00:00:0{n}Z")),
        }))
    }
    async fn create(&self, content: &str) -> Result<Written, AwsError> {
        let mut doc = self.doc.lock().unwrap();
        if doc.is_some() {
            return Ok(Written::AlreadyExists);
        }
        self.writes.fetch_add(1, Ordering::SeqCst);
        *doc = Some(Doc {
            versions: vec![content.to_string()],
            default: 1,
            ..Doc::default()
        });
        Ok(Written::Version("1".into()))
    }
    async fn update(&self, content: &str, latest: &str) -> Result<Written, AwsError> {
        let hook = self.before_update.lock().unwrap().pop();
        let mut guard = self.doc.lock().unwrap();
        let doc = guard.as_mut().expect("update of a missing document");
        if let Some(hook) = hook {
            hook(doc);
        }
        if self.relentless_peer {
            peer_write(doc, "root");
        }
        let written = Fake::apply_update(doc, content, latest);
        if matches!(written, Written::Version(_)) {
            self.writes.fetch_add(1, Ordering::SeqCst);
            if std::mem::take(&mut *self.lose_update_answer.lock().unwrap()) {
                // The SDK sends the same request again.
                return Ok(Fake::apply_update(doc, content, latest));
            }
        }
        Ok(written)
    }
    async fn set_default(&self, version: &str) -> Result<(), AwsError> {
        let mut guard = self.doc.lock().unwrap();
        let doc = guard.as_mut().expect("document exists");
        doc.default = version.parse().unwrap();
        Ok(())
    }
    async fn list_versions(&self) -> Result<Vec<Listed>, AwsError> {
        let doc = self.doc();
        Ok((1..=doc.latest())
            .filter(|n| !doc.deleted.contains(n))
            .map(|n| Listed {
                number: n.to_string(),
                is_default: n == doc.default,
            })
            .collect())
    }
    async fn delete_version(&self, version: &str) -> Result<bool, AwsError> {
        let mut guard = self.doc.lock().unwrap();
        let doc = guard.as_mut().expect("document exists");
        let n: usize = version.parse().unwrap();
        assert!(n != doc.default && n != doc.latest(), "deleted version {n}");
        if doc.deleted.contains(&n) {
            return Ok(false);
        }
        doc.deleted.push(n);
        // SSM forgets the content: it no longer counts as a duplicate.
        doc.versions[n - 1] = format!("<deleted {n}>");
        Ok(true)
    }
}

/// A lease that is always free; `stale_after` plays the other run that fixed
/// the document and released the lease while we were observing.
#[derive(Default)]
struct FakeLease {
    taken: AtomicUsize,
    other_run_fixed: Option<&'static Fake>,
    /// A renewal found the lease in another run's hands.
    lost: bool,
    /// Another run holds it while this run holds others: acquire defers.
    deferred: bool,
}

impl Lease for FakeLease {
    type Grant = usize;
    fn still_held(&self, _grant: &usize) -> bool {
        !self.lost
    }
    async fn acquire(
        &self,
        _since: SystemTime,
        _seen: &Observed,
    ) -> Result<(usize, bool), AwsError> {
        if self.deferred {
            return Err(AwsError {
                operation: "UpdateItem",
                account: "111122223333".into(),
                region: "eu-west-1".into(),
                code: crate::domain::ports::DEFERRED.into(),
                message: "held by another run".into(),
            });
        }
        let n = self.taken.fetch_add(1, Ordering::SeqCst);
        if let Some(fake) = self.other_run_fixed {
            let mut guard = fake.doc.lock().unwrap();
            let doc = guard.as_mut().unwrap();
            let mut good = doc.json(doc.latest());
            good["inputs"]["runAsEnabled"] = json!(true);
            good["inputs"]["runAsDefaultUser"] = json!("ops");
            doc.versions.push(good.to_string());
            doc.default = doc.latest();
            return Ok((n, false));
        }
        Ok((n, true))
    }
}

fn content(prefix: &str, enabled: Value, user: &str) -> Value {
    json!({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {
        "s3KeyPrefix": prefix, "runAsEnabled": enabled, "runAsDefaultUser": user}})
}

/// LZA's way: rewrite the logging inputs, copy RunAs from the default version.
fn peer_write(doc: &mut Doc, user: &str) {
    let mut next = doc.json(doc.default);
    next["inputs"]["s3KeyPrefix"] = json!(format!("peer-{}", doc.latest() + 1));
    next["inputs"]["runAsDefaultUser"] = json!(user);
    doc.versions.push(next.to_string());
}

async fn run(fake: &Fake, lease: &FakeLease, mode: Mode) -> Reconciled<usize> {
    reconcile(fake, lease, &Want::user("ops"), mode, None).await
}

fn assert_converged(doc: &Doc) {
    assert_eq!(doc.default, doc.latest(), "default is the latest");
    let v = doc.json(doc.default);
    assert_eq!(v["inputs"]["runAsEnabled"], json!(true));
    assert_eq!(v["inputs"]["runAsDefaultUser"], json!("ops"));
}

#[tokio::test]
async fn compliant_document_needs_no_lease_and_no_write() {
    let fake = Fake::new(Some(Doc::with(&[&content("a", json!(true), "ops")], 1)));
    let lease = FakeLease::default();
    let r = run(&fake, &lease, Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::None);
    assert!(r.grant.is_none());
    assert_eq!(lease.taken.load(Ordering::SeqCst), 0);
}

/// Left to the run holding the lease (which writes and records it): this
/// run neither writes nor fails, and holds no grant to record.
#[tokio::test]
async fn a_deferred_lease_leaves_the_region_to_its_holder_without_failing() {
    let wrong = content("a", json!(true), "root");
    let fake = Fake::new(Some(Doc::with(&[&wrong], 1)));
    let lease = FakeLease {
        deferred: true,
        ..FakeLease::default()
    };
    let r = run(&fake, &lease, Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Deferred);
    assert!(r.outcome.error_code.is_none(), "{:?}", r.outcome);
    assert!(r.grant.is_none());
    assert_eq!(fake.doc().latest(), 1, "nothing written");
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_over_never_writes() {
    let wrong = content("a", json!(true), "root");
    let fake = Fake::new(Some(Doc::with(&[&wrong], 1)));
    let lease = FakeLease {
        lost: true,
        ..FakeLease::default()
    };
    let r = run(&fake, &lease, Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Failed);
    assert_eq!(r.outcome.error_code.as_deref(), Some("LeaseLost"));
    assert_eq!(fake.doc().latest(), 1, "nothing written");
}

#[tokio::test]
async fn missing_document_is_created_under_the_lease() {
    let fake = Fake::new(None);
    let lease = FakeLease::default();
    let r = run(&fake, &lease, Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Created);
    assert_eq!(r.grant, Some(0));
    assert_eq!(r.outcome.version_after.as_deref(), Some("1"));
    assert!(r.outcome.before.is_none());
    assert_converged(&fake.doc());
}

/// Another writer puts the document right between our read and our
/// update (ours is refused as stale): the run did nothing, and says what it
/// found last. The out-of-policy default it first read is no longer its
/// own finding ("before" would tell nothing of it, its action none): the
/// history from the record reads it as a past version (simulation seed
/// 610025, where keeping the first read lost its window).
#[tokio::test]
async fn a_default_put_right_by_another_writer_meanwhile_is_history_not_the_runs_finding() {
    let fake = Fake::new(Some(Doc::with(&[&content("a", json!(true), "root")], 1)));
    fake.before_update
        .lock()
        .unwrap()
        .push(Box::new(|d: &mut Doc| {
            peer_write(d, "ops");
            d.default = 2;
        }));
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::None);
    assert_eq!(fake.writes.load(Ordering::SeqCst), 0, "ours was refused");
    assert_eq!(
        r.outcome.versions_before,
        Some(Versions {
            default: "2".into(),
            latest: "2".into()
        }),
        "the run's story starts from its last read"
    );
    assert!(
        r.outcome
            .before
            .as_ref()
            .is_some_and(|b| b.is_compliant("ops")),
        "{:?}",
        r.outcome.before
    );
    assert_eq!(r.outcome.version_after.as_deref(), Some("2"));
}

#[tokio::test]
async fn a_peer_write_between_read_and_update_is_kept() {
    let fake = Fake::new(Some(Doc::with(&[&content("a", json!(true), "root")], 1)));
    fake.before_update
        .lock()
        .unwrap()
        .push(Box::new(|d: &mut Doc| peer_write(d, "root")));
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Updated);
    let doc = fake.doc();
    assert_eq!(doc.latest(), 3, "original, the peer's, ours");
    assert_converged(&doc);
    assert_eq!(
        doc.json(3)["inputs"]["s3KeyPrefix"],
        "peer-2",
        "merged on top of the peer's version, not our stale read"
    );
    assert_eq!(fake.writes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_document_that_vanishes_mid_read_is_created() {
    let fake = Fake::new(Some(Doc::with(&[&content("a", json!(true), "root")], 1)));
    *fake.vanish_after_describe.lock().unwrap() = true;
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Created);
    assert_converged(&fake.doc());
}

#[tokio::test]
async fn a_genuine_duplicate_moves_to_an_unpredictable_layout() {
    let good = content("a", json!(true), "ops");
    let bad = content("a", json!(true), "root");
    // Version 1 holds exactly what the merge renders in the layout keyed on
    // version 3, the one this write creates.
    let mut doc = Doc::with(&[&good, &bad], 2);
    doc.versions[0] = Preferences::parse(&bad.to_string())
        .unwrap()
        .merged("ops")
        .render(3);
    let fake = Fake::new(Some(doc));
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Updated);
    let doc = fake.doc();
    assert_eq!(doc.latest(), 3);
    assert_ne!(doc.versions[2], doc.versions[0], "another layout");
    assert_eq!(doc.json(3), doc.json(1), "same meaning");
    assert_converged(&doc);
}

/// An administrator's edit (a new default with another user), then our run.
async fn edit_and_revert(fake: &Fake, n: usize) -> Reconciled<usize> {
    {
        let mut guard = fake.doc.lock().unwrap();
        let doc = guard.as_mut().unwrap();
        let mut next = doc.json(doc.latest());
        next["inputs"]["runAsDefaultUser"] = json!(format!("intruder{n}"));
        doc.versions.push(next.to_string());
        doc.default = doc.latest();
    }
    run(fake, &FakeLease::default(), Mode::Enforce).await
}

#[tokio::test]
async fn a_hundred_edits_in_a_row_are_each_reverted_at_the_first_try() {
    let fake = Fake::new(Some(Doc::with(&[&content("a", json!(true), "ops")], 1)));
    for n in 0..100 {
        let before = fake.writes.load(Ordering::SeqCst);
        let r = edit_and_revert(&fake, n).await;
        assert_eq!(
            r.outcome.action,
            Action::Updated,
            "edit {n}: {:?}",
            r.outcome
        );
        assert_eq!(fake.writes.load(Ordering::SeqCst), before + 1);
        assert_converged(&fake.doc());
    }
    // Every revert holds the same meaning in its own bytes.
    let doc = fake.doc();
    let reverts: Vec<&String> = doc.versions.iter().skip(2).step_by(2).collect();
    assert_eq!(reverts.len(), 100);
    let distinct: std::collections::HashSet<_> = reverts.iter().collect();
    assert_eq!(distinct.len(), 100);
}

#[tokio::test]
async fn an_editor_who_pre_wrote_the_future_layouts_cannot_block_a_revert() {
    let bad = content("a", json!(true), "root");
    let merged = Preferences::parse(&bad.to_string()).unwrap().merged("ops");
    // The editor writes the compliant content in the layout keyed on every
    // version number up to 200, each buried under a wrong version.
    let mut doc = Doc::with(&[&bad], 1);
    for n in 2..=200u64 {
        if doc.latest() % 2 == 1 {
            doc.versions.push(merged.render(n));
        } else {
            doc.versions
                .push(content(&format!("x{n}"), json!(true), "root").to_string());
        }
    }
    // Make sure every keyed layout from here on is taken as well.
    for n in 200..=260u64 {
        doc.versions.push(merged.render(n));
        doc.versions
            .push(content(&format!("y{n}"), json!(true), "root").to_string());
    }
    let latest = doc.latest();
    doc.default = latest;
    let fake = Fake::new(Some(doc));
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Updated, "{:?}", r.outcome);
    let doc = fake.doc();
    assert_eq!(doc.latest(), latest + 1);
    assert_converged(&doc);
}

#[tokio::test]
async fn at_the_version_limit_the_oldest_deletable_version_goes() {
    let mut doc = Doc::with(&[&content("a", json!(true), "ops")], 1);
    doc.limit = Some(5);
    let fake = Fake::new(Some(doc));
    for n in 0..12 {
        let r = edit_and_revert(&fake, n).await;
        assert_eq!(
            r.outcome.action,
            Action::Updated,
            "edit {n}: {:?}",
            r.outcome
        );
        let doc = fake.doc();
        assert_converged(&doc);
        assert!(doc.latest() - doc.deleted.len() <= 5);
        // An edit past the limit is refused to the editor too: it deletes
        // its own oldest version first, as SSM's message says to.
        if doc.latest() - doc.deleted.len() == 5 {
            let oldest = (1..doc.latest())
                .find(|v| !doc.deleted.contains(v) && *v != doc.default)
                .unwrap();
            fake.doc
                .lock()
                .unwrap()
                .as_mut()
                .unwrap()
                .deleted
                .push(oldest);
        }
    }
    let doc = fake.doc();
    // The oldest went first; the newest history stays.
    let mut deleted = doc.deleted.clone();
    deleted.sort_unstable();
    assert_eq!(deleted, (1..=deleted.len()).collect::<Vec<_>>());
}

#[tokio::test]
async fn at_the_limit_with_nothing_deletable_the_run_fails_by_name() {
    let mut doc = Doc::with(
        &[
            &content("a", json!(true), "ops"),
            &content("b", json!(true), "root"),
        ],
        1,
    );
    // Version 1 is the default, version 2 the latest: neither may go.
    doc.limit = Some(2);
    let fake = Fake::new(Some(doc));
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Failed);
    assert_eq!(
        r.outcome.error_code.as_deref(),
        Some("DocumentVersionLimitExceeded")
    );
    assert!(fake.doc().deleted.is_empty());
}

#[test]
fn layouts_are_keyed_then_unpredictable() {
    let mut draws = [7u64, u64::MAX, 0].into_iter();
    let all: Vec<Layout> = layouts("41", || draws.next().unwrap()).collect();
    assert_eq!(all[0], 42, "keyed on the version the write creates");
    assert_eq!(all.len(), 1 + UNPREDICTABLE_LAYOUTS);
    for l in &all[1..] {
        assert!((1u64 << 62..1u64 << 63).contains(l), "{l}");
    }
    // A version number that is not one: unpredictable layouts only.
    let mut n = 0;
    let odd: Vec<Layout> = layouts("$LATEST", || {
        n += 1;
        n
    })
    .collect();
    assert_eq!(odd.len(), UNPREDICTABLE_LAYOUTS);
    assert_eq!(
        layouts(&u64::MAX.to_string(), || 1).count(),
        UNPREDICTABLE_LAYOUTS
    );
}

#[test]
fn the_oldest_deletable_version_is_never_default_nor_latest() {
    let listed = |v: &[(&str, bool)]| -> Vec<Listed> {
        v.iter()
            .map(|(n, d)| Listed {
                number: n.to_string(),
                is_default: *d,
            })
            .collect()
    };
    type Case<'a> = (&'a [(&'a str, bool)], &'a str, &'a str, Option<&'a str>);
    let cases: [Case; 7] = [
        (
            &[("1", false), ("2", true), ("3", false)],
            "2",
            "3",
            Some("1"),
        ),
        (
            &[("1", true), ("2", false), ("3", false)],
            "1",
            "3",
            Some("2"),
        ),
        // Numbers compare as numbers, not text.
        (
            &[("10", false), ("9", false), ("11", true), ("12", false)],
            "11",
            "12",
            Some("9"),
        ),
        // Only default and latest: nothing to delete.
        (&[("4", true), ("5", false)], "4", "5", None),
        (&[("5", true)], "5", "5", None),
        // The listing says another default than we saw: keep both.
        (&[("1", true), ("2", false), ("3", false)], "2", "3", None),
        // A newer version than we saw (someone wrote): it is kept too.
        (
            &[("1", false), ("2", true), ("3", false), ("4", false)],
            "2",
            "3",
            Some("1"),
        ),
    ];
    for (versions, default, latest, expected) in cases {
        assert_eq!(
            oldest_deletable(&listed(versions), default, latest).as_deref(),
            expected,
            "{versions:?} default {default} latest {latest}"
        );
    }
    assert_eq!(
        oldest_deletable(
            &listed(&[("x", false), ("2", true), ("3", false)]),
            "2",
            "3"
        ),
        None
    );
}

#[tokio::test]
async fn a_lost_update_answer_makes_one_version_not_two() {
    let fake = Fake::new(Some(Doc::with(&[&content("a", json!(false), "")], 1)));
    *fake.lose_update_answer.lock().unwrap() = true;
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    let doc = fake.doc();
    assert_eq!(doc.latest(), 2, "our landed write is adopted, not repeated");
    assert_eq!(fake.writes.load(Ordering::SeqCst), 1);
    assert_converged(&doc);
    assert!(r.outcome.action.wrote());
    assert!(r.outcome.was_noncompliant("ops"));
}

#[tokio::test]
async fn another_run_that_fixed_it_first_leaves_us_silent() {
    let fake: &'static Fake = Box::leak(Box::new(Fake::new(Some(Doc::with(
        &[&content("a", json!(true), "root")],
        1,
    )))));
    let lease = FakeLease {
        other_run_fixed: Some(fake),
        ..FakeLease::default()
    };
    let r = run(fake, &lease, Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::None, "{:?}", r.outcome);
    assert_eq!(fake.writes.load(Ordering::SeqCst), 0);
    assert_eq!(fake.doc().latest(), 2, "only the other run's version");
    assert!(
        r.grant.is_some(),
        "the lease is still released by recording"
    );
}

#[tokio::test]
async fn audit_mode_takes_no_lease_and_writes_nothing() {
    let fake = Fake::new(None);
    let lease = FakeLease::default();
    let r = run(&fake, &lease, Mode::Audit).await;
    assert_eq!(r.outcome.action, Action::WouldChange);
    assert_eq!(
        r.outcome.after.as_ref().map(RunAs::short).as_deref(),
        Some("on/ops")
    );
    assert!(fake.doc.lock().unwrap().is_none());
    assert_eq!(lease.taken.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_writer_that_never_stops_ends_in_not_converged() {
    let mut fake = Fake::new(Some(Doc::with(&[&content("a", json!(true), "root")], 1)));
    fake.relentless_peer = true;
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Failed);
    assert_eq!(r.outcome.error_code.as_deref(), Some("NotConverged"));
    assert!(
        r.grant.is_some(),
        "the lease taken is handed back for release"
    );
}

#[tokio::test]
async fn a_region_not_enabled_is_not_a_failure() {
    let mut fake = Fake::new(None);
    fake.fail_describe = Some("UnrecognizedClientException");
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::RegionDisabled);
    fake.fail_describe = Some("AccessDeniedException");
    let r = run(&fake, &FakeLease::default(), Mode::Enforce).await;
    assert_eq!(r.outcome.action, Action::Failed);
    assert_eq!(
        r.outcome.error_code.as_deref(),
        Some("AccessDeniedException")
    );
}

#[test]
fn plans() {
    let v = |n: &str, c: Value| Version {
        number: n.into(),
        prefs: Preferences::parse(&c.to_string()).unwrap(),
        made: None,
    };
    let present = |d, l| Observed::Present {
        default: d,
        latest: l,
    };
    let good = content("a", json!(true), "ops");
    let bad = content("b", json!(true), "root");
    let string_false = content("c", json!("false"), "ops");
    assert!(
        matches!(plan(&Observed::Missing, &Want::user("ops")), Plan::Create(p) if p.run_as().is_compliant("ops"))
    );
    assert_eq!(
        plan(
            &present(v("1", good.clone()), v("1", good.clone())),
            &Want::user("ops")
        ),
        Plan::Nothing
    );
    // LZA wrote a compliant latest without switching the default
    assert_eq!(
        plan(
            &present(v("1", bad.clone()), v("2", good.clone())),
            &Want::user("ops")
        ),
        Plan::Promote("2".into())
    );
    assert_eq!(
        plan(
            &present(v("1", string_false.clone()), v("2", good.clone())),
            &Want::user("ops")
        ),
        Plan::Promote("2".into())
    );
    // a bad latest that is not the default: write on top of it, naming it
    match plan(
        &present(v("1", good.clone()), v("2", bad.clone())),
        &Want::user("ops"),
    ) {
        Plan::Write { prefs, on_top_of } => {
            assert!(prefs.run_as().is_compliant("ops"));
            assert_eq!(prefs.as_value()["inputs"]["s3KeyPrefix"], "b");
            assert_eq!(on_top_of, "2");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        plan(
            &present(v("3", string_false.clone()), v("3", string_false)),
            &Want::user("ops")
        ),
        Plan::Write { .. }
    ));
    // a different desired user makes a compliant document wrong
    assert!(matches!(
        plan(
            &present(v("1", good.clone()), v("1", good)),
            &Want::user("other")
        ),
        Plan::Write { .. }
    ));
}

#[test]
fn before_shows_the_wrong_version() {
    let v = |n: &str, c: Value| Version {
        number: n.into(),
        prefs: Preferences::parse(&c.to_string()).unwrap(),
        made: None,
    };
    let obs = Observed::Present {
        default: v("1", content("a", json!(true), "ops")),
        latest: v("2", content("a", json!(true), "root")),
    };
    assert_eq!(obs.run_as("ops").unwrap().short(), "on/root");
    let obs = Observed::Present {
        default: v("1", content("a", json!("false"), "ops")),
        latest: v("2", content("a", json!(true), "ops")),
    };
    assert_eq!(obs.run_as("ops").unwrap().short(), "off(\"false\")/ops");
    assert_eq!(Observed::Missing.run_as("ops"), None);
}

#[test]
fn inheriting_plans_follow_the_parent_inputs() {
    let v = |n: &str, c: Value| Version {
        number: n.into(),
        prefs: Preferences::parse(&c.to_string()).unwrap(),
        made: None,
    };
    let present = |c: Value| Observed::Present {
        default: v("1", c.clone()),
        latest: v("1", c),
    };
    let parent =
        Preferences::parse(&content("org-logs", json!(true), "ssm-ops").to_string()).unwrap();
    let want = Want {
        user: "admin",
        parent: Some(&parent),
    };
    let cases: Vec<(&str, Observed, Option<&str>)> = vec![
        // (case, observed, the s3KeyPrefix the plan writes; None = nothing to do)
        ("missing", Observed::Missing, Some("org-logs")),
        (
            "in line",
            present(content("org-logs", json!(true), "admin")),
            None,
        ),
        (
            "logging moved",
            present(content("old", json!(true), "admin")),
            Some("org-logs"),
        ),
        (
            "RunAs wrong",
            present(content("org-logs", json!(true), "root")),
            Some("org-logs"),
        ),
        (
            "both wrong",
            present(content("x", json!(false), "root")),
            Some("org-logs"),
        ),
    ];
    for (case, observed, want_prefix) in cases {
        let plan = plan(&observed, &want);
        let written = match &plan {
            Plan::Nothing => None,
            Plan::Create(p) | Plan::Write { prefs: p, .. } => Some(p.clone()),
            Plan::Promote(_) => panic!("{case}: {plan:?}"),
        };
        assert_eq!(
            written
                .as_ref()
                .map(|p| p.as_value()["inputs"]["s3KeyPrefix"].clone()),
            want_prefix.map(|p| json!(p)),
            "{case}"
        );
        if let Some(p) = written {
            assert!(
                p.run_as().is_compliant("admin") && p.follows(&parent),
                "{case}"
            );
        }
    }
    // Without `inherit`, the logging inputs are the account's own.
    assert_eq!(
        plan(
            &present(content("old", json!(true), "admin")),
            &Want::user("admin")
        ),
        Plan::Nothing
    );
}

#[tokio::test]
async fn following_the_parent_is_said_apart_from_a_run_as_fix() {
    let parent =
        Preferences::parse(&content("org-logs", json!(true), "ssm-ops").to_string()).unwrap();
    let want = Want {
        user: "ops",
        parent: Some(&parent),
    };
    let fake = Fake::new(Some(Doc::with(&[&content("old", json!(true), "ops")], 1)));
    let r = reconcile(&fake, &FakeLease::default(), &want, Mode::Enforce, None).await;
    assert_eq!(r.outcome.action, Action::Updated);
    assert!(r.outcome.followed);
    assert!(!r.outcome.was_noncompliant("ops"));
    let doc = fake.doc();
    assert_converged(&doc);
    assert_eq!(doc.json(doc.default)["inputs"]["s3KeyPrefix"], "org-logs");
    assert!(r.content.is_some_and(|c| c.follows(&parent)));
    // In line now: nothing more to do, nothing followed.
    let again = reconcile(&fake, &FakeLease::default(), &want, Mode::Enforce, None).await;
    assert_eq!(again.outcome.action, Action::None);
    assert!(!again.outcome.followed);
}
