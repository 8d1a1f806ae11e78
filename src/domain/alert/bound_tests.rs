use serde_json::json;

use super::*;
use crate::domain::alert::{Kind, Severity};

fn alert(body: Value) -> Alert {
    Alert {
        alert_id: "a1".into(),
        kind: Kind::PolicyIdsUnknown,
        severity: Severity::Error,
        account: "-".into(),
        subject: "runas-guard: the policy names 5000 id(s) the organization does not have".into(),
        body,
    }
}

/// What a publish of `message` for `a` measures.
fn size(a: &Alert, message: &str) -> usize {
    publish_bytes(&a.subject, message, &attributes(a))
}

#[test]
fn sns_counts_bytes_of_the_message_the_attributes_and_the_subject_up_to_the_limit() {
    // Amazon SNS API Reference, Publish: "messages must be UTF-8 encoded
    // strings and at most 256 KB in size (262,144 bytes, not 262,144
    // characters)"; MessageAttributeValue: "All parts of the message
    // attribute, including name, type, and value, are included in the
    // message size restriction". Above it: InvalidParameter, "Invalid
    // parameter: Message too long".
    assert_eq!(SNS_MESSAGE_MAX, 262_144);
    let a = alert(json!({}));
    let overhead = size(&a, "");
    assert_eq!(
        overhead,
        a.subject.len()
            + "alert_idStringa1".len()
            + "kindStringpolicy_ids_unknown".len()
            + "severityStringerror".len()
            + "accountString-".len()
    );
    let room = SNS_MESSAGE_MAX - overhead;
    let exact = "x".repeat(room);
    assert_eq!(size(&a, &exact), SNS_MESSAGE_MAX);
    assert!(fits(size(&a, &exact)), "exactly at the limit fits");
    assert!(
        !fits(size(&a, &format!("{exact}x"))),
        "one byte over does not"
    );
    // Characters are not bytes: one 2-byte character in place of an ASCII
    // one is one byte over; a message of 3- and 4-byte characters is
    // measured in bytes.
    let accented = format!("é{}", &exact[1..]);
    assert_eq!(accented.chars().count(), exact.chars().count());
    assert!(!fits(size(&a, &accented)));
    let wide = format!("{}{}", "€😀🎉".repeat(room / 11), "x".repeat(room % 11));
    assert_eq!(wide.len(), room, "3 + 4 + 4 bytes per repeat");
    assert!(fits(size(&a, &wide)));
    assert!(!fits(size(&a, &format!("{wide}€"))));
    // Attribute values count in bytes too.
    let mut named = alert(json!({}));
    named.account = "ü".repeat(10);
    assert_eq!(size(&named, "") - size(&a, ""), 20 - 1);
}

#[test]
fn every_list_of_a_body_is_bounded_with_a_count_of_the_rest() {
    let ids: Vec<Value> = (0..5000)
        .map(|i| json!({"key": "scope.accounts", "id": format!("{i:012}")}))
        .collect();
    let nodes: Vec<String> = (0..70).map(|i| format!("i-{i:017x}")).collect();
    let regions: Map<String, Value> = (0..60)
        .map(|i| (format!("region-{i}"), json!({"code": "AccessDenied"})))
        .collect();
    let mut body = json!({
        "alert_id": "a1",
        "unknown_ids": ids,
        "regions": [{"region": "eu-west-1", "missing_nodes": nodes, "nodes_missing": 70}],
        "errors": regions,
        "record": {"a": 1, "b": [1, 2, 3]},
        "principals": (0..51).collect::<Vec<_>>(),
        "principals_more": 7,
        "grid": [[1, 2, 3], [4, 5, 6]],
    });
    bound_lists(&mut body, LIST_MAX);
    assert_eq!(body["unknown_ids"].as_array().unwrap().len(), 50);
    assert_eq!(
        body["unknown_ids"][49]["id"], "000000000049",
        "the first ones, in order"
    );
    assert_eq!(body["unknown_ids_more"], 4950);
    let region = &body["regions"][0];
    assert_eq!(region["missing_nodes"].as_array().unwrap().len(), 50);
    assert_eq!(region["missing_nodes_more"], 20, "inside each entry");
    assert_eq!(region["nodes_missing"], 70, "counts stay whole");
    assert!(body.get("regions_more").is_none(), "one region is no cut");
    assert_eq!(
        body["errors"].as_object().unwrap().len(),
        50,
        "a map is a list"
    );
    assert_eq!(body["errors_more"], 10);
    assert_eq!(
        body["record"],
        json!({"a": 1, "b": [1, 2, 3]}),
        "records keep their fields"
    );
    assert_eq!(body["principals_more"], 8, "added to a count already there");
    assert_eq!(body["grid"], json!([[1, 2, 3], [4, 5, 6]]));

    let mut grid = json!({"grid": [[1, 2, 3], [4, 5, 6], [7]]});
    bound_lists(&mut grid, 2);
    assert_eq!(grid["grid"], json!([[1, 2], [4, 5]]));
    assert_eq!(
        grid["grid_more"], 3,
        "a list in a list counts under its parent"
    );

    // Not an object, or nothing over the bound: unchanged.
    for mut v in [json!(null), json!([1, 2, 3]), json!({"a": [1, 2]})] {
        let before = v.clone();
        bound_lists(&mut v, 2);
        assert_eq!(v, before);
    }
}

