//! `check` over an in-memory State Manager that can be raced: a peer's
//! write lands between our read and our update, a peer holds the creation
//! claim, copies carry our name.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::*;
use crate::domain::nodes::{Counts, CHECK_DOCUMENT, MAX_NODE_IDS, SCHEDULE};

#[derive(Default)]
struct Fake {
    assocs: Mutex<Vec<Association>>,
    /// Applied once, just before our first update: a peer's edit.
    peer_edit: Mutex<Option<String>>,
    failed_nodes: Vec<String>,
    calls: Mutex<Vec<String>>,
    next_id: Mutex<u32>,
    /// SSM refuses every update: the association has 1,000 versions.
    at_limit: bool,
    /// Associations carrying runas-guard's tag.
    tagged: Mutex<BTreeSet<String>>,
    /// The member role's tag conditions (infra/member.yaml): an untagged
    /// creation or an update of an untagged association is refused.
    guard: bool,
    /// A member role from before the tag's grant: every tag is refused.
    old_role: bool,
    /// A peer deletes this association just before our tag reaches it.
    deleted_before_tag: Mutex<Option<String>>,
    /// Associations an editor filled with 50 tags of their own: no tag fits.
    full_of_tags: Mutex<BTreeSet<String>>,
}

impl Fake {
    fn with(assocs: Vec<Association>) -> Fake {
        Fake {
            assocs: Mutex::new(assocs),
            ..Fake::default()
        }
    }

    fn log(&self, call: &str) {
        self.calls.lock().unwrap().push(call.to_string());
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn is_tagged(&self, id: &str) -> bool {
        self.tagged.lock().unwrap().contains(id)
    }

    fn denied(&self, op: &'static str) -> AwsError {
        AwsError {
            operation: op,
            account: self.account().into(),
            region: self.region().into(),
            code: "AccessDeniedException".into(),
            message: format!("not authorized to perform: ssm:{op}"),
        }
    }
}

fn assoc(id: &str, user: &str, version: &str) -> Association {
    Association {
        id: id.into(),
        version: version.into(),
        name: Some(ASSOCIATION_NAME.into()),
        document: CHECK_DOCUMENT.into(),
        user: Some(user.into()),
        all_nodes: true,
        schedule: Some(SCHEDULE.into()),
        counts: Counts {
            success: 3,
            ..Counts::default()
        },
        ..Association::default()
    }
}

impl Associations for Fake {
    fn account(&self) -> &str {
        "111122223333"
    }
    fn region(&self) -> &str {
        "eu-west-1"
    }
    async fn find(&self) -> Result<Vec<Association>, AwsError> {
        self.log("find");
        Ok(self.assocs.lock().unwrap().clone())
    }
    async fn describe(&self, id: &str) -> Result<Option<Association>, AwsError> {
        self.log("describe");
        Ok(self
            .assocs
            .lock()
            .unwrap()
            .iter()
            .find(|a| a.id == id)
            .cloned())
    }
    async fn create(&self, user: &str, tagged: bool) -> Result<Association, AwsError> {
        self.log(if tagged { "create" } else { "create untagged" });
        if (tagged && self.old_role) || (!tagged && self.guard) {
            return Err(self.denied("CreateAssociation"));
        }
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        let a = assoc(&format!("new-{n}"), user, "1");
        self.assocs.lock().unwrap().push(a.clone());
        if tagged {
            self.tagged.lock().unwrap().insert(a.id.clone());
        }
        Ok(a)
    }
    async fn tag(&self, id: &str) -> Result<(), AwsError> {
        self.log(&format!("tag {id}"));
        if self.old_role {
            return Err(self.denied("AddTagsToResource"));
        }
        if self.full_of_tags.lock().unwrap().contains(id) {
            return Err(AwsError {
                code: "TooManyTagsError".into(),
                message: "The Targets parameter includes too many tags.".into(),
                ..self.denied("AddTagsToResource")
            });
        }
        if let Some(gone) = self.deleted_before_tag.lock().unwrap().take() {
            self.assocs.lock().unwrap().retain(|a| a.id != gone);
        }
        if !self.assocs.lock().unwrap().iter().any(|a| a.id == id) {
            return Err(AwsError {
                code: "InvalidResourceId".into(),
                ..self.denied("AddTagsToResource")
            });
        }
        self.tagged.lock().unwrap().insert(id.to_string());
        Ok(())
    }
    async fn update(
        &self,
        id: &str,
        version: &str,
        user: &str,
    ) -> Result<Option<Association>, AwsError> {
        self.log("update");
        if self.guard && !self.is_tagged(id) {
            return Err(self.denied("UpdateAssociation"));
        }
        if self.at_limit {
            return Err(AwsError {
                operation: "UpdateAssociation",
                account: self.account().into(),
                region: self.region().into(),
                code: "AssociationVersionLimitExceeded".into(),
                message: "Each association has a limit of 1,000 versions.".into(),
            });
        }
        if let Some(peer_user) = self.peer_edit.lock().unwrap().take() {
            let mut all = self.assocs.lock().unwrap();
            let a = all.iter_mut().find(|a| a.id == id).unwrap();
            a.user = Some(peer_user);
            a.version = (a.version.parse::<u32>().unwrap() + 1).to_string();
        }
        let mut all = self.assocs.lock().unwrap();
        let Some(a) = all.iter_mut().find(|a| a.id == id) else {
            return Ok(None);
        };
        if a.version != version {
            return Ok(None);
        }
        a.user = Some(user.into());
        a.version = (a.version.parse::<u32>().unwrap() + 1).to_string();
        Ok(Some(a.clone()))
    }
    async fn delete(&self, id: &str) -> Result<bool, AwsError> {
        self.log(&format!("delete {id}"));
        let mut all = self.assocs.lock().unwrap();
        let before = all.len();
        all.retain(|a| a.id != id);
        Ok(all.len() < before)
    }
    async fn any_linux_or_macos_node(&self) -> Result<bool, AwsError> {
        self.calls.lock().unwrap().push("nodes".into());
        Ok(true)
    }

