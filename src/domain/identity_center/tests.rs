use std::sync::Mutex;

use super::*;
use crate::domain::aws_error::AwsError;

fn m(pairs: &[(&str, &str)]) -> Mapping {
    Mapping::from_pairs(pairs.iter().copied())
}

fn configured(pairs: &[(&str, &str)]) -> Observed {
    Observed::Configured {
        status: "ENABLED".into(),
        mapping: m(pairs),
    }
}

const RUN_AS: (&str, &str) = ("SSMSessionRunAs", "${path:userName}");
const COST: (&str, &str) = ("CostCenter", "${path:enterprise.costCenter}");

#[test]
fn the_plan_compares_the_mapping_as_a_set_and_writes_only_in_enforce() {
    use KeepMode::{Alert, Enforce};
    let declared = m(&[RUN_AS, COST]);
    let cases: &[(&str, Observed, KeepMode, Plan)] = &[
        (
            "same, other order",
            configured(&[COST, RUN_AS]),
            Enforce,
            Plan::Keep,
        ),
        (
            "source changed",
            configured(&[("SSMSessionRunAs", "${path:groups}"), COST]),
            Enforce,
            Plan::Drift(Some(Restore::Update)),
        ),
        (
            "source changed, alert",
            configured(&[("SSMSessionRunAs", "ec2-user"), COST]),
            Alert,
            Plan::Drift(None),
        ),
        (
            "key removed",
            configured(&[COST]),
            Enforce,
            Plan::Drift(Some(Restore::Update)),
        ),
        (
            "key added",
            configured(&[RUN_AS, COST, ("Team", "${path:title}")]),
            Enforce,
            Plan::Drift(Some(Restore::Update)),
        ),
        (
            "key case changed",
            configured(&[("ssmsessionrunas", RUN_AS.1), COST]),
            Enforce,
            Plan::Drift(Some(Restore::Update)),
        ),
        (
            "emptied",
            configured(&[]),
            Enforce,
            Plan::Drift(Some(Restore::Update)),
        ),
        (
            "deleted",
            Observed::Absent,
            Enforce,
            Plan::Drift(Some(Restore::Create)),
        ),
        ("deleted, alert", Observed::Absent, Alert, Plan::Drift(None)),
    ];
    for (name, observed, mode, want) in cases {
        assert_eq!(plan(&declared, observed, *mode), *want, "{name}");
    }
    // Declaring nothing: a missing configuration and an empty one both hold it.
    assert_eq!(plan(&m(&[]), &Observed::Absent, Enforce), Plan::Keep);
    assert_eq!(plan(&m(&[]), &configured(&[]), Enforce), Plan::Keep);
    assert_eq!(
        plan(&m(&[]), &configured(&[COST]), Enforce),
        Plan::Drift(Some(Restore::Update))
    );
}

#[test]
fn changes_name_each_key_with_what_is_declared_and_what_was_found() {
    let declared = m(&[RUN_AS, COST]);
    let found = configured(&[("SSMSessionRunAs", "${path:groups}"), ("Team", "x")]);
    let got = changes(&declared, &found);
    let keys: Vec<(&str, Option<&str>, Option<&str>)> = got
        .iter()
        .map(|c| (c.key.as_str(), c.declared.as_deref(), c.found.as_deref()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("CostCenter", Some(COST.1), None),
            ("SSMSessionRunAs", Some(RUN_AS.1), Some("${path:groups}")),
            ("Team", None, Some("x")),
        ]
    );
    assert!(changes(&declared, &configured(&[COST, RUN_AS])).is_empty());
    assert_eq!(changes(&declared, &Observed::Absent).len(), 2);
}

#[test]
fn canonical_form_round_trips_and_ignores_order_even_for_hostile_text() {
    let hostile = m(&[("a\"b", "${path:x}\n\u{0}"), ("\u{202e}", ""), ("z", "\\")]);
    let again = Mapping::from_canonical(&hostile.canonical()).unwrap();
    assert_eq!(again, hostile);
    let reversed = Mapping::from_pairs(hostile.0.iter().rev().map(|(k, v)| (k.clone(), v.clone())));
    assert_eq!(reversed.canonical(), hostile.canonical());
    assert_eq!(Observed::Absent.canonical(), ABSENT);
    assert_eq!(Mapping::from_canonical(ABSENT), None);
    assert_eq!(Mapping::from_canonical("{\"k\": 1}"), None);
}

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
