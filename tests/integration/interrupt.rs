//! Interrupts lose nothing and leave nothing: `repro diff` stopped by SIGINT, SIGTERM or SIGHUP
//! in the middle of unpacking removes its temporary directories and exits 128 + the signal, and
//! random interrupt points over many runs (`diff` of generated tarballs; `check` of a tiny recipe
//! when Docker and the pinned image are there) leave no temporary directory and no container.
//!
//! The random runs print their seed; `REPRO_INTERRUPT_SEED=<seed>` replays one. The ignored
//! test `random_interrupts_many_runs` is the larger run (`REPRO_INTERRUPT_RUNS`, default 200).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::build::{containers_of, pinned_image_or_skip, run_id};
use crate::support::repo_root;

/// A small deterministic generator (splitmix64): the tests print their seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed(test: &str) -> u64 {
    let seed = std::env::var("REPRO_INTERRUPT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64,
    );
    eprintln!("{test}: seed {seed} (replay with REPRO_INTERRUPT_SEED={seed})");
    seed
}

/// Write a plain tar of `dirs` × `per_dir` small files; `variant` changes every 50th file's
/// content (so two variants differ in 2% of the files and the comparison has work to do).
fn write_tarball(path: &Path, dirs: usize, per_dir: usize, size: usize, variant: u8) {
    let f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut b = tar::Builder::new(f);
    let mut n = 0usize;
    for d in 0..dirs {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, format!("d{d:04}/"), std::io::empty()).unwrap();
        for i in 0..per_dir {
            n += 1;
            let v = if n.is_multiple_of(50) { variant } else { 0 };
            let body: Vec<u8> =
                (0..size).map(|k| (k as u8).wrapping_mul(31) ^ (i as u8) ^ v).collect();
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(body.len() as u64);
            h.set_mtime(1_700_000_000);
            b.append_data(&mut h, format!("d{d:04}/f{i:05}.txt"), body.as_slice()).unwrap();
        }
    }
    b.into_inner().unwrap().into_inner().unwrap().sync_all().unwrap();
}

/// What is left in the private TMPDIR.
fn left_in(tmpdir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmpdir).unwrap().flatten().map(|e| e.path()).collect()
}

fn spawn(tmpdir: &Path, args: &[&OsStr], envs: &[(&str, &OsStr)]) -> Child {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("repro"));
    c.env("TMPDIR", tmpdir).env("NO_COLOR", "1").env_remove("REPRO_MIRROR");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Send `SIG<signal>`; the child may have exited meanwhile (a late signal is one of the
/// outcomes), so a failing `kill` is not an error.
fn send(child: &Child, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
}

fn wait(child: &mut Child, limit: Duration) -> (ExitStatus, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (s, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("repro did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal_number(name: &str) -> i32 {
    match name {
        "INT" => 2,
        "TERM" => 15,
        "HUP" => 1,
        _ => unreachable!(),
    }
}

/// An outcome is sensible when the run finished (`finished`: the exit codes of an uninterrupted
/// run), stopped through the handler (128 + the signal), or, for a signal that came before the
/// handler was installed (before any temporary directory exists), died of that signal.
fn sensible(status: ExitStatus, signal: &str, finished: &[i32]) -> bool {
    use std::os::unix::process::ExitStatusExt;
    match status.code() {
        Some(c) => c == 128 + signal_number(signal) || finished.contains(&c),
        None => status.signal() == Some(signal_number(signal)),
    }
}

#[test]
fn diff_interrupted_mid_unpack_removes_its_temp_dirs_and_exits_128_plus_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.tar");
    // 60,000 entries: unpacking takes seconds, so the signal lands in the middle of it.
    write_tarball(&big, 60, 1000, 64, 0);
    for signal in ["INT", "TERM", "HUP"] {
        let tmpdir = tmp.path().join(format!("tmp-{signal}"));
        std::fs::create_dir_all(&tmpdir).unwrap();
        // `--unpack`: two tarballs are otherwise read as streams, without unpacking.
        let args = [OsStr::new("diff"), OsStr::new("--unpack"), big.as_os_str(), big.as_os_str()];
        let mut child = spawn(&tmpdir, &args, &[]);
        // Wait until an unpack has started writing into its temporary directory.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let started = left_in(&tmpdir).iter().any(|d| {
                d.file_name().unwrap().to_string_lossy().starts_with("repro-diff-")
                    && std::fs::read_dir(d).is_ok_and(|mut r| r.next().is_some())
            });
            if started {
                break;
            }
            assert!(child.try_wait().unwrap().is_none(), "repro diff ended before unpacking");
            assert!(Instant::now() < deadline, "no temporary directory appeared");
            std::thread::sleep(Duration::from_millis(10));
        }
        send(&child, signal);
        let (status, err) = wait(&mut child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(128 + signal_number(signal)), "SIG{signal}: {err}");
        assert!(err.contains("interrupted"), "SIG{signal}: {err}");
        let left = left_in(&tmpdir);
        assert!(left.is_empty(), "SIG{signal}: temporary files left: {left:?}");
    }
}

