//! The C ABI: the only module with `unsafe`, `extern` and raw pointers.
//!
//! One file per handle (pipeline, entry, builder, batch) plus result codes, the last-error
//! detail, the panic boundary and pointer helpers. Every export runs inside
//! [`panic::boundary`], checks every pointer, and writes outputs only on success. The header,
//! include/logcap.h, is generated from this module by cbindgen (see build.rs).
#![allow(non_camel_case_types)]

pub mod batch;
pub mod builder;
pub mod entry;
pub mod error;
mod handles;
mod panic;
pub mod pipeline;
mod pointer;
pub mod result;
pub mod types;
pub mod version;

#[cfg(test)]
mod tests {
    #[test]
    fn checked_in_header_matches_the_generated_one() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/logcap.h"));
        let checked_in = include_str!("../../include/logcap.h");
        assert!(
            generated == checked_in,
            "include/logcap.h is out of date: run `make header`"
        );
    }

    #[test]
    fn header_version_macros_match_cargo_toml() {
        let h = include_str!("../../include/logcap.h");
        let expect = [
            ("LOGCAP_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
            ("LOGCAP_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
            ("LOGCAP_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
        ];
        for (name, v) in expect {
            assert!(
                h.contains(&format!("#define {name} {v}\n")),
                "{name} is not {v}"
            );
        }
        assert!(h.contains(&format!(
            "#define LOGCAP_VERSION_STRING \"{}\"",
            env!("CARGO_PKG_VERSION")
        )));
        let lib = unsafe { std::ffi::CStr::from_ptr(super::version::logcap_version()) };
        assert_eq!(lib.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
