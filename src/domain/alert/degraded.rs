//! `sweep_degraded`: a whole sweep governed no account, or far fewer than
//! the last one under the same policy (see [`crate::domain::degraded`]).

use serde_json::{json, Value};

use super::message::base;
use super::{Alert, Kind, Severity};
use crate::domain::degraded::Degraded;
use crate::domain::trigger::Trigger;

pub fn sweep_degraded(d: &Degraded, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::SweepDegraded;
    let mut m = base(kind, Severity::Error, "-", trigger, at);
    m.insert("account".into(), Value::Null);
    m.insert("degraded".into(), json!(d.why));
    m.insert("said".into(), json!(d.said));
    m.insert("accounts".into(), json!(d.accounts));
    m.insert("governed".into(), json!(d.governed));
    m.insert("expected".into(), json!(d.expected));
    m.insert("unreadable".into(), json!(d.unreadable));
    m.insert("last_governed".into(), json!(d.last_governed));
    m.insert("last_at".into(), json!(d.last_at));
    // Accounts that left governance since (exempt or out of scope now).
    m.insert("departed".into(), json!(d.departed));
    m.insert(
        "bound".into(),
        json!(format!(
            "no account governed while accounts in scope should be; or fewer than half of the last sweep's governed accounts less those that left governance since (when that is at least {}) with the policy's scope, exemptions and rules unchanged",
            crate::domain::degraded::MIN_BASELINE
        )),
    );
    let subject = match d.last_governed {
        Some(last) => format!(
            "runas-guard ERROR: sweep degraded: governed {} of {} accounts (last sweep {last})",
            d.governed, d.accounts
        ),
        None => format!(
            "runas-guard ERROR: sweep degraded: governed {} of {} accounts",
            d.governed, d.accounts
        ),
    };
    Alert::new(kind, Severity::Error, "-", &subject, Value::Object(m))
}
