//! A thread's lane, handed to code in another language that writes records into it directly
//! (docs/lane-protocol.md, "Who writes a lane"): logcap.hpp's `log()` does, with no
//! call into the library per record. And lanes bound to no thread, for a binding whose
//! writers move between threads and take turns at a lane themselves: the Go binding's.

use super::entry::{end_to_submit, logcap_entry};
use super::error::{fail, from_error};
use super::panic::{boundary, FfiResult};
use super::pipeline::logcap_pipeline;
use super::pointer::{bytes, out, take_box, to_boxed_ptr, try_mut, try_ref, Castable, OwnedBox};
use super::result::logcap_result;
use logcap_core::lane::{ThreadLane, UnboundLane};

/// The calling thread's lane of a pipeline, as logcap_pipeline_lane gives it: its memory stays
/// allocated until logcap_lane_release, whatever happens to the lane or the pipeline.
pub struct logcap_lane {
    _private: [u8; 0],
}

impl Castable for logcap_lane {
    type Ownership = OwnedBox;
    type Rust = ThreadLane;
    const NAME: &'static str = "lane";
}

/// Writes the calling thread's lane of `pipeline` to `*out_lane`, its memory (header and ring,
/// aligned to 64) to `*out_memory` and that memory's length in bytes to `*out_len`, for a
/// producer that writes records into it as docs/lane-protocol.md (version 2) says, on this
/// thread only, between this library's calls. The library's own submits from this thread go
/// into the same lane after taking up what that producer published, so the thread's records
/// keep one order. Writes NULL, NULL and 0 when the pipeline takes its submits through the
/// shared queue (`queue.lanes` off, or a processor hook set): submit through the functions
/// then. LOGCAP_RESULT_CLOSED after close.
///
/// The lane stays the thread's until the thread exits or the library replaces it (it was
/// poisoned, or a record did not fit its ring), which sets the lane's `retired` flag: a
/// producer that finds it set releases the lane and asks again. The memory lives until
/// logcap_lane_release. Does not take ownership of `pipeline`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_lane(
    pipeline: *const logcap_pipeline,
    out_lane: *mut *mut logcap_lane,
    out_memory: *mut *mut u8,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        hand_out(out_lane, out_memory, out_len, || p.thread_lane())
    })
}

/// A lane handed to code in another language: its memory and that memory's length.
trait HandedOut {
    fn memory(&self) -> *mut u8;
    fn size(&self) -> usize;
}

impl HandedOut for ThreadLane {
    fn memory(&self) -> *mut u8 {
        ThreadLane::memory(self)
    }
    fn size(&self) -> usize {
        ThreadLane::size(self)
    }
}

impl HandedOut for UnboundLane {
    fn memory(&self) -> *mut u8 {
        UnboundLane::memory(self)
    }
    fn size(&self) -> usize {
        UnboundLane::size(self)
    }
}

/// Writes the lane `get` gives to the three outputs, or NULL, NULL and 0 when it gives none.
fn hand_out<C: Castable<Ownership = OwnedBox>>(
    out_lane: *mut *mut C,
    out_memory: *mut *mut u8,
    out_len: *mut usize,
    get: impl FnOnce() -> Result<Option<C::Rust>, logcap_core::Error>,
) -> super::panic::FfiResult
where
    C::Rust: HandedOut,
{
    let lane = out(out_lane, "out_lane")?;
    let memory = out(out_memory, "out_memory")?;
    let len = out(out_len, "out_len")?;
    *lane = std::ptr::null_mut();
    *memory = std::ptr::null_mut();
    *len = 0;
    if let Some(l) = get().map_err(|e| from_error(&e))? {
        *memory = l.memory();
        *len = l.size();
        *lane = to_boxed_ptr(l);
    }
    Ok(())
}

/// Wakes the pipeline's batcher: for a producer that published into `lane` and found its
/// `asleep` flag set (docs/lane-protocol.md, "Sleep and wake"). Nothing once the pipeline is
/// freed. Does not take ownership of `lane`.
#[no_mangle]
pub extern "C" fn logcap_lane_wake(lane: *const logcap_lane) -> logcap_result {
    boundary(|| {
        try_ref(lane)?.wake();
        Ok(())
    })
}

/// Lets go of a lane from logcap_pipeline_lane: its memory may be freed from now on, so its
/// producer must not touch it again. `lane` is consumed. Releasing NULL is a no-op.
#[no_mangle]
pub extern "C" fn logcap_lane_release(lane: *mut logcap_lane) {
    let _ = boundary(|| {
        drop(take_box(lane));
        Ok(())
    });
}

/// A lane of a pipeline bound to no thread, as logcap_pipeline_unbound_lane gives it.
pub struct logcap_unbound_lane {
    _private: [u8; 0],
}

impl Castable for logcap_unbound_lane {
    type Ownership = OwnedBox;
    type Rust = UnboundLane;
    const NAME: &'static str = "unbound lane";
}

