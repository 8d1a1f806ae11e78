//! Document content, LZA-shaped and arbitrary: merges touch only the two
//! inputs we own and every layout parses back to the same meaning.

use super::*;
use proptest::prelude::*;
use serde_json::json;

const LZA: &str = r#"{
  "schemaVersion": "1.0",
  "description": "Document to hold regional settings for Session Manager",
  "sessionType": "Standard_Stream",
  "inputs": {
    "s3BucketName": "aws-accelerator-central-logs-111122223333-us-east-1",
    "s3KeyPrefix": "session/111122223333",
    "s3EncryptionEnabled": true,
    "cloudWatchLogGroupName": "aws-accelerator-sessionmanager-logs",
    "cloudWatchEncryptionEnabled": true,
    "cloudWatchStreamingEnabled": true,
    "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/abc",
    "runAsEnabled": false,
    "runAsDefaultUser": "",
    "idleSessionTimeout": "20",
    "shellProfile": {"linux": "exec bash", "windows": ""}
  },
  "x-unknown": [1, {"a": null}]
}"#;

#[test]
fn compliance_table() {
    let cases = [
        (
            json!({"inputs": {"runAsEnabled": true, "runAsDefaultUser": "ops"}}),
            true,
        ),
        (
            json!({"inputs": {"runAsEnabled": "true", "runAsDefaultUser": "ops"}}),
            true,
        ),
        (
            json!({"inputs": {"runAsEnabled": "false", "runAsDefaultUser": "ops"}}),
            false,
        ),
        (
            json!({"inputs": {"runAsEnabled": "TRUE", "runAsDefaultUser": "ops"}}),
            false,
        ),
        (
            json!({"inputs": {"runAsEnabled": 1, "runAsDefaultUser": "ops"}}),
            false,
        ),
        (
            json!({"inputs": {"runAsEnabled": true, "runAsDefaultUser": "ops2"}}),
            false,
        ),
        (
            json!({"inputs": {"runAsEnabled": true, "runAsDefaultUser": "ops;rm -rf /"}}),
            false,
        ),
        (json!({"inputs": {"runAsEnabled": true}}), false),
        (json!({"inputs": {}}), false),
        (json!({}), false),
    ];
    for (doc, want) in cases {
        let p = Preferences::parse(&doc.to_string()).unwrap();
        assert_eq!(p.run_as().is_compliant("ops"), want, "{doc}");
    }
}

