//! `repro plan`'s job graph comes from the resolver `repro check` uses: edges to planned local
//! recipes (also through recipes that are not planned, and to the host's job for a host build
//! dependency), none for a JLL or an artifact; and each check of a recipe with dependencies is
//! given the directories and registries the plan resolved them with, so that it resolves them
//! the same way on a fresh runner.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use repro::batch::{find_recipes, plan_jobs};
use repro::deps::{DepConfig, RecipeIndex, Resolution, Resolver};
use repro::plan::{Plan, PlanOptions, github_actions, index_dirs};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn plan_of(inputs: &[PathBuf], recipes: &[PathBuf], jll: &[PathBuf], platforms: &[&str]) -> Plan {
    let found = find_recipes(inputs).unwrap();
    let platforms: Vec<String> = platforms.iter().map(|p| p.to_string()).collect();
    let jobs = plan_jobs(&found, &platforms);
    let config = DepConfig {
        recipe_dirs: index_dirs(inputs, recipes),
        jll_dirs: jll.to_vec(),
        ..DepConfig::default()
    };
    Plan::new(jobs, &config, None, &repro_events::null_sink()).unwrap()
}

/// The recipe names job `name` (on `platform`) needs.
fn needs(plan: &Plan, name: &str, platform: &str) -> Vec<String> {
    let j = plan
        .jobs
        .iter()
        .find(|j| j.job.job.recipe == name && j.job.job.platform == platform)
        .unwrap_or_else(|| panic!("{name} {platform} not planned"));
    let mut n: Vec<String> = j
        .needs
        .iter()
        .map(|&d| format!("{}@{}", plan.jobs[d].job.job.recipe, plan.jobs[d].job.job.platform))
        .collect();
    n.sort();
    n
}

fn command(plan: &Plan, root: &Path, name: &str) -> String {
    let wf = github_actions(plan, root, &PlanOptions::default()).unwrap();
    let v: serde_json::Value = serde_yaml_ng::from_str(&wf).unwrap();
    for job in v["jobs"].as_object().unwrap().values() {
        for m in job["strategy"]["matrix"]["include"].as_array().into_iter().flatten() {
            if m["recipe"] == name {
                return m["command"].as_str().unwrap().to_owned();
            }
        }
    }
    panic!("{name} not in the workflow:\n{wf}")
}

/// The values of every `flag` in a shell command line.
fn flag_values(cmd: &str, flag: &str) -> Vec<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    words.windows(2).filter(|w| w[0] == flag).map(|w| w[1].to_owned()).collect()
}

const X86: &str = "x86_64-linux-gnu";

#[test]
fn the_real_dependency_chains_of_the_repository_become_edges() {
    let root = repo();
    let plan = plan_of(&[root.join("recipes")], &[], &[], &[]);
    assert!(plan.unresolved.is_empty(), "{:?}", plan.unresolved);
    let x = |n: &str| format!("{n}@{X86}");
    assert_eq!(needs(&plan, "libvorbis", X86), [x("Ogg")]);
    assert_eq!(needs(&plan, "opusfile", X86), [x("Ogg"), x("Opus")]);
    assert_eq!(needs(&plan, "Libassuan", X86), [x("Libgpg_error")]);
    assert_eq!(needs(&plan, "Libgcrypt", X86), [x("Libgpg_error")]);
    for lone in ["Ogg", "Opus", "Libgpg_error", "hello"] {
        assert!(needs(&plan, lone, X86).is_empty(), "{lone}");
    }
    let level = |n: &str| plan.jobs.iter().find(|j| j.job.job.recipe == n).unwrap().level;
    assert_eq!((level("Ogg"), level("libvorbis")), (0, 1));

    // Each check of a recipe with dependencies gets the plan's index, relative to the checkout;
    // one without dependencies gets nothing more.
    let vorbis = command(&plan, &root, "libvorbis");
    assert_eq!(flag_values(&vorbis, "--recipes"), ["recipes"], "{vorbis}");
    assert!(!command(&plan, &root, "hello").contains("--recipes"));

    // On a fresh runner (no REPRO_RECIPES), what the command names resolves every chain to
    // the same local recipes.
    for (name, deps) in [
        ("libvorbis", vec!["Ogg"]),
        ("opusfile", vec!["Ogg", "Opus"]),
        ("Libassuan", vec!["Libgpg_error"]),
        ("Libgcrypt", vec!["Libgpg_error"]),
    ] {
        let cmd = command(&plan, &root, name);
        let dirs: Vec<PathBuf> =
            flag_values(&cmd, "--recipes").iter().map(|d| root.join(d)).collect();
        let config = DepConfig { recipe_dirs: dirs.clone(), ..DepConfig::default() };
        let sink = repro_events::null_sink();
        let index = RecipeIndex::build(&dirs, &sink).unwrap();
        let recipe_file = root.join(cmd.split_whitespace().nth(2).unwrap());
        let recipe = repro_recipe::load(&recipe_file).unwrap();
        let resolved = Resolver { index: &index, config: &config, sink: &sink }
            .resolve(&recipe, X86)
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        let mut got: Vec<String> = resolved
            .nodes
            .iter()
            .filter_map(|n| match &n.resolution {
                Resolution::Recipe { recipe } => Some(recipe.name.clone()),
                _ => None,
            })
            .collect();
        got.sort();
        assert_eq!(got, deps, "{cmd}");
    }
}

