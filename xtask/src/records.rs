//! `cargo xtask records [RECIPE...]`: rebuild real recipes from the offline mirror and update
//! their committed `Artifacts.toml` (this repository's public record, see docs/verify.md).
//!
//! Each recipe in `recipes/` that has a `build_tarballs.jl` (the real upstream libraries) is built
//! once per platform it lists that the image can build, with
//! `repro build --artifacts-toml recipes/<r>/Artifacts.toml --download-url-base <BASE>`. Other
//! platforms' entries are kept. Afterwards `git diff recipes/*/Artifacts.toml` shows what moved.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::test::repo_root;

/// The download URL base of this repository's records (nothing is uploaded there).
pub(crate) const RECORD_URL_BASE: &str =
    "https://example.invalid/repro/artifacts/{name}-v{version}";

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Recipe directory names under recipes/ (default: every real recipe).
    recipes: Vec<String>,
    /// Platforms to build (default: every platform the recipe lists that the image builds).
    #[arg(long = "platform", value_name = "TRIPLET")]
    platforms: Vec<String>,
}

/// Real recipes: directories of `recipes/` holding a `build_tarballs.jl` and a `recipe.toml`.
pub(crate) fn real_recipes(root: &std::path::Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join("recipes"))? {
        let e = e?;
        let p = e.path();
        if p.join("build_tarballs.jl").is_file() && p.join("recipe.toml").is_file() {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Fills the offline source mirror for the real recipes; returns its directory.
pub(crate) fn fill_mirror(sh: &Shell, root: &std::path::Path) -> Result<PathBuf> {
    let mirror = root.join(".repro-work/mirror");
    cmd!(sh, "cargo xtask mirror-debian --from-recipes --out {mirror}")
        .run()
        .context("filling the source mirror")?;
    Ok(mirror)
}

/// The real recipes named (every one when `names` is empty); an unknown name is an error.
pub(crate) fn chosen_recipes(root: &std::path::Path, names: &[String]) -> Result<Vec<String>> {
    let all = real_recipes(root)?;
    if let Some(n) = names.iter().find(|n| !all.contains(n)) {
        bail!("recipes/{n} is not a real recipe (one of: {})", all.join(", "));
    }
    Ok(if names.is_empty() { all } else { names.to_vec() })
}

/// `platforms = [...]` of a recipe (read with the toml crate; the recipe crate validates more).
fn recipe_platforms(recipe: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(recipe)?;
    let v: toml::Table = toml::from_str(&text).with_context(|| recipe.display().to_string())?;
    Ok(v.get("platforms")
        .and_then(|p| p.as_array())
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default())
}

pub(crate) fn run(args: Args) -> Result<()> {
    let sh = Shell::new()?;
    let root = repo_root();
    sh.change_dir(&root);
    cmd!(sh, "cargo build --package repro-cli").run().context("building repro")?;
    let repro = root.join("target/debug/repro");
    let mirror = fill_mirror(&sh, &root)?;
    for name in &chosen_recipes(&root, &args.recipes)? {
        let dir = root.join("recipes").join(name);
        let record: PathBuf = dir.join("Artifacts.toml");
        let listed = recipe_platforms(&dir.join("recipe.toml"))?;
        let platforms: Vec<String> = if args.platforms.is_empty() {
            // The image builds natively for x86_64-linux-gnu only.
            listed.into_iter().filter(|p| p == "x86_64-linux-gnu").collect()
        } else {
            args.platforms.iter().filter(|p| listed.contains(p)).cloned().collect()
        };
        for platform in platforms {
            let out = root.join(".repro-work/records-products");
            let _ = std::fs::remove_dir_all(&out);
            cmd!(
                sh,
                "{repro} build {dir} --platform {platform} --mirror {mirror} --out {out}
                 --artifacts-toml {record} --download-url-base {RECORD_URL_BASE}"
            )
            .run()
            .with_context(|| format!("building recipes/{name} for {platform}"))?;
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    Ok(())
}
