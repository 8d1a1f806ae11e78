//! Identifiers: account and region names, ARNs, STS session names, and the
//! tokens and stable ids that make retries recognise themselves.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`.
/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`.
pub fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 || s.len() > 25 {
        return false;
    }
    let (last, rest) = parts.split_last().expect("len >= 3");
    !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Role name from a role ARN (`arn:aws:iam::1:role/path/Name` -> `Name`).
pub fn role_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":role/")?;
    rest.rsplit('/').next()
}

/// STS session names: 2-64 of `[\w+=,.@-]`; they show in the member's
/// CloudTrail and name the trigger that caused the write. They are never
/// used to recognise our own writes: a caller chooses its session name.
pub fn session_name(trigger_id: &str) -> String {
    let clean: String = trigger_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("runas-guard-{clean}");
    name.truncate(64);
    name
}

pub fn partition_for(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A token unique to one run (claim and lease owner): a retried call carrying
/// it recognises its own earlier success.
pub fn token() -> String {
    format!("{:016x}", unpredictable())
}

/// Where [`unpredictable`] draws from while a replayable schedule runs (the
/// simulation, as `clock::anchor` pins time): a sequence from its seed, so a
/// seed's every id, and so its trace, is the same on each replay. `None`
/// (always, in the product): the operating system's randomness.
static DRAWN: std::sync::Mutex<Option<u64>> = std::sync::Mutex::new(None);

/// Draws every later id from `seed` (`None`: from the operating system again).
pub fn draw_from(seed: Option<u64>) {
    *DRAWN.lock().unwrap_or_else(|p| p.into_inner()) = seed;
}

/// The next value of a seeded sequence (SplitMix64: every state gives
/// another value, and consecutive values share no pattern).
fn next_drawn(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 64 bits nobody outside this process can predict (std's `RandomState` keys
/// SipHash from the operating system's random source, per process).
pub fn unpredictable() -> u64 {
    if let Some(state) = DRAWN.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        return next_drawn(state);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded from the OS per process; the counter and clock
    // keep tokens of one process apart.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// FNV-1a: a stable hash (same input, same id on every machine and release),
/// unlike std's `DefaultHasher`.
pub fn stable_id(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_valid() {
        assert_eq!(session_name("abc-123"), "runas-guard-abc-123");
        assert_eq!(session_name("a b/c:d"), "runas-guard-a-b-c-d");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_for("us-east-1"), "aws");
        assert_eq!(partition_for("cn-north-1"), "aws-cn");
        assert_eq!(partition_for("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn a_seeded_sequence_replays_and_does_not_repeat() {
        let draw = |seed: u64, n: usize| {
            let mut state = seed;
            (0..n).map(|_| next_drawn(&mut state)).collect::<Vec<u64>>()
        };
        assert_eq!(draw(7, 100), draw(7, 100), "the same seed, the same ids");
        assert_ne!(draw(7, 10), draw(8, 10), "another seed, other ids");
        let distinct: std::collections::HashSet<u64> = draw(0, 10_000).into_iter().collect();
        assert_eq!(distinct.len(), 10_000, "seed 0 included");
    }

    #[test]
    fn tokens_differ_and_stable_ids_do_not() {
        let tokens: std::collections::HashSet<String> = (0..1000).map(|_| token()).collect();
        assert_eq!(tokens.len(), 1000);
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        // Part boundaries count: ("ab","") is not ("a","b").
        assert_ne!(stable_id(&["ab", ""]), stable_id(&["a", "b"]));
        assert_eq!(stable_id(&[]), "cbf29ce484222325");
    }
}