/// `runs` diffs of two generated tarballs, each sent SIGINT, SIGTERM or SIGHUP after a random
/// delay up to a little more than an uninterrupted run takes. Returns (interrupted, finished).
fn random_diff_interrupts(test: &str, runs: usize) -> (usize, usize) {
    let mut rng = Rng(seed(test));
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.tar"), tmp.path().join("b.tar"));
    write_tarball(&a, 20, 500, 256, 0);
    write_tarball(&b, 20, 500, 256, 7);
    let tmpdir = tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let args = [OsStr::new("diff"), a.as_os_str(), b.as_os_str()];

    let t0 = Instant::now();
    let mut child = spawn(&tmpdir, &args, &[]);
    let (status, err) = wait(&mut child, Duration::from_secs(300));
    let full = t0.elapsed();
    assert_eq!(status.code(), Some(1), "an uninterrupted diff finds the differences: {err}");
    assert!(left_in(&tmpdir).is_empty());

    let (mut interrupted, mut finished) = (0, 0);
    let max_delay = (full.as_millis() as u64 * 6 / 5).max(50);
    for run in 0..runs {
        let signal = ["INT", "TERM", "HUP"][rng.below(3) as usize];
        let delay = Duration::from_millis(rng.below(max_delay));
        let mut child = spawn(&tmpdir, &args, &[]);
        std::thread::sleep(delay);
        send(&child, signal);
        let (status, err) = wait(&mut child, Duration::from_secs(120));
        assert!(
            sensible(status, signal, &[1]),
            "run {run}: SIG{signal} after {delay:?}: {status:?}\n{err}"
        );
        if status.code() == Some(1) {
            finished += 1
        } else {
            interrupted += 1
        }
        let left = left_in(&tmpdir);
        assert!(left.is_empty(), "run {run}: SIG{signal} after {delay:?} left {left:?}\n{err}");
    }
    eprintln!(
        "{test}: {runs} runs ({interrupted} interrupted, {finished} finished) of a {full:?} diff: \
         nothing left"
    );
    (interrupted, finished)
}

#[test]
fn random_interrupts_of_diff_leave_nothing_behind() {
    let (interrupted, _) = random_diff_interrupts("random_interrupts_of_diff", 12);
    assert!(interrupted > 0, "no run was interrupted");
}

/// The larger run: `REPRO_INTERRUPT_RUNS` diffs (default 200) and, with Docker,
/// `REPRO_INTERRUPT_CHECKS` checks (default 20). Figures in docs/interrupts.md.
#[test]
#[ignore = "long: run with --ignored (figures in docs/interrupts.md)"]
fn random_interrupts_many_runs() {
    let n = |var: &str, default: usize| {
        std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
    };
    random_diff_interrupts("random_interrupts_many_runs", n("REPRO_INTERRUPT_RUNS", 200));
    if pinned_image_or_skip("random_interrupts_many_runs") {
        random_check_interrupts("random_interrupts_many_runs", n("REPRO_INTERRUPT_CHECKS", 20));
    }
}

/// `runs` checks of `recipes/hello`, each interrupted after a random delay up to a little more
/// than an uninterrupted check takes; counts temporary directories and containers of the run.
fn random_check_interrupts(test: &str, runs: usize) {
    let mut rng = Rng(seed(test));
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let cache = tmp.path().join("cache");
    let recipe = repo_root().join("recipes/hello");
    let args = [OsStr::new("check"), recipe.as_os_str()];
    let check = |run: &str| {
        spawn(
            &tmpdir,
            &args,
            &[("REPRO_RUN_ID", OsStr::new(run)), ("REPRO_CACHE", cache.as_os_str())],
        )
    };

    let run = run_id(test);
    let t0 = Instant::now();
    let (status, err) = wait(&mut check(&run), Duration::from_secs(300));
    let full = t0.elapsed();
    assert_eq!(status.code(), Some(0), "recipes/hello is reproducible: {err}");
    assert!(left_in(&tmpdir).is_empty());
    assert!(containers_of(&run).is_empty());

    let max_delay = (full.as_millis() as u64 * 6 / 5).max(100);
    let (mut interrupted, mut finished) = (0, 0);
    for i in 0..runs {
        let signal = ["INT", "TERM", "HUP"][rng.below(3) as usize];
        let delay = Duration::from_millis(rng.below(max_delay));
        let run = format!("{}-{i}", run_id(test));
        let mut child = check(&run);
        std::thread::sleep(delay);
        send(&child, signal);
        let (status, err) = wait(&mut child, Duration::from_secs(120));
        assert!(sensible(status, signal, &[0]), "check {i}: SIG{signal} after {delay:?}: {err}");
        if status.code() == Some(0) {
            finished += 1
        } else {
            interrupted += 1
        }
        let left = left_in(&tmpdir);
        assert!(left.is_empty(), "check {i}: SIG{signal} after {delay:?} left {left:?}\n{err}");
        let containers = containers_of(&run);
        assert!(
            containers.is_empty(),
            "check {i}: SIG{signal} after {delay:?} left containers {containers:?}\n{err}"
        );
    }
    eprintln!(
        "{test}: {runs} checks ({interrupted} interrupted, {finished} finished) of a {full:?} \
         check: no temporary directory, no container left"
    );
}

#[test]
fn random_interrupts_of_check_leave_no_container_and_no_temp_dir() {
    if !pinned_image_or_skip("random_interrupts_of_check_leave_no_container_and_no_temp_dir") {
        return;
    }
    random_check_interrupts("random_interrupts_of_check", 4);
}
