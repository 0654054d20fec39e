//! The Docker runner: one fresh container per build from the pinned image.
//!
//! A build is: create (network off unless asked, limits, labels) → upload the sources and the
//! launcher as one tar stream (no bind mounts, so a remote `DOCKER_HOST` works) → attach → start →
//! stream the output live (events) and into the build log, under a wall-clock timeout → download
//! `$prefix` as a tar stream and unpack it safely → remove the container.
//!
//! Cleanup: every container is removed on every path. `run_build` owns a [`ContainerGuard`] and
//! awaits its removal after the build body finishes, whether it succeeded, the script failed, it
//! timed out, or a tool error occurred; the body is raced against the spec's cancellation token
//! (owned by the caller: the CLI cancels it on SIGINT, SIGTERM and SIGHUP), which also ends in the
//! awaited removal. The library installs no signal handler. If the `run_build` future itself is dropped (a caller
//! gave up on it), the guard's `Drop` spawns the removal on the runtime. Containers carry the
//! labels `io.repro.managed=1`, `io.repro.run=<run id>` and `io.repro.build=<label>`, so
//! [`DockerRunner::remove_leftovers`] can find anything a killed process left behind.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptions, DownloadFromContainerOptionsBuilder,
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::StreamExt;
use repro_events::{Event, Sink, Stream as OutStream};
use tokio_util::sync::CancellationToken;

use crate::env::{
    ASLR_UNAVAILABLE_MARKER, BuildEnv, CONTROL_DIR, LAUNCHER_PATH, SCRIPT_PATH,
    UNAME26_UNAVAILABLE_MARKER,
};
use crate::error::SandboxError;
use crate::image::ImageRef;
use crate::stream::{ChannelReader, ChannelWriter};

/// Label on every container repro creates.
pub const MANAGED_LABEL: &str = "io.repro.managed";
/// Label holding the run id (one per `DockerRunner`).
pub const RUN_LABEL: &str = "io.repro.run";
/// Label holding the build label.
pub const BUILD_LABEL: &str = "io.repro.build";
/// Environment variable fixing the run id (tests use it to find their containers).
pub const RUN_ID_ENV: &str = "REPRO_RUN_ID";
/// Lines of output kept for error messages.
const TAIL_LINES: usize = 40;
/// The build log is cut at this size (the tail stays in error messages).
const MAX_LOG_BYTES: u64 = 256 << 20;
/// Longest line reported as one event.
const MAX_EVENT_LINE: usize = 16 << 10;

/// One build to run.
#[derive(Debug, Clone)]
pub struct BuildSpec {
    /// Names the build in events, errors and the container label ("control", "experiment", ...).
    pub label: String,
    /// The pinned image (from [`crate::ensure_pinned_image`]).
    pub image: ImageRef,
    /// The recipe's bash script (run with `bash -e` from `$WORKSPACE/srcdir`).
    pub script: String,
    /// `$SRC_NAME`; names the log (`logs/<name>/<name>.log`).
    pub recipe_name: String,
    /// `$target`.
    pub target: String,
    /// Host directory uploaded as `$WORKSPACE/srcdir`.
    pub srcdir: PathBuf,
    pub env: BuildEnv,
    /// Allow network access (the recipe's `network = true`).
    pub network: bool,
    /// Wall-clock limit of the script.
    pub timeout: Duration,
    /// Memory limit in bytes (no swap beyond it).
    pub memory_bytes: Option<i64>,
    /// Maximum number of processes.
    pub pids_limit: Option<i64>,
    /// Where `$prefix` is unpacked (must not exist, or be empty). Its parent is created.
    pub out_dir: PathBuf,
    /// Dependency trees installed before the build (uploaded with the sources; no bind mounts).
    pub installs: Vec<Install>,
    /// Cancels the build: the container is killed and removed, and the build returns
    /// [`SandboxError::Interrupted`]. The caller owns it (the CLI maps signals to it).
    pub cancel: CancellationToken,
}

/// Where an installed dependency tree goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallInto {
    /// `${prefix}` (`Dependency`, `BuildDependency`).
    Prefix,
    /// `${host_prefix}` (`HostBuildDependency`).
    HostPrefix,
}

/// A dependency's unpacked tree, copied into the build's prefix or host prefix before the
/// script runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// The name of the dependency (for messages).
    pub name: String,
    /// A host directory (files, directories and symlinks only).
    pub tree: PathBuf,
    pub into: InstallInto,
}

/// Something that runs builds: the Docker runner, or [`crate::fake::FakeRunner`] in tests of
/// the orchestration.
pub trait Runner: Send + Sync {
    /// Runs one build; the same contract as [`DockerRunner::run_build`].
    fn run<'a>(
        &'a self,
        spec: &'a BuildSpec,
        sink: Sink,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<BuildOutput, SandboxError>> + Send + 'a>,
    >;