    async fn document_versions(
        &self,
    ) -> Result<Option<crate::domain::nodes::DocumentVersions>, AwsError> {
        Ok(Some(crate::domain::nodes::DocumentVersions {
            default: "1".into(),
            latest: "1".into(),
        }))
    }

    async fn failed_nodes(
        &self,
        _id: &str,
        bound: usize,
    ) -> Result<Vec<crate::domain::nodes::NodeResult>, AwsError> {
        self.log("failed_nodes");
        // Each failed on the script's line for the user it looked up.
        let line = |user: &str| {
            format!("The operation checkRunAsUserLinux failed because runas-guard: Run As user {user} does not exist on this node (id failed).")
        };
        let user = self
            .assocs
            .lock()
            .unwrap()
            .first()
            .and_then(|a| a.user.clone());
        Ok(self
            .failed_nodes
            .iter()
            .take(bound)
            .map(|n| crate::domain::nodes::NodeResult {
                node: n.clone(),
                status: "Failed".into(),
                detailed: None,
                summary: user.as_deref().map(line),
            })
            .collect())
    }
}

struct Claim(bool);

impl CreateClaim for Claim {
    async fn claim(&self) -> Result<bool, AwsError> {
        Ok(self.0)
    }
    async fn release(&self) -> Result<(), AwsError> {
        Ok(())
    }
    async fn recorded(&self) -> Result<Option<Readiness>, AwsError> {
        Ok(None)
    }
}

/// A row that recorded the association `0` (what an event run reads).
struct Row(Readiness);

impl CreateClaim for Row {
    async fn claim(&self) -> Result<bool, AwsError> {
        Ok(true)
    }
    async fn release(&self) -> Result<(), AwsError> {
        Ok(())
    }
    async fn recorded(&self) -> Result<Option<Readiness>, AwsError> {
        Ok(Some(self.0.clone()))
    }
}

fn want<'a>(user: &'a str, write: bool, recorded: Option<&'a Readiness>) -> Want<'a> {
    Want {
        document: CHECK_DOCUMENT,
        user,
        write,
        recorded,
        known: true,
        event: None,
        described: None,
    }
}

#[tokio::test]
async fn a_peer_edit_between_read_and_update_is_read_again_and_corrected_once() {
    let fake = Fake::with(vec![assoc("a", "root", "4")]);
    *fake.peer_edit.lock().unwrap() = Some("admin".into());
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Updated);
    let a = &fake.assocs.lock().unwrap()[0];
    assert_eq!((a.user.as_deref(), a.version.as_str()), (Some("ops"), "6"));
    // The row's "before" is what the update it made replaced.
    assert_eq!(row.before.unwrap().user, Some(serde_json::json!("admin")));
    assert_eq!(fake.calls().iter().filter(|c| *c == "update").count(), 2);
}

