//! An edit whose CloudTrail record names the document by ARN
//! (`requestParameters.name` = `arn:aws:ssm:<region>:<account>:document/<name>`)
//! is an edit of that account-region's governed document, and only of that
//! one: an ARN naming another account's (shared) document changes nothing of
//! this account's.
//!
//! moto, like SSM's API model, takes bare names for `UpdateDocument`, so the
//! administrator writes by name and the event carries the ARN form.

use crate::common;

use common::*;
use serde_json::json;

const R: &str = "eu-west-1";

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_named_by_its_arn_is_reverted_and_another_accounts_arn_is_not_ours() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    let other = w.create_account("other", None).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;

    let wrong = || async {
        let mut doc = w.document(&account, R).await.unwrap().0;
        doc["inputs"]["runAsDefaultUser"] = json!("root");
        w.admin_write(&account, R, &doc, true).await
    };

    // Another account's document of the same name, by ARN, in an event of
    // this account: not this account's edit, nothing is looked at.
    let edited = wrong().await;
    let mut foreign = doc_event("UpdateDocument", &account, R, "Admin");
    foreign["detail"]["requestParameters"]["name"] =
        json!(format!("arn:aws:ssm:{R}:{other}:document/{DOC}"));
    let (code, out) = w.handle(&foreign);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["trigger"]["trigger"], "ignored", "{out:#}");
    let (doc, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("root")), "untouched");
    assert_eq!(default, edited);
    assert!(w.alerts().await.is_empty());

    // This account's own document by ARN: reverted, and the alert names it.
    let mut own = doc_event("UpdateDocument", &account, R, "Admin");
    own["detail"]["requestParameters"]["name"] =
        json!(format!("arn:aws:ssm:{R}:{account}:document/{DOC}"));
    let (code, out) = w.handle(&own);
    assert_eq!(code, 0, "{out:#}");
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{out:#}");
    assert_eq!(default, latest);
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert_eq!(alerts[0]["message"]["account"], account.as_str());
    assert_eq!(alerts[0]["message"]["region"], R);
}
