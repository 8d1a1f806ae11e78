//! `runas-guard why` output: a table for a person, JSON for a program (pure).

use super::links::shown;
use super::{Chain, Link, State, Verdict};

/// The state as the table shows it (`cannot read: AccessDenied`).
fn state(l: &Link) -> String {
    match (l.state, &l.error_code) {
        (State::CannotRead, Some(code)) => format!("cannot read: {code}"),
        (s, _) => s.as_str().to_string(),
    }
}

/// The chain, one link a line (notes under their link), then the user and
/// whether the session would start.
pub fn table(c: &Chain) -> String {
    let mut out = format!(
        "account {}, region {}\ncaller:   {}\ndocument: {}\nnode:     {}\n\n",
        c.account,
        c.region,
        c.caller,
        c.document,
        c.node.as_deref().map_or("-".to_string(), shown)
    );
    let states: Vec<String> = c.links.iter().map(state).collect();
    let state_w = states.iter().map(|s| s.len()).max().unwrap_or(0).max(5);
    let link_w = c
        .links
        .iter()
        .map(|l| l.source.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    out.push_str(&format!(
        "{:<4}  {:<state_w$}  {:<link_w$}  HOLDS\n",
        "STEP", "STATE", "LINK"
    ));
    for (l, s) in c.links.iter().zip(&states) {
        out.push_str(&format!(
            "{:<4}  {s:<state_w$}  {:<link_w$}  {}\n",
            l.step, l.source, l.holds
        ));
        if let Some(note) = &l.note {
            out.push_str(&format!("{:<4}  {:<state_w$}  note: {note}\n", "", ""));
        }
    }
    let user = match (&c.user, c.decided_by, c.session.verdict) {
        (Some(u), Some(by), _) => format!("{} (decided by {by})", shown(u)),
        (Some(u), None, _) => shown(u),
        (None, Some(by), Verdict::WouldBeRefused) => format!("none: the session stops at {by}"),
        (None, Some(by), Verdict::WouldStart) => format!("none (decided by {by})"),
        (None, Some(by), _) => format!("not known (decided by {by})"),
        (None, None, _) => "not known".into(),
    };
    out.push_str(&format!(
        "\nuser:     {user}\nsession:  {}\n",
        c.session.text
    ));
    let wanted = match (&c.policy, &c.policy_error) {
        (Some(w), _) => format!("wants {}", w.line()),
        (None, Some(e)) => format!("cannot read: {e}"),
        (None, None) => "-".into(),
    };
    out.push_str(&format!("policy:   {wanted}\n"));
    out
}

pub fn json(c: &Chain) -> String {
    serde_json::to_string_pretty(c).expect("plain data serialises")
}
