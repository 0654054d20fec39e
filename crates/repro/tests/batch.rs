//! The batch scheduler without Docker (the sandbox's fake runner stands in for containers):
//! `build` over many recipes × platforms with `--jobs`, keep-going and cancellation, and one
//! recipe index for a whole batch of checks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use repro::batch::{
    BatchOptions, BuildBatchOptions, BuildEnd, find_recipes, plan_jobs, run_builds, run_checks,
};
use repro::build::{BuildOptions, Limits};
use repro::check::CheckOptions;
use repro::deps::DepConfig;
use repro::graph::Backend;
use repro_events::{Event, Sink};
use repro_sandbox::fake::{FakeBuild, FakeRunner};
use repro_sandbox::{CancellationToken, ImageRef};
use repro_sources::FetchConfig;

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A recipe `name` in `root/<lowercase name>/recipe.toml` for two targets, with `deps`.
fn recipe(root: &Path, name: &str, deps: &str) -> PathBuf {
    let p = root.join(name.to_lowercase()).join("recipe.toml");
    write(
        &p,
        &format!(
            "name = \"{name}\"\nversion = \"1.0.0\"\nscript = \"true\"\n\
             platforms = [\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]\n{deps}"
        ),
    );
    p
}

fn image() -> ImageRef {
    ImageRef { id: "sha256:fake".into(), rootfs_sha256: "0".repeat(64), tag: "fake".into() }
}

/// Writes `lib/lib<name>.txt`; a recipe named "Broken" fails its script.
fn fake_build(b: &FakeBuild<'_>) -> Result<(), String> {
    let name = &b.spec.recipe_name;
    if name == "Broken" {
        return Err("the script exited with 3".into());
    }
    std::fs::create_dir_all(b.prefix.join("lib")).map_err(|e| e.to_string())?;
    std::fs::write(b.prefix.join(format!("lib/lib{name}.txt")), name).map_err(|e| e.to_string())
}

struct Fixture {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("recipes");
        Fixture { root, dir }
    }

    fn fetch(&self) -> FetchConfig {
        FetchConfig { cache_dir: self.dir.path().join("cache"), mirrors: vec![], offline: true }
    }

    fn build_options(&self, runner: &Arc<FakeRunner>) -> BuildOptions {
        BuildOptions {
            recipe: PathBuf::new(),
            platform: None,
            products_dir: self.dir.path().join("products"),
            work_dir: self.dir.path().join("work"),
            fetch: self.fetch(),
            env: None,
            label: "build".into(),
            limits: Limits::default(),
            lock: None,
            deps: DepConfig { recipe_dirs: vec![self.root.clone()], ..DepConfig::default() },
            jobs: 2,
            cancel: CancellationToken::new(),
            backend: Some(Arc::new(Backend::with_runner(runner.clone(), image()))),
        }
    }
}

