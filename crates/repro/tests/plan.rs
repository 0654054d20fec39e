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

/// A recipe `name` of `version` for x86_64 and aarch64 Linux in `dir/<sub>/recipe.toml` with
/// `deps` (TOML tables).
fn recipe_in(dir: &Path, sub: &str, name: &str, version: &str, deps: &str) {
    write(
        &dir.join(sub).join("recipe.toml"),
        &format!(
            "name = \"{name}\"\nversion = \"{version}\"\nscript = \"true\"\nplatforms = [\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]\n{deps}"
        ),
    );
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
    let rec = |name: &str, deps: &str| recipe_in(&r, &name.to_lowercase(), name, "1.0.0", deps);
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
fn versions_of_one_name_and_a_recipes_own_jll_resolve_and_are_noted() {
    // Yggdrasil's layout: two Zlib versions side by side; Ncurses needs its own published
    // JLL on the host (not itself: no cycle); Readline needs Ncurses.
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("recipes");
    recipe_in(&r, "Z/Zlib/Zlib@1.2.12", "Zlib", "1.2.12", "");
    recipe_in(&r, "Z/Zlib/Zlib@1.3.1", "Zlib", "1.3.1", "");
    recipe_in(
        &r,
        "N/Ncurses",
        "Ncurses",
        "6.5.0",
        "[[dependencies]]\nname = \"Ncurses_jll\"\nkind = \"HostBuildDependency\"\ncompat = \"6.4\"\n\n[[dependencies]]\nname = \"Zlib_jll\"\n",
    );
    recipe_in(&r, "R/Readline", "Readline", "8.2.0", "[[dependencies]]\nname = \"Ncurses_jll\"\n");
    let plan = plan_of(std::slice::from_ref(&r), &[], &[], &["all"]);
    assert!(plan.unresolved.is_empty(), "{:?}", plan.unresolved);
    let arm = "aarch64-linux-gnu";
    assert_eq!(needs(&plan, "Readline", arm), [format!("Ncurses@{arm}")]);
    // Ncurses waits for the newest Zlib of its platform, and for no job of its own.
    let j = plan
        .jobs
        .iter()
        .find(|j| j.job.job.recipe == "Ncurses" && j.job.job.platform == arm)
        .unwrap();
    let waits: Vec<String> =
        j.needs.iter().map(|&d| plan.jobs[d].job.recipe_path.display().to_string()).collect();
    assert_eq!(waits.len(), 1);
    assert!(waits[0].ends_with("Z/Zlib/Zlib@1.3.1/recipe.toml"), "{waits:?}");
    // The plan says what it chose.
    let notes = plan.notes.join("\n");
    assert!(notes.contains("Ncurses_jll is Ncurses's own published JLL"), "{notes}");
    assert!(notes.contains("2 recipes are named Zlib") && notes.contains("chose 1.3.1"), "{notes}");

    // --changed selecting Solo (and TopZ, which needs it; neither needs Zlib or Ncurses): the
    // plan notes only the choices of
    // the jobs it keeps (regression: Ncurses' Zlib choice was noted for an unselected job).
    recipe_in(&r, "S/Solo", "Solo", "1.0.0", "");
    recipe_in(&r, "T/TopZ", "TopZ", "1.0.0", "[[dependencies]]\nname = \"Solo_jll\"\n");
    let found = find_recipes(std::slice::from_ref(&r)).unwrap();
    let jobs = plan_jobs(&found, &["all".to_owned()]);
    let changed: BTreeSet<PathBuf> =
        [r.join("S/Solo/recipe.toml").canonicalize().unwrap()].into_iter().collect();
    let config = DepConfig { recipe_dirs: vec![r.clone()], ..DepConfig::default() };
    let plan = Plan::new(jobs, &config, Some(&changed), &repro_events::null_sink()).unwrap();
    assert!(plan.jobs.iter().all(|j| ["Solo", "TopZ"].contains(&j.job.job.recipe.as_str())));
    assert!(!plan.jobs.is_empty());
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
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

/// Sixty recipes on ten platforms (nine buildable: 540 jobs) in `root/recipes/`: chains of
/// dependencies, host build, run-time and platform-filtered ones.
fn many_recipes(root: &Path) -> PathBuf {
    const PLATFORMS: [&str; 10] = [
        "x86_64-linux-gnu",
        "i686-linux-gnu",
        "aarch64-linux-gnu",
        "armv7l-linux-gnueabihf",
        "powerpc64le-linux-gnu",
        "riscv64-linux-gnu",
        "x86_64-linux-musl",
        "x86_64-w64-mingw32",
        "i686-w64-mingw32",
        "x86_64-apple-darwin",
    ];
    let platforms = PLATFORMS.map(|p| format!("\"{p}\"")).join(", ");
    let dir = root.join("recipes");
    for i in 0..60 {
        let mut deps = String::new();
        if i % 3 != 0 {
            deps += &format!("\n[[dependencies]]\nname = \"Lib{:02}_jll\"\n", i - 1);
        }
        if i % 5 == 0 && i > 0 {
            deps += "\n[[dependencies]]\nname = \"Lib00_jll\"\nkind = \"HostBuildDependency\"\n";
        }
        if i % 7 == 0 && i > 0 {
            deps += "\n[[dependencies]]\nname = \"Lib01_jll\"\nkind = \"RuntimeDependency\"\n";
        }
        if i % 11 == 0 && i > 0 {
            deps +=
                "\n[[dependencies]]\nname = \"Lib02_jll\"\nplatforms = [\"aarch64-linux-gnu\"]\n";
        }
        write(
            &dir.join(format!("lib{i:02}/recipe.toml")),
            &format!(
                "name = \"Lib{i:02}\"\nversion = \"1.{i}.0\"\nscript = \"true\"\nplatforms = [{platforms}]\n{deps}"
            ),
        );
    }
    dir
}

fn sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The pipelines of a plan are pinned byte for byte (their sha256, as written before the
/// plan was made parallel): workflow jobs and Buildkite parts serialized in parallel, and the
/// check commands built once per job, give the same text as the whole documents serialized
/// at once, including a multi-line setup with an empty line and a quoted check argument.
#[test]
fn the_pipelines_of_a_plan_are_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().canonicalize().unwrap();
    let dir = many_recipes(&root);
    let plan = plan_of(std::slice::from_ref(&dir), &[], &[], &["all"]);
    assert!(plan.unresolved.is_empty(), "{:?}", plan.unresolved);
    assert_eq!(plan.jobs.len(), 540);
    let opts = PlanOptions {
        setup: "set -e\n\ncargo install repro".into(),
        check_args: vec!["--vary=all".into(), "it's".into()],
        runs_on: "self-hosted".into(),
    };
    let wf = github_actions(&plan, &root, &opts).unwrap();
    let part = |n: usize| {
        if n == 1 { "pipeline.yml".to_owned() } else { format!("pipeline.part{n}.yml") }
    };
    let parts = repro::plan::buildkite(&plan, &root, &opts, &part).unwrap();
    assert_eq!(parts.len(), 2);
    let got = [sha256(&wf), sha256(&parts[0]), sha256(&parts[1])];
    assert_eq!(
        got,
        [
            "3df72463a44fe1cc30648237983cb346b6681e86627b383ac0e5464343403c70",
            "14eee1eccced4d1ef0d5a347c2c00e3cef895423781b825f6ce3906fc9420e0b",
            "38e02e14f61f6a1f714be4a32042ea7a5fce0b88c1345531d79521d9fd2543dc",
        ],
        "workflow:\n{wf}\nfirst Buildkite part:\n{}",
        parts[0]
    );
}
