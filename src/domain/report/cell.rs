//! What a table cell may hold. Names and OU paths are chosen by whoever
//! creates accounts and OUs: a cell never carries a control character (an
//! escape sequence would drive the reader's terminal) or an invisible
//! direction mark (it would reorder what the reader sees), and a long one
//! is cut so one row cannot push every column off the screen.

/// Widest NAME cell; the full name is in JSON and CSV.
pub const NAME_WIDTH: usize = 32;
/// Widest OU PATH cell; the full path is in JSON and CSV.
pub const PATH_WIDTH: usize = 40;

/// Zero-width and direction-changing characters (Unicode "format"
/// characters a terminal shows as nothing, or uses to reorder text).
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// One line of plain text: each control or invisible character a space.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || invisible(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// At most `width` characters, the end cut to `…`.
pub fn fit(s: &str, width: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= width {
        return s;
    }
    let kept: String = s.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// At most `width` characters of an OU path, cut at the root's end and
/// at an OU's boundary where one is in reach: the OUs nearest the account
/// say most about it.
pub fn fit_path(s: &str, width: usize) -> String {
    let s = clean(s);
    let n = s.chars().count();
    if n <= width {
        return s;
    }
    let tail: String = s.chars().skip(n - width.saturating_sub(1)).collect();
    let whole_ous = match tail.find('/') {
        Some(at) if !s.ends_with(&format!("/{tail}")) => &tail[at..],
        _ => tail.as_str(),
    };
    format!("…{whole_ous}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_one_plain_line_of_bounded_width() {
        // (input, width, fit, fit_path)
        let long = "a".repeat(50);
        let cases: &[(&str, usize, &str, &str)] = &[
            ("prod", 8, "prod", "prod"),
            ("", 8, "", ""),
            ("line\nbreak\ttab", 20, "line break tab", "line break tab"),
            ("\u{1b}[31mred\u{1b}[0m", 20, " [31mred [0m", " [31mred [0m"),
            ("evil\u{202e}txt.exe", 20, "evil txt.exe", "evil txt.exe"),
            ("zero\u{200b}width", 20, "zero width", "zero width"),
            (
                "Root/Workloads/Prod/Payments",
                16,
                "Root/Workloads/…",
                "…/Prod/Payments",
            ),
            (
                "Root/Workloads/Prod/Payments",
                14,
                "Root/Workload…",
                "…Prod/Payments",
            ),
            ("Root/VeryLongSingleOuName", 10, "Root/Very…", "…gleOuName"),
            ("exactly8", 8, "exactly8", "exactly8"),
            ("Zürich-Büro", 6, "Züric…", "…-Büro"),
        ];
        for (input, width, cut, path) in cases {
            assert_eq!(fit(input, *width), *cut, "fit {input:?}");
            assert_eq!(fit_path(input, *width), *path, "fit_path {input:?}");
            assert!(fit(input, *width).chars().count() <= *width);
        }
        assert_eq!(fit(&long, NAME_WIDTH).chars().count(), NAME_WIDTH);
        assert!(fit_path(&long, PATH_WIDTH).starts_with('…'));
    }
}
