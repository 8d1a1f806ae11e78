//! `classify` over the event shapes runas-guard meets, and hostile input
//! refused with the offending field named.

use super::*;
use serde_json::json;

fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
    json!({
        "version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
        "account": "123456789012", "time": "2026-11-21T10:00:00Z", "region": "us-east-1",
        "resources": [], "detail": detail
    })
}

fn ssm_call(name: &str, doc: &str, extra: Value) -> Value {
    let mut d = json!({
        "eventName": name, "eventSource": "ssm.amazonaws.com", "awsRegion": "eu-west-1",
        "recipientAccountId": "111122223333", "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2", "eventTime": "2026-11-21T10:00:00Z",
        "requestParameters": {"name": doc},
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/Admin/jane",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Admin"}}
        }
    });
    if let (Some(d), Some(e)) = (d.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            d.insert(k.clone(), v.clone());
        }
    }
    envelope("aws.ssm", API_CALL, d)
}

fn create_account(state: &str, account: Value) -> Value {
    envelope(
        "aws.organizations",
        SERVICE_EVENT,
        json!({"eventName": "CreateAccountResult",
               "serviceEventDetails": {"createAccountStatus": {"state": state, "accountId": account}}}),
    )
}

fn kind_of(v: &Value) -> TriggerKind {
    classify(v).expect("classifies").kind
}

#[test]
fn table_of_shapes() {
    let cases: Vec<(&str, Value, TriggerKind)> = vec![
        (
            "vend",
            create_account("SUCCEEDED", json!("210987654321")),
            TriggerKind::AccountVended,
        ),
        (
            "vend failed",
            create_account("FAILED", Value::Null),
            TriggerKind::Ignored,
        ),
        (
            "vend in progress",
            create_account("IN_PROGRESS", Value::Null),
            TriggerKind::Ignored,
        ),
        (
            "update doc",
            ssm_call("UpdateDocument", DOCUMENT_NAME, json!({})),
            TriggerKind::DocumentChanged,
        ),
        (
            "default version",
            ssm_call("UpdateDocumentDefaultVersion", DOCUMENT_NAME, json!({})),
            TriggerKind::DocumentChanged,
        ),
        (
            "delete",
            ssm_call("DeleteDocument", DOCUMENT_NAME, json!({})),
            TriggerKind::DocumentChanged,
        ),
        (
            "create",
            ssm_call("CreateDocument", DOCUMENT_NAME, json!({})),
            TriggerKind::DocumentChanged,
        ),
        (
            "read only",
            ssm_call("GetDocument", DOCUMENT_NAME, json!({})),
            TriggerKind::Ignored,
        ),
        (
            "other doc",
            ssm_call(
                "UpdateDocument",
                "SSM-SessionManagerRunShellCustom",
                json!({}),
            ),
            TriggerKind::Ignored,
        ),
        (
            "lowercase doc",
            ssm_call("UpdateDocument", "ssm-sessionmanagerrunshell", json!({})),
            TriggerKind::Ignored,
        ),
        (
            "errorCode",
            ssm_call(
                "UpdateDocument",
                DOCUMENT_NAME,
                json!({"errorCode": "AccessDenied"}),
            ),
            TriggerKind::Ignored,
        ),
        (
            "ec2",
            envelope("aws.ec2", API_CALL, json!({"eventName": "RunInstances"})),
            TriggerKind::Ignored,
        ),
        (
            "ct api call",
            envelope(
                "aws.controltower",
                API_CALL,
                json!({"eventName": "CreateManagedAccount"}),
            ),
            TriggerKind::Ignored,
        ),
        (
            "schedule",
            envelope("aws.events", "Scheduled Event", json!({})),
            TriggerKind::Sweep,
        ),
        (
            "move",
            envelope(
                "aws.organizations",
                API_CALL,
                json!({"eventName": "MoveAccount", "requestParameters": {"accountId": "210987654321", "destinationParentId": "ou-ab12-prod0001"}}),
            ),
            TriggerKind::AccountMoved,
        ),
        (
            "move failed",
            envelope(
                "aws.organizations",
                API_CALL,
                json!({"eventName": "MoveAccount", "errorCode": "AccessDenied"}),
            ),
            TriggerKind::Ignored,
        ),
        (
            "org other",
            envelope(
                "aws.organizations",
                API_CALL,
                json!({"eventName": "ListAccounts"}),
            ),
            TriggerKind::Ignored,
        ),
    ];
    for (name, event, want) in cases {
        assert_eq!(kind_of(&event), want, "case {name}");
        let t = classify(&event).unwrap();
        assert!(!t.reason.is_empty(), "case {name} has a reason");
    }
}