    /// Removes everything this runner's builds may have left (containers of this run).
    fn cleanup(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, SandboxError>> + Send + '_>>
    {
        Box::pin(async { Ok(0) })
    }
}

impl Runner for DockerRunner {
    fn run<'a>(
        &'a self,
        spec: &'a BuildSpec,
        sink: Sink,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<BuildOutput, SandboxError>> + Send + 'a>,
    > {
        Box::pin(self.run_build(spec, sink))
    }

    fn cleanup(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, SandboxError>> + Send + '_>>
    {
        Box::pin(self.remove_leftovers())
    }
}

/// Time spent in one phase of a build.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhaseTime {
    pub phase: &'static str,
    pub duration: Duration,
}

/// A successful build.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildOutput {
    /// The unpacked prefix (= `spec.out_dir`).
    pub prefix: PathBuf,
    /// `logs/<name>/<name>.log` inside the prefix.
    pub log: PathBuf,
    /// Wall-clock time of the whole build (create to removal).
    pub duration: Duration,
    pub exit_code: i64,
    /// Per-phase times (create, upload, start, run, download, cleanup).
    pub phases: Vec<PhaseTime>,
    /// The network was enabled for this build.
    pub network: bool,
    /// ASLR was really disabled (false when `env.aslr` was true or the container refused).
    pub aslr_disabled: bool,
    /// `uname26` really applied.
    pub uname26_applied: bool,
    /// Notes about knobs that could not be applied.
    pub notes: Vec<String>,
    /// The container ID the build ran in (already removed).
    pub container_id: String,
}

impl BuildOutput {
    /// Time of one phase (zero when absent).
    pub fn phase(&self, name: &str) -> Duration {
        self.phases.iter().filter(|p| p.phase == name).map(|p| p.duration).sum()
    }
}

/// A connection to the Docker daemon plus the run id every container of this process carries.
#[derive(Clone)]
pub struct DockerRunner {
    docker: Docker,
    run_id: String,
    endpoint: String,
}

impl std::fmt::Debug for DockerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerRunner")
            .field("run_id", &self.run_id)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

fn docker_endpoint() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned())
}

fn new_run_id() -> String {
    if let Ok(id) = std::env::var(RUN_ID_ENV)
        && !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return id;
    }
    use sha2::{Digest, Sha256};
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    hex::encode(&h.finalize()[..6])
}

/// Connects to the daemon (`DOCKER_HOST`, else the local socket) and negotiates the API version.
/// A daemon that does not answer gives one [`SandboxError::DockerUnavailable`].
pub async fn connect_docker() -> Result<Docker, SandboxError> {
    let endpoint = docker_endpoint();
    let docker = Docker::connect_with_defaults().map_err(|e| SandboxError::DockerUnavailable {
        endpoint: endpoint.clone(),
        detail: e.to_string(),
    })?;
    match tokio::time::timeout(Duration::from_secs(15), docker.negotiate_version()).await {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(e)) => Err(SandboxError::DockerUnavailable { endpoint, detail: e.to_string() }),
        Err(_) => Err(SandboxError::DockerUnavailable {
            endpoint,
            detail: "no answer within 15 s".into(),
        }),
    }
}

