//! Lints: what a valid recipe may contain (BinaryBuilder accepts it) but a reproducibility check
//! should know about. `repro recipe check --strict` refuses recipes with lints; the build
//! report notes sources that can change upstream ([`Lint::kind`] [`LintKind::MutableSource`]).
//! No I/O.

use std::collections::BTreeMap;

use crate::model::{Recipe, Source};

/// What a lint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LintKind {
    /// A source whose bytes the host does not guarantee (GitHub's auto-generated archives): the
    /// pinned sha256 can stop matching upstream.
    MutableSource,
    /// A URL scheme `repro` does not download itself (`ftp://`); the source must come from the
    /// cache or a source mirror.
    UnfetchableUrl,
    /// An unauthenticated transport (`git://`); the pinned commit still guards the content.
    InsecureUrl,
    /// Several sources unpacked into the same directory of srcdir.
    SharedDestination,
}

/// One lint of a recipe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lint {
    pub kind: LintKind,
    /// The field, e.g. `sources[2]`.
    pub field: String,
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl std::fmt::Display for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (help: {})", self.field, self.message, self.help)
    }
}

/// Whether `url` is one of GitHub's auto-generated archives (`github.com/<o>/<r>/archive/...`,
/// `codeload.github.com/...`), whose bytes GitHub does not guarantee.
pub fn is_github_auto_archive(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(
        parts.as_slice(),
        ["github.com" | "www.github.com", _, _, "archive", ..] | ["codeload.github.com", ..]
    )
}

fn scheme(url: &str) -> Option<String> {
    url.split_once("://").map(|(s, _)| s.to_ascii_lowercase())
}

/// The lints of `recipe`, in source order.
pub fn lints(recipe: &Recipe) -> Vec<Lint> {
    let mut out = Vec::new();
    let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in recipe.sources.iter().enumerate() {
        let field = format!("sources[{i}]");
        let url = s.location();
        if let Source::Archive { .. } | Source::File { .. } = s
            && is_github_auto_archive(url)
        {
            out.push(Lint {
                kind: LintKind::MutableSource,
                field: field.clone(),
                message: format!(
                    "{url:?} is a GitHub auto-generated archive; GitHub does not guarantee its bytes, so its sha256 can change upstream"
                ),
                help: "use a `git` source pinned to the commit, or a release asset (…/releases/download/…)".into(),
            });
        }
        match scheme(url).as_deref() {
            Some("ftp" | "ftps") => out.push(Lint {
                kind: LintKind::UnfetchableUrl,
                field: field.clone(),
                message: format!("{url:?} is an FTP URL, which repro does not download"),
                help: "put the file in a source mirror (sha256/<hash>), or use an http(s) URL of the same file".into(),
            }),
            Some("git") => out.push(Lint {
                kind: LintKind::InsecureUrl,
                field: field.clone(),
                message: format!("{url:?} uses the unauthenticated git:// protocol"),
                help: "use the https:// URL of the repository (the commit is pinned either way)".into(),
            }),
            _ => {}
        }
        let dest = match s {
            Source::Archive { unpack_target, .. } => unpack_target.clone(),
            Source::Directory { target, .. } => target.clone(),
            _ => None,
        };
        if let Some(dest) = dest {
            let dest = dest.trim_end_matches('/').to_owned();
            if let Some(first) = dirs.get(&dest) {
                out.push(Lint {
                    kind: LintKind::SharedDestination,
                    field: field.clone(),
                    message: format!(
                        "unpacks into {dest:?}, like sources[{first}]; files of one can overwrite the other's"
                    ),
                    help: "give each source its own directory".into(),
                });
            } else {
                dirs.insert(dest, i);
            }
        }
    }
    out
}
