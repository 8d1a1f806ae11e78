//! `runas-guard report` over what the product recorded in a scripted month
//! (accounts configured, joining and leaving, two windows, a failed region;
//! see `scripted_month`): the report in CSV, JSON and HTML gives the same facts, the HTML
//! parses as HTML (Python's html.parser) with no script and no external
//! resource, and bad dates and formats are refused in one line (exit 2).

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

/// Whether `html` is well formed (every element closed in order, void
/// elements aside), and its text, as Python's html.parser reads it.
fn parsed_html(w: &World, html: &str) -> (bool, String, Vec<String>) {
    let path = w.dir.join("report.html");
    std::fs::write(&path, html).unwrap();
    let script = r#"
import sys, json
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ok, self.text, self.tags = [], True, [], set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ("src", "href") or k.startswith("on"):
                self.tags.add("attr:" + k)
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False
    def handle_data(self, data):
        self.text.append(data)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
print(json.dumps({"ok": p.ok and not p.stack, "text": " ".join(p.text), "tags": sorted(p.tags)}))
"#;
    let out = std::process::Command::new(repo().join(".venv/bin/python"))
        .args(["-c", script, path_str(&path)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tags = v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    (
        v["ok"].as_bool().unwrap(),
        v["text"].as_str().unwrap().to_string(),
        tags,
    )
}

fn report(w: &World, since: &str, format: &str) -> String {
    let run = w.run(&["report", "--since", since, "--format", format]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// The month, as the product lives it: A and B configured by a sweep, a
/// root edit of A's eu-west-1 put back by its event's run (window 1), a
/// root window in A's us-east-1 opened and closed before any run looked
/// (window 2, told by the edits' late events), C vended and failing in
/// us-east-1 (an explicit deny, through the fault proxy), and B moved into
/// an exempt OU. Returns (A, B, C) and the proxy the function talks through.
async fn scripted_month(w: &mut World) -> (String, String, String, Proxy) {
    let proxy = w.behind_proxy();
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let lock = w.create_ou(&workloads, "Lock").await;
    let a = w.create_account("audited-a", Some(&prod)).await;
    let b = w.create_account("audited-b", Some(&prod)).await;
    w.write_policy(&format!("[exempt]\nous = [\"{lock}\"]"));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    w.console_edit(&a, "eu-west-1", "root").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &a, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    w.console_edit(&a, "us-east-1", "root").await;
    w.console_edit(&a, "us-east-1", "ssm-ops").await;
    let late = doc_event_as("UpdateDocument", &a, "us-east-1", "Breakglass", "mallory");
    let (code, out) = w.handle(&late);
    assert_eq!(code, 0, "{out:#}");
    let c = w.create_account("audited-c", Some(&prod)).await;
    proxy.faults(
        json!([{"name": "deny", "service": "ssm", "region": "us-east-1", "action": "CreateDocument",
        "status": 400, "code": "AccessDeniedException", "protocol": "json",
        "message": "explicit deny in a service control policy"}]),
    );
    let (code, out) = w.handle(&vend_event(&c));
    assert_eq!(code, 1, "the vend failed in us-east-1: {out:#}");
    assert!(
        proxy.hits()["deny"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the deny fired"
    );
    proxy.faults(json!([]));
    w.move_account(&b, &prod, &lock).await;
    let (code, out) = w.handle(&move_event(&b, &prod, &lock));
    assert_eq!(code, 0, "{out:#}");
    (a, b, c, proxy)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scripted_month_reads_the_same_in_csv_json_and_html() {
    let mut w = World::new().await;
    let since = cloudtrail_now()[..10].to_string();
    let (a, b, c, _proxy) = scripted_month(&mut w).await;

    let json: Value = serde_json::from_str(&report(&w, &since, "json")).unwrap();
    let csv = report(&w, &since, "csv");
    let html = report(&w, &since, "html");
    let place = |account: &str, region: &str| -> Value {
        json["places"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["account"] == account && p["region"] == region)
            .cloned()
            .unwrap_or_else(|| panic!("{account} {region}: {json:#}"))
    };
    // Window 1: the edit put back, from the told row its alert left.
    let edited = place(&a, "eu-west-1");
    let editor = format!("arn:aws:iam::{a}:role/Admin");
    let window = &edited["windows"][0];
    assert_eq!(window["kind"], "drift_reverted", "{edited:#}");
    assert_eq!(window["editor"], json!(editor));
    assert_eq!(window["run_as"], "on/root");
    let statuses: Vec<&str> = edited["put_backs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["remediated", "reverted"], "{edited:#}");
    assert_eq!(edited["desired"], "ssm-ops");
    assert_eq!(edited["observed"], "on/ssm-ops");
    assert!(edited["last_verified"].is_string());
    // Window 2: closed before any run looked, told with its editor and
    // what Session Manager could say of its sessions.
    let closed = place(&a, "us-east-1");
    let window = &closed["windows"][0];
    assert_eq!(window["kind"], "run_as_window", "{closed:#}");
    assert_eq!(window["run_as"], "on/root");
    assert!(
        window["editor"]
            .as_str()
            .unwrap()
            .ends_with(":role/Breakglass"),
        "{closed:#}"
    );
    assert!(window["from"].is_string(), "{closed:#}");
    let gap = |account: &str, region: &str| place(account, region)["gaps"][0].clone();
    assert_eq!(gap(&b, "eu-west-1")["why"], "excluded");
    assert_eq!(gap(&b, "eu-west-1")["until"], Value::Null, "still out");
    assert_eq!(
        gap(&c, "us-east-1")["why"],
        "failed",
        "{:#}",
        place(&c, "us-east-1")
    );
    assert!(
        place(&c, "eu-west-1")["gaps"]
            .as_array()
            .unwrap()
            .is_empty(),
        "C joined and was configured there"
    );
    let t = &json["totals"];
    assert_eq!(
        (
            t["account_regions"].as_u64(),
            t["windows"].as_u64(),
            t["put_backs"].as_u64()
        ),
        // Four accounts (the management account too), two regions each.
        (Some(8), Some(2), Some(1)),
        "{t:#}"
    );
    assert_eq!(
        (
            t["not_governed_periods"].as_u64(),
            t["not_verifiable_periods"].as_u64()
        ),
        (Some(2), Some(1)),
        "{t:#}"
    );
    assert_eq!(json["guard_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["data"]["retention_days"], 90);
    assert_eq!(json["data"]["retention_from"], "rows");
    assert!(json["data"]["oldest_row"].as_str().unwrap() >= since.as_str());

    // The same facts in each.
    let (ok, text, tags) = parsed_html(&w, &html);
    assert!(ok, "the HTML is not well formed:\n{html}");
    assert!(
        !tags.iter().any(|t| t == "script" || t.starts_with("attr:")),
        "{tags:?}"
    );
    assert!(tags.iter().any(|t| t == "style") && html.contains("@media print"));
    let facts = [
        editor.as_str(),
        "Breakglass",
        "on/root",
        "run_as_window",
        "excluded",
        "failed",
        "AccessDeniedException",
        &a,
        &b,
        &c,
        env!("CARGO_PKG_VERSION"),
    ];
    for fact in facts {
        assert!(json.to_string().contains(fact), "json lacks {fact}");
        assert!(csv.contains(fact), "csv lacks {fact}:\n{csv}");
        assert!(text.contains(fact), "html lacks {fact}:\n{text}");
    }
    let windows = csv.lines().filter(|l| l.starts_with("window,")).count();
    let gaps = csv.lines().filter(|l| l.starts_with("gap,")).count();
    assert_eq!((windows, gaps), (2, 3), "{csv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_dates_and_formats_are_refused_in_one_line() {
    let w = World::new().await;
    let cases: &[(&[&str], &str)] = &[
        (
            &["--since", "2026-02-30"],
            "--since \"2026-02-30\" is not a date",
        ),
        (
            &["--since", "last week"],
            "--since \"last week\" is not a date",
        ),
        (
            &["--since", "2026-03-02", "--until", "2026-03-01"],
            "--until \"2026-03-01\" is not after --since",
        ),
        (
            &["--since", "2026-03-01", "--until", "2026-03-01T10:00:00"],
            "--until \"2026-03-01T10:00:00\" is not a date",
        ),
        (&["--since", "2026-03-01", "--format", "pdf"], "pdf"),
    ];
    for (args, want) in cases {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        let run = w.run(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim_end().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
}
