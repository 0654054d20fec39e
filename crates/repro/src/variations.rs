//! Variations between the control and the experiment build, in reprotest's vocabulary.
//!
//! A [`Variation`] names one condition that should not matter (the clock, the hostname, ...).
//! [`VariationSet::parse`] reads the `--vary` language; the mechanics of applying a variation to a
//! build environment live in [`crate::check`], next to the sandbox's `BuildEnv`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// One condition varied between control and experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variation {
    /// The experiment's clock is shifted (libfaketime); SOURCE_DATE_EPOCH stays the same.
    Time,
    /// The hostname (UTS nodename).
    Hostname,
    /// The NIS domain name.
    Domain,
    /// The building user's name and uid/gid.
    User,
    /// `$HOME`.
    Home,
    /// Where the build happens (`$WORKSPACE`, hence `$prefix` and srcdir).
    BuildPath,
    /// `$nproc` and the CPUs the build may run on.
    NumCpus,
    /// `$TZ`.
    Timezone,
    /// `LANG`/`LC_ALL`/`LANGUAGE` with a collation that really differs (et_EE.UTF-8).
    Locale,
    /// The file-creation mask.
    Umask,
    /// An extra, unrelated environment variable.
    Environment,
    /// Directory entries returned in another order (an LD_PRELOAD readdir shim).
    FileOrdering,
    /// The kernel release reported by uname (`setarch --uname-2.6`).
    Kernel,
    /// Address-space layout randomization.
    Aslr,
}

impl Variation {
    /// Every variation, in the order they are reported.
    pub const ALL: [Variation; 14] = [
        Variation::Time,
        Variation::Hostname,
        Variation::Domain,
        Variation::User,
        Variation::Home,
        Variation::BuildPath,
        Variation::NumCpus,
        Variation::Timezone,
        Variation::Locale,
        Variation::Umask,
        Variation::Environment,
        Variation::FileOrdering,
        Variation::Kernel,
        Variation::Aslr,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Variation::Time => "time",
            Variation::Hostname => "hostname",
            Variation::Domain => "domain",
            Variation::User => "user",
            Variation::Home => "home",
            Variation::BuildPath => "build_path",
            Variation::NumCpus => "num_cpus",
            Variation::Timezone => "timezone",
            Variation::Locale => "locale",
            Variation::Umask => "umask",
            Variation::Environment => "environment",
            Variation::FileOrdering => "fileordering",
            Variation::Kernel => "kernel",
            Variation::Aslr => "aslr",
        }
    }

    /// Whether the default set varies it. BinaryBuilder fixes the build path (`/workspace`), so a
    /// different path is not a reproducibility problem for its recipes; everything else it does
    /// not pin is varied.
    pub fn in_default_set(self) -> bool {
        !matches!(self, Variation::BuildPath)
    }
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown name or malformed `--vary` item.
#[derive(Debug, thiserror::Error)]
#[error("invalid --vary item {item:?}: {message}")]
pub struct VaryError {
    pub item: String,
    pub message: String,
}

impl FromStr for Variation {
    type Err = VaryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        // reprotest's names for the same things are accepted too.
        let norm = match norm.as_str() {
            "domain_host" => "hostname".to_owned(),
            "user_group" => "user".to_owned(),
            "locales" => "locale".to_owned(),
            "file_ordering" => "fileordering".to_owned(),
            "cpus" => "num_cpus".to_owned(),
            _ => norm,
        };
        Variation::ALL.into_iter().find(|v| v.name() == norm).ok_or_else(|| {
            let names: Vec<_> = Variation::ALL.iter().map(|v| v.name()).collect();
            VaryError {
                item: s.to_owned(),
                message: format!(
                    "unknown variation; known: {}, and the sets all, default, none",
                    names.join(", ")
                ),
            }
        })
    }
}

/// The set of variations a check applies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VariationSet(pub BTreeSet<Variation>);

impl Default for VariationSet {
    fn default() -> Self {
        VariationSet(Variation::ALL.into_iter().filter(|v| v.in_default_set()).collect())
    }
}

impl VariationSet {
    /// No variation at all: control and experiment environments are identical.
    pub fn none() -> Self {
        VariationSet(BTreeSet::new())
    }

    /// Every variation, including `build_path`.
    pub fn all() -> Self {
        VariationSet(Variation::ALL.into_iter().collect())
    }

    /// Applies `--vary` specs in order, starting from the default set.
    ///
    /// Each spec is a comma-separated list of items processed left to right: `all`, `default` and
    /// `none` replace the set; `+name` or `name` adds; `-name` removes. So `none,+time` varies only
    /// the clock, `+build_path,-time` edits the default set.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Self, VaryError> {
        let mut set = VariationSet::default();
        for spec in specs {
            for item in spec.as_ref().split(',').map(str::trim).filter(|i| !i.is_empty()) {
                match item {
                    "all" | "+all" => set = VariationSet::all(),
                    "default" => set = VariationSet::default(),
                    "none" | "-all" => set = VariationSet::none(),
                    _ => {
                        if let Some(name) = item.strip_prefix('-') {
                            set.0.remove(&name.parse()?);
                        } else {
                            let name = item.strip_prefix('+').unwrap_or(item);
                            set.0.insert(name.parse()?);
                        }
                    }
                }
            }
        }
        Ok(set)
    }

    pub fn contains(&self, v: Variation) -> bool {
        self.0.contains(&v)
    }

    pub fn iter(&self) -> impl Iterator<Item = Variation> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &VariationSet) -> Vec<&'static str> {
        s.iter().map(Variation::name).collect()
    }

    #[test]
    fn default_set_keeps_build_path_fixed() {
        let d = VariationSet::default();
        assert!(!d.contains(Variation::BuildPath));
        assert_eq!(d.0.len(), Variation::ALL.len() - 1);
    }

    #[test]
    fn none_is_empty_and_edits_apply_in_order() {
        assert!(VariationSet::parse(&["none"]).unwrap().is_empty());
        let s = VariationSet::parse(&["none,+time,user"]).unwrap();
        assert_eq!(names(&s), ["time", "user"]);
        let s = VariationSet::parse(&["+build_path,-time"]).unwrap();
        assert!(s.contains(Variation::BuildPath));
        assert!(!s.contains(Variation::Time));
        let s = VariationSet::parse(&["none", "+locale"]).unwrap();
        assert_eq!(names(&s), ["locale"]);
    }

    #[test]
    fn reprotest_aliases_and_unknown_names() {
        let s = VariationSet::parse(&["none,+domain_host,+locales,+user_group"]).unwrap();
        assert_eq!(names(&s), ["hostname", "user", "locale"]);
        let err = VariationSet::parse(&["+tmie"]).unwrap_err();
        assert!(err.to_string().contains("tmie"), "{err}");
        assert!(err.to_string().contains("known: time"), "{err}");
    }
}
