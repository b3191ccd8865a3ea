//! The C side of the test suite: builds liblfm, compiles every program in `examples-c/` and
//! `tests/c/` with `cc -std=c99 -Wall -Wextra -Werror -pedantic` (and the header as C++),
//! links them against the shared library, and runs them against the mock server.

mod support;

use std::path::Path;
use std::process::Command;

use support::MockEnv;

use support::{compile, C_FLAGS};

/// Run a compiled program with the mock's environment; assert it exits 0; return stdout.
fn run(exe: &Path, env: &MockEnv) -> String {
    run_with(exe, env, &[])
}

fn run_with(exe: &Path, env: &MockEnv, extra: &[(&str, &str)]) -> String {
    let output = Command::new(exe)
        // cargo puts target/<profile> on LD_LIBRARY_PATH, ahead of the programs' RUNPATH
        // (target/<profile>/c-lib): a liblfm.so left there by an older build would be loaded.
        .env_remove("LD_LIBRARY_PATH")
        .envs(env.vars())
        .envs(extra.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "{} failed: {}",
        exe.display(),
        output.status
    );
    stdout
}

#[test]
fn c_api_suite_passes_against_the_mock() {
    let env = MockEnv::start();
    let out = run(&compile("tests/c/test_api.c", "cc", C_FLAGS), &env);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn c_scrobble_and_queue_suite_passes_against_the_mock() {
    let env = MockEnv::start();
    let dir = support::fresh_dir("c-scrobble");
    let out = run_with(
        &compile("tests/c/test_scrobble.c", "cc", C_FLAGS),
        &env,
        &[("LFM_TEST_DIR", dir.to_str().unwrap())],
    );
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

/// The scrobbler engine from C with an injected clock (tests/c/test_scrobbler.c): the
/// scripted session, outage, limits, lost session, plays left at free, and player calls
/// while the server hangs.
#[test]
fn c_scrobbler_suite_passes_against_the_mock() {
    let env = MockEnv::start();
    let dir = support::fresh_dir("c-scrobbler");
    let out = run_with(
        &compile("tests/c/test_scrobbler.c", "cc", C_FLAGS),
        &env,
        &[("LFM_TEST_DIR", dir.to_str().unwrap())],
    );
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert!(
        out.contains("slowest player call while the server hangs"),
        "{out}"
    );
}

#[test]
fn c_auth_transport_and_logging_suite_passes_against_the_mock() {
    let env = MockEnv::start();
    let out = run(&compile("tests/c/test_auth.c", "cc", C_FLAGS), &env);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn c_read_suite_passes_against_the_mock() {
    let env = MockEnv::start();
    let out = run(&compile("tests/c/test_read.c", "cc", C_FLAGS), &env);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn eight_threads_share_one_client() {
    let env = MockEnv::start();
    let out = run(&compile("tests/c/test_threads.c", "cc", C_FLAGS), &env);
    assert!(out.contains("1600 ok, 0 failed"), "{out}");
}

#[test]
fn examples_run_against_the_mock() {
    let env = MockEnv::start();
    let out = run(&compile("../examples-c/sign.c", "cc", C_FLAGS), &env);
    assert!(out.contains("800b8884b00c9343d1d425ed271e0f42"), "{out}");
    let out = run(&compile("../examples-c/session.c", "cc", C_FLAGS), &env);
    assert!(out.contains("logged in as RJ"), "{out}");
    assert!(out.contains("Last.fm error 4"), "{out}");
    assert!(out.contains("all steps behaved as expected"), "{out}");
    // The scrobble the example sent is stored by the server.
    let stored = env.server.scrobbles();
    assert!(
        stored
            .iter()
            .any(|s| s.artist == "Björk" && s.track == "Jóga"),
        "{stored:?}"
    );
}

/// examples-c/player.c: the simulated session stores exactly its five plays, each with
/// its own start, and nothing is left undelivered.
#[test]
fn the_player_example_scrobbles_exactly_the_plays_that_count() {
    let env = MockEnv::start();
    let queue = support::fresh_dir("c-player").join("player.lfmq");
    let exe = compile("../examples-c/player.c", "cc", C_FLAGS);
    let output = Command::new(&exe)
        .arg(&queue)
        .env_remove("LD_LIBRARY_PATH")
        .envs(env.vars())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    print!("{out}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{}", output.status);
    assert!(out.contains("player: done, 0 plays left"), "{out}");
    let stored = env.server.scrobbles();
    let titles: Vec<&str> = stored.iter().map(|s| s.track.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Jóga",
            "Hunter",
            "All Is Full of Love",
            "All Is Full of Love",
            "Pagan Poetry"
        ]
    );
    // Repeat-one: two plays, two timestamps, a track's length apart.
    assert_eq!(stored[3].timestamp - stored[2].timestamp, 272);
    // The pause does not move the play's start: Hunter began 305 s after Jóga.
    assert_eq!(stored[1].timestamp - stored[0].timestamp, 305);
}

#[test]
fn header_compiles_as_cpp() {
    let exe = compile(
        "tests/c/header_cpp.cpp",
        "c++",
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
    );
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success());
}

/// The same matrix through the C API (and its error objects), from tests/c/test_faults.c.
#[test]
fn c_api_fault_matrix() {
    let env = MockEnv::start();
    let exe = compile("tests/c/test_faults.c", "cc", C_FLAGS);
    let out = std::process::Command::new(&exe)
        .envs(env.vars())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "test_faults failed: {}", out.status);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
