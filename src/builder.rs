//! The pipeline builder, for configurations with callback sinks or a processor hook; the C
//! callback sink and the C processor hook.

use super::batch::logcap_batch;
use super::entry::logcap_entry;
use super::error::{fail, from_error};
use super::handles::{self, Ended, Live};
use super::panic::boundary;
use super::pipeline::logcap_pipeline;
use super::pointer::{
    key, out, take_box, text, to_borrowed_ptr, to_boxed_ptr, try_mut, Castable, OwnedBox,
};
use super::result::logcap_result;
use logcap_core::batch::Batch;
use logcap_core::config::Config;
use logcap_core::entry::EntryData;
use logcap_core::pipeline::Pipeline;
use logcap_core::process::{EntryHook, HookContext, HookOutcome};
use logcap_core::sink::{Sink, SinkError};
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::Arc;

/// The function a callback sink calls with each batch, on the sink's own thread (never two
/// calls at once for one sink). `batch` is a read-only view valid only during the call.
/// Return 0 on success; any other value counts the batch as failed for this sink.
pub type logcap_batch_fn =
    Option<extern "C" fn(userdata: *mut c_void, batch: *const logcap_batch) -> i32>;

/// The processor hook: called with each entry that passes the level check, sampling and rate
/// limiting, before redaction and the queue, on the thread that submits it (so from any
/// number of threads at once: `userdata` must allow that).
///
/// `entry` is a handle lent for the duration of the call: read and change it with the entry
/// functions (logcap_set_label, logcap_entry_get_field, logcap_entry_set_message, ...), from
/// this thread or others, until the function returns; afterwards the handle is stale. It
/// cannot be released or submitted (LOGCAP_RESULT_INVALID_ARGUMENT). Return
/// LOGCAP_PROCESSOR_KEEP (0) to keep the entry, LOGCAP_PROCESSOR_DROP (1) to drop it (counted
/// as dropped_by_hook); any other value is an error: it is counted in hook_errors and the entry
/// is kept. The function must not close or free the pipeline.
pub type logcap_processor_fn =
    Option<extern "C" fn(userdata: *mut c_void, entry: *mut logcap_entry) -> i32>;

/// A processor hook's return value: keep the entry.
pub const LOGCAP_PROCESSOR_KEEP: i32 = 0;
/// A processor hook's return value: drop the entry (counted as dropped_by_hook).
pub const LOGCAP_PROCESSOR_DROP: i32 = 1;

/// A pipeline under construction: a configuration, the functions bound to its callback sinks
/// and its processor hook.
pub struct logcap_builder {
    _private: [u8; 0],
}

pub(crate) struct Builder {
    config: Config,
    callbacks: HashMap<String, CallbackSink>,
    processor: Option<CProcessor>,
}

impl Castable for logcap_builder {
    type Ownership = OwnedBox;
    type Rust = Builder;
    const NAME: &'static str = "builder";
}

struct CallbackSink {
    f: extern "C" fn(*mut c_void, *const logcap_batch) -> i32,
    userdata: *mut c_void,
}

// SAFETY: the header makes the caller responsible for `userdata` being usable from the
// sink's thread; logcap only passes it back.
unsafe impl Send for CallbackSink {}

impl Sink for CallbackSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        let view = to_borrowed_ptr::<logcap_batch>(batch);
        match (self.f)(self.userdata, view) {
            0 => Ok(0),
            rc => Err(SinkError::new(format!("the callback returned {rc}"))),
        }
    }
}

struct CProcessor {
    f: extern "C" fn(*mut c_void, *mut logcap_entry) -> i32,
    userdata: *mut c_void,
}

// SAFETY: the header makes the caller responsible for `userdata` being usable from any
// thread at once; logcap only passes it back.
unsafe impl Send for CProcessor {}
unsafe impl Sync for CProcessor {}

impl EntryHook for CProcessor {
    fn run(&self, e: Box<EntryData>, ctx: &HookContext) -> (Option<Box<EntryData>>, HookOutcome) {
        // The entry goes behind a checked handle for the call, so the hook uses the ordinary
        // entry functions and a handle kept past the call is merely stale.
        let live = Live {
            data: e,
            pipeline_id: ctx.pipeline_id,
            lent: true,
        };
        let h = match handles::issue_or_return(live, &ctx.pool) {
            Ok(h) => h,
            // No handle to lend (the handle table is full): the hook cannot run.
            Err((_, live)) => return (Some(live.data), HookOutcome::Failed),
        };
        let rc = (self.f)(self.userdata, h as *mut logcap_entry);
        // A lent handle cannot be released or submitted, so it is still live here.
        let back = handles::end(h, Ended::Returned, |_| Ok(()), |l, _| l.data).ok();
        let outcome = match rc {
            LOGCAP_PROCESSOR_KEEP => HookOutcome::Keep,
            LOGCAP_PROCESSOR_DROP => HookOutcome::Drop,
            _ => HookOutcome::Failed,
        };
        (back, outcome)
    }
}

