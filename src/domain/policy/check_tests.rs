//! `policy check` on hostile files: each finding located, one-based, with
//! the suggestion a person needs, and never a panic.

use super::*;

const BASE: &str =
    "member_role = \"R\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n";

/// (line, column, severity, code, suggestion) of every finding.
type Seen = Vec<(usize, usize, Severity, &'static str, Option<String>)>;

fn seen(bytes: &[u8]) -> Seen {
    check_bytes(bytes)
        .located("p.toml")
        .into_iter()
        .map(|l| (l.line, l.column, l.severity, l.code, l.suggestion))
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn hostile_files_are_located_findings() {
    use Severity::{Error, Warning};
    let huge = format!("member_role = \"{}\"\n", "a".repeat(100_000));
    let cases: Vec<(&str, Vec<u8>, Seen)> = vec![
        (
            "empty file",
            b"".to_vec(),
            vec![(1, 1, Error, "invalid", None)],
        ),
        (
            "only a comment",
            b"# nothing\n".to_vec(),
            vec![(1, 1, Error, "invalid", None)],
        ),
        (
            "unclosed array",
            b"member_role = \"R\"\nregions = [\"us-east-1\"\n".to_vec(),
            vec![(2, 23, Error, "syntax", None)],
        ),
        (
            "not UTF-8",
            b"member_role = \"R\xff\"\n".to_vec(),
            vec![(1, 17, Error, "not-utf8", None)],
        ),
        (
            "duplicate key",
            format!("member_role = \"S\"\n{BASE}").into_bytes(),
            vec![(2, 1, Error, "syntax", None)],
        ),
        (
            "key in another case",
            BASE.replace("member_role", "Member_Role").into_bytes(),
            vec![(1, 1, Error, "unknown-key", s("member_role"))],
        ),
        (
            "keys in the wrong table",
            format!("{BASE}mode = \"audit\"\n").into_bytes(),
            vec![(5, 1, Error, "unknown-key", None)],
        ),
        (
            "wrong type",
            BASE.replace("[\"us-east-1\"]", "\"us-east-1\"")
                .into_bytes(),
            vec![(2, 11, Error, "invalid", None)],
        ),
        (
            "mistyped mode",
            format!("mode = \"audt\"\n{BASE}").into_bytes(),
            vec![(1, 8, Error, "invalid", s("audit"))],
        ),
        (
            "malformed region",
            BASE.replace("us-east-1", "me-central1").into_bytes(),
            vec![(2, 12, Error, "invalid", s("me-central-1"))],
        ),
        (
            "mistyped region",
            BASE.replace("\"us-east-1\"", "\"us-east-1\", \"eu-wset-1\"")
                .into_bytes(),
            vec![(2, 25, Error, "region-typo", s("eu-west-1"))],
        ),
        (
            "new region",
            BASE.replace("us-east-1", "us-east-9").into_bytes(),
            vec![(2, 12, Warning, "region-unknown", None)],
        ),
        (
            "CRLF lines",
            BASE.replace('\n', "\r\n")
                .replace("ssm-ops", "Bad User")
                .into_bytes(),
            vec![(4, 15, Error, "invalid", None)],
        ),
    ];
    let wrong: Vec<String> = cases
        .into_iter()
        .filter(|(_, bytes, want)| &seen(bytes) != want)
        .map(|(what, bytes, want)| format!("{what}: got {:?}, want {want:?}", seen(&bytes)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    let wrong_table = check(&format!("{BASE}mode = \"audit\"\n"));
    assert!(
        wrong_table.diagnostics[0]
            .message
            .ends_with("; `mode` belongs at the top level, above the first [table]"),
        "{:?}",
        wrong_table.diagnostics
    );
    let checked = check_bytes(huge.as_bytes());
    let message = &checked.diagnostics[0].message;
    assert!(
        message.len() < 400,
        "a huge value is cut: {} bytes",
        message.len()
    );
}

#[test]
fn rules_are_named_by_id_or_one_based_never_zero_based() {
    let text = format!("{BASE}[[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"ops\"\n[[ou]]\nid = \"ou-ab12-{}\"\nrun_as_user = \"ops\"\n", "a".repeat(500));
    let checked = check(&text);
    let l = &checked.located("p.toml")[0];
    assert_eq!((l.line, l.column), (9, 6), "{l:?}");
    assert!(l.message.starts_with("`ou[#2].id`: "), "{}", l.message);
    let text = format!("{BASE}[[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"Ops\"\n");
    let l = &check(&text).located("p.toml")[0];
    assert!(
        l.message
            .starts_with("`ou[ou-ab12-prod0001].run_as_user`: "),
        "{}",
        l.message
    );
}

#[test]
fn users_that_look_mistyped_or_cannot_work_are_warned_where_they_are() {
    let text = format!("{BASE}[[account]]\nid = \"111122223333\"\nrun_as_user = \"ssm-opz\"\n[[document]]\nname = \"Admin-Doc\"\nrun_as_user = \"ssm-user\"\n");
    let got = seen(text.as_bytes());
    assert_eq!(
        got,
        [
            (7, 15, Severity::Warning, "user-near-default", s("ssm-ops")),
            (9, 8, Severity::Note, "document-name", None),
            (10, 15, Severity::Warning, "run-as-user", None),
        ]
    );
    assert!(check(
        text.as_bytes()
            .iter()
            .map(|b| *b as char)
            .collect::<String>()
            .as_str()
    )
    .policy
    .is_some());
}

#[test]
fn a_clean_policy_has_no_findings() {
    let checked = check(BASE);
    assert!(checked.policy.is_some());
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
}

/// (line, column, a part of the message).
type Want = (usize, usize, &'static str);

/// Every semantic error of a file in one run, each at its line and column
/// (the case: a bad user name and an 11-digit account id, found
/// together rather than one per fix).
#[test]
fn every_semantic_error_comes_in_one_run_with_its_position() {
    let cases: &[(&str, &str, &[Want])] = &[
        (
            "bad user and 11-digit account",
            "member_role = \"R\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"Ops\"\n\
             [[account]]\nid = \"11112222333\"\nrun_as_user = \"ops\"\n",
            &[
                (4, 15, "`default.run_as_user`: user name \"Ops\" is looked up as written and Linux user names are case-sensitive (did you mean `ops`?)"),
                (6, 6, "`account[11112222333].id`: \"11112222333\" is not a 12-digit account id"),
            ],
        ),
        (
            "one table's two bad rules, a bad region, a bad exemption and an ungated mode",
            "member_role = \"R\"\nregions = [\"us-east-1\", \"nowhere\"]\n[default]\nrun_as_user = \"ops\"\n\
             [[ou]]\nid = \"ou-bad\"\nmode = \"enforce-when-ready\"\n\
             [[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"Bad User\"\n\
             [exempt]\naccounts = [\"12\"]\n",
            &[
                (2, 25, "`regions`: \"nowhere\" is not a region name"),
                (6, 6, "is not an OU id"),
                (7, 8, "enforce-when-ready needs [nodes] check_user = true"),
                (10, 15, "user name \"Bad User\" must match"),
                (12, 13, "`exempt.accounts`: \"12\" is not a 12-digit account id"),
            ],
        ),
        (
            "documents: a reserved name, a bad user, a bad inherit",
            "member_role = \"R\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"ops\"\n\
             [[document]]\nname = \"AWS-Mine\"\nrun_as_user = \"-x\"\ninherit = \"Other\"\n",
            &[
                (6, 8, "starts with a prefix AWS reserves"),
                (7, 15, "user name \"-x\" must match"),
                (8, 11, "\"Other\" cannot be inherited"),
            ],
        ),
    ];
    for (what, file, wants) in cases {
        let checked = check(file);
        assert!(checked.policy.is_none(), "{what}");
        let got: Vec<(usize, usize, String)> = checked
            .located("p.toml")
            .into_iter()
            .map(|l| (l.line, l.column, l.message))
            .collect();
        assert_eq!(got.len(), wants.len(), "{what}: {got:#?}");
        for ((line, column, message), (want_line, want_column, says)) in got.iter().zip(*wants) {
            assert!(
                (line, column) == (want_line, want_column) && message.contains(says),
                "{what}: want {want_line}:{want_column} {says:?}, got {line}:{column} {message:?} in {got:#?}"
            );
        }
        assert!(
            checked
                .diagnostics
                .iter()
                .all(|d| d.severity == Severity::Error),
            "{what}"
        );
    }
    // The load names the first and says how many more there are.
    let e = crate::domain::policy::Policy::parse(cases[1].1, "p.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("regions[1]")
            && e.contains("(and 4 more: `runas-guard policy check` on the file lists every one)"),
        "{e}"
    );
}

/// `--org` answers an OU given by its name with its id, wherever an OU id
/// belongs; a name no OU has, or an account id, is left as it was.
#[test]
fn an_ou_given_by_name_is_answered_with_its_id() {
    let ous: Vec<(String, String)> = [
        ("ou-ab12-prod0001", "Prod"),
        ("ou-ab12-dev00001", "Dev"),
        ("ou-ab12-dev00002", "Dev"),
    ]
    .iter()
    .map(|(id, n)| (id.to_string(), n.to_string()))
    .collect();
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        (
            "[[ou]]\nid = \"Prod\"\nrun_as_user = \"app\"\n",
            Some("the OU named Prod is ou-ab12-prod0001"),
            Some("ou-ab12-prod0001"),
        ),
        (
            "[scope]\nous = [\"Prod\"]\n",
            Some("the OU named Prod is ou-ab12-prod0001"),
            Some("ou-ab12-prod0001"),
        ),
        (
            "[exempt]\nous = [\"Dev\"]\n",
            Some("2 OUs are named Dev: ou-ab12-dev00001, ou-ab12-dev00002"),
            None,
        ),
        ("[[ou]]\nid = \"prod\"\nrun_as_user = \"app\"\n", None, None),
        (
            "[[account]]\nid = \"Prod\"\nrun_as_user = \"app\"\n",
            None,
            None,
        ),
    ];
    for (body, says, suggestion) in cases {
        let mut checked = check(&format!("{BASE}{body}"));
        let before = checked.diagnostics.clone();
        checked.name_ous(&ous);
        assert_eq!(
            checked.diagnostics.len(),
            1,
            "{body}: {:#?}",
            checked.diagnostics
        );
        let d = &checked.diagnostics[0];
        match says {
            Some(says) => assert!(d.message.contains(says), "{body}: {}", d.message),
            None => assert_eq!(d.message, before[0].message, "{body}"),
        }
        assert_eq!(d.suggestion.as_deref(), *suggestion, "{body}");
        assert_eq!(d.span, before[0].span, "{body}: the position stays");
    }
}

/// Mistakes of different kinds (an unknown key, a value of the wrong type,
/// a value the load refuses) come in one run, each at its place: a person
/// fixes the file once, not once per kind. A field missing only because its
/// bad value was taken out is not reported twice.
#[test]
fn mistakes_of_every_kind_come_in_one_run() {
    let cases: &[(&str, &str, &[Want])] = &[
        (
            "an unknown key, a wrong type and a refused user",
            "member_role = \"R\"\nregions = [\"us-east-1\"]\nmdoe = \"audit\"\nallow_root = \"yes\"\n\
             [default]\nrun_as_user = \"Alice\"\n",
            &[
                (3, 1, "mdoe"),
                (4, 14, "invalid type"),
                (6, 15, "\"Alice\""),
            ],
        ),
        (
            "a wrong type, a refused user and an unknown key in a table",
            "member_role = \"R\"\nallow_root = \"no\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"Alice\"\n[nodes]\ncheck_usr = true\n",
            &[
                (2, 14, "invalid type"),
                (5, 15, "\"Alice\""),
                (7, 1, "check_usr"),
            ],
        ),
        (
            "two wrong types, one of them a required key",
            "member_role = 5\nregions = [\"us-east-1\"]\nmode = 7\n[default]\nrun_as_user = \"ops\"\n",
            &[(1, 15, "invalid type"), (3, 8, "")],
        ),
        (
            "unknown keys in two tables and a bad account id",
            "member_role = \"R\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_usr = \"ops\"\nrun_as_user = \"ops\"\n\
             [[account]]\nid = \"12\"\nrun_as_user = \"ops\"\nextra = 1\n",
            &[
                (4, 1, "run_as_usr"),
                (7, 6, "is not a 12-digit account id"),
                (9, 1, "extra"),
            ],
        ),
        (
            "a misspelt required key is the one finding, not also a missing key",
            "regions = [\"us-east-1\"]\nmember_rol = \"R\"\n[default]\nrun_as_user = \"ops\"\n",
            &[(2, 1, "member_rol")],
        ),
        (
            "a misspelt key in a rule is its finding, not also the rule's emptiness",
            "member_role = \"R\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"ops\"\n\
             [[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_usr = \"ops\"\n",
            &[(7, 1, "run_as_usr")],
        ),
        (
            "an unknown key and a missing required key",
            "regions = [\"us-east-1\"]\ncolour = \"R\"\n[default]\nrun_as_user = \"ops\"\n",
            &[(1, 1, "missing field `member_role`"), (2, 1, "colour")],
        ),
    ];
    for (what, file, wants) in cases {
        let checked = check(file);
        assert!(checked.policy.is_none(), "{what}");
        let got: Vec<(usize, usize, String)> = checked
            .located("p.toml")
            .into_iter()
            .map(|l| (l.line, l.column, l.message))
            .collect();
        assert_eq!(got.len(), wants.len(), "{what}: {got:#?}");
        for ((line, column, message), (want_line, want_column, says)) in got.iter().zip(*wants) {
            assert!(
                (line, column) == (want_line, want_column) && message.contains(says),
                "{what}: want {want_line}:{want_column} {says:?}, got {line}:{column} {message:?} in {got:#?}"
            );
        }
    }
}
