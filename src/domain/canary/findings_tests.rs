use super::*;

fn missing(region: &str) -> Finding {
    Finding {
        region: region.into(),
        cause: Cause::Missing,
        detail: "2026-11-23T06:00:00.000Z".into(),
        mark: Mark::Missing {
            token: "t".into(),
            since_ms: 1,
        },
    }
}

fn refused(region: &str, code: &str) -> Finding {
    Finding {
        region: region.into(),
        cause: Cause::Unwritable(code.into()),
        detail: "denied".into(),
        mark: Mark::Unwritable {
            told: None,
            code: code.into(),
        },
    }
}

fn account(i: usize) -> String {
    format!("{i:012}")
}

/// `accounts` accounts, each with `found(account index)`, in `ou(i)`.
fn swept(
    accounts: usize,
    ou: impl Fn(usize) -> &'static str,
    found: impl Fn(usize) -> Vec<Finding>,
) -> Findings {
    let mut f = Findings::default();
    for i in 0..accounts {
        let id = account(i);
        let a = Account {
            id: &id,
            name: Some("n"),
            ou_path: Some(ou(i)),
        };
        f.add(&a, &found(i));
    }
    f
}

const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "sa-east-1",
];

/// (what happened, the findings' causes as told: codes and account-regions)
#[test]
fn one_alert_per_cause_whatever_the_count() {
    let every = |code: Option<&'static str>| {
        move |_: usize| -> Vec<Finding> {
            REGIONS
                .iter()
                .map(|r| match code {
                    None => missing(r),
                    Some(c) => refused(r, c),
                })
                .collect()
        }
    };
    type Case = (&'static str, Findings, Vec<(Vec<&'static str>, usize)>);
    let cases: Vec<Case> = vec![
        ("nothing new", swept(500, |_| "Root", |_| vec![]), vec![]),
        (
            "the hub's rule deleted: 8,500 missing, one alert",
            swept(500, |_| "Root/Prod", every(None)),
            vec![(vec![], 8_500)],
        ),
        (
            "a tag refused org-wide: 8,500 refused, one alert",
            swept(500, |_| "Root", every(Some("AccessDenied"))),
            vec![(vec!["AccessDenied"], 8_500)],
        ),
        (
            "one account-region newly missing while the rest are fine",
            swept(
                500,
                |_| "Root",
                |i| match i {
                    7 => vec![missing("eu-west-1")],
                    _ => vec![],
                },
            ),
            vec![(vec![], 1)],
        ),
        (
            "a storm and a genuinely new code beside it",
            swept(
                500,
                |_| "Root",
                |i| match i {
                    3 => vec![refused("eu-west-1", "TooManyTagsError")],
                    _ => every(Some("AccessDenied"))(i),
                },
            ),
            vec![(vec!["AccessDenied"], 8_483), (vec!["TooManyTagsError"], 1)],
        ),
        (
            "missing and refused: two causes",
            swept(
                2,
                |_| "Root",
                |i| match i {
                    0 => vec![missing("us-east-1")],
                    _ => vec![refused("us-east-1", "InvalidResourceId")],
                },
            ),
            vec![(vec![], 1), (vec!["InvalidResourceId"], 1)],
        ),
        (
            "no code and blank codes are one: Unknown",
            swept(
                1,
                |_| "Root",
                |_| vec![refused("a", ""), refused("b", "  ")],
            ),
            vec![(vec!["Unknown"], 2)],
        ),
    ];
    for (why, f, want) in cases {
        let got: Vec<(Vec<String>, usize)> = f
            .told()
            .into_iter()
            .map(|t| (t.codes.into_keys().collect(), t.group.account_regions))
            .collect();
        let want: Vec<(Vec<String>, usize)> = want
            .into_iter()
            .map(|(c, n)| (c.into_iter().map(str::to_string).collect(), n))
            .collect();
        assert_eq!(got, want, "{why}");
    }
}

#[test]
fn counts_per_ou_and_region_and_the_first_fifty_by_account_and_region() {
    let ous = ["Root/Prod", "Root/Dev"];
    let f = swept(
        500,
        |i| ous[i % 2],
        |_| REGIONS.iter().map(|r| missing(r)).collect(),
    );
    let [told] = f.told().try_into().unwrap();
    let g = &told.group;
    assert_eq!((g.account_regions, g.accounts), (8_500, 500));
    assert_eq!(g.by_ou["Root/Prod"], 4_250);
    assert_eq!(g.by_ou["Root/Dev"], 4_250);
    assert_eq!(g.by_region.len(), 17);
    assert!(g.by_region.values().all(|n| *n == 500));
    assert_eq!(g.entries.len(), MAX_ENTRIES);
    assert_eq!(g.entries[0].account, account(0));
    assert_eq!(g.entries[0].region, "ap-northeast-1", "sorted by region");
    assert_eq!(g.entries[49].account, account(2));
    assert!(g.one_account().is_none() && g.one_slot().is_none());
    // An account whose OU path is unknown is counted under its id.
    let mut lone = Findings::default();
    lone.add(
        &Account {
            id: "111122223333",
            name: None,
            ou_path: None,
        },
        &[missing("eu-west-1")],
    );
    let g = &lone.told()[0].group;
    assert_eq!(g.by_ou["111122223333"], 1);
    assert_eq!(g.one_slot().map(|e| e.region.as_str()), Some("eu-west-1"));
    assert_eq!(
        g.one_account().map(|e| e.account.as_str()),
        Some("111122223333")
    );
}

