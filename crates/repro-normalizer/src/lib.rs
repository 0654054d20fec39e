//! Named, declarative normalization rules with accounting.
//!
//! A [`Normalizer`] answers, for a path relative to an artifact root, which rule (if any)
//! declares its differences benign, and records every path a rule touched so that the report
//! can list them ([`Normalizer::normalizations`]). Rules never reach outside their declared
//! scope: a rule's scope is a set of globs, and a path is in scope when the path itself or one of
//! its ancestor directories matches one of them.
//!
//! Default rules (for BinaryBuilder artifacts, all disabled by `--no-normalize`):
//! - [`LOGS`]: the `logs/` tree and `*-logs.*` tarballs are dropped from the comparison;
//! - [`DOT_GIT`]: entries named `.git`, at any level, are dropped (Pkg's tree hash skips them);
//! - [`TAR_METADATA`]: tar header fields (mtime, uid/gid and names, permission bits other than
//!   owner-x, member order) of tarball inputs are ignored;
//! - [`EMPTY_DIRECTORIES`]: directories containing no file or symlink (recursively) are ignored,
//!   as Pkg's tree hash does.
//!
//! User rules come from the recipe's `[normalize]` (`IgnoreRule`, named by the recipe) and from
//! `--ignore GLOB` (named `ignore:<glob>`); a path in their scope that differs gets the status
//! `normalized` instead of a difference.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use repro_recipe::IgnoreRule;
use repro_report::{Normalization, Truncation};

/// Drops `logs/` and `*-logs.*` tarballs.
pub const LOGS: &str = "logs";
/// Drops entries named `.git`.
pub const DOT_GIT: &str = "dot-git";
/// Ignores tar header metadata of tarball inputs.
pub const TAR_METADATA: &str = "tar-metadata";
/// Ignores directories that contain no file or symlink.
pub const EMPTY_DIRECTORIES: &str = "empty-directories";

/// Default globs of the [`LOGS`] rule.
pub const LOGS_GLOBS: &[&str] = &["logs", "*-logs.*"];

/// Errors building a normalizer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A glob does not parse or is not a relative pattern.
    #[error("normalization rule `{rule}`: invalid glob `{glob}`: {reason}")]
    BadGlob { rule: String, glob: String, reason: String },
    /// Two rules share a name.
    #[error("normalization rule `{0}` is defined twice; give each rule a unique name")]
    DuplicateRule(String),
}

/// What to normalize.
#[derive(Debug, Clone, Default)]
pub struct NormalizeOptions {
    /// Apply the default rules and the user rules (false = `--no-normalize`: raw comparison).
    pub enabled: bool,
    /// Rules from the recipe's `[normalize]`.
    pub user_rules: Vec<IgnoreRule>,
    /// `--ignore GLOB` patterns (each becomes a rule named `ignore:<glob>`).
    pub ignore_globs: Vec<String>,
}

#[derive(Clone)]
struct Scoped {
    name: String,
    description: String,
    globs: GlobSet,
}

impl Scoped {
    fn new(name: &str, description: String, patterns: &[String]) -> Result<Self, Error> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(compile(name, p)?);
        }
        let globs = b.build().map_err(|e| Error::BadGlob {
            rule: name.to_owned(),
            glob: patterns.join(","),
            reason: e.to_string(),
        })?;
        Ok(Scoped { name: name.to_owned(), description, globs })
    }

    /// The path or one of its ancestors matches.
    fn covers(&self, path: &str) -> bool {
        let mut p = path;
        loop {
            if self.globs.is_match(p) {
                return true;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return false,
            }
        }
    }
}

fn compile(rule: &str, pattern: &str) -> Result<Glob, Error> {
    let bad = |reason: &str| Error::BadGlob {
        rule: rule.to_owned(),
        glob: pattern.to_owned(),
        reason: reason.to_owned(),
    };
    if pattern.is_empty() {
        return Err(bad("empty pattern"));
    }
    if pattern.starts_with('/') {
        return Err(bad("patterns are relative to the artifact root; remove the leading `/`"));
    }
    if pattern.split('/').any(|c| c == "..") {
        return Err(bad("`..` is not allowed in patterns"));
    }
    let trimmed = pattern.trim_end_matches('/');
    GlobBuilder::new(trimmed)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| bad(&e.to_string()))
}

/// What one rule touched: an exact count and the first (smallest) paths, at most
/// `max_listed` of them, so that a rule touching a million paths costs no more than one
/// touching a thousand.
#[derive(Default)]
struct Account {
    description: String,
    /// Distinct paths recorded.
    count: u64,
    /// The smallest recorded paths, at most `max_listed`.
    listed: BTreeSet<String>,
    /// The path recorded last (a repeat of it is not counted again).
    last: String,
}

