//! `repro hash PATH... [--json]`: Julia Pkg `git-tree-sha1` of directories and tarballs, and the
//! sha256 of tarballs.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use repro_artifact::{Compression, GitTreeHash, Sha256};

use crate::ui::Ctx;
use crate::{EXIT_ERROR, EXIT_OK};

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Directories or tarballs (.tar, .tar.gz/.tgz, .tar.zst, .tar.xz, .tar.bz2; the format is
    /// detected from the content, not the name).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Print a JSON array of `{path, kind, git_tree_sha1, sha256?}` objects.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct Hashed {
    path: String,
    /// `directory` or `tarball`.
    kind: &'static str,
    git_tree_sha1: GitTreeHash,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<Sha256>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compression: Option<Compression>,
    /// Tar.jl-style tree hash (empty directories kept, `.git` not skipped), tarballs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    tar_git_tree_sha1: Option<GitTreeHash>,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<u8> {
    let mut results = Vec::new();
    let mut code = EXIT_OK;
    let mut out = std::io::stdout().lock();
    for path in &args.paths {
        match hash_one(path) {
            Ok(h) => {
                if !args.json {
                    print_human(&mut out, &h, ctx)?;
                }
                results.push(h);
            }
            Err(e) => {
                out.flush()?;
                crate::ui::print_error(&e);
                code = EXIT_ERROR;
            }
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
    }
    Ok(code)
}

fn print_human(out: &mut impl std::io::Write, h: &Hashed, ctx: &Ctx) -> anyhow::Result<()> {
    match h.sha256 {
        Some(sha) => {
            writeln!(out, "git-tree-sha1 {}  sha256 {}  {}", h.git_tree_sha1, sha, h.path)?
        }
        None => writeln!(out, "git-tree-sha1 {}  {}", h.git_tree_sha1, h.path)?,
    }
    if let Some(tar) = h.tar_git_tree_sha1.filter(|t| *t != h.git_tree_sha1 && !ctx.quiet) {
        out.flush()?;
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "note: {} contains empty directories or `.git`: Pkg verifies git-tree-sha1 {}; \
                 Tar.tree_hash (skip_empty=false) would give {tar}",
                h.path, h.git_tree_sha1
            );
        }
    }
    Ok(())
}

fn hash_one(path: &Path) -> anyhow::Result<Hashed> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?;
    if meta.is_dir() {
        let h = repro_artifact::tree_hash_dir(path)?;
        return Ok(Hashed {
            path: shown,
            kind: "directory",
            git_tree_sha1: h,
            sha256: None,
            compression: None,
            tar_git_tree_sha1: None,
        });
    }
    if !meta.is_file() {
        anyhow::bail!("{shown}: not a directory or a tarball");
    }
    let Some(compression) = repro_artifact::sniff_tarball(path)? else {
        anyhow::bail!(
            "{shown}: not a directory or a tarball (.tar, .tar.gz, .tar.zst, .tar.xz, .tar.bz2; detected from the content)"
        );
    };
    let h = repro_artifact::tree_hash_tarball(path)?;
    Ok(Hashed {
        path: shown,
        kind: "tarball",
        git_tree_sha1: h.git_tree_sha1,
        sha256: Some(h.sha256),
        compression: Some(compression),
        tar_git_tree_sha1: Some(h.tar_git_tree_sha1),
    })
}