impl DockerRunner {
    /// Connects to the daemon; see [`connect_docker`].
    pub async fn connect() -> Result<DockerRunner, SandboxError> {
        let docker = connect_docker().await?;
        // What killed runs on this host left behind goes first (see [`crate::gc`]).
        match crate::gc::remove_orphan_containers(&docker, false, false).await {
            Ok(o) if !o.is_empty() => {
                tracing::info!("removed {} container(s) left by runs that are gone", o.len())
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot look for containers left by earlier runs: {e}"),
        }
        Ok(DockerRunner { docker, run_id: new_run_id(), endpoint: docker_endpoint() })
    }

    /// The Docker client.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The run id on this runner's containers (`REPRO_RUN_ID` or random).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Removes containers of this run that are still there (after a killed process, say).
    /// Returns how many were removed.
    pub async fn remove_leftovers(&self) -> Result<usize, SandboxError> {
        let mut filters = HashMap::new();
        filters.insert("label".to_string(), vec![format!("{RUN_LABEL}={}", self.run_id)]);
        let opts = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(SandboxError::docker("listing containers"))?;
        let mut n = 0;
        for c in list {
            if let Some(id) = c.id {
                remove_container(&self.docker, &id).await;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Runs one build; see the module docs. The container is removed on every path.
    pub async fn run_build(
        &self,
        spec: &BuildSpec,
        sink: Sink,
    ) -> Result<BuildOutput, SandboxError> {
        validate_spec(spec)?;
        let started = Instant::now();
        let guard = ContainerGuard::new(self.docker.clone());
        let mut phases = Vec::new();
        let result = tokio::select! {
            r = self.run_inner(spec, &sink, &guard, &mut phases) => r,
            _ = spec.cancel.cancelled() => Err(SandboxError::Interrupted { label: spec.label.clone() }),
        };
        let t = Instant::now();
        let container_id = guard.remove().await.unwrap_or_default();
        phases.push(PhaseTime { phase: "cleanup", duration: t.elapsed() });
        let duration = started.elapsed();
        sink.emit(Event::BuildFinished {
            build: spec.label.clone(),
            success: result.is_ok(),
            duration,
        });
        let mut out = result?;
        out.duration = duration;
        out.phases = phases;
        out.container_id = container_id;
        Ok(out)
    }

    async fn run_inner(
        &self,
        spec: &BuildSpec,
        sink: &Sink,
        guard: &ContainerGuard,
        phases: &mut Vec<PhaseTime>,
    ) -> Result<BuildOutput, SandboxError> {
        let docker = &self.docker;
        let label = &spec.label;
        let phase = |name: &str| {
            sink.emit(Event::BuildPhase { build: label.clone(), phase: name.to_owned() });
        };

        // Output locations: a staging dir next to out_dir receives the log while the build runs
        // and the downloaded prefix afterwards.
        let parent =
            spec.out_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(SandboxError::io(parent))?;
        check_out_dir(&spec.out_dir)?;
        let staging = tempfile::Builder::new()
            .prefix(".repro-staging-")
            .tempdir_in(parent)
            .map_err(SandboxError::io(parent))?;
        let log_tmp = staging.path().join("build.log");

        // create
        let t = Instant::now();
        phase("create");
        let vars = spec.env.variables(&spec.recipe_name, &spec.target);
        let labels: HashMap<String, String> = [
            (MANAGED_LABEL.to_owned(), "1".to_owned()),
            (RUN_LABEL.to_owned(), self.run_id.clone()),
            (BUILD_LABEL.to_owned(), spec.label.clone()),
            (crate::gc::PID_LABEL.to_owned(), std::process::id().to_string()),
            (crate::gc::HOST_LABEL.to_owned(), crate::gc::host_name()),
        ]
        .into_iter()
        .collect();
        let host_config = HostConfig {
            network_mode: Some(if spec.network { "bridge".into() } else { "none".into() }),
            memory: spec.memory_bytes,
            memory_swap: spec.memory_bytes,
            pids_limit: spec.pids_limit,
            cpuset_cpus: spec.env.cpuset.clone(),
            init: Some(true),
            auto_remove: Some(false),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.id.clone()),
            cmd: Some(vec!["/bin/bash".into(), LAUNCHER_PATH.into()]),
            env: Some(vars.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            hostname: Some(spec.env.hostname.clone()),
            domainname: Some(spec.env.domainname.clone()),
            user: Some("0:0".into()),
            working_dir: Some("/".into()),
            labels: Some(labels),
            tty: Some(false),
            open_stdin: Some(false),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            network_disabled: Some(!spec.network),
            host_config: Some(host_config),
            ..Default::default()
        };
        let id = guard
            .create(body)
            .await
            .map_err(SandboxError::docker(format!("creating the container for build `{label}`")))?;
        phases.push(PhaseTime { phase: "create", duration: t.elapsed() });

        // upload
        let t = Instant::now();
        phase("upload");
        self.upload(&id, spec).await?;
        phases.push(PhaseTime { phase: "upload", duration: t.elapsed() });

        // attach + start
        let t = Instant::now();
        phase("start");
        let attach_opts = AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdout(true)
            .stderr(true)
            .logs(true)
            .build();
        let mut attached = docker
            .attach_container(&id, Some(attach_opts))
            .await
            .map_err(SandboxError::docker(format!("attaching to build `{label}`")))?;
        docker
            .start_container(&id, None)
            .await
            .map_err(SandboxError::docker(format!("starting build `{label}`")))?;
        phases.push(PhaseTime { phase: "start", duration: t.elapsed() });

        // run
        let t = Instant::now();
        phase("run");
        let mut out = OutputPump::new(&log_tmp, label.clone(), sink.clone())?;
        let run = async {
            while let Some(item) = attached.output.next().await {
                match item {
                    Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                        out.push(OutStream::Stdout, &message)
                    }
                    Ok(LogOutput::StdErr { message }) => out.push(OutStream::Stderr, &message),
                    Ok(LogOutput::StdIn { .. }) => {}
                    Err(e) => {
                        tracing::debug!("attach stream of {label} ended: {e}");
                        break;
                    }
                }
            }
            let wait_opts = WaitContainerOptionsBuilder::default().condition("not-running").build();
            let mut wait = docker.wait_container(&id, Some(wait_opts));
            match wait.next().await {
                Some(Ok(r)) => Ok(r.status_code),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(code)
                }
                Some(Err(e)) => Err(SandboxError::Docker {
                    context: format!("waiting for build `{label}`"),
                    source: e,
                }),
                None => Err(SandboxError::InvalidSpec(format!(
                    "the daemon ended the wait for build `{label}` without a status"
                ))),
            }
        };
        let waited = tokio::time::timeout(spec.timeout, run).await;
        out.finish();
        phases.push(PhaseTime { phase: "run", duration: t.elapsed() });
        let code = match waited {
            Err(_) => {
                let kill = KillContainerOptionsBuilder::default().signal("KILL").build();
                let _ = docker.kill_container(&id, Some(kill)).await;
                move_log(&log_tmp, spec)?;
                return Err(SandboxError::Timeout {
                    label: label.clone(),
                    secs: spec.timeout.as_secs(),
                    log_tail: out.tail(),
                });
            }
            Ok(r) => r?,
        };
        if code != 0 {
            let oom = docker
                .inspect_container(&id, None)
                .await
                .ok()
                .and_then(|i| i.state)
                .and_then(|s| s.oom_killed)
                .unwrap_or(false);
            move_log(&log_tmp, spec)?;
            if oom {
                return Err(SandboxError::OutOfMemory {
                    label: label.clone(),
                    log_tail: out.tail(),
                });
            }
            return Err(SandboxError::BuildFailed {
                label: label.clone(),
                code,
                log_tail: out.tail(),
            });
        }

        // download
        let t = Instant::now();
        phase("download");
        let unpacked = staging.path().join("prefix");
        self.download(&id, &spec.env.prefix(), &unpacked, label).await?;
        let top = unpacked.join("destdir");
        if !top.is_dir() {
            return Err(SandboxError::Unpack {
                path: spec.out_dir.clone(),
                message: format!(
                    "the downloaded archive of {} has no top-level destdir/",
                    spec.env.prefix()
                ),
            });
        }
        std::fs::rename(&top, &spec.out_dir).map_err(SandboxError::io(&spec.out_dir))?;
        let log = move_log(&log_tmp, spec)?;
        phases.push(PhaseTime { phase: "download", duration: t.elapsed() });

        let mut notes = Vec::new();
        let aslr_refused = out.saw(ASLR_UNAVAILABLE_MARKER);
        let uname_refused = out.saw(UNAME26_UNAVAILABLE_MARKER);
        if !spec.env.aslr && aslr_refused {
            notes.push(
                "ASLR could not be disabled: the container does not permit setarch -R".to_owned(),
            );
        }
        if spec.env.uname26 && uname_refused {
            notes.push(
                "the kernel release could not be changed: setarch --uname-2.6 is not permitted"
                    .to_owned(),
            );
        }
        if spec.network {
            notes.push("the network was enabled for this build (network = true)".to_owned());
        }
        Ok(BuildOutput {
            prefix: spec.out_dir.clone(),
            log,
            duration: Duration::ZERO,
            exit_code: code,
            phases: Vec::new(),
            network: spec.network,
            aslr_disabled: !spec.env.aslr && !aslr_refused,
            uname26_applied: spec.env.uname26 && !uname_refused,
            notes,
            container_id: String::new(),
        })
    }

    async fn upload(&self, id: &str, spec: &BuildSpec) -> Result<(), SandboxError> {
        let (writer, stream) = ChannelWriter::pair(8, 256 << 10);
        let (srcdir, env, script) = (spec.srcdir.clone(), spec.env.clone(), spec.script.clone());
        let installs = spec.installs.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let mut writer = Some(writer);
            let res = write_upload_tar(&mut writer, &srcdir, &env, &script, &installs);
            match (res, writer) {
                (Ok(()), Some(w)) => w.finish().map_err(|e| SandboxError::io("<upload stream>")(e)),
                (Ok(()), None) => Ok(()),
                (Err(e), Some(w)) => {
                    w.fail(io::Error::other(e.to_string()));
                    Err(e)
                }
                (Err(e), None) => Err(e),
            }
        });
        let opts = UploadToContainerOptionsBuilder::default().path("/").build();
        let uploaded =
            self.docker.upload_to_container(id, Some(opts), bollard::body_try_stream(stream)).await;
        let produced = producer.await.expect("upload task");
        produced?;
        uploaded.map_err(SandboxError::docker(format!(
            "uploading the sources of build `{}`",
            spec.label
        )))
    }

