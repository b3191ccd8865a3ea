//! The C side of the capi tests: build liblfm once per test binary and compile C programs
//! against it; the mock helpers come from the core crate's tests/support.

#![allow(dead_code)]

#[path = "../../../tests/support/mod.rs"]
mod common;

pub use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where `cargo build` put liblfm.so and liblfm.a (links to liblfm_capi.*).
pub struct Library {
    pub dir: PathBuf,
}

/// Build the library's C artifacts (debug profile) once per test binary.
pub fn build_library() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "-p", "lfm-capi", "--lib", "--message-format=json"])
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let so = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "lfm_capi")
            .flat_map(|m| {
                m["filenames"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|f| f.as_str().map(PathBuf::from))
            })
            .find(|p| p.extension().is_some_and(|e| e == "so"))
            .expect("cargo build produced liblfm_capi.so");
        // build.rs links liblfm.so, liblfm.so.0 and liblfm.a there.
        Library {
            dir: so.parent().unwrap().join("c-lib"),
        }
    })
}

/// Strict C flags every C program of the project must compile with.
pub const C_FLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"];

/// Compile one C (or C++) source of the repository against the shared library; return the
/// executable's path.
pub fn compile(source: &str, compiler: &str, flags: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = root.parent().unwrap().join("include");
    let lib = build_library();
    let out_dir = lib.dir.join("c-tests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let stem = Path::new(source).file_stem().unwrap().to_str().unwrap();
    let exe = out_dir.join(stem);
    let status = Command::new(compiler)
        .args(flags)
        .arg("-I")
        .arg(include)
        .arg("-I")
        .arg(root.join("tests/c"))
        .arg(root.join(source))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib.dir)
        .arg(format!("-Wl,-rpath,{}", lib.dir.display()))
        .args(["-llfm", "-lpthread"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(status.success(), "{compiler} failed on {source}");
    exe
}