#[tokio::test]
async fn a_steady_check_with_a_record_costs_one_read() {
    let fake = Fake::with(vec![assoc("a", "ops", "2")]);
    let recorded = Readiness {
        association_id: "a".into(),
        association_version: "2".into(),
        user: "ops".into(),
        checked: 3,
        missing: 0,
        missing_nodes: vec![],
        linux_or_macos: None,
        tagged: true,
        ..Default::default()
    };
    let row = check(&fake, &Claim(true), &want("ops", true, Some(&recorded))).await;
    assert_eq!(row.action, Action::None);
    assert_eq!(row.nodes, Some(recorded));
    assert_eq!(fake.calls(), ["describe"]);
}

#[tokio::test]
async fn no_result_asks_once_whether_there_are_linux_or_macos_nodes_then_trusts_none_found() {
    let idle = || Association {
        counts: Counts::default(),
        ..assoc("a", "ops", "2")
    };
    let fake = Fake::with(vec![idle()]);
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.nodes.unwrap().linux_or_macos, Some(true));
    assert_eq!(fake.calls(), ["find", "tag a", "nodes"]);
    let none = Readiness {
        association_id: "a".into(),
        association_version: "2".into(),
        user: "ops".into(),
        linux_or_macos: Some(false),
        tagged: true,
        ..Readiness::default()
    };
    // Nothing has run since "none" was found: no read.
    let fake = Fake::with(vec![idle()]);
    let row = check(&fake, &Claim(true), &want("ops", true, Some(&none))).await;
    assert_eq!(row.nodes.unwrap().linux_or_macos, Some(false));
    assert_eq!(fake.calls(), ["describe"]);
    // Another association (re-created): asked again.
    let other = Readiness {
        association_id: "z".into(),
        ..none.clone()
    };
    let fake = Fake::with(vec![idle()]);
    check(&fake, &Claim(true), &want("ops", true, Some(&other))).await;
    assert!(
        fake.calls().contains(&"nodes".to_string()),
        "{:?}",
        fake.calls()
    );
    // Results found: never asked.
    let fake = Fake::with(vec![assoc("a", "ops", "2")]);
    check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert!(!fake.calls().contains(&"nodes".to_string()));
}

#[tokio::test]
async fn failing_nodes_are_named_up_to_the_bound() {
    let mut fake = Fake::with(vec![Association {
        counts: Counts {
            success: 1,
            failed: 30,
            ..Counts::default()
        },
        ..assoc("a", "ops", "1")
    }]);
    fake.failed_nodes = (0..30).rev().map(|i| format!("i-{i:017}")).collect();
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    let nodes = row.nodes.unwrap();
    // Only the nodes read one by one have a verdict: the rest failed
    // without one read, and are never counted missing.
    assert_eq!((nodes.checked, nodes.missing), (31, MAX_NODE_IDS as u64));
    assert_eq!(nodes.missing_nodes.len(), MAX_NODE_IDS);
    assert_eq!(
        nodes
            .not_run
            .reasons
            .get(&crate::domain::nodes::Reason::NotRead),
        Some(&10)
    );
    assert!(
        nodes.missing_nodes.windows(2).all(|w| w[0] < w[1]),
        "sorted"
    );
}

#[tokio::test]
async fn a_peer_creating_it_keeps_this_run_from_creating_a_second() {
    let fake = Fake::with(vec![]);
    let row = check(&fake, &Claim(false), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::None);
    assert!(row.error.unwrap().contains("another run"));
    assert!(fake.assocs.lock().unwrap().is_empty());
    assert!(!fake.calls().contains(&"create".to_string()));
}

