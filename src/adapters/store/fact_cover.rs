//! A default switch's window and its version's told window, one fact or
//! two (`domain::version_gap::through`). A switch's window (`"3 default
//! from <when>"`) is claimed first on its version's item (`"3"`), where
//! any run that tells the version, knowing the switch or not, claims it:
//! the first teller wins, whichever window it read. Only where that item
//! was told without the switch (its told window did not cover the
//! switch's second) is the switch's window a fact of its own, claimed on
//! its own item. Until 0.19.0 the two were claimed on their own items
//! always, and a run that read the version without the switch (a retry
//! whose read failed, a run racing the switch's) told it beside the
//! switch's run (simulation seeds 900288 and 900371).

use std::collections::BTreeMap;

use crate::adapters::aws::dynamodb::{get_n, get_s, Item};
use crate::adapters::store::fact_items::attribute;
use crate::domain::clock::parse_iso;
use crate::domain::version_gap::{switch_opened, Reach};

/// The token whose item a claim of `token` is made on first: a switch's
/// window's version, any other token itself.
pub(super) fn first_key(token: &str) -> &str {
    switch_opened(token).map_or(token, |(version, _)| version)
}

/// The switches' windows among `tokens`, by the version whose item they
/// are claimed on first: the window's token and the start of its switch's
/// second.
pub(super) fn switches(tokens: &[String]) -> BTreeMap<String, (String, i64)> {
    tokens
        .iter()
        .filter_map(|t| {
            let (version, end) = switch_opened(t)?;
            Some((version.to_string(), (t.clone(), end)))
        })
        .collect()
}

/// Whether `version`'s told item, on the merged item (`told <t> <what>`),
/// was told without the window a switch in the second starting at `at`
/// opened: its told window did not cover that second (`Reach::covers`),
/// or does not say what it covered (an item written before 0.19.0). Told
/// twice then, rather than a switch's window never.
pub(super) fn told_before(item: &Item, version: &str, at: i64) -> bool {
    let span = |what: &str| get_n(item, &attribute(version, what));
    let made = get_s(item, &attribute(version, "made")).and_then(|m| parse_iso(&m));
    let reach = span("opened").zip(span("through"));
    !reach.is_some_and(|(opened, through)| Reach { opened, through }.covers(at, made))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::dynamodb::{n, s};

    /// A switch's window is claimed first on its version's item; any
    /// other token, or a hostile one, on its own.
    #[test]
    fn a_switchs_window_is_claimed_first_on_its_versions_item() {
        let cases = [
            ("3 default from 1970-01-01T00:00:02Z", "3"),
            ("3", "3"),
            ("named 3 abc", "named 3 abc"),
            ("remade after 3", "remade after 3"),
            ("3 default from soon", "3 default from soon"),
            ("40-900", "40-900"),
        ];
        for (token, want) in cases {
            assert_eq!(first_key(token), want, "{token}");
        }
        let tokens = ["2", "3 default from 1970-01-01T00:00:02Z", "named 4 x"].map(String::from);
        let want: BTreeMap<String, (String, i64)> =
            [("3".into(), (tokens[1].clone(), 2_000))].into();
        assert_eq!(switches(&tokens), want);
    }

    /// Told without the switch: its told window did not cover the
    /// switch's second, or does not say.
    #[test]
    fn a_told_window_without_the_switch_is_told_before() {
        let item = |span: Option<(i64, i64)>| -> Item {
            span.into_iter()
                .flat_map(|(o, t)| {
                    [
                        (attribute("3", "opened"), n(o)),
                        (attribute("3", "through"), n(t)),
                    ]
                })
                .collect()
        };
        let cases = [
            (Some((1_000, 3_000)), false),
            (Some((2_000, 3_000)), false),
            (Some((2_001, 9_000)), true),
            (Some((1_000, 2_999)), true),
            (Some((0, 0)), true),
            (None, true),
        ];
        for (span, want) in cases {
            assert_eq!(told_before(&item(span), "3", 2_000), want, "{span:?}");
        }
        let only_through: Item = [(attribute("3", "through"), n(9_000))].into();
        assert!(told_before(&only_through, "3", 2_000));
        // Opened within the switch's second, at the version's making: the
        // switch came after it.
        let mut made = item(Some((2_500, 9_000)));
        made.insert(attribute("3", "made"), s("1970-01-01T00:00:02.500Z"));
        assert!(!told_before(&made, "3", 2_000));
        made.insert(attribute("3", "made"), s("not a time"));
        assert!(told_before(&made, "3", 2_000));
    }
}
