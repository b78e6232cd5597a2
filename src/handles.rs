//! Checked entry handles.
//!
//! A C entry handle is not a pointer to memory: it encodes a slot index and a generation,
//! `TAG | ((index + 1) << 32) | generation`. `TAG` is bit 63, so a handle is never a
//! user-space address: a garbage collector that scans it as a pointer (Go's, when a binding
//! keeps it in a pointer-typed variable) never mistakes it for one of its objects. Slots live
//! in segments that are never freed, so any
//! handle value, however stale or forged, is looked up safely: a never-issued index is
//! `INVALID_HANDLE`, a generation that does not match the slot's is `STALE_HANDLE`.
//!
//! Each slot is one atomic state word beside its entry: the generation, how the generation
//! ended (zero while it is live) and a lock bit. The lock is the entry's lock, and taking it
//! is one compare-and-swap that checks the handle's generation too: it succeeds only on the
//! live, unlocked state of that generation. Unlocking is a plain store. Issuing a handle needs
//! no lock at all: a free slot is owned by the thread that took its index, and no one else can
//! lock a slot whose generation has ended. Contention on one entry (two threads calling into
//! the same entry at once, which the entry functions allow) waits by spinning, then yielding:
//! the lock is held only for the duration of one entry function.
//!
//! Free slot indices are cached per thread, so acquire and release touch no shared state
//! beyond the entry pool. A slot whose generation reaches `u32::MAX` is retired when that
//! generation ends, so generations never wrap and an old handle can never match a new entry.

use super::error::fail;
use super::panic::FfiResult;
use super::result::logcap_result;
use crossbeam_queue::SegQueue;
use crossbeam_utils::Backoff;
use logcap_core::entry::EntryData;
use logcap_core::pool::Pool;
use std::cell::{RefCell, UnsafeCell};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

const SEG_BITS: u32 = 12;
const SEG_LEN: usize = 1 << SEG_BITS;
const MAX_SEGS: usize = 1 << 12;
/// At most this many entries may be acquired and not yet released or submitted at once.
pub(crate) const MAX_LIVE_HANDLES: usize = SEG_LEN * MAX_SEGS;

const _: () = assert!(
    usize::BITS == 64,
    "entry handles encode 64 bits into a pointer"
);

/// A live entry: its data and where it came from. Its pool is kept by the slot (see [`Slot`]).
pub(crate) struct Live {
    pub(crate) data: Box<EntryData>,
    pub(crate) pipeline_id: u64,
    /// Lent to a processor hook for the duration of its call: the pipeline owns the entry,
    /// so the handle cannot be released or submitted.
    pub(crate) lent: bool,
}

/// How the last generation of a slot ended, for a precise error on a stale handle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ended {
    Released = 1,
    Submitted = 2,
    /// A processor hook's call returned and the pipeline took its entry back.
    Returned = 3,
}

/// The state word: the generation in the high 32 bits, how it ended in bits 1 and 2 (0 while
/// live), the lock in bit 0.
const LOCKED: u64 = 1;
const ENDED_SHIFT: u32 = 1;
const ENDED_MASK: u64 = 0b110;

fn live_state(generation: u32) -> u64 {
    u64::from(generation) << 32
}

fn ended_state(generation: u32, how: Ended) -> u64 {
    live_state(generation) | (how as u64) << ENDED_SHIFT
}

fn state_generation(state: u64) -> u32 {
    (state >> 32) as u32
}

fn state_ended(state: u64) -> Option<Ended> {
    match (state & ENDED_MASK) >> ENDED_SHIFT {
        1 => Some(Ended::Released),
        2 => Some(Ended::Submitted),
        3 => Some(Ended::Returned),
        _ => None,
    }
}

/// One cache line, so threads working on neighbouring slots do not share one.
#[repr(align(64))]
struct Slot {
    state: AtomicU64,
    /// `Some` exactly while the state is live. Read and written only by the holder of the
    /// lock, or by the thread that owns the slot's free index (see [`issue_or_return`]).
    live: UnsafeCell<Option<Live>>,
    /// The pool of the entry's pipeline, under the same rules as `live`. It stays when the
    /// generation ends, so a slot reissued for the same pipeline (the common case: free
    /// indices are reused by the thread that freed them) costs no reference count. A pool
    /// kept this way after its pipeline is dropped holds no entries (`Pool::retire`).
    pool: UnsafeCell<Option<Arc<Pool>>>,
}

