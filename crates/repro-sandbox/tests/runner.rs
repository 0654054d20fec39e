//! The runner against the real Docker daemon and the pinned image: every `BuildEnv` knob really
//! reaches the script, and no container is left behind.
//!
//! Skips (loudly) without a daemon or without the pinned image, unless `CI` is set.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a terminal tool or test harness; libraries never print

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::ListContainersOptionsBuilder;
use repro_sandbox::{BuildEnv, BuildSpec, DockerRunner, ImageRef, SandboxError};

async fn setup(test: &str) -> Option<(DockerRunner, ImageRef)> {
    let skip = |why: String| {
        if std::env::var_os("CI").is_some() {
            panic!("{test}: {why}, and CI is set");
        }
        eprintln!("\n!!!!! SKIPPED {test}: {why} (set CI=1 to make this fail) !!!!!\n");
        None
    };
    let runner = match DockerRunner::connect().await {
        Ok(r) => r,
        Err(e) => return skip(format!("no Docker daemon ({e})")),
    };
    let lock = repro_sandbox::family_lock(repro_recipe::platform::Family::Native, None)
        .expect("the committed lock loads");
    match repro_sandbox::ensure_pinned_image(runner.docker(), &lock).await {
        Ok(image) => Some((runner, image)),
        Err(e) => skip(format!("the pinned image is not loaded ({e})")),
    }
}

fn spec(
    image: &ImageRef,
    label: &str,
    script: &str,
    env: BuildEnv,
    src: &Path,
    out: &Path,
) -> BuildSpec {
    BuildSpec {
        label: label.into(),
        image: image.clone(),
        script: script.into(),
        recipe_name: "Probe".into(),
        target: "x86_64-linux-gnu".into(),
        srcdir: src.to_owned(),
        env,
        network: false,
        timeout: Duration::from_secs(120),
        memory_bytes: Some(1 << 30),
        pids_limit: Some(1024),
        out_dir: out.to_owned(),
        installs: Vec::new(),
        cancel: Default::default(),
    }
}

async fn leftovers(runner: &DockerRunner) -> usize {
    let mut filters = HashMap::new();
    filters.insert("label".to_string(), vec![format!("io.repro.run={}", runner.run_id())]);
    let opts = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
    runner.docker().list_containers(Some(opts)).await.unwrap().len()
}

const PROBE: &str = r#"
o="${prefix}/probe"
mkdir -p "$o"
id -un > "$o/user"; id -u > "$o/uid"; echo "$HOME" > "$o/home"; test -w "$HOME" && echo yes > "$o/home-writable"
pwd > "$o/pwd"; echo "$prefix" > "$o/prefix"
umask > "$o/umask"; touch "$o/newfile"; stat -c %a "$o/newfile" > "$o/newfile-mode"
hostname > "$o/hostname"; domainname > "$o/domainname"
echo "$nproc" > "$o/nproc"; nproc > "$o/nproc-real"
date +%z > "$o/tz"; date +%Y > "$o/year"; echo "$SOURCE_DATE_EPOCH" > "$o/sde"
echo "$LANG" > "$o/lang"
mkdir d; for n in a b c d e f g h; do touch "d/$n"; done
ls -f d | grep -v '^\.' | tr -d '\n' > "$o/readdir"
uname -r > "$o/uname"
cat /proc/self/personality > "$o/personality"
echo "$FOO" > "$o/foo"
"#;