#[test]
fn hostile_content() {
    assert!(matches!(
        Preferences::parse("not json"),
        Err(PreferencesError::NotJson(_))
    ));
    assert!(matches!(
        Preferences::parse("[]"),
        Err(PreferencesError::NotObject(_))
    ));
    assert!(matches!(
        Preferences::parse(r#"{"inputs": "x"}"#),
        Err(PreferencesError::InputsNotObject(_))
    ));
    assert!(Preferences::parse(r#"{"inputs": null}"#).is_err());
}

#[test]
fn merge_keeps_lza_inputs_and_order() {
    let p = Preferences::parse(LZA).unwrap();
    let m = p.merged("ssm-ops");
    assert!(m.run_as().is_compliant("ssm-ops"));
    let before: Vec<String> = p.inputs().unwrap().keys().cloned().collect();
    let after: Vec<String> = m.inputs().unwrap().keys().cloned().collect();
    assert_eq!(before, after, "key order kept");
    assert_eq!(
        m.as_value()["inputs"]["s3KeyPrefix"],
        "session/111122223333"
    );
    assert_eq!(m.as_value()["inputs"]["shellProfile"]["linux"], "exec bash");
    assert_eq!(m.as_value()["x-unknown"], json!([1, {"a": null}]));
    assert_eq!(m.as_value()["inputs"]["runAsEnabled"], json!(true));
}

#[test]
fn merge_adds_inputs_when_absent() {
    let p = Preferences::parse(r#"{"schemaVersion":"1.0"}"#).unwrap();
    let m = p.merged("u");
    assert_eq!(
        m.as_value(),
        json!({"schemaVersion": "1.0", "inputs": {"runAsEnabled": true, "runAsDefaultUser": "u"}})
    );
}

#[test]
fn layouts_differ_in_bytes_not_meaning() {
    let p = Preferences::parse(LZA).unwrap().merged("ops");
    // The first thousand, powers of two and their neighbours, the largest.
    let mut layouts: Vec<Layout> = (0..1000).collect();
    for bit in 10..64 {
        layouts.extend([(1 << bit) - 1, 1 << bit, (1 << bit) + 1]);
    }
    layouts.push(Layout::MAX);
    let mut seen = std::collections::HashSet::new();
    for layout in layouts {
        let r = p.render(layout);
        assert_eq!(
            Preferences::parse(&r).unwrap(),
            p,
            "layout {layout} parses back"
        );
        assert!(seen.insert(r.clone()), "layout {layout} is new");
        // O(log n) bytes, never at either end of the content.
        assert!(
            r.len() <= p.render(0).len() + 64,
            "layout {layout} is short"
        );
        assert!(r.starts_with('{') && r.ends_with('}'), "layout {layout}");
    }
}

#[test]
fn layout_zero_is_the_consoles_indentation_and_markers_spell_the_number() {
    let p = Preferences::parse(r#"{"schemaVersion":"1.0","inputs":{"a":1}}"#).unwrap();
    let plain = "{\n    \"schemaVersion\": \"1.0\",\n    \"inputs\": {\n        \"a\": 1\n    }\n}";
    assert_eq!(p.render(0), plain);
    for (layout, marker) in [(1, "\t"), (2, "\t "), (5, "\t \t"), (6, "\t\t ")] {
        assert_eq!(
            p.render(layout),
            format!("{{{marker}{}", &plain[1..]),
            "layout {layout}"
        );
    }
    // An empty root object stays valid JSON.
    let empty = Preferences::parse("{}").unwrap();
    assert_eq!(Preferences::parse(&empty.render(3)).unwrap(), empty);
}

#[test]
fn aws_default_is_compliant_and_complete() {
    let p = Preferences::aws_default("ssm-ops");
    assert!(p.run_as().is_compliant("ssm-ops"));
    assert_eq!(p.as_value()["sessionType"], "Standard_Stream");
    assert_eq!(p.as_value()["inputs"]["s3EncryptionEnabled"], json!(true));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9 ;$\"\\\\]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,6}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_document() -> impl Strategy<Value = Value> {
    let owned = prop_oneof![
        Just(None),
        arb_json().prop_map(Some),
        Just(Some(json!("false"))),
        Just(Some(json!(true)))
    ];
    (
        prop::collection::vec(("[a-zA-Z]{1,8}", arb_json()), 0..6),
        prop::collection::vec(("[a-zA-Z]{1,8}", arb_json()), 0..6),
        owned.clone(),
        owned,
        any::<bool>(),
    )
        .prop_map(|(top, inputs, enabled, user, has_inputs)| {
            let mut root: Map<String, Value> =
                top.into_iter().filter(|(k, _)| k != "inputs").collect();
            if has_inputs {
                let mut i: Map<String, Value> = inputs.into_iter().collect();
                if let Some(e) = enabled {
                    i.insert("runAsEnabled".into(), e);
                }
                if let Some(u) = user {
                    i.insert("runAsDefaultUser".into(), u);
                }
                root.insert("inputs".into(), Value::Object(i));
            }
            Value::Object(root)
        })
}

fn without_owned(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(i) = v.get_mut("inputs").and_then(Value::as_object_mut) {
        i.shift_remove("runAsEnabled");
        i.shift_remove("runAsDefaultUser");
    }
    v
}

proptest! {
    #[test]
    fn merge_is_idempotent(doc in arb_document(), user in "[a-z_][a-z0-9_-]{0,10}") {
        let p = Preferences::parse(&doc.to_string()).unwrap();
        let once = p.merged(&user);
        prop_assert_eq!(once.merged(&user).render(0), once.render(0));
        prop_assert!(once.run_as().is_compliant(&user));
    }

    #[test]
    fn merge_changes_only_owned_keys(doc in arb_document(), user in "[a-z_][a-z0-9_-]{0,10}") {
        let p = Preferences::parse(&doc.to_string()).unwrap();
        let merged = p.merged(&user).as_value();
        let a = without_owned(&doc);
        let mut b = without_owned(&merged);
        // A document without `inputs` gains an (otherwise empty) one.
        if doc.get("inputs").is_none() {
            if let Some(o) = b.as_object_mut() { o.shift_remove("inputs"); }
        }
        // Compare rendered text too: same keys, same values, same order.
        prop_assert_eq!(a.to_string(), b.to_string());
    }

    #[test]
    fn every_layout_parses_back(doc in arb_document(), layout in any::<Layout>()) {
        let p = Preferences::parse(&doc.to_string()).unwrap();
        prop_assert_eq!(Preferences::parse(&p.render(layout)).unwrap(), p);
    }
}

#[test]
fn following_takes_the_parents_inputs_and_keeps_its_own_run_as() {
    let parent = Preferences::parse(
        &json!({"schemaVersion": "1.0", "inputs": {
            "s3BucketName": "org-logs", "runAsEnabled": true, "runAsDefaultUser": "ssm-ops",
            "idleSessionTimeout": "20"}})
        .to_string(),
    )
    .unwrap();
    let child = Preferences::parse(
        &json!({"schemaVersion": "1.0", "description": "Admin", "inputs": {
            "s3BucketName": "", "runAsEnabled": true, "runAsDefaultUser": "admin",
            "kmsKeyId": "stale"}})
        .to_string(),
    )
    .unwrap();
    assert!(!child.follows(&parent));
    let now = child.following(&parent);
    assert!(now.follows(&parent));
    assert_eq!(
        now.as_value(),
        json!({"schemaVersion": "1.0", "description": "Admin", "inputs": {
            "s3BucketName": "org-logs", "idleSessionTimeout": "20",
            "runAsEnabled": true, "runAsDefaultUser": "admin"}})
    );
    // RunAs never counts: a parent with another user is still followed.
    assert!(parent.merged("other").follows(&parent));
    // Key order does not count either.
    let reordered = Preferences::parse(
        &json!({"inputs": {"idleSessionTimeout": "20", "s3BucketName": "org-logs"}}).to_string(),
    )
    .unwrap();
    assert!(reordered.follows(&parent));
}

proptest! {
    #[test]
    fn following_is_idempotent_and_leaves_run_as_to_merge(
        doc in arb_document(), parent in arb_document(), user in "[a-z_][a-z0-9_-]{0,10}"
    ) {
        let p = Preferences::parse(&doc.to_string()).unwrap();
        let parent = Preferences::parse(&parent.to_string()).unwrap();
        let once = p.following(&parent);
        prop_assert!(once.follows(&parent));
        prop_assert_eq!(once.following(&parent).render(0), once.render(0));
        prop_assert_eq!(once.run_as(), p.run_as());
        let fixed = once.merged(&user);
        prop_assert!(fixed.follows(&parent) && fixed.run_as().is_compliant(&user));
    }
}

/// Item: keys the agent reads without regard to case are ours too.
#[test]
fn a_variant_of_our_keys_is_not_compliant_and_the_merge_removes_it() {
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "RunAsDefaultUser after ours (the agent reads root)",
            r#"{"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","RunAsDefaultUser":"root"}}"#,
            json!({"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"}}),
        ),
        (
            "RunAsEnabled false after ours",
            r#"{"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","RUNASENABLED":false}}"#,
            json!({"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"}}),
        ),
        (
            "a harmless variant before ours is still a variant",
            r#"{"inputs":{"runasdefaultuser":"ops","runAsEnabled":true,"runAsDefaultUser":"ops"}}"#,
            json!({"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"}}),
        ),
        (
            "only a variant",
            r#"{"inputs":{"a":1,"RunAsEnabled":true,"RunAsDefaultUser":"ops"}}"#,
            json!({"inputs":{"a":1,"runAsEnabled":true,"runAsDefaultUser":"ops"}}),
        ),
        (
            "a second inputs object the agent merges",
            r#"{"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"},"Inputs":{"runAsDefaultUser":"root","kmsKeyId":"k"}}"#,
            json!({"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"},"Inputs":{"kmsKeyId":"k"}}),
        ),
        (
            "Go's folds: the long s and the Kelvin sign",
            "{\"inputs\":{\"runAsEnabled\":true,\"runAsDefaultUser\":\"ops\",\"runA\u{17F}DefaultUser\":\"root\"},\"INPUTS\":{\"runAsEnabled\":false}}",
            json!({"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops"},"INPUTS":{}}),
        ),
    ];
    for (what, text, want) in cases {
        let p = Preferences::parse(text).unwrap();
        assert!(!p.run_as().is_compliant("ops"), "{what}");
        let m = p.merged("ops");
        assert_eq!(m.as_value(), want, "{what}");
        assert!(m.run_as().is_compliant("ops"), "{what}");
        let agent = crate::domain::agent_doc::read_as_agent(&m.render(0)).unwrap();
        assert_eq!(agent.run_as_default_user, "ops", "{what}");
        assert_eq!(agent.run_as_enabled, Some(json!(true)), "{what}");
        assert!(agent.spelt.is_empty(), "{what}");
    }
    // What a report shows: every spelling, by path, with its value.
    let p = Preferences::parse(
        r#"{"inputs":{"runAsDefaultUser":"ops","RunAsDefaultUser":"root"},"Inputs":{"runAsdefaultuser":"x"}}"#,
    )
    .unwrap();
    assert_eq!(
        p.run_as().user,
        Some(
            json!({"runAsDefaultUser":"ops","RunAsDefaultUser":"root","Inputs.runAsdefaultuser":"x"})
        )
    );
    // Keys that only look alike are not ours.
    let p = Preferences::parse(
        r#"{"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ops","runAsDefaultUsers":"x","run_as_enabled":false}}"#,
    )
    .unwrap();
    assert!(p.run_as().is_compliant("ops"));
    assert_eq!(p.merged("ops"), p);
}