#[test]
fn a_dependency_on_a_jll_or_an_artifact_gives_no_edge() {
    let root = repo();
    let t = tempfile::tempdir().unwrap();
    // A JLL registry with Ogg_jll: libvorbis planned alone resolves Ogg there.
    let reg = t.path().join("jll");
    write(
        &reg.join("Ogg_jll.jl/Artifacts.toml"),
        &format!(
            "[[Ogg]]\narch = \"x86_64\"\nlibc = \"glibc\"\nos = \"linux\"\ngit-tree-sha1 = \"{}\"\n\n    [[Ogg.download]]\n    sha256 = \"{}\"\n    url = \"https://example.invalid/Ogg.tar.gz\"\n",
            "1".repeat(40),
            "2".repeat(64)
        ),
    );
    let vorbis = root.join("recipes/libvorbis");
    let plan = plan_of(std::slice::from_ref(&vorbis), &[], std::slice::from_ref(&reg), &[]);
    assert!(plan.unresolved.is_empty(), "{:?}", plan.unresolved);
    assert!(needs(&plan, "libvorbis", X86).is_empty());
    let cmd = command(&plan, &root, "libvorbis");
    assert_eq!(flag_values(&cmd, "--jll"), [reg.display().to_string()], "{cmd}");

    // Ogg planned too, but the dependency is a prebuilt artifact: no edge.
    let d = t.path().join("r");
    write(
        &d.join("ogg/recipe.toml"),
        "name = \"Ogg\"\nversion = \"1.3.5\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = \"true\"\n",
    );
    write(
        &d.join("user/recipe.toml"),
        &format!(
            "name = \"User\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = \"true\"\n\n[[dependencies]]\nname = \"Ogg_jll\"\nartifact = \"https://example.invalid/Ogg.tar.gz\"\nsha256 = \"{}\"\n",
            "3".repeat(64)
        ),
    );
    let plan = plan_of(std::slice::from_ref(&d), &[], &[], &[]);
    assert!(needs(&plan, "User", X86).is_empty());
    assert_eq!(plan.jobs.len(), 2);

    // Without the registry and without the Ogg recipe, the dependency does not resolve: the
    // job is kept without edges and the plan says why.
    let plan = plan_of(std::slice::from_ref(&vorbis), &[], &[], &[]);
    assert_eq!(plan.unresolved.len(), 1);
    assert!(plan.unresolved[0].1.contains("Ogg_jll"), "{:?}", plan.unresolved);
    // With --recipes holding Ogg (not planned): resolved, no edge, and the check gets the
    // directory.
    let plan = plan_of(std::slice::from_ref(&vorbis), &[root.join("recipes")], &[], &[]);
    assert!(plan.unresolved.is_empty(), "{:?}", plan.unresolved);
    assert!(needs(&plan, "libvorbis", X86).is_empty());
    let dirs = flag_values(&command(&plan, &root, "libvorbis"), "--recipes");
    assert_eq!(dirs, ["recipes"], "the input inside --recipes is not listed twice");
}

