//! The atomics, fences and byte cells the lane uses: std's in every build, loom's under
//! `--cfg loom`, so that the model checks the very code the library runs.
//!
//! Two of the lane's Dekker pairs have one side on every call and the other rare: a producer
//! entering a call against the closer (`busy` / `closed`), and a producer publishing against
//! the consumer going to sleep (`write` / `asleep`). Each pair needs a full barrier on both
//! sides, between its store and its load. The frequent side makes a [`light_fence`], the rare
//! side a [`heavy_fence`]; together they order as two SeqCst fences would. On Linux the heavy
//! one is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: the kernel makes every running thread
//! of the process execute a full memory barrier (threads not running pass one on their way
//! back to user space), so the light one need only keep the compiler from moving the store
//! past the load. This is the fast path of the membarrier(2) manual's example, and folly's
//! `asymmetricLightBarrier`. Where membarrier cannot be registered (another OS, an old kernel,
//! a seccomp filter), and under Miri and loom, both are SeqCst fences. A producer in another
//! language may always make a full fence instead of the light one (docs/lane-protocol.md).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU32, AtomicU64};

/// Loom's checked cell for one 8-byte word of the ring: the model sees every access to the
/// ring's bytes and reports one that is not ordered after the write it reads.
#[cfg(loom)]
pub(crate) type WordCell = loom::cell::UnsafeCell<[u8; 8]>;

#[cfg(all(not(loom), not(miri), target_os = "linux"))]
pub(crate) use membarrier::{heavy_fence, init_fences, light_fence, light_fence_is_compiler_only};

/// Registers the process for the heavy fence, once; every lane calls it when it is made, so
/// that both sides of every lane see the outcome.
#[cfg(any(loom, miri, not(target_os = "linux")))]
pub(crate) fn init_fences() {}

/// Whether [`light_fence`] is a compiler fence (the heavy one a membarrier): never here.
#[cfg(any(loom, miri, not(target_os = "linux")))]
pub(crate) fn light_fence_is_compiler_only() -> bool {
    false
}

/// The frequent side's barrier: a SeqCst fence here.
#[cfg(any(loom, miri, not(target_os = "linux")))]
#[inline]
pub(crate) fn light_fence() {
    fence(std::sync::atomic::Ordering::SeqCst);
}

/// The rare side's barrier: a SeqCst fence here.
#[cfg(any(loom, miri, not(target_os = "linux")))]
pub(crate) fn heavy_fence() {
    fence(std::sync::atomic::Ordering::SeqCst);
}

#[cfg(all(not(loom), not(miri), target_os = "linux"))]
mod membarrier {
    use std::sync::atomic::Ordering::{Relaxed, SeqCst};
    use std::sync::atomic::{compiler_fence, fence, AtomicBool};
    use std::sync::Once;

    // From linux/membarrier.h.
    const CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    /// Whether the process is registered: set once, by [`init_fences`], before any lane
    /// exists, and never cleared. Each side of a lane reads it after receiving the lane from
    /// the thread that made it, so both sides see the same value.
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    static INIT: Once = Once::new();

    fn membarrier(cmd: libc::c_int) -> libc::c_long {
        // SAFETY: membarrier takes two integers and a CPU number and touches no memory of
        // ours; an unknown or refused command only returns -1.
        #[allow(unsafe_code)]
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_uint,
                0 as libc::c_int,
            )
        }
    }

    /// Registers the process for expedited private membarriers, once.
    pub(crate) fn init_fences() {
        INIT.call_once(|| {
            if membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0 {
                REGISTERED.store(true, Relaxed);
            }
        });
    }

    /// Whether [`light_fence`] is a compiler fence: once [`init_fences`] registered the
    /// process, for good.
    pub(crate) fn light_fence_is_compiler_only() -> bool {
        REGISTERED.load(Relaxed)
    }

    /// The frequent side: the compiler may not move memory accesses across it; the CPU's
    /// reordering is the heavy side's business.
    #[inline]
    pub(crate) fn light_fence() {
        if REGISTERED.load(Relaxed) {
            compiler_fence(SeqCst);
        } else {
            fence(SeqCst);
        }
    }

    /// The rare side: a full barrier on every running thread of the process (a system call,
    /// a few microseconds).
    pub(crate) fn heavy_fence() {
        fence(SeqCst);
        if REGISTERED.load(Relaxed) {
            // Registered, the command does not fail: the kernel refuses it only to a process
            // that did not register (registration survives fork and ends with exec, which
            // starts the library afresh), or one that does not know it, which registration
            // ruled out. Should it fail all the same, register again and retry; failing
            // silently would let a producer's store and load be reordered.
            let mut r = membarrier(CMD_PRIVATE_EXPEDITED);
            if r != 0 && membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0 {
                r = membarrier(CMD_PRIVATE_EXPEDITED);
            }
            assert_eq!(
                r,
                0,
                "membarrier(PRIVATE_EXPEDITED) failed after registration: {}",
                std::io::Error::last_os_error()
            );
            fence(SeqCst);
        }
    }
}