#[test]
fn alerts_are_made_bounded() {
    let unknown: Vec<crate::domain::policy::ids::UnknownId> = (0..5000)
        .map(|i| crate::domain::policy::ids::UnknownId {
            key: "scope.accounts".into(),
            id: format!("{:012}", 100_000_000_000u64 + i),
        })
        .collect();
    let a = crate::domain::alert::policy_ids_unknown(&unknown, "sweep-1", "now");
    assert_eq!(a.body["unknown_ids"].as_array().unwrap().len(), LIST_MAX);
    assert_eq!(a.body["unknown_ids_more"], 4950);
    assert!(a.subject.contains("5000 id(s)"), "{}", a.subject);
    assert!(
        a.body.to_string().len() < 10_000,
        "{}",
        a.body.to_string().len()
    );
    // The same set of ids is the same alert, however it is cut.
    let again = crate::domain::alert::policy_ids_unknown(&unknown, "sweep-2", "later");
    assert_eq!(a.alert_id, again.alert_id);
    let fewer = crate::domain::alert::policy_ids_unknown(&unknown[..4999], "sweep-2", "later");
    assert_ne!(a.alert_id, fewer.alert_id, "every id counts in the id");
}

/// A measure like a destination's: the body's JSON, `factor` times.
fn measured(factor: usize) -> impl Fn(&Alert) -> usize {
    move |a: &Alert| size(a, &a.body.to_string()) * factor
}

#[test]
fn an_alert_that_fits_is_untouched() {
    let a = alert(json!({"alert_id": "a1", "ids": [1, 2, 3]}));
    let fitted = fit(a.clone(), measured(1));
    assert_eq!(fitted.alert, a);
    assert!(fitted.trimmed_from.is_none());
    assert!(fits(fitted.bytes));
}

#[test]
fn an_alert_too_large_is_trimmed_mildest_first_until_it_fits() {
    // 50 entries of 3,000 bytes: 150 KB, twice over in the message (JSON
    // and the e-mail text both carry the body).
    let entries: Vec<Value> = (0..50)
        .map(|i| json!({"region": format!("r{i}"), "error": "e".repeat(3000)}))
        .collect();
    let a = alert(json!({"alert_id": "a1", "kind": "sweep_summary", "entries": entries}));
    assert!(!fits(measured(2)(&a)));
    let fitted = fit(a.clone(), measured(2));
    assert!(fits(fitted.bytes), "{}", fitted.bytes);
    assert_eq!(fitted.bytes, measured(2)(&fitted.alert));
    assert!(fitted.trimmed_from.unwrap() > SNS_MESSAGE_MAX);
    let body = &fitted.alert.body;
    assert_eq!(
        body["entries"].as_array().unwrap().len(),
        25,
        "the mildest step that fits"
    );
    assert_eq!(body["entries_more"], 25);
    assert_eq!(
        body["entries"][0]["error"].as_str().unwrap().len(),
        3000,
        "values whole"
    );
    assert_eq!(body["trimmed"], TRIMMED);
    assert_eq!(fitted.alert.alert_id, a.alert_id, "the same alert");

    // One value alone too large: values are cut, on character boundaries.
    let huge = alert(json!({"alert_id": "a1", "error": "é".repeat(200_000)}));
    let fitted = fit(huge, measured(1));
    assert!(fits(fitted.bytes));
    let error = fitted.alert.body["error"].as_str().unwrap();
    assert!(
        error.starts_with("éé") && error.ends_with("more characters)"),
        "{error:.40}"
    );

    // Nothing but its name fits: what names it stays.
    let named = alert(
        json!({"alert_id": "a1", "kind": "policy_ids_unknown", "account": "-",
        "trigger_id": "sweep-1", "at": "now", "error": "x".repeat(100)}),
    );
    let fitted = fit(named, |a: &Alert| {
        if a.body.get("error").is_some() {
            SNS_MESSAGE_MAX + 1
        } else {
            1000
        }
    });
    assert_eq!(
        fitted.alert.body,
        json!({"alert_id": "a1", "kind": "policy_ids_unknown", "account": "-",
            "trigger_id": "sweep-1", "at": "now", "trimmed": TRIMMED})
    );
    assert_eq!(fitted.bytes, 1000);
}
