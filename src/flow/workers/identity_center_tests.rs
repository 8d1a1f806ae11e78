use std::sync::Mutex;

use super::*;
use crate::domain::identity_center::tests::{configured, m, RUN_AS};
use crate::domain::identity_center::{Observed, Restore};

/// Identity Center, in memory: what a read answers, and every write.
struct Store {
    now: Mutex<Observed>,
    writes: Mutex<Vec<(Restore, Mapping)>>,
}

impl MappingStore for Store {
    async fn read(&self) -> Result<Observed, AwsError> {
        Ok(self.now.lock().unwrap().clone())
    }
    async fn restore(&self, how: Restore, mapping: &Mapping) -> Result<(), AwsError> {
        self.writes.lock().unwrap().push((how, mapping.clone()));
        *self.now.lock().unwrap() = Observed::Configured {
            status: "ENABLED".into(),
            mapping: mapping.clone(),
        };
        Ok(())
    }
}

/// The table's answer, scripted, and what was asked of it.
struct Told {
    turn: Turn,
    calls: Mutex<Vec<String>>,
}

impl News for Told {
    async fn swap(&self, found: &str, restoring: bool, _read_ms: i64) -> Result<Turn, AwsError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("swap {found} {restoring}"));
        Ok(self.turn.clone())
    }
    async fn settle(&self) -> Result<(), AwsError> {
        self.calls.lock().unwrap().push("settle".into());
        Ok(())
    }
    async fn restored(&self, found: &str) -> Result<(), AwsError> {
        self.calls.lock().unwrap().push(format!("restored {found}"));
        Ok(())
    }
}

fn world(now: Observed, turn: Turn) -> (Store, Told) {
    (
        Store {
            now: Mutex::new(now),
            writes: Mutex::default(),
        },
        Told {
            turn,
            calls: Mutex::default(),
        },
    )
}

async fn run(store: &Store, news: &Told, mode: KeepMode, dry_run: bool) -> Kept {
    let declared = m(&[RUN_AS]);
    let kept = look(store, news, &declared, mode, dry_run).await.unwrap();
    put_back(store, news, &declared, kept).await.unwrap()
}

#[tokio::test]
async fn only_the_run_whose_turn_it_is_writes_and_each_writes_once() {
    let edited = configured(&[("SSMSessionRunAs", "root")]);
    let tell = Turn::Tell { before: None };
    type Case = (
        &'static str,
        Observed,
        Turn,
        KeepMode,
        Option<Restore>,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            "tells and puts back",
            edited.clone(),
            tell.clone(),
            KeepMode::Enforce,
            Some(Restore::Update),
            "restored",
        ),
        (
            "finishes another run's put-back",
            edited.clone(),
            Turn::Finish,
            KeepMode::Enforce,
            Some(Restore::Update),
            "restored",
        ),
        (
            "another run has it",
            edited.clone(),
            Turn::Quiet,
            KeepMode::Enforce,
            None,
            "drifted",
        ),
        (
            "alert mode never writes",
            edited.clone(),
            tell.clone(),
            KeepMode::Alert,
            None,
            "drifted",
        ),
        (
            "deleted: created again",
            Observed::Absent,
            tell.clone(),
            KeepMode::Enforce,
            Some(Restore::Create),
            "restored",
        ),
    ];
    for (name, now, turn, mode, wrote, status) in cases {
        let (store, news) = world(now.clone(), turn.clone());
        let kept = run(&store, &news, *mode, false).await;
        assert_eq!(kept.restored, *wrote, "{name}");
        assert_eq!(kept.status(), *status, "{name}");
        let writes = store.writes.lock().unwrap().clone();
        assert_eq!(writes.len(), usize::from(wrote.is_some()), "{name}");
        let calls = news.calls.lock().unwrap().clone();
        assert_eq!(
            calls[0],
            format!("swap {} {}", now.canonical(), *mode == KeepMode::Enforce),
            "{name}"
        );
        assert_eq!(
            calls.len(),
            1 + usize::from(wrote.is_some()),
            "{name}: {calls:?}"
        );
    }
}

#[tokio::test]
async fn a_kept_mapping_settles_the_record_and_a_dry_run_asks_the_table_nothing() {
    let (store, news) = world(configured(&[RUN_AS]), Turn::Quiet);
    let kept = run(&store, &news, KeepMode::Enforce, false).await;
    assert_eq!(kept.status(), "compliant");
    assert_eq!(*news.calls.lock().unwrap(), vec!["settle".to_string()]);

    let (store, news) = world(
        configured(&[("SSMSessionRunAs", "root")]),
        Turn::Tell { before: None },
    );
    let kept = run(&store, &news, KeepMode::Enforce, true).await;
    assert_eq!(kept.status(), "drifted");
    assert_eq!(kept.turn, None);
    assert!(news.calls.lock().unwrap().is_empty());
    assert!(store.writes.lock().unwrap().is_empty());
}