#[tokio::test]
async fn copies_are_deleted_and_the_smallest_id_kept_a_dry_run_only_looks() {
    let fake = Fake::with(vec![assoc("b", "ops", "1"), assoc("a", "ops", "1")]);
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::None);
    assert!(fake.calls().contains(&"delete b".to_string()));
    assert_eq!(fake.assocs.lock().unwrap().len(), 1);

    let audit = Fake::with(vec![assoc("b", "root", "1"), assoc("a", "root", "1")]);
    let row = check(&audit, &Claim(true), &want("ops", false, None)).await;
    assert_eq!(row.action, Action::WouldChange);
    assert!(
        audit.calls().iter().all(|c| c == "find"),
        "{:?}",
        audit.calls()
    );
    assert_eq!(row.document.as_deref(), Some(CHECK_DOCUMENT));
}

#[tokio::test]
async fn a_missing_association_is_created_with_the_user() {
    let fake = Fake::with(vec![]);
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Created);
    assert!(row.before.is_none());
    assert_eq!(row.version_after.as_deref(), Some("1"));
    assert_eq!(fake.assocs.lock().unwrap()[0].user.as_deref(), Some("ops"));
}

#[tokio::test]
async fn an_association_at_its_version_limit_is_replaced_under_the_claim() {
    let fake = Fake {
        at_limit: true,
        ..Fake::with(vec![assoc("a", "root", "1000")])
    };
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Updated, "{row:?}");
    assert!(row.error.is_none(), "{row:?}");
    let calls = fake.calls();
    assert!(
        calls.contains(&"delete a".to_string()) && calls.contains(&"create".to_string()),
        "{calls:?}"
    );
    let all = fake.assocs.lock().unwrap().clone();
    assert_eq!((all.len(), all[0].user.as_deref()), (1, Some("ops")));
    assert_eq!(row.version_after.as_deref(), Some("1"));
    // Another run holds the claim: nothing is deleted, that run says so.
    let held = Fake {
        at_limit: true,
        ..Fake::with(vec![assoc("a", "root", "1000")])
    };
    let row = check(&held, &Claim(false), &want("ops", true, None)).await;
    assert!(row.error.unwrap().contains("another run"));
    assert_eq!(held.assocs.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_update_that_leaves_an_editors_field_is_followed_by_a_replacement() {
    // This fake's update, like SSM under the other reading of its docs,
    // keeps what the request left out.
    let frozen = Association {
        rest: crate::domain::nodes::Rest {
            calendar_names: vec!["freeze".into()],
            ..Default::default()
        },
        ..assoc("a", "ops", "3")
    };
    let fake = Fake::with(vec![frozen]);
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Updated);
    assert!(
        row.followed,
        "the user was right: news only for an edit of it"
    );
    let all = fake.assocs.lock().unwrap().clone();
    assert_eq!(all.len(), 1);
    assert!(all[0].rest.calendar_names.is_empty(), "{all:?}");
    assert_ne!(all[0].id, "a", "made anew");
}

#[tokio::test]
async fn an_event_run_reads_the_row_and_keeps_the_association_it_created() {
    let ours = Readiness {
        association_id: "z-ours".into(),
        association_version: "1".into(),
        user: "ops".into(),
        checked: 3,
        tagged: true,
        ..Readiness::default()
    };
    let copy = assoc("a-copy", "root", "1");
    let fake = Fake::with(vec![assoc("z-ours", "ops", "1"), copy]);
    let mut w = want("ops", true, None);
    (w.known, w.event) = (false, Some("CreateAssociation"));
    let row = check(&fake, &Row(ours.clone()), &w).await;
    assert_eq!(row.action, Action::None, "{row:?}");
    assert!(
        fake.calls().contains(&"delete a-copy".to_string()),
        "{:?}",
        fake.calls()
    );
    assert_eq!(fake.assocs.lock().unwrap()[0].id, "z-ours");

    // A delete of something else: one read, the recorded association.
    let fake = Fake::with(vec![assoc("z-ours", "ops", "1")]);
    w.event = Some("DeleteAssociation");
    let row = check(&fake, &Row(ours), &w).await;
    assert_eq!(row.action, Action::None);
    assert_eq!(fake.calls(), ["describe"]);
}