#[test]
fn managed_account_carries_ou() {
    let e = envelope(
        "aws.controltower",
        SERVICE_EVENT,
        json!({"eventName": "CreateManagedAccount", "serviceEventDetails": {"createManagedAccountStatus": {
            "state": "SUCCEEDED", "account": {"accountId": "210987654322", "accountName": "x"},
            "organizationalUnit": {"organizationalUnitId": "ou-ab12-prod0001", "organizationalUnitName": "Prod"}}}}),
    );
    let t = classify(&e).unwrap();
    assert_eq!(t.kind, TriggerKind::AccountVended);
    assert_eq!(t.account.as_deref(), Some("210987654322"));
    assert_eq!(t.context.ou_id.as_deref(), Some("ou-ab12-prod0001"));
    let failed = envelope(
        "aws.controltower",
        SERVICE_EVENT,
        json!({"eventName": "UpdateManagedAccount", "serviceEventDetails": {"updateManagedAccountStatus": {"state": "FAILED", "message": "boom"}}}),
    );
    let t = classify(&failed).unwrap();
    assert_eq!(t.kind, TriggerKind::Ignored);
    assert!(t.reason.contains("FAILED"), "{}", t.reason);
}

#[test]
fn actors() {
    let id = |ui: Value| {
        let e = ssm_call("UpdateDocument", DOCUMENT_NAME, json!({"userIdentity": ui}));
        classify(&e).unwrap().actor
    };
    let a = id(
        json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/jane",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Admin"}}}),
    )
    .unwrap();
    assert_eq!(a.arn, "arn:aws:iam::111122223333:role/Admin");
    assert_eq!(a.session_name.as_deref(), Some("jane"));
    let a = id(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob"})).unwrap();
    assert_eq!(a.arn, "arn:aws:iam::111122223333:user/bob");
    let a = id(json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root"})).unwrap();
    assert_eq!(a.arn, "arn:aws:iam::111122223333:root");
    let a = id(json!({"type": "Root", "accountId": "111122223333"})).unwrap();
    assert_eq!(a.arn, "arn:aws:iam::111122223333:root");
    let a = id(json!({"type": "AWSService", "invokedBy": "ssm.amazonaws.com"})).unwrap();
    assert_eq!(a.arn, "ssm.amazonaws.com");
    let a = id(
        json!({"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/x",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:user/fed"}}}),
    )
    .unwrap();
    assert_eq!(a.arn, "arn:aws:iam::111122223333:user/fed");
    let a =
        id(json!({"type": "WebIdentityUser", "principalId": "accounts.google.com:123"})).unwrap();
    assert_eq!(a.arn, "accounts.google.com:123");
    assert_eq!(id(json!({"type": "Unknown"})), None);
    assert_eq!(id(Value::Null), None);
}

#[test]
fn hostile_inputs_name_the_problem() {
    let cases: Vec<(&[u8], &str)> = vec![
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"{\"id\": \"x\", ", "not valid JSON"),
        (b"[1,2]", "must be a JSON object, found an array"),
        (b"\"text\"", "found a string"),
        (b"null", "found null"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"{}", "`id`: missing"),
        (b"{\"id\": 7}", "`id`: expected a string, found a number"),
        (b"{\"id\": \"\", \"source\": \"aws.ssm\"}", "`id`: is empty"),
        (
            b"{\"id\": \"1\", \"source\": \"aws.ssm\", \"detail-type\": \"x\"}",
            "`detail`: missing",
        ),
        (
            b"{\"id\": \"1\", \"source\": \"aws.ssm\", \"detail-type\": \"x\", \"detail\": []}",
            "`detail`: expected an object, found an array",
        ),
    ];
    for (input, want) in cases {
        let err = classify_bytes(input).unwrap_err().to_string();
        assert!(
            err.contains(want),
            "input {:?}: {err}",
            String::from_utf8_lossy(input)
        );
        assert!(!err.contains('\n'), "one line: {err}");
    }
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    assert!(classify_bytes(deep.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("recursion limit"));
    let big = format!("\"{}\"", "a".repeat(5 * 1024 * 1024));
    assert!(matches!(
        classify_bytes(big.as_bytes()),
        Err(EventError::TooLarge(_))
    ));
}

#[test]
fn mistyped_fields_are_named() {
    let bad_account = create_account("SUCCEEDED", json!("12345"));
    let err = classify(&bad_account).unwrap_err().to_string();
    assert!(
        err.contains("createAccountStatus.accountId") && err.contains("12-digit"),
        "{err}"
    );
    let numeric = create_account("SUCCEEDED", json!(210987654321u64));
    assert!(classify(&numeric)
        .unwrap_err()
        .to_string()
        .contains("expected a string"));
    let mut e = ssm_call(
        "UpdateDocument",
        DOCUMENT_NAME,
        json!({"awsRegion": "EU-WEST-1"}),
    );
    assert!(classify(&e)
        .unwrap_err()
        .to_string()
        .contains("detail.awsRegion"));
    e = ssm_call(
        "UpdateDocument",
        DOCUMENT_NAME,
        json!({"userIdentity": "root"}),
    );
    assert!(classify(&e)
        .unwrap_err()
        .to_string()
        .contains("detail.userIdentity"));
    e = ssm_call(
        "UpdateDocument",
        DOCUMENT_NAME,
        json!({"requestParameters": {"name": 5}}),
    );
    assert!(classify(&e)
        .unwrap_err()
        .to_string()
        .contains("detail.requestParameters.name"));
    e = ssm_call(
        "UpdateDocument",
        DOCUMENT_NAME,
        json!({"recipientAccountId": "abc"}),
    );
    assert!(classify(&e)
        .unwrap_err()
        .to_string()
        .contains("recipientAccountId"));
}

#[test]
fn region_names() {
    for ok in [
        "us-east-1",
        "eu-central-2",
        "us-gov-west-1",
        "cn-north-1",
        "us-isob-east-1",
        "ap-southeast-5",
    ] {
        assert!(is_region_name(ok), "{ok}");
    }
    for bad in [
        "",
        "us",
        "us-east",
        "US-EAST-1",
        "us-east-1a",
        "us--1",
        "us-east-1 ",
        "-east-1",
    ] {
        assert!(!is_region_name(bad), "{bad:?}");
    }
}

#[test]
fn role_names() {
    assert_eq!(role_name("arn:aws:iam::1:role/A"), Some("A"));
    assert_eq!(role_name("arn:aws:iam::1:role/p/q/B"), Some("B"));
    assert_eq!(role_name("arn:aws:iam::1:user/B"), None);
}

#[test]
fn explain_has_exactly_the_contract_keys() {
    let t = classify(&create_account("SUCCEEDED", json!("210987654321"))).unwrap();
    let v = serde_json::to_value(t.explain()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "trigger",
            "account",
            "region",
            "actor",
            "event_id",
            "source",
            "event_name",
            "reason"
        ]
    );
    assert_eq!(v["reason"], "account creation SUCCEEDED");
}

#[test]
fn run_as_overrides_name_the_principal_and_the_value() {
    let tag = |tags: Value| {
        envelope(
            "aws.iam",
            "AWS API Call via CloudTrail",
            json!({"eventName": "TagRole", "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/jane",
                    "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Admin"}}},
                "requestParameters": {"roleName": "Dev", "tags": tags}}),
        )
    };
    let t = classify(&tag(
        json!([{"key": "team", "value": "a"}, {"key": "ssmsessionrunas", "value": "root"}]),
    ))
    .unwrap();
    assert_eq!(t.kind, TriggerKind::RunAsOverride);
    assert_eq!(t.account.as_deref(), Some("111122223333"));
    assert_eq!(
        t.context.principal.as_deref(),
        Some("arn:aws:iam::111122223333:role/Dev")
    );
    assert_eq!(
        t.context.run_as_value.as_deref(),
        Some("root"),
        "tag keys match without case, as IAM's do"
    );
    assert_eq!(t.actor.unwrap().arn, "arn:aws:iam::111122223333:role/Admin");
    let other = classify(&tag(json!([{"key": "team", "value": "SSMSessionRunAs"}]))).unwrap();
    assert_eq!(
        other.kind,
        TriggerKind::Ignored,
        "the name in a value is not the tag"
    );
    for (bad, field) in [
        (json!("SSMSessionRunAs"), "detail.requestParameters.tags"),
        (
            json!(["SSMSessionRunAs"]),
            "detail.requestParameters.tags[0]",
        ),
        (
            json!([{"value": "root"}]),
            "detail.requestParameters.tags[0].key",
        ),
    ] {
        let err = classify(&tag(bad)).unwrap_err().to_string();
        assert!(err.contains(field), "{err}");
    }
}

