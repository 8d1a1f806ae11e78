//! The run-as user check, done in one account-region: keep exactly one
//! association running the lookup of the account's user on every node, and
//! read what it found. What to do is decided in `domain::nodes` (pure).

mod found;
mod replace;
mod tagging;

use crate::domain::aws_error::AwsError;
use crate::domain::nodes::plan::{change, choose, plan, Plan};
use crate::domain::nodes::put_back::{Busy, Made, PutBack};
use crate::domain::nodes::{Association, Associations, CreateClaim, Readiness, ASSOCIATION_NAME};
use crate::domain::outcome::{Action, Change, RegionOutcome};
use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;
use replace::{create, put_back, read_back};
use tagging::keep;

/// Reads and writes before a check that keeps meeting someone else's
/// change gives up (each lost race is one version-checked update).
const ATTEMPTS: usize = 3;

/// What one check wants.
pub struct Want<'a> {
    pub document: &'a str,
    pub user: &'a str,
    /// False for a dry run only: audit mode keeps the association too (it
    /// changes nothing about sessions, and readiness is what audit is for).
    pub write: bool,
    /// What the table last recorded here, when `known`.
    pub recorded: Option<&'a Readiness>,
    /// Whether `recorded` is what the table holds (a sweep read it); else
    /// the check reads the row first: the association runas-guard created
    /// is the one it keeps, and a steady look costs one read.
    pub known: bool,
    /// The event's name when an association event brought this run: one
    /// that writes under the check's document (`CreateAssociation`,
    /// `UpdateAssociation`) may have made a copy, so every association of
    /// our name is listed; a `DeleteAssociation` (an id only) is not.
    pub event: Option<&'a str>,
    /// The recorded association as already read (`DescribeAssociation`
    /// beside the account's document reads): the first look costs nothing.
    pub described: Option<Option<Association>>,
}

impl Want<'_> {
    fn lists_copies(&self) -> bool {
        matches!(self.event, Some("CreateAssociation" | "UpdateAssociation"))
    }

    /// An event that took runas-guard's tag off an association (or changed
    /// its value): the row's "tagged" no longer says what SSM holds.
    fn untagged(&self) -> bool {
        matches!(
            self.event,
            Some("RemoveTagsFromResource" | "AddTagsToResource")
        )
    }
}

/// The check's row: `document` is the check document, `nodes` what it found.
pub type Checked = RegionOutcome;

pub async fn check<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    want: &Want<'_>,
) -> Checked {
    let row = match converge(store, claim, want).await {
        Ok(row) => row,
        Err(e) => {
            // Not ERROR here: the account's run may yet hold this row as
            // pending (a new account whose check document has not landed,
            // `InvalidDocument`), and logs each row as it ends, a failure
            // at ERROR (`account::judge`).
            tracing::warn!(account = store.account(), region = store.region(), error_code = %e.code, error = %e, "run-as user check not kept");
            RegionOutcome::failed(store.region(), &e.code, e.to_string())
        }
    };
    row.for_document(want.document, want.user)
}

/// What the row recorded: as the sweep read it, else read now. A row that
/// cannot be read is judged as none (the association is then found by name).
async fn recorded<C: CreateClaim>(claim: &C, want: &Want<'_>) -> Option<Readiness> {
    if want.known {
        return want.recorded.cloned();
    }
    claim.recorded().await.unwrap_or_else(|e| {
        tracing::warn!(error_code = %e.code, error = %e, "cannot read the check's row; looking the association up by name");
        None
    })
}

async fn converge<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    want: &Want<'_>,
) -> Result<RegionOutcome, AwsError> {
    let recorded = recorded(claim, want).await;
    let recorded = recorded.as_ref();
    let recorded_id = recorded.map(|r| r.association_id.as_str());
    let mut described = want.described.clone();
    for _ in 0..ATTEMPTS {
        let found = observe(store, recorded_id, described.take(), want.lists_copies()).await?;
        let (kept, extras) = choose(&found, recorded_id);
        if want.write {
            delete_extras(store, &extras).await?;
        }
        let seen = Seen::of(store.region(), kept, want.user);
        let plan = plan(kept, want.document, want.user);
        if !want.write && !matches!(plan, Plan::Keep(_)) {
            return Ok(seen.row(Action::WouldChange, None, None));
        }
        let Acted {
            action,
            made,
            written,
        } = match act(store, claim, want, recorded, plan).await? {
            Step::Done(acted) => *acted,
            Step::Busy => return Ok(busy(&seen)),
            Step::Again => continue,
        };
        let Made {
            association: made,
            tagged,
        } = made;
        let nodes = Readiness {
            tagged,
            ..found::readiness(store, &made, want.user, recorded).await?
        };
        return Ok(RegionOutcome {
            // The user was right and something else was not: news only
            // when the event was an edit of it (as `inherit`).
            followed: action == Action::Updated
                && seen.before.as_ref().and_then(|b| b.user.as_ref())
                    == Some(&serde_json::Value::String(want.user.to_string())),
            change: written.change,
            replaced: written.replaced,
            ..seen.row(action, Some(&made), Some(nodes))
        });
    }
    Err(kept_changing(store))
}

