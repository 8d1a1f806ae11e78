//! Which Session documents skip Run As, read as the agent reads them:
//! hostile spellings, duplicates, wrong types.

use super::*;
use serde_json::json;

fn props(linux: Value, macos: Value) -> Value {
    json!({"linux": {"commands": "bash", "runAsElevated": linux},
           "macos": {"commands": "zsh", "runAsElevated": macos}})
}

#[test]
fn only_command_sessions_with_a_true_elevated_flag_skip_run_as() {
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "interactive, linux",
            json!({"sessionType": "InteractiveCommands", "properties": props(json!(true), json!(false))}),
            vec!["linux"],
        ),
        (
            "non-interactive, both",
            json!({"sessionType": "NonInteractiveCommands", "properties": props(json!(true), json!(true))}),
            vec!["linux", "macos"],
        ),
        (
            "macos only",
            json!({"sessionType": "InteractiveCommands", "properties": props(json!(false), json!(true))}),
            vec!["macos"],
        ),
        (
            "not elevated",
            json!({"sessionType": "InteractiveCommands", "properties": props(json!(false), json!(false))}),
            vec![],
        ),
        (
            "a string is not a Go bool: the decode fails",
            json!({"sessionType": "InteractiveCommands", "properties": props(json!(true), json!("true"))}),
            vec![],
        ),
        (
            "the shell has no properties",
            json!({"sessionType": "Standard_Stream", "properties": props(json!(true), json!(true))}),
            vec![],
        ),
        (
            "port forwarding",
            json!({"sessionType": "Port", "properties": props(json!(true), json!(true))}),
            vec![],
        ),
        (
            "windows only",
            json!({"sessionType": "InteractiveCommands", "properties": {"windows": {"runAsElevated": true}}}),
            vec![],
        ),
        (
            "no properties",
            json!({"sessionType": "InteractiveCommands"}),
            vec![],
        ),
        (
            "properties not an object",
            json!({"sessionType": "InteractiveCommands", "properties": [1]}),
            vec![],
        ),
        ("not a document", json!([]), vec![]),
        (
            "session type mistyped",
            json!({"sessionType": 7, "properties": props(json!(true), json!(true))}),
            vec![],
        ),
        // Keys as Go's encoding/json matches them.
        (
            "RunAsElevated in another case",
            json!({"sessionType": "InteractiveCommands", "properties": {"linux": {"RunAsElevated": true}}}),
            vec!["linux"],
        ),
        (
            "Linux and Properties and SessionType in other cases",
            json!({"SessionType": "InteractiveCommands", "Properties": {"LINUX": {"runaselevated": true}}}),
            vec!["linux"],
        ),
        (
            "the spelling that sorts last wins (remarshalled map)",
            json!({"sessionType": "InteractiveCommands", "properties": {"linux": {"runaselevated": true, "runAsElevated": false}}}),
            vec!["linux"],
        ),
        (
            "sorted first loses",
            json!({"sessionType": "InteractiveCommands", "properties": {"linux": {"runAsElevated": true, "RUNASELEVATED": false}}}),
            vec!["linux"],
        ),
        (
            "two spellings of a platform merge field by field",
            json!({"sessionType": "InteractiveCommands", "properties": {"Linux": {"runAsElevated": true}, "linux": {"commands": "sh"}}}),
            vec!["linux"],
        ),
        (
            "a null leaves the flag",
            json!({"sessionType": "InteractiveCommands", "properties": {"linux": {"RunAsElevated": true, "runAsElevated": null}}}),
            vec!["linux"],
        ),
        (
            "Go's special folds: the long s",
            json!({"sessionType": "InteractiveCommands", "properties": {"linux": {"runA\u{17F}Elevated": true}}}),
            vec!["linux"],
        ),
        (
            "a shell of the wrong type fails the decode",
            json!({"sessionType": "InteractiveCommands", "properties": {"linux": {"runAsElevated": true}, "windows": "x"}}),
            vec![],
        ),
    ];
    for (what, doc, want) in cases {
        assert_eq!(elevated_platforms(&doc), want, "{what}");
        // The same text read by the agent's decoder says the same.
        if !want.is_empty() {
            assert_eq!(
                skips(&doc.to_string(), "ops"),
                Some(Skip::Elevated(want)),
                "{what}"
            );
        }
    }
}

