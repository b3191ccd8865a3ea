//! The queue's integrity under real file-system trouble: a full disk (a small tmpfs mounted
//! by the test), other spellings of the path, planted symlinks and FIFOs, a read-only
//! directory, repeated and exhausted ids, a file cut inside its header. Every acknowledged
//! play must be present exactly once, and a play recorded as delivered never sent again.
//!
//! The full-disk tests mount a tmpfs (root, as in CI); where mount is not permitted they say
//! so and skip. The read-only-directory test runs its queue as user `nobody` (root ignores
//! permission bits) or, when not root, in a directory of mode 0555.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use lfm::queue::journal::{encode_line, parse, Record, HEADER};
use lfm::queue::Queue;
use lfm::{Status, Track};
use support::{now, run_start, MockEnv};

fn play(i: usize) -> Track {
    Track {
        artist: "A".into(),
        track: format!("T{i}"),
        timestamp: run_start() - 86_400 + i as i64,
        ..Track::default()
    }
}

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The plays in a queue, by track name, with how often each appears.
fn names(queue: &Queue) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for e in queue.entries() {
        *seen.entry(e.track.track).or_insert(0) += 1;
    }
    seen
}

/// A small tmpfs mounted on a fresh directory, unmounted when dropped (also on failure).
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = support::fresh_dir(name);
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("SKIPPED: mounting a tmpfs is not permitted here (run as root, as CI does)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    /// Fill the file system with `filler` until a write fails.
    fn fill(&self, filler: &Path) {
        use std::io::Write;
        let mut f = fs::File::create(filler).unwrap();
        while f.write_all(&[0u8; 4096]).is_ok() {}
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn disk_full_push_fails_cleanly_and_every_acknowledged_play_survives() {
    let Some(fs_) = Tmpfs::mount("full-push", "64k") else {
        return;
    };
    let path = fs_.dir.join("q.lfmq");
    let filler = fs_.dir.join("filler");
    fs::write(&filler, vec![0u8; 16 * 1024]).unwrap();
    let queue = Queue::open(&path).unwrap();
    let mut acked = Vec::new();
    let mut failures = 0;
    for i in 0..5000 {
        match queue.push(&play(i)) {
            Ok(added) => {
                assert!(added);
                acked.push(format!("T{i}"));
            }
            Err(e) => {
                assert_eq!(e.status(), Status::Io, "{e:?}");
                failures += 1;
                if failures == 3 {
                    break;
                }
            }
        }
    }
    assert_eq!(failures, 3, "the 64 KiB file system never filled");
    // Nothing of the failed pushes is left in the file: it ends on a record boundary.
    let bytes = fs::read(&path).unwrap();
    let parsed = parse(&bytes);
    assert!(!parsed.torn_tail && parsed.damaged_lines.is_empty());
    assert_eq!(parsed.records.len(), acked.len());

    // Free space and go on: the next pushes are acknowledged and land on lines of their own.
    fs::remove_file(&filler).unwrap();
    for i in 5000..5010 {
        assert!(queue.push(&play(i)).unwrap());
        acked.push(format!("T{i}"));
    }
    drop(queue);
    let queue = Queue::open(&path).unwrap();
    assert!(queue.damage().is_empty(), "{:?}", queue.damage().report());
    let seen = names(&queue);
    assert!(seen.values().all(|n| *n == 1), "a play appears twice");
    let mut expected = acked.clone();
    expected.sort();
    assert_eq!(seen.into_keys().collect::<Vec<_>>(), expected);
    println!(
        "{} plays acknowledged, 3 pushes refused on the full disk",
        acked.len()
    );
}

#[test]
fn disk_full_flush_never_resends_what_the_server_accepted() {
    let Some(fs_) = Tmpfs::mount("full-flush", "64k") else {
        return;
    };
    let env = MockEnv::start();
    let client = env.session_client();
    let path = fs_.dir.join("q.lfmq");
    // Long ids make the "done" record longer than any space left in the journal's last page.
    let first_id = 1_000_000_000_000_000u64;
    let mut text = format!("{HEADER}\n");
    text.push_str(&encode_line(&Record::Push {
        id: first_id,
        track: play(999),
        queued_at: now(),
        attempts: 0,
        isolated_failures: 0,
        last_error: None,
    }));
    text.push_str(&encode_line(&Record::Remove { id: first_id }));
    fs::write(&path, text).unwrap();
    let queue = Queue::open(&path).unwrap();
    for i in 0..12 {
        assert!(queue.push(&play(i)).unwrap());
    }
    fs_.fill(&fs_.dir.join("filler"));
    let mut pushed = 12;
    while queue.push(&play(pushed)).is_ok() {
        pushed += 1;
    }
    let ids: Vec<u64> = queue.entries().iter().map(|e| e.id).collect();
    let done_len = encode_line(&Record::Done { ids }).len() as u64;
    let len = fs::metadata(&path).unwrap().len();
    assert!(
        (4096 - len % 4096) % 4096 < done_len,
        "the done record would fit"
    );

    let first = queue.flush(&client);
    assert_eq!(first.sent, pushed);
    assert_eq!(first.error.as_ref().map(|e| e.status()), Some(Status::Io));
    assert_eq!(env.server.stats().by_method["track.scrobble"], 1);
    assert_eq!(
        queue.pending_count(),
        0,
        "delivered plays must not stay pending"
    );

    // Still full: nothing is sent again.
    let second = queue.flush(&client);
    assert_eq!(second.sent, 0);
    assert_eq!(env.server.stats().by_method["track.scrobble"], 1);

    // Space again: the delivery is recorded, nothing is resent, in this process or the next.
    fs::remove_file(fs_.dir.join("filler")).unwrap();
    let third = queue.flush(&client);
    assert_eq!((third.sent, third.error), (0, None));
    assert!(queue.push(&play(5000)).unwrap());
    drop(queue);
    let queue = Queue::open(&path).unwrap();
    assert!(queue.damage().is_empty(), "{:?}", queue.damage().report());
    assert_eq!(names(&queue).into_keys().collect::<Vec<_>>(), ["T5000"]);
    assert_eq!(queue.flush(&client).sent, 1);
    assert_eq!(env.server.stats().by_method["track.scrobble"], 2);
    assert_eq!(env.server.scrobbles().len(), pushed + 1);
    println!("{pushed} plays delivered in 1 request with the disk full; none sent again in 3 flushes and a reopen");
}

#[test]
fn every_spelling_of_the_path_meets_the_same_lock() {
    let dir = support::fresh_dir("spellings");
    fs::create_dir(dir.join("sub")).unwrap();
    let path = dir.join("q.lfmq");
    let queue = Queue::open(&path).unwrap();
    queue.push(&play(1)).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("dirlink")).unwrap();
    std::os::unix::fs::symlink(&path, dir.join("filelink.lfmq")).unwrap();
    fs::hard_link(&path, dir.join("hardlink.lfmq")).unwrap();
    for other in [
        dir.join("dirlink/q.lfmq"),
        dir.join("sub/../q.lfmq"),
        dir.join("./q.lfmq"),
        dir.join("filelink.lfmq"),
        dir.join("hardlink.lfmq"),
    ] {
        let err = Queue::open(&other)
            .err()
            .unwrap_or_else(|| panic!("{} opened the open queue again", other.display()));
        assert_eq!(err.status(), Status::Io);
        assert!(err.message().contains("already open"), "{}", err.message());
    }
    drop(queue);
    // Through a symlink, the queue is the file it points to, also after a compaction.
    fs::remove_file(dir.join("hardlink.lfmq")).unwrap();
    let via_link = Queue::open(&dir.join("filelink.lfmq")).unwrap();
    assert_eq!(via_link.pending_count(), 1);
    assert!(Queue::open(&path).is_err());
}

fn push_record(id: u64, name: &str) -> Record {
    Record::Push {
        id,
        track: Track {
            artist: "A".into(),
            track: name.into(),
            timestamp: 1_700_000_000,
            ..Track::default()
        },
        queued_at: 1_700_000_100,
        attempts: 0,
        isolated_failures: 0,
        last_error: None,
    }
}

#[test]
fn a_repeated_id_on_load_is_reported_and_every_play_kept() {
    // What two openers numbering independently wrote: ids 1..200 twice, different plays,
    // then a "done" for id 7 that cannot say which of the two it meant.
    let path = support::fresh_dir("repeated").join("q.lfmq");
    let mut text = format!("{HEADER}\n");
    for id in 1..=200u64 {
        text.push_str(&encode_line(&push_record(id, &format!("first {id}"))));
        text.push_str(&encode_line(&push_record(id, &format!("second {id}"))));
    }
    text.push_str(&encode_line(&Record::Done { ids: vec![7, 300] }));
    fs::write(&path, text).unwrap();
    let queue = Queue::open(&path).unwrap();
    let damage = queue.damage();
    assert_eq!(damage.repeated_ids, (1..=200).collect::<Vec<u64>>());
    assert!(damage.report().unwrap().contains("200 play id(s)"));
    let seen = names(&queue);
    assert_eq!(seen.len(), 400, "a play was dropped");
    let ids: std::collections::BTreeSet<u64> = queue.entries().iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 400, "ids are not unique");
    drop(queue);
    // The new ids were written: the same plays and ids come back, with nothing to report.
    let again = Queue::open(&path).unwrap();
    assert!(again.damage().repeated_ids.is_empty());
    let ids_again: std::collections::BTreeSet<u64> = again.entries().iter().map(|e| e.id).collect();
    assert_eq!(ids_again, ids);
    assert_eq!(names(&again), seen);
}

