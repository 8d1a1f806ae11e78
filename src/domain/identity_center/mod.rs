//! IAM Identity Center's access-control attributes, kept as the policy
//! declares them (`[identity_center]`). Session Manager takes the
//! `SSMSessionRunAs` session tag before any document, and for federated users
//! that tag comes from this mapping: a console edit changes who every
//! engineer's session runs as, with no version history.
//!
//! The model and the decision are here (pure); `sources` says which sources
//! can work for `SSMSessionRunAs`; `keep` holds the ports and what a look decides over two
//! narrow ports; the adapters are `aws::identity_center` (sso-admin) and
//! `store::identity_center` (the table).

use std::collections::BTreeMap;

use serde::Serialize;

pub mod keep;
pub mod sources;

pub use keep::{Kept, MappingStore, News, Turn};

/// What the policy says the mapping is, and what to do when it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Identity Center's home region (where its API and its events are).
    pub region: String,
    /// `None`: the one instance `ListInstances` names.
    pub instance_arn: Option<String>,
    pub mode: KeepMode,
    pub attributes: Mapping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepMode {
    /// Record and alert; never write.
    #[default]
    Alert,
    /// Also put the declared mapping back.
    Enforce,
}

/// Access-control attributes: key -> source. Ordered by key, because
/// Identity Center keeps no meaningful order and two reads of one mapping
/// must compare (and be recorded) equal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Mapping(pub BTreeMap<String, String>);

impl Mapping {
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Mapping(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// One JSON object, keys in order: what the state item and the history
    /// keep, and what two runs compare.
    pub fn canonical(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    pub fn from_canonical(s: &str) -> Option<Mapping> {
        serde_json::from_str(s).ok().map(Mapping)
    }
}

/// The configuration as Identity Center answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// No configuration (never enabled, or deleted): no attribute reaches a session.
    Absent,
    Configured {
        /// `ENABLED`, `CREATION_IN_PROGRESS`, `CREATION_FAILED`.
        status: String,
        mapping: Mapping,
    },
}

impl Observed {
    /// What the table records: the mapping, or `absent`.
    pub fn canonical(&self) -> String {
        match self {
            Observed::Absent => ABSENT.into(),
            Observed::Configured { mapping, .. } => mapping.canonical(),
        }
    }

    /// As a JSON value for alerts and history (`null` when absent).
    pub fn json(&self) -> serde_json::Value {
        match self {
            Observed::Absent => serde_json::Value::Null,
            Observed::Configured { mapping, .. } => {
                serde_json::to_value(mapping).unwrap_or_default()
            }
        }
    }
}

/// [`Observed::canonical`] of no configuration.
pub const ABSENT: &str = "absent";

/// The JSON value of a recorded [`Observed::canonical`].
pub fn recorded_json(canonical: &str) -> serde_json::Value {
    match Mapping::from_canonical(canonical) {
        Some(m) => serde_json::to_value(m).unwrap_or_default(),
        None => serde_json::Value::Null,
    }
}

/// How to put the declared mapping back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// The configuration is gone: `CreateInstanceAccessControlAttributeConfiguration`.
    Create,
    /// `UpdateInstanceAccessControlAttributeConfiguration` (replaces the list).
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// As declared.
    Keep,
    /// Drifted; `Some` when this run may put it back.
    Drift(Option<Restore>),
}

/// Pure: the mapping compares as a set of key -> source (order is not
/// Identity Center's to keep), and a declared empty mapping matches a
/// missing configuration.
pub fn plan(declared: &Mapping, observed: &Observed, mode: KeepMode) -> Plan {
    let same = match observed {
        Observed::Absent => declared.0.is_empty(),
        Observed::Configured { mapping, .. } => mapping == declared,
    };
    if same {
        return Plan::Keep;
    }
    if mode == KeepMode::Alert {
        return Plan::Drift(None);
    }
    Plan::Drift(Some(match observed {
        Observed::Absent => Restore::Create,
        Observed::Configured { .. } => Restore::Update,
    }))
}

/// One key's difference, for the alert and the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub key: String,
    /// What the policy declares (`None`: not declared).
    pub declared: Option<String>,
    /// What Identity Center holds (`None`: missing).
    pub found: Option<String>,
}

/// Every key whose source differs from the declaration, in key order.
pub fn changes(declared: &Mapping, observed: &Observed) -> Vec<Change> {
    let empty = Mapping::default();
    let found = match observed {
        Observed::Absent => &empty,
        Observed::Configured { mapping, .. } => mapping,
    };
    let keys: std::collections::BTreeSet<&String> =
        declared.0.keys().chain(found.0.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let d = declared.0.get(k);
            let f = found.0.get(k);
            (d != f).then(|| Change {
                key: k.clone(),
                declared: d.cloned(),
                found: f.cloned(),
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