    async fn download(
        &self,
        id: &str,
        path: &str,
        dest: &Path,
        label: &str,
    ) -> Result<(), SandboxError> {
        let (tx, reader) = ChannelReader::pair(16);
        let dest2 = dest.to_owned();
        let consumer = tokio::task::spawn_blocking(move || {
            repro_artifact::unpack_tar_reader(
                reader,
                &dest2,
                &repro_artifact::UnpackLimits::default(),
            )
        });
        let opts = DownloadFromContainerOptionsBuilder::default().path(path).build();
        let mut stream = self.docker.download_from_container(id, Some(opts));
        let mut docker_err = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(b) => {
                    if tx.send(Ok(b)).await.is_err() {
                        break; // the unpacker stopped; its error explains why
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(io::Error::other(e.to_string()))).await;
                    docker_err = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let unpacked = consumer.await.expect("unpack task");
        if let Some(e) = docker_err {
            return Err(SandboxError::Docker {
                context: format!("downloading {path} of build `{label}`"),
                source: e,
            });
        }
        unpacked
            .map(|_| ())
            .map_err(|e| SandboxError::Unpack { path: dest.to_owned(), message: e.to_string() })
    }
}

fn validate_spec(spec: &BuildSpec) -> Result<(), SandboxError> {
    spec.env.validate()?;
    let name_ok = !spec.recipe_name.is_empty()
        && spec.recipe_name.len() <= 128
        && spec.recipe_name != "."
        && spec.recipe_name != ".."
        && spec.recipe_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b));
    if !name_ok {
        return Err(SandboxError::InvalidSpec(format!(
            "recipe name {:?} cannot name a log file",
            spec.recipe_name
        )));
    }
    if spec.label.is_empty() || spec.label.len() > 128 || spec.label.chars().any(char::is_control) {
        return Err(SandboxError::InvalidSpec(format!("build label {:?} is invalid", spec.label)));
    }
    if !spec.target.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-+.".contains(&b))
        || spec.target.is_empty()
    {
        return Err(SandboxError::InvalidSpec(format!("target {:?} is invalid", spec.target)));
    }
    if !spec.srcdir.is_dir() {
        return Err(SandboxError::InvalidSpec(format!(
            "srcdir {} is not a directory",
            spec.srcdir.display()
        )));
    }
    if spec.timeout.is_zero() {
        return Err(SandboxError::InvalidSpec("timeout must be positive".into()));
    }
    if spec.script.contains('\0') {
        return Err(SandboxError::InvalidSpec("the script contains a NUL byte".into()));
    }
    Ok(())
}

