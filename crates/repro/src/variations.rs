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

/// A variation applied to the experiment, with both values for the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub variation: Variation,
    pub control: String,
    pub experiment: String,
    /// Strings the experiment may leak into its output because of this variation; the differ
    /// looks for them in differing regions and names the variation when it finds one.
    pub hints: Vec<String>,
}

/// Values the experiment uses (after reprotest and tests.reproducible-builds.org).
pub mod values {
    /// Experiment hostname.
    pub const HOSTNAME: &str = "i-capture-the-hostname";
    /// Experiment NIS domain name.
    pub const DOMAIN: &str = "i-capture-the-domainname";
    /// Experiment user (uid/gid [`UID`]).
    pub const USER: &str = "i-capture-the-user";
    pub const UID: u32 = 2222;
    /// Experiment `$HOME`.
    pub const HOME: &str = "/home/i-capture-the-home";
    /// Experiment `$WORKSPACE`.
    pub const WORKSPACE: &str = "/build/i-capture-the-path";
    /// Experiment time zone (UTC+14: as far as a zone gets from the control's UTC).
    pub const TIMEZONE: &str = "Etc/GMT-14";
    /// Experiment locale (Estonian collates `z` between `s` and `t`).
    pub const LOCALE: &str = "et_EE.UTF-8";
    /// Experiment umask.
    pub const UMASK: u32 = 0o002;
    /// Extra environment variable of the experiment.
    pub const ENV_NAME: &str = "REPRO_CAPTURE_ENVIRONMENT";
    pub const ENV_VALUE: &str = "i_capture_the_environment";
    /// Clock shift of the experiment, in days (reprotest's +398 days).
    pub const TIME_SHIFT_DAYS: i64 = 398;
}

/// The control environment every check and explain build starts from: `base` (a recipe's build
/// environment) with ASLR disabled where the container permits, so that `aslr` has something to
/// vary.
pub fn control_env(base: repro_sandbox::BuildEnv) -> repro_sandbox::BuildEnv {
    repro_sandbox::BuildEnv { aslr: false, ..base }
}

