//! Attributes an account-region's state item carried until 0.9.0 and no
//! release since 0.10.0 reads or writes (pure): the per-window claims
//! (`told <token> by|seen|until|kept|actor`, 0.7.14 to 0.9.0, a follow-up's
//! token being `named <version> <editor hash>`) and the single claim before
//! them (`window_reported`, `window_by`, `window_prev`, `window_until`,
//! `window_kept`, 0.7.x to 0.7.13). 0.10.0 moved the claims to items of their
//! own, but an upgraded item keeps the old ones: one that grew near
//! DynamoDB's 400 KB item limit under 0.9.0 stays there, and every write
//! that adds bytes to it fails. A run that reads such an item removes them,
//! a bounded chunk per `UpdateItem` ([`chunks`], [`remove_expression`]).
//!
//! The rule is exact, from the names those releases wrote: no current
//! attribute has a space in its name, and the `window_` names are the five
//! `reported.rs` made for its `window` field (`nodes_*` stay).

/// The claims' attributes 0.7.x wrote before the per-version claims.
const SINGLE_CLAIM: [&str; 5] = [
    "window_reported",
    "window_by",
    "window_prev",
    "window_until",
    "window_kept",
];

/// What a per-version claim recorded (`told <token> <what>`).
const CLAIM_PARTS: [&str; 5] = ["by", "seen", "until", "kept", "actor"];

/// Names per `UpdateItem`. DynamoDB allows 300 operators in an update
/// expression and 4 KB of its text; 100 short placeholders stay well
/// inside both (checked in the tests), and a chunk of a 400 KB item
/// is still one write.
pub const CHUNK: usize = 100;
// DynamoDB's 300 operators in one update expression.
const _: () = assert!(CHUNK < 300);

/// DynamoDB's limit on an expression's text, in bytes.
pub const EXPRESSION_LIMIT: usize = 4096;

/// Whether `name` is an attribute of a state item that no release since
/// 0.10.0 reads or writes.
pub fn is_retired(name: &str) -> bool {
    if SINGLE_CLAIM.contains(&name) {
        return true;
    }
    let Some(rest) = name.strip_prefix("told ") else {
        return false;
    };
    let Some((token, what)) = rest.rsplit_once(' ') else {
        return false;
    };
    CLAIM_PARTS.contains(&what) && !token.is_empty() && token.trim() == token
}

/// The retired names among `names`, sorted (one order for every reader).
pub fn retired<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .filter(|n| is_retired(n))
        .cloned()
        .collect();
    out.sort();
    out
}

/// `names` in the chunks one `UpdateItem` each removes.
pub fn chunks(names: &[String]) -> std::slice::Chunks<'_, String> {
    names.chunks(CHUNK)
}

/// The placeholder of a chunk's `i`th name: names with spaces can only be
/// named through one.
pub fn placeholder(i: usize) -> String {
    format!("#old{i}")
}

/// The update that removes a chunk of `len` names, named by [`placeholder`].
pub fn remove_expression(len: usize) -> String {
    let names: Vec<String> = (0..len).map(placeholder).collect();
    format!("REMOVE {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute a state item carries today (`update.rs`, `state.rs`,
    /// `lease.rs`, `held.rs`, `canary.rs`, `check_claim.rs`, `reported.rs`,
    /// `fact_items.rs`'s row check), and the keys.
    const CURRENT: &str = "pk sk account state_shard region document status last_action \
        last_trigger_id last_trigger_kind last_checked first_seen desired_user observed_user \
        observed_run_as_enabled default_version latest_version last_error last_error_code nodes held \
        ou_path mode held_since held_told held_told_at held_told_by drift_seen_by drift_seen_value \
        creating_by creating_until last_actor lease_owner lease_until intent reverts_at last_changed \
        changes judged_v3 judged_v1000 opened_v3 opened_v1000 hub_findings unnamed_put_back unnamed_v3 unnamed_v1000 canary_token canary_written_ms \
        canary_arrived_ms canary_missing_since_ms canary_unwritable canary_error nodes_reported \
        nodes_prev nodes_by checked_at told told_by";

    #[test]
    fn no_current_attribute_is_retired() {
        assert!(CURRENT.split_whitespace().count() > 50);
        for name in CURRENT.split_whitespace() {
            assert!(!is_retired(name), "{name}");
        }
    }

    #[test]
    fn the_names_0_9_0_and_0_7_x_wrote_are_retired() {
        for name in [
            "told 3 by",
            "told 3 seen",
            "told 3 until",
            "told 3 kept",
            "told 3 actor",
            "told 40-900 by",
            "told remade after 9 kept",
            "told named 4 0123456789abcdef by",
            "told named remade after 9 0123456789abcdef actor",
            "window_reported",
            "window_by",
            "window_prev",
            "window_until",
            "window_kept",
        ] {
            assert!(is_retired(name), "{name}");
        }
    }

    #[test]
    fn hostile_names_near_the_rule_are_not_retired() {
        for name in [
            "",
            "told",
            "told ",
            "told by",
            "told  by",
            "told 3  by",
            "told 3 by ",
            " told 3 by",
            "Told 3 by",
            "TOLD 3 BY",
            "told 3 By",
            "told 3 byx",
            "told 3 made",
            "told 3",
            "told_3_by",
            "xtold 3 by",
            "held_told 3 by",
            "told\t3 by",
            "told 3\tby",
            "window_",
            "window_reported2",
            "Window_by",
            "window_by ",
            "window_version_3",
            "nodes_reported",
            "told 3 by\u{0}",
        ] {
            assert!(!is_retired(name), "{name:?}");
        }
    }

    #[test]
    fn retired_names_are_picked_and_sorted() {
        let names: Vec<String> = [
            "status",
            "told 4 by",
            "window_by",
            "told 3 kept",
            "judged_v4",
        ]
        .map(String::from)
        .into();
        assert_eq!(retired(&names), ["told 3 kept", "told 4 by", "window_by"]);
        assert!(retired(&["status".to_string()]).is_empty());
    }

    #[test]
    fn chunks_stay_inside_dynamodbs_expression_limits() {
        let names: Vec<String> = (0..2_505).map(|i| format!("told {i} by")).collect();
        let all: Vec<&[String]> = chunks(&names).collect();
        assert_eq!(all.len(), 26);
        assert!(all.iter().all(|c| c.len() <= CHUNK && !c.is_empty()));
        assert_eq!(all.iter().map(|c| c.len()).sum::<usize>(), names.len());
        let longest = remove_expression(CHUNK);
        assert!(longest.len() < EXPRESSION_LIMIT, "{}", longest.len());
        assert!(chunks(&[]).next().is_none());
    }

    #[test]
    fn the_expression_names_each_placeholder_once() {
        assert_eq!(remove_expression(1), "REMOVE #old0");
        assert_eq!(remove_expression(3), "REMOVE #old0, #old1, #old2");
        assert_eq!(placeholder(99), "#old99");
    }
}