/// What acting on a plan came to.
enum Step {
    Done(Box<Acted>),
    /// Another run holds the creation claim.
    Busy,
    /// Someone changed it in between: look again.
    Again,
}

struct Acted {
    action: Action,
    made: Made,
    written: Written,
}

/// What a put-back adds to the row.
#[derive(Default)]
struct Written {
    /// What changed since the row recorded it (`nodes::plan::change`).
    change: Option<Change>,
    replaced: Option<String>,
}

async fn act<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    want: &Want<'_>,
    recorded: Option<&Readiness>,
    plan: Plan,
) -> Result<Step, AwsError> {
    let done = |action, made, written| {
        Step::Done(Box::new(Acted {
            action,
            made,
            written,
        }))
    };
    let none = Written::default();
    Ok(match plan {
        Plan::Keep(a) => {
            let trusted = recorded.filter(|_| !want.untagged());
            let made = keep(store, a, trusted, want.write).await;
            done(Action::None, made, none)
        }
        Plan::Create => match created(store, claim, want).await? {
            Ok(m) => {
                let change = change(recorded, None, want.document, want.user);
                done(Action::Created, m, Written { change, ..none })
            }
            Err(Busy) => Step::Busy,
        },
        Plan::Update(old) => {
            let change = change(recorded, Some(&old), want.document, want.user);
            let (made, replaced) =
                match put_back(store, claim, want.document, want.user, &old).await? {
                    PutBack::Updated(m) => (m, None),
                    PutBack::Replaced(m, why) => (m, Some(why.why())),
                    PutBack::Busy => return Ok(Step::Busy),
                    PutBack::Changed => return Ok(Step::Again),
                };
            let written = Written { change, replaced };
            done(Action::Updated, made, written)
        }
    })
}

/// Another run holds the creation claim: that run says what it made.
fn busy(seen: &Seen) -> RegionOutcome {
    RegionOutcome {
        error: Some("another run is creating the check's association".into()),
        ..seen.row(Action::None, None, None)
    }
}

/// None found: create it under the claim, and read back what SSM made.
async fn created<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    want: &Want<'_>,
) -> Result<Result<Made, Busy>, AwsError> {
    if !claim.claim().await? {
        return Ok(Err(Busy));
    }
    let made = create(store, claim, want.user).await?;
    read_back(store, made).await.map(Ok)
}

fn kept_changing<A: Associations>(store: &A) -> AwsError {
    AwsError {
        operation: "UpdateAssociation",
        account: store.account().to_string(),
        region: store.region().to_string(),
        code: "AssociationKeptChanging".into(),
        message: format!(
            "{ASSOCIATION_NAME} changed under every one of {ATTEMPTS} attempts to put it back"
        ),
    }
}

/// A copy of ours (a run that died before recording it, or one made by
/// hand): one association runs the check, not two.
async fn delete_extras<A: Associations>(
    store: &A,
    extras: &[&Association],
) -> Result<(), AwsError> {
    for x in extras {
        if store.delete(&x.id).await? {
            tracing::warn!(account = store.account(), region = store.region(), association = %x.id, "deleted a second association of the check");
        }
    }
    Ok(())
}

/// What the association was before this run, for the row.
struct Seen {
    region: String,
    before: Option<RunAs>,
    versions_before: Option<Versions>,
    after: RunAs,
}

impl Seen {
    fn of(region: &str, kept: Option<&Association>, user: &str) -> Seen {
        Seen {
            region: region.to_string(),
            before: kept.map(run_as),
            versions_before: kept.map(versions),
            after: RunAs::desired(user),
        }
    }

    fn row(
        &self,
        action: Action,
        now: Option<&Association>,
        nodes: Option<Readiness>,
    ) -> RegionOutcome {
        RegionOutcome {
            region: self.region.clone(),
            action,
            before: self.before.clone(),
            after: Some(self.after.clone()),
            versions_before: self.versions_before.clone(),
            version_after: now.map(|a| a.version.clone()),
            nodes,
            ..RegionOutcome::default()
        }
    }
}

/// What SSM holds: the recorded association alone when it is still there
/// (one read; runas-guard created it, so it is ours whatever an editor made
/// of it), else every association that carries our name; both when the
/// event may have made a copy.
async fn observe<A: Associations>(
    store: &A,
    recorded: Option<&str>,
    described: Option<Option<Association>>,
    list: bool,
) -> Result<Vec<Association>, AwsError> {
    let mine = match (recorded, described) {
        (Some(_), Some(read)) => read,
        (Some(id), None) => store.describe(id).await?,
        (None, _) => None,
    };
    match mine {
        Some(a) if !list => Ok(vec![a]),
        Some(a) => {
            let mut found = store.find().await?;
            // Renamed, it is no longer listed under our name: still ours.
            if !found.iter().any(|f| f.id == a.id) {
                found.push(a);
            }
            Ok(found)
        }
        None => store.find().await,
    }
}

fn run_as(a: &Association) -> RunAs {
    RunAs {
        enabled: Some(serde_json::Value::Bool(true)),
        user: a.user.clone().map(serde_json::Value::String),
    }
}

fn versions(a: &Association) -> Versions {
    Versions {
        default: a.version.clone(),
        latest: a.version.clone(),
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