fn check_out_dir(out: &Path) -> Result<(), SandboxError> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SandboxError::io(out)(e)),
        Ok(m) if m.is_dir() => {
            let mut entries = std::fs::read_dir(out).map_err(SandboxError::io(out))?;
            if entries.next().is_some() {
                return Err(SandboxError::InvalidSpec(format!(
                    "output directory {} is not empty",
                    out.display()
                )));
            }
            std::fs::remove_dir(out).map_err(SandboxError::io(out))
        }
        Ok(_) => Err(SandboxError::InvalidSpec(format!(
            "output path {} is not a directory",
            out.display()
        ))),
    }
}

/// Moves the staged log to `<out_dir>/logs/<name>/<name>.log` (creating out_dir if needed).
fn move_log(log_tmp: &Path, spec: &BuildSpec) -> Result<PathBuf, SandboxError> {
    let dir = spec.out_dir.join("logs").join(&spec.recipe_name);
    if let Ok(m) = std::fs::symlink_metadata(spec.out_dir.join("logs"))
        && !m.is_dir()
    {
        return Err(SandboxError::Unpack {
            path: spec.out_dir.clone(),
            message: "the build left a `logs` entry that is not a directory".into(),
        });
    }
    std::fs::create_dir_all(&dir).map_err(SandboxError::io(&dir))?;
    let dest = dir.join(format!("{}.log", spec.recipe_name));
    if std::fs::symlink_metadata(&dest).is_ok_and(|m| !m.is_file()) {
        return Err(SandboxError::Unpack {
            path: dest.clone(),
            message: "the build left a non-file where the build log goes".into(),
        });
    }
    std::fs::rename(log_tmp, &dest).map_err(SandboxError::io(&dest))?;
    Ok(dest)
}

// ---------------------------------------------------------------------------------------------
// Output.

struct OutputPump {
    log: Option<io::BufWriter<std::fs::File>>,
    log_path: PathBuf,
    written: u64,
    label: String,
    sink: Sink,
    partial: [Vec<u8>; 2],
    tail: VecDeque<String>,
    markers: Vec<String>,
}

impl OutputPump {
    fn new(path: &Path, label: String, sink: Sink) -> Result<OutputPump, SandboxError> {
        let f = std::fs::File::create(path).map_err(SandboxError::io(path))?;
        Ok(OutputPump {
            log: Some(io::BufWriter::new(f)),
            log_path: path.to_owned(),
            written: 0,
            label,
            sink,
            partial: [Vec::new(), Vec::new()],
            tail: VecDeque::new(),
            markers: Vec::new(),
        })
    }

    fn push(&mut self, stream: OutStream, data: &[u8]) {
        if let Some(log) = &mut self.log {
            let room = MAX_LOG_BYTES.saturating_sub(self.written);
            let n = (data.len() as u64).min(room) as usize;
            let ok = log.write_all(&data[..n]).is_ok();
            self.written += n as u64;
            if !ok || n < data.len() {
                let _ = log.write_all(b"\n[repro: build log truncated here]\n");
                let _ = log.flush();
                self.log = None;
                tracing::warn!("build log {} truncated", self.log_path.display());
            }
        }
        let idx = usize::from(stream == OutStream::Stderr);
        let mut buf = std::mem::take(&mut self.partial[idx]);
        buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(pos) = memchr(b'\n', &buf[start..]) {
            let line = &buf[start..start + pos];
            self.line(stream, line);
            start += pos + 1;
        }
        buf.drain(..start);
        if buf.len() > MAX_EVENT_LINE {
            let line = std::mem::take(&mut buf);
            self.line(stream, &line);
        }
        self.partial[idx] = buf;
    }

