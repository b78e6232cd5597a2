//! The pipeline builder, for configurations with callback sinks, and the C callback sink.

use super::batch::logcap_batch;
use super::error::{fail, from_error};
use super::panic::boundary;
use super::pipeline::logcap_pipeline;
use super::pointer::{key, out, take_box, text, to_boxed_ptr, try_mut, Castable};
use super::result::logcap_result;
use crate::config::Config;
use crate::dispatcher::Batch;
use crate::pipeline::Pipeline;
use crate::sink::{Sink, SinkError};
use std::collections::HashMap;
use std::ffi::c_void;

/// The function a callback sink calls with each batch, on the sink's own thread (never two
/// calls at once for one sink). `batch` is a read-only view valid only during the call.
/// Return 0 on success; any other value counts the batch as failed for this sink.
pub type logcap_batch_fn =
    Option<extern "C" fn(userdata: *mut c_void, batch: *const logcap_batch) -> i32>;

/// A pipeline under construction: a configuration and the functions bound to its callback
/// sinks.
pub struct logcap_builder {
    _private: [u8; 0],
}

pub(crate) struct Builder {
    config: Config,
    callbacks: HashMap<String, CallbackSink>,
}

impl Castable for logcap_builder {
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
        let view = (batch as *const Batch).cast::<logcap_batch>();
        match (self.f)(self.userdata, view) {
            0 => Ok(0),
            rc => Err(SinkError::new(format!("the callback returned {rc}"))),
        }
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
        let declared = b
            .config
            .sinks
            .iter()
            .any(|s| s.name == *name && matches!(s.kind, crate::config::SinkKind::Callback));
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