#[test]
fn ids_never_wrap() {
    let path = support::fresh_dir("max-id").join("q.lfmq");
    let text = format!("{HEADER}\n{}", encode_line(&push_record(u64::MAX, "last")));
    fs::write(&path, text).unwrap();
    let queue = Queue::open(&path).unwrap();
    let err = queue.push(&play(1)).unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert_eq!(queue.entries().len(), 1);
    // Once the play holding the last id is gone, numbering starts again from 1.
    queue.remove(u64::MAX).unwrap();
    assert!(queue.push(&play(2)).unwrap());
    assert_eq!(queue.entries()[0].id, 1);
    drop(queue);
    let queue = Queue::open(&path).unwrap();
    assert_eq!(names(&queue).into_keys().collect::<Vec<_>>(), ["T2"]);
}

/// A journal of `live` pending plays and enough history to be due for compaction.
fn journal_due_for_compaction(path: &Path, live: usize) {
    let queue = Queue::open(path).unwrap();
    for i in 0..600 + live {
        queue.push(&play(i)).unwrap();
    }
    for e in queue.entries().iter().take(600) {
        queue.remove(e.id).unwrap();
    }
}

#[test]
fn files_are_private_and_compaction_keeps_the_mode() {
    let dir = support::fresh_dir("modes");
    let path = dir.join("q.lfmq");
    journal_due_for_compaction(&path, 3);
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let before = fs::metadata(&path).unwrap().ino();
    let queue = Queue::open(&path).unwrap();
    let after = fs::metadata(&path).unwrap();
    assert_ne!(after.ino(), before, "the journal was not compacted");
    assert_eq!(after.mode() & 0o777, 0o640);
    assert_eq!(queue.pending_count(), 3);
}

