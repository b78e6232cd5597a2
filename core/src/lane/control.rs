//! The closer's side of a lane (docs/lane-protocol.md, "Flush and close"): stopping intake
//! with no record half-way.

use super::layout::Lane;
use super::sync::heavy_fence;
use std::sync::atomic::Ordering::{Acquire, Relaxed};

impl Lane {
    /// Whether the pipeline stopped intake into this lane.
    pub fn is_closed(&self) -> bool {
        self.header().control.closed.load(Relaxed) != 0
    }

    /// Whether its producer is inside a call (between `enter` and `leave`). An Acquire load:
    /// once it gives `false` after [`close_lanes`], whatever the producer published is visible.
    pub fn is_busy(&self) -> bool {
        self.header().producer.busy.load(Acquire) != 0
    }

    /// Whether its producer let go of it.
    pub fn is_retired(&self) -> bool {
        self.header().producer.retired.load(Acquire) != 0
    }

    /// Tells the lane's producer the pipeline's minimum level (a level's number, 0 trace to 5
    /// fatal), for a producer that checks it itself (docs/lane-protocol.md, the control line).
    /// Relaxed: a level change orders nothing, and a call that races it may see either.
    pub fn set_min_level(&self, level: u8) {
        self.header()
            .control
            .min_level
            .store(u32::from(level), Relaxed);
    }

    /// The minimum level last stored by [`Lane::set_min_level`].
    pub fn min_level(&self) -> u8 {
        self.header().control.min_level.load(Relaxed) as u8
    }

    /// Marks a lane closed from the start, for a lane registered after the pipeline closed
    /// (before its producer gets it, so no fence is needed).
    pub fn mark_closed(&self) {
        self.header().control.closed.store(1, Relaxed);
    }
}

/// Steps 1–2 of close: marks every lane closed, then a heavy fence, which pairs with the light
/// one in `Producer::enter`. Then wait until no lane [`Lane::is_busy`], and drain them all.
pub fn close_lanes<'a>(lanes: impl IntoIterator<Item = &'a Lane>) {
    for l in lanes {
        l.header().control.closed.store(1, Relaxed);
    }
    heavy_fence();
}
