//! Counts in words for what people read: `1 account`, `2 accounts`.

/// `n` and the noun, plural (an `s`) unless `n` is 1. Only for nouns whose
/// plural is that `s`: account, account-region, node, message.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        for (n, noun, want) in [
            (0, "account", "0 accounts"),
            (1, "account", "1 account"),
            (2, "account", "2 accounts"),
            (1, "account-region", "1 account-region"),
            (11, "account-region", "11 account-regions"),
            (21, "node", "21 nodes"),
        ] {
            assert_eq!(count(n, noun), want);
        }
    }
}
