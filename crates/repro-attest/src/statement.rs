//! The in-toto Statement v1 of a rebuild.
//!
//! ```json
//! { "_type": "https://in-toto.io/Statement/v1",
//!   "subject": [{ "name": "Ogg.v1.3.5.x86_64-linux-gnu.tar.gz",
//!                 "digest": { "sha256": "...", "gitTreeSha1": "..." } }],
//!   "predicateType": "https://example.invalid/repro/rebuild/v1",
//!   "predicate": { "command": "verify", "result": {...}, "recipe": {...}, "platform": "...",
//!                  "materials": [...], "builder": { "id": "..." }, "time": "..." } }
//! ```

use std::collections::BTreeMap;

use repro_report::Report;
use serde::{Deserialize, Serialize};

use crate::Error;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type this tool writes.
pub const PREDICATE_TYPE: &str = "https://example.invalid/repro/rebuild/v1";

/// At most this many differing paths are listed in a predicate.
const MAX_LISTED_PATHS: usize = 100;

/// An in-toto Statement v1. `predicate` is kept as JSON so that statements of other predicate
/// types can be read (their subjects still take part in agreement checks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// An artifact the statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    /// Algorithm → lowercase hex (`sha256`, `gitTreeSha1`).
    pub digest: BTreeMap<String, String>,
}

/// An input of the build, with its digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub uri: String,
    pub digest: BTreeMap<String, String>,
}

/// The predicate of [`PREDICATE_TYPE`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate {
    /// `verify` or `check`.
    pub command: String,
    pub result: serde_json::Value,
    pub recipe: serde_json::Value,
    pub platform: String,
    /// Recipe hash, each source's sha256 (or commit), the image digest, each dependency.
    pub materials: Vec<Material>,
    pub builder: Builder,
    /// When the statement was made, RFC 3339 UTC.
    pub time: String,
}

/// Who rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Builder {
    pub id: String,
    /// The tool and its version.
    pub tool: String,
}

/// What a statement needs besides the report.
#[derive(Debug, Clone)]
pub struct StatementInput {
    /// `verify` or `check`.
    pub command: String,
    pub builder_id: String,
    /// RFC 3339 UTC.
    pub time: String,
    /// Dependencies as materials (`uri` and `gitTreeSha1`/`sha256`).
    pub dependencies: Vec<Material>,
}

