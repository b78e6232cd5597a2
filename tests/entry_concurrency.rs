//! One entry shared by many threads: no lost update, no torn read.

use logcap_core::{Pipeline, ValueRef};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn pipeline() -> Pipeline {
    Pipeline::from_json(r#"{"sinks":[{"type":"null"}]}"#).unwrap()
}

#[test]
fn fifty_writers_and_fifty_readers_on_labels_and_fields() {
    let p = pipeline();
    let e = Arc::new(p.acquire());
    thread::scope(|s| {
        for w in 0..50u64 {
            let e = &e;
            s.spawn(move || {
                let key = format!("w{w}");
                for i in 0..100u64 {
                    e.set_label(&key, &i.to_string()).unwrap();
                    e.set_field(&key, i).unwrap();
                    // Label and field of "pair" change together under one lock.
                    e.with(|d| {
                        d.set_label("pair", &format!("{w}:{i}")).unwrap();
                        d.set_field("pair", format!("{w}:{i}").as_str()).unwrap();
                    });
                }
            });
        }
        for r in 0..50u64 {
            let e = &e;
            s.spawn(move || {
                let key = format!("w{r}");
                let mut last_label = None::<u64>;
                let mut last_field = None::<u64>;
                let mut pair_seen = false;
                let deadline = Instant::now() + Duration::from_secs(60);
                // Until the writer's last values are seen, so every check below runs on
                // values, not only on an absent key.
                while last_label != Some(99) || last_field != Some(99) || !pair_seen {
                    assert!(
                        Instant::now() < deadline,
                        "{key}: the final values never showed"
                    );
                    // A writer's values only grow, and a key once set never goes away.
                    let v = e.with_label(&key, |v| v.map(|s| s.parse::<u64>().unwrap()));
                    match (last_label, v) {
                        (Some(l), Some(v)) => assert!(v >= l, "{key}: label went back"),
                        (Some(_), None) => panic!("{key}: label disappeared"),
                        _ => {}
                    }
                    last_label = v.or(last_label);
                    let v = e.with_field(&key, |v| match v {
                        Some(ValueRef::U64(n)) => Some(n),
                        None => None,
                        other => panic!("wrong type {other:?}"),
                    });
                    match (last_field, v) {
                        (Some(l), Some(v)) => assert!(v >= l, "{key}: field went back"),
                        (Some(_), None) => panic!("{key}: field disappeared"),
                        _ => {}
                    }
                    last_field = v.or(last_field);
                    // Label and field of "pair" are set together: both or neither, equal.
                    e.with(|d| match (d.label("pair"), d.field("pair")) {
                        (Some(l), Some(ValueRef::Str(f))) => {
                            assert_eq!(l, f, "torn read");
                            pair_seen = true;
                        }
                        (None, None) => assert!(!pair_seen, "pair disappeared"),
                        other => panic!("torn read: {other:?}"),
                    });
                }
            });
        }
    });
    e.with(|d| {
        assert_eq!(d.label_count(), 51);
        assert_eq!(d.field_count(), 51);
        for w in 0..50 {
            let key = format!("w{w}");
            assert_eq!(d.label(&key), Some("99"), "lost update on {key}");
            assert_eq!(
                d.field(&key),
                Some(ValueRef::U64(99)),
                "lost update on {key}"
            );
        }
    });
}

/// The thread-owned key `own` holds `n` as label and field, or, before the first write
/// (`n == 0`), neither.
fn assert_own(d: &logcap_core::EntryData, own: &str, n: u64) {
    if n == 0 {
        assert_eq!(
            (d.label(own), d.field(own)),
            (None, None),
            "{own} set by someone else"
        );
    } else {
        let want = n.to_string();
        assert_eq!(d.label(own), Some(want.as_str()), "{own}: label");
        assert_eq!(d.field(own), Some(ValueRef::U64(n)), "{own}: field");
    }
}

/// Fifty threads mix every entry operation and deep copies for three seconds. Each thread owns
/// one key whose label, field and counter must agree at every read and at the end; shared keys
/// are hammered by everyone.
#[test]
fn three_second_stress_of_every_operation() {
    let p = pipeline();
    let e = Arc::new(p.acquire());
    let stop = AtomicBool::new(false);
    let copies = AtomicU64::new(0);
    let finals: Vec<u64> = thread::scope(|s| {
        let handles: Vec<_> = (0..50u64)
            .map(|t| {
                let (e, stop, copies) = (&e, &stop, &copies);
                s.spawn(move || {
                    let own = format!("t{t}");
                    let mut n = 0u64;
                    let mut rng = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    while !stop.load(Ordering::Relaxed) {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        match rng % 10 {
                            0 => e.with(|d| {
                                n += 1;
                                d.set_label(&own, &n.to_string()).unwrap();
                                d.set_field(&own, n).unwrap();
                            }),
                            1 => e.set_label("shared", &t.to_string()).unwrap(),
                            2 => {
                                e.remove_label("shared");
                            }
                            3 => e.set_field("shared", t as i64).unwrap(),
                            4 => {
                                e.remove_field("shared");
                            }
                            5 => e.set_message(&format!("message from {t}")),
                            6 => e.set_level(logcap_core::Level::ALL[(rng % 6) as usize]),
                            7 => {
                                let c = e.deep_copy();
                                copies.fetch_add(1, Ordering::Relaxed);
                                // A copy is a consistent snapshot: own label and field agree.
                                // Only this thread writes its own key, so the copy holds
                                // exactly its last write, or nothing before the first.
                                c.with(|d| assert_own(d, &own, n));
                                c.set_label(&own, "copy-only").unwrap();
                            }
                            8 => e.with(|d| {
                                assert_own(d, &own, n);
                                let m = d.message();
                                assert!(m.is_empty() || m.starts_with("message from "));
                            }),
                            _ => e.with(|d| {
                                // Iteration sees every key once.
                                let keys: std::collections::HashSet<_> =
                                    d.labels().map(|(k, _)| k).collect();
                                assert_eq!(keys.len(), d.label_count());
                            }),
                        }
                    }
                    n
                })
            })
            .collect();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(copies.load(Ordering::Relaxed) > 0);
    e.with(|d| {
        for (t, n) in finals.iter().enumerate() {
            let key = format!("t{t}");
            if *n == 0 {
                assert_eq!(d.label(&key), None);
                continue;
            }
            assert_eq!(
                d.label(&key),
                Some(n.to_string().as_str()),
                "lost update on {key}"
            );
            assert_eq!(
                d.field(&key),
                Some(ValueRef::U64(*n)),
                "lost update on {key}"
            );
        }
        assert!(d
            .label("shared")
            .is_none_or(|v| v.parse::<u64>().unwrap() < 50));
    });
}