// SAFETY: `live` and `pool` are accessed under the rules above, which the state word
// enforces; `Live` and `Arc<Pool>` are `Send`.
unsafe impl Sync for Slot {}

/// The lock of a slot, held for one generation.
struct Locked {
    slot: &'static Slot,
    generation: u32,
}

impl Locked {
    /// Takes the lock of `slot` if its generation is `generation` and live; otherwise the
    /// state seen, for [`stale`].
    #[inline(always)]
    fn take(slot: &'static Slot, generation: u32) -> Result<Locked, u64> {
        let want = live_state(generation);
        let mut backoff: Option<Backoff> = None;
        loop {
            match slot.state.compare_exchange_weak(
                want,
                want | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(Locked { slot, generation }),
                // The weak exchange failed spuriously.
                Err(seen) if seen == want => {}
                // Another thread is in a call on this entry: wait for it.
                Err(seen) if seen == want | LOCKED => {
                    backoff.get_or_insert_with(Backoff::new).snooze();
                }
                Err(seen) => return Err(seen),
            }
        }
    }

    #[inline(always)]
    fn live(&mut self) -> &mut Option<Live> {
        // SAFETY: the lock is held, so no other thread reads or writes `live`.
        unsafe { &mut *self.slot.live.get() }
    }

    /// The entry and its pool.
    #[inline(always)]
    fn parts(&mut self) -> Option<(&mut Live, &Arc<Pool>)> {
        // SAFETY: the lock is held, so no other thread accesses `live` or `pool`, and the two
        // are distinct fields.
        unsafe {
            Some((
                (*self.slot.live.get()).as_mut()?,
                (*self.slot.pool.get()).as_ref()?,
            ))
        }
    }

    /// Ends the generation: the entry is taken and the slot left unlocked and dead.
    #[inline(always)]
    fn end(mut self, how: Ended) -> Option<Live> {
        let live = self.live().take();
        self.slot
            .state
            .store(ended_state(self.generation, how), Ordering::Release);
        std::mem::forget(self);
        live
    }
}

impl Drop for Locked {
    #[inline(always)]
    fn drop(&mut self) {
        self.slot
            .state
            .store(live_state(self.generation), Ordering::Release);
    }
}

/// The table's segments, each `SEG_LEN` slots, allocated when first needed and never freed. A
/// null pointer is a segment not allocated yet: the array is all zeros, so it takes no room in
/// the library file (.bss, where an array of `OnceLock`s took 96 KiB of .data).
static SEGMENTS: [AtomicPtr<Slot>; MAX_SEGS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_SEGS];
static NEXT_FRESH: AtomicU32 = AtomicU32::new(0);
static SHARED_FREE: SegQueue<u32> = SegQueue::new();

/// Free indices kept by this thread; spilled to the shared list beyond `LOCAL_MAX` and when
/// the thread exits.
struct LocalFree(Vec<u32>);

const LOCAL_MAX: usize = if cfg!(miri) { 8 } else { 256 };

impl Drop for LocalFree {
    fn drop(&mut self) {
        for i in self.0.drain(..) {
            SHARED_FREE.push(i);
        }
    }
}

thread_local! {
    static LOCAL_FREE: RefCell<LocalFree> = const { RefCell::new(LocalFree(Vec::new())) };
}

#[inline(always)]
fn slot(index: u32) -> Option<&'static Slot> {
    let i = index as usize;
    let segment = SEGMENTS.get(i >> SEG_BITS)?.load(Ordering::Acquire);
    if segment.is_null() {
        return None;
    }
    // SAFETY: a non-null segment pointer comes from `Box::into_raw` of a slice of exactly
    // `SEG_LEN` slots (`allocate_segment`), published with Release and read here with Acquire,
    // so the slots are initialized; it is never freed, so the reference is valid for 'static;
    // `i & (SEG_LEN - 1) < SEG_LEN` keeps the offset inside the slice.
    Some(unsafe { &*segment.add(i & (SEG_LEN - 1)) })
}