impl Account {
    fn add(&mut self, path: &str, max_listed: usize) {
        if self.last == path || self.listed.contains(path) {
            return;
        }
        self.count += 1;
        self.last.clear();
        self.last.push_str(path);
        if self.listed.len() < max_listed {
            self.listed.insert(path.to_owned());
        } else if self.listed.last().is_some_and(|m| path < m.as_str()) {
            self.listed.pop_last();
            self.listed.insert(path.to_owned());
        }
    }
}

/// Paths kept per rule for listing unless [`Normalizer::with_max_listed`] says otherwise (the
/// differ's default `max_rule_paths`).
pub const DEFAULT_MAX_LISTED: usize = 1000;

/// The rule set of one comparison, and the record of what each rule touched.
pub struct Normalizer {
    enabled: bool,
    drops: Vec<Scoped>,
    user: Vec<Scoped>,
    accounts: Mutex<BTreeMap<String, Account>>,
    max_listed: usize,
}

impl std::fmt::Debug for Normalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Normalizer")
            .field("enabled", &self.enabled)
            .field("drops", &self.drops.iter().map(|s| &s.name).collect::<Vec<_>>())
            .field("user", &self.user.iter().map(|s| &s.name).collect::<Vec<_>>())
            .finish()
    }
}

impl Normalizer {
    /// Build the rule set. With `enabled == false` no rule applies (user rules are still
    /// validated, so a typo fails the same way in both modes).
    pub fn new(opts: &NormalizeOptions) -> Result<Self, Error> {
        let mut names = BTreeSet::from([
            LOGS.to_owned(),
            DOT_GIT.to_owned(),
            TAR_METADATA.to_owned(),
            EMPTY_DIRECTORIES.to_owned(),
        ]);
        let mut user = Vec::new();
        for r in &opts.user_rules {
            if !names.insert(r.name.clone()) {
                return Err(Error::DuplicateRule(r.name.clone()));
            }
            let desc = r
                .reason
                .clone()
                .unwrap_or_else(|| format!("recipe rule for {}", r.paths.join(", ")));
            user.push(Scoped::new(&r.name, desc, &r.paths)?);
        }
        for g in &opts.ignore_globs {
            let name = format!("ignore:{g}");
            if !names.insert(name.clone()) {
                continue;
            }
            user.push(Scoped::new(
                &name,
                format!("differences under `{g}` ignored (--ignore)"),
                std::slice::from_ref(g),
            )?);
        }
        let logs: Vec<String> = LOGS_GLOBS.iter().map(|s| (*s).to_owned()).collect();
        let drops = vec![
            Scoped::new(
                LOGS,
                "build logs (`logs/`, `*-logs.*` tarballs) are not part of the artifact".into(),
                &logs,
            )?,
            Scoped::new(
                DOT_GIT,
                "entries named `.git` are skipped by Pkg's tree hash".into(),
                &["**/.git".to_owned()],
            )?,
        ];
        Ok(Normalizer {
            enabled: opts.enabled,
            drops,
            user,
            accounts: Mutex::new(BTreeMap::new()),
            max_listed: DEFAULT_MAX_LISTED,
        })
    }

    /// A normalizer that applies nothing (raw comparison).
    pub fn raw() -> Self {
        Self::new(&NormalizeOptions::default()).expect("no user rules")
    }

    /// Keep at most `n` paths per rule for [`Normalizer::normalizations`] (the count stays
    /// exact); memory no longer grows with the paths a rule touches beyond them.
    pub fn with_max_listed(mut self, n: usize) -> Self {
        self.max_listed = n;
        self
    }

    /// Whether rules apply at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The rule that drops `path` from the comparison entirely (`logs`, `dot-git`), if any.
    /// Does not record anything: call [`Normalizer::record`] for paths actually dropped.
    pub fn dropped_by(&self, path: &str) -> Option<&str> {
        if !self.enabled {
            return None;
        }
        self.drops.iter().find(|r| r.covers(path)).map(|r| r.name.as_str())
    }