#[test]
fn governed_documents_are_the_policys_names_and_only_those() {
    let governed = [DOCUMENT_NAME, "SSMRunAs-Admin"];
    let cases = [
        (
            "SSMRunAs-Admin",
            TriggerKind::DocumentChanged,
            Some("SSMRunAs-Admin"),
        ),
        (
            DOCUMENT_NAME,
            TriggerKind::DocumentChanged,
            Some(DOCUMENT_NAME),
        ),
        ("SSMRunAs-admin", TriggerKind::Ignored, None),
        ("SSMRunAs-ReadOnly", TriggerKind::Ignored, None),
    ];
    for (name, kind, document) in cases {
        let event = ssm_call("DeleteDocument", name, json!({}));
        let t = classify_for(&event, &governed).unwrap();
        assert_eq!(t.kind, kind, "{name}");
        assert_eq!(t.context.document.as_deref(), document, "{name}");
        if kind == TriggerKind::Ignored {
            assert!(
                t.reason.contains("not one runas-guard governs"),
                "{}",
                t.reason
            );
        } else {
            assert!(t.edits(name) && t.reason.contains(name), "{}", t.reason);
        }
    }
    // Without [[document]], a named document is not ours.
    let t = classify(&ssm_call("UpdateDocument", "SSMRunAs-Admin", json!({}))).unwrap();
    assert_eq!(t.kind, TriggerKind::Ignored);
}