#[tokio::test]
async fn a_new_association_is_tagged_and_the_row_says_so() {
    let fake = Fake {
        guard: true,
        ..Fake::default()
    };
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Created, "{row:?}");
    assert!(row.nodes.unwrap().tagged);
    assert!(fake.is_tagged("new-1"));
    assert_eq!(fake.calls()[..2], ["find", "create"]);
}

#[tokio::test]
async fn an_untagged_association_is_tagged_once_and_then_never_again() {
    // What 0.3.0 made and recorded: no tag, and a row that does not say one.
    let fake = Fake {
        guard: true,
        ..Fake::with(vec![assoc("a", "ops", "2")])
    };
    let before = Readiness {
        association_id: "a".into(),
        association_version: "2".into(),
        user: "ops".into(),
        checked: 3,
        ..Readiness::default()
    };
    let row = check(&fake, &Claim(true), &want("ops", true, Some(&before))).await;
    assert_eq!(row.action, Action::None, "{row:?}");
    assert_eq!(fake.calls(), ["describe", "tag a"]);
    assert!(fake.is_tagged("a"));
    let now = row.nodes.unwrap();
    assert!(now.tagged);
    fake.calls.lock().unwrap().clear();
    check(&fake, &Claim(true), &want("ops", true, Some(&now))).await;
    assert_eq!(
        fake.calls(),
        ["describe"],
        "once tagged, a steady check reads only"
    );
    // Another association than the row's (re-created by someone): tagged again.
    let other = Readiness {
        association_id: "z".into(),
        ..now
    };
    fake.calls.lock().unwrap().clear();
    check(&fake, &Claim(true), &want("ops", true, Some(&other))).await;
    assert!(
        fake.calls().contains(&"tag a".to_string()),
        "{:?}",
        fake.calls()
    );
}

#[tokio::test]
async fn a_put_back_tags_first_so_a_removed_tag_never_blocks_it() {
    // An editor took the tag off and set another user.
    let fake = Fake {
        guard: true,
        ..Fake::with(vec![assoc("a", "root", "4")])
    };
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Updated, "{row:?}");
    assert!(row.error.is_none(), "{row:?}");
    assert!(row.nodes.unwrap().tagged);
    let calls = fake.calls();
    let at = |c: &str| calls.iter().position(|x| x == c).unwrap();
    assert!(at("tag a") < at("update"), "{calls:?}");
    assert_eq!(fake.assocs.lock().unwrap()[0].user.as_deref(), Some("ops"));
}

#[tokio::test]
async fn a_member_role_without_the_tag_grant_still_gets_its_check_untagged() {
    let fake = Fake {
        old_role: true,
        ..Fake::default()
    };
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Created, "{row:?}");
    assert!(row.error.is_none(), "{row:?}");
    let now = row.nodes.unwrap();
    assert!(!now.tagged);
    assert_eq!(fake.calls()[..3], ["find", "create", "create untagged"]);
    // Each later check tries the tag again; a refusal is not a failed check.
    fake.calls.lock().unwrap().clear();
    let row = check(&fake, &Claim(true), &want("ops", true, Some(&now))).await;
    assert_eq!((row.action, row.error), (Action::None, None));
    assert!(!row.nodes.unwrap().tagged);
    assert_eq!(fake.calls(), ["describe", "tag new-1"]);
}

#[tokio::test]
async fn a_dry_run_never_tags() {
    let fake = Fake::with(vec![assoc("a", "ops", "2")]);
    let row = check(&fake, &Claim(true), &want("ops", false, None)).await;
    assert_eq!(row.action, Action::None);
    assert!(!row.nodes.unwrap().tagged);
    assert!(
        fake.calls().iter().all(|c| !c.starts_with("tag")),
        "{:?}",
        fake.calls()
    );
}

#[test]
fn a_row_from_before_the_tag_reads_as_untagged_and_the_tag_is_kept() {
    let old: Readiness = serde_json::from_value(serde_json::json!({
        "association_id": "a", "association_version": "1", "user": "ops", "checked": 0, "missing": 0
    }))
    .unwrap();
    assert!(!old.tagged);
    assert!(!serde_json::to_string(&old).unwrap().contains("tagged"));
    let now = Readiness {
        tagged: true,
        ..old
    };
    let back: Readiness = serde_json::from_str(&serde_json::to_string(&now).unwrap()).unwrap();
    assert!(back.tagged);
}