#[test]
fn edges_follow_resolution_through_unplanned_recipes_and_to_the_hosts_job() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("recipes");
    let rec = |name: &str, deps: &str| {
        write(
            &r.join(name.to_lowercase()).join("recipe.toml"),
            &format!(
                "name = \"{name}\"\nversion = \"1.0.0\"\nscript = \"true\"\nplatforms = [\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]\n{deps}"
            ),
        );
    };
    rec("Base", "");
    rec("Mid", "[[dependencies]]\nname = \"Base_jll\"\n");
    rec("Top", "[[dependencies]]\nname = \"Mid_jll\"\n");
    rec("GenTool", "");
    rec("Cross", "[[dependencies]]\nname = \"GenTool_jll\"\nkind = \"HostBuildDependency\"\n");
    rec("Runtime", "[[dependencies]]\nname = \"Base_jll\"\nkind = \"RuntimeDependency\"\n");
    // Planned: everything but Mid (given only as --recipes).
    let inputs: Vec<PathBuf> = ["base", "top", "gentool", "cross", "runtime"]
        .iter()
        .map(|n| r.join(n).join("recipe.toml"))
        .collect();
    let plan = plan_of(&inputs, std::slice::from_ref(&r), &[], &["all"]);
    assert!(plan.unresolved.is_empty(), "{:?}", plan.unresolved);
    let arm = "aarch64-linux-gnu";
    // Top -> Mid (not planned) -> Base: Top waits for Base of its own platform.
    assert_eq!(needs(&plan, "Top", arm), [format!("Base@{arm}")]);
    assert_eq!(needs(&plan, "Top", X86), [format!("Base@{X86}")]);
    // A host build dependency is built for the host: the job of the host's platform.
    assert_eq!(needs(&plan, "Cross", arm), [format!("GenTool@{X86}")]);
    // A run-time dependency is not built: no edge.
    assert!(needs(&plan, "Runtime", X86).is_empty());

    // --changed: Base's jobs and the jobs that resolve to Base (through Mid); not Runtime's.
    let found = find_recipes(&inputs).unwrap();
    let jobs = plan_jobs(&found, &["all".to_owned()]);
    let changed: BTreeSet<PathBuf> =
        [r.join("base/recipe.toml").canonicalize().unwrap()].into_iter().collect();
    let config = DepConfig { recipe_dirs: vec![r.clone()], ..DepConfig::default() };
    let plan = Plan::new(jobs, &config, Some(&changed), &repro_events::null_sink()).unwrap();
    let mut kept: Vec<String> =
        plan.jobs.iter().map(|j| format!("{}@{}", j.job.job.recipe, j.job.job.platform)).collect();
    kept.sort();
    assert_eq!(
        kept,
        [format!("Base@{arm}"), format!("Base@{X86}"), format!("Top@{arm}"), format!("Top@{X86}")]
    );
    assert_eq!(needs(&plan, "Top", X86), [format!("Base@{X86}")]);
}

#[test]
fn a_dependency_cycle_leaves_its_jobs_without_edges_and_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("recipes");
    for (name, dep) in [("A", "B_jll"), ("B", "A_jll"), ("C", "A_jll")] {
        write(
            &r.join(name).join("recipe.toml"),
            &format!(
                "name = \"{name}\"\nversion = \"1.0.0\"\nscript = \"true\"\nplatforms = [\"x86_64-linux-gnu\"]\n\n[[dependencies]]\nname = \"{dep}\"\n"
            ),
        );
    }
    let plan = plan_of(std::slice::from_ref(&r), &[], &[], &[]);
    assert_eq!(plan.jobs.len(), 3);
    assert!(plan.jobs.iter().all(|j| j.needs.is_empty()));
    let ids: Vec<&str> = plan.unresolved.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["A-x86_64-linux-gnu", "B-x86_64-linux-gnu", "C-x86_64-linux-gnu"]);
    assert!(
        plan.unresolved[0].1.contains("dependency cycle: A -> B_jll -> A_jll"),
        "{:?}",
        plan.unresolved
    );
}

#[test]
fn index_dirs_are_the_inputs_and_recipes_without_nested_ones() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("recipes");
    write(&r.join("a/recipe.toml"), "");
    write(&r.join("b/recipe.toml"), "");
    let other = t.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let dirs = index_dirs(
        &[r.join("a/recipe.toml"), r.join("*/recipe.toml"), r.join("b")],
        std::slice::from_ref(&other),
    );
    assert_eq!(dirs, [other.clone(), r.clone()]);
    let dirs = index_dirs(&[r.join("a/recipe.toml")], &[]);
    assert_eq!(dirs, [r.join("a")]);
}
