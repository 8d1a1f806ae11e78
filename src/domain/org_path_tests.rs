use super::*;

const ACCOUNT: &str = "111122223333";
const ORG: &str = "o-abc1234567";
const ROOT: &str = "r-ab12";
const OU1: &str = "ou-ab12-11111111";
const OU2: &str = "ou-ab12-22222222";

fn path(ids: &[&str]) -> PathsRead {
    PathsRead::Path(ids.iter().map(|s| s.to_string()).collect())
}

fn read(entries: &[&str], root: Option<&str>) -> PathsRead {
    let owned: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
    account_path(Some(&owned), ACCOUNT, root)
}

fn unreadable(r: &PathsRead) -> bool {
    matches!(r, PathsRead::Unreadable(why) if !why.is_empty())
}

#[test]
fn absent_paths_ask_for_the_walk() {
    assert_eq!(account_path(None, ACCOUNT, None), PathsRead::Absent);
    assert_eq!(account_path(None, ACCOUNT, Some(ROOT)), PathsRead::Absent);
}

#[test]
fn well_formed_entries_give_the_root_first_path() {
    let two_deep = format!("{ORG}/{ROOT}/{OU1}/{OU2}/{ACCOUNT}/");
    let at_root = format!("{ORG}/{ROOT}/{ACCOUNT}/");
    let five = format!(
        "{ORG}/{ROOT}/{OU1}/{OU2}/ou-ab12-33333333/ou-ab12-44444444/ou-ab12-55555555/{ACCOUNT}/"
    );
    let cases: &[(&str, Option<&str>, PathsRead)] = &[
        (&two_deep, None, path(&[ROOT, OU1, OU2])),
        (&two_deep, Some(ROOT), path(&[ROOT, OU1, OU2])),
        (&at_root, None, path(&[ROOT])),
        (
            &five,
            None,
            path(&[
                ROOT,
                OU1,
                OU2,
                "ou-ab12-33333333",
                "ou-ab12-44444444",
                "ou-ab12-55555555",
            ]),
        ),
    ];
    for (entry, root, want) in cases {
        assert_eq!(&read(&[entry], *root), want, "{entry} under {root:?}");
    }
}

#[test]
fn hostile_single_entries_are_unreadable() {
    let long_ou = format!("ou-ab12-{}", "a".repeat(33));
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "empty string"),
        ("/".into(), "a slash alone"),
        (format!("{ORG}/{ROOT}/{OU1}/{ACCOUNT}"), "no trailing slash"),
        (
            format!("{ORG}/{ROOT}/{OU1}/444455556666/"),
            "another account at the end",
        ),
        (format!("{ORG}/{ROOT}/{OU1}/"), "an OU at the end"),
        (format!("{ORG}/{ROOT}/{OU1}/{ACCOUNT}//"), "an empty part"),
        (format!("{ORG}//{OU1}/{ACCOUNT}/"), "no root"),
        (format!("{ROOT}/{OU1}/{ACCOUNT}/"), "no organization"),
        (
            format!("o-short/{ROOT}/{ACCOUNT}/"),
            "organization id too short",
        ),
        (format!("{ORG}/r-AB12/{ACCOUNT}/"), "root id in capitals"),
        (format!("{ORG}/r-a/{ACCOUNT}/"), "root id too short"),
        (
            format!("{ORG}/{ROOT}/ou-zz99-11111111/{ACCOUNT}/"),
            "an OU under another root",
        ),
        (
            format!("{ORG}/{ROOT}/ou-ab12-1111/{ACCOUNT}/"),
            "OU id too short",
        ),
        (
            format!("{ORG}/{ROOT}/{long_ou}/{ACCOUNT}/"),
            "OU id too long",
        ),
        (
            format!("{ORG}/{ROOT}/{OU1}/{ROOT}/{ACCOUNT}/"),
            "a root in the middle",
        ),
        (format!("{ORG}/{ROOT}/../{ACCOUNT}/"), "a dot-dot part"),
        (
            format!("{ORG}/{ROOT}/{OU1}/11112222333/"),
            "an 11-digit account",
        ),
        (
            format!("{ORG}/{ROOT}/{OU1}/1111222233334/"),
            "a 13-digit account",
        ),
        (format!("{ORG}/{ROOT}/{OU1}/{ACCOUNT}/ "), "trailing space"),
        (format!(" {ORG}/{ROOT}/{OU1}/{ACCOUNT}/"), "leading space"),
        (
            format!("{ORG}/{ROOT}/{OU1}/{ACCOUNT}/\n"),
            "trailing newline",
        ),
        (
            format!("{ORG}/{ROOT}/{}{ACCOUNT}/", format!("{OU1}/").repeat(6)),
            "six OUs",
        ),
        (
            format!("{ORG}/{ROOT}/{}{ACCOUNT}/", "x/".repeat(400)),
            "far too long",
        ),
        (
            format!("{ORG}/{ROOT}/оu-ab12-11111111/{ACCOUNT}/"),
            "a Cyrillic o",
        ),
    ];
    for (entry, what) in &cases {
        let got = read(&[entry], None);
        assert!(unreadable(&got), "{what}: {entry:?} gave {got:?}");
    }
}