#[tokio::test]
async fn an_association_deleted_between_the_read_and_the_put_back_is_made_anew() {
    let fake = Fake {
        guard: true,
        deleted_before_tag: Mutex::new(Some("a".into())),
        ..Fake::with(vec![assoc("a", "root", "4")])
    };
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Created, "{row:?}");
    assert!(row.error.is_none(), "{row:?}");
    let calls = fake.calls();
    assert!(!calls.contains(&"update".to_string()), "{calls:?}");
    let all = fake.assocs.lock().unwrap().clone();
    assert_eq!((all.len(), all[0].user.as_deref()), (1, Some("ops")));
    assert!(fake.is_tagged(&all[0].id));
}

#[tokio::test]
async fn an_event_that_took_the_tag_off_tags_it_again_whatever_the_row_says() {
    let fake = Fake::with(vec![assoc("a", "ops", "2")]);
    let row = Readiness {
        association_id: "a".into(),
        association_version: "2".into(),
        user: "ops".into(),
        checked: 3,
        tagged: true,
        ..Readiness::default()
    };
    for (event, tags) in [
        (Some("RemoveTagsFromResource"), true),
        (Some("AddTagsToResource"), true),
        (Some("DeleteAssociation"), false),
        (None, false),
    ] {
        fake.calls.lock().unwrap().clear();
        let mut w = want("ops", true, None);
        (w.known, w.event) = (false, event);
        let out = check(&fake, &Row(row.clone()), &w).await;
        assert_eq!(out.action, Action::None, "{event:?}");
        assert!(out.nodes.unwrap().tagged, "{event:?}");
        assert_eq!(
            fake.calls().contains(&"tag a".to_string()),
            tags,
            "{event:?}: {:?}",
            fake.calls()
        );
    }
}

#[tokio::test]
async fn an_association_locked_with_fifty_tags_is_replaced_without_an_update() {
    // An editor took the tag off, filled its 50 tags and set another user.
    let fake = Fake {
        guard: true,
        full_of_tags: Mutex::new(BTreeSet::from(["a".to_string()])),
        ..Fake::with(vec![assoc("a", "root", "4")])
    };
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Updated, "{row:?}");
    assert!(row.error.is_none(), "{row:?}");
    let why = row.replaced.clone().unwrap();
    assert!(why.contains("TooManyTagsError"), "{why}");
    assert_eq!(row.change, None, "nothing recorded: a first look");
    let calls = fake.calls();
    assert!(!calls.contains(&"update".to_string()), "{calls:?}");
    assert!(calls.contains(&"delete a".to_string()), "{calls:?}");
    let all = fake.assocs.lock().unwrap().clone();
    assert_eq!((all.len(), all[0].user.as_deref()), (1, Some("ops")));
    assert_ne!(all[0].id, "a");
    assert!(fake.is_tagged(&all[0].id));
    assert!(row.nodes.unwrap().tagged);
    assert_eq!(row.before.unwrap().user, Some(serde_json::json!("root")));
    // Another run holds the creation claim: nothing is deleted.
    let held = Fake {
        guard: true,
        full_of_tags: Mutex::new(BTreeSet::from(["a".to_string()])),
        ..Fake::with(vec![assoc("a", "root", "4")])
    };
    let row = check(&held, &Claim(false), &want("ops", true, None)).await;
    assert!(row.error.unwrap().contains("another run"));
    assert_eq!(held.assocs.lock().unwrap()[0].id, "a");
}