#[test]
fn edits_by_document_arn_are_this_account_regions_own_only() {
    let governed = [DOCUMENT_NAME, "SSMRunAs-Admin"];
    let own = "arn:aws:ssm:eu-west-1:111122223333:document/";
    let cases: [(String, Option<&str>); 14] = [
        (format!("{own}{DOCUMENT_NAME}"), Some(DOCUMENT_NAME)),
        (format!("{own}SSMRunAs-Admin"), Some("SSMRunAs-Admin")),
        // Another account's (shared) document, another region's, AWS's own.
        (
            format!("arn:aws:ssm:eu-west-1:444455556666:document/{DOCUMENT_NAME}"),
            None,
        ),
        (
            format!("arn:aws:ssm:us-east-1:111122223333:document/{DOCUMENT_NAME}"),
            None,
        ),
        (
            format!("arn:aws:ssm:eu-west-1::document/{DOCUMENT_NAME}"),
            None,
        ),
        // Another partition than the region's.
        (
            format!("arn:aws-cn:ssm:eu-west-1:111122223333:document/{DOCUMENT_NAME}"),
            None,
        ),
        // Not a governed name, not an SSM document ARN, not well formed.
        (format!("{own}SSMRunAs-ReadOnly"), None),
        (format!("{own}ssm-sessionmanagerrunshell"), None),
        (
            format!("arn:aws:ssm:eu-west-1:111122223333:parameter/{DOCUMENT_NAME}"),
            None,
        ),
        (
            format!("arn:aws:ec2:eu-west-1:111122223333:document/{DOCUMENT_NAME}"),
            None,
        ),
        (
            format!("arn:aws:ssm:eu-west-1:1111:document/{DOCUMENT_NAME}"),
            None,
        ),
        (format!("{own}{DOCUMENT_NAME}/x"), None),
        (own.to_string(), None),
        (
            format!("arn:aws:ssm:eu-west-1:111122223333:document/{DOCUMENT_NAME}:1"),
            None,
        ),
    ];
    for event_name in [
        "UpdateDocument",
        "UpdateDocumentDefaultVersion",
        "DeleteDocument",
    ] {
        for (name, document) in &cases {
            let t = classify_for(&ssm_call(event_name, name, json!({})), &governed).unwrap();
            if t.kind == TriggerKind::SessionDocumentChanged {
                // Not governed, type unknown: looked at for run_as_bypass.
                assert_eq!(event_name, "UpdateDocumentDefaultVersion", "{name}");
                assert!(document.is_none() && !t.edits(DOCUMENT_NAME), "{name}");
                continue;
            }
            assert_eq!(t.context.document.as_deref(), *document, "{name}");
            match document {
                Some(doc) => {
                    assert_eq!(t.kind, TriggerKind::DocumentChanged, "{name}");
                    assert_eq!(t.account.as_deref(), Some("111122223333"));
                    assert_eq!(t.region.as_deref(), Some("eu-west-1"));
                    assert!(t.edits(doc), "{name}");
                }
                None => {
                    assert_eq!(t.kind, TriggerKind::Ignored, "{name}");
                    assert!(t.reason.contains(name.as_str()), "{}", t.reason);
                }
            }
        }
    }
    // Only SSM-SessionManagerRunShell governed: its ARN counts, a named one's not.
    let t = classify(&ssm_call(
        "UpdateDocument",
        &format!("{own}{DOCUMENT_NAME}"),
        json!({}),
    ))
    .unwrap();
    assert_eq!(t.kind, TriggerKind::DocumentChanged);
    let t = classify(&ssm_call(
        "UpdateDocument",
        &format!("{own}SSMRunAs-Admin"),
        json!({}),
    ))
    .unwrap();
    assert_eq!(t.kind, TriggerKind::Ignored);
    // The account and region come from the event's envelope when the detail
    // lacks them, and the ARN must match those.
    let mut e = ssm_call(
        "UpdateDocument",
        &format!("arn:aws:ssm:us-east-1:123456789012:document/{DOCUMENT_NAME}"),
        json!({}),
    );
    e["detail"]
        .as_object_mut()
        .unwrap()
        .remove("recipientAccountId");
    e["detail"].as_object_mut().unwrap().remove("awsRegion");
    let t = classify(&e).unwrap();
    assert_eq!(t.kind, TriggerKind::DocumentChanged);
    assert_eq!(t.account.as_deref(), Some("123456789012"));
    // A failed call by ARN is still no edit.
    let t = classify(&ssm_call(
        "UpdateDocument",
        &format!("{own}{DOCUMENT_NAME}"),
        json!({"errorCode": "ValidationException"}),
    ))
    .unwrap();
    assert_eq!(t.kind, TriggerKind::Ignored);
}