/// Writes a new lane of `pipeline` bound to no thread to `*out_lane`, its memory (header and
/// ring, aligned to 64) to `*out_memory` and that memory's length in bytes to `*out_len`: for a
/// binding whose writers move between threads (Go's goroutines) and take turns at the lane
/// themselves, one at a time under a lock of their own, writing records into it as
/// docs/lane-protocol.md (version 2) says and calling logcap_unbound_lane_submit_record for
/// every case but the plain one. Writes NULL, NULL and 0 when the pipeline takes its submits
/// through the shared queue (`queue.lanes` off, or a processor hook set): submit through the
/// functions then. LOGCAP_RESULT_CLOSED after close. Does not take ownership of `pipeline`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_unbound_lane(
    pipeline: *const logcap_pipeline,
    out_lane: *mut *mut logcap_unbound_lane,
    out_memory: *mut *mut u8,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        hand_out(out_lane, out_memory, out_len, || p.unbound_lane())
    })
}

/// Submits one packed record into `lane`, one of `pipeline`'s unbound lanes, as
/// logcap_pipeline_submit_record submits it (the same checks, answers and counters), after
/// taking up what the binding published into the lane: the slow path of a binding writing the
/// lane itself, for a full lane (the queue's policy applies here, waiting on this thread under
/// `block`), a record larger than the ring, a record the binding finds over a limit, a
/// poisoned lane. Call it with the binding's lock of the lane held. A record larger than the
/// ring, or a poisoned lane, moves the lane to new memory (its records are delivered first):
/// the lane's memory and length after the call are written to `*out_memory` and `*out_len`
/// whatever the result, and the binding must use only those from then on. Does not take
/// ownership of `pipeline`, `lane` or `record`.
#[no_mangle]
pub extern "C" fn logcap_unbound_lane_submit_record(
    pipeline: *const logcap_pipeline,
    lane: *mut logcap_unbound_lane,
    record: *const u8,
    len: usize,
    out_memory: *mut *mut u8,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let buf = bytes(record, len, "record")?;
        into_own_lane(pipeline, lane, out_memory, out_len, |p, l| {
            Ok(p.submit_record_to(l, buf))
        })
    })
}

/// The common part of the two submits into an unbound lane: checks the arguments and that
/// `lane` is `pipeline`'s, runs `submit` (whose `Err` is a refusal before anything was
/// submitted), then writes where the lane's memory is now, whatever `submit` answered.
fn into_own_lane(
    pipeline: *const logcap_pipeline,
    lane: *mut logcap_unbound_lane,
    out_memory: *mut *mut u8,
    out_len: *mut usize,
    submit: impl FnOnce(
        &logcap_core::Pipeline,
        &mut UnboundLane,
    ) -> FfiResult<Result<(), logcap_core::Error>>,
) -> FfiResult<()> {
    let p = try_ref(pipeline)?;
    let l = try_mut(lane)?;
    let memory = out(out_memory, "out_memory")?;
    let size = out(out_len, "out_len")?;
    if !p.owns_lane(l) {
        return Err(fail(
            logcap_result::InvalidArgument,
            "the unbound lane is not one of this pipeline's",
        ));
    }
    let r = submit(p, l)?;
    *memory = l.memory();
    *size = l.size();
    r.map_err(|e| from_error(&e))
}

/// Submits an entry into `lane`, one of `pipeline`'s unbound lanes, as logcap_submit submits
/// it (the same checks, answers, counters, and the same handle rules: `entry` is consumed
/// except after LOGCAP_RESULT_NULL_ARGUMENT, INVALID_HANDLE, STALE_HANDLE and WRONG_PIPELINE),
/// after taking up what the binding published into the lane: the entry keeps its place among
/// the records the binding writes there. Call it with the binding's lock of the lane held. A
/// poisoned lane moves to new memory, written to `*out_memory` and `*out_len` as
/// logcap_unbound_lane_submit_record writes it. A lane of another pipeline is
/// LOGCAP_RESULT_INVALID_ARGUMENT (the entry still the caller's). Does not take ownership of
/// `pipeline` or `lane`.
#[no_mangle]
pub extern "C" fn logcap_unbound_lane_submit_entry(
    pipeline: *const logcap_pipeline,
    lane: *mut logcap_unbound_lane,
    entry: *mut logcap_entry,
    out_memory: *mut *mut u8,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        into_own_lane(pipeline, lane, out_memory, out_len, |p, l| {
            let data = end_to_submit(p, entry)?;
            Ok(p.submit_data_to(l, data))
        })
    })
}

/// Wakes the pipeline's batcher: for a producer that published into `lane` and found its
/// `asleep` flag set (docs/lane-protocol.md, "Sleep and wake"). Nothing once the pipeline is
/// freed. Does not take ownership of `lane`.
#[no_mangle]
pub extern "C" fn logcap_unbound_lane_wake(lane: *const logcap_unbound_lane) -> logcap_result {
    boundary(|| {
        try_ref(lane)?.wake();
        Ok(())
    })
}

/// Retires an unbound lane and frees it once the batcher has delivered its records: its
/// memory must not be touched from the call on. `lane` is consumed. Releasing NULL is a
/// no-op.
#[no_mangle]
pub extern "C" fn logcap_unbound_lane_release(lane: *mut logcap_unbound_lane) {
    let _ = boundary(|| {
        drop(take_box(lane));
        Ok(())
    });
}
