//! Dependencies without Docker: resolution, the dependency cache, installation into the prefix
//! and the host prefix, removal of unchanged dependency files, and `check` over a dependency
//! graph, with the sandbox's fake runner standing in for containers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use repro::check::{CheckOptions, check};
use repro::deps::{DepConfig, DepPlan, RecipeIndex, Resolution, Resolver, select_platform};
use repro::graph::Backend;
use repro_artifact::parse_artifacts_toml;
use repro_sandbox::fake::{FakeBuild, FakeRunner};
use repro_sandbox::{ImageRef, InstallInto};
use repro_sources::FetchConfig;

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A recipe `name` in `root/<lowercase name>/recipe.toml` with `deps` (TOML tables).
fn recipe(root: &Path, name: &str, deps: &str) -> PathBuf {
    recipe_at(root, &name.to_lowercase(), name, "1.2.3", deps)
}

/// A recipe `name` of `version` in `root/<dir>/recipe.toml` with `deps` (TOML tables).
fn recipe_at(root: &Path, dir: &str, name: &str, version: &str, deps: &str) -> PathBuf {
    let p = root.join(dir).join("recipe.toml");
    write(
        &p,
        &format!(
            "name = \"{name}\"\nversion = \"{version}\"\nscript = \"true\"\n\
             platforms = [\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]\n{deps}"
        ),
    );
    p
}

/// Resolves the recipe at `path` for `target` with the recipe index of `root` and `config`.
fn resolve_in(
    root: &Path,
    config: &DepConfig,
    path: &Path,
    target: &str,
) -> Result<DepPlan, repro::deps::DepError> {
    let sink = repro_events::null_sink();
    let index = RecipeIndex::build(&[root.to_owned()], &sink).unwrap();
    let recipe = repro_recipe::load(path).unwrap();
    Resolver { index: &index, config, sink: &sink }.resolve(&recipe, target)
}

/// Every file under `dir`, relative, sorted.
fn prefix_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn image() -> ImageRef {
    ImageRef { id: "sha256:fake".into(), rootfs_sha256: "0".repeat(64), tag: "fake".into() }
}