fn new_segment() -> Box<[Slot]> {
    (0..SEG_LEN)
        .map(|_| Slot {
            // Generation 0 is never issued, so no handle matches a fresh slot.
            state: AtomicU64::new(ended_state(0, Ended::Released)),
            live: UnsafeCell::new(None),
            pool: UnsafeCell::new(None),
        })
        .collect()
}

#[inline(always)]
fn free_index() -> FfiResult<u32> {
    match LOCAL_FREE.try_with(|l| l.borrow_mut().0.pop()) {
        Ok(Some(i)) => Ok(i),
        _ => shared_or_fresh_index(),
    }
}

#[cold]
#[inline(never)]
fn shared_or_fresh_index() -> FfiResult<u32> {
    if let Some(i) = SHARED_FREE.pop() {
        return Ok(i);
    }
    let i = NEXT_FRESH.fetch_add(1, Ordering::Relaxed);
    if i as usize >= MAX_LIVE_HANDLES {
        NEXT_FRESH.fetch_sub(1, Ordering::Relaxed);
        return Err(fail(
            logcap_result::Limit,
            format!("more than {MAX_LIVE_HANDLES} entries are acquired at once"),
        ));
    }
    allocate_segment(&SEGMENTS[i as usize >> SEG_BITS]);
    Ok(i)
}

/// Allocates the segment if no thread has yet. Two threads may race to allocate it: one
/// publishes its slots, the other frees its own (no handle of them was issued).
fn allocate_segment(segment: &AtomicPtr<Slot>) {
    if !segment.load(Ordering::Acquire).is_null() {
        return;
    }
    let fresh = Box::into_raw(new_segment()).cast::<Slot>();
    if let Err(_winner) = segment.compare_exchange(
        std::ptr::null_mut(),
        fresh,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        // SAFETY: `fresh` came from `Box::into_raw` of a `SEG_LEN`-slot slice just above and
        // was never published, so this thread owns it alone.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(fresh, SEG_LEN)) });
    }
}

#[inline(always)]
fn recycle(index: u32) {
    let kept = LOCAL_FREE.try_with(|l| {
        let mut l = l.borrow_mut();
        let room = l.0.len() < l.0.capacity();
        if room {
            l.0.push(index);
        }
        room
    });
    if kept != Ok(true) {
        spill(index);
    }
}

/// Frees an index when this thread's cache is full (it keeps half and gives the rest to the
/// shared list) or gone (the thread is exiting), or before its first use (it is then made
/// room for `LOCAL_MAX` indices).
#[cold]
#[inline(never)]
fn spill(index: u32) {
    let cached = LOCAL_FREE.try_with(|l| {
        let mut l = l.borrow_mut();
        if l.0.capacity() < LOCAL_MAX {
            let more = LOCAL_MAX - l.0.len();
            l.0.reserve_exact(more);
        } else {
            for i in l.0.drain(LOCAL_MAX / 2..) {
                SHARED_FREE.push(i);
            }
        }
        l.0.push(index);
    });
    if cached.is_err() {
        SHARED_FREE.push(index);
    }
}

const TAG: u64 = 1 << 63;

fn encode(index: u32, generation: u32) -> usize {
    (TAG | ((index as u64 + 1) << 32) | generation as u64) as usize
}

#[inline(always)]
fn decode(h: usize) -> FfiResult<(&'static Slot, u32, u32)> {
    let h = h as u64;
    if h & TAG == 0 {
        return Err(not_a_handle(h));
    }
    let index = ((h & !TAG) >> 32).wrapping_sub(1);
    let Ok(index) = u32::try_from(index) else {
        return Err(not_a_handle(h));
    };
    match slot(index) {
        Some(s) => Ok((s, index, h as u32)),
        None => Err(not_a_handle(h)),
    }
}

#[cold]
#[inline(never)]
fn not_a_handle(h: u64) -> logcap_result {
    if h == 0 {
        fail(logcap_result::NullArgument, "entry handle is NULL")
    } else {
        fail(
            logcap_result::InvalidHandle,
            format!("{h:#x} is not an entry handle"),
        )
    }
}

