//! The alert cards (docs/operate.md, "Alert cards") are what on-call reads
//! while paged: one per alert kind the code defines, each at most
//! [`CARD_WORDS`] words, each saying the severity, what happened, what to do
//! now and when to escalate; and the `runbook` link every alert carries
//! lands on its kind's card.

use runas_guard::domain::alert::{guidance, Kind};

use super::{anchors, repo};

/// The most words a card may have (PagerDuty's and Opsgenie's guidance:
/// what to do now fits in a few lines).
const CARD_WORDS: usize = 120;

/// What every card says, each as a bold label.
const PARTS: [&str; 4] = [
    "**Severity:**",
    "**What happened:**",
    "**Do now:**",
    "**Escalate:**",
];

/// Every alert kind the code defines, as `Kind::as_str` names it
/// (src/domain/alert.rs): read from the source, whose `match` the compiler
/// holds to every variant, so a new kind is seen without a list to update.
fn kinds_in_src() -> Vec<String> {
    let src = std::fs::read_to_string(repo().join("src/domain/alert.rs")).unwrap();
    let start = src.find("pub fn as_str").expect("Kind::as_str");
    let body = &src[start..src[start..].find("\n}\n").map_or(src.len(), |e| start + e)];
    body.lines()
        .filter(|l| l.trim_start().starts_with("Kind::"))
        .filter_map(|l| l.split("=> \"").nth(1)?.split('"').next())
        .map(str::to_string)
        .collect()
}

/// `(kind, body)` of every card: a `### `kind`` heading in the page's
/// `## Alert cards` section, and its text up to the next heading.
fn cards(page: &str) -> Vec<(String, String)> {
    let Some(start) = page.find("\n## Alert cards\n") else {
        return Vec::new();
    };
    let section = &page[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    let mut out: Vec<(String, String)> = Vec::new();
    for line in section.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            let kind = h.trim().trim_matches('`').to_string();
            out.push((kind, String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Words as a reader counts them: runs of text between spaces, a link's
/// target (`](...)`) not counted, Markdown's own marks (`**`, `|`) not
/// words.
fn words(text: &str) -> usize {
    let mut shown = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        shown.push_str(&rest[..i + 1]);
        rest = &rest[i + 2..];
        rest = rest.find(')').map_or("", |e| &rest[e + 1..]);
    }
    shown.push_str(rest);
    shown
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// What is wrong with the page's cards for these kinds, one line each.
fn card_problems(kinds: &[String], page: &str) -> Vec<String> {
    let cards = cards(page);
    let mut found = Vec::new();
    for kind in kinds {
        if !cards.iter().any(|(k, _)| k == kind) {
            found.push(format!(
                "`{kind}`: no card (a `### `{kind}`` under ## Alert cards)"
            ));
        }
    }
    for (kind, body) in &cards {
        if !kinds.contains(kind) {
            found.push(format!(
                "`{kind}`: a card for a kind the code does not define"
            ));
        }
        let n = words(body);
        if n > CARD_WORDS {
            found.push(format!("`{kind}`: {n} words, at most {CARD_WORDS}"));
        }
        for part in PARTS.iter().filter(|p| !body.contains(*p)) {
            found.push(format!("`{kind}`: no {part}"));
        }
    }
    found
}

#[test]
fn every_alert_kind_has_a_card_of_at_most_120_words() {
    let kinds = kinds_in_src();
    assert!(
        kinds.len() >= 20 && kinds.iter().any(|k| k == "run_as_window"),
        "{kinds:?}"
    );
    let page = std::fs::read_to_string(repo().join("docs/operate.md")).unwrap();
    let problems = card_problems(&kinds, &page);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The link each alert carries, unset base: the README's folder is the
/// repository's root, so the link is a path from it, and its anchor is a
/// card's heading there.
#[test]
fn every_alerts_runbook_link_lands_on_its_card() {
    let mut found = Vec::new();
    for name in kinds_in_src() {
        let kind: Kind = serde_json::from_value(serde_json::json!(name)).unwrap();
        let link = guidance::runbook("", kind);
        let (path, anchor) = link.split_once('#').unwrap();
        let Ok(page) = std::fs::read_to_string(repo().join(path)) else {
            found.push(format!("{name}: {link}: no such page"));
            continue;
        };
        let on_card = cards(&page).iter().any(|(k, _)| k == &name);
        if !anchors(&page).iter().any(|a| a == anchor) || anchor != name || !on_card {
            found.push(format!("{name}: {link} is not its card"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_card_check_counts_words_and_misses_nothing() {
    let card = |kind: &str, words: usize| {
        let filler = vec!["word"; words - 10].join(" ");
        format!(
            "### `{kind}`\n\n**Severity:** error.\n**What happened:** [x](alerts.md#x) {filler}\n\
             **Do now:** a.\n**Escalate:** b.\n"
        )
    };
    assert_eq!(words(&card("k", 50)), 50 + 1, "the heading's kind too");
    let page = |cards: &[String]| {
        format!(
            "# Operate\n\n## Alert cards\n\n{}\n## Next\n\nmore words here\n",
            cards.concat()
        )
    };
    let kinds = ["a".to_string(), "b".to_string()];
    // (the cards, what the check must say; empty: nothing wrong)
    let cases: [(Vec<String>, Vec<String>); 5] = [
        (vec![card("a", 120), card("b", 10)], vec![]),
        (
            vec![card("a", 121), card("b", 10)],
            vec!["`a`: 121 words, at most 120".into()],
        ),
        (
            vec![card("a", 10)],
            vec!["`b`: no card (a `### `b`` under ## Alert cards)".into()],
        ),
        (
            vec![card("a", 10), card("b", 10), card("c", 10)],
            vec!["`c`: a card for a kind the code does not define".into()],
        ),
        (
            vec![
                card("a", 10),
                card("b", 10).replace("**Escalate:** b.\n", ""),
            ],
            vec!["`b`: no **Escalate:**".into()],
        ),
    ];
    for (cards, want) in cases {
        assert_eq!(card_problems(&kinds, &page(&cards)), want, "{cards:?}");
    }
    assert!(
        card_problems(&kinds, "# Operate\n").len() == 2,
        "a page without the section has no cards"
    );
    assert!(kinds_in_src()
        .iter()
        .all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
}
