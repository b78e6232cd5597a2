//! The C tests (bindings/c/tests) against the C library this `cargo test` has just built: each
//! program is compiled with the cc crate's compiler for this target, linked with the static
//! library, and run. With AddressSanitizer and UndefinedBehaviorSanitizer when the toolchain
//! can link them (as `make test-c` does); without them, and saying so, when it cannot.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The same warnings as the Makefile's CWARN.
const WARNINGS: [&str; 5] = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"];
/// After the CFLAGS of the environment, which cc puts last: .cargo/config.toml sets them for
/// the dependencies' C code (-Os, no unwind tables); the tests are built as `make test-c`
/// builds them, unoptimised and with unwind tables for the sanitizers' reports.
const UNOPTIMISED: [&str; 2] = ["-O0", "-fasynchronous-unwind-tables"];
const SANITIZERS: [&str; 3] = [
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
];

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c_tests");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// liblogcap.a as cargo built it for this run: beside this test binary, in deps/.
fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let lib = exe.parent().unwrap().join("liblogcap.a");
    assert!(lib.is_file(), "{} is built with the tests", lib.display());
    lib
}

fn compiler() -> cc::Tool {
    cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .target(env!("LOGCAP_BUILD_TARGET"))
        .host(env!("LOGCAP_BUILD_HOST"))
        .opt_level(0)
        .out_dir(out_dir())
        .get_compiler()
}

/// Whether a program built with the sanitizers links and runs here.
fn sanitizers_work() -> bool {
    static WORK: OnceLock<bool> = OnceLock::new();
    *WORK.get_or_init(|| {
        let dir = out_dir();
        let src = dir.join("probe.c");
        std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
        let exe = dir.join("probe");
        let built = compiler()
            .to_command()
            .args(SANITIZERS)
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .output()
            .is_ok_and(|o| o.status.success());
        let works = built && Command::new(&exe).status().is_ok_and(|s| s.success());
        if !works {
            eprintln!(
                "the C compiler cannot link AddressSanitizer here: the C tests run without it"
            );
        }
        works
    })
}

/// Builds bindings/c/tests/`name`.c against the static library, runs it with `args` from the
/// repository's root, and returns its standard output; panics when it fails.
fn build_and_run(name: &str, args: &[&str]) -> String {
    let root = Path::new(ROOT);
    let exe = out_dir().join(name);
    let mut cmd = compiler().to_command();
    cmd.args(WARNINGS).args(UNOPTIMISED);
    if sanitizers_work() {
        cmd.args(SANITIZERS);
    }
    cmd.arg("-I")
        .arg(root.join("include"))
        .arg("-I")
        .arg(root.join("bindings/c/tests"))
        .arg(root.join(format!("bindings/c/tests/{name}.c")))
        .arg(static_lib())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe);
    let built = cmd.output().unwrap();
    assert!(
        built.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = Command::new(&exe)
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "{name} failed ({}):\n{stdout}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    stdout
}

/// The harness's last line (check.h): `name: N passed, 0 failed`, with N > 0.
fn assert_all_passed(name: &str, stdout: &str) {
    let last = stdout.lines().last().unwrap_or("");
    let counts = last
        .strip_prefix(&format!("{name}: "))
        .and_then(|r| r.strip_suffix(" passed, 0 failed"))
        .and_then(|n| n.parse::<u32>().ok());
    assert!(
        counts.is_some_and(|n| n > 0),
        "{name} ran no check or failed some: {last:?}"
    );
}

#[test]
fn c_api() {
    let out = build_and_run(
        "test_api",
        &["tests/vectors/records.json", "tests/vectors/limits.json"],
    );
    assert_all_passed("test_api", &out);
}

#[test]
fn c_misuse() {
    let out = build_and_run("test_misuse", &[]);
    assert_all_passed("test_misuse", &out);
}

#[test]
fn c_processing() {
    let out = build_and_run("test_process", &[]);
    assert_all_passed("test_process", &out);
}

#[test]
fn c_drop_oldest() {
    let out = build_and_run("test_drop_oldest", &[]);
    assert_all_passed("test_drop_oldest", &out);
}

#[test]
fn c_writer() {
    let out = build_and_run("test_writer", &["tests/vectors/records.json"]);
    assert_all_passed("test_writer", &out);
}