/// Issues a handle for a live entry of `pool`.
#[inline(always)]
pub(crate) fn issue(live: Live, pool: &Arc<Pool>) -> FfiResult<usize> {
    issue_or_return(live, pool).map_err(|(code, _)| code)
}

/// Issues a handle for a live entry of `pool`, or gives the entry back with the error.
#[inline(always)]
pub(crate) fn issue_or_return(
    live: Live,
    pool: &Arc<Pool>,
) -> Result<usize, (logcap_result, Live)> {
    let index = match free_index() {
        Ok(i) => i,
        Err(code) => return Err((code, live)),
    };
    let Some(s) = slot(index) else {
        return Err((fail(logcap_result::Panic, "slot vanished"), live));
    };
    // The slot is dead (its generation ended before its index was freed) and this thread
    // owns its index, so no other thread changes the state or touches `live`: locking needs a
    // live state. The previous owner's accesses happen before, through the free list.
    let state = s.state.load(Ordering::Relaxed);
    debug_assert!(state_ended(state).is_some() && state & LOCKED == 0);
    let generation = state_generation(state).wrapping_add(1).max(1);
    // SAFETY: as above, no other thread accesses `live` or `pool` until the store below
    // publishes them.
    unsafe {
        *s.live.get() = Some(live);
        let kept = &mut *s.pool.get();
        if !kept.as_ref().is_some_and(|k| Arc::ptr_eq(k, pool)) {
            *kept = Some(Arc::clone(pool));
        }
    }
    s.state.store(live_state(generation), Ordering::Release);
    Ok(encode(index, generation))
}

#[cold]
#[inline(never)]
fn stale(state: u64, generation: u32) -> logcap_result {
    let current = state_generation(state);
    let why = if generation == current {
        match state_ended(state) {
            Some(Ended::Released) => "the entry was released",
            Some(Ended::Submitted) => "the entry was submitted",
            Some(Ended::Returned) => {
                "the entry was lent to a processor hook whose call has returned"
            }
            None => return fail(logcap_result::Panic, "a live entry's lock was refused"),
        }
    } else if generation > current || generation == 0 {
        return fail(logcap_result::InvalidHandle, "not an entry handle");
    } else {
        "the entry was released or submitted and its handle is out of date"
    };
    fail(logcap_result::StaleHandle, why)
}

/// Runs `f` on a live entry and its pool under the entry's lock.
#[inline(always)]
pub(crate) fn with_live<R>(
    h: usize,
    f: impl FnOnce(&mut Live, &Arc<Pool>) -> FfiResult<R>,
) -> FfiResult<R> {
    let (s, _, generation) = decode(h)?;
    let mut locked = Locked::take(s, generation).map_err(|seen| stale(seen, generation))?;
    match locked.parts() {
        Some((live, pool)) => f(live, pool),
        None => Err(vanished()),
    }
}

#[cold]
#[inline(never)]
fn vanished() -> logcap_result {
    fail(logcap_result::Panic, "a live entry's slot is empty")
}

/// Ends a handle if `check` accepts its entry, and hands the entry and its pool to `then`.
/// The handle is stale afterwards; `check` can refuse (leaving the handle live) by returning
/// an error.
#[inline(always)]
pub(crate) fn end<R>(
    h: usize,
    how: Ended,
    check: impl FnOnce(&Live) -> FfiResult,
    then: impl FnOnce(Live, &Pool) -> R,
) -> FfiResult<R> {
    let (s, index, generation) = decode(h)?;
    let mut locked = Locked::take(s, generation).map_err(|seen| stale(seen, generation))?;
    match locked.live() {
        Some(l) => check(l)?,
        None => return Err(vanished()),
    }
    let live = locked.end(how);
    // The slot is dead and its index not yet freed: this thread owns it, and its pool.
    // SAFETY: as in `issue_or_return`, no other thread accesses `pool` meanwhile.
    let pool = unsafe { (*s.pool.get()).as_deref() };
    let r = match (live, pool) {
        (Some(live), Some(pool)) => Ok(then(live, pool)),
        _ => Err(vanished()),
    };
    if generation == u32::MAX {
        retire(s);
    } else {
        recycle(index);
    }
    r
}

