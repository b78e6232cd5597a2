//! Generates the C header with cbindgen into OUT_DIR, from this crate alone (src/: the C
//! ABI; the core crate is a dependency cbindgen does not read). With LOGCAP_UPDATE_HEADER=1 it
//! also writes include/logcap.h (`make header`); a test fails when the two differ.
//!
//! On ELF targets it also gives the shared library its SONAME, derived from the package version
//! as cargo-c does: `liblogcap.so.MAJOR`, or `liblogcap.so.0.MINOR` while the major version
//! is 0 (each 0.x minor release may break the ABI), or `liblogcap.so.0.0.PATCH` for 0.0.x.
//! On linux-gnu the shared library's relative relocations are packed (DT_RELR).

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("logcap.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=LOGCAP_UPDATE_HEADER");
    // For tests/c_tests.rs, which builds the C tests with the cc crate for this target.
    for v in ["TARGET", "HOST"] {
        println!("cargo:rustc-env=LOGCAP_BUILD_{v}={}", env::var(v).unwrap());
    }
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap();
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(target_os.as_str(), "macos" | "ios" | "windows") {
        let sover = match (version("MAJOR").as_str(), version("MINOR").as_str()) {
            ("0", "0") => format!("0.0.{}", version("PATCH")),
            ("0", minor) => format!("0.{minor}"),
            (major, _) => major.to_string(),
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liblogcap.so.{sover}");
    }
    let macros = format!(
        "#define LOGCAP_VERSION_MAJOR {}\n#define LOGCAP_VERSION_MINOR {}\n#define LOGCAP_VERSION_PATCH {}\n#define LOGCAP_VERSION_STRING \"{}\"\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        env::var("CARGO_PKG_VERSION").unwrap()
    );
    let bindings = cbindgen::Builder::new()
        // The crate's own sources, from its root through its `mod` declarations: the C ABI
        // needs nothing from its dependencies, and reading the crate this way spares cbindgen
        // a `cargo metadata`, which inherits the calling build's compiler, flags and standard
        // input (under cargo-fuzz's sanitizer flags, Miri, or clippy, its rustc probe failed).
        .with_src(crate_dir.join("src/lib.rs"))
        .with_config(config)
        .with_after_include(macros)
        .generate()
        .expect("cbindgen can read src/");
    bindings.write_to_file(&out);
    if env::var("LOGCAP_UPDATE_HEADER").as_deref() == Ok("1") {
        bindings.write_to_file(crate_dir.join("include/logcap.h"));
    }
}
