//! Pointer helpers: the only place raw pointers from foreign code are read or written.

use super::error::fail;
use super::panic::FfiResult;
use super::result::logcap_result;
use std::borrow::Cow;

/// Ties an opaque C type to the Rust type its pointers point to, and to how they own it
/// (after rustls-ffi's `Castable`), so that no export holds a raw cast and each helper takes
/// only the pointers it is right for: a borrowed view can be read, but `take_box` (every
/// `_free`) and `try_mut` do not accept it, so freeing one does not compile.
pub(crate) trait Castable {
    /// How the pointer owns the value: [`OwnedBox`] or [`Borrowed`]. (rustls-ffi's third
    /// flavour, a shared `Arc` with a reference count, has no C type here: none is shared.)
    type Ownership;
    /// The Rust type behind the opaque pointer.
    type Rust;
    /// The C name, for error messages.
    const NAME: &'static str;
}

/// The pointer owns a `Box` of the value: made by [`to_boxed_ptr`], read by [`try_ref`] and
/// [`try_mut`], given back by [`take_box`] when C frees it.
pub(crate) struct OwnedBox;

/// The pointer borrows a value that Rust owns, for the duration of one call into C (the batch
/// a callback receives): made by [`to_borrowed_ptr`], read by [`try_ref`], never freed or
/// written through.
pub(crate) struct Borrowed;

/// Boxes a value and returns it as an owned opaque pointer.
pub(crate) fn to_boxed_ptr<C: Castable<Ownership = OwnedBox>>(v: C::Rust) -> *mut C {
    Box::into_raw(Box::new(v)).cast::<C>()
}

/// A borrowed view of `v` as an opaque pointer, valid while `v` is: for passing to C during
/// a call that outlives neither.
pub(crate) fn to_borrowed_ptr<C: Castable<Ownership = Borrowed>>(v: &C::Rust) -> *const C {
    (v as *const C::Rust).cast::<C>()
}

/// Borrows the value behind an opaque pointer; `NullArgument` for NULL.
pub(crate) fn try_ref<'a, C: Castable>(p: *const C) -> FfiResult<&'a C::Rust> {
    if p.is_null() {
        return Err(fail(
            logcap_result::NullArgument,
            format!("{} pointer is NULL", C::NAME),
        ));
    }
    // SAFETY: a non-NULL pointer of this type was made by `to_boxed_ptr` and is not yet freed,
    // or by `to_borrowed_ptr` during the call that lent it (the header's contract); the value
    // is only read through `&`.
    Ok(unsafe { &*p.cast::<C::Rust>() })
}

/// Mutably borrows the value behind an owned opaque pointer; `NullArgument` for NULL.
pub(crate) fn try_mut<'a, C: Castable<Ownership = OwnedBox>>(
    p: *mut C,
) -> FfiResult<&'a mut C::Rust> {
    if p.is_null() {
        return Err(fail(
            logcap_result::NullArgument,
            format!("{} pointer is NULL", C::NAME),
        ));
    }
    // SAFETY: as in `try_ref`; the header requires exclusive use for `T *` functions.
    Ok(unsafe { &mut *p.cast::<C::Rust>() })
}

/// Takes back ownership of a boxed value; `None` for NULL.
pub(crate) fn take_box<C: Castable<Ownership = OwnedBox>>(p: *mut C) -> Option<Box<C::Rust>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: made by `to_boxed_ptr`, and the caller gives up the pointer (it is consumed).
    Some(unsafe { Box::from_raw(p.cast::<C::Rust>()) })
}

/// The bytes at (ptr, len). NULL is allowed only with length 0.
///
/// This and [`text`] are inlined into every export, their refusals kept out of line: a
/// result returned through memory from an out-of-line call cost a store-forwarding stall per
/// string.
#[inline(always)]
pub(crate) fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() || len > isize::MAX as usize {
        return Err(bad_bytes(ptr, len, what));
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr` for the call's duration.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

#[cold]
#[inline(never)]
fn bad_bytes(ptr: *const u8, len: usize, what: &str) -> logcap_result {
    if ptr.is_null() {
        fail(
            logcap_result::NullArgument,
            format!("{what} is NULL with length {len}"),
        )
    } else {
        fail(
            logcap_result::InvalidArgument,
            format!("{what} length {len} is too large"),
        )
    }
}

/// The text at (ptr, len); invalid UTF-8 is replaced with U+FFFD.
#[inline(always)]
pub(crate) fn text<'a>(ptr: *const u8, len: usize, what: &str) -> FfiResult<Cow<'a, str>> {
    let b = bytes(ptr, len, what)?;
    // Keys and most values are ASCII: checked inline, several times cheaper than full
    // validation on short strings.
    match logcap_core::entry::text::utf8(b) {
        Some(s) => Ok(Cow::Borrowed(s)),
        None => Ok(replaced(b)),
    }
}

#[cold]
#[inline(never)]
fn replaced(b: &[u8]) -> Cow<'_, str> {
    logcap_core::entry::text::lossy(b)
}

/// A key: like [`text`], and not empty.
#[inline(always)]
pub(crate) fn key<'a>(ptr: *const u8, len: usize) -> FfiResult<Cow<'a, str>> {
    if len == 0 {
        return Err(empty_key());
    }
    text(ptr, len, "key")
}

#[cold]
#[inline(never)]
fn empty_key() -> logcap_result {
    fail(logcap_result::InvalidArgument, "the key is empty")
}

/// Checks an output pointer and returns it as a reference to write through.
pub(crate) fn out<'a, T>(p: *mut T, what: &str) -> FfiResult<&'a mut T> {
    if p.is_null() {
        return Err(fail(
            logcap_result::NullArgument,
            format!("output {what} is NULL"),
        ));
    }
    // SAFETY: the caller passes a valid, writable, aligned pointer for the call's duration.
    Ok(unsafe { &mut *p })
}

/// Copies `src` into the caller's buffer (ptr, cap) and writes the length to `out_len`.
/// With too small a buffer, only the needed length is written (`BufferTooSmall`).
pub(crate) fn copy_out(src: &[u8], buf: *mut u8, cap: usize, out_len: &mut usize) -> FfiResult {
    if src.len() > cap {
        *out_len = src.len();
        return Err(fail(
            logcap_result::BufferTooSmall,
            format!("the value needs {} bytes, the buffer has {cap}", src.len()),
        ));
    }
    if !src.is_empty() {
        if buf.is_null() {
            return Err(fail(logcap_result::NullArgument, "output buffer is NULL"));
        }
        // SAFETY: the caller promises `cap` writable bytes at `buf`; src.len() <= cap.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), buf, src.len()) };
    }
    *out_len = src.len();
    Ok(())
}