/// Parses a JSON configuration (as logcap_pipeline_new) and starts a builder.
///
/// Does not take ownership of `config`. The builder must later be consumed by
/// logcap_builder_build or freed with logcap_builder_free.
#[no_mangle]
pub extern "C" fn logcap_builder_new(
    config: *const u8,
    len: usize,
    out_builder: *mut *mut logcap_builder,
) -> logcap_result {
    boundary(|| {
        let o = out(out_builder, "out_builder")?;
        let doc = text(config, len, "config")?;
        let config = Config::from_json(&doc).map_err(|e| from_error(&e.into()))?;
        *o = to_boxed_ptr(Builder {
            config,
            callbacks: HashMap::new(),
            processor: None,
        });
        Ok(())
    })
}

/// Binds `callback` to the configuration's sink of type "callback" named `name`.
///
/// Does not take ownership of `name` (copied) or of `userdata`, which is passed back to every
/// call, from the sink's thread, until the pipeline is closed: it must stay valid until then.
/// LOGCAP_RESULT_CONFIG when the configuration has no callback sink of that name.
#[no_mangle]
pub extern "C" fn logcap_builder_add_callback(
    builder: *mut logcap_builder,
    name_ptr: *const u8,
    name_len: usize,
    callback: logcap_batch_fn,
    userdata: *mut c_void,
) -> logcap_result {
    boundary(|| {
        let b = try_mut(builder)?;
        let name = key(name_ptr, name_len)?;
        let f = callback.ok_or_else(|| fail(logcap_result::NullArgument, "callback is NULL"))?;
        let declared =
            b.config.sinks.iter().any(|s| {
                s.name == *name && matches!(s.kind, logcap_core::config::SinkKind::Callback)
            });
        if !declared {
            return Err(fail(
                logcap_result::Config,
                format!("configuration key `sinks`: no callback sink named {name:?}"),
            ));
        }
        b.callbacks
            .insert(name.into_owned(), CallbackSink { f, userdata });
        Ok(())
    })
}

/// Sets the processor hook (see logcap_processor_fn), replacing any set before.
///
/// Does not take ownership of `userdata`, which is passed back to every call, from the
/// submitting threads, until the pipeline is closed: it must stay valid until then.
/// LOGCAP_RESULT_NULL_ARGUMENT when `processor` is NULL.
#[no_mangle]
pub extern "C" fn logcap_builder_set_processor(
    builder: *mut logcap_builder,
    processor: logcap_processor_fn,
    userdata: *mut c_void,
) -> logcap_result {
    boundary(|| {
        let b = try_mut(builder)?;
        let f = processor.ok_or_else(|| fail(logcap_result::NullArgument, "processor is NULL"))?;
        b.processor = Some(CProcessor { f, userdata });
        Ok(())
    })
}

/// Starts the pipeline and writes it to `*out_pipeline`.
///
/// `builder` is consumed, whatever the result; must not be used afterwards. The pipeline must
/// later be freed with logcap_pipeline_free. LOGCAP_RESULT_SINK_SETUP when a callback sink has
/// no function bound or another sink cannot start.
#[no_mangle]
pub extern "C" fn logcap_builder_build(
    builder: *mut logcap_builder,
    out_pipeline: *mut *mut logcap_pipeline,
) -> logcap_result {
    boundary(|| {
        let b = take_box(builder)
            .ok_or_else(|| fail(logcap_result::NullArgument, "builder pointer is NULL"))?;
        let o = out(out_pipeline, "out_pipeline")?;
        let mut pb = Pipeline::builder(b.config);
        for (name, sink) in b.callbacks {
            pb = pb.sink(&name, Box::new(sink));
        }
        if let Some(p) = b.processor {
            pb = pb.hook(Arc::new(p));
        }
        let p = pb.build().map_err(|e| from_error(&e))?;
        *o = to_boxed_ptr(p);
        Ok(())
    })
}

/// Frees a builder that was not built. Freeing NULL is a no-op.
/// `builder` is consumed; must not be used afterwards.
#[no_mangle]
pub extern "C" fn logcap_builder_free(builder: *mut logcap_builder) {
    let _ = boundary(|| {
        drop(take_box(builder));
        Ok(())
    });
}