    /// Whether a path is kept (not dropped by a rule), as a predicate that owns what it needs
    /// (for the scanner's empty-directory flags, computed while it walks).
    pub fn kept_predicate(&self) -> impl Fn(&str) -> bool + Send + Sync + 'static {
        let (enabled, drops) = (self.enabled, self.drops.clone());
        move |p: &str| !(enabled && drops.iter().any(|r| r.covers(p)))
    }

    /// The user rules whose scope covers `path` (their differences are benign).
    pub fn benign_by(&self, path: &str) -> Vec<String> {
        if !self.enabled {
            return Vec::new();
        }
        self.user.iter().filter(|r| r.covers(path)).map(|r| r.name.clone()).collect()
    }

    /// Whether tar header metadata of tarball inputs is ignored.
    pub fn ignores_tar_metadata(&self) -> bool {
        self.enabled
    }

    /// Whether directories without files are ignored (as Pkg does).
    pub fn ignores_empty_directories(&self) -> bool {
        self.enabled
    }

    /// Record that `rule` touched `path`. The count is of distinct paths as long as a path is
    /// recorded once per rule, or again right after itself, or while it is among the listed
    /// ones (the differ records each path once per rule).
    pub fn record(&self, rule: &str, path: &str) {
        let mut acc = self.accounts.lock().expect("normalizer accounts poisoned");
        if !acc.contains_key(rule) {
            let description = self.describe(rule);
            acc.insert(rule.to_owned(), Account { description, ..Account::default() });
        }
        let a = acc.get_mut(rule).expect("inserted above");
        a.add(path, self.max_listed);
    }

    fn describe(&self, rule: &str) -> String {
        match rule {
            TAR_METADATA => "tar header mtime, uid/gid and owner names, permission bits other than owner-x, and member \
                             order are ignored (Pkg's tree hash ignores them)"
                .to_owned(),
            EMPTY_DIRECTORIES => "directories containing no file or symlink are ignored (as Pkg's tree hash does)".to_owned(),
            _ => self
                .drops
                .iter()
                .chain(&self.user)
                .find(|r| r.name == rule)
                .map(|r| r.description.clone())
                .unwrap_or_default(),
        }
    }

    /// The accounting: one entry per rule that touched something, paths sorted; at most
    /// `max_paths` paths listed per rule (and at most [`Normalizer::with_max_listed`]'s; a
    /// truncation note says when the list was capped).
    pub fn normalizations(&self, max_paths: usize) -> (Vec<Normalization>, Vec<Truncation>) {
        let acc = self.accounts.lock().expect("normalizer accounts poisoned");
        let mut out = Vec::new();
        let mut notes = Vec::new();
        for (rule, a) in acc.iter() {
            let count = a.count;
            let paths: Vec<String> = a.listed.iter().take(max_paths).cloned().collect();
            if count > paths.len() as u64 {
                let shown = paths.len();
                notes.push(Truncation {
                    path: None,
                    limit: "max_rule_paths".into(),
                    message: format!(
                        "rule `{rule}` touched {count} paths; only the first {shown} are listed"
                    ),
                });
            }
            out.push(Normalization {
                rule: rule.clone(),
                description: a.description.clone(),
                count,
                paths,
            });
        }
        (out, notes)
    }
}