#[test]
fn association_writes_are_the_checks_only_when_they_can_be() {
    let check = Some(CHECK_DOCUMENT);
    let by_id = json!({"requestParameters": {"associationId": "a-1"}});
    let answered = |name: &str| {
        json!({"requestParameters": {"associationId": "a-1"},
               "responseElements": {"associationDescription": {"name": name}}})
    };
    type Case<'a> = (
        &'a str,
        &'a str,
        Value,
        Option<&'a str>,
        TriggerKind,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "create of the check",
            "CreateAssociation",
            json!({}),
            check,
            TriggerKind::DocumentChanged,
            "the run-as user check's association",
        ),
        (
            "create of another document",
            "CreateAssociation",
            json!({"requestParameters": {"name": "AWS-RunPatchBaseline"}}),
            check,
            TriggerKind::Ignored,
            "not RunAsGuard-CheckRunAsUser",
        ),
        (
            "create by ARN of the check",
            "CreateAssociation",
            json!({"requestParameters": {"name": "arn:aws:ssm:eu-west-1:111122223333:document/RunAsGuard-CheckRunAsUser"}}),
            check,
            TriggerKind::DocumentChanged,
            "association",
        ),
        (
            "update by id, answer names it",
            "UpdateAssociation",
            answered(CHECK_DOCUMENT),
            check,
            TriggerKind::DocumentChanged,
            "association",
        ),
        (
            "update by id of another",
            "UpdateAssociation",
            answered("AWS-GatherSoftwareInventory"),
            check,
            TriggerKind::Ignored,
            "not RunAsGuard",
        ),
        (
            "update naming nothing",
            "UpdateAssociation",
            by_id.clone(),
            check,
            TriggerKind::Ignored,
            "names no document",
        ),
        (
            "delete by id",
            "DeleteAssociation",
            by_id.clone(),
            check,
            TriggerKind::DocumentChanged,
            "in case it was",
        ),
        (
            "delete by id, check off",
            "DeleteAssociation",
            by_id.clone(),
            None,
            TriggerKind::Ignored,
            "check is off",
        ),
        (
            "delete refused",
            "DeleteAssociation",
            json!({"requestParameters": {"associationId": "a-1"}, "errorCode": "AccessDenied"}),
            check,
            TriggerKind::Ignored,
            "failed with AccessDenied",
        ),
        (
            "create with a renamed check",
            "CreateAssociation",
            json!({}),
            Some("Org-CheckUser"),
            TriggerKind::Ignored,
            "not Org-CheckUser",
        ),
    ];
    for (what, name, extra, check, kind, reason) in cases {
        let event = ssm_call(name, CHECK_DOCUMENT, extra);
        let t = classify_governed(
            &event,
            &[DOCUMENT_NAME],
            check,
            &MemberStackSet::unchecked(MEMBER_STACK_SET),
        )
        .unwrap();
        assert_eq!(t.kind, kind, "{what}: {}", t.reason);
        assert!(t.reason.contains(reason), "{what}: {}", t.reason);
        if kind == TriggerKind::DocumentChanged {
            assert_eq!(t.context.document.as_deref(), check, "{what}");
            assert_eq!(t.region.as_deref(), Some("eu-west-1"), "{what}");
            assert!(t.edits(CHECK_DOCUMENT) && !t.edits(DOCUMENT_NAME), "{what}");
        }
    }
    // A mistyped field the classification reads is an error that names it.
    let bad = ssm_call(
        "UpdateAssociation",
        CHECK_DOCUMENT,
        json!({"requestParameters": {"associationId": 7}}),
    );
    let bad = {
        let mut b = bad;
        b["detail"]["requestParameters"] = json!({"associationId": 7});
        b
    };
    let err = classify_governed(
        &bad,
        &[DOCUMENT_NAME],
        Some(CHECK_DOCUMENT),
        &MemberStackSet::unchecked(MEMBER_STACK_SET),
    )
    .unwrap_err();
    assert!(err.to_string().contains("associationId"), "{err}");
}

