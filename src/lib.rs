//! logcap's C library: the C ABI over the core crate (`logcap_core`), and nothing else.
//!
//! One file per handle (pipeline, entry, builder, batch), the thread's record writer, plus result codes, the last-error
//! detail, the panic boundary and pointer helpers. Every export runs inside
//! [`panic::boundary`], checks every pointer, and writes outputs only on success. The header,
//! include/logcap.h, is generated from this crate alone by cbindgen (see build.rs). The core
//! has no `unsafe` but where its root names it; raw pointers from foreign code are read only
//! here, in pointer.rs, and handle tokens are resolved in handles.rs.
#![allow(non_camel_case_types)]

pub mod batch;
pub mod builder;
pub mod entry;
pub mod error;
mod handles;
pub mod lane;
mod panic;
pub mod pipeline;
mod pointer;
pub mod result;
pub mod types;
pub mod version;
pub mod writer;

#[cfg(test)]
mod tests {
    #[test]
    fn checked_in_header_matches_the_generated_one() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/logcap.h"));
        let checked_in = include_str!("../include/logcap.h");
        assert!(
            generated == checked_in,
            "include/logcap.h is out of date: run `make header`"
        );
    }

    /// The names the header declares at file scope: macros, tags, typedefs, enumerators and
    /// functions (not struct members, which live in their struct's scope).
    fn declared_names(h: &str) -> Vec<String> {
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let mut names = Vec::new();
        let mut in_comment = false;
        for line in h.lines() {
            let t = line.trim();
            if in_comment {
                in_comment = !t.contains("*/");
                continue;
            }
            if t.starts_with("/*") {
                in_comment = !t.contains("*/");
                continue;
            }
            if t.is_empty() || t.starts_with("//") {
                continue;
            }
            if let Some(rest) = t.strip_prefix("#define ") {
                names.push(ident(rest));
            } else if t.starts_with('#') {
                continue;
            } else if let Some(rest) = ["enum ", "struct ", "union "]
                .iter()
                .find_map(|k| line.strip_prefix(k))
            {
                names.push(ident(rest));
            } else if let Some(rest) = line.strip_prefix("} ") {
                names.push(ident(rest));
            } else if line.starts_with("typedef ") {
                // `typedef T name;` or `typedef R (*name)(...);`
                let name = match line.find("(*") {
                    Some(i) => ident(&line[i + 2..]),
                    None => ident(line.trim_end_matches(';').rsplit(' ').next().unwrap()),
                };
                names.push(name);
            } else if line.starts_with(' ') {
                // An enumerator (`  NAME = 1,`); a member has a type before its name.
                let first = ident(t);
                if first.len()
                    == t.trim_end_matches(',')
                        .split('=')
                        .next()
                        .unwrap()
                        .trim()
                        .len()
                {
                    names.push(first);
                }
            } else if let Some(i) = line.find('(') {
                // A function declaration: `logcap_result logcap_name(...`.
                names.push(ident(line[..i].rsplit([' ', '*']).next().unwrap()));
            }
        }
        // Braces, `extern "C" {`, an enum's `: uint32_t` name nothing.
        names.retain(|n| !n.is_empty());
        names
    }

    #[test]
    fn the_header_declares_only_prefixed_names() {
        let h = include_str!("../include/logcap.h");
        let names = declared_names(h);
        assert!(
            names.len() > 100,
            "the scan finds the header's names: {names:?}"
        );
        for probe in [
            "LOGCAP_MAX_LABELS",
            "logcap_result",
            "LOGCAP_RESULT_OK",
            "logcap_str",
        ] {
            assert!(names.iter().any(|n| n == probe), "{probe} is found");
        }
        assert!(names.iter().any(|n| n == "logcap_pipeline_new"));
        let unprefixed: Vec<_> = names
            .iter()
            .filter(|n| !n.starts_with("LOGCAP_") && !n.starts_with("logcap_"))
            .collect();
        assert!(unprefixed.is_empty(), "unprefixed names: {unprefixed:?}");
        // The scan sees an unprefixed definition where it would be.
        let leaked = declared_names("#define MAX_STREAM_LABELS 15\n  OTHER = 1,\nint f(void);\n");
        assert_eq!(leaked, ["MAX_STREAM_LABELS", "OTHER", "f"]);
    }

    #[test]
    fn header_version_macros_match_cargo_toml() {
        let h = include_str!("../include/logcap.h");
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
        // SAFETY: logcap_version returns a pointer to a static NUL-terminated string.
        let lib = unsafe { std::ffi::CStr::from_ptr(super::version::logcap_version()) };
        assert_eq!(lib.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
