//! Rate limiting: a token bucket per pipeline, or one per value of a chosen label.
//!
//! Each bucket is kept as one number, its theoretical arrival time (the GCRA form of a token
//! bucket): with an emission interval `T = 1 s / per_second` and a tolerance
//! `τ = (burst − 1)·T`, an entry at `now` conforms when `max(tat, now) − now ≤ τ`, and then
//! `tat = max(tat, now) + T`. That is exactly a bucket of `burst` tokens refilled at
//! `per_second`, and a bucket with `tat ≤ now` is full, the same as a new one.
//!
//! With `by_label`, buckets live in a table of at most `max_keys` label values. When a new
//! value finds the table full, buckets that have refilled completely are removed (losslessly:
//! a full bucket is a new bucket), at most once per refill period; if the table is still
//! full, the new value shares one overflow bucket with every other value that has no room.
//! Entries without the label share the bucket of the empty value.

use crate::config::RateLimitConfig;
use crate::entry::EntryData;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// The shortest interval between two sweeps of a full label table.
const MIN_SWEEP_NS: u64 = 100_000_000;

/// The limiter of one pipeline, shared by every producer thread.
pub(crate) struct RateLimiter {
    interval_ns: u64,
    tau_ns: u64,
    buckets: Buckets,
}

enum Buckets {
    One(AtomicU64),
    ByLabel { label: String, table: Mutex<Table> },
}

struct Table {
    tat: HashMap<String, u64>,
    overflow: u64,
    max_keys: usize,
    next_sweep_ns: u64,
}

/// The new arrival time if an entry at `now` conforms.
#[inline]
fn conform(tat: u64, now: u64, interval: u64, tau: u64) -> Option<u64> {
    let t = tat.max(now);
    (t - now <= tau).then(|| t.saturating_add(interval))
}

impl RateLimiter {
    pub(crate) fn new(cfg: &RateLimitConfig) -> Self {
        let interval_ns = ((1e9 / cfg.per_second).round() as u64).max(1);
        let tau_ns = cfg.burst.saturating_sub(1).saturating_mul(interval_ns);
        let buckets = match &cfg.by_label {
            None => Buckets::One(AtomicU64::new(0)),
            Some(label) => Buckets::ByLabel {
                label: label.clone(),
                table: Mutex::new(Table {
                    tat: HashMap::new(),
                    overflow: 0,
                    max_keys: cfg.max_keys,
                    next_sweep_ns: 0,
                }),
            },
        };
        RateLimiter {
            interval_ns,
            tau_ns,
            buckets,
        }
    }

    /// Takes a token for `e` at `now`; returns whether the entry may pass. Call it exactly
    /// once per entry: a call that returns `true` has spent the token.
    #[inline]
    pub(crate) fn allow(&self, e: &EntryData, now: u64) -> bool {
        let (t, tau) = (self.interval_ns, self.tau_ns);
        match &self.buckets {
            Buckets::One(tat) => {
                let mut cur = tat.load(Ordering::Relaxed);
                loop {
                    let Some(next) = conform(cur, now, t, tau) else {
                        return false;
                    };
                    match tat.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
                    {
                        Ok(_) => return true,
                        Err(seen) => cur = seen,
                    }
                }
            }
            Buckets::ByLabel { label, table } => {
                let value = e.label(label).unwrap_or("");
                table.lock().allow(value, now, t, tau)
            }
        }
    }
}

impl Table {
    fn allow(&mut self, value: &str, now: u64, t: u64, tau: u64) -> bool {
        if let Some(tat) = self.tat.get_mut(value) {
            return update(tat, now, t, tau);
        }
        if self.tat.len() >= self.max_keys && now >= self.next_sweep_ns {
            self.tat.retain(|_, tat| *tat > now);
            self.next_sweep_ns = now.saturating_add((t.saturating_add(tau)).max(MIN_SWEEP_NS));
        }
        if self.tat.len() < self.max_keys {
            let mut tat = 0;
            let ok = update(&mut tat, now, t, tau);
            self.tat.insert(value.to_owned(), tat);
            return ok;
        }
        update(&mut self.overflow, now, t, tau)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tat.len()
    }
}

