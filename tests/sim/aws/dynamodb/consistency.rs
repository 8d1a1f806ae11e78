//! What a read sees: strongly consistent reads see every write; a global
//! secondary index sees a table write once it has propagated (AWS: "usually
//! within a fraction of a second", in write order); an eventually consistent
//! read of the table may see it as it was a moment ago (AWS: "might not
//! reflect the results of a recently completed write"). Both lags are the
//! harness's (zero unless it sets them, which is moto's behaviour).
//! Source: the developer guide's "Read consistency" and "Global secondary
//! indexes: data synchronization".

use std::borrow::Cow;
use std::ops::Bound;

use super::value::Item;
use super::{Dynamo, Entry, Gsi, Key, KeyVal, Table};

/// The least table key (keys are S, N or B; S sorts first).
fn min_key() -> Key {
    (KeyVal::S(String::new()), None)
}

/// How far back an eventually consistent read may look (AWS's replicas
/// converge within about a second; the harness's lag is capped here).
pub const STALE_MAX_MS: i64 = 10_000;

impl Gsi {
    /// Puts the index's copy of the item at `key` (or its absence) in place.
    fn apply(&mut self, key: &Key, item: Option<Item>) {
        if let Some((h, r)) = self.by_key.remove(key) {
            self.entries.remove(&(h, r, key.clone()));
        }
        if let Some(item) = item {
            if let Some((h, r, k)) = self.entry(&item, key) {
                self.by_key.insert(k.clone(), (h.clone(), r.clone()));
                self.entries.insert((h, r, k), item);
            }
        }
    }

    /// The entries under one index hash value, after `after` (exclusive)
    /// or from the first, in index order.
    pub(super) fn after<'a>(
        &'a self,
        hash: &'a KeyVal,
        after: Option<Entry>,
    ) -> impl Iterator<Item = (&'a Entry, &'a Item)> + 'a {
        let lower = match after {
            Some(e) => Bound::Excluded(e),
            None => Bound::Included((hash.clone(), None, min_key())),
        };
        self.entries
            .range((lower, Bound::Unbounded))
            .take_while(move |(e, _)| e.0 == *hash)
    }

    /// Every entry after `after` (exclusive), in index order.
    pub(super) fn scan_after(&self, after: Option<Entry>) -> impl Iterator<Item = (&Entry, &Item)> {
        let lower = match after {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        };
        self.entries.range((lower, Bound::Unbounded))
    }
}

impl Table {
    /// Writes (or deletes) the item at `key`: at once in the table, in the
    /// indexes after the index lag, remembered for stale reads.
    pub(super) fn write(&mut self, key: &Key, item: Option<Item>) {
        let old = self.items.get(key).cloned();
        if self.stale_ms > 0 {
            let horizon = self.now_ms.saturating_sub(STALE_MAX_MS);
            let versions = self.recent.entry(key.clone()).or_default();
            versions.retain(|(at, _)| *at >= horizon);
            versions.push((self.now_ms, old));
        }
        for g in &mut self.gsis {
            if self.index_lag_ms <= 0 && g.pending.is_empty() {
                g.apply(key, item.clone());
            } else {
                let due = self.now_ms.saturating_add(self.index_lag_ms.max(0));
                // In write order: a later write is never visible before an earlier one.
                let due = g.pending.back().map_or(due, |(d, _, _)| due.max(*d));
                g.pending.push_back((due, key.clone(), item.clone()));
            }
        }
        match item {
            Some(item) => {
                self.items.insert(key.clone(), item);
            }
            None => {
                self.items.remove(key);
            }
        }
    }

    /// Propagates index updates due by `now` (all of them for `None`);
    /// how many.
    pub(super) fn settle(&mut self, now: Option<i64>) -> usize {
        let mut done = 0;
        for g in &mut self.gsis {
            while let Some((due, _, _)) = g.pending.front() {
                if now.is_some_and(|n| *due > n) {
                    break;
                }
                let (_, key, item) = g.pending.pop_front().expect("a front");
                g.apply(&key, item);
                done += 1;
            }
        }
        done
    }

