//! An edit event's first look, in this life, at a slot of an account that
//! joined the organization again (or first): the default it puts back may
//! have been made before the join, while nobody governed the account. That
//! put-back configures the account's new life (`account_configured`); told
//! as the event's editor's drift it would blame them for another life's
//! setting (simulation seed 600483: an admin's later edit named for a
//! default set while the account was out).

use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::life;
use crate::domain::outcome::RegionOutcome;

use super::Ctx;

/// `regions` with each first-look put-back of another life's default
/// marked ([`RegionOutcome::another_life`]). Reads only where a put-back
/// could be one: the join (cached from the run's `DescribeAccount`) and
/// the found default's creation time. A read that fails leaves the row as
/// it was: the editor is told.
pub(super) async fn marked(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    mut regions: Vec<RegionOutcome>,
    recorded: Option<&Snapshot>,
) -> Vec<RegionOutcome> {
    // Rows not read: nothing says the slot is unrecorded in this life.
    let Some(rows) = recorded else {
        return regions;
    };
    let wanted: Vec<usize> = (0..regions.len())
        .filter(|&i| {
            let o = &regions[i];
            // A row of this life that read no version (the role refused
            // before the member stack landed: `pending`, `failed`) saw
            // nothing: the put-back is still the first look (630119).
            let here = rows
                .get(account, &o.slot())
                .is_some_and(|k| k.default_version.is_some() || k.intent);
            life::first_look_put_back(&job.trigger, o, o.user(user), here)
        })
        .collect();
    if wanted.is_empty() {
        return regions;
    }
    let joined = match ctx.org.joined_ms(account).await {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell when the account joined; a first put-back is told as the editor's");
            return regions;
        }
    };
    for i in wanted {
        let o = &mut regions[i];
        let made = made_ms(session, account, o).await;
        if life::made_before_join(made, joined) {
            tracing::info!(account, region = %o.region, document = o.document_name(), "the default put back was made before the account last joined: this life's configuration, not the editor's drift");
            o.another_life = true;
        }
    }
    regions
}

/// When the default `o` found was made (`GetDocument`'s `CreatedDate`).
async fn made_ms(session: &MemberSession, account: &str, o: &RegionOutcome) -> Option<i64> {
    let default = &o.versions_before.as_ref()?.default;
    let docs = DocumentStore::named(
        session.ssm(&o.region),
        account,
        &o.region,
        o.document_name(),
    );
    match docs.past(default).await {
        Ok(read) => read?.1.as_deref().and_then(clock::parse_iso),
        Err(e) => {
            tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot read when the default was made; the put-back is told as the editor's");
            None
        }
    }
}