/// A sink that keeps every event.
fn recording() -> (Sink, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    (Arc::new(move |ev: Event| e.lock().unwrap().push(ev)), events)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn build_runs_every_recipe_and_platform_keeps_going_and_builds_a_dependency_once() {
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    recipe(&f.root, "Alpha", "[[dependencies]]\nname = \"Base_jll\"\n");
    recipe(&f.root, "Beta", "[[dependencies]]\nname = \"Base_jll\"\n");
    recipe(&f.root, "Broken", "");
    let found = find_recipes(std::slice::from_ref(&f.root)).unwrap();
    assert_eq!(found.len(), 4);
    let jobs = plan_jobs(&found, &["all".into()]);
    assert_eq!(jobs.len(), 8);
    let runner = Arc::new(FakeRunner::new(fake_build));
    let opts = BuildBatchOptions { builds: 2, work_per_job: true };
    let (sink, events) = recording();
    let results = rt().block_on(run_builds(
        jobs,
        &f.build_options(&runner),
        &opts,
        CancellationToken::new(),
        sink,
    ));
    let words: Vec<(String, &str)> = results.iter().map(|r| (r.job.id.clone(), r.word())).collect();
    assert_eq!(
        words,
        [
            ("Alpha-x86_64-linux-gnu".to_owned(), "built"),
            ("Alpha-aarch64-linux-gnu".to_owned(), "built"),
            ("Base-x86_64-linux-gnu".to_owned(), "built"),
            ("Base-aarch64-linux-gnu".to_owned(), "built"),
            ("Beta-x86_64-linux-gnu".to_owned(), "built"),
            ("Beta-aarch64-linux-gnu".to_owned(), "built"),
            ("Broken-x86_64-linux-gnu".to_owned(), "failed"),
            ("Broken-aarch64-linux-gnu".to_owned(), "failed"),
        ]
    );
    match &results[6].end {
        BuildEnd::Failed { message, script } => {
            assert!(*script, "a failed script points at its log");
            assert!(message.contains("exited with 3"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Every built job packed its tarball into the shared products directory.
    for r in &results {
        if let BuildEnd::Built(b) = &r.end {
            assert!(b.tarball.path.is_file(), "{:?}", b.tarball.path);
            assert!(b.tarball.path.starts_with(f.dir.path().join("products")));
        }
    }
    // Base is built as a dependency once per target for both dependents (the cache), plus its
    // own two jobs.
    let dep_builds: Vec<String> = runner
        .runs()
        .iter()
        .filter(|r| r.label.starts_with("dep-"))
        .map(|r| r.label.clone())
        .collect();
    assert_eq!(dep_builds.len(), 2, "{dep_builds:?}");
    // One recipe index for the whole batch.
    let ev = events.lock().unwrap();
    let indexed = ev
        .iter()
        .filter(
            |e| matches!(e, Event::Note { message, .. } if message.starts_with("recipe index:")),
        )
        .count();
    assert_eq!(indexed, 1);
    let finished = ev.iter().filter(|e| matches!(e, Event::JobFinished { .. })).count();
    assert_eq!(finished, 8);
}

#[test]
fn build_runs_jobs_builds_at_a_time() {
    let f = Fixture::new();
    for i in 0..4 {
        recipe(&f.root, &format!("R{i}"), "");
    }
    let found = find_recipes(std::slice::from_ref(&f.root)).unwrap();
    let delay = Duration::from_millis(400);
    let time = |builds: usize| {
        let runner = Arc::new(FakeRunner::new(fake_build).with_delay(delay));
        let mut bopts = f.build_options(&runner);
        bopts.work_dir = f.dir.path().join(format!("work-{builds}"));
        let opts = BuildBatchOptions { builds, work_per_job: true };
        let t = Instant::now();
        let r = rt().block_on(run_builds(
            plan_jobs(&found, &[]),
            &bopts,
            &opts,
            CancellationToken::new(),
            repro_events::null_sink(),
        ));
        assert!(r.iter().all(|r| r.word() == "built"));
        t.elapsed()
    };
    assert!(time(1) >= delay * 4, "one at a time");
    assert!(time(4) < delay * 4, "four at once");
}

#[test]
fn cancelling_a_build_batch_stops_the_running_job_and_starts_no_other() {
    let f = Fixture::new();
    for i in 0..3 {
        recipe(&f.root, &format!("R{i}"), "");
    }
    let found = find_recipes(std::slice::from_ref(&f.root)).unwrap();
    let runner = Arc::new(FakeRunner::new(fake_build).with_delay(Duration::from_secs(30)));
    let opts = BuildBatchOptions { builds: 1, work_per_job: true };
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let (sink, events) = recording();
    let t = Instant::now();
    let results = rt().block_on(async {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            c2.cancel();
        });
        run_builds(plan_jobs(&found, &[]), &f.build_options(&runner), &opts, cancel, sink).await
    });
    assert!(t.elapsed() < Duration::from_secs(20), "cancelled promptly");
    let ends: Vec<String> = results.iter().map(|r| format!("{:?}", r.end)).collect();
    assert_eq!(
        ends,
        [
            "Cancelled { started: true }",
            "Cancelled { started: false }",
            "Cancelled { started: false }"
        ]
    );
    let started =
        events.lock().unwrap().iter().filter(|e| matches!(e, Event::JobStarted { .. })).count();
    assert_eq!(started, 1, "no other job started");
    assert!(runner.runs().is_empty(), "the running build was stopped in its wait");
    // The running build stopped by its token and cleaned up: its future was not dropped (a
    // dropped future leaves the container behind when the process exits).
    assert_eq!(runner.stopped_by_token(), 1, "the running build finished its cleanup");
}

#[test]
fn a_batch_of_checks_and_their_dependency_checks_share_one_recipe_index() {
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    recipe(&f.root, "Alpha", "[[dependencies]]\nname = \"Base_jll\"\n");
    recipe(&f.root, "Beta", "[[dependencies]]\nname = \"Base_jll\"\n");
    let found = find_recipes(std::slice::from_ref(&f.root)).unwrap();
    let runner = Arc::new(FakeRunner::new(fake_build));
    let mut template = CheckOptions::new(PathBuf::new(), f.fetch());
    template.deps = DepConfig { recipe_dirs: vec![f.root.clone()], ..DepConfig::default() };
    template.deps.check = true; // --deps: each dependency is checked too
    template.backend = Some(Arc::new(Backend::with_runner(runner.clone(), image())));
    let (sink, events) = recording();
    let results = rt().block_on(run_checks(
        plan_jobs(&found, &[]),
        &template,
        &BatchOptions { builds: 4, explain: false },
        CancellationToken::new(),
        sink,
    ));
    let outcomes: Vec<String> = results.iter().map(|r| r.job.outcome.to_string()).collect();
    assert_eq!(
        outcomes,
        ["reproducible"; 3],
        "{:?}",
        results.iter().map(|r| &r.job.error).collect::<Vec<_>>()
    );
    let indexed = events
        .lock()
        .unwrap()
        .iter()
        .filter(
            |e| matches!(e, Event::Note { message, .. } if message.starts_with("recipe index:")),
        )
        .count();
    assert_eq!(indexed, 1, "one index for three checks and two dependency checks");
}