/// Directories that contain no file or symlink at any depth (Pkg's `contains_files` is false).
/// `entries` yields `(path, is_dir)` for every entry of a tree, `/`-separated relative paths.
pub fn empty_directories<'a>(
    entries: impl IntoIterator<Item = (&'a str, bool)>,
) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    let mut nonempty = BTreeSet::new();
    for (path, is_dir) in entries {
        if is_dir {
            dirs.insert(path.to_owned());
        } else {
            let mut p = path;
            while let Some(i) = p.rfind('/') {
                p = &p[..i];
                if !nonempty.insert(p.to_owned()) {
                    break;
                }
            }
        }
    }
    dirs.retain(|d| !nonempty.contains(d));
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, paths: &[&str]) -> IgnoreRule {
        IgnoreRule {
            name: name.into(),
            paths: paths.iter().map(|s| (*s).to_owned()).collect(),
            reason: None,
        }
    }

    fn on(user: Vec<IgnoreRule>, ignore: &[&str]) -> Normalizer {
        Normalizer::new(&NormalizeOptions {
            enabled: true,
            user_rules: user,
            ignore_globs: ignore.iter().map(|s| (*s).to_owned()).collect(),
        })
        .unwrap()
    }

    #[test]
    fn logs_rule_scope() {
        let n = on(vec![], &[]);
        assert_eq!(n.dropped_by("logs"), Some(LOGS));
        assert_eq!(n.dropped_by("logs/build.log"), Some(LOGS));
        assert_eq!(n.dropped_by("Foo-logs.v1.0.0.x86_64-linux-gnu.tar.gz"), Some(LOGS));
        assert_eq!(n.dropped_by("lib/logs/x"), None, "only the top-level logs tree");
        assert_eq!(n.dropped_by("logsx/a"), None);
        assert_eq!(n.dropped_by("share/changelogs.txt"), None);
        assert_eq!(n.dropped_by("a/b/.git/config"), Some(DOT_GIT));
        assert_eq!(n.dropped_by("a/b/.gitignore"), None);
    }

    #[test]
    fn disabled_applies_nothing() {
        let n = Normalizer::new(&NormalizeOptions {
            enabled: false,
            user_rules: vec![rule("docs", &["share/**"])],
            ignore_globs: vec![],
        })
        .unwrap();
        assert_eq!(n.dropped_by("logs/x"), None);
        assert!(n.benign_by("share/x").is_empty());
        assert!(!n.ignores_tar_metadata());
    }

    #[test]
    fn user_rule_never_leaves_its_scope() {
        let n = on(vec![rule("docs", &["share/doc/*.html"])], &["lib/*.a"]);
        assert_eq!(n.benign_by("share/doc/index.html"), ["docs"]);
        assert!(n.benign_by("share/doc/sub/index.html").is_empty(), "`*` does not cross `/`");
        assert!(n.benign_by("share/doc/index.htm").is_empty());
        assert!(n.benign_by("share/index.html").is_empty());
        assert!(n.benign_by("xshare/doc/index.html").is_empty());
        assert_eq!(n.benign_by("lib/libz.a"), ["ignore:lib/*.a"]);
        assert!(n.benign_by("lib/sub/libz.a").is_empty());
        assert!(n.benign_by("lib/libz.so").is_empty());
    }

    #[test]
    fn directory_glob_covers_subtree() {
        let n = on(vec![rule("docs", &["share/doc"])], &[]);
        assert_eq!(n.benign_by("share/doc"), ["docs"]);
        assert_eq!(n.benign_by("share/doc/a/b.txt"), ["docs"]);
        assert!(n.benign_by("share/docs/a").is_empty());
    }

    #[test]
    fn bad_globs_are_errors() {
        for g in ["/abs/*", "../x", "", "a/[b"] {
            let r = Normalizer::new(&NormalizeOptions {
                enabled: true,
                user_rules: vec![rule("r", &[g])],
                ignore_globs: vec![],
            });
            assert!(matches!(r, Err(Error::BadGlob { .. })), "{g:?}");
        }
        let r = Normalizer::new(&NormalizeOptions {
            enabled: true,
            user_rules: vec![rule("r", &["a"]), rule("r", &["b"])],
            ignore_globs: vec![],
        });
        assert!(matches!(r, Err(Error::DuplicateRule(_))));
        let r = Normalizer::new(&NormalizeOptions {
            enabled: true,
            user_rules: vec![rule("logs", &["a"])],
            ignore_globs: vec![],
        });
        assert!(matches!(r, Err(Error::DuplicateRule(_))), "default rule names are reserved");
    }

    #[test]
    fn accounting_lists_paths_and_caps() {
        let n = on(vec![], &[]);
        for i in 0..5 {
            n.record(LOGS, &format!("logs/{i}"));
        }
        n.record(TAR_METADATA, "bin/x");
        let (norms, notes) = n.normalizations(3);
        assert_eq!(norms.len(), 2);
        let logs = norms.iter().find(|x| x.rule == LOGS).unwrap();
        assert_eq!(logs.count, 5);
        assert_eq!(logs.paths, ["logs/0", "logs/1", "logs/2"]);
        assert!(!logs.description.is_empty());
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn accounting_keeps_a_bounded_list_and_an_exact_count() {
        let n = on(vec![], &[]).with_max_listed(4);
        // Out of order, with repeats: the count is of distinct paths, the list the smallest.
        for i in (0..10_000).rev() {
            n.record(TAR_METADATA, &format!("p{i:05}"));
            n.record(TAR_METADATA, &format!("p{i:05}"));
        }
        n.record(TAR_METADATA, "p00001");
        let acc = n.accounts.lock().unwrap();
        assert!(acc[TAR_METADATA].listed.len() <= 4, "memory bounded by the listed paths");
        drop(acc);
        let (norms, notes) = n.normalizations(1000);
        assert_eq!(norms[0].count, 10_000);
        assert_eq!(norms[0].paths, ["p00000", "p00001", "p00002", "p00003"]);
        assert!(notes[0].message.contains("touched 10000 paths; only the first 4"), "{notes:?}");
    }

    #[test]
    fn empty_dirs_follow_pkg() {
        let e = empty_directories([
            ("a", true),
            ("a/f", false),
            ("a/empty", true),
            ("b", true),
            ("b/c", true),
            ("d", true),
            ("d/link", false),
        ]);
        assert_eq!(e.into_iter().collect::<Vec<_>>(), ["a/empty", "b", "b/c"]);
    }
}