/// A fake build: writes `include/<name>.h` and `lib/lib<name>.txt` (the content lists the
/// headers it saw in the prefix, so a missing install shows), and `bin/<name>-tool` for recipes
/// whose name ends in "Tool"; "Touchy" rewrites a dependency's file.
fn fake_build(b: &FakeBuild<'_>) -> Result<(), String> {
    let name = &b.spec.recipe_name;
    let mut seen: Vec<String> = std::fs::read_dir(b.prefix.join("include"))
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    seen.sort();
    let p = b.prefix;
    std::fs::create_dir_all(p.join("include")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(p.join("lib")).map_err(|e| e.to_string())?;
    std::fs::write(p.join(format!("include/{name}.h")), format!("// {name}\n"))
        .map_err(|e| e.to_string())?;
    std::fs::write(p.join(format!("lib/lib{name}.txt")), format!("saw {}\n", seen.join(",")))
        .map_err(|e| e.to_string())?;
    if name.ends_with("Tool") {
        std::fs::create_dir_all(p.join("bin")).map_err(|e| e.to_string())?;
        std::fs::write(p.join(format!("bin/{name}-tool")), "tool").map_err(|e| e.to_string())?;
    }
    if name == "Touchy" {
        std::fs::write(p.join("include/Base.h"), "// changed by Touchy\n")
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("recipes");
        let cache = dir.path().join("cache");
        Fixture { root, cache, _dir: dir }
    }

    fn options(&self, recipe: &Path, runner: &Arc<FakeRunner>) -> CheckOptions {
        let fetch = FetchConfig { cache_dir: self.cache.clone(), mirrors: vec![], offline: true };
        let mut o = CheckOptions::new(recipe.to_owned(), fetch);
        o.deps = DepConfig { recipe_dirs: vec![self.root.clone()], ..DepConfig::default() };
        o.backend = Some(Arc::new(Backend::with_runner(runner.clone(), image())));
        o
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn a_dependency_is_built_once_installed_in_both_builds_and_left_out_of_the_artifact() {
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    recipe(&f.root, "Mid", "[[dependencies]]\nname = \"Base_jll\"\n");
    let top = recipe(&f.root, "Top", "[[dependencies]]\nname = \"Mid_jll\"\n");
    let runner = Arc::new(FakeRunner::new(fake_build));
    let mut opts = f.options(&top, &runner);
    opts.keep = Some(f.root.join("../kept"));
    let out = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let labels: Vec<String> = runner.runs().iter().map(|r| r.label.clone()).collect();
    // Base and Mid once each, before the two builds of Top.
    assert_eq!(
        labels.iter().filter(|l| l.starts_with("dep-")).cloned().collect::<Vec<_>>(),
        ["dep-Base-x86_64-linux-gnu", "dep-Mid-x86_64-linux-gnu"]
    );
    assert_eq!(labels.len(), 4, "{labels:?}");
    let top_runs: Vec<_> = runner.runs().into_iter().filter(|r| r.recipe == "Top").collect();
    for r in &top_runs {
        // Mid and, transitively (a run-time Dependency of Mid), Base.
        let names: Vec<&str> = r.installs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Base_jll", "Mid_jll"], "{r:?}");
    }
    assert!(out.report.is_reproducible(), "{:?}", out.report.files);
    // The artifact holds Top's own files only ...
    let kept = out.kept.unwrap();
    for build in ["control", "experiment"] {
        let files = prefix_files(&kept.join(build).join("prefix"));
        assert_eq!(files, ["include/Top.h", "lib/libTop.txt", "logs/Top/Top.log"], "{build}");
    }
    // ... and the build saw its dependencies' headers.
    let lib = std::fs::read_to_string(kept.join("control/prefix/lib/libTop.txt")).unwrap();
    assert_eq!(lib, "saw Base.h,Mid.h\n");
    let section = out.report.check.unwrap();
    let deps: Vec<(&str, &str, bool)> = section
        .dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.resolved.as_str(), d.git_tree_sha1.is_some()))
        .collect();
    assert_eq!(deps, [("Base_jll", "recipe", true), ("Mid_jll", "recipe", true)]);
    assert_eq!(section.dependencies[0].required_by, ["Mid"]);
}

#[test]
fn the_dependency_cache_gives_the_same_tree_and_rebuild_deps_builds_again() {
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    let top = recipe(&f.root, "Top", "[[dependencies]]\nname = \"Base_jll\"\n");
    let runner = Arc::new(FakeRunner::new(fake_build));
    let opts = f.options(&top, &runner);
    let first = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let second = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let dep = |r: &repro_report::Report| r.check.clone().unwrap().dependencies[0].clone();
    assert!(!dep(&first.report).cached);
    assert!(dep(&second.report).cached);
    assert_eq!(dep(&first.report).git_tree_sha1, dep(&second.report).git_tree_sha1);
    let dep_builds = || runner.runs().iter().filter(|r| r.recipe == "Base").count();
    assert_eq!(dep_builds(), 1);
    let mut again = opts.clone();
    again.deps.rebuild = true;
    let third = rt().block_on(check(&again, repro_events::null_sink())).unwrap();
    assert_eq!(dep_builds(), 2);
    assert!(!dep(&third.report).cached);
    assert_eq!(dep(&first.report).git_tree_sha1, dep(&third.report).git_tree_sha1);
}

#[test]
fn a_changed_dependency_file_stays_and_is_reported() {
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    let top = recipe(&f.root, "Touchy", "[[dependencies]]\nname = \"Base_jll\"\n");
    let runner = Arc::new(FakeRunner::new(fake_build));
    let mut opts = f.options(&top, &runner);
    opts.keep = Some(f.root.join("../kept"));
    let out = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let section = out.report.check.unwrap();
    assert_eq!(section.dependency_files_changed, ["include/Base.h"]);
    let files = prefix_files(&out.kept.unwrap().join("control/prefix"));
    assert_eq!(
        files,
        ["include/Base.h", "include/Touchy.h", "lib/libTouchy.txt", "logs/Touchy/Touchy.log"]
    );
}

#[test]
fn a_host_build_dependency_lands_in_the_host_prefix_built_for_the_host() {
    let f = Fixture::new();
    recipe(&f.root, "GenTool", "");
    let top = recipe(
        &f.root,
        "Top",
        "[[dependencies]]\nname = \"GenTool_jll\"\nkind = \"HostBuildDependency\"\n",
    );
    let runner = Arc::new(FakeRunner::new(fake_build));
    let mut opts = f.options(&top, &runner);
    opts.platform = Some("aarch64-linux-gnu".into());
    let out = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let runs = runner.runs();
    let tool = runs.iter().find(|r| r.recipe == "GenTool").unwrap();
    assert_eq!(tool.target, "x86_64-linux-gnu", "built for the host");
    for r in runs.iter().filter(|r| r.recipe == "Top") {
        assert_eq!(r.target, "aarch64-linux-gnu");
        assert_eq!(r.installs, [("GenTool_jll".to_owned(), InstallInto::HostPrefix)]);
        assert!(r.host_files.contains(&"bin/GenTool-tool".to_owned()), "{r:?}");
    }
    let d = &out.report.check.unwrap().dependencies[0];
    assert_eq!((d.kind.as_str(), d.target.as_str()), ("host-build-dependency", "x86_64-linux-gnu"));
}

#[test]
fn cycles_missing_and_ambiguous_names_are_errors_that_show_the_chain() {
    let f = Fixture::new();
    recipe(&f.root, "A", "[[dependencies]]\nname = \"B_jll\"\n");
    recipe(&f.root, "B", "[[dependencies]]\nname = \"C_jll\"\n");
    recipe(&f.root, "C", "[[dependencies]]\nname = \"A_jll\"\n");
    let runner = Arc::new(FakeRunner::new(fake_build));
    let a = f.root.join("a/recipe.toml");
    let err = rt().block_on(check(&f.options(&a, &runner), repro_events::null_sink())).unwrap_err();
    let msg = format!("{err}");
    assert!(msg.contains("dependency cycle: A -> B_jll -> C_jll -> A_jll"), "{msg}");
    assert!(runner.runs().is_empty(), "nothing is built");

    let lone = recipe(&f.root, "Lone", "[[dependencies]]\nname = \"Nowhere_jll\"\n");
    let msg = format!(
        "{}",
        rt().block_on(check(&f.options(&lone, &runner), repro_events::null_sink())).unwrap_err()
    );
    assert!(msg.contains("Lone -> Nowhere_jll") && msg.contains("--recipes"), "{msg}");

    // Two recipes named Dup, of one version: neither is newer.
    recipe_at(&f.root, "other/dup", "Dup", "1.2.3", "");
    recipe(&f.root, "Dup", "");
    let user = recipe(&f.root, "User", "[[dependencies]]\nname = \"Dup_jll\"\n");
    let msg = format!(
        "{}",
        rt().block_on(check(&f.options(&user, &runner), repro_events::null_sink())).unwrap_err()
    );
    assert!(msg.contains("ambiguous") && msg.contains("other/dup/recipe.toml"), "{msg}");
}

/// The recipe a plan's recipe node was made from: (name, version, path).
fn recipe_nodes(plan: &DepPlan) -> Vec<(String, String, PathBuf)> {
    plan.nodes
        .iter()
        .filter_map(|n| match &n.resolution {
            Resolution::Recipe { recipe } => {
                Some((recipe.name.clone(), recipe.version.to_string(), recipe.path.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn several_recipes_of_one_name_resolve_to_the_newest_within_compat_and_say_which() {
    // Yggdrasil keeps versions side by side: Z/Zlib/Zlib@1.2.12, Zlib@1.3.1, Zlib@1.3.2.
    let f = Fixture::new();
    for v in ["1.2.12", "1.3.1", "1.3.2"] {
        recipe_at(&f.root, &format!("Z/Zlib/Zlib@{v}"), "Zlib", v, "");
    }
    let cfg = DepConfig::default();
    let with = |compat: &str| {
        let top =
            recipe(&f.root, "Top", &format!("[[dependencies]]\nname = \"Zlib_jll\"\n{compat}"));
        resolve_in(&f.root, &cfg, &top, "x86_64-linux-gnu")
    };
    // No compat: the newest, and a note says which and why.
    let plan = with("").unwrap();
    let nodes = recipe_nodes(&plan);
    assert_eq!((nodes[0].0.as_str(), nodes[0].1.as_str()), ("Zlib", "1.3.2"));
    assert!(nodes[0].2.ends_with("Z/Zlib/Zlib@1.3.2/recipe.toml"), "{nodes:?}");
    assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
    assert!(
        plan.notes[0].contains("3 recipes are named Zlib")
            && plan.notes[0].contains("chose 1.3.2")
            && plan.notes[0].contains("(the newest)"),
        "{:?}",
        plan.notes
    );
    // A compat picks the newest it admits.
    for (compat, want) in [("~1.2", "1.2.12"), ("=1.3.1", "1.3.1"), ("1", "1.3.2")] {
        let plan = with(&format!("compat = \"{compat}\"\n")).unwrap();
        assert_eq!(recipe_nodes(&plan)[0].1, want, "compat {compat}");
        assert!(plan.notes[0].contains(&format!("within compat {compat}")), "{:?}", plan.notes);
    }
    // None admitted: an error listing the versions there are.
    let msg = with("compat = \"2\"\n").unwrap_err().to_string();
    assert!(msg.contains("no recipe named Zlib within compat 2") && msg.contains("1.3.1"), "{msg}");
    // The check builds the chosen recipe.
    let runner = Arc::new(FakeRunner::new(fake_build));
    let top =
        recipe(&f.root, "Top", "[[dependencies]]\nname = \"Zlib_jll\"\ncompat = \"~1.3.1\"\n");
    let out = rt().block_on(check(&f.options(&top, &runner), repro_events::null_sink())).unwrap();
    let d = &out.report.check.unwrap().dependencies[0];
    assert!(d.from.as_deref().is_some_and(|p| p.contains("Zlib@1.3.2")), "{d:?}");
}

#[test]
fn a_dependency_on_its_own_jll_is_the_published_jll_not_a_cycle() {
    // Yggdrasil's Ncurses needs an older Ncurses_jll for the host's `tic`: BinaryBuilder
    // installs the published JLL; it never builds the recipe for itself.
    let f = Fixture::new();
    let foo = recipe(
        &f.root,
        "Foo",
        "[[dependencies]]\nname = \"Foo_jll\"\nkind = \"HostBuildDependency\"\n",
    );
    let user = recipe(&f.root, "User", "[[dependencies]]\nname = \"Foo_jll\"\n");
    let cfg = DepConfig::default();
    let plan = resolve_in(&f.root, &cfg, &foo, "aarch64-linux-gnu").unwrap();
    assert_eq!(plan.nodes.len(), 1);
    assert!(matches!(plan.nodes[0].resolution, Resolution::Published { .. }), "{plan:?}");
    assert!(plan.notes[0].contains("Foo_jll is Foo's own published JLL"), "{:?}", plan.notes);
    // A recipe that needs Foo builds Foo from its recipe, and Foo gets the published JLL.
    let plan = resolve_in(&f.root, &cfg, &user, "aarch64-linux-gnu").unwrap();
    assert_eq!(recipe_nodes(&plan).len(), 1);
    assert!(plan.nodes.iter().any(|n| matches!(n.resolution, Resolution::Published { .. })));

    // The check of Foo without a JLL registry: refused before anything is built, saying why.
    let runner = Arc::new(FakeRunner::new(fake_build));
    let msg = format!(
        "{}",
        rt().block_on(check(&f.options(&foo, &runner), repro_events::null_sink())).unwrap_err()
    );
    assert!(msg.contains("Foo's own published JLL") && msg.contains("--jll"), "{msg}");
    assert!(runner.runs().is_empty(), "nothing is built");

    // With a registry holding Foo_jll: its artifact, installed into the host prefix.
    let files = f.root.join("../files");
    let (tarball, sha, tree) = jll_tarball(&files, &[("bin/tic", "tic")]);
    let reg = f.root.join("../jll");
    jll_registry(&reg, &format!("file://{}", tarball.display()), &sha, &tree);
    let mut opts = f.options(&foo, &runner);
    opts.deps.jll_dirs = vec![reg];
    let out = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let d = &out.report.check.unwrap().dependencies[0];
    assert_eq!(d.resolved, "jll");
    for r in runner.runs().iter().filter(|r| r.recipe == "Foo") {
        assert_eq!(r.installs, [("Foo_jll".to_owned(), InstallInto::HostPrefix)]);
    }
}

#[test]
fn a_tagged_platform_gets_its_dependency_built_for_the_matching_platform() {
    // Yggdrasil's C++ recipes build for `x86_64-linux-gnu-cxx11`; their dependencies list
    // `x86_64-linux-gnu`, which Pkg selects for the tagged platform.
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    let top = f.root.join("top/recipe.toml");
    write(
        &top,
        "name = \"Top\"\nversion = \"1.0.0\"\nscript = \"true\"\n\
         platforms = [\"x86_64-linux-gnu-cxx11\", \"x86_64-linux-musl-cxx11\"]\n\n\
         [[dependencies]]\nname = \"Base_jll\"\n",
    );
    let cfg = DepConfig::default();
    let plan = resolve_in(&f.root, &cfg, &top, "x86_64-linux-gnu-cxx11").unwrap();
    assert_eq!(plan.nodes[0].target, "x86_64-linux-gnu");
    // No platform of Base agrees with musl: an error naming Base's platforms.
    let msg = resolve_in(&f.root, &cfg, &top, "x86_64-linux-musl-cxx11").unwrap_err().to_string();
    assert!(msg.contains("does not list the platform x86_64-linux-musl-cxx11"), "{msg}");
}

/// A platform-independent dependency (BinaryBuilder's `AnyPlatform()`: headers, data) is
/// built once, on its one platform, and installed for every target that depends on it.
#[test]
fn a_platform_independent_dependency_serves_every_target() {
    let f = Fixture::new();
    write(
        &f.root.join("headers/recipe.toml"),
        "name = \"Headers\"\nversion = \"1.0.0\"\nscript = \"true\"\n\
         platforms = [\"x86_64-linux-gnu\"]\nplatform_independent = true\n",
    );
    let top = f.root.join("top/recipe.toml");
    write(
        &top,
        "name = \"Top\"\nversion = \"1.0.0\"\nscript = \"true\"\n\
         platforms = [\"aarch64-linux-gnu\", \"x86_64-w64-mingw32\", \"x86_64-linux-gnu\"]\n\n\
         [[dependencies]]\nname = \"Headers_jll\"\n",
    );
    let cfg = DepConfig::default();
    for target in ["aarch64-linux-gnu", "x86_64-w64-mingw32", "x86_64-linux-gnu"] {
        let plan = resolve_in(&f.root, &cfg, &top, target).unwrap();
        assert_eq!(plan.nodes.len(), 1);
        assert_eq!(plan.nodes[0].target, "x86_64-linux-gnu", "for {target}");
    }
    // Without the mark, the same recipe does not serve aarch64.
    write(
        &f.root.join("headers/recipe.toml"),
        "name = \"Headers\"\nversion = \"1.0.0\"\nscript = \"true\"\n\
         platforms = [\"x86_64-linux-gnu\"]\n",
    );
    let msg = resolve_in(&f.root, &cfg, &top, "aarch64-linux-gnu").unwrap_err().to_string();
    assert!(msg.contains("does not list the platform aarch64-linux-gnu"), "{msg}");
    write(
        &f.root.join("headers/recipe.toml"),
        "name = \"Headers\"\nversion = \"1.0.0\"\nscript = \"true\"\n\
         platforms = [\"x86_64-linux-gnu\"]\nplatform_independent = true\n",
    );

    // End to end (fake runner): a check of Top for aarch64 builds Headers once, for
    // x86_64-linux-gnu, and installs it into both builds of Top.
    let runner = Arc::new(FakeRunner::new(fake_build));
    let mut opts = f.options(&top, &runner);
    opts.platform = Some("aarch64-linux-gnu".into());
    let out = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let labels: Vec<String> = runner.runs().iter().map(|r| r.label.clone()).collect();
    assert_eq!(
        labels.iter().filter(|l| l.starts_with("dep-")).cloned().collect::<Vec<_>>(),
        ["dep-Headers-x86_64-linux-gnu"]
    );
    for r in runner.runs().iter().filter(|r| r.recipe == "Top") {
        let names: Vec<&str> = r.installs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Headers_jll"], "{r:?}");
    }
    assert!(out.report.is_reproducible(), "{:?}", out.report.files);
}

#[test]
fn compat_and_platform_filters_are_applied() {
    let f = Fixture::new();
    recipe(&f.root, "Base", "");
    let top = recipe(&f.root, "Top", "[[dependencies]]\nname = \"Base_jll\"\ncompat = \"2\"\n");
    let runner = Arc::new(FakeRunner::new(fake_build));
    let msg = format!(
        "{}",
        rt().block_on(check(&f.options(&top, &runner), repro_events::null_sink())).unwrap_err()
    );
    assert!(msg.contains("version 1.2.3, outside compat 2"), "{msg}");
    // A dependency for other platforms only is not installed.
    let only = recipe(
        &f.root,
        "Only",
        "[[dependencies]]\nname = \"Base_jll\"\nplatforms = [\"x86_64-w64-mingw32\"]\n",
    );
    let out = rt().block_on(check(&f.options(&only, &runner), repro_events::null_sink())).unwrap();
    assert!(out.report.check.unwrap().dependencies.is_empty());
}

#[test]
fn a_build_tarballs_jl_is_indexed_by_its_directory() {
    let f = Fixture::new();
    write(&f.root.join("Z/Zed/build_tarballs.jl"), "# not read while indexing\n");
    recipe(&f.root, "Base", "");
    let idx =
        RecipeIndex::build(std::slice::from_ref(&f.root), &repro_events::null_sink()).unwrap();
    assert_eq!(idx.get("Zed").len(), 1);
    assert_eq!(idx.get("Base").len(), 1);
    let cfg = DepConfig::default();
    let r = repro_recipe::load(&recipe(&f.root, "Top", "[[dependencies]]\nname = \"Base_jll\"\n"))
        .unwrap();
    let plan = Resolver { index: &idx, config: &cfg, sink: &repro_events::null_sink() }
        .resolve(&r, "x86_64-linux-gnu")
        .unwrap();
    assert_eq!(plan.nodes.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// JLL registries: Pkg's platform selection and verified artifacts.

/// An `Artifacts.toml` in JuliaBinaryWrappers' layout with one entry per `(tags, tree)`.
fn artifacts_toml(name: &str, entries: &[(&[(&str, &str)], &str)]) -> String {
    let mut s = String::new();
    for (tags, tree) in entries {
        s.push_str(&format!("[[{name}]]\n"));
        for (k, v) in *tags {
            s.push_str(&format!("{k} = \"{v}\"\n"));
        }
        s.push_str(&format!("git-tree-sha1 = \"{tree}\"\n\n    [[{name}.download]]\n"));
        s.push_str(&format!(
            "    sha256 = \"{}\"\n    url = \"https://example.invalid/{name}.{tree}.tar.gz\"\n\n",
            "a".repeat(64)
        ));
    }
    s
}

#[test]
fn pkg_platform_selection_picks_the_most_specific_entry_for_each_of_the_18_platforms() {
    // Every standard platform, some with libgfortran and cxxstring variants, as real JLLs have.
    let t = |n: u8| format!("{n:040x}");
    let lin = |arch: &'static str, libc: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![("arch", arch), ("libc", libc), ("os", "linux")]
    };
    let mut specs: Vec<Vec<(&str, &str)>> = vec![
        lin("x86_64", "glibc"),
        lin("i686", "glibc"),
        lin("aarch64", "glibc"),
        lin("powerpc64le", "glibc"),
        lin("riscv64", "glibc"),
        lin("x86_64", "musl"),
        lin("i686", "musl"),
        lin("aarch64", "musl"),
        vec![("arch", "armv6l"), ("call_abi", "eabihf"), ("libc", "glibc"), ("os", "linux")],
        vec![("arch", "armv7l"), ("call_abi", "eabihf"), ("libc", "glibc"), ("os", "linux")],
        vec![("arch", "armv6l"), ("call_abi", "eabihf"), ("libc", "musl"), ("os", "linux")],
        vec![("arch", "armv7l"), ("call_abi", "eabihf"), ("libc", "musl"), ("os", "linux")],
        vec![("arch", "x86_64"), ("os", "windows")],
        vec![("arch", "i686"), ("os", "windows")],
        vec![("arch", "x86_64"), ("os", "macos")],
        vec![("arch", "aarch64"), ("os", "macos")],
        vec![("arch", "x86_64"), ("os", "freebsd")],
        vec![("arch", "aarch64"), ("os", "freebsd")],
    ];
    // libgfortran variants of x86_64 glibc and cxxstring variants of aarch64 glibc.
    let mut g4 = lin("x86_64", "glibc");
    g4.push(("libgfortran_version", "4.0.0"));
    let mut g5 = lin("x86_64", "glibc");
    g5.push(("libgfortran_version", "5.0.0"));
    let mut cxx03 = lin("aarch64", "glibc");
    cxx03.push(("cxxstring_abi", "cxx03"));
    let mut cxx11 = lin("aarch64", "glibc");
    cxx11.push(("cxxstring_abi", "cxx11"));
    specs.splice(0..1, [g4, g5]);
    specs.splice(3..4, [cxx03, cxx11]);
    let entries: Vec<(&[(&str, &str)], String)> =
        specs.iter().enumerate().map(|(i, s)| (s.as_slice(), t(i as u8 + 1))).collect();
    let refs: Vec<(&[(&str, &str)], &str)> =
        entries.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let parsed = parse_artifacts_toml(&artifacts_toml("Foo", &refs), "fixture").unwrap();
    assert_eq!(parsed.len(), 20);
    let pick = |target: &str| select_platform(&parsed, target).map(|e| e.platform_label());
    let cases = [
        // No libgfortran tag on the target: the greatest version wins (Pkg's tie-break).
        ("x86_64-linux-gnu", "arch=x86_64, libc=glibc, libgfortran_version=5.0.0, os=linux"),
        (
            "x86_64-linux-gnu-libgfortran4",
            "arch=x86_64, libc=glibc, libgfortran_version=4.0.0, os=linux",
        ),
        ("aarch64-linux-gnu-cxx03", "arch=aarch64, cxxstring_abi=cxx03, libc=glibc, os=linux"),
        ("aarch64-linux-gnu-cxx11", "arch=aarch64, cxxstring_abi=cxx11, libc=glibc, os=linux"),
        ("i686-linux-gnu", "arch=i686, libc=glibc, os=linux"),
        ("powerpc64le-linux-gnu", "arch=powerpc64le, libc=glibc, os=linux"),
        ("riscv64-linux-gnu", "arch=riscv64, libc=glibc, os=linux"),
        ("x86_64-linux-musl", "arch=x86_64, libc=musl, os=linux"),
        ("i686-linux-musl", "arch=i686, libc=musl, os=linux"),
        ("aarch64-linux-musl", "arch=aarch64, libc=musl, os=linux"),
        ("armv6l-linux-gnueabihf", "arch=armv6l, call_abi=eabihf, libc=glibc, os=linux"),
        ("armv7l-linux-gnueabihf", "arch=armv7l, call_abi=eabihf, libc=glibc, os=linux"),
        ("armv6l-linux-musleabihf", "arch=armv6l, call_abi=eabihf, libc=musl, os=linux"),
        ("armv7l-linux-musleabihf", "arch=armv7l, call_abi=eabihf, libc=musl, os=linux"),
        ("x86_64-w64-mingw32", "arch=x86_64, os=windows"),
        ("i686-w64-mingw32", "arch=i686, os=windows"),
        ("x86_64-apple-darwin", "arch=x86_64, os=macos"),
        ("aarch64-apple-darwin", "arch=aarch64, os=macos"),
        ("x86_64-unknown-freebsd", "arch=x86_64, os=freebsd"),
        ("aarch64-unknown-freebsd", "arch=aarch64, os=freebsd"),
    ];
    for (target, want) in cases {
        assert_eq!(pick(target).as_deref(), Some(want), "{target}");
    }
    assert_eq!(pick("powerpc64le-linux-musl"), None);
}

/// A JLL tarball of `files` and its sha256 and tree hash.
fn jll_tarball(dir: &Path, files: &[(&str, &str)]) -> (PathBuf, String, String) {
    let tree = dir.join("tree");
    for (p, c) in files {
        write(&tree.join(p), c);
    }
    let tarball = dir.join("Foo.v1.0.0.x86_64-linux-gnu.tar.gz");
    let packed = repro_artifact::pack_dir(&tree, &tarball, |_| true).unwrap();
    std::fs::remove_dir_all(&tree).unwrap();
    (tarball, packed.sha256.to_string(), packed.git_tree_sha1.to_string())
}

fn jll_registry(reg: &Path, url: &str, sha: &str, tree: &str) {
    write(
        &reg.join("Foo_jll.jl/Artifacts.toml"),
        &format!(
            "[[Foo]]\narch = \"x86_64\"\ngit-tree-sha1 = \"{tree}\"\nlibc = \"glibc\"\nos = \"linux\"\n\n    [[Foo.download]]\n    sha256 = \"{sha}\"\n    url = \"{url}\"\n"
        ),
    );
    write(&reg.join("Foo_jll.jl/Project.toml"), "name = \"Foo_jll\"\nversion = \"1.0.0+0\"\n");
}

#[test]
fn a_jll_from_a_registry_is_fetched_verified_and_installed() {
    let f = Fixture::new();
    let files = f.root.join("../files");
    let (tarball, sha, tree) = jll_tarball(&files, &[("include/foo.h", "// foo\n")]);
    let reg = f.root.join("../jll");
    jll_registry(&reg, &format!("file://{}", tarball.display()), &sha, &tree);
    let top = recipe(&f.root, "Top", "[[dependencies]]\nname = \"Foo_jll\"\ncompat = \"1\"\n");
    let runner = Arc::new(FakeRunner::new(fake_build));
    let mut opts = f.options(&top, &runner);
    opts.deps.jll_dirs = vec![reg.clone()];
    let out = rt().block_on(check(&opts, repro_events::null_sink())).unwrap();
    let d = &out.report.check.unwrap().dependencies[0];
    assert_eq!((d.resolved.as_str(), d.git_tree_sha1.as_deref()), ("jll", Some(tree.as_str())));
    let top_run = runner.runs().into_iter().find(|r| r.recipe == "Top").unwrap();
    assert_eq!(top_run.installs, [("Foo_jll".to_owned(), InstallInto::Prefix)]);
    assert!(!out.report.files.iter().any(|f| f.path == "include/foo.h"));
}

#[test]
fn a_tampered_dependency_tarball_is_refused() {
    let f = Fixture::new();
    let files = f.root.join("../files");
    let (tarball, sha, tree) = jll_tarball(&files, &[("include/foo.h", "// foo\n")]);
    let runner = Arc::new(FakeRunner::new(fake_build));

    // The tree hash recorded does not match the tarball's content (its sha256 is right).
    let wrong_tree = "1".repeat(40);
    let reg = f.root.join("../jll-a");
    jll_registry(&reg, &format!("file://{}", tarball.display()), &sha, &wrong_tree);
    let top = recipe(&f.root, "Top", "[[dependencies]]\nname = \"Foo_jll\"\n");
    let mut opts = f.options(&top, &runner);
    opts.deps.jll_dirs = vec![reg];
    let msg = format!(
        "{:#}",
        anyhow_chain(rt().block_on(check(&opts, repro_events::null_sink())).unwrap_err())
    );
    assert!(msg.contains("git-tree-sha1") && msg.contains(&wrong_tree), "{msg}");

    // The tarball's sha256 does not match the record (its tree would).
    let reg = f.root.join("../jll-b");
    jll_registry(&reg, &format!("file://{}", tarball.display()), &"b".repeat(64), &tree);
    opts.deps.jll_dirs = vec![reg];
    let msg = anyhow_chain(rt().block_on(check(&opts, repro_events::null_sink())).unwrap_err());
    assert!(msg.contains("sha256"), "{msg}");
    assert!(!runner.runs().iter().any(|r| r.recipe == "Top"), "nothing was built");

    // An artifact dependency with the right sha256 but a wrong tree hash, from a mirror.
    let top2 = recipe(
        &f.root,
        "Top2",
        &format!(
            "[[dependencies]]\nname = \"Foo_jll\"\nartifact = \"https://example.invalid/Foo.tar.gz\"\nsha256 = \"{sha}\"\ngit-tree-sha1 = \"{wrong_tree}\"\n"
        ),
    );
    let mirror = f.root.join("../mirror");
    write(&mirror.join("sha256").join(&sha), "");
    std::fs::copy(&tarball, mirror.join("sha256").join(&sha)).unwrap();
    let mut opts = f.options(&top2, &runner);
    opts.fetch.mirrors = vec![mirror];
    let msg = anyhow_chain(rt().block_on(check(&opts, repro_events::null_sink())).unwrap_err());
    assert!(msg.contains("git-tree-sha1") && msg.contains("refusing"), "{msg}");
}

fn anyhow_chain(e: impl std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