    /// The time an eventually consistent read sees the table at; `None`
    /// for a consistent read (or no stale reads asked for).
    pub(super) fn read_at(&self, consistent: bool) -> Option<i64> {
        (!consistent && self.stale_ms > 0)
            .then(|| self.now_ms.saturating_sub(self.stale_ms.min(STALE_MAX_MS)))
    }

    /// The item at `key` as a read at `at` sees it.
    pub(super) fn get_at(&self, key: &Key, at: Option<i64>) -> Option<Cow<'_, Item>> {
        if let Some(at) = at {
            let first_later = self
                .recent
                .get(key)
                .and_then(|v| v.iter().find(|(written, _)| *written > at));
            if let Some((_, before)) = first_later {
                return before.as_ref().map(Cow::Borrowed);
            }
        }
        self.items.get(key).map(Cow::Borrowed)
    }

    /// The items of one partition (or all with `None`) after the key
    /// `after` (exclusive), in key order, as a read at `at` sees them;
    /// lazily for a current read.
    pub(super) fn rows<'a>(
        &'a self,
        hash: Option<&'a KeyVal>,
        after: Option<&Key>,
        at: Option<i64>,
    ) -> Box<dyn Iterator<Item = (Key, Cow<'a, Item>)> + 'a> {
        if at.is_some() {
            let after = after.cloned();
            return Box::new(
                self.read(hash, at)
                    .into_iter()
                    .filter(move |(k, _)| after.as_ref().is_none_or(|a| k > a)),
            );
        }
        let lower = match (after, hash) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(h)) => Bound::Included((h.clone(), None)),
            (None, None) => Bound::Unbounded,
        };
        Box::new(
            self.items
                .range((lower, Bound::Unbounded))
                .take_while(move |(k, _)| hash.is_none_or(|h| k.0 == *h))
                .map(|(k, i)| (k.clone(), Cow::Borrowed(i))),
        )
    }

    /// The items of one partition (or all with `None`), in key order, as a
    /// read at `at` sees them.
    pub(super) fn read(&self, hash: Option<&KeyVal>, at: Option<i64>) -> Vec<(Key, Cow<'_, Item>)> {
        let in_part = |k: &Key| hash.is_none_or(|h| k.0 == *h);
        let start = (hash.cloned().unwrap_or(KeyVal::S(String::new())), None);
        let current = self
            .items
            .range(start.clone()..)
            .map(|(k, _)| k)
            .take_while(|k| in_part(k));
        let Some(at) = at else {
            return current
                .map(|k| (k.clone(), Cow::Borrowed(&self.items[k])))
                .collect();
        };
        let mut keys: std::collections::BTreeSet<&Key> = current.collect();
        keys.extend(
            self.recent
                .range(start..)
                .map(|(k, _)| k)
                .take_while(|k| in_part(k)),
        );
        keys.into_iter()
            .filter_map(|k| self.get_at(k, Some(at)).map(|i| (k.clone(), i)))
            .collect()
    }
}

impl Dynamo {
    /// From now on, a table write reaches its global secondary indexes
    /// `ms` later (0: at once, as moto does). AWS's indexes lag by
    /// "a fraction of a second" and apply writes in order.
    pub fn set_index_lag_ms(&mut self, ms: i64) {
        self.index_lag_ms = ms.max(0);
    }

    /// From now on, an eventually consistent read (no `ConsistentRead`)
    /// sees the table as it was `ms` ago (0: as it is, as moto does; at
    /// most [`STALE_MAX_MS`]). Indexes lag by [`Dynamo::set_index_lag_ms`].
    pub fn set_stale_read_ms(&mut self, ms: i64) {
        self.stale_ms = ms.clamp(0, STALE_MAX_MS);
    }

    /// Propagates every pending index update (quiescence); how many.
    pub fn settle_indexes(&mut self) -> usize {
        self.tables.values_mut().map(|t| t.settle(None)).sum()
    }
}