#[test]
fn an_entry_under_another_root_than_the_known_one_is_unreadable() {
    let entry = format!("{ORG}/r-cd34/ou-cd34-11111111/{ACCOUNT}/");
    assert!(unreadable(&read(&[&entry], Some(ROOT))));
    // Without a known root it stands on its own.
    assert_eq!(read(&[&entry], None), path(&["r-cd34", "ou-cd34-11111111"]));
}

#[test]
fn several_entries_are_taken_only_when_the_usable_ones_agree() {
    let here = format!("{ORG}/{ROOT}/{OU1}/{OU2}/{ACCOUNT}/");
    let elsewhere = format!("{ORG}/{ROOT}/{OU1}/{ACCOUNT}/");
    let other_account = format!("{ORG}/{ROOT}/{OU1}/444455556666/");
    let other_root = format!("{ORG}/r-cd34/ou-cd34-11111111/{ACCOUNT}/");
    let other_org = format!("o-zzz9876543/{ROOT}/{OU1}/{OU2}/{ACCOUNT}/");
    let broken = format!("{ORG}/{ROOT}/{OU1}");
    let want = path(&[ROOT, OU1, OU2]);
    // (entries, known root, the path taken or None for the walk, what)
    type Case<'a> = (
        Vec<&'a str>,
        Option<&'a str>,
        Option<&'a PathsRead>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            vec![&here, &here],
            None,
            Some(&want),
            "the same entry twice",
        ),
        (vec![&here, &elsewhere], None, None, "two OU chains"),
        (
            vec![&elsewhere, &here],
            Some(ROOT),
            None,
            "two OU chains, root known",
        ),
        (
            vec![&here, &other_account],
            None,
            Some(&want),
            "another account's entry is passed over",
        ),
        (
            vec![&other_account, &here],
            None,
            Some(&want),
            "in either order",
        ),
        (
            vec![&here, &broken],
            None,
            Some(&want),
            "a malformed entry is passed over",
        ),
        (
            vec![&here, &other_root],
            None,
            None,
            "two roots, none known",
        ),
        (
            vec![&here, &other_root],
            Some(ROOT),
            Some(&want),
            "the known root's entry",
        ),
        (vec![&here, &other_org], None, None, "two organizations"),
        (vec![&other_account, &broken], None, None, "nothing usable"),
        (vec![&other_root], Some(ROOT), None, "only another root's"),
    ];
    for (entries, root, wanted, what) in &cases {
        let got = read(entries, *root);
        match wanted {
            Some(w) => assert_eq!(&got, *w, "{what}"),
            None => assert!(unreadable(&got), "{what}: {got:?}"),
        }
    }
}

#[test]
fn an_empty_or_overlong_list_is_unreadable() {
    assert!(unreadable(&read(&[], None)));
    let here = format!("{ORG}/{ROOT}/{OU1}/{ACCOUNT}/");
    let many: Vec<&str> = std::iter::repeat_n(here.as_str(), MAX_ENTRIES + 1).collect();
    assert!(unreadable(&read(&many, None)));
    let enough: Vec<&str> = std::iter::repeat_n(here.as_str(), MAX_ENTRIES).collect();
    assert_eq!(read(&enough, None), path(&[ROOT, OU1]));
}

#[test]
fn refusals_quote_at_most_a_bounded_part_of_the_entry() {
    let entry = format!("{}/", "z".repeat(500));
    let PathsRead::Unreadable(why) = read(&[&entry], None) else {
        panic!("read");
    };
    assert!(why.len() < 200, "{why}");
}
