//! Git sources through the `git` command line: a bare repository per URL in the cache, fetched
//! from mirrors or the URL until it holds the pinned commit, and checkouts into the source dir.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// A `git` command hardened for untrusted repositories and URLs: no prompts, no system or
/// global config, only well-known transports.
pub(crate) fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROTOCOL_FROM_USER", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
        .args(["-c", "protocol.allow=never"])
        .args(["-c", "protocol.https.allow=always", "-c", "protocol.http.allow=always"])
        // `git://` is unauthenticated, but the pinned commit id guards the content.
        .args(["-c", "protocol.git.allow=always"])
        .args(["-c", "protocol.file.allow=always"])
        .args(["-c", "core.hooksPath=/dev/null", "-c", "core.symlinks=true"])
        .args(["-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"])
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd`, returning trimmed stdout, or a [`Error::Git`] with stderr.
pub(crate) fn run(mut cmd: Command, url: &str) -> Result<String> {
    let preset = git().get_args().count();
    let args: String =
        cmd.get_args().skip(preset).map(OsStr::to_string_lossy).collect::<Vec<_>>().join(" ");
    let out = cmd.output().map_err(|e| Error::Git {
        url: url.to_owned(),
        args: args.clone(),
        message: format!("cannot run git (is it installed?): {e}"),
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut message: String = stderr.trim().chars().take(2000).collect();
        if message.is_empty() {
            message = format!("exit status {}", out.status);
        }
        return Err(Error::Git { url: url.to_owned(), args, message });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Creates a bare repository at `dir`.
pub(crate) fn init_bare(dir: &Path, url: &str) -> Result<()> {
    let mut cmd = git();
    cmd.args(["init", "--quiet", "--bare", "--"]).arg(dir);
    run(cmd, url).map(drop)
}

/// Whether the repository at `repo` holds `commit` as a commit object.
pub(crate) fn has_commit(repo: &Path, commit: &str) -> bool {
    let mut cmd = git();
    cmd.arg("-C").arg(repo).args(["rev-parse", "--verify", "--quiet", "--end-of-options"]);
    cmd.arg(format!("{commit}^{{commit}}"));
    matches!(run(cmd, ""), Ok(out) if out.eq_ignore_ascii_case(commit))
}

/// Fetches branches and tags from `from` (a URL or a local path) into the bare repository `repo`,
/// and if `commit` is still missing, asks for the commit itself (servers that allow it).
pub(crate) fn fetch_into(repo: &Path, from: &OsStr, commit: &str, url: &str) -> Result<()> {
    if from.to_string_lossy().starts_with('-') {
        return Err(Error::UnsupportedUrl {
            url: url.to_owned(),
            reason: "a git URL must not start with '-'".into(),
        });
    }
    let mut cmd = git();
    cmd.arg("-C").arg(repo).args(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--"]);
    cmd.arg(from).args(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
    let first = run(cmd, url);
    if has_commit(repo, commit) {
        return Ok(());
    }
    let mut cmd = git();
    cmd.arg("-C").arg(repo).args(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--"]);
    cmd.arg(from).arg(commit);
    let second = run(cmd, url);
    match (first, second) {
        // The by-commit fetch failing after a successful ref fetch just means "not there".
        (Ok(_), _) | (_, Ok(_)) => Ok(()),
        (Err(e), Err(_)) => Err(e),
    }
}

/// Clones the cached bare repository into `dest`, checks out `commit` (detached), points
/// `origin` at the recipe URL, and verifies `HEAD`.
pub(crate) fn checkout(cached: &Path, dest: &Path, commit: &str, url: &str) -> Result<()> {
    let mut cmd = git();
    cmd.args(["clone", "--quiet", "--no-checkout", "--"]).arg(cached).arg(dest);
    run(cmd, url)?;
    let mut cmd = git();
    cmd.arg("-C").arg(dest).args(["checkout", "--quiet", commit]);
    run(cmd, url)?;
    let mut cmd = git();
    cmd.arg("-C").arg(dest).args(["remote", "set-url", "--", "origin"]).arg(url);
    // Best effort: a recipe URL git refuses as a remote changes nothing about the checkout.
    let _ = run(cmd, url);
    let mut cmd = git();
    cmd.arg("-C").arg(dest).args(["rev-parse", "HEAD"]);
    let head = run(cmd, url)?;
    if !head.eq_ignore_ascii_case(commit) {
        return Err(Error::CommitMismatch {
            url: url.to_owned(),
            expected: commit.to_owned(),
            actual: head,
        });
    }
    Ok(())
}