#[inline]
fn update(tat: &mut u64, now: u64, t: u64, tau: u64) -> bool {
    match conform(*tat, now, t, tau) {
        Some(next) => {
            *tat = next;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn limiter(
        per_second: f64,
        burst: u64,
        by_label: Option<&str>,
        max_keys: usize,
    ) -> RateLimiter {
        RateLimiter::new(&RateLimitConfig {
            per_second,
            burst,
            by_label: by_label.map(str::to_owned),
            max_keys,
        })
    }

    fn entry(service: Option<&str>) -> EntryData {
        let mut e = EntryData::new();
        if let Some(s) = service {
            e.set_label("service", s).unwrap();
        }
        e
    }

    fn passed(l: &RateLimiter, e: &EntryData, n: usize, now: u64) -> usize {
        (0..n).filter(|_| l.allow(e, now)).count()
    }

    #[test]
    fn a_burst_then_the_rate() {
        let l = limiter(10.0, 5, None, 0);
        let e = entry(None);
        assert_eq!(passed(&l, &e, 20, 0), 5, "the burst");
        assert_eq!(passed(&l, &e, 20, SEC / 10 - 1), 0, "not yet a token");
        assert_eq!(passed(&l, &e, 20, SEC / 10), 1, "one token per 100 ms");
        assert_eq!(
            passed(&l, &e, 20, SEC / 10 + SEC),
            5,
            "refilled, capped at the burst"
        );
        // A steady trickle at the rate all passes: one entry every 100 ms for 10 s.
        let start = 3 * SEC;
        assert_eq!(passed(&l, &e, 5, start), 5);
        let steady = (1..=100)
            .filter(|i| l.allow(&e, start + i * SEC / 10))
            .count();
        assert_eq!(steady, 100);
    }

    #[test]
    fn fractional_rates() {
        let l = limiter(0.5, 1, None, 0);
        let e = entry(None);
        assert!(l.allow(&e, 0));
        assert!(!l.allow(&e, SEC));
        assert!(l.allow(&e, 2 * SEC));
    }

    #[test]
    fn one_bucket_per_label_value_and_missing_label_shares_one() {
        let l = limiter(1.0, 2, Some("service"), 16);
        let (a, b, none) = (entry(Some("a")), entry(Some("b")), entry(None));
        assert_eq!(passed(&l, &a, 10, 0), 2);
        assert_eq!(passed(&l, &b, 10, 0), 2);
        assert_eq!(passed(&l, &none, 10, 0), 2);
        assert_eq!(
            passed(&l, &entry(Some("")), 10, 0),
            0,
            "empty value = missing label"
        );
        assert_eq!(passed(&l, &a, 10, SEC), 1);
    }

    #[test]
    fn a_full_table_sweeps_refilled_buckets_then_overflows_into_one_bucket() {
        let l = limiter(1.0, 1, Some("service"), 2);
        let table = match &l.buckets {
            Buckets::ByLabel { table, .. } => table,
            Buckets::One(_) => unreachable!(),
        };
        assert!(l.allow(&entry(Some("a")), 0));
        assert!(l.allow(&entry(Some("b")), 0));
        // The table is full and nothing has refilled: c and d share the overflow bucket.
        assert!(l.allow(&entry(Some("c")), 0));
        assert!(!l.allow(&entry(Some("d")), 0));
        assert_eq!(table.lock().len(), 2);
        // a and b are still limited: a full table never resets a bucket that is in use.
        assert!(!l.allow(&entry(Some("a")), 0));
        // After a refill period, a and b are full buckets: a sweep frees their slots.
        assert!(l.allow(&entry(Some("d")), 2 * SEC));
        assert_eq!(table.lock().len(), 1);
        assert!(l.allow(&entry(Some("a")), 2 * SEC));
        assert!(!l.allow(&entry(Some("a")), 2 * SEC));
    }

    #[test]
    fn concurrent_takers_never_exceed_the_burst() {
        let l = limiter(1.0, 1000, None, 0);
        let e = entry(None);
        let n = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| n.fetch_add(passed(&l, &e, 1000, 7), Ordering::Relaxed));
            }
        });
        assert_eq!(n.into_inner(), 1000);
    }
}
