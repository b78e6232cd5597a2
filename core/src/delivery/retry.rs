//! Exponential backoff with jitter, and what is worth retrying.

use crate::config::RetryConfig;
use crate::stats::DeliveryCounters;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Why one attempt at a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// May succeed later: connection refused or reset, a timeout, HTTP 429 or 5xx.
    Transient {
        /// What happened.
        message: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// Will fail the same way again (HTTP 400 and the other 4xx): never retried.
    Permanent(String),
}

impl Failure {
    /// A transient failure without a server hint.
    pub fn transient(message: impl Into<String>) -> Self {
        Failure::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// A permanent failure.
    pub fn permanent(message: impl Into<String>) -> Self {
        Failure::Permanent(message.into())
    }

    /// Whether retrying is pointless.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Failure::Permanent(_))
    }

    /// What happened.
    pub fn message(&self) -> &str {
        match self {
            Failure::Transient { message, .. } | Failure::Permanent(message) => message,
        }
    }

    /// The failure for an I/O error: transient for what a restarted or reachable-again peer
    /// fixes (refused, reset, aborted, timeouts, unreachable, a broken pipe…), permanent for
    /// the rest (a message too long, a permission denied, an invalid argument).
    pub fn from_io(context: &str, e: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let message = format!("{context}: {e}");
        match e.kind() {
            K::ConnectionRefused
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::NotConnected
            | K::BrokenPipe
            | K::TimedOut
            | K::WouldBlock
            | K::Interrupted
            | K::UnexpectedEof
            | K::AddrNotAvailable
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::ResourceBusy
            | K::OutOfMemory
            // A unix socket that is not there yet: its receiver has not started.
            | K::NotFound => Failure::transient(message),
            // ENOBUFS: the kernel's buffers are full for now.
            _ if e.raw_os_error() == Some(105) => Failure::transient(message),
            _ => Failure::permanent(message),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A request that was given up on: the last failure and how many attempts were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveUp {
    /// The last attempt's failure.
    pub failure: Failure,
    /// Attempts made, the first included.
    pub attempts: u32,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.failure.is_permanent() {
            "permanent failure"
        } else {
            "gave up"
        };
        write!(
            f,
            "{kind} after {} attempt{}: {}",
            self.attempts,
            if self.attempts == 1 { "" } else { "s" },
            self.failure
        )
    }
}

/// Runs a request under a [`RetryConfig`], sleeping between attempts on the calling thread.
///
/// The delay before retry `n` (from 1) is `d = min(max_ms, initial_ms · 2^(n-1))`, with
/// jitter: a uniformly random time between `d/2` and `d` ("equal jitter"), so sinks that lost
/// the same backend do not come back in step. A server's `Retry-After` raises the delay, up to
/// `max_ms`.
pub struct Retrier {
    cfg: RetryConfig,
    rng: u64,
    sleep: fn(Duration),
}

impl Retrier {
    /// A retrier that sleeps with `std::thread::sleep`.
    pub fn new(cfg: RetryConfig) -> Self {
        Retrier::with_sleep(cfg, std::thread::sleep)
    }

    /// A retrier with its own sleep function (for tests).
    pub fn with_sleep(cfg: RetryConfig, sleep: fn(Duration)) -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(crate::clock::now_ns());
        Retrier {
            cfg,
            rng: h.finish() | 1,
            sleep,
        }
    }

    /// The policy.
    pub fn config(&self) -> &RetryConfig {
        &self.cfg
    }

    /// The delay before retry `n` (1 for the first retry), jitter included.
    pub fn delay(&mut self, n: u32, retry_after: Option<Duration>) -> Duration {
        let cap = self.cfg.max_ms;
        let base = self
            .cfg
            .initial_ms
            .saturating_mul(1u64 << (n.saturating_sub(1)).min(40))
            .min(cap);
        let half = base / 2;
        let jittered = half + self.next() % (base - half + 1);
        let hinted = retry_after.map_or(0, |d| d.as_millis().min(u128::from(cap)) as u64);
        Duration::from_millis(jittered.max(hinted))
    }

    /// xorshift64*: jitter needs no cryptographic quality, only independence between sinks.
    fn next(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Calls `attempt` (with the attempt number, from 1) until it succeeds, fails
    /// permanently, or `attempts` are used up. Counts every attempt, every retry and every
    /// permanent failure in `counters`. Returns the result and the attempts made.
    pub fn run<T>(
        &mut self,
        counters: &DeliveryCounters,
        mut attempt: impl FnMut(u32) -> Result<T, Failure>,
    ) -> Result<(T, u32), GaveUp> {
        let mut n = 1;
        loop {
            counters.request(n > 1);
            match attempt(n) {
                Ok(v) => return Ok((v, n)),
                Err(f @ Failure::Permanent(_)) => {
                    counters.permanent_failure();
                    return Err(GaveUp {
                        failure: f,
                        attempts: n,
                    });
                }
                Err(f) if n >= self.cfg.attempts => {
                    return Err(GaveUp {
                        failure: f,
                        attempts: n,
                    })
                }
                Err(Failure::Transient { retry_after, .. }) => {
                    let d = self.delay(n, retry_after);
                    (self.sleep)(d);
                    n += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn cfg(initial_ms: u64, max_ms: u64, attempts: u32) -> RetryConfig {
        RetryConfig {
            initial_ms,
            max_ms,
            attempts,
        }
    }

    fn no_sleep(_: Duration) {}

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let mut r = Retrier::with_sleep(cfg(100, 1_000, 10), no_sleep);
        assert_eq!(r.config(), &cfg(100, 1_000, 10));
        for _ in 0..200 {
            for (n, base) in [
                (1, 100),
                (2, 200),
                (3, 400),
                (4, 800),
                (5, 1_000),
                (30, 1_000),
            ] {
                let d = r.delay(n, None).as_millis() as u64;
                assert!(d >= base / 2 && d <= base, "retry {n}: {d} ms");
            }
        }
        // The jitter spreads: not every delay is the same.
        let ds: std::collections::HashSet<_> = (0..50).map(|_| r.delay(4, None)).collect();
        assert!(ds.len() > 10, "{ds:?}");
        // Retry-After raises the delay, but never past the cap.
        assert_eq!(
            r.delay(1, Some(Duration::from_millis(700))).as_millis(),
            700
        );
        assert_eq!(r.delay(1, Some(Duration::from_secs(60))).as_millis(), 1_000);
        // A huge retry number does not overflow.
        assert!(r.delay(u32::MAX, None) <= Duration::from_secs(1));
    }

    #[test]
    fn jitter_reaches_both_ends_of_the_upper_half() {
        // d = 4 ms: every delay is 2, 3 or 4 ms, and each of them comes up.
        let mut r = Retrier::with_sleep(cfg(4, 1_000, 10), no_sleep);
        let seen: std::collections::BTreeSet<u128> =
            (0..300).map(|_| r.delay(1, None).as_millis()).collect();
        assert_eq!(seen, [2, 3, 4].into());
    }

    #[test]
    fn retriers_made_together_do_not_jitter_in_step() {
        // Sinks that lost the same backend must not come back in step: each retrier's jitter
        // is its own, even for retriers made at the same moment.
        let delays: Vec<Vec<Duration>> = (0..8)
            .map(|_| {
                let mut r = Retrier::with_sleep(cfg(100, 1_000, 10), no_sleep);
                (0..20).map(|_| r.delay(4, None)).collect()
            })
            .collect();
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert_eq!(distinct.len(), delays.len(), "{delays:?}");
    }

    #[test]
    fn transient_failures_are_retried_until_success() {
        let c = DeliveryCounters::default();
        let mut r = Retrier::with_sleep(cfg(1, 2, 5), no_sleep);
        let got = r.run(&c, |n| {
            if n < 3 {
                Err(Failure::transient("refused"))
            } else {
                Ok(n * 10)
            }
        });
        assert_eq!(got, Ok((30, 3)));
        let mut s = crate::SinkStats::default();
        c.fill_for_test(&mut s);
        assert_eq!((s.requests, s.retries, s.permanent_failures), (3, 2, 0));
    }

    #[test]
    fn permanent_failures_are_never_retried() {
        let c = DeliveryCounters::default();
        let mut r = Retrier::with_sleep(cfg(1, 2, 5), no_sleep);
        let mut calls = 0;
        let got: Result<((), u32), _> = r.run(&c, |_| {
            calls += 1;
            Err(Failure::permanent("HTTP 400"))
        });
        assert_eq!(calls, 1);
        let g = got.unwrap_err();
        assert_eq!(g.attempts, 1);
        assert!(g
            .to_string()
            .contains("permanent failure after 1 attempt: HTTP 400"));
        let mut s = crate::SinkStats::default();
        c.fill_for_test(&mut s);
        assert_eq!((s.requests, s.retries, s.permanent_failures), (1, 0, 1));
    }

    #[test]
    fn attempts_are_bounded() {
        let c = DeliveryCounters::default();
        let mut r = Retrier::with_sleep(cfg(1, 2, 4), no_sleep);
        let got: Result<((), u32), _> = r.run(&c, |_| Err(Failure::transient("down")));
        assert_eq!(got.unwrap_err().attempts, 4);
        let mut s = crate::SinkStats::default();
        c.fill_for_test(&mut s);
        assert_eq!((s.requests, s.retries, s.permanent_failures), (4, 3, 0));
    }

    #[test]
    fn io_errors_are_classified() {
        use io::ErrorKind as K;
        for k in [
            K::ConnectionRefused,
            K::ConnectionReset,
            K::TimedOut,
            K::BrokenPipe,
        ] {
            assert!(
                !Failure::from_io("x", &io::Error::from(k)).is_permanent(),
                "{k:?}"
            );
        }
        for k in [K::PermissionDenied, K::InvalidInput] {
            assert!(
                Failure::from_io("x", &io::Error::from(k)).is_permanent(),
                "{k:?}"
            );
        }
        // EMSGSIZE: the message will never fit.
        assert!(Failure::from_io("x", &io::Error::from_raw_os_error(90)).is_permanent());
        assert!(!Failure::from_io("x", &io::Error::from_raw_os_error(105)).is_permanent());
    }
}
