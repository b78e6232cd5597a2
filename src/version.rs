//! The library's version.

use std::ffi::c_char;

/// The library's version, "MAJOR.MINOR.PATCH", NUL-terminated. Compare it with
/// LOGCAP_VERSION_STRING to detect a header/library mismatch. Static: must not be freed.
#[no_mangle]
pub extern "C" fn logcap_version() -> *const c_char {
    const V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    V.as_ptr().cast()
}
