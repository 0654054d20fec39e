//! The batch model, schema `repro-batch/1`: the outcome of many jobs (one per recipe × platform)
//! in one run, or merged from the per-job files of a CI pipeline.
//!
//! A [`Batch`] lists one [`Job`] per recipe × platform with its [`Outcome`], the path of the
//! job's own `repro-report/1` file (relative to the batch file), and a digest of that report
//! (summary, causes, first differing paths) so that dashboards need not open every report.
//! `docs/ci.md` and `docs/batch.schema.json` (generated from these types with schemars,
//! [`crate::batch_json_schema`]) document it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{CauseKind, Report, Summary, Verdict};

/// The schema identifier written in every batch file.
pub const BATCH_SCHEMA: &str = "repro-batch/1";

/// How many differing paths a job digest lists.
pub const MAX_DIGEST_PATHS: usize = 20;

/// Many jobs' outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Batch {
    /// Always `repro-batch/1`.
    #[schemars(extend("const" = BATCH_SCHEMA))]
    pub schema: String,
    /// Counts of outcomes.
    pub totals: Totals,
    /// Wall time of the whole run, when one process ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub duration_secs: Option<f64>,
    /// One entry per recipe × platform, sorted by recipe then platform.
    pub jobs: Vec<Job>,
}

impl Batch {
    /// A batch of `jobs` (sorted, totals computed).
    pub fn new(mut jobs: Vec<Job>) -> Self {
        jobs.sort_by(|a, b| (&a.recipe, &a.platform, &a.id).cmp(&(&b.recipe, &b.platform, &b.id)));
        let totals = Totals::count(&jobs);
        Batch { schema: BATCH_SCHEMA.to_owned(), totals, duration_secs: None, jobs }
    }

    /// The worst outcome of any job (`reproducible` for an empty batch).
    pub fn worst(&self) -> Outcome {
        self.jobs.iter().map(|j| j.outcome).max().unwrap_or(Outcome::Reproducible)
    }

    /// The sorted distinct recipes and platforms (dashboard rows and columns).
    pub fn axes(&self) -> (Vec<&str>, Vec<&str>) {
        let mut recipes: Vec<&str> = self.jobs.iter().map(|j| j.recipe.as_str()).collect();
        let mut platforms: Vec<&str> = self.jobs.iter().map(|j| j.platform.as_str()).collect();
        recipes.sort_unstable();
        recipes.dedup();
        platforms.sort_unstable();
        platforms.dedup();
        (recipes, platforms)
    }
}

/// Counts of outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Totals {
    pub jobs: u64,
    pub reproducible: u64,
    pub unreproducible: u64,
    pub failed: u64,
    pub skipped: u64,
    pub cancelled: u64,
}

impl Totals {
    /// Count the outcomes of `jobs`.
    pub fn count(jobs: &[Job]) -> Self {
        let mut t = Totals { jobs: jobs.len() as u64, ..Totals::default() };
        for j in jobs {
            *match j.outcome {
                Outcome::Reproducible => &mut t.reproducible,
                Outcome::Unreproducible => &mut t.unreproducible,
                Outcome::Failed => &mut t.failed,
                Outcome::Skipped => &mut t.skipped,
                Outcome::Cancelled => &mut t.cancelled,
            } += 1;
        }
        t
    }
}

/// A job's outcome, ordered from best to worst.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check ran and the builds were identical after normalization.
    Reproducible,
    /// The check ran and found differences.
    Unreproducible,
    /// Not run because a job it needs failed.
    Skipped,
    /// The check could not complete (bad recipe, failed build, missing source, Docker error).
    Failed,
    /// Stopped by cancellation (Ctrl-C) before it completed.
    Cancelled,
}

