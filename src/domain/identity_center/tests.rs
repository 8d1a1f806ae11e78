use super::*;

pub(crate) fn m(pairs: &[(&str, &str)]) -> Mapping {
    Mapping::from_pairs(pairs.iter().copied())
}

pub(crate) fn configured(pairs: &[(&str, &str)]) -> Observed {
    Observed::Configured {
        status: "ENABLED".into(),
        mapping: m(pairs),
    }
}

pub(crate) const RUN_AS: (&str, &str) = ("SSMSessionRunAs", "${path:userName}");
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