#[test]
fn runas_guards_tag_taken_off_an_association_is_looked_at_and_nothing_else() {
    let check = Some(CHECK_DOCUMENT);
    let params = |extra: Value| {
        let mut p = json!({"resourceType": "Association", "resourceId": "a-1"});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "requestParameters": p })
    };
    let ours =
        |value: &str| params(json!({"tags": [{"key": "runas-guard:managed", "value": value}]}));
    let cases: [(&str, &str, Value, Option<&str>, TriggerKind); 9] = [
        (
            "untag",
            "RemoveTagsFromResource",
            params(json!({"tagKeys": ["Team", "runas-guard:managed"]})),
            check,
            TriggerKind::DocumentChanged,
        ),
        (
            "untag of another key",
            "RemoveTagsFromResource",
            params(json!({"tagKeys": ["Team"]})),
            check,
            TriggerKind::Ignored,
        ),
        (
            "untag, check off",
            "RemoveTagsFromResource",
            params(json!({"tagKeys": ["runas-guard:managed"]})),
            None,
            TriggerKind::Ignored,
        ),
        (
            "another value",
            "AddTagsToResource",
            ours("false"),
            check,
            TriggerKind::DocumentChanged,
        ),
        // runas-guard's own tag: no news, and no loop.
        (
            "runas-guard's own",
            "AddTagsToResource",
            ours("true"),
            check,
            TriggerKind::Ignored,
        ),
        (
            "another key",
            "AddTagsToResource",
            params(json!({"tags": [{"key": "Team", "value": "x"}]})),
            check,
            TriggerKind::Ignored,
        ),
        (
            "refused",
            "RemoveTagsFromResource",
            json!({"requestParameters": {"resourceType": "Association", "resourceId": "a-1", "tagKeys": ["runas-guard:managed"]}, "errorCode": "AccessDeniedException"}),
            check,
            TriggerKind::Ignored,
        ),
        // Not an association: the canary's classification, as before.
        (
            "a document",
            "RemoveTagsFromResource",
            json!({"requestParameters": {"resourceType": "Document", "resourceId": DOCUMENT_NAME, "tagKeys": ["runas-guard:managed"]}}),
            check,
            TriggerKind::Ignored,
        ),
        (
            "the canary",
            "AddTagsToResource",
            json!({"requestParameters": {"resourceType": "Document", "resourceId": DOCUMENT_NAME, "tags": [{"key": "runas-guard:canary", "value": "t-1"}]}}),
            check,
            TriggerKind::ForwardingCanary,
        ),
    ];
    for (what, name, extra, check, kind) in cases {
        let event = ssm_call(name, CHECK_DOCUMENT, extra);
        let t = classify_governed(
            &event,
            &[DOCUMENT_NAME],
            check,
            &MemberStackSet::unchecked(MEMBER_STACK_SET),
        )
        .unwrap();
        assert_eq!(t.kind, kind, "{what}: {}", t.reason);
        if kind == TriggerKind::DocumentChanged {
            assert_eq!(t.context.document.as_deref(), check, "{what}");
            assert_eq!(t.account.as_deref(), Some("111122223333"), "{what}");
            assert!(t.reason.contains("association a-1"), "{what}: {}", t.reason);
            assert!(t.edits(CHECK_DOCUMENT), "{what}");
        }
    }
    // A mistyped list is an error that names it.
    let bad = ssm_call(
        "RemoveTagsFromResource",
        CHECK_DOCUMENT,
        params(json!({"tagKeys": "runas-guard:managed"})),
    );
    let err = classify_governed(
        &bad,
        &[DOCUMENT_NAME],
        check,
        &MemberStackSet::unchecked(MEMBER_STACK_SET),
    )
    .unwrap_err();
    assert!(err.to_string().contains("tagKeys"), "{err}");
}