#[test]
fn peers_that_write_the_documented_keys_are_merged_as_before() {
    // LZA (session-manager-settings custom resource) and the AWS sample both
    // write every input under its documented spelling and read back only
    // `inputs.runAsEnabled` / `inputs.runAsDefaultUser`: nothing of theirs is
    // a variant, and after a merge those two keys hold ours.
    let sample = json!({"schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream", "inputs": {
        "s3BucketName": "", "s3KeyPrefix": "", "s3EncryptionEnabled": false,
        "cloudWatchLogGroupName": "", "cloudWatchEncryptionEnabled": false,
        "cloudWatchStreamingEnabled": false, "kmsKeyId": "", "runAsEnabled": false,
        "runAsDefaultUser": "", "idleSessionTimeout": "20", "maxSessionDuration": "",
        "shellProfile": {"linux": "bash"}}});
    for text in [LZA.to_string(), sample.to_string()] {
        let p = Preferences::parse(&text).unwrap();
        let m = p.merged("ssm-ops");
        assert_eq!(without_owned(&m.as_value()), without_owned(&p.as_value()));
        assert_eq!(m.as_value()["inputs"]["runAsEnabled"], json!(true));
        assert_eq!(m.as_value()["inputs"]["runAsDefaultUser"], "ssm-ops");
    }
}