#[test]
fn merging_parts_in_any_order_equals_one_tally() {
    let found = |i: usize| match i % 3 {
        0 => vec![missing("us-east-1"), missing("eu-west-1")],
        1 => vec![refused("us-east-1", "AccessDenied")],
        _ => vec![],
    };
    let whole = swept(90, |_| "Root", found);
    for order in [false, true] {
        let mut parts = Findings::default();
        let mut ids: Vec<usize> = (0..90).collect();
        if order {
            ids.reverse();
        }
        for i in ids {
            let id = account(i);
            let mut part = Findings::default();
            part.add(
                &Account {
                    id: &id,
                    name: Some("n"),
                    ou_path: Some("Root"),
                },
                &found(i),
            );
            // As a fanned-out sweep stores and reads its parts.
            let json = serde_json::to_string(&part).unwrap();
            parts.merge(serde_json::from_str(&json).unwrap());
        }
        assert_eq!(parts, whole, "reversed: {order}");
    }
    // A part from before canary findings were kept reads as none.
    assert_eq!(
        serde_json::from_str::<Findings>("{}").unwrap(),
        Findings::default()
    );
}

/// Hostile codes: many of them (an endpoint that answers nonsense), long
/// ones, ones with line breaks. At most [`MAX_CAUSES`] alerts, every
/// finding counted in one of them, every code bounded.
/// The alert names the first fifty; the marks cover every finding (a
/// storm's 8,500 are all marked once it is kept), whatever order the parts
/// came in, and a part's stored JSON carries them (none: no key at all).
#[test]
fn every_finding_keeps_its_mark_for_after_the_alert_is_kept() {
    let storm = swept(
        500,
        |_| "Root/Prod",
        |_| REGIONS.iter().map(|r| missing(r)).collect(),
    );
    assert_eq!(storm.missing.entries.len(), MAX_ENTRIES);
    assert_eq!(storm.marks.len(), 500 * REGIONS.len());
    let mut parts: Vec<Findings> = (0..500)
        .rev()
        .map(|i| {
            let json = serde_json::to_string(&swept_one(i)).unwrap();
            serde_json::from_str(&json).unwrap()
        })
        .collect();
    let mut merged = Findings::default();
    for p in parts.drain(..) {
        merged.merge(p);
    }
    assert_eq!(merged.marks, storm.marks);
    assert_eq!(
        storm.marks[0],
        ToMark {
            account: account(0),
            region: "ap-northeast-1".into(),
            mark: Mark::Missing {
                token: "t".into(),
                since_ms: 1
            }
        }
    );
    let refusal = swept(
        1,
        |_| "Root",
        |_| vec![refused("eu-west-1", "AccessDenied")],
    );
    assert_eq!(
        refusal.marks[0].mark,
        Mark::Unwritable {
            told: None,
            code: "AccessDenied".into()
        }
    );
    let quiet = serde_json::to_string(&Findings::default()).unwrap();
    assert!(!quiet.contains("marks"), "{quiet}");
}

/// Account `i` of [`every_finding_keeps_its_mark_for_after_the_alert_is_kept`]'s storm alone.
fn swept_one(i: usize) -> Findings {
    let id = account(i);
    let mut f = Findings::default();
    let a = Account {
        id: &id,
        name: Some("n"),
        ou_path: Some("Root/Prod"),
    };
    f.add(&a, &REGIONS.iter().map(|r| missing(r)).collect::<Vec<_>>());
    f
}

#[test]
fn many_strange_codes_are_bounded() {
    let f = swept(
        30,
        |_| "Root",
        |i| {
            let code = match i {
                0 => "X".repeat(10_000),
                1 => "Bad\nSubject: fake\u{202e}".to_string(),
                _ => format!("Code{i:02}"),
            };
            vec![
                refused("us-east-1", &code),
                refused("eu-west-1", "AccessDenied"),
            ]
        },
    );
    let told = f.told();
    assert_eq!(told.len(), MAX_CAUSES);
    assert_eq!(
        told.iter().map(|t| t.group.account_regions).sum::<usize>(),
        60,
        "every finding counted once"
    );
    assert_eq!(told[0].codes.keys().collect::<Vec<_>>(), ["AccessDenied"]);
    let together = told.last().unwrap();
    assert_eq!(together.codes.len(), 30 - (MAX_CAUSES - 2));
    assert!(f.unwritable.keys().all(|c| c.chars().count() <= 64));
    let long = Finding {
        detail: "m".repeat(100_000),
        ..refused("us-east-1", "AccessDenied")
    };
    let mut one = Findings::default();
    one.add(
        &Account {
            id: "111122223333",
            name: None,
            ou_path: None,
        },
        &[long],
    );
    assert!(one.unwritable["AccessDenied"].entries[0].detail.len() <= 512);
}
