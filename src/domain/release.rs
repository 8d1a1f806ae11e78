//! Which commit a release is, and how `--version` names a build relative
//! to it. Pure, with no crate dependency: build.rs compiles this same file
//! (`#[path]`), because tags do not travel with every clone and the
//! CHANGELOG does. A release section names its commit on a line of its own,
//! `Commit: `1a2b3c4d5e6f``, under `## [x.y.z] - YYYY-MM-DD`.

/// The commit the CHANGELOG's `## [version]` section names, or None when
/// there is no such section, it names none, or the text is ambiguous (the
/// section twice, two different commits): a wrong count is worse than none.
pub fn release_commit(changelog: &str, version: &str) -> Option<String> {
    let mut fenced = false;
    let mut sections = 0;
    let mut inside = false;
    let mut found: Option<String> = None;
    for line in changelog.lines() {
        let line = line.trim_end();
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            inside = is_heading_of(heading, version);
            sections += usize::from(inside);
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(hash) = commit_line(line) {
            match &found {
                Some(seen) if *seen != hash => return None,
                _ => found = Some(hash),
            }
        }
    }
    if sections == 1 {
        found
    } else {
        None
    }
}

/// `[0.3.0]` alone or followed by ` - date`: never `[0.3.0.1]` or `[0.3.0-rc1]`.
fn is_heading_of(heading: &str, version: &str) -> bool {
    heading
        .strip_prefix('[')
        .and_then(|rest| rest.strip_prefix(version))
        .and_then(|rest| rest.strip_prefix(']'))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(" - "))
}

/// The hash of a `Commit: `hex`` line: 7 to 40 lowercase hex digits, as git
/// prints them; anything else on the line and it is not a commit line.
fn commit_line(line: &str) -> Option<String> {
    let hash = line.strip_prefix("Commit: `")?.strip_suffix('`')?;
    let hex = hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && (7..=40).contains(&hash.len())).then(|| hash.to_string())
}

/// `0.3.0 (rev)` at the release commit or when the distance is unknown;
/// `0.3.0+12 (rev)` twelve commits past it.
pub fn long_version(version: &str, since_release: Option<u64>, rev: &str) -> String {
    match since_release {
        Some(n) if n > 0 => format!("{version}+{n} ({rev})"),
        _ => format!("{version} ({rev})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "# Changelog\n\n## [Unreleased]\n\n- work\n\n\
        ## [0.3.0] - 2026-11-23\n\nCommit: `592d1f675797`\n\n### Added\n\n\
        ## [0.2.0] - 2026-11-22\n\nCommit: `84c718e57d5c`\n";

    #[test]
    fn the_section_of_the_version_names_its_commit() {
        let cases: &[(&str, &str, &str, Option<&str>)] = &[
            ("plain", OK, "0.3.0", Some("592d1f675797")),
            ("older section", OK, "0.2.0", Some("84c718e57d5c")),
            ("no such section", OK, "0.4.0", None),
            ("undated heading", "## [0.3.0]\nCommit: `abcdef1`\n", "0.3.0", Some("abcdef1")),
            ("CRLF", "## [0.3.0] - 2026-11-23\r\nCommit: `abcdef1`\r\n", "0.3.0", Some("abcdef1")),
            ("full hash", &format!("## [1.0.0]\nCommit: `{}`\n", "a".repeat(40)), "1.0.0", Some(&*"a".repeat(40))),
            ("trailing full stop", "## [0.3.0]\nCommit: `abcdef1`.\n", "0.3.0", None),
            ("no commit line", "## [0.3.0] - 2026-11-23\n\n- a thing\n", "0.3.0", None),
            ("the next section's commit", "## [0.3.0]\n- x\n## [0.2.0]\nCommit: `abcdef1`\n", "0.3.0", None),
            ("Unreleased names one", "## [Unreleased]\nCommit: `abcdef1`\n## [0.3.0]\n", "0.3.0", None),
            ("a longer version", "## [0.3.0.1]\nCommit: `abcdef1`\n", "0.3.0", None),
            ("a pre-release", "## [0.3.0-rc1] - 2026-11-20\nCommit: `abcdef1`\n", "0.3.0", None),
            ("a prefix of the version", "## [0.3]\nCommit: `abcdef1`\n", "0.3.0", None),
            ("regex-looking version", "## [0x3x0]\nCommit: `abcdef1`\n", "0.3.0", None),
            ("section twice", "## [0.3.0]\nCommit: `abcdef1`\n## [0.3.0]\n", "0.3.0", None),
            ("two commits", "## [0.3.0]\nCommit: `abcdef1`\nCommit: `abcdef2`\n", "0.3.0", None),
            ("same commit twice", "## [0.3.0]\nCommit: `abcdef1`\nCommit: `abcdef1`\n", "0.3.0", Some("abcdef1")),
            ("too short", "## [0.3.0]\nCommit: `abcde`\n", "0.3.0", None),
            ("too long", &format!("## [0.3.0]\nCommit: `{}`\n", "a".repeat(41)), "0.3.0", None),
            ("upper case", "## [0.3.0]\nCommit: `ABCDEF1`\n", "0.3.0", None),
            ("not hex", "## [0.3.0]\nCommit: `abcdefg`\n", "0.3.0", None),
            ("an option", "## [0.3.0]\nCommit: `--all`\n", "0.3.0", None),
            ("a range", "## [0.3.0]\nCommit: `abcdef1..HEAD`\n", "0.3.0", None),
            ("a ref expression", "## [0.3.0]\nCommit: `HEAD~3`\n", "0.3.0", None),
            ("indented", "## [0.3.0]\n  Commit: `abcdef1`\n", "0.3.0", None),
            ("in prose", "## [0.3.0]\nsee Commit: `abcdef1`\n", "0.3.0", None),
            ("unterminated", "## [0.3.0]\nCommit: `abcdef1\n", "0.3.0", None),
            ("empty", "", "0.3.0", None),
            (
                "heading in a code block",
                "## [Unreleased]\n```\n## [0.3.0]\nCommit: `abcdef1`\n```\n## [0.3.0]\nCommit: `abcdef2`\n",
                "0.3.0",
                Some("abcdef2"),
            ),
            ("commit in a code block", "## [0.3.0]\n```\nCommit: `abcdef1`\n```\n", "0.3.0", None),
            ("level-3 heading is no section", "### [0.3.0]\nCommit: `abcdef1`\n", "0.3.0", None),
        ];
        for (name, text, version, want) in cases {
            assert_eq!(release_commit(text, version).as_deref(), *want, "{name}");
        }
    }

    #[test]
    fn the_version_says_how_far_past_the_release_a_build_is() {
        let cases = [
            (None, "abc", "0.3.0 (abc)"),
            (Some(0), "abc", "0.3.0 (abc)"),
            (Some(12), "abc", "0.3.0+12 (abc)"),
            (Some(1), "abc-modified", "0.3.0+1 (abc-modified)"),
            (None, "no git revision", "0.3.0 (no git revision)"),
        ];
        for (since, rev, want) in cases {
            assert_eq!(long_version("0.3.0", since, rev), want);
        }
    }
}