/// Takes a slot out of use for good once its last generation has ended, instead of freeing
/// its index: a next generation would wrap around to one that was issued before, and a handle
/// that old would pass for the live one. It costs one slot per 2^32 reuses of it.
#[cold]
#[inline(never)]
fn retire(s: &Slot) {
    // SAFETY: the slot is dead and its index is never freed again: this thread is the last to
    // own it, and no other thread accesses `pool`.
    unsafe { *s.pool.get() = None };
}

#[cfg(test)]
mod tests {
    use super::*;
    use logcap_core::pool::PoolLimits;
    use std::ffi::CStr;

    fn pool() -> Arc<Pool> {
        Arc::new(Pool::new(PoolLimits {
            max_idle: 1024,
            ..PoolLimits::default()
        }))
    }

    fn live(pool: &Pool) -> Live {
        Live {
            data: pool.take(),
            pipeline_id: 1,
            lent: false,
        }
    }

    fn last_error() -> String {
        let p = crate::error::logcap_last_error();
        // SAFETY: the library's own NUL-terminated, thread-local message.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
    }

    fn release(h: usize) -> FfiResult {
        end(h, Ended::Released, |_| Ok(()), |l, pool| pool.put(l.data))
    }

    #[test]
    fn an_ended_handle_is_stale_and_says_how_it_ended() {
        let p = pool();
        let h = issue(live(&p), &p).unwrap();
        with_live(h, |l, _| {
            l.data.set_label("k", "v").unwrap();
            Ok(())
        })
        .unwrap();
        let data = end(h, Ended::Submitted, |_| Ok(()), |l, _| l.data).unwrap();
        assert_eq!(data.label("k"), Some("v"));
        assert_eq!(with_live(h, |_, _| Ok(())), Err(logcap_result::StaleHandle));
        assert!(last_error().contains("submitted"), "{}", last_error());
        assert_eq!(release(h), Err(logcap_result::StaleHandle));
        // The slot is reissued (this thread's free list is a stack) under a new generation:
        // the old handle stays stale, and says it is out of date.
        let h2 = issue(live(&p), &p).unwrap();
        assert_eq!(h2 >> 32, h >> 32, "the same slot");
        assert_ne!(h2, h);
        assert_eq!(release(h), Err(logcap_result::StaleHandle));
        assert!(last_error().contains("out of date"), "{}", last_error());
        // A generation the slot has not reached is no handle at all.
        assert_eq!(release(h2 + 1), Err(logcap_result::InvalidHandle));
        assert!(
            last_error().contains("not an entry handle"),
            "{}",
            last_error()
        );
        release(h2).unwrap();
        assert_eq!(release(h2), Err(logcap_result::StaleHandle));
        assert!(last_error().contains("released"), "{}", last_error());
    }

    #[test]
    fn a_slot_is_retired_after_its_last_generation() {
        let p = pool();
        let h = issue(live(&p), &p).unwrap();
        release(h).unwrap();
        // Age the slot: its last generation ended one short of the highest.
        let (s, index, _) = decode(h).unwrap();
        s.state.store(
            ended_state(u32::MAX - 1, Ended::Released),
            Ordering::Relaxed,
        );
        let last = issue(live(&p), &p).unwrap();
        assert_eq!(decode(last).unwrap().1, index, "the same slot, reissued");
        assert_eq!(last as u32, u32::MAX);
        let count = Arc::strong_count(&p);
        release(last).unwrap();
        assert_eq!(
            Arc::strong_count(&p),
            count - 1,
            "the retired slot keeps no pool"
        );
        // The index is never issued again, so no generation wraps to one issued before.
        let next: Vec<usize> = (0..4).map(|_| issue(live(&p), &p).unwrap()).collect();
        assert!(next.iter().all(|&n| decode(n).unwrap().1 != index));
        assert_eq!(release(last), Err(logcap_result::StaleHandle));
        assert!(last_error().contains("released"), "{}", last_error());
        assert_eq!(release(h), Err(logcap_result::StaleHandle));
        for n in next {
            release(n).unwrap();
        }
    }

    #[test]
    fn a_refused_end_leaves_the_handle_live() {
        let p = pool();
        let h = issue(live(&p), &p).unwrap();
        let refuse = |_: &Live| Err(logcap_result::WrongPipeline);
        assert_eq!(
            end(h, Ended::Submitted, refuse, |l, _| l.data).err(),
            Some(logcap_result::WrongPipeline)
        );
        with_live(h, |_, _| Ok(())).unwrap();
        release(h).unwrap();
    }

