//! Remote daemons: `repro check` runs its builds on the daemon `DOCKER_HOST` names, moving
//! sources and outputs over the API (no bind mounts).
//!
//! The test starts a second `dockerd` of its own (own socket, data-root, exec-root and pidfile,
//! own network namespace, no bridge, no iptables), loads the pinned image into it with `docker save | docker load`,
//! checks a small recipe against it, and stops it and removes its directories at the end, also
//! when the test fails. The main daemon is only read from (`docker save`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{docker_or_skip, json_report, repo_root, repro};

/// A second Docker daemon; stopped and its directories removed on drop.
struct Daemon {
    child: Child,
    dir: PathBuf,
    host: String,
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        let sock = dir.join("docker.sock");
        let host = format!("unix://{}", sock.display());
        let driver = Command::new("docker")
            .args(["info", "--format", "{{.Driver}}"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        // Its own (empty) configuration: the machine's /etc/docker/daemon.json is the main
        // daemon's.
        std::fs::write(dir.join("daemon.json"), "{}").unwrap();
        // In a network namespace of its own: a daemon started with `--bridge none` deletes the
        // default bridge interface (`docker0`) of the namespace it runs in, which would cut the
        // main daemon's bridge network off for every later test and build.
        let mut cmd = Command::new("unshare");
        cmd.args(["--net", "--", "dockerd"])
            .arg("--config-file")
            .arg(dir.join("daemon.json"))
            .arg("--host")
            .arg(&host)
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("docker.pid"))
            .args([
                "--bridge",
                "none",
                "--iptables=false",
                "--ip6tables=false",
                "--log-level",
                "warn",
            ]);
        // The main daemon's storage driver works on this file system (e.g. fuse-overlayfs
        // inside a container, where overlay2 does not).
        if matches!(driver.as_str(), "fuse-overlayfs" | "overlay2" | "vfs") {
            cmd.args(["--storage-driver", &driver]);
        }
        let child =
            cmd.stdout(log.try_clone().unwrap()).stderr(log).spawn().expect("start dockerd");
        let mut d = Daemon { child, dir: dir.to_owned(), host };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let exited = d.child.try_wait().ok().flatten();
            assert!(
                exited.is_none(),
                "the second dockerd exited ({exited:?}):\n{}",
                std::fs::read_to_string(d.dir.join("dockerd.log")).unwrap_or_default()
            );
            let ok = Command::new("docker")
                .args(["-H", &d.host, "version", "--format", "{{.Server.Version}}"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the second dockerd did not answer within 60 s:\n{}",
                std::fs::read_to_string(d.dir.join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        d
    }

    fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.args(["-H", &self.host]);
        c
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Mounts the daemon may have left (overlay, shm) under its directories.
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") {
            let dir = self.dir.display().to_string();
            let mut points: Vec<&str> = mounts
                .lines()
                .filter_map(|l| l.split_whitespace().nth(1))
                .filter(|p| p.starts_with(&dir))
                .collect();
            points.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in points {
                let _ = Command::new("umount").args(["-l", p]).status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The pinned image's local tag (`repro-build:<12 hex of image_id>`).
fn pinned_tag() -> String {
    let lock = std::fs::read_to_string(repo_root().join("docker/image.lock")).unwrap();
    let id = lock
        .lines()
        .find_map(|l| l.strip_prefix("image_id = \"sha256:"))
        .expect("image_id in docker/image.lock");
    format!("repro-build:{}", &id[..12])
}

#[test]
fn check_runs_on_the_daemon_docker_host_names_without_bind_mounts() {
    if !docker_or_skip("remote_daemon") {
        return;
    }
    let have_dockerd =
        Command::new("dockerd").arg("--version").output().is_ok_and(|o| o.status.success());
    if !have_dockerd {
        if std::env::var_os("CI").is_some() {
            panic!("remote_daemon: dockerd is missing and CI is set");
        }
        eprintln!("\n!!!!! SKIPPED remote_daemon: no dockerd binary !!!!!\n");
        return;
    }
    let tag = pinned_tag();
    let present =
        Command::new("docker").args(["image", "inspect", &tag]).output().unwrap().status.success();
    assert!(
        present,
        "the pinned image {tag} is not loaded in the main daemon (run `repro image build`)"
    );

    // Short path: unix socket paths are limited to 107 bytes.
    let dir = tempfile::Builder::new().prefix("repro-dockerd-").tempdir_in("/tmp").unwrap().keep();
    // The main daemon's default bridge must survive the second daemon (regression: a daemon
    // started with `--bridge none` in the same network namespace deleted it).
    let bridge = Path::new("/sys/class/net/docker0");
    let bridge_before = bridge.exists();
    let daemon = Daemon::start(&dir);

    // Load the pinned image: docker save (main daemon) | docker load (second daemon).
    let mut save =
        Command::new("docker").args(["save", &tag]).stdout(Stdio::piped()).spawn().unwrap();
    let mut load =
        daemon.docker().arg("load").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        let mut from = save.stdout.take().unwrap();
        let mut to = load.stdin.take().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = from.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            to.write_all(&buf[..n]).unwrap();
        }
    }
    assert!(
        save.wait().unwrap().success() && load.wait().unwrap().success(),
        "docker save | load failed"
    );

    // Watch the second daemon's repro containers while the check runs: record their mounts.
    let run_id = format!("remote-{}", std::process::id());
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let watcher = {
        let (stop, seen, host, run_id) =
            (stop.clone(), seen.clone(), daemon.host.clone(), run_id.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let ids = Command::new("docker")
                    .args([
                        "-H",
                        &host,
                        "ps",
                        "-aq",
                        "--filter",
                        &format!("label=io.repro.run={run_id}"),
                    ])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
                    .unwrap_or_default();
                for id in ids.split_whitespace() {
                    let out = Command::new("docker")
                        .args([
                            "-H",
                            &host,
                            "inspect",
                            "--format",
                            "{{json .Mounts}} {{json .HostConfig.Binds}}",
                            id,
                        ])
                        .output();
                    if let Ok(o) = out
                        && o.status.success()
                    {
                        seen.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&o.stdout).trim().to_owned());
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let out = repro()
        .env("DOCKER_HOST", &daemon.host)
        .env("REPRO_RUN_ID", &run_id)
        .arg("check")
        .arg(repo_root().join("recipes/examples/reproducible.toml"))
        .args(["--vary", "none,+hostname", "--json", "-"])
        .output()
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    let (code, report) = json_report(&out);
    assert_eq!(
        code,
        0,
        "reproducible on the second daemon: {report:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["verdict"], "reproducible");
    let builds = report["check"]["builds"].as_array().unwrap();
    assert!(builds.iter().all(|b| b["success"] == true && b["artifact"]["sha256"].is_string()));

    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "no repro container was seen on the second daemon");
    for s in &seen {
        assert_eq!(s, "[] null", "a container had mounts: {s}");
    }
    let left = daemon.docker().args(["ps", "-aq"]).output().unwrap();
    assert!(left.stdout.is_empty(), "containers left on the second daemon");
    drop(daemon);
    assert!(
        !bridge_before || bridge.exists(),
        "the second daemon removed the main daemon's docker0 bridge"
    );
    assert!(!dir.exists(), "the second daemon's directories are removed");
}
