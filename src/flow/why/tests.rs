use serde_json::{json, Value};

use super::agent::{convert_to_bool, field_matches, read_as_agent};
use super::*;
use crate::domain::identity_center::{Mapping, Observed};

const ACCOUNT: &str = "111122223333";
const NODE: &str = "i-0123456789abcdef0";

fn shell(enabled: Value, user: Value) -> Value {
    json!({"schemaVersion": "1.0", "description": "prefs", "sessionType": "Standard_Stream",
           "inputs": {"s3BucketName": "", "runAsEnabled": enabled, "runAsDefaultUser": user}})
}

fn session_doc(content: &str) -> Result<Option<Document>, Unread> {
    Ok(Some(Document {
        version: "3".into(),
        doc_type: "Session".into(),
        content: content.into(),
    }))
}

/// A role, SSM-SessionManagerRunShell with Run As on for `ops`, no tag, no check.
fn facts() -> Facts {
    Facts {
        account: ACCOUNT.into(),
        region: "eu-west-1".into(),
        caller: Caller::Iam {
            arn: format!("arn:aws:iam::{ACCOUNT}:role/Ops"),
            kind: IamKind::Role,
            name: "Ops".into(),
        },
        document: DocumentFacts {
            name: "SSM-SessionManagerRunShell".into(),
            named: false,
            read: session_doc(&shell(json!(true), json!("ops")).to_string()),
        },
        tag: TagFacts::Iam(Ok(IamTag::Absent)),
        check: Ok(None),
        node: None,
        policy_documents: vec![],
        wanted: Ok(Wanted {
            user: Some("ops".into()),
            rule: "default".into(),
            mode: Some("enforce"),
            held: None,
            held_since: None,
        }),
    }
}

fn with_content(f: &mut Facts, content: &str) {
    f.document.read = session_doc(content);
}

fn tagged(f: &mut Facts, v: &str) {
    f.tag = TagFacts::Iam(Ok(IamTag::Present(v.into())));
}

fn denied() -> Unread {
    Unread::new("AccessDenied", "not allowed")
}

fn record(user: &str, missing: &[&str]) -> CheckRecord {
    CheckRecord {
        readiness: Readiness {
            association_id: "a-1".into(),
            association_version: "1".into(),
            user: user.into(),
            checked: 3,
            missing: missing.len() as u64,
            missing_nodes: missing.iter().map(|s| s.to_string()).collect(),
            linux_or_macos: None,
            ..Default::default()
        },
        last_checked: Some("2026-05-01T10:00:00Z".into()),
    }
}

fn on_node(f: &mut Facts, live: Option<Result<Option<NodeRun>, Unread>>) {
    f.node = Some(NodeFacts {
        id: NODE.into(),
        live,
    });
}

fn run(status: &str) -> Option<Result<Option<NodeRun>, Unread>> {
    report(status, None, None)
}

/// The node's own report: status, detailed status, the agent's summary.
fn report(
    status: &str,
    detailed: Option<&str>,
    summary: Option<&str>,
) -> Option<Result<Option<NodeRun>, Unread>> {
    Some(Ok(Some(NodeRun {
        status: status.into(),
        detailed: detailed.map(str::to_string),
        summary: summary.map(str::to_string),
        at: None,
    })))
}

/// The check script's line for a missing `user`, as the agent's summary
/// carries it.
fn missing_line(user: &str) -> String {
    format!("Step runas-guard failed: runas-guard: Run As user {user} does not exist on this node (id failed); Session Manager refuses Run As sessions for it here")
}

fn identity_center(
    f: &mut Facts,
    declared: Option<&[(&str, &str)]>,
    found: Result<Observed, Unread>,
) {
    f.caller = Caller::IdentityCenter {
        user: "alice".into(),
        permission_set: "Admin".into(),
    };
    f.tag = TagFacts::IdentityCenter {
        declared: declared.map(|d| Mapping::from_pairs(d.iter().copied())),
        found,
    };
}

fn configured(pairs: &[(&str, &str)]) -> Result<Observed, Unread> {
    Ok(Observed::Configured {
        status: "ENABLED".into(),
        mapping: Mapping::from_pairs(pairs.iter().copied()),
    })
}

const USER_NAME: &[(&str, &str)] = &[("SSMSessionRunAs", "${path:userName}")];

type Case = (
    &'static str,
    fn(&mut Facts),
    Option<&'static str>,
    Option<&'static str>,
    Verdict,
    &'static str,
);

