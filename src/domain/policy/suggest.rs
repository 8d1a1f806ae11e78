//! "Did you mean": the closest of a few known words by edit distance. A
//! tiny Levenshtein of our own; the inputs are keys, regions, ids and user
//! names, all short, so the quadratic table costs nothing.

/// Edits (insert, delete, substitute, or swap two neighbours) from `a` to
/// `b`, counted in characters. A swap counts once because `eu-wset-1` is one
/// slip of the fingers, not two.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Longer than anything a policy names on purpose: a huge value is never
/// compared (the table would be its length squared).
const LONGEST_COMPARED: usize = 64;

/// The candidate nearest to `word` within `max` edits (ties: the first
/// listed), never `word` itself. Case differences count as edits, except
/// that a candidate equal to `word` but for case is always the answer.
pub fn closest<'a, I>(word: &str, candidates: I, max: usize) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    if word.chars().count() > LONGEST_COMPARED {
        return None;
    }
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word || c.chars().count() > LONGEST_COMPARED {
            continue;
        }
        let d = if c.eq_ignore_ascii_case(word) {
            0
        } else {
            distance(word, c)
        };
        if d <= max && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("", "abc", 3),
            ("regions", "regions", 0),
            ("regoins", "regions", 1),
            ("eu-wset-1", "eu-west-1", 1),
            ("me-central1", "me-central-1", 1),
            ("Regions", "regions", 1),
            ("ü", "u", 1),
            ("kitten", "sitting", 3),
        ] {
            assert_eq!(distance(a, b), d, "{a:?} {b:?}");
            assert_eq!(distance(b, a), d, "{b:?} {a:?}");
        }
    }

    #[test]
    fn closest_is_within_reach_and_never_the_word_itself() {
        let keys = ["regions", "member_role", "mode", "fallback_roles"];
        assert_eq!(closest("regoins", keys, 2), Some("regions"));
        assert_eq!(closest("REGIONS", keys, 2), Some("regions"));
        assert_eq!(closest("member-role", keys, 2), Some("member_role"));
        assert_eq!(closest("regions", keys, 2), None);
        assert_eq!(closest("colour", keys, 2), None);
        assert_eq!(closest(&"x".repeat(100_000), keys, 2), None);
        assert_eq!(closest("", keys, 2), None);
    }
}
