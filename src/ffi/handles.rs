//! Checked entry handles.
//!
//! A C entry handle is not a pointer to memory: it encodes a slot index and a generation,
//! `TAG | ((index + 1) << 32) | generation`. `TAG` is bit 63, so a handle is never a
//! user-space address: a garbage collector that scans it as a pointer (Go's, when a binding
//! keeps it in a pointer-typed variable) never mistakes it for one of its objects. Slots live
//! in segments that are never freed, so any
//! handle value, however stale or forged, is looked up safely: a never-issued index is
//! `INVALID_HANDLE`, a generation that does not match the slot's is `STALE_HANDLE`. Each slot
//! holds its entry behind one lock, which is the entry's lock: one lock per entry call.
//!
//! Free slot indices are cached per thread, so acquire and release touch no shared state
//! beyond the entry pool.

use super::error::fail;
use super::panic::FfiResult;
use super::result::logcap_result;
use crate::entry::EntryData;
use crate::pool::Pool;
use crossbeam_queue::SegQueue;
use parking_lot::Mutex;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

const SEG_BITS: u32 = 12;
const SEG_LEN: usize = 1 << SEG_BITS;
const MAX_SEGS: usize = 1 << 12;
/// At most this many entries may be acquired and not yet released or submitted at once.
pub(crate) const MAX_LIVE_HANDLES: usize = SEG_LEN * MAX_SEGS;

const _: () = assert!(
    usize::BITS == 64,
    "entry handles encode 64 bits into a pointer"
);

/// A live entry: its data and where it came from.
pub(crate) struct Live {
    pub(crate) data: Box<EntryData>,
    pub(crate) pool: Arc<Pool>,
    pub(crate) pipeline_id: u64,
    /// Lent to a processor hook for the duration of its call: the pipeline owns the entry,
    /// so the handle cannot be released or submitted.
    pub(crate) lent: bool,
}

/// How the last generation of a slot ended, for a precise error on a stale handle.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Released,
    Submitted,
    /// A processor hook's call returned and the pipeline took its entry back.
    Returned,
}

struct SlotState {
    generation: u32,
    ended: Ended,
    live: Option<Live>,
}

struct Slot(Mutex<SlotState>);

static SEGMENTS: [OnceLock<Box<[Slot]>>; MAX_SEGS] = [const { OnceLock::new() }; MAX_SEGS];
static NEXT_FRESH: AtomicU32 = AtomicU32::new(0);
static SHARED_FREE: SegQueue<u32> = SegQueue::new();

/// Free indices kept by this thread; spilled to the shared list beyond `LOCAL_MAX` and when
/// the thread exits.
struct LocalFree(Vec<u32>);

const LOCAL_MAX: usize = 256;

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
    SEGMENTS.get(i >> SEG_BITS)?.get()?.get(i & (SEG_LEN - 1))
}

fn new_segment() -> Box<[Slot]> {
    (0..SEG_LEN)
        .map(|_| {
            Slot(Mutex::new(SlotState {
                generation: 0,
                ended: Ended::Released,
                live: None,
            }))
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
    SEGMENTS[i as usize >> SEG_BITS].get_or_init(new_segment);
    Ok(i)
}

#[inline(always)]
fn recycle(index: u32) {
    let spilled = LOCAL_FREE.try_with(|l| {
        let mut l = l.borrow_mut();
        l.0.push(index);
        if l.0.len() > LOCAL_MAX {
            let keep = LOCAL_MAX / 2;
            for i in l.0.drain(keep..) {
                SHARED_FREE.push(i);
            }
        }
    });
    if spilled.is_err() {
        // The thread is exiting and its cache is gone.
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

/// Issues a handle for a live entry.
pub(crate) fn issue(live: Live) -> FfiResult<usize> {
    issue_or_return(live).map_err(|(code, _)| code)
}

/// Issues a handle for a live entry, or gives the entry back with the error.
#[inline(always)]
pub(crate) fn issue_or_return(live: Live) -> Result<usize, (logcap_result, Live)> {
    let index = match free_index() {
        Ok(i) => i,
        Err(code) => return Err((code, live)),
    };
    let Some(s) = slot(index) else {
        return Err((fail(logcap_result::Panic, "slot vanished"), live));
    };
    let mut st = s.0.lock();
    st.generation = st.generation.wrapping_add(1).max(1);
    st.live = Some(live);
    Ok(encode(index, st.generation))
}

#[cold]
#[inline(never)]
fn stale(st: &SlotState, generation: u32) -> logcap_result {
    let why = if generation == st.generation {
        match st.ended {
            Ended::Released => "the entry was released",
            Ended::Submitted => "the entry was submitted",
            Ended::Returned => "the entry was lent to a processor hook whose call has returned",
        }
    } else if generation > st.generation || generation == 0 {
        return fail(logcap_result::InvalidHandle, "not an entry handle");
    } else {
        "the entry was released or submitted and its handle is out of date"
    };
    fail(
        logcap_result::StaleHandle,
        format!("stale entry handle: {why}"),
    )
}

/// Runs `f` on a live entry under its lock.
#[inline(always)]
pub(crate) fn with_live<R>(h: usize, f: impl FnOnce(&mut Live) -> FfiResult<R>) -> FfiResult<R> {
    let (s, _, generation) = decode(h)?;
    let mut st = s.0.lock();
    if st.generation == generation {
        if let Some(live) = st.live.as_mut() {
            return f(live);
        }
    }
    Err(stale(&st, generation))
}

/// Ends a handle, handing its entry to `take` if `check` accepts it. The handle is stale
/// afterwards; `check` can refuse (leaving the handle live) by returning an error.
#[inline(always)]
pub(crate) fn end(h: usize, how: Ended, check: impl FnOnce(&Live) -> FfiResult) -> FfiResult<Live> {
    let (s, index, generation) = decode(h)?;
    let live = {
        let mut st = s.0.lock();
        match st.live.as_ref() {
            Some(l) if st.generation == generation => check(l)?,
            _ => return Err(stale(&st, generation)),
        }
        st.ended = how;
        st.live.take()
    };
    recycle(index);
    live.ok_or_else(|| fail(logcap_result::Panic, "live entry vanished"))
}