/// One of our keys, spelt any way Go's decoder would still match.
fn arb_spelling() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("runAsEnabled"), Just("runAsDefaultUser")],
        prop::collection::vec(0u8..3, 16),
    )
        .prop_map(|(field, flips)| {
            field
                .chars()
                .zip(flips)
                .map(|(c, f)| match (c, f) {
                    ('s', 2) => '\u{17F}',
                    (c, 1) => c.to_ascii_uppercase(),
                    (c, _) => c.to_ascii_lowercase(),
                })
                .collect()
        })
}

/// A document carrying variants of our keys in `inputs` and in other
/// spellings of `inputs`, among other keys.
fn arb_hostile() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        arb_spelling().prop_map(|k| (k, json!("root"))),
        arb_spelling().prop_map(|k| (k, json!(false))),
        ("[a-z]{1,6}", arb_json()),
    ];
    (
        prop::collection::vec(member.clone(), 0..6),
        prop::collection::vec(member, 0..4),
        prop_oneof![Just("Inputs"), Just("INPUTS"), Just("inputS")],
    )
        .prop_map(|(inputs, other, other_name)| {
            let obj = |m: Vec<(String, Value)>| {
                let body: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
                    .collect();
                format!("{{{}}}", body.join(","))
            };
            format!(
                r#"{{"sessionType":"Standard_Stream","inputs":{},"{other_name}":{}}}"#,
                obj(inputs),
                obj(other)
            )
        })
}

proptest! {
    #[test]
    fn a_merged_document_is_read_by_the_agent_as_ours(text in arb_hostile(), user in "[a-z_][a-z0-9_-]{0,10}") {
        let p = Preferences::parse(&text).unwrap();
        let once = p.merged(&user);
        prop_assert_eq!(once.merged(&user).render(0), once.render(0));
        prop_assert!(once.run_as().is_compliant(&user));
        let agent = crate::domain::agent_doc::read_as_agent(&once.render(0)).unwrap();
        prop_assert_eq!(&agent.run_as_default_user, &user);
        prop_assert_eq!(agent.run_as_enabled, Some(json!(true)));
        // A document judged compliant is one the agent reads as ours, under
        // the documented spelling only.
        if p.run_as().is_compliant(&user) {
            let before = crate::domain::agent_doc::read_as_agent(&text).unwrap();
            prop_assert_eq!(&before.run_as_default_user, &user);
            prop_assert!(before.spelt.is_empty());
        }
    }
}