fn digest(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, String> {
    pairs.iter().filter_map(|(k, v)| Some(((*k).to_owned(), (*v)?.to_ascii_lowercase()))).collect()
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

impl Statement {
    /// The statement of a `verify` or `check` report. The subject is the rebuilt artifact
    /// (`verify`) or the control build's artifact (`check`).
    pub fn from_report(report: &Report, input: &StatementInput) -> Result<Statement, Error> {
        let bad =
            |message: &str| Error::Format { origin: "report".into(), message: message.to_owned() };
        let check = report.check.as_ref().ok_or_else(|| bad("the report has no build section"))?;
        let differing: Vec<&str> = report
            .files
            .iter()
            .filter(|f| f.status.is_difference())
            .map(|f| f.path.as_str())
            .collect();
        let listed: Vec<&str> = differing.iter().take(MAX_LISTED_PATHS).copied().collect();
        let (artifact, result, platform) = match &report.verify {
            Some(v) => {
                let a = v
                    .rebuilt
                    .as_ref()
                    .ok_or_else(|| bad("nothing was rebuilt, so there is no artifact to attest"))?;
                let result = serde_json::json!({
                    "verdict": v.verdict.as_str(),
                    "reason": v.reason,
                    "record": v.record,
                    "gitTreeSha1Match": v.git_tree_sha1_match,
                    "sha256Match": v.sha256_match,
                    "differingFiles": listed,
                    "differingFilesCount": differing.len(),
                });
                (a, result, v.platform.clone())
            }
            None => {
                let a = check
                    .builds
                    .first()
                    .and_then(|b| b.artifact.as_ref())
                    .ok_or_else(|| bad("the report has no built artifact"))?;
                let platform = check
                    .builds
                    .first()
                    .and_then(|b| b.environment.get("target").cloned())
                    .unwrap_or_default();
                let result = serde_json::json!({
                    "verdict": report.verdict.to_string(),
                    "variations": check.variations_applied,
                    "builds": check.builds.iter().map(|b| serde_json::json!({
                        "label": b.label,
                        "sha256": b.artifact.as_ref().map(|a| &a.sha256),
                        "gitTreeSha1": b.artifact.as_ref().map(|a| &a.git_tree_sha1),
                    })).collect::<Vec<_>>(),
                    "differingFiles": listed,
                    "differingFilesCount": differing.len(),
                });
                (a, result, platform)
            }
        };
        let name = artifact.path.as_deref().map(file_name).unwrap_or_else(|| {
            format!("{}.v{}.{}.tar.gz", check.recipe.name, check.recipe.version, platform)
        });
        let subject = Subject {
            name,
            digest: digest(&[
                ("sha256", Some(&artifact.sha256)),
                ("gitTreeSha1", Some(&artifact.git_tree_sha1)),
            ]),
        };
        let mut materials = vec![Material {
            uri: format!("recipe:{}@{}", check.recipe.name, check.recipe.version),
            digest: digest(&[("sha256", Some(&check.recipe.sha256))]),
        }];
        for s in &check.sources {
            materials.push(Material {
                uri: s.source.clone(),
                digest: digest(&[
                    ("sha256", s.sha256.as_deref()),
                    ("gitCommit", s.commit.as_deref()),
                ]),
            });
        }
        if let Some(img) = &check.image {
            materials.push(Material {
                uri: format!("docker-image:{}", img.reference.as_deref().unwrap_or("repro-build")),
                digest: digest(&[(
                    "sha256",
                    img.digest.strip_prefix("sha256:").or(Some(&img.digest)),
                )]),
            });
        }
        // Every installed dependency, by the tree hash the build saw (what Pkg would install).
        for d in check.dependencies.iter().filter(|d| d.git_tree_sha1.is_some()) {
            materials.push(Material {
                uri: format!("dependency:{}@{}", d.name, d.target),
                digest: digest(&[
                    ("gitTreeSha1", d.git_tree_sha1.as_deref()),
                    ("sha256", d.sha256.as_deref()),
                ]),
            });
        }
        materials.extend(input.dependencies.iter().cloned());
        let predicate = Predicate {
            command: input.command.clone(),
            result,
            recipe: serde_json::to_value(&check.recipe).expect("serializes"),
            platform,
            materials,
            builder: Builder {
                id: input.builder_id.clone(),
                tool: format!("repro {}", env!("CARGO_PKG_VERSION")),
            },
            time: input.time.clone(),
        };
        Ok(Statement {
            statement_type: STATEMENT_TYPE.to_owned(),
            subject: vec![subject],
            predicate_type: PREDICATE_TYPE.to_owned(),
            predicate: serde_json::to_value(&predicate).expect("serializes"),
        })
    }

    /// Parses a statement (`origin` names it in errors).
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<Statement, Error> {
        let s: Statement = serde_json::from_slice(bytes).map_err(|e| Error::Format {
            origin: origin.to_owned(),
            message: format!("payload is not an in-toto Statement: {e}"),
        })?;
        if s.statement_type != STATEMENT_TYPE {
            return Err(Error::Format {
                origin: origin.to_owned(),
                message: format!(
                    "statement `_type` is {:?}, expected {STATEMENT_TYPE:?}",
                    s.statement_type
                ),
            });
        }
        Ok(s)
    }

    /// Compact JSON (the DSSE payload).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a statement serializes")
    }

    /// The verdict recorded in a predicate of this tool, if any.
    pub fn verdict(&self) -> Option<&str> {
        self.predicate.get("result")?.get("verdict")?.as_str()
    }
}

/// Now, as RFC 3339 UTC with seconds (`2026-11-30T21:04:05Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_installed_dependency_is_a_material_with_its_tree_hash() {
        use repro_report::{ArtifactInfo, BuildInfo, CheckSection, DependencyInfo};
        let dep = |name: &str, tree: Option<&str>| DependencyInfo {
            name: name.into(),
            kind: "dependency".into(),
            target: "x86_64-linux-gnu".into(),
            resolved: if tree.is_some() { "recipe" } else { "not-installed" }.into(),
            git_tree_sha1: tree.map(str::to_owned),
            sha256: tree.map(|_| "c".repeat(64)),
            ..Default::default()
        };
        let mut report = Report::new();
        report.check = Some(CheckSection {
            builds: vec![BuildInfo {
                label: "control".into(),
                success: true,
                artifact: Some(ArtifactInfo {
                    path: None,
                    sha256: "a".repeat(64),
                    git_tree_sha1: "b".repeat(40),
                }),
                ..Default::default()
            }],
            dependencies: vec![dep("Ogg_jll", Some(&"d".repeat(40))), dep("Iconv_jll", None)],
            ..Default::default()
        });
        let input = StatementInput {
            command: "check".into(),
            builder_id: "t".into(),
            time: rfc3339(0),
            dependencies: Vec::new(),
        };
        let st = Statement::from_report(&report, &input).unwrap();
        let materials = st.predicate["materials"].as_array().unwrap();
        let deps: Vec<&serde_json::Value> = materials
            .iter()
            .filter(|m| m["uri"].as_str().unwrap().starts_with("dependency:"))
            .collect();
        assert_eq!(deps.len(), 1, "a runtime dependency installs nothing: {deps:?}");
        assert_eq!(deps[0]["uri"], "dependency:Ogg_jll@x86_64-linux-gnu");
        assert_eq!(deps[0]["digest"]["gitTreeSha1"], "d".repeat(40));
        assert_eq!(deps[0]["digest"]["sha256"], "c".repeat(64));
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_072_645), "2026-11-30T21:04:05Z");
    }
}