#[test]
fn the_root_member_set_last_is_the_one_the_agent_keeps() {
    // Document order at the root (a struct decode): the later spelling wins.
    let text = r#"{"sessionType": "InteractiveCommands",
        "properties": {"linux": {"runAsElevated": true}},
        "PROPERTIES": {"linux": {"runAsElevated": false}}}"#;
    assert_eq!(skips(text, "ops"), None);
    let text = r#"{"sessionType": "Standard_Stream", "SESSIONTYPE": "InteractiveCommands",
        "properties": {"linux": {"runAsElevated": true}}}"#;
    assert_eq!(skips(text, "ops"), Some(Skip::Elevated(vec!["linux"])));
}

fn shell(inputs: Value) -> String {
    json!({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": inputs}).to_string()
}

#[test]
fn a_shell_document_skips_the_policy_by_its_run_as_inputs() {
    let other = |u: &str| Some(Skip::OtherUser(u.into()));
    let cases: Vec<(&str, String, Option<Skip>)> = vec![
        ("root", shell(json!({"runAsEnabled": true, "runAsDefaultUser": "root"})), other("root")),
        ("another user", shell(json!({"runAsEnabled": true, "runAsDefaultUser": "ec2-user"})), other("ec2-user")),
        ("the policy's user", shell(json!({"runAsEnabled": true, "runAsDefaultUser": "ops"})), None),
        ("string true", shell(json!({"runAsEnabled": "true", "runAsDefaultUser": "ops"})), None),
        ("off", shell(json!({"runAsEnabled": false, "runAsDefaultUser": "ops"})), Some(Skip::RunAsOff)),
        ("string off", shell(json!({"runAsEnabled": "False", "runAsDefaultUser": "ops"})), Some(Skip::RunAsOff)),
        ("absent reads as off", shell(json!({"s3BucketName": ""})), Some(Skip::RunAsOff)),
        ("no inputs", json!({"sessionType": "Standard_Stream"}).to_string(), Some(Skip::RunAsOff)),
        ("blank user: sessions without a tag fail", shell(json!({"runAsEnabled": true, "runAsDefaultUser": " "})), None),
        ("a value the agent cannot read fails the session", shell(json!({"runAsEnabled": "yes", "runAsDefaultUser": "root"})), None),
        ("a user of the wrong type fails the decode", shell(json!({"runAsEnabled": true, "runAsDefaultUser": 0})), None),
        // Keys without case, the later one winning.
        ("RunAsDefaultUser after ours", r#"{"sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","RunAsDefaultUser":"root"}}"#.into(), other("root")),
        ("RunAsEnabled false after ours", r#"{"sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","RUNASENABLED":false}}"#.into(), Some(Skip::RunAsOff)),
        ("a second inputs object merges", r#"{"sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"},"Inputs":{"runAsDefaultUser":"root"}}"#.into(), other("root")),
        ("an earlier variant loses", r#"{"sessionType":"Standard_Stream","inputs":{"RunAsDefaultUser":"root","runAsEnabled":true,"runAsDefaultUser":"ops"}}"#.into(), None),
        ("not JSON", "{".into(), None),
        ("a port session", json!({"sessionType": "Port", "inputs": {"runAsEnabled": false}}).to_string(), None),
        ("no session type", json!({"inputs": {"runAsEnabled": false}}).to_string(), None),
    ];
    for (what, text, want) in cases {
        assert_eq!(skips(&text, "ops"), want, "{what}");
    }
    assert_eq!(Skip::RunAsOff.user(), "ssm-user");
    assert_eq!(Skip::OtherUser("root".into()).setting(), "runAsDefaultUser");
    assert_eq!(Skip::Elevated(vec!["macos"]).user(), "root");
    assert_eq!(Skip::RunAsOff.platforms(), ["linux", "macos"]);
}

#[test]
fn aws_own_documents_are_known_by_their_reserved_prefixes() {
    for name in [
        "AWS-PasswordReset",
        "AWS-StartInteractiveCommand",
        "AWSSupport-X",
        "AmazonX",
    ] {
        assert!(aws_owned(name), "{name}");
    }
    for name in [
        "Elevated-Shell",
        "SSM-SessionManagerRunShell",
        "MyAWS-Shell",
        "",
    ] {
        assert!(!aws_owned(name), "{name}");
    }
}

proptest::proptest! {
    /// Hostile text never panics, and whatever the text says, an answer of
    /// "skips" always names a user.
    #[test]
    fn any_text_is_answered_without_panic(text in ".{0,200}") {
        if let Some(s) = skips(&text, "ops") {
            proptest::prop_assert!(!s.user().is_empty());
        }
    }
}