impl Outcome {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Reproducible => "reproducible",
            Outcome::Unreproducible => "unreproducible",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }

    /// The outcome of a completed check.
    pub fn of(report: &Report) -> Self {
        match report.verdict {
            Verdict::Reproducible => Outcome::Reproducible,
            Verdict::Unreproducible => Outcome::Unreproducible,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recipe × platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Job {
    /// Stable identifier, usable as a file name: `<recipe>-<platform>` with unsafe characters
    /// replaced (see [`job_id`]), and `-<n>` added when two jobs would share one.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$"), length(max = 210))]
    pub id: String,
    /// The recipe's name (or its path when it could not be read).
    pub recipe: String,
    /// The recipe's version, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The recipe file as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe_path: Option<String>,
    /// Target triplet.
    pub platform: String,
    pub outcome: Outcome,
    /// Wall time of the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub duration_secs: Option<f64>,
    /// Why the job failed, was skipped or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The job's `repro-report/1` file, relative to the batch file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// The job's HTML page, relative to the dashboard, when one was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The report's per-status counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Distinct causes found, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<CauseKind>,
    /// The first differing paths (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_DIGEST_PATHS))]
    pub differing: Vec<String>,
}

impl Job {
    /// A job with `outcome` and nothing else known.
    pub fn new(recipe: impl Into<String>, platform: impl Into<String>, outcome: Outcome) -> Self {
        let (recipe, platform) = (recipe.into(), platform.into());
        Job {
            id: job_id(&recipe, &platform),
            recipe,
            version: None,
            recipe_path: None,
            platform,
            outcome,
            duration_secs: None,
            error: None,
            report: None,
            html: None,
            summary: None,
            causes: Vec::new(),
            differing: Vec::new(),
        }
    }

    /// A completed check's job: outcome, identity and digest from `report`.
    pub fn from_report(recipe: &str, platform: &str, report: &Report) -> Self {
        let mut j = Job::new(recipe, platform, Outcome::of(report));
        if let Some(c) = &report.check {
            j.version = Some(c.recipe.version.clone());
            j.recipe_path = c.recipe.path.clone();
            let d: f64 = c.builds.iter().map(|b| b.duration_secs).fold(0.0, f64::max);
            if d > 0.0 {
                j.duration_secs = Some(d);
            }
        }
        j.summary = Some(report.summary.clone());
        let mut causes: Vec<CauseKind> =
            report.files.iter().flat_map(|f| f.causes.iter().map(|c| c.cause)).collect();
        causes.sort_unstable();
        causes.dedup();
        j.causes = causes;
        j.differing = report
            .files
            .iter()
            .filter(|f| f.status.is_difference())
            .take(MAX_DIGEST_PATHS)
            .map(|f| f.path.clone())
            .collect();
        j
    }
}

/// `<recipe>-<platform>` with every character outside `[A-Za-z0-9._+-]` replaced by `_`, and a
/// leading dot replaced, so that the id is a safe file name and CI job key.
pub fn job_id(recipe: &str, platform: &str) -> String {
    let raw = if platform.is_empty() { recipe.to_owned() } else { format!("{recipe}-{platform}") };
    let mut id: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._+-".contains(c) { c } else { '_' })
        .collect();
    if id.starts_with('.') || id.is_empty() {
        id.insert(0, '_');
    }
    id.truncate(200);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_safe_file_names() {
        assert_eq!(job_id("libogg", "x86_64-linux-gnu"), "libogg-x86_64-linux-gnu");
        assert_eq!(job_id("../../etc/passwd", "a b"), "_.._.._etc_passwd-a_b");
        assert_eq!(job_id(".hidden", ""), "_.hidden");
        assert!(!job_id("a/b\\c\0", "p").contains(['/', '\\', '\0']));
    }

    #[test]
    fn worst_outcome_orders_failures_last() {
        let jobs = vec![
            Job::new("a", "p", Outcome::Reproducible),
            Job::new("b", "p", Outcome::Unreproducible),
            Job::new("c", "p", Outcome::Failed),
        ];
        let b = Batch::new(jobs);
        assert_eq!(b.worst(), Outcome::Failed);
        assert_eq!(b.totals.jobs, 3);
        assert_eq!(b.totals.failed, 1);
        assert_eq!(Batch::new(vec![]).worst(), Outcome::Reproducible);
    }
}
