//! Attestations: `--attest FILE --sign-key KEY` for `check` and `verify`, and
//! `repro attest verify FILE... --key PUB...`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use repro_attest::{Envelope, KeyPair, PAYLOAD_TYPE_IN_TOTO, Statement, StatementInput};

use crate::cmd::common::write_out;
use crate::ui::Ctx;
use crate::{EXIT_DIFFERENT, EXIT_OK};

/// Options that make `check` or `verify` write a signed attestation.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct AttestOpts {
    /// Write a signed in-toto Statement (DSSE envelope, JSON) of the result to FILE.
    #[arg(long, value_name = "FILE", requires = "sign_key")]
    pub(crate) attest: Option<PathBuf>,
    /// The ed25519 private key (PKCS#8 PEM, from `repro key generate`) that signs the
    /// attestation (repeatable: one signature per key).
    #[arg(long = "sign-key", value_name = "FILE", requires = "attest")]
    pub(crate) sign_key: Vec<PathBuf>,
    /// The builder's id in the attestation (default: `repro@<hostname>`).
    #[arg(long, value_name = "ID", env = "REPRO_BUILDER_ID")]
    pub(crate) builder_id: Option<String>,
}

impl AttestOpts {
    /// Loads the signing keys (before any build, so a bad key fails fast).
    pub(crate) fn load_keys(&self) -> Result<Vec<KeyPair>> {
        self.sign_key
            .iter()
            .map(|p| repro_attest::load_private_key(p).map_err(anyhow::Error::new))
            .collect()
    }

    /// Writes the attestation of `report` when `--attest` was given.
    pub(crate) fn write(
        &self,
        keys: &[KeyPair],
        report: &repro_report::Report,
        command: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let Some(path) = &self.attest else { return Ok(()) };
        let input = StatementInput {
            command: command.to_owned(),
            builder_id: self.builder_id.clone().unwrap_or_else(default_builder_id),
            time: repro_attest::now_rfc3339(),
            dependencies: Vec::new(),
        };
        let statement = Statement::from_report(report, &input)
            .with_context(|| format!("cannot write the attestation {}", path.display()))?;
        let refs: Vec<&KeyPair> = keys.iter().collect();
        let env = Envelope::sign(PAYLOAD_TYPE_IN_TOTO, &statement.to_json(), &refs);
        write_out(path, &env.to_json())?;
        let ids: Vec<&str> = keys.iter().map(|k| &k.keyid[..16]).collect();
        ctx.note(&format!(
            "attestation written to {} (signed by {})",
            path.display(),
            ids.join(", ")
        ));
        Ok(())
    }
}

/// `repro@<host>`, the host name as container labels carry it.
fn default_builder_id() -> String {
    format!("repro@{}", repro_sandbox::gc::host_name())
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum AttestCommand {
    /// Check attestations' signatures, and that they agree on their subjects' digests.
    /// Exit 0 when every file verifies and all agree, 1 when they disagree, 2 on a bad signature.
    Verify(VerifyArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct VerifyArgs {
    /// DSSE envelope files (`--attest` output of `repro check`/`verify`, or any in-toto
    /// Statement v1 envelope).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Trusted ed25519 public keys (PEM; repeatable). Each file needs a valid signature by one.
    #[arg(long = "key", required = true, value_name = "PUB")]
    keys: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: AttestCommand, _ctx: &Ctx) -> Result<u8> {
    let AttestCommand::Verify(args) = cmd;
    let keys = args
        .keys
        .iter()
        .map(|p| repro_attest::load_public_key(p).map_err(anyhow::Error::new))
        .collect::<Result<Vec<_>>>()?;
    let mut verified = Vec::new();
    for f in &args.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let origin = f.display().to_string();
        verified.push(repro_attest::verify_attestation(&bytes, &origin, &keys)?);
    }
    let agreement = repro_attest::agreement(&verified);
    let mut out = String::new();
    use std::fmt::Write as _;
    if args.json {
        let files: Vec<serde_json::Value> = verified
            .iter()
            .map(|v| {
                serde_json::json!({
                    "file": v.origin,
                    "signed_by": v.signers.iter().map(|k| &k.keyid).collect::<Vec<_>>(),
                    "predicate_type": v.statement.predicate_type,
                    "verdict": v.statement.verdict(),
                    "subjects": v.statement.subject,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "agree": agreement.agrees(),
            "files": files,
            "subjects": agreement.subjects,
            "disagreements": agreement.disagreements,
        });
        out = serde_json::to_string_pretty(&doc)? + "\n";
    } else {
        for v in &verified {
            let signers: Vec<String> = v.signers.iter().map(|k| k.label()).collect();
            let _ = writeln!(
                out,
                "{}: signature ok (signed by {}){}",
                v.origin,
                signers.join(", "),
                v.statement.verdict().map(|d| format!(", verdict {d}")).unwrap_or_default()
            );
        }
        for s in &agreement.subjects {
            let digests: Vec<String> = s.agreed.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            let _ = writeln!(
                out,
                "subject {}: {} attestation(s) by {} key(s){}{}",
                s.name,
                s.attestations.len(),
                s.keys.len(),
                if digests.is_empty() { "" } else { ", agree on " },
                digests.join(" ")
            );
        }
        for d in &agreement.disagreements {
            let _ = writeln!(out, "DISAGREE: subject {} {}:", d.subject, d.algorithm);
            for (value, files) in &d.values {
                let _ = writeln!(out, "  {value}  {}", files.join(", "));
            }
        }
        let _ = writeln!(
            out,
            "{}",
            if agreement.agrees() { "all attestations agree" } else { "attestations disagree" }
        );
    }
    use std::io::Write as _;
    let mut so = std::io::stdout().lock();
    so.write_all(out.as_bytes())?;
    so.flush()?;
    Ok(if agreement.agrees() { EXIT_OK } else { EXIT_DIFFERENT })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_builder_id_names_the_kernels_host_name() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host = host.trim();
        let want = if host.is_empty() { "unknown-host" } else { host };
        assert_eq!(super::default_builder_id(), format!("repro@{want}"));
    }
}