#[test]
fn a_symlink_planted_at_the_temp_file_is_not_followed() {
    let dir = support::fresh_dir("planted");
    let path = dir.join("q.lfmq");
    journal_due_for_compaction(&path, 2);
    let victim = dir.join("victim");
    fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("q.lfmq.tmp")).unwrap();
    let queue = Queue::open(&path).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
    assert_eq!(queue.pending_count(), 2);
    drop(queue);
    assert_eq!(Queue::open(&path).unwrap().pending_count(), 2);
}

/// Open a queue on another thread; `None` if it has not returned within a generous bound.
fn open_with_deadline(path: &Path) -> Option<lfm::Result<Queue>> {
    let (tx, rx) = mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(Queue::open(&path));
    });
    rx.recv_timeout(Duration::from_secs(30)).ok()
}

#[test]
fn a_fifo_at_the_path_or_beside_it_is_no_hang() {
    let dir = support::fresh_dir("fifo");
    let fifo = dir.join("q.lfmq");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let err = open_with_deadline(&fifo)
        .expect("opening a FIFO hung")
        .err()
        .expect("a FIFO opened as a queue");
    assert_eq!(err.status(), Status::Io);
    assert!(
        err.message().contains("not a regular file"),
        "{}",
        err.message()
    );

    // A FIFO where older versions kept their lock file is nothing to the queue.
    let path = dir.join("r.lfmq");
    assert!(Command::new("mkfifo")
        .arg(dir.join("r.lfmq.lock"))
        .status()
        .unwrap()
        .success());
    let queue = open_with_deadline(&path)
        .expect("a FIFO beside the queue made it hang")
        .unwrap();
    assert!(queue.push(&play(1)).unwrap());
}

