//! Runs scripts/memcheck.sh: every C program of the project under valgrind and under
//! AddressSanitizer + UndefinedBehaviorSanitizer against the mock. Ignored by default (it
//! needs valgrind and clang, and takes minutes):
//!
//!   cargo test -p lfm-capi --test memcheck -- --ignored --nocapture

use std::process::Command;

#[test]
#[ignore = "needs valgrind and clang; run with --ignored"]
fn every_c_program_is_clean_under_valgrind_and_sanitizers() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("bash")
        .arg(format!("{root}/scripts/memcheck.sh"))
        .current_dir(root)
        .output()
        .expect("run scripts/memcheck.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(out.status.success(), "memcheck.sh failed: {last}");
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
}