#[test]
fn other_session_documents_are_looked_at_and_nothing_else() {
    let session = json!({"requestParameters": {"name": "Elevated-Shell", "documentType": "Session", "content": "HIDDEN_DUE_TO_SECURITY_REASONS"}});
    let command =
        json!({"requestParameters": {"name": "Elevated-Shell", "documentType": "Command"}});
    let answered = |kind: &str| {
        json!({"requestParameters": {"name": "Elevated-Shell"},
               "responseElements": {"documentDescription": {"documentType": kind}}})
    };
    let cases = [
        (
            "CreateDocument",
            session.clone(),
            TriggerKind::SessionDocumentChanged,
        ),
        ("CreateDocument", command, TriggerKind::Ignored),
        ("CreateDocument", json!({}), TriggerKind::Ignored),
        (
            "UpdateDocument",
            answered("Session"),
            TriggerKind::SessionDocumentChanged,
        ),
        (
            "UpdateDocument",
            answered("Automation"),
            TriggerKind::Ignored,
        ),
        ("UpdateDocument", json!({}), TriggerKind::Ignored),
        (
            "UpdateDocumentDefaultVersion",
            json!({}),
            TriggerKind::SessionDocumentChanged,
        ),
        ("DeleteDocument", session.clone(), TriggerKind::Ignored),
        ("GetDocument", session, TriggerKind::Ignored),
    ];
    for (event_name, extra, kind) in cases {
        let t = classify(&ssm_call(event_name, "Elevated-Shell", extra.clone())).unwrap();
        assert_eq!(t.kind, kind, "{event_name} {extra}: {}", t.reason);
        if kind == TriggerKind::SessionDocumentChanged {
            assert_eq!(t.context.document.as_deref(), Some("Elevated-Shell"));
            assert_eq!(t.region.as_deref(), Some("eu-west-1"));
            assert!(t.actor.is_some());
            assert!(
                !t.edits("Elevated-Shell"),
                "never reconciled as a governed document"
            );
        }
    }
    // Another account's document, by ARN, is not this account's.
    let other = ssm_call(
        "UpdateDocumentDefaultVersion",
        "arn:aws:ssm:eu-west-1:444455556666:document/Elevated-Shell",
        json!({}),
    );
    assert_eq!(classify(&other).unwrap().kind, TriggerKind::Ignored);
    // This account's own, by ARN: the hub's session document rules leave
    // every ARN to the document rules, so the look is decided here.
    let own = ssm_call(
        "UpdateDocumentDefaultVersion",
        "arn:aws:ssm:eu-west-1:111122223333:document/Elevated-Shell",
        json!({}),
    );
    let t = classify(&own).unwrap();
    assert_eq!(t.kind, TriggerKind::SessionDocumentChanged, "{}", t.reason);
    assert_eq!(t.context.document.as_deref(), Some("Elevated-Shell"));
    // A mistyped type is an error naming the field.
    let bad = ssm_call(
        "CreateDocument",
        "Elevated-Shell",
        json!({"requestParameters": {"name": "Elevated-Shell", "documentType": 3}}),
    );
    let err = classify(&bad).unwrap_err().to_string();
    assert!(err.contains("documentType"), "{err}");
}