/// (what, change from `facts()`, user, decided by, verdict, in the session text)
fn cases() -> Vec<Case> {
    vec![
        (
            "a tag decides before the document",
            |f| tagged(f, "alice"),
            Some("alice"),
            Some("principal_tag"),
            Verdict::Unknown,
            "name a node",
        ),
        (
            "no tag: the document's user",
            |_| {},
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "--node",
        ),
        (
            "a tag present but empty does not decide",
            |f| tagged(f, ""),
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "a blank tag does not decide",
            |f| tagged(f, "  "),
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "Run As off: ssm-user, whatever the tag",
            |f| {
                tagged(f, "alice");
                with_content(f, &shell(json!(false), json!("ops")).to_string())
            },
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "Run As is off",
        ),
        (
            "Run As off as a string",
            |f| with_content(f, &shell(json!("false"), json!("ops")).to_string()),
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "ssm-user",
        ),
        (
            "Run As absent is off",
            |f| {
                with_content(f, &json!({"sessionType": "Standard_Stream", "inputs": {"runAsDefaultUser": "ops"}}).to_string())
            },
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "",
        ),
        (
            "\"True\" is Go's true",
            |f| with_content(f, &shell(json!("True"), json!("ops")).to_string()),
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "\"yes\" fails the session",
            |f| with_content(f, &shell(json!("yes"), json!("ops")).to_string()),
            None,
            Some("run_as_enabled"),
            Verdict::WouldBeRefused,
            "cannot read runAsEnabled",
        ),
        (
            "a number fails the session",
            |f| with_content(f, &shell(json!(1), json!("ops")).to_string()),
            None,
            Some("run_as_enabled"),
            Verdict::WouldBeRefused,
            "a number",
        ),
        (
            "no preferences document: defaults",
            |f| f.document.read = Ok(None),
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "Run As is off by default",
        ),
        (
            "named document missing",
            |f| {
                f.document.named = true;
                f.document.name = "SSMRunAs-Admin".into();
                f.document.read = Ok(None)
            },
            None,
            Some("session_document"),
            Verdict::WouldBeRefused,
            "no document SSMRunAs-Admin",
        ),
        (
            "named document not a Session document",
            |f| {
                f.document.named = true;
                f.document.name = "Run".into();
                f.document.read = Ok(Some(Document {
                    version: "1".into(),
                    doc_type: "Command".into(),
                    content: "{}".into(),
                }))
            },
            None,
            Some("session_document"),
            Verdict::WouldBeRefused,
            "not a Session document",
        ),
        (
            "content not JSON",
            |f| with_content(f, "{nope"),
            None,
            Some("session_document"),
            Verdict::WouldBeRefused,
            "cannot decode",
        ),
        (
            "a number as the user fails the decode",
            |f| with_content(f, &shell(json!(true), json!(7)).to_string()),
            None,
            Some("session_document"),
            Verdict::WouldBeRefused,
            "inputs.runAsDefaultUser is a number",
        ),
        (
            "a broken logging input fails the decode too",
            |f| {
                with_content(f, &json!({"sessionType": "Standard_Stream", "inputs": {"runAsEnabled": true, "runAsDefaultUser": "ops", "s3EncryptionEnabled": "maybe"}}).to_string())
            },
            None,
            Some("session_document"),
            Verdict::WouldBeRefused,
            "s3EncryptionEnabled",
        ),
        (
            "Run As on, no user, no tag",
            |f| with_content(f, &shell(json!(true), json!("")).to_string()),
            None,
            Some("document_user"),
            Verdict::WouldBeRefused,
            "please set the RunAs default user",
        ),
        (
            "Run As on, no user, a tag",
            |f| {
                tagged(f, "alice");
                with_content(f, &shell(json!(true), json!("")).to_string())
            },
            Some("alice"),
            Some("principal_tag"),
            Verdict::Unknown,
            "",
        ),
        (
            "a later spelling wins",
            |f| {
                with_content(
                    f,
                    r#"{"sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","RUNASENABLED":false}}"#,
                )
            },
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "",
        ),
        (
            "a long s folds to s",
            |f| {
                with_content(f, "{\"sessionType\":\"Standard_Stream\",\"inputs\":{\"runAsEnabled\":true,\"runAsDefaultUser\":\"ops\",\"runA\u{17F}Enabled\":false}}")
            },
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "",
        ),
        (
            "two inputs objects merge",
            |f| {
                with_content(
                    f,
                    r#"{"sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"a"},"Inputs":{"runAsDefaultUser":"b"}}"#,
                )
            },
            Some("b"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "null leaves a string field",
            |f| {
                with_content(
                    f,
                    r#"{"sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","RunAsDefaultUser":null}}"#,
                )
            },
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "an elevated command session runs as root",
            |f| {
                with_content(f, &json!({"sessionType": "InteractiveCommands", "inputs": {"runAsEnabled": true, "runAsDefaultUser": "ops"}, "properties": {"linux": {"commands": "bash", "runAsElevated": true}}}).to_string())
            },
            Some("root"),
            Some("session_document"),
            Verdict::WouldStart,
            "runAsElevated",
        ),
        (
            "a port session opens no shell",
            |f| with_content(f, &json!({"sessionType": "Port", "inputs": {}}).to_string()),
            None,
            Some("session_document"),
            Verdict::WouldStart,
            "port session",
        ),
        (
            "no session type",
            |f| {
                with_content(
                    f,
                    &json!({"inputs": {"runAsEnabled": true, "runAsDefaultUser": "ops"}})
                        .to_string(),
                )
            },
            None,
            Some("session_document"),
            Verdict::WouldBeRefused,
            "no sessionType",
        ),
        (
            "the document cannot be read",
            |f| f.document.read = Err(denied()),
            None,
            None,
            Verdict::Unknown,
            "AccessDenied",
        ),
        (
            "the tag cannot be read",
            |f| f.tag = TagFacts::Iam(Err(denied())),
            None,
            None,
            Verdict::Unknown,
            "could not be read (AccessDenied)",
        ),
        (
            "Run As off: an unread tag does not matter",
            |f| {
                f.tag = TagFacts::Iam(Err(denied()));
                with_content(f, &shell(json!(false), json!("ops")).to_string())
            },
            Some("ssm-user"),
            Some("run_as_enabled"),
            Verdict::WouldStart,
            "",
        ),
        (
            "a role that does not exist",
            |f| f.tag = TagFacts::Iam(Ok(IamTag::PrincipalGone)),
            None,
            Some("principal_tag"),
            Verdict::WouldBeRefused,
            "does not exist",
        ),
        (
            "odd characters in the user",
            |f| {
                tagged(f, "ops;id");
                f.check = Ok(Some(record("ops", &[])));
                on_node(f, None)
            },
            Some("ops;id"),
            Some("principal_tag"),
            Verdict::Unpredictable,
            "sh -c",
        ),
        (
            "a user with a space",
            |f| {
                with_content(f, &shell(json!(true), json!("db admin")).to_string());
                on_node(f, None)
            },
            Some("db admin"),
            Some("document_user"),
            Verdict::Unpredictable,
            "no user name",
        ),
        (
            "a directory user the node has",
            |f| {
                tagged(f, "Alice.Smith@corp.example.com");
                f.check = Ok(Some(record("Alice.Smith@corp.example.com", &[])));
                on_node(f, run("Success"))
            },
            Some("Alice.Smith@corp.example.com"),
            Some("principal_tag"),
            Verdict::WouldStart,
            "would start as Alice.Smith@corp.example.com",
        ),
        (
            "DOMAIN\\user: the agent asks for the name without the backslash",
            |f| {
                with_content(f, &shell(json!(true), json!("CORP\\alice")).to_string());
                f.check = Ok(Some(record("CORP\\alice", &[])));
                on_node(
                    f,
                    report("Failed", None, Some(&missing_line("CORP\\alice"))),
                )
            },
            Some("CORP\\alice"),
            Some("document_user"),
            Verdict::WouldBeRefused,
            "asks the name service for CORPalice",
        ),
        (
            "a tag with shell text",
            |f| {
                tagged(f, "$(touch pwned)");
                on_node(f, None)
            },
            Some("$(touch pwned)"),
            Some("principal_tag"),
            Verdict::Unpredictable,
            "sh -c",
        ),
        (
            "a tag that would be an option",
            |f| {
                tagged(f, "-rf");
                on_node(f, None)
            },
            Some("-rf"),
            Some("principal_tag"),
            Verdict::Unpredictable,
            "no user name",
        ),
        (
            "a trailing backslash joins the next line",
            |f| {
                tagged(f, "CORP\\");
                on_node(f, None)
            },
            Some("CORP\\"),
            Some("principal_tag"),
            Verdict::Unpredictable,
            "no user name",
        ),
        (
            "the node lacks the user (recorded)",
            |f| {
                f.check = Ok(Some(record("ops", &[NODE])));
                on_node(f, None)
            },
            Some("ops"),
            Some("document_user"),
            Verdict::WouldBeRefused,
            "would be refused: i-0123456789abcdef0 lacks ops",
        ),
        (
            "no check result",
            |f| on_node(f, None),
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "unknown: no check result for this node",
        ),
        (
            "the check looks up another user",
            |f| {
                tagged(f, "alice");
                f.check = Ok(Some(record("ops", &[NODE])));
                on_node(f, None)
            },
            Some("alice"),
            Some("principal_tag"),
            Verdict::Unknown,
            "no check result for this node",
        ),
        (
            "not among the recorded",
            |f| {
                f.check = Ok(Some(record("ops", &["i-0aaaaaaaaaaaaaaaa"])));
                on_node(f, Some(Ok(None)))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "no check result for this node",
        ),
        (
            "the node's run passed",
            |f| {
                f.check = Ok(Some(record("ops", &[])));
                on_node(f, run("Success"))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::WouldStart,
            "would start as ops on i-0123456789abcdef0",
        ),
        (
            "the node's run failed on the script's verdict",
            |f| {
                f.check = Ok(Some(record("ops", &[])));
                on_node(f, report("Failed", None, Some(&missing_line("ops"))))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::WouldBeRefused,
            "lacks ops",
        ),
        (
            "a failed run without the script's line is no verdict",
            |f| {
                f.check = Ok(Some(record("ops", &[])));
                on_node(f, run("Failed"))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "check could not run",
        ),
        (
            "another user's line is no verdict on this one",
            |f| {
                f.check = Ok(Some(record("ops", &[])));
                on_node(f, report("Failed", None, Some(&missing_line("opsx"))))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "check could not run",
        ),
        (
            "a run that timed out is no verdict",
            |f| {
                f.check = Ok(Some(record("ops", &[])));
                on_node(f, report("Failed", Some("TimedOut"), None))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "check could not run",
        ),
        (
            "a pending run falls back to the record",
            |f| {
                f.check = Ok(Some(record("ops", &[NODE])));
                on_node(f, run("Pending"))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::WouldBeRefused,
            "recorded",
        ),
        (
            "runs unread, record says missing",
            |f| {
                f.check = Ok(Some(record("ops", &[NODE])));
                on_node(f, Some(Err(denied())))
            },
            Some("ops"),
            Some("document_user"),
            Verdict::WouldBeRefused,
            "lacks ops",
        ),
        (
            "the table cannot be read",
            |f| {
                f.check = Err(Unread::new("ResourceNotFoundException", "no table"));
                on_node(f, None)
            },
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "no check result",
        ),
        (
            "Identity Center as declared",
            |f| identity_center(f, Some(USER_NAME), configured(USER_NAME)),
            Some("alice"),
            Some("identity_center_session_tag"),
            Verdict::Unknown,
            "",
        ),
        (
            "Identity Center drifted",
            |f| {
                identity_center(
                    f,
                    Some(USER_NAME),
                    configured(&[("SSMSessionRunAs", "${path:title}")]),
                )
            },
            None,
            Some("identity_center_session_tag"),
            Verdict::Unknown,
            "identity store",
        ),
        (
            "Identity Center: attributes off",
            |f| identity_center(f, Some(USER_NAME), Ok(Observed::Absent)),
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "Identity Center: no SSMSessionRunAs",
            |f| identity_center(f, None, configured(&[("Team", "${path:title}")])),
            Some("ops"),
            Some("document_user"),
            Verdict::Unknown,
            "",
        ),
        (
            "Identity Center: key in another case",
            |f| {
                identity_center(
                    f,
                    None,
                    configured(&[("ssmsessionrunas", "${path:userName}")]),
                )
            },
            Some("alice"),
            Some("identity_center_session_tag"),
            Verdict::Unknown,
            "",
        ),
        (
            "Identity Center: empty source",
            |f| identity_center(f, Some(USER_NAME), configured(&[("SSMSessionRunAs", "")])),
            None,
            Some("identity_center_session_tag"),
            Verdict::Unknown,
            "SAML",
        ),
        (
            "Identity Center: not declared",
            |f| identity_center(f, None, Err(Unread::new("NotDeclared", "no section"))),
            None,
            None,
            Verdict::Unknown,
            "NotDeclared",
        ),
    ]
}

#[test]
fn the_chain_decides_as_session_manager_and_the_agent_do() {
    for (what, change, user, by, verdict, text) in cases() {
        let mut f = facts();
        change(&mut f);
        let c = decide(&f);
        let shown = render::table(&c);
        assert_eq!(c.user.as_deref(), user, "{what}:\n{shown}");
        assert_eq!(c.decided_by, by, "{what}:\n{shown}");
        assert_eq!(c.session.verdict, verdict, "{what}:\n{shown}");
        assert!(
            c.session.text.contains(text),
            "{what}: {:?}",
            c.session.text
        );
        assert_eq!(c.links.len(), 5, "{what}");
        let deciding = c
            .links
            .iter()
            .filter(|l| matches!(l.state, State::Decides | State::Refuses))
            .count();
        assert!(
            deciding <= 2,
            "{what}: at most a decider and the node's refusal:\n{shown}"
        );
        if let Some(by) = by {
            let l = c
                .links
                .iter()
                .find(|l| l.link == by)
                .unwrap_or_else(|| panic!("{what}: no {by} link"));
            assert!(
                matches!(l.state, State::Decides | State::Refuses),
                "{what}: {l:?}"
            );
        }
    }
}

#[test]
fn links_after_the_decider_are_not_reached_and_after_an_unread_one_unknown() {
    let mut f = facts();
    tagged(&mut f, "alice");
    let c = decide(&f);
    let states: Vec<State> = c.links.iter().map(|l| l.state).collect();
    assert_eq!(
        states,
        [
            State::Passed,
            State::Passed,
            State::Decides,
            State::NotReached,
            State::Unknown
        ]
    );

    let mut f = facts();
    f.tag = TagFacts::Iam(Err(denied()));
    let c = decide(&f);
    let tag = &c.links[2];
    assert_eq!(
        (tag.state, tag.error_code.as_deref()),
        (State::CannotRead, Some("AccessDenied"))
    );
    assert_eq!(c.links[3].state, State::Unknown);
    assert!(render::table(&c).contains("cannot read: AccessDenied"));
}

#[test]
fn identity_center_notes_say_declared_or_drifted() {
    let mut f = facts();
    identity_center(&mut f, Some(USER_NAME), configured(USER_NAME));
    let note = decide(&f).links[2].note.clone().unwrap();
    assert!(note.contains("as the policy declares"), "{note}");
    assert!(note.contains("AWSReservedSSO_Admin_*"), "{note}");
    identity_center(
        &mut f,
        Some(USER_NAME),
        configured(&[("SSMSessionRunAs", "${path:title}")]),
    );
    let l = &decide(&f).links[2];
    let note = l.note.clone().unwrap();
    assert!(
        note.contains("drifted") && note.contains("${path:userName}"),
        "{note}"
    );
    assert!(l.holds.contains("${path:title}"), "{}", l.holds);
}

#[test]
fn editor_text_is_shown_inert() {
    let mut f = facts();
    tagged(&mut f, "ops\u{1b}[31m\n\u{202e}x");
    let table = render::table(&decide(&f));
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{202e}'),
        "{table}"
    );
    assert_eq!(
        table
            .lines()
            .filter(|l| l.contains("SSMSessionRunAs tag"))
            .count(),
        1,
        "{table}"
    );
}

#[test]
fn principals() {
    let ok: &[(&str, IamKind, &str, &str)] = &[
        (
            "arn:aws:iam::111122223333:role/Ops",
            IamKind::Role,
            "Ops",
            "arn:aws:iam::111122223333:role/Ops",
        ),
        (
            "arn:aws:iam::111122223333:role/team/a/Ops",
            IamKind::Role,
            "Ops",
            "arn:aws:iam::111122223333:role/team/a/Ops",
        ),
        (
            "arn:aws:iam::111122223333:user/alice",
            IamKind::User,
            "alice",
            "arn:aws:iam::111122223333:user/alice",
        ),
        (
            "arn:aws-us-gov:sts::111122223333:assumed-role/Ops/alice@example.com",
            IamKind::Role,
            "Ops",
            "arn:aws-us-gov:iam::111122223333:role/Ops",
        ),
    ];
    for (arn, kind, name, rewritten) in ok {
        let (caller, account) = principal(arn).unwrap();
        assert_eq!(account, ACCOUNT);
        assert_eq!(
            caller,
            Caller::Iam {
                arn: rewritten.to_string(),
                kind: *kind,
                name: name.to_string()
            },
            "{arn}"
        );
    }
    for bad in [
        "",
        "Ops",
        "arn:aws:iam::1111:role/Ops",
        "arn:aws:iam:us-east-1:111122223333:role/Ops",
        "arn:aws:iam::111122223333:group/Ops",
        "arn:aws:iam::111122223333:role/",
        "arn:aws:iam::111122223333:role/a b",
        "arn:aws:s3:::bucket",
        "arn:aws:sts::111122223333:assumed-role/Ops",
        "arn:aws:iam::111122223333:role/Ops;rm",
        "arn:AWS:iam::111122223333:role/Ops",
    ] {
        assert!(principal(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_agent_reads_keys_and_booleans_as_go_does() {
    assert!(field_matches("RUNASENABLED", "runAsEnabled"));
    assert!(field_matches("runA\u{17F}Enabled", "runAsEnabled"));
    assert!(!field_matches("runAsEnabled ", "runAsEnabled"));
    assert!(!field_matches("runÄsEnabled", "runAsEnabled"));
    for (v, want) in [
        (json!(null), Ok(false)),
        (json!(""), Ok(false)),
        (json!("t"), Ok(true)),
        (json!("FALSE"), Ok(false)),
        (json!(true), Ok(true)),
        (json!("tRUE"), Err(())),
        (json!(0), Err(())),
        (json!({}), Err(())),
    ] {
        assert_eq!(convert_to_bool(Some(&v)).map_err(|_| ()), want, "{v}");
    }
    assert_eq!(convert_to_bool(None), Ok(false));
    let view =
        read_as_agent(r#"{"sessionType":"Standard_Stream","SessionType":null,"inputs":null}"#)
            .unwrap();
    assert_eq!(view.session_type, "Standard_Stream");
    assert!(view.refused.is_empty());
    assert_eq!(
        read_as_agent("[1]").unwrap().refused,
        ["the document is an array"]
    );
    assert!(read_as_agent("{\"inputs\": 3}").unwrap().refused[0].contains("inputs is a number"));
    assert!(read_as_agent("").is_err());
}

#[test]
fn json_carries_every_link_and_the_answer() {
    let mut f = facts();
    tagged(&mut f, "alice");
    f.check = Ok(Some(record("alice", &[NODE])));
    on_node(&mut f, None);
    let v: Value = serde_json::from_str(&render::json(&decide(&f))).unwrap();
    assert_eq!(v["user"], "alice");
    assert_eq!(v["decided_by"], "principal_tag");
    assert_eq!(v["session"]["verdict"], "would_be_refused");
    assert_eq!(v["node"], NODE);
    assert_eq!(v["links"][2]["state"], "decides");
    assert_eq!(v["links"][4]["state"], "refuses");
    let names: Vec<&str> = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["link"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "session_document",
            "run_as_enabled",
            "principal_tag",
            "document_user",
            "node"
        ]
    );
}

#[test]
fn the_policy_s_wish_and_hold_stand_beside_what_decides() {
    // A tag decides `app`; the policy wants `ops` and enforce-when-ready
    // holds the region: both answers are in one place.
    let mut f = facts();
    tagged(&mut f, "app");
    f.wanted = Ok(Wanted {
        user: Some("ops".into()),
        rule: "ou:ou-ab12-34cd56ef".into(),
        mode: Some("enforce-when-ready"),
        held: Some("2 nodes lack the user".into()),
        held_since: Some("2026-11-20T10:00:00Z".into()),
    });
    let c = decide(&f);
    let table = render::table(&c);
    assert!(
        table.contains("policy:   wants ops (ou:ou-ab12-34cd56ef, enforce-when-ready; held since 2026-11-20T10:00:00Z: 2 nodes lack the user)"),
        "{table}"
    );
    let v: serde_json::Value = serde_json::from_str(&render::json(&c)).unwrap();
    assert_eq!(v["policy"]["user"], "ops");
    assert_eq!(v["policy"]["mode"], "enforce-when-ready");
    assert_eq!(v["policy"]["held"], "2 nodes lack the user");
    assert!(v.get("policy_error").is_none());
    // Exempt: no user, said so; a read that failed is named, never hidden.
    f.wanted = Ok(Wanted {
        rule: "exempt".into(),
        ..Wanted::default()
    });
    assert!(render::table(&decide(&f)).contains("policy:   wants no user (exempt)"));
    f.wanted = Err(denied());
    let c = decide(&f);
    assert!(render::table(&c).contains("policy:   cannot read: AccessDenied"));
    assert_eq!(c.policy, None);
}
