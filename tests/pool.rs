//! The pool reuses entries with their buffers, and stays within its bounds.

use logcap_core::{EntryData, Pool, PoolLimits};

#[test]
fn released_entries_are_reused_with_their_capacity() {
    let pool = Pool::new(PoolLimits {
        max_idle: 8,
        max_retained_bytes: 1 << 20,
    });
    let mut e = pool.take();
    e.set_message("a fairly long message that needs a buffer");
    e.set_label("service", "checkout").unwrap();
    e.set_field("path", "/api/v1/orders/12345").unwrap();
    let retained = e.retained_bytes();
    let addr = &*e as *const EntryData as usize;
    pool.put(e);
    let e = pool.take();
    assert_eq!(
        &*e as *const EntryData as usize, addr,
        "the same entry came back"
    );
    assert_eq!(*e, EntryData::new(), "a reused entry is empty");
    assert_eq!(e.retained_bytes(), retained, "and keeps its buffers");
    let s = pool.stats();
    assert_eq!((s.acquired, s.reused, s.allocated), (2, 1, 1));
}

#[test]
fn idle_count_is_bounded() {
    let pool = Pool::new(PoolLimits {
        max_idle: 4,
        max_retained_bytes: 1 << 20,
    });
    let taken: Vec<_> = (0..10).map(|_| pool.take()).collect();
    pool.put_all(taken);
    let s = pool.stats();
    assert_eq!(s.idle, 4);
    assert_eq!(s.discarded, 6);
    assert_eq!(s.allocated, 10);
}

#[test]
fn a_huge_entry_does_not_pin_its_memory() {
    let pool = Pool::new(PoolLimits {
        max_idle: 4,
        max_retained_bytes: 4096,
    });
    let mut e = pool.take();
    e.set_message(&"x".repeat(1 << 20));
    pool.put(e);
    let e = pool.take();
    assert!(
        e.retained_bytes() <= 4096,
        "retained {}",
        e.retained_bytes()
    );
    assert_eq!(pool.stats().trimmed, 1);
}

#[test]
fn concurrent_take_and_put_keep_counts() {
    let pool = Pool::new(PoolLimits {
        max_idle: 64,
        max_retained_bytes: 1 << 16,
    });
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for i in 0..10_000u64 {
                    let mut e = pool.take();
                    e.set_field("i", i).unwrap();
                    pool.put(e);
                }
            });
        }
    });
    let st = pool.stats();
    assert_eq!(st.acquired, 80_000);
    assert_eq!(st.reused + st.allocated, st.acquired);
    assert!(st.allocated <= 64 + 8, "allocated {}", st.allocated);
    assert_eq!(st.idle, st.allocated - st.discarded);
}

#[test]
fn a_retired_pool_keeps_no_entries() {
    let pool = Pool::new(PoolLimits {
        max_idle: 8,
        max_retained_bytes: 1 << 20,
    });
    let taken: Vec<_> = (0..5).map(|_| pool.take()).collect();
    let mut taken = taken.into_iter();
    pool.put_all(taken.by_ref().take(3));
    assert_eq!(pool.stats().idle, 3);
    pool.retire();
    assert_eq!(pool.stats().idle, 0, "retiring frees the idle entries");
    pool.put_all(taken);
    assert_eq!(pool.stats().idle, 0, "and every entry put back later");
    let e = pool.take();
    assert_eq!(
        *e,
        EntryData::new(),
        "a retired pool still hands out entries"
    );
}

#[test]
fn dropping_a_pipeline_retires_its_pool() {
    let p = logcap_core::Pipeline::builder(logcap_core::Config::default())
        .build()
        .unwrap();
    let pool = std::sync::Arc::clone(p.pool());
    let kept = p.acquire();
    drop(p.acquire());
    assert_eq!(
        pool.stats().idle,
        1,
        "a live pipeline keeps released entries"
    );
    drop(p);
    assert_eq!(
        pool.stats().idle,
        0,
        "its pool is emptied when it is dropped"
    );
    drop(kept);
    assert_eq!(
        pool.stats().idle,
        0,
        "an entry released after the pipeline is freed"
    );
}