#[test]
fn a_hostile_value_is_echoed_only_up_to_a_bound() {
    let huge = "x".repeat(100_000);
    // Refused: the error names the field and only the start of the value.
    let mut e = ssm_call("UpdateDocument", DOCUMENT_NAME, json!({}));
    e["detail"]["awsRegion"] = json!(huge);
    let err = classify(&e).unwrap_err().to_string();
    assert!(err.contains("detail.awsRegion"), "{err}");
    assert!(
        err.chars().count() < 500,
        "{} characters",
        err.chars().count()
    );
    assert!(
        err.ends_with("more characters)"),
        "{}",
        &err[err.len() - 60..]
    );
    // Ignored: its reason quotes the name, bounded too.
    let t = classify(&ssm_call("UpdateDocument", &huge, json!({}))).unwrap();
    assert_eq!(t.kind, TriggerKind::Ignored);
    assert!(
        t.reason.chars().count() < 700,
        "{} characters",
        t.reason.chars().count()
    );
    // A value within the bound is quoted whole.
    let t = classify(&ssm_call("UpdateDocument", "Other-Doc", json!({}))).unwrap();
    assert!(t.reason.contains("\"Other-Doc\""), "{}", t.reason);
}

#[test]
fn a_governed_documents_write_says_the_version_its_answer_made() {
    let answer =
        |v: Value| json!({"responseElements": {"documentDescription": {"documentVersion": v}}});
    let cases = [
        ("UpdateDocument", answer(json!("7")), Some("7")),
        ("CreateDocument", answer(json!("1")), Some("1")),
        // A switch makes no version (its request says the one made the default).
        ("UpdateDocumentDefaultVersion", answer(json!("7")), None),
        ("DeleteDocument", answer(json!("7")), None),
        // Hostile or missing answers: no hint, the event still classified.
        ("UpdateDocument", answer(json!(7)), None),
        ("UpdateDocument", answer(json!("")), None),
        ("UpdateDocument", answer(json!("$LATEST")), None),
        ("UpdateDocument", answer(json!("-1")), None),
        ("UpdateDocument", answer(json!("1".repeat(21))), None),
        ("UpdateDocument", json!({"responseElements": null}), None),
        (
            "UpdateDocument",
            json!({"responseElements": {"documentDescription": []}}),
            None,
        ),
        ("UpdateDocument", json!({}), None),
    ];
    for (name, extra, want) in cases {
        let t = classify(&ssm_call(name, DOCUMENT_NAME, extra.clone())).unwrap();
        assert_eq!(
            t.kind,
            TriggerKind::DocumentChanged,
            "{name} {extra}: {}",
            t.reason
        );
        assert_eq!(t.context.made_version.as_deref(), want, "{name} {extra}");
    }
}
