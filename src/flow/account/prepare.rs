//! Before any region is looked at: where the account stands (its OU path),
//! a session in it, its documents observed and its recorded rows, all read
//! at once and needing no claim (the wrapper runs this while the event is
//! claimed).

use tokio::sync::OnceCell;

use super::access::{enter, locate, Entered};
use super::early::Early;
use super::retired;
use super::rows::{recorded, this_life};
use super::Ctx;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::policy::Standing;

/// What preparing an account came to (see [`prepare`]).
pub type Prepare = Result<Option<Prepared>, AwsError>;

/// Where an account stands before any region is looked at: its OU path and,
/// unless it is exempt, a session in it. Read at once, and needing no claim.
pub struct Prepared {
    pub path: Vec<String>,
    pub(super) session: Option<Result<MemberSession, AwsError>>,
    /// Every governed document of `regions`, already observed, by slot.
    pub(super) seen: Early,
    /// What the table last recorded of the account, read beside the rest
    /// when the job has no sweep's view of it ([`change::judge`]).
    pub(super) recorded: Option<Snapshot>,
    /// Why those rows could not be read, when they were wanted and the
    /// Query failed: the run cannot tell someone's change from a first
    /// look (`domain::alert::on_rows_unread` says what it does then).
    pub rows_unread: Option<AwsError>,
    /// Member-stack events of a settled account: the regions they name
    /// ([`landed::landed_only`]); `None`, every region asked for.
    pub(super) narrowed: Option<Vec<String>>,
}

impl Prepared {
    /// The account's session, when one was made: what else a run reads in
    /// the account needs no AssumeRole of its own.
    pub fn session(&self) -> Option<MemberSession> {
        self.session.as_ref().and_then(|s| s.as_ref().ok()).cloned()
    }

    /// The regions this run looks at, of those asked for.
    pub fn regions<'a>(&'a self, asked: &'a [String]) -> &'a [String] {
        self.narrowed.as_deref().unwrap_or(asked)
    }
}

/// `None` when the account is not in the organization. The documents of
/// `regions` are observed as soon as the session exists: reading them needs
/// no user, so a nested account's OU path costs no extra round trips.
pub async fn prepare(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    regions: &[String],
) -> Result<Option<Prepared>, AwsError> {
    prepare_with(ctx, job, account, regions, None).await
}

/// [`prepare`] with a session made ahead (a sweep makes the next accounts'
/// while earlier ones read): `None`, the account is assumed into here.
pub async fn prepare_with(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    regions: &[String],
    ahead: Option<Result<MemberSession, AwsError>>,
) -> Result<Option<Prepared>, AwsError> {
    // The account's rows, read once, beside the rest: a member-stack event
    // needs them before it reads documents (which regions to look at), the
    // judgment of changes after.
    let rows = OnceCell::new();
    let entering = enter(ctx, job, account, regions, &rows, ahead);
    let entered = located(ctx, job, account, entering);
    // What 0.9.0 left on the rows goes before any of them is written.
    let read = async {
        let read = rows.get_or_init(|| recorded(ctx, job, account)).await;
        let read = read.as_ref().ok().and_then(Option::as_ref);
        Box::pin(retired::remove(
            ctx,
            job,
            account,
            read.or(job.known.as_deref()),
        ))
        .await;
    };
    let ((path, (session, seen, narrowed)), _) = tokio::join!(entered, read);
    let (recorded, rows_unread) = match rows.into_inner() {
        Some(Ok(Some(rows))) => (Some(this_life(ctx, account, rows).await), None),
        Some(Ok(None)) => (None, None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    Ok(path?.map(|path| Prepared {
        path,
        session,
        seen,
        recorded,
        narrowed,
        rows_unread,
    }))
}

/// The account's OU path, and `enter` run when the account is governed.
async fn located(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    enter: impl std::future::Future<Output = Entered>,
) -> (Result<Option<Vec<String>>, AwsError>, Entered) {
    let governed = |path: &[String]| ctx.policy.standing(account, path) == Standing::Governed;
    let not_entered = || (None, Early::default(), None);
    match ctx.policy.standing_by_id(account) {
        // The common case: the session is made while the path is read.
        Some(Standing::Governed) => tokio::join!(locate(ctx.org, account), enter),
        Some(_) => (locate(ctx.org, account).await, not_entered()),
        // A re-attempt's account was governed when its chain began: the
        // role is tried while the path is read (it is what the account
        // waits for); a session in an account that left governance since
        // is dropped unused.
        None if job.is_reattempt() => match tokio::join!(locate(ctx.org, account), enter) {
            (Ok(Some(path)), entered) if governed(&path) => (Ok(Some(path)), entered),
            (other, _) => (other, not_entered()),
        },
        // Its OU path decides whether it is governed: never assume into an
        // account before knowing it is.
        None => match locate(ctx.org, account).await {
            Ok(Some(path)) if governed(&path) => (Ok(Some(path)), enter.await),
            other => (other, not_entered()),
        },
    }
}