#[tokio::test]
async fn an_update_the_member_role_refuses_for_want_of_the_tag_is_followed_by_a_replacement() {
    // The tag is refused for another reason (a throttle the SDK gave up
    // on): the update is tried, the member role refuses it untagged.
    struct Throttled(Fake);
    impl Associations for Throttled {
        fn account(&self) -> &str {
            self.0.account()
        }
        fn region(&self) -> &str {
            self.0.region()
        }
        async fn find(&self) -> Result<Vec<Association>, AwsError> {
            self.0.find().await
        }
        async fn describe(&self, id: &str) -> Result<Option<Association>, AwsError> {
            self.0.describe(id).await
        }
        async fn document_versions(
            &self,
        ) -> Result<Option<crate::domain::nodes::DocumentVersions>, AwsError> {
            self.0.document_versions().await
        }
        async fn create(&self, user: &str, tagged: bool) -> Result<Association, AwsError> {
            self.0.create(user, tagged).await
        }
        async fn tag(&self, id: &str) -> Result<(), AwsError> {
            self.0.log(&format!("tag {id}"));
            Err(AwsError {
                code: "ThrottlingException".into(),
                ..self.0.denied("AddTagsToResource")
            })
        }
        async fn update(
            &self,
            id: &str,
            version: &str,
            user: &str,
        ) -> Result<Option<Association>, AwsError> {
            self.0.update(id, version, user).await
        }
        async fn delete(&self, id: &str) -> Result<bool, AwsError> {
            self.0.delete(id).await
        }
        async fn any_linux_or_macos_node(&self) -> Result<bool, AwsError> {
            self.0.any_linux_or_macos_node().await
        }
        async fn failed_nodes(
            &self,
            id: &str,
            bound: usize,
        ) -> Result<Vec<crate::domain::nodes::NodeResult>, AwsError> {
            self.0.failed_nodes(id, bound).await
        }
    }
    let fake = Throttled(Fake {
        guard: true,
        ..Fake::with(vec![assoc("a", "root", "4")])
    });
    let row = check(&fake, &Claim(true), &want("ops", true, None)).await;
    assert_eq!(row.action, Action::Updated, "{row:?}");
    let why = row.replaced.unwrap();
    assert!(
        why.contains("ThrottlingException") && why.contains("AccessDeniedException"),
        "{why}"
    );
    let calls = fake.0.calls();
    let at = |c: &str| calls.iter().position(|x| x == c).unwrap();
    assert!(at("update") < at("delete a"), "{calls:?}");
    let all = fake.0.assocs.lock().unwrap().clone();
    assert_eq!((all.len(), all[0].user.as_deref()), (1, Some("ops")));
}

#[tokio::test]
async fn a_new_user_in_the_policy_is_marked_as_the_policys_change() {
    let recorded = Readiness {
        association_id: "a".into(),
        association_version: "2".into(),
        user: "olduser".into(),
        checked: 3,
        tagged: true,
        ..Readiness::default()
    };
    // As runas-guard wrote it for the old user: the policy's change.
    let fake = Fake::with(vec![assoc("a", "olduser", "2")]);
    let row = check(&fake, &Claim(true), &want("ops", true, Some(&recorded))).await;
    assert_eq!(row.action, Action::Updated, "{row:?}");
    assert_eq!(
        row.change,
        Some(crate::domain::outcome::Change::Policy {
            from_user: Some("olduser".into()),
            to_user: "ops".into(),
            from_mode: None,
            to_mode: None,
        }),
        "{row:?}"
    );
    assert!(row.replaced.is_none());
    assert_eq!(fake.assocs.lock().unwrap()[0].user.as_deref(), Some("ops"));
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(
        (&json["change"]["kind"], &json["change"]["to_user"]),
        (&serde_json::json!("policy"), &serde_json::json!("ops"))
    );
    // Someone set another user meanwhile: an edit, whatever the policy did.
    let edited = Fake::with(vec![assoc("a", "root", "3")]);
    let row = check(&edited, &Claim(true), &want("ops", true, Some(&recorded))).await;
    assert_eq!(row.action, Action::Updated);
    assert_eq!(row.change, Some(crate::domain::outcome::Change::Document));
    // The desired user unchanged: an edit of it is never the policy's.
    let same = Readiness {
        user: "ops".into(),
        ..recorded
    };
    let edited = Fake::with(vec![assoc("a", "root", "3")]);
    let row = check(&edited, &Claim(true), &want("ops", true, Some(&same))).await;
    assert_eq!(row.change, Some(crate::domain::outcome::Change::Document));
    // Found right: no change to tell.
    let steady = Fake::with(vec![assoc("a", "ops", "4")]);
    let row = check(&steady, &Claim(true), &want("ops", true, Some(&same))).await;
    assert_eq!((row.action, row.change), (Action::None, None));
}