fn read(out: &Path, f: &str) -> String {
    std::fs::read_to_string(out.join("probe").join(f))
        .unwrap_or_else(|e| panic!("{f}: {e}"))
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_knob_reaches_the_script() {
    let Some((runner, image)) = setup("every_knob_reaches_the_script").await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();

    let control = BuildEnv { nproc: 3, ..BuildEnv::default() };
    let varied = BuildEnv {
        hostname: "other-host".into(),
        domainname: "example.org".into(),
        user: "builder".into(),
        uid: 2222,
        gid: 2222,
        home: "/home/builder".into(),
        workspace: "/build/elsewhere".into(),
        nproc: 1,
        cpuset: Some("0".into()),
        timezone: "Etc/GMT-14".into(),
        locale: "et_EE.UTF-8".into(),
        umask: 0o002,
        extra_env: [("FOO".to_string(), "bar baz".to_string())].into_iter().collect(),
        faketime: Some("+800d".into()),
        shuffle_readdir: true,
        source_date_epoch: 1234,
        aslr: false,
        uname26: true,
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let sa = spec(&image, "control", PROBE, control, &src, &a);
    let sb = spec(&image, "experiment", PROBE, varied, &src, &b);
    // Two builds at once, as `check` runs them.
    let (ra, rb) = tokio::join!(
        runner.run_build(&sa, repro_events::null_sink()),
        runner.run_build(&sb, repro_events::null_sink())
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.exit_code, 0);
    assert!(ra.log.ends_with("logs/Probe/Probe.log"), "{:?}", ra.log);

    assert_eq!((read(&a, "user").as_str(), read(&a, "uid").as_str()), ("root", "0"));
    assert_eq!((read(&b, "user").as_str(), read(&b, "uid").as_str()), ("builder", "2222"));
    assert_eq!(read(&a, "home"), "/root");
    assert_eq!(read(&b, "home"), "/home/builder");
    assert_eq!(read(&b, "home-writable"), "yes");
    assert_eq!(read(&a, "pwd"), "/workspace/srcdir");
    assert_eq!(read(&b, "pwd"), "/build/elsewhere/srcdir");
    assert_eq!(read(&b, "prefix"), "/build/elsewhere/destdir");
    assert_eq!(read(&a, "umask"), "0022");
    assert_eq!(read(&b, "umask"), "0002");
    assert_eq!(read(&a, "newfile-mode"), "644");
    assert_eq!(read(&b, "newfile-mode"), "664");
    assert_eq!(read(&a, "hostname"), "repro");
    assert_eq!(read(&b, "hostname"), "other-host");
    assert_eq!(read(&b, "domainname"), "example.org");
    assert_eq!(read(&a, "nproc"), "3");
    assert_eq!(read(&b, "nproc"), "1");
    assert_eq!(read(&b, "nproc-real"), "1", "cpuset limits the CPUs");
    assert_eq!(read(&a, "tz"), "+0000");
    assert_eq!(read(&b, "tz"), "+1400");
    let (ya, yb): (i32, i32) =
        (read(&a, "year").parse().unwrap(), read(&b, "year").parse().unwrap());
    assert!(yb >= ya + 2, "faketime moved the clock by 800 days: {ya} vs {yb}");
    assert_eq!(read(&a, "sde"), "0");
    assert_eq!(read(&b, "sde"), "1234");
    assert_eq!(read(&b, "lang"), "et_EE.UTF-8");
    assert_eq!(read(&b, "foo"), "bar baz");
    let (da, db) = (read(&a, "readdir"), read(&b, "readdir"));
    let sorted = |s: &str| {
        let mut v: Vec<char> = s.chars().collect();
        v.sort();
        v.into_iter().collect::<String>()
    };
    assert_eq!(sorted(&da), "abcdefgh");
    assert_eq!(sorted(&db), "abcdefgh");
    assert_ne!(db, "abcdefgh", "the shim reorders directory entries");
    assert_ne!(da, db, "the shim changes the order");
    assert!(read(&b, "uname").starts_with("2.6."), "uname26: {}", read(&b, "uname"));
    assert!(rb.uname26_applied);
    // ASLR: either really disabled (personality has ADDR_NO_RANDOMIZE 0x0040000), or the runner
    // says it could not be.
    let pers = u32::from_str_radix(&read(&b, "personality"), 16).unwrap();
    if rb.aslr_disabled {
        assert_ne!(pers & 0x0040000, 0);
    } else {
        assert!(rb.notes.iter().any(|n| n.contains("ASLR")), "{:?}", rb.notes);
    }
    assert_eq!(leftovers(&runner).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_timeouts_leave_no_container() {
    let Some((runner, image)) = setup("failures_and_timeouts_leave_no_container").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let env = BuildEnv::default();

    let s = spec(
        &image,
        "fails",
        "echo one; echo two >&2; exit 7",
        env.clone(),
        &src,
        &tmp.path().join("f"),
    );
    match runner.run_build(&s, repro_events::null_sink()).await {
        Err(SandboxError::BuildFailed { code, log_tail, .. }) => {
            assert_eq!(code, 7);
            assert_eq!(log_tail, "one\ntwo", "stderr and stdout keep their order");
        }
        other => panic!("expected BuildFailed, got {other:?}"),
    }
    // The log of a failed build is still kept in the output directory.
    let log = std::fs::read_to_string(tmp.path().join("f/logs/Probe/Probe.log")).unwrap();
    assert_eq!(log, "one\ntwo\n");

    let mut s =
        spec(&image, "slow", "echo start; sleep 300", env.clone(), &src, &tmp.path().join("t"));
    s.timeout = Duration::from_secs(2);
    match runner.run_build(&s, repro_events::null_sink()).await {
        Err(SandboxError::Timeout { secs, log_tail, .. }) => {
            assert_eq!(secs, 2);
            assert_eq!(log_tail, "start");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }

    // A build future dropped mid-run (a caller gave up on it): the guard removes the container.
    let s = spec(&image, "dropped", "sleep 300", env.clone(), &src, &tmp.path().join("d"));
    let fut = runner.run_build(&s, repro_events::null_sink());
    let _ = tokio::time::timeout(Duration::from_secs(5), fut).await;
    for _ in 0..100 {
        if leftovers(&runner).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(leftovers(&runner).await, 0);

    // A memory limit that the script exceeds.
    let mut s = spec(
        &image,
        "oom",
        "python3 -c 'x = bytearray(400 * 1024 * 1024); print(len(x))'",
        env,
        &src,
        &tmp.path().join("m"),
    );
    s.memory_bytes = Some(64 << 20);
    match runner.run_build(&s, repro_events::null_sink()).await {
        Err(SandboxError::OutOfMemory { .. }) | Err(SandboxError::BuildFailed { .. }) => {}
        other => panic!("expected the memory limit to stop the build, got {other:?}"),
    }
    assert_eq!(leftovers(&runner).await, 0);
}

/// Regression: a build cancelled while the daemon was creating its container left that
/// container behind (SIGINT 28 ms into `repro check`, found by `random_interrupts_many_runs`):
/// the cancelled build's future was dropped before the container's id was known. Cancelled
/// 0–15 ms after creation starts (while the request is on its way to the daemon); nothing may
/// be left once `run_build` returns, nor appear later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_cancelled_while_its_container_is_created_leaves_none() {
    const T: &str = "a_build_cancelled_while_its_container_is_created_leaves_none";
    let Some((runner, image)) = setup(T).await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for i in 0..16u64 {
        let label = format!("cancelled-{i}");
        let out = tmp.path().join(&label);
        let s = spec(&image, &label, "sleep 300", BuildEnv::default(), &src, &out);
        let token = s.cancel.clone();
        let sink: repro_events::Sink = std::sync::Arc::new(move |e: repro_events::Event| {
            if matches!(&e, repro_events::Event::BuildPhase { phase, .. } if phase == "create") {
                let token = token.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(i));
                    token.cancel();
                });
            }
        });
        let r = runner.run_build(&s, sink).await;
        assert!(matches!(r, Err(SandboxError::Interrupted { .. })), "run {i}: {r:?}");
        assert_eq!(leftovers(&runner).await, 0, "run {i} left its container");
    }
    // A creation request still on its way when the build gave up lands later: look again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(leftovers(&runner).await, 0, "containers created after their builds ended");
}