    #[test]
    fn a_slot_keeps_its_pool_until_it_is_issued_for_another() {
        let a = pool();
        let b = pool();
        let h = issue(live(&a), &a).unwrap();
        assert_eq!(Arc::strong_count(&a), 2, "the slot holds the pool");
        release(h).unwrap();
        assert_eq!(
            Arc::strong_count(&a),
            2,
            "and keeps it once the entry is gone"
        );
        let h = issue(live(&a), &a).unwrap();
        assert_eq!(
            Arc::strong_count(&a),
            2,
            "a reissue for the same pool takes none"
        );
        release(h).unwrap();
        let h = issue(live(&b), &b).unwrap();
        assert_eq!(
            Arc::strong_count(&a),
            1,
            "issued for another pool, it lets go"
        );
        assert_eq!(Arc::strong_count(&b), 2);
        release(h).unwrap();
        let (sa, sb) = (a.stats(), b.stats());
        assert_eq!(
            (sa.allocated, sa.idle),
            (1, 1),
            "one entry of a, reused, back in a"
        );
        assert_eq!((sb.allocated, sb.idle), (1, 1), "b's back in b");
    }

    #[test]
    fn freed_indices_spill_to_other_threads_and_survive_thread_exit() {
        let p = pool();
        let many = |p: &Arc<Pool>| -> Vec<usize> {
            (0..3 * LOCAL_MAX)
                .map(|_| issue(live(p), p).unwrap())
                .collect()
        };
        // A thread frees more indices than it caches, then exits with a full cache.
        let first = std::thread::scope(|s| {
            s.spawn(|| {
                let hs = many(&p);
                for &h in &hs {
                    release(h).unwrap();
                }
                hs
            })
            .join()
            .unwrap()
        });
        // Another thread reuses them: the indices it needs come from the shared list.
        let second = std::thread::scope(|s| s.spawn(|| many(&p)).join().unwrap());
        let index = |h: usize| (h as u64 & !TAG) >> 32;
        let a: std::collections::HashSet<_> = first.iter().map(|&h| index(h)).collect();
        let b: std::collections::HashSet<_> = second.iter().map(|&h| index(h)).collect();
        assert_eq!(b.len(), second.len(), "live handles never share a slot");
        // Tests running beside this one may take a few of the freed indices first.
        let reused = a.intersection(&b).count();
        let slack = (second.len() / 12).min(64);
        assert!(
            reused >= second.len() - slack,
            "only {reused} of {} indices were reused",
            second.len()
        );
        for &h in &first {
            assert_eq!(release(h), Err(logcap_result::StaleHandle));
        }
        for &h in &second {
            release(h).unwrap();
        }
    }

    #[test]
    fn calls_racing_a_release_see_the_entry_or_a_stale_handle() {
        let p = pool();
        // Miri (which checks these accesses for data races) runs a few rounds only.
        let rounds = if cfg!(miri) { 4 } else { 200 };
        for _ in 0..rounds {
            let h = issue(live(&p), &p).unwrap();
            let outcomes: Vec<_> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..3)
                    .map(|t| {
                        s.spawn(move || {
                            let mut ok = 0;
                            for i in 0..if cfg!(miri) { 5 } else { 50 } {
                                let r = with_live(h, |l, _| {
                                    l.data.set_field(&format!("t{t}"), i as i64).unwrap();
                                    Ok(())
                                });
                                match r {
                                    Ok(()) => ok += 1,
                                    Err(code) => {
                                        assert_eq!(code, logcap_result::StaleHandle);
                                        break;
                                    }
                                }
                            }
                            ok
                        })
                    })
                    .collect();
                let ended = s.spawn(move || release(h));
                let mut r: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
                r.push(usize::from(ended.join().unwrap().is_ok()));
                r
            });
            assert_eq!(outcomes[3], 1, "the release succeeded");
            assert_eq!(release(h), Err(logcap_result::StaleHandle));
        }
        let s = p.stats();
        assert_eq!(s.idle, s.allocated, "every entry went back to the pool");
    }
}
