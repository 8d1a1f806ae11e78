//! How long each event field that becomes a key, a name or a message part
//! may be. Real values are far shorter (ids are 36 characters, ARNs at most
//! 2,048); anything longer is not a real event and is refused with the field
//! named, before it can reach a DynamoDB key (2,048 bytes for a sort key,
//! 1,024 for a partition key), an SNS subject or a chat message, and so
//! before it could be retried into a dead-letter queue.

use super::fields::field_error;
use super::{EventError, Trigger};

/// `(field, bound)`, in the order they are checked. Documented in
/// `events/README.md`.
pub const BOUNDS: [(&str, usize); 12] = [
    ("id", 128),
    ("source", 128),
    ("detail-type", 128),
    ("detail.eventName", 128),
    ("region", 32),
    ("detail.eventTime", 64),
    ("detail.sourceIPAddress", 256),
    ("detail.userAgent", 2048),
    ("actor (detail.userIdentity)", 2048),
    ("document name", 2048),
    ("principal", 2048),
    ("tag or attribute value", 4096),
];

fn bound(field: &str) -> usize {
    BOUNDS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(usize::MAX, |(_, b)| *b)
}

/// The first field of `t` longer than its bound, as a field error.
pub(super) fn check(t: &Trigger, detail_type: &str) -> Result<(), EventError> {
    let c = &t.context;
    let fields: [(&str, Option<&str>); 12] = [
        ("id", Some(&t.event_id)),
        ("source", Some(&t.source)),
        ("detail-type", Some(detail_type)),
        ("detail.eventName", t.event_name.as_deref()),
        ("region", t.region.as_deref()),
        ("detail.eventTime", c.event_time.as_deref()),
        ("detail.sourceIPAddress", c.source_ip.as_deref()),
        ("detail.userAgent", c.user_agent.as_deref()),
        (
            "actor (detail.userIdentity)",
            t.actor.as_ref().map(|a| a.arn.as_str()),
        ),
        ("document name", c.document.as_deref()),
        ("principal", c.principal.as_deref()),
        ("tag or attribute value", c.run_as_value.as_deref()),
    ];
    for (field, value) in fields {
        let Some(v) = value else { continue };
        let max = bound(field);
        if v.chars().count() > max {
            return Err(field_error(
                field,
                format!(
                    "is {} characters; at most {max} (no real event has more)",
                    v.chars().count()
                ),
            ));
        }
    }
    Ok(())
}
