//! A thread's lane, handed to code in another language that writes records into it directly
//! (docs/lane-protocol.md, "Who writes a lane"): the Node.js binding's `log()` does, with no
//! call into the library per record.

use super::error::from_error;
use super::panic::boundary;
use super::pipeline::logcap_pipeline;
use super::pointer::{out, take_box, to_boxed_ptr, try_ref, Castable, OwnedBox};
use super::result::logcap_result;
use logcap_core::lane::ThreadLane;

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
        let lane = out(out_lane, "out_lane")?;
        let memory = out(out_memory, "out_memory")?;
        let len = out(out_len, "out_len")?;
        *lane = std::ptr::null_mut();
        *memory = std::ptr::null_mut();
        *len = 0;
        if let Some(t) = p.thread_lane().map_err(|e| from_error(&e))? {
            *memory = t.memory();
            *len = t.size();
            *lane = to_boxed_ptr(t);
        }
        Ok(())
    })
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