/// Applies `v` to `exp` (a copy of the control). `Err(reason)` when it cannot be applied here.
/// `now` (Unix seconds) is used to predict the dates the shifted clock produces.
pub fn apply(
    v: Variation,
    control: &repro_sandbox::BuildEnv,
    exp: &mut repro_sandbox::BuildEnv,
    now: i64,
) -> Result<Applied, String> {
    use values::*;
    let mk = |c: String, e: String, hints: Vec<String>| Applied {
        variation: v,
        control: c,
        experiment: e,
        hints,
    };
    Ok(match v {
        Variation::Time => {
            exp.faketime = Some(format!("+{TIME_SHIFT_DAYS}d"));
            let shifted = now + TIME_SHIFT_DAYS * 86_400;
            let mut hints = Vec::new();
            // The shifted day in the forms builds print most (ISO, __DATE__), a day either side.
            for d in [-1, 0, 1] {
                let (y, m, day) = civil_from_days((shifted + d * 86_400).div_euclid(86_400));
                hints.push(format!("{y:04}-{m:02}-{day:02}"));
                let month = time::Month::try_from(m as u8).map_or("", month_abbrev);
                hints.push(format!("{month} {day:>2} {y}"));
            }
            mk(
                "real clock".into(),
                format!("clock shifted by +{TIME_SHIFT_DAYS} days (libfaketime)"),
                hints,
            )
        }
        Variation::Hostname => {
            exp.hostname = HOSTNAME.into();
            mk(control.hostname.clone(), HOSTNAME.into(), vec![HOSTNAME.into()])
        }
        Variation::Domain => {
            exp.domainname = DOMAIN.into();
            mk(control.domainname.clone(), DOMAIN.into(), vec![DOMAIN.into()])
        }
        Variation::User => {
            exp.user = USER.into();
            exp.uid = UID;
            exp.gid = UID;
            mk(
                format!("{} (uid {})", control.user, control.uid),
                format!("{USER} (uid {UID})"),
                vec![USER.into()],
            )
        }
        Variation::Home => {
            exp.home = HOME.into();
            mk(control.home.clone(), HOME.into(), vec![HOME.into()])
        }
        Variation::BuildPath => {
            exp.workspace = WORKSPACE.into();
            mk(control.workspace.clone(), WORKSPACE.into(), vec![WORKSPACE.into()])
        }
        Variation::NumCpus => {
            if control.nproc < 2 {
                return Err("only one CPU is available, so the CPU count cannot differ".into());
            }
            exp.nproc = 1;
            exp.cpuset = Some("0".into());
            mk(format!("nproc={} (all CPUs)", control.nproc), "nproc=1 (cpuset 0)".into(), vec![])
        }
        Variation::Timezone => {
            exp.timezone = TIMEZONE.into();
            mk(control.timezone.clone(), TIMEZONE.into(), vec![])
        }
        Variation::Locale => {
            exp.locale = LOCALE.into();
            mk(control.locale.clone(), LOCALE.into(), vec!["et_EE".into()])
        }
        Variation::Umask => {
            exp.umask = UMASK;
            mk(format!("{:04o}", control.umask), format!("{UMASK:04o}"), vec![])
        }
        Variation::Environment => {
            exp.extra_env.insert(ENV_NAME.into(), ENV_VALUE.into());
            mk("(nothing added)".into(), format!("{ENV_NAME}={ENV_VALUE}"), vec![ENV_VALUE.into()])
        }
        Variation::FileOrdering => {
            exp.shuffle_readdir = true;
            mk("filesystem order".into(), "readdir order shuffled (LD_PRELOAD shim)".into(), vec![])
        }
        Variation::Kernel => {
            exp.uname26 = true;
            mk(
                "host kernel release".into(),
                "2.6 kernel release (setarch --uname-2.6)".into(),
                vec![],
            )
        }
        Variation::Aslr => {
            exp.aslr = true;
            mk(
                format!("ASLR {}", if control.aslr { "on" } else { "off (setarch -R)" }),
                "ASLR on".into(),
                vec![],
            )
        }
    })
}

/// `Jan`..`Dec`, as `__DATE__` writes them.
fn month_abbrev(m: time::Month) -> &'static str {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    MONTHS[usize::from(u8::from(m)) - 1]
}

/// The UTC date of day `days` since 1970-01-01 as (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let d = time::OffsetDateTime::from_unix_timestamp(days * 86_400)
        .map_or(time::Date::MIN, |t| t.date());
    (i64::from(d.year()), i64::from(u8::from(d.month())), i64::from(d.day()))
}

#[cfg(test)]
mod apply_tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn every_variation_changes_the_experiment_and_keeps_it_valid() {
        let control = control_env(repro_sandbox::BuildEnv::default());
        for v in Variation::ALL {
            let mut exp = control.clone();
            match apply(v, &control, &mut exp, 1_764_115_200) {
                Ok(a) => {
                    assert_ne!(exp, control, "{v} changed nothing");
                    assert_ne!(a.control, a.experiment, "{v}");
                    exp.validate().unwrap_or_else(|e| panic!("{v}: {e}"));
                }
                Err(reason) => assert!(v == Variation::NumCpus && control.nproc < 2, "{reason}"),
            }
        }
    }

    #[test]
    fn time_hints_are_the_shifted_dates() {
        let control = control_env(repro_sandbox::BuildEnv::default());
        let mut exp = control.clone();
        // 2025-11-26 00:00 UTC + 398 days = 2026-12-29.
        let a = apply(Variation::Time, &control, &mut exp, 1_764_115_200).unwrap();
        assert!(a.hints.contains(&"2026-12-29".to_owned()), "{:?}", a.hints);
        assert!(a.hints.contains(&"Dec 29 2026".to_owned()), "{:?}", a.hints);
        assert_eq!(exp.faketime.as_deref(), Some("+398d"));
        assert_eq!(exp.source_date_epoch, control.source_date_epoch);
    }
}
