//! Reverts never run out: an administrator who edits the document again and
//! again (each edit followed by its document event) is reverted every time,
//! to a default that is compliant and is the latest version, past any fixed
//! set of layouts and past SSM's version limit.
//!
//! moto has no version limit and no `ListDocumentVersions`; the limit test
//! runs on tests/moto_ssm_versions.py, which emulates exactly those two (its
//! docstring says how) and logs every refusal, so the test can assert that
//! the emulated limit fired.

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

async fn configured(w: &World) -> String {
    let account = w.create_account("member", None).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    account
}

fn code_of<E: aws_sdk_ssm::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_string()
}

/// The administrator's console edit: a new version with `user`, made the
/// default. At SSM's version limit the administrator is refused too and does
/// what SSM's message says: deletes one version (its oldest deletable) and
/// edits again. Returns whether the limit refused the administrator.
async fn admin_edit(w: &World, account: &str, user: &str) -> bool {
    let ssm = w.admin_ssm(account, R).await;
    let mut doc = w.document(account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!(user);
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let mut refused = false;
    let version = loop {
        match ssm
            .update_document()
            .name(DOC)
            .content(&text)
            .document_version("$LATEST")
            .send()
            .await
        {
            Ok(out) => {
                break out
                    .document_description()
                    .unwrap()
                    .document_version()
                    .unwrap()
                    .to_string()
            }
            Err(e) if code_of(e.as_service_error().unwrap()) == "DocumentVersionLimitExceeded" => {
                assert!(!refused, "refused twice");
                refused = true;
                let (_, default, latest) = w.document(account, R).await.unwrap();
                let oldest = versions(w, account)
                    .await
                    .into_iter()
                    .filter(|v| *v != default && *v != latest)
                    .min_by_key(|v| v.parse::<u64>().unwrap())
                    .unwrap();
                ssm.delete_document()
                    .name(DOC)
                    .document_version(oldest)
                    .send()
                    .await
                    .unwrap();
            }
            Err(e) => panic!("admin edit: {e:?}"),
        }
    };
    w.admin_switch(account, R, &version).await;
    refused
}

/// Every version number (through the emulated `ListDocumentVersions`).
async fn versions(w: &World, account: &str) -> Vec<String> {
    let ssm = w.admin_ssm(account, R).await;
    let mut found = vec![];
    let mut token = None;
    loop {
        let out = ssm
            .list_document_versions()
            .name(DOC)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        found.extend(
            out.document_versions()
                .iter()
                .map(|v| v.document_version().unwrap().to_string()),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return found,
        }
    }
}

/// After a revert: the default is the latest, compliant, and nothing but
/// RunAs differs from the edit it undid.
async fn assert_reverted(w: &World, account: &str, edit: &Value, round: usize) {
    let (doc, default, latest) = w.document(account, R).await.unwrap();
    assert_eq!(default, latest, "round {round}: default must be the latest");
    assert_eq!(
        run_as(&doc),
        (json!(true), json!("ssm-ops")),
        "round {round}"
    );
    let mut expected = edit.clone();
    expected["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    assert_eq!(doc, expected, "round {round}: nothing but RunAs changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_edits_in_a_row_are_each_reverted() {
    let w = World::new().await;
    let account = configured(&w).await;
    let mut reverted = std::collections::HashSet::new();
    for round in 0..30 {
        admin_edit(&w, &account, &format!("intruder{round}")).await;
        let edit = w.document(&account, R).await.unwrap().0;
        let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
        assert_eq!(code, 0, "round {round}: {out:#}");
        assert_reverted(&w, &account, &edit, round).await;
        let (_, version, _) = w.document(&account, R).await.unwrap();
        assert!(reverted.insert(version), "round {round}: a new version");
    }
    let kinds = w.alert_kinds().await;
    assert_eq!(kinds.len(), 30, "one alert per revert: {kinds:?}");
    assert!(
        kinds
            .iter()
            .all(|k| k == "drift_reverted" || k == "tamper_repeated"),
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_version_limit_the_oldest_version_is_deleted_and_the_revert_lands() {
    const LIMIT: usize = 6;
    let dir = std::env::temp_dir().join(format!("runas-guard-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("limit.log");
    let moto = Moto::start_emulating(
        "moto_ssm_versions.py",
        &[
            ("RUNAS_GUARD_TEST_SSM_VERSION_LIMIT", &LIMIT.to_string()),
            ("RUNAS_GUARD_TEST_SSM_LIMIT_LOG", path_str(&log)),
        ],
    );
    let w = World::on(moto).await;
    let account = configured(&w).await;
    let fired = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&account) && l.contains(R))
            .count()
    };
    let mut ours = 0;
    for round in 0..12 {
        admin_edit(&w, &account, &format!("intruder{round}")).await;
        let edit = w.document(&account, R).await.unwrap().0;
        let before = fired();
        let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
        assert_eq!(code, 0, "round {round}: {out:#}");
        if fired() > before {
            ours += 1;
        }
        assert_reverted(&w, &account, &edit, round).await;
        let listed = versions(&w, &account).await;
        assert!(listed.len() <= LIMIT, "round {round}: {listed:?}");
    }
    // The limit refused runas-guard's write in most rounds, and each time a
    // version went and the revert landed.
    assert!(
        ours >= 6,
        "the emulated limit fired for runas-guard {ours} times"
    );
    // The oldest went: the first versions are gone, the newest history stays.
    let listed = versions(&w, &account).await;
    assert!(!listed.contains(&"1".to_string()), "{listed:?}");
    assert_eq!(listed.len(), LIMIT, "{listed:?}");
    let kinds = w.alert_kinds().await;
    assert!(
        !kinds.iter().any(|k| k == "remediation_failed"),
        "{kinds:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_editor_who_pre_wrote_the_next_layout_cannot_block_the_revert() {
    use runas_guard::domain::preferences::Preferences;
    let w = World::new().await;
    let account = configured(&w).await;
    let ssm = w.admin_ssm(&account, R).await;
    let (_, _, latest) = w.document(&account, R).await.unwrap();
    let next = latest.parse::<u64>().unwrap();
    // The wrong edit the revert will undo, written as version next + 2.
    let mut wrong = w.document(&account, R).await.unwrap().0;
    wrong["inputs"]["runAsDefaultUser"] = json!("intruder");
    // Before it, at version next + 1: exactly the text runas-guard would
    // write on top of version next + 2 (the layout keyed on next + 3).
    let planted = Preferences::parse(&wrong.to_string())
        .unwrap()
        .merged("ssm-ops")
        .render(next + 3);
    for content in [
        planted.clone(),
        serde_json::to_string_pretty(&wrong).unwrap(),
    ] {
        ssm.update_document()
            .name(DOC)
            .content(content)
            .document_version("$LATEST")
            .send()
            .await
            .unwrap();
    }
    ssm.update_document_default_version()
        .name(DOC)
        .document_version((next + 2).to_string())
        .send()
        .await
        .unwrap();

    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_reverted(&w, &account, &wrong, 0).await;
    let (_, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(default, (next + 3).to_string());
    let written = ssm
        .get_document()
        .name(DOC)
        .document_version(&default)
        .send()
        .await
        .unwrap()
        .content()
        .unwrap()
        .to_string();
    // Not the keyed layout (taken), but one drawn from [2^62, 2^63): a
    // marker of 63 tabs and spaces after the opening brace.
    let marker: String = written[1..]
        .chars()
        .take_while(|c| *c == '\t' || *c == ' ')
        .collect();
    assert_eq!(marker.len(), 63, "{written:?}");
    assert_ne!(written, planted);
    assert_eq!(
        serde_json::from_str::<Value>(&written).unwrap(),
        serde_json::from_str::<Value>(&planted).unwrap()
    );
}
