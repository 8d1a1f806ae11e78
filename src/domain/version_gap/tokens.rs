//! A history's windows as the versions a run claims to tell, one claim per
//! version: two runs that read different sets of versions (one read 3
//! and 5, another only 3; one could read version 3, another could not
//! read 1 to 3) tell each version once. Until 0.7.14 a run claimed its
//! whole set as one value, and two different sets both held: the shared
//! version was told twice (simulation seed 780018: `?3` and `?1-3`).

use std::collections::{BTreeMap, BTreeSet};

use super::History;
use crate::domain::window_claim::Teller;

/// A range of versions not judged longer than this is one claim (versions
/// beyond the bound: up to SSM's 1,000), not one per version. Ranges of
/// failed reads are at most [`super::MAX_PAST_READS`] and the versions
/// around them, so they are always split.
pub const SPLIT_UP_TO: u64 = 16;

/// What a run claims to tell of `history`, one token per version: a
/// window's version and a version not judged are the same token (`"3"`:
/// the version is told once, judged or not), a long range is one token
/// (`"40-900"`), a deletion and re-creation is `"remade after 9"`.
pub fn claim_tokens(history: &History) -> Vec<String> {
    let mut out: Vec<String> = history.windows.iter().map(window_token).collect();
    for entry in history.unjudged.iter().flat_map(|u| &u.versions) {
        out.extend(split(entry));
    }
    out.extend(
        history
            .recreated
            .iter()
            .map(|v| format!("remade after {v}")),
    );
    let mut seen = BTreeSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

/// A window's token: its version, or where a default switch opened it
/// (its start the switch, not the version's making: `with_switch_back`)
/// the version and the switch, `"6 default from <when>"`. That window is
/// another fact than the same version told before it was ever the
/// default, and its claim another claim (simulation seed 500260: the
/// version's earlier claim refused the switch's, and its window as the
/// default was never told). The alert's identity takes the same words.
pub fn window_token(w: &super::Window) -> String {
    match w.from.as_ref().filter(|f| w.created.as_ref() != Some(*f)) {
        Some(from) => format!("{} default from {from}", w.version),
        None => w.version.clone(),
    }
}

/// `history` told only as far as `ours` (the tokens this run claimed):
/// what another run claimed is left to it. `None`: nothing left to tell.
pub fn only_claimed(mut history: History, ours: &[String]) -> Option<History> {
    let ours: BTreeSet<&str> = ours.iter().map(String::as_str).collect();
    // A switch's window may be claimed on its version's item
    // (`store::fact_cover`): the version's token stands for it.
    history
        .windows
        .retain(|w| ours.contains(window_token(w).as_str()) || ours.contains(w.version.as_str()));
    // An `unjudged` with no versions says only that the record could not be
    // read (`History::without_record`): it goes with whatever is told.
    let record_unread = history
        .unjudged
        .as_ref()
        .is_some_and(|u| u.versions.is_empty());
    if let Some(u) = history.unjudged.as_mut().filter(|_| !record_unread) {
        let (mut kept, mut dropped) = (Vec::new(), 0usize);
        for entry in &u.versions {
            let tokens = split(entry);
            let mine: Vec<&String> = tokens
                .iter()
                .filter(|t| ours.contains(t.as_str()))
                .collect();
            dropped += tokens
                .iter()
                .filter(|t| !ours.contains(t.as_str()))
                .map(|t| span(t))
                .sum::<usize>();
            match (tokens.len(), mine.len()) {
                (_, 0) => {}
                (n, m) if n == m && n == 1 => kept.push(entry.clone()),
                _ => kept.extend(super::ranges(
                    &mine
                        .iter()
                        .filter_map(|t| t.parse().ok())
                        .collect::<Vec<u64>>(),
                )),
            }
        }
        u.versions = kept;
        history.unread = history.unread.saturating_sub(dropped);
    }
    if !record_unread
        && history
            .unjudged
            .as_ref()
            .is_some_and(|u| u.versions.is_empty())
    {
        history.unjudged = None;
    }
    if let Some(v) = history.recreated.as_ref() {
        if !ours.contains(format!("remade after {v}").as_str()) {
            history.recreated = None;
        }
    }
    history.is_news().then_some(history)
}

/// What a run tells of `history` when another run claimed it all (pure):
/// the versions this run's own event made or made the default (`own`),
/// told by a run whose trigger named another editor or none, as a
/// follow-up naming `actor` (the editor this run's trigger names). Until
/// 0.7.14 that editor went unnamed (simulation seed 96: an admin's event
/// told a version another role made, which that role's event's run then
/// left to it). `None`: nothing to name, or no editor to name.
pub fn follow_up(
    history: History,
    theirs: &[(String, Teller)],
    own: &[u64],
    actor: Option<&str>,
) -> Option<History> {
    let actor = actor?;
    let unnamed: Vec<&(String, Teller)> = theirs
        .iter()
        .filter(|(t, by)| {
            own.iter().any(|v| v.to_string() == token_version(t))
                && by.actor.as_deref() != Some(actor)
        })
        .collect();
    let first = unnamed.first()?.1.clone();
    let tokens: Vec<String> = unnamed.iter().map(|(t, _)| t.clone()).collect();
    let mut told = only_claimed(history, &tokens)?;
    told.follow_up_of = Some(first);
    Some(told)
}

/// The claims of a follow-up naming `actor` (one per version, as
/// [`claim_tokens`]): an editor whose events all arrive after another run
/// told their versions is named once, not once per event.
pub fn naming_tokens(history: &History, actor: &str) -> Vec<String> {
    claim_tokens(history)
        .into_iter()
        .map(|t| naming_token(&t, actor))
        .collect()
}

/// The claim of `token`'s naming of `actor`.
pub fn naming_token(token: &str, actor: &str) -> String {
    format!("named {token} {}", crate::domain::ids::stable_id(&[actor]))
}

/// When AWS says each window's version was made (`CreatedDate`), by
/// version: a claim's item records it, so a document deleted and made
/// again, which numbers its versions from 1 again, does not find its new
/// window told by a former window's item of the same number.
/// A re-creation's token is dated by when its life began
/// (`History::life_made`): each life's re-creation is its own claim.
pub fn made_by_version(history: &History) -> BTreeMap<String, String> {
    let remade = history
        .recreated
        .as_ref()
        .zip(history.life_made.as_ref())
        .map(|(v, made)| (format!("remade after {v}"), made.clone()));
    history
        .windows
        .iter()
        .filter_map(|w| Some((w.version.clone(), w.created.clone()?)))
        .chain(remade)
        .collect()
}

/// The version a claim token stands for: `3` for `"3"`, for a switch's
/// `"3 default from <when>"` and for a naming's `"named 3 <who>"`.
pub fn token_version(token: &str) -> &str {
    if token.starts_with("remade after ") {
        return token;
    }
    let token = token.strip_prefix("named ").unwrap_or(token);
    token.split(' ').next().unwrap_or(token)
}

/// A version or range of them (`"3"`, `"3-7"`) as claim tokens.
fn split(entry: &str) -> Vec<String> {
    let Some((lo, hi)) = entry.split_once('-') else {
        return vec![entry.to_string()];
    };
    match (lo.parse::<u64>(), hi.parse::<u64>()) {
        (Ok(lo), Ok(hi)) if lo <= hi && hi - lo < SPLIT_UP_TO => {
            (lo..=hi).map(|v| v.to_string()).collect()
        }
        _ => vec![entry.to_string()],
    }
}

/// How many versions a token stands for.
fn span(token: &str) -> usize {
    match token.split_once('-') {
        Some((lo, hi)) => match (lo.parse::<u64>(), hi.parse::<u64>()) {
            (Ok(lo), Ok(hi)) if lo <= hi => (hi - lo + 1) as usize,
            _ => 1,
        },
        None => 1,
    }
}

/// A version's item in the ledger of told facts, as a run that did not
/// read the version sees it: who told it, whether its alert is kept, and
/// when AWS made the version it told (where the teller knew).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledgered {
    pub teller: Teller,
    pub kept: bool,
    pub made: Option<String>,
    /// A drift alert told it (`domain::alert::default_told`): its
    /// put-back's mark names the editor.
    pub drift: bool,
}