    fn line(&mut self, stream: OutStream, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let raw = &raw[..raw.len().min(MAX_EVENT_LINE)];
        let line = String::from_utf8_lossy(raw).into_owned();
        if line.starts_with("repro: note: ") {
            self.markers.push(line.clone());
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.clone());
        self.sink.emit(Event::BuildOutput { build: self.label.clone(), stream, line });
    }

    fn finish(&mut self) {
        for (idx, stream) in [(0, OutStream::Stdout), (1, OutStream::Stderr)] {
            let rest = std::mem::take(&mut self.partial[idx]);
            if !rest.is_empty() {
                self.line(stream, &rest);
            }
        }
        if let Some(mut log) = self.log.take() {
            let _ = log.flush();
        }
    }

    fn tail(&self) -> String {
        if self.tail.is_empty() {
            return "(no output)".into();
        }
        Vec::from(self.tail.clone()).join("\n")
    }

    fn saw(&self, marker: &str) -> bool {
        self.markers.iter().any(|m| m.starts_with(marker))
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

// ---------------------------------------------------------------------------------------------
// Upload tar.

/// Writes the upload archive (extracted at `/` in the container): the workspace with `srcdir/`
/// (the host srcdir, owned by the build user, mtimes and permission bits kept) and an empty
/// `destdir/`, and the launcher and script under [`CONTROL_DIR`].
fn write_upload_tar(
    writer: &mut Option<ChannelWriter>,
    srcdir: &Path,
    env: &BuildEnv,
    script: &str,
    installs: &[Install],
) -> Result<(), SandboxError> {
    let w = writer.take().expect("writer");
    let mut b = tar::Builder::new(w);
    b.mode(tar::HeaderMode::Complete);
    let werr =
        |e: io::Error| SandboxError::Io { path: PathBuf::from("<upload stream>"), source: e };
    let ws = env.workspace.trim_start_matches('/');
    // Ancestors of the workspace (root-owned), then the workspace (the user's).
    let comps: Vec<&str> = ws.split('/').collect();
    for i in 1..comps.len() {
        let p = format!("{}/", comps[..i].join("/"));
        append_dir(&mut b, &p, 0o755, 0, 0, 0).map_err(werr)?;
    }
    append_dir(&mut b, &format!("{ws}/"), 0o755, env.uid, env.gid, 0).map_err(werr)?;
    append_dir(&mut b, &format!("{ws}/destdir/"), 0o755, env.uid, env.gid, 0).map_err(werr)?;
    let src_meta = std::fs::metadata(srcdir).map_err(SandboxError::io(srcdir))?;
    append_dir(
        &mut b,
        &format!("{ws}/srcdir/"),
        0o755,
        env.uid,
        env.gid,
        src_meta.mtime().max(0) as u64,
    )
    .map_err(werr)?;
    append_tree(&mut b, srcdir, &format!("{ws}/srcdir"), env, 0)?;
    // Dependencies: `${prefix}` gets Dependency/BuildDependency trees, `${host_prefix}`
    // HostBuildDependency trees. Later trees overwrite earlier ones file by file, as
    // BinaryBuilder's symlinking does.
    let host = env.host_prefix();
    let host = host.trim_start_matches('/');
    if installs.iter().any(|i| i.into == InstallInto::HostPrefix) {
        let mut acc = String::new();
        for c in host.split('/').skip(ws.split('/').count()) {
            acc = if acc.is_empty() { format!("{ws}/{c}") } else { format!("{acc}/{c}") };
            append_dir(&mut b, &format!("{acc}/"), 0o755, env.uid, env.gid, 0).map_err(werr)?;
        }
    }
    for i in installs {
        let into = match i.into {
            InstallInto::Prefix => format!("{ws}/destdir"),
            InstallInto::HostPrefix => host.to_owned(),
        };
        append_tree(&mut b, &i.tree, &into, env, 0)?;
    }
    let ctl = CONTROL_DIR.trim_start_matches('/');
    append_dir(&mut b, &format!("{ctl}/"), 0o755, 0, 0, 0).map_err(werr)?;
    let launcher = env.launcher();
    append_file(&mut b, LAUNCHER_PATH.trim_start_matches('/'), launcher.as_bytes(), 0o755)
        .map_err(werr)?;
    append_file(&mut b, SCRIPT_PATH.trim_start_matches('/'), script.as_bytes(), 0o644)
        .map_err(werr)?;
    let w = b.into_inner().map_err(werr)?;
    *writer = Some(w);
    Ok(())
}

fn header(kind: tar::EntryType, mode: u32, uid: u32, gid: u32, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(uid.into());
    h.set_gid(gid.into());
    h.set_mtime(mtime);
    h.set_size(0);
    h
}

fn append_dir<W: Write>(
    b: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
) -> io::Result<()> {
    let mut h = header(tar::EntryType::Directory, mode, uid, gid, mtime);
    b.append_data(&mut h, path, io::empty())
}

fn append_file<W: Write>(
    b: &mut tar::Builder<W>,
    path: &str,
    data: &[u8],
    mode: u32,
) -> io::Result<()> {
    let mut h = header(tar::EntryType::Regular, mode, 0, 0, 0);
    h.set_size(data.len() as u64);
    b.append_data(&mut h, path, data)
}

const MAX_SRC_DEPTH: usize = 256;

fn append_tree<W: Write>(
    b: &mut tar::Builder<W>,
    dir: &Path,
    inside: &str,
    env: &BuildEnv,
    depth: usize,
) -> Result<(), SandboxError> {
    if depth > MAX_SRC_DEPTH {
        return Err(SandboxError::InvalidSpec(format!(
            "{}: source tree nested deeper than {MAX_SRC_DEPTH} levels",
            dir.display()
        )));
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(SandboxError::io(dir))?
        .collect::<Result<_, _>>()
        .map_err(SandboxError::io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_str().ok_or_else(|| {
            SandboxError::InvalidSpec(format!("{}: file name is not valid UTF-8", path.display()))
        })?;
        let rel = format!("{inside}/{name}");
        let meta = std::fs::symlink_metadata(&path).map_err(SandboxError::io(&path))?;
        let mtime = meta.mtime().max(0) as u64;
        let mode = meta.mode() & 0o777;
        let werr = |e: io::Error| SandboxError::Io { path: path.clone(), source: e };
        let ft = meta.file_type();
        if ft.is_dir() {
            append_dir(b, &format!("{rel}/"), mode | 0o700, env.uid, env.gid, mtime)
                .map_err(werr)?;
            append_tree(b, &path, &rel, env, depth + 1)?;
        } else if ft.is_file() {
            let f = std::fs::File::open(&path).map_err(SandboxError::io(&path))?;
            let mut h = header(tar::EntryType::Regular, mode, env.uid, env.gid, mtime);
            h.set_size(meta.len());
            b.append_data(&mut h, &rel, io::Read::take(f, meta.len())).map_err(werr)?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&path).map_err(SandboxError::io(&path))?;
            let mut h = header(tar::EntryType::Symlink, 0o777, env.uid, env.gid, mtime);
            b.append_link(&mut h, &rel, &target).map_err(werr)?;
        } else {
            return Err(SandboxError::InvalidSpec(format!(
                "{}: unsupported file type in the source tree (only files, directories and symlinks)",
                path.display()
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Cleanup.

/// Removes its container when told to, or when dropped (then in a spawned task).
///
/// The container is created through the guard ([`ContainerGuard::create`]), in a task of its
/// own: a build cancelled while the daemon is creating its container (the build's future
/// dropped) cannot lose it, because the task records the id and removal waits for the task.
pub(crate) struct ContainerGuard {
    docker: Docker,
    id: Arc<Mutex<Option<String>>>,
    creating: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl ContainerGuard {
    fn new(docker: Docker) -> Self {
        ContainerGuard { docker, id: Arc::new(Mutex::new(None)), creating: Mutex::new(None) }
    }

    /// Creates the container and records its id; returns the id.
    async fn create(&self, body: ContainerCreateBody) -> Result<String, bollard::errors::Error> {
        let docker = self.docker.clone();
        let slot = self.id.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let r = docker.create_container(None::<CreateContainerOptions>, body).await;
            if let Ok(c) = &r {
                *slot.lock().expect("guard") = Some(c.id.clone());
            }
            let _ = tx.send(r.map(|c| c.id));
        });
        *self.creating.lock().expect("guard") = Some(task);
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(bollard::errors::Error::IOError {
                err: std::io::Error::other("the container-creating task ended without an answer"),
            }),
        }
    }

    /// Removes the container now (awaited), once a creation under way has ended; returns its id.
    async fn remove(&self) -> Option<String> {
        let creating = self.creating.lock().expect("guard").take();
        if let Some(task) = creating {
            let _ = task.await;
        }
        let id = self.id.lock().expect("guard").take()?;
        remove_container(&self.docker, &id).await;
        Some(id)
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let creating = self.creating.lock().ok().and_then(|mut g| g.take());
        if creating.is_none() && self.id.lock().map(|g| g.is_none()).unwrap_or(true) {
            return;
        }
        let (docker, slot) = (self.docker.clone(), self.id.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(async move {
                    if let Some(task) = creating {
                        let _ = task.await;
                    }
                    let id = slot.lock().ok().and_then(|mut g| g.take());
                    if let Some(id) = id {
                        remove_container(&docker, &id).await;
                    }
                });
            }
            Err(_) => {
                let id = self.id.lock().ok().and_then(|mut g| g.take());
                tracing::warn!("container {id:?} could not be removed (no runtime)");
            }
        }
    }
}

async fn remove_container(docker: &Docker, id: &str) {
    let opts = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
    for attempt in 0..3 {
        match docker.remove_container(id, Some(opts.clone())).await {
            Ok(()) => return,
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {
                return;
            }
            Err(e) => {
                tracing::warn!("removing container {id} (attempt {}): {e}", attempt + 1);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn upload_tar_has_workspace_sources_and_control_files() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("b.c"), "int b;").unwrap();
        std::fs::write(src.join("sub/a.h"), "x").unwrap();
        std::os::unix::fs::symlink("b.c", src.join("link")).unwrap();
        let dep = dir.path().join("dep");
        std::fs::create_dir_all(dep.join("include")).unwrap();
        std::fs::write(dep.join("include/dep.h"), "d").unwrap();
        let tool = dir.path().join("tool");
        std::fs::create_dir_all(tool.join("bin")).unwrap();
        std::fs::write(tool.join("bin/gen"), "t").unwrap();
        let installs = [
            Install { name: "Dep_jll".into(), tree: dep, into: InstallInto::Prefix },
            Install { name: "Tool_jll".into(), tree: tool, into: InstallInto::HostPrefix },
        ];
        let env = BuildEnv {
            uid: 1000,
            gid: 1000,
            user: "u".into(),
            workspace: "/build/ws".into(),
            ..BuildEnv::default()
        };
        let (writer, stream) = ChannelWriter::pair(1024, 1 << 20);
        let mut w = Some(writer);
        // The stream side is only drained after the writer finishes; depth is ample here.
        write_upload_tar(&mut w, &src, &env, "echo hi", &installs).unwrap();
        w.unwrap().finish().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let chunks: Vec<bytes::Bytes> = rt.block_on(stream.map(|r| r.unwrap()).collect());
        let data = chunks.concat();
        let mut ar = tar::Archive::new(&data[..]);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().into_owned();
            let uid = e.header().uid().unwrap();
            if p.starts_with("build/ws/") {
                assert_eq!(uid, 1000, "{p}");
            } else {
                assert_eq!(uid, 0, "{p}");
            }
            if p == "opt/repro/script.sh" {
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                assert_eq!(s, "echo hi");
            }
            seen.push(p);
        }
        assert_eq!(
            seen,
            [
                "build/",
                "build/ws/",
                "build/ws/destdir/",
                "build/ws/srcdir/",
                "build/ws/srcdir/b.c",
                "build/ws/srcdir/link",
                "build/ws/srcdir/sub/",
                "build/ws/srcdir/sub/a.h",
                "build/ws/x86_64-linux-gnu/",
                "build/ws/x86_64-linux-gnu/destdir/",
                "build/ws/destdir/include/",
                "build/ws/destdir/include/dep.h",
                "build/ws/x86_64-linux-gnu/destdir/bin/",
                "build/ws/x86_64-linux-gnu/destdir/bin/gen",
                "opt/repro/",
                "opt/repro/run.sh",
                "opt/repro/script.sh",
            ]
        );
    }

    #[test]
    fn output_pump_splits_lines_and_keeps_a_tail() {
        let dir = tempfile::tempdir().unwrap();
        let c = repro_events::Collector::new();
        let mut p = OutputPump::new(&dir.path().join("log"), "t".into(), c.sink()).unwrap();
        p.push(OutStream::Stdout, b"hel");
        p.push(OutStream::Stderr, b"err line\n");
        p.push(OutStream::Stdout, b"lo\nworld");
        p.push(OutStream::Stderr, b"repro: note: ASLR stays enabled: x\n");
        p.finish();
        let lines: Vec<String> = c
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::BuildOutput { line, .. } => Some(line),
                _ => None,
            })
            .collect();
        assert_eq!(lines, ["err line", "hello", "repro: note: ASLR stays enabled: x", "world"]);
        assert!(p.saw(ASLR_UNAVAILABLE_MARKER));
        assert!(p.tail().ends_with("world"));
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
        assert_eq!(log, "helerr line\nlo\nworldrepro: note: ASLR stays enabled: x\n");
    }

    #[test]
    fn out_dir_must_be_empty_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        check_out_dir(&dir.path().join("new")).unwrap();
        std::fs::create_dir(dir.path().join("empty")).unwrap();
        check_out_dir(&dir.path().join("empty")).unwrap();
        std::fs::create_dir(dir.path().join("full")).unwrap();
        std::fs::write(dir.path().join("full/x"), "").unwrap();
        assert!(check_out_dir(&dir.path().join("full")).is_err());
        std::fs::write(dir.path().join("file"), "").unwrap();
        assert!(check_out_dir(&dir.path().join("file")).is_err());
    }
}
