//! A [`Runner`] without containers, for tests of the orchestration (the job graph, dependency
//! installation, check and explain) on machines without Docker.
//!
//! A fake build lays the spec's installs into a host directory standing for `${prefix}` (and one
//! for `${host_prefix}`), calls the test's build function with them, writes the build log where
//! the Docker runner writes it, and returns the prefix as [`BuildOutput::prefix`]. Every run is
//! recorded, so a test can count builds and look at what each one got installed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use repro_events::{Event, Sink};

use crate::error::SandboxError;
use crate::runner::{BuildOutput, BuildSpec, InstallInto, Runner};

/// What a fake build function sees.
#[derive(Debug)]
pub struct FakeBuild<'a> {
    pub spec: &'a BuildSpec,
    /// Stands for `${prefix}`: the installs of [`InstallInto::Prefix`] are already there.
    pub prefix: &'a Path,
    /// Stands for `${host_prefix}`.
    pub host_prefix: &'a Path,
}

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRun {
    pub label: String,
    pub recipe: String,
    pub target: String,
    /// `(dependency name, where)` of every install, in order.
    pub installs: Vec<(String, InstallInto)>,
    /// Files (relative paths) that were in `${host_prefix}` when the build ran.
    pub host_files: Vec<String>,
}

type BuildFn = dyn Fn(&FakeBuild<'_>) -> Result<(), String> + Send + Sync;

/// See the module docs.
pub struct FakeRunner {
    build: Box<BuildFn>,
    runs: Arc<Mutex<Vec<FakeRun>>>,
    delay: Duration,
    stopped: Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for FakeRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeRunner").field("runs", &self.runs()).finish()
    }
}

impl FakeRunner {
    /// A runner whose builds run `build` (an `Err` is a failed script).
    pub fn new(
        build: impl Fn(&FakeBuild<'_>) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        FakeRunner {
            build: Box::new(build),
            runs: Arc::default(),
            delay: Duration::ZERO,
            stopped: Arc::default(),
        }
    }

    /// Every build waits this long first (while cancellable), to test concurrency and interrupts.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// How many builds stopped by their cancellation token and finished their cleanup (as the
    /// Docker runner removes its container before it returns). A build whose future was dropped
    /// instead is not counted.
    pub fn stopped_by_token(&self) -> usize {
        self.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The runs so far, in the order they started.
    pub fn runs(&self) -> Vec<FakeRun> {
        self.runs.lock().expect("runs").clone()
    }

    fn run_sync(&self, spec: &BuildSpec, sink: &Sink) -> Result<BuildOutput, SandboxError> {
        let parent =
            spec.out_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(SandboxError::io(parent))?;
        if spec.out_dir.exists() {
            std::fs::remove_dir(&spec.out_dir).map_err(|_| {
                SandboxError::InvalidSpec(format!(
                    "output directory {} is not empty",
                    spec.out_dir.display()
                ))
            })?;
        }
        let host = tempfile::Builder::new()
            .prefix(".repro-fake-host-")
            .tempdir_in(parent)
            .map_err(SandboxError::io(parent))?;
        std::fs::create_dir_all(&spec.out_dir).map_err(SandboxError::io(&spec.out_dir))?;
        for i in &spec.installs {
            let dest = match i.into {
                InstallInto::Prefix => spec.out_dir.as_path(),
                InstallInto::HostPrefix => host.path(),
            };
            copy_tree(&i.tree, dest)?;
        }
        let mut host_files = Vec::new();
        list_files(host.path(), host.path(), &mut host_files);
        self.runs.lock().expect("runs").push(FakeRun {
            label: spec.label.clone(),
            recipe: spec.recipe_name.clone(),
            target: spec.target.clone(),
            installs: spec.installs.iter().map(|i| (i.name.clone(), i.into)).collect(),
            host_files,
        });
        sink.emit(Event::BuildPhase { build: spec.label.clone(), phase: "run".into() });
        let result =
            (self.build)(&FakeBuild { spec, prefix: &spec.out_dir, host_prefix: host.path() });
        let logs = spec.out_dir.join("logs").join(&spec.recipe_name);
        std::fs::create_dir_all(&logs).map_err(SandboxError::io(&logs))?;
        let log = logs.join(format!("{}.log", spec.recipe_name));
        std::fs::write(&log, format!("fake build {}\n", spec.label))
            .map_err(SandboxError::io(&log))?;
        if let Err(message) = result {
            return Err(SandboxError::BuildFailed {
                label: spec.label.clone(),
                code: 1,
                log_tail: message,
            });
        }
        Ok(BuildOutput {
            prefix: spec.out_dir.clone(),
            log,
            duration: Duration::ZERO,
            exit_code: 0,
            phases: Vec::new(),
            network: spec.network,
            aslr_disabled: !spec.env.aslr,
            uname26_applied: spec.env.uname26,
            notes: Vec::new(),
            container_id: format!("fake-{}", spec.label),
        })
    }
}

/// How long a cancelled fake build takes to clean up.
const CLEANUP: Duration = Duration::from_millis(200);

impl Runner for FakeRunner {
    fn run<'a>(
        &'a self,
        spec: &'a BuildSpec,
        sink: Sink,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<BuildOutput, SandboxError>> + Send + 'a>,
    > {
        Box::pin(async move {
            let started = Instant::now();
            let interrupted = || SandboxError::Interrupted { label: spec.label.clone() };
            if spec.cancel.is_cancelled() {
                return Err(interrupted());
            }
            tokio::select! {
                _ = tokio::time::sleep(self.delay) => {}
                _ = spec.cancel.cancelled() => {
                    // The cleanup a real runner does after the token fires (container removal).
                    tokio::time::sleep(CLEANUP).await;
                    self.stopped.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    return Err(interrupted());
                }
            }
            let mut out = self.run_sync(spec, &sink);
            if let Ok(o) = &mut out {
                o.duration = started.elapsed();
            }
            sink.emit(Event::BuildFinished {
                build: spec.label.clone(),
                success: out.is_ok(),
                duration: started.elapsed(),
            });
            out
        })
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), SandboxError> {
    for e in std::fs::read_dir(from).map_err(SandboxError::io(from))? {
        let e = e.map_err(SandboxError::io(from))?;
        let (src, dst): (PathBuf, PathBuf) = (e.path(), to.join(e.file_name()));
        let ft = e.file_type().map_err(SandboxError::io(&src))?;
        if ft.is_dir() {
            std::fs::create_dir_all(&dst).map_err(SandboxError::io(&dst))?;
            copy_tree(&src, &dst)?;
        } else if ft.is_symlink() {
            let t = std::fs::read_link(&src).map_err(SandboxError::io(&src))?;
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(t, &dst).map_err(SandboxError::io(&dst))?;
        } else {
            std::fs::copy(&src, &dst).map_err(SandboxError::io(&dst))?;
        }
    }
    Ok(())
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            list_files(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}