/// The versions of `own` (those an edit event made, or made the default,
/// that its run did not read) told as a window by another run in no
/// editor's name or another's, its alert kept, and not named for `actor`
/// since (pure): the event's run names `actor` in a follow-up. A version
/// told in `actor`'s name, one not told (in policy, or told as a drift,
/// whose put-back mark names its editor), and one whose teller has not
/// kept its alert yet are not. `ledger`: the slot's items by token.
pub fn to_name<'a>(
    own: &[u64],
    ledger: &'a std::collections::BTreeMap<String, Ledgered>,
    actor: &str,
) -> Vec<(u64, &'a Ledgered)> {
    own.iter()
        .filter_map(|v| {
            let version = v.to_string();
            // The version's window, or a window a switch to it opened.
            let (token, told) = ledger.iter().find(|(t, told)| {
                !t.starts_with("named ") && token_version(t) == version && told.kept
            })?;
            if told.drift {
                return None;
            }
            let named = ledger.contains_key(&naming_token(token, actor));
            let another = told.teller.actor.as_deref() != Some(actor);
            (another && !named).then_some((*v, told))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::root_window as window;
    use super::super::Unjudged;
    use super::*;

    fn history(windows: &[&str], unjudged: &[&str], recreated: Option<&str>) -> History {
        let versions: Vec<String> = unjudged.iter().map(|s| s.to_string()).collect();
        let unread = versions.iter().map(|v| span(v)).sum();
        History {
            windows: windows.iter().map(|v| window(v)).collect(),
            unread,
            unjudged: (!versions.is_empty()).then(|| Unjudged {
                versions,
                operation: "GetDocument",
                error_code: "AccessDeniedException".into(),
                from: None,
            }),
            recreated: recreated.map(str::to_string),
            covered: vec![],
            follow_up_of: None,
            life_made: None,
        }
    }

    /// Seed 500260: a version told before it was the default, then made
    /// the default by a switch, is claimed again under the switch; both
    /// tokens stand for the version, as a naming of either does, and the
    /// switch's window is told where either was claimed.
    #[test]
    fn a_window_a_switch_opened_is_its_own_claim_of_the_same_version() {
        let mut switched = window("6");
        let made = switched.created.clone();
        switched.from = Some("2026-11-26T03:55:45Z".into());
        let token = window_token(&switched);
        assert_eq!(token, "6 default from 2026-11-26T03:55:45Z");
        assert_eq!(token_version(&token), "6");
        assert_eq!(
            token_version(&naming_token(&token, "arn:aws:iam::1:role/A")),
            "6"
        );
        let mut before = window("6");
        before.from = made;
        assert_eq!(window_token(&before), "6");
        // Hostile: a window with no making known, and a remade document's.
        let mut unknown = window("7");
        unknown.created = None;
        unknown.from = None;
        assert_eq!(window_token(&unknown), "7");
        assert_eq!(token_version("remade after 9"), "remade after 9");
        let h = History {
            windows: vec![switched.clone()],
            ..History::default()
        };
        assert_eq!(only_claimed(h.clone(), &["7".into()]), None);
        // Claimed on its own item, or on its version's (`store::fact_cover`).
        for ours in [token, "6".into()] {
            assert_eq!(
                only_claimed(h.clone(), &[ours]).map(|h| h.windows),
                Some(vec![switched.clone()])
            );
        }
    }

    #[test]
    fn a_history_is_claimed_one_version_at_a_time() {
        let cases: &[(History, &[&str])] = &[
            (history(&["2"], &[], None), &["2"]),
            (history(&["2", "5"], &["3-4"], None), &["2", "5", "3", "4"]),
            // Judged by one run, not by another: the same version.
            (history(&["3"], &["3"], None), &["3"]),
            (history(&[], &["1-3"], None), &["1", "2", "3"]),
            (
                history(&[], &["1-16"], None),
                &[
                    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
                    "15", "16",
                ],
            ),
            // Beyond the bound: one claim, whatever its length.
            (history(&[], &["1-17"], None), &["1-17"]),
            (history(&[], &["40-900", "901"], None), &["40-900", "901"]),
            (history(&["1"], &[], Some("9")), &["1", "remade after 9"]),
            (history(&[], &[], None), &[]),
            // Hostile: not numbers, reversed, empty ends: one token each.
            (
                history(&[], &["a-b", "7-3", "-", "5-"], None),
                &["a-b", "7-3", "-", "5-"],
            ),
        ];
        for (h, want) in cases {
            assert_eq!(claim_tokens(h), *want, "{h:?}");
        }
    }

    /// A follow-up names this run's editor for its own versions another run
    /// told, unless that run's trigger named the same editor; nothing is
    /// told without an editor, or of versions not this run's own.
    #[test]
    fn a_follow_up_names_the_editor_of_its_own_versions_told_by_another_run() {
        let by = |actor: Option<&str>| Teller {
            trigger_id: "eb-other".into(),
            actor: actor.map(str::to_string),
        };
        let h = history(&["2"], &["3"], None);
        let admin = Some("arn:aws:iam::1:role/Admin");
        let theirs = vec![("2".to_string(), by(None)), ("3".to_string(), by(admin))];
        type Told<'a> = Option<(&'a [&'a str], &'a [&'a str])>;
        let cases: &[(&[u64], Option<&str>, Told)] = &[
            // The sweep told 2 (no editor): named; 3 was told by Admin's event.
            (&[2], Some("arn:aws:iam::1:role/Ops"), Some((&["2"], &[]))),
            (
                &[2, 3],
                Some("arn:aws:iam::1:role/Ops"),
                Some((&["2"], &["3"])),
            ),
            (&[3], admin, None),
            (&[2, 3], admin, Some((&["2"], &[]))),
            (&[4], Some("arn:aws:iam::1:role/Ops"), None),
            (&[], Some("arn:aws:iam::1:role/Ops"), None),
            (&[2], None, None),
        ];
        for (own, actor, want) in cases {
            let got = follow_up(h.clone(), &theirs, own, *actor);
            let got = got.map(|g| {
                assert_eq!(
                    g.follow_up_of.as_ref().map(|t| t.trigger_id.as_str()),
                    Some("eb-other")
                );
                let windows: Vec<String> = g.windows.iter().map(|w| w.version.clone()).collect();
                let unjudged = g.unjudged.map(|u| u.versions).unwrap_or_default();
                (windows, unjudged)
            });
            let want = want.map(|(w, u)| {
                (
                    w.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                    u.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                )
            });
            assert_eq!(got, want, "own {own:?} actor {actor:?}");
        }
    }

    /// A run that could not read the record says so (`unjudged` of no
    /// versions, the failed `Query`) beside what it claimed, and says
    /// nothing where another run claimed all of it.
    #[test]
    fn a_record_not_read_is_said_beside_what_is_claimed() {
        let mut h = history(&["1", "3"], &[], None);
        h.unjudged = Some(Unjudged {
            versions: vec![],
            operation: "Query",
            error_code: "InternalServerError".into(),
            from: None,
        });
        let ours = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: &[(&[&str], Option<&[&str]>)] = &[
            (&["1", "3"], Some(&["1", "3"])),
            (&["3"], Some(&["3"])),
            (&[], None),
        ];
        for (claimed, want) in cases {
            let got = only_claimed(h.clone(), &ours(claimed));
            let windows = got.as_ref().map(|g| {
                assert_eq!(
                    g.unjudged.as_ref().map(|u| u.operation),
                    Some("Query"),
                    "{claimed:?}"
                );
                g.windows
                    .iter()
                    .map(|w| w.version.clone())
                    .collect::<Vec<_>>()
            });
            assert_eq!(windows, want.map(ours), "{claimed:?}");
        }
    }

    #[test]
    fn an_editor_is_named_once_per_version() {
        let h = history(&["2"], &["3-4"], None);
        let ops = naming_tokens(&h, "arn:aws:iam::1:role/Ops");
        assert_eq!(ops.len(), 3);
        assert!(
            ops[0].starts_with("named 2 ") && ops[2].starts_with("named 4 "),
            "{ops:?}"
        );
        assert_eq!(ops, naming_tokens(&h, "arn:aws:iam::1:role/Ops"), "stable");
        let admin = naming_tokens(&h, "arn:aws:iam::1:role/Admin");
        assert!(ops.iter().all(|t| !admin.contains(t)), "one per editor");
    }

    #[test]
    fn a_history_is_told_only_as_far_as_its_claim() {
        let own = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Another run claimed version 3 (seed 780018: `?3` told, then `?1-3`).
        let h = only_claimed(history(&[], &["1-3"], None), &own(&["1", "2"])).unwrap();
        assert_eq!(h.unjudged.as_ref().unwrap().versions, ["1-2"]);
        assert_eq!(h.unread, 2);
        let h = only_claimed(history(&[], &["1-3"], None), &own(&["1", "3"])).unwrap();
        assert_eq!(h.unjudged.as_ref().unwrap().versions, ["1", "3"]);
        assert_eq!(h.unread, 2);
        // Windows kept by version; a long range whole or not at all.
        let h = history(&["2", "5"], &["40-900"], Some("9"));
        let told = only_claimed(h.clone(), &own(&["5", "40-900"])).unwrap();
        assert_eq!(told.windows.len(), 1);
        assert_eq!(told.windows[0].version, "5");
        assert_eq!(told.unjudged.as_ref().unwrap().versions, ["40-900"]);
        assert_eq!(told.recreated, None);
        let told = only_claimed(h.clone(), &own(&["remade after 9"])).unwrap();
        assert!(
            told.windows.is_empty() && told.unjudged.is_none(),
            "{told:?}"
        );
        assert_eq!((told.recreated.as_deref(), told.unread), (Some("9"), 0));
        // All of it, or none of it.
        assert_eq!(only_claimed(h.clone(), &claim_tokens(&h)), Some(h.clone()));
        assert_eq!(only_claimed(h, &[]), None);
        assert_eq!(only_claimed(history(&["2"], &[], None), &own(&["3"])), None);
    }

    /// Each window's version by when it was made; a naming's token stands
    /// for the version it names, a range or a re-creation for none.
    #[test]
    fn a_tokens_version_and_when_it_was_made() {
        let mut h = history(&["3", "5"], &["7-9"], None);
        h.windows[0].created = Some("t3".into());
        let made = made_by_version(&h);
        assert_eq!(made.len(), 1, "a window whose time is unknown has none");
        assert_eq!(made.get("3").map(String::as_str), Some("t3"));
        // A re-creation is dated by its life's start, where read (seed 900263).
        let mut remade = history(&[], &[], Some("1"));
        assert!(
            made_by_version(&remade).is_empty(),
            "its life's start not read"
        );
        remade.life_made = Some("life 2".into());
        let made = made_by_version(&remade);
        assert_eq!(
            made.get("remade after 1").map(String::as_str),
            Some("life 2")
        );
        for (token, version) in [
            ("3", "3"),
            ("named 3 abc123", "3"),
            ("named remade after 9 abc", "remade"),
            ("7-9", "7-9"),
            ("remade after 9", "remade after 9"),
            ("named ", ""),
            ("", ""),
        ] {
            assert_eq!(token_version(token), version, "{token:?}");
        }
    }

    const LEDGER_ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

    fn ledgered(actor: Option<&str>, kept: bool) -> Ledgered {
        Ledgered {
            teller: Teller {
                trigger_id: "eb-other".into(),
                actor: actor.map(str::to_string),
            },
            kept,
            made: None,
            drift: false,
        }
    }

    /// Seeds 950014, 900033: an edit event's version told by another run
    /// (our own write's event, another editor's) is named once by the
    /// edit's own run, whatever the record says.
    #[test]
    fn an_own_version_told_in_another_name_is_named_unless_named_already() {
        let naming = naming_token("3", LEDGER_ADMIN);
        type Case<'a> = (&'a [(&'a str, Ledgered)], &'a [u64]);
        let cases: &[Case] = &[
            (&[], &[]),
            (&[("3", ledgered(None, true))], &[3]),
            (
                &[(
                    "3",
                    ledgered(Some("arn:aws:iam::111122223333:role/B"), true),
                )],
                &[3],
            ),
            // Told in this editor's name: named.
            (&[("3", ledgered(Some(LEDGER_ADMIN), true))], &[]),
            // The teller has not kept its alert: it may be telling it now.
            (&[("3", ledgered(None, false))], &[]),
            // Named since, by another of this editor's events.
            (
                &[
                    ("3", ledgered(None, true)),
                    (&naming, ledgered(Some(LEDGER_ADMIN), true)),
                ],
                &[],
            ),
            // Another version told: not this event's.
            (&[("4", ledgered(None, true))], &[]),
            // Told by a drift alert (a sweep's put-back): its put-back's mark
            // names the editor, not a window's follow-up.
            (
                &[(
                    "3",
                    Ledgered {
                        drift: true,
                        ..ledgered(None, true)
                    },
                )],
                &[],
            ),
            // The window a switch to it opened.
            (
                &[("3 default from 2026-11-26T03:55:45Z", ledgered(None, true))],
                &[3],
            ),
        ];
        for (items, want) in cases {
            let ledger: BTreeMap<String, Ledgered> = items
                .iter()
                .map(|(t, l)| (t.to_string(), l.clone()))
                .collect();
            let got: Vec<u64> = to_name(&[3], &ledger, LEDGER_ADMIN)
                .iter()
                .map(|(v, _)| *v)
                .collect();
            assert_eq!(&got, want, "{items:?}");
        }
        // Hostile: an empty actor names nobody, a naming of another editor
        // is not this one's.
        let ledger: BTreeMap<String, Ledgered> = [
            ("3".to_string(), ledgered(Some(""), true)),
            (
                naming_token("3", "arn:aws:iam::111122223333:role/B"),
                ledgered(Some("arn:aws:iam::111122223333:role/B"), true),
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(to_name(&[3], &ledger, LEDGER_ADMIN).len(), 1);
    }
}