const READ_ONLY_CHILD: &str = "LFM_TEST_READ_ONLY_QUEUE";

/// In a directory where no file can be created, the queue opens, loads, and takes pushes.
fn open_in_read_only_directory(path: &Path) {
    let probe = path.with_file_name("probe");
    assert!(
        fs::File::create(&probe).is_err(),
        "the directory is writable"
    );
    let queue = Queue::open(path).expect("a read-only directory stopped the queue opening");
    assert_eq!(queue.pending_count(), 3);
    assert!(queue.push(&play(1000)).unwrap());
    println!("read-only directory: opened, pushed");
}

#[test]
fn a_read_only_directory_opens_and_compaction_waits() {
    if let Ok(path) = std::env::var(READ_ONLY_CHILD) {
        return open_in_read_only_directory(Path::new(&path));
    }
    let dir = support::fresh_dir("read-only");
    let path = dir.join("q.lfmq");
    journal_due_for_compaction(&path, 3);
    if is_root() {
        // Root ignores permission bits: run the queue as nobody, who owns the journal but
        // not the directory.
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_read_only_directory_opens_and_compaction_waits",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(READ_ONLY_CHILD, &path)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("read-only directory: opened, pushed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
        let result = std::panic::catch_unwind(|| open_in_read_only_directory(&path));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        result.unwrap();
    }
    // Writable again: everything is there and the compaction that waited happens now.
    let lines_before = fs::read(&path).unwrap().split(|b| *b == b'\n').count();
    let queue = Queue::open(&path).unwrap();
    assert_eq!(queue.pending_count(), 4);
    let lines_after = fs::read(&path).unwrap().split(|b| *b == b'\n').count();
    assert!(
        lines_after < lines_before / 10,
        "{lines_before} -> {lines_after} lines"
    );
}

#[test]
fn a_file_cut_inside_its_header_opens_empty_with_a_copy_kept() {
    let dir = support::fresh_dir("torn-header");
    let path = dir.join("q.lfmq");
    fs::write(&path, &HEADER.as_bytes()[..6]).unwrap();
    let queue = Queue::open(&path).unwrap();
    assert!(queue.entries().is_empty());
    let damage = queue.damage();
    assert!(damage.torn_header && !damage.torn_tail, "{damage:?}");
    assert!(damage.report().unwrap().contains("header"));
    let copies: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("q.lfmq.damaged-"))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(fs::read(&copies[0])
        .unwrap()
        .starts_with(&HEADER.as_bytes()[..6]));
    assert!(queue.push(&play(1)).unwrap());
    drop(queue);
    let queue = Queue::open(&path).unwrap();
    assert!(queue.damage().is_empty());
    assert_eq!(queue.pending_count(), 1);
}

/// A child process that the host forks holds a copy of the open queue file until it calls
/// exec. The queue closed and reopened in that moment must open, not count as "already open"
/// (seen as a spurious failure of this very suite, whose tests spawn `mount` and `mkfifo`).
/// The child says when it has been forked, so the test does not depend on timing.
#[test]
fn reopening_while_a_forked_child_still_holds_the_file_succeeds() {
    use std::io::Read;
    use std::os::fd::AsRawFd;

    let dir = support::fresh_dir("fork-holds-lock");
    let path = dir.join("q.lfmq");
    let queue = Queue::open(&path).unwrap();
    assert!(queue.push(&play(1)).unwrap());
    let (mut forked, forked_writer) = std::io::pipe().unwrap();
    let spawner = std::thread::spawn(move || {
        let fd = forked_writer.as_raw_fd();
        let mut child = Command::new("true");
        // SAFETY: between fork and exec the closure only calls write(2) and nanosleep(2),
        // both async-signal-safe, on a descriptor this thread keeps open until the child ran.
        unsafe {
            child.pre_exec(move || {
                libc::write(fd, b"f".as_ptr().cast(), 1);
                std::thread::sleep(Duration::from_millis(50));
                Ok(())
            });
        }
        let status = child.status();
        drop(forked_writer);
        status
    });
    let mut byte = [0u8; 1];
    forked.read_exact(&mut byte).unwrap();
    // The child now holds the queue's file (and its lock) until its exec closes it.
    drop(queue);
    let queue = Queue::open(&path).expect("a lock held only by a child about to exec");
    assert_eq!(queue.pending_count(), 1);
    assert!(spawner.join().unwrap().unwrap().success());
}
