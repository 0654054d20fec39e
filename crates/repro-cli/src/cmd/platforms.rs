//! `repro platforms`: BinaryBuilder's standard platforms, which of them repro builds here (with
//! the toolchain image family of each) and why the others cannot be built.

use repro_recipe::platform::{self, Platform, STANDARD_PLATFORMS, Support};

use crate::EXIT_OK;
use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct Row {
    platform: &'static str,
    buildable: bool,
    family: Option<&'static str>,
    toolchain: Option<&'static str>,
    reason: Option<String>,
}

fn rows() -> Vec<Row> {
    STANDARD_PLATFORMS
        .iter()
        .map(|p| {
            let parsed: Platform = p.parse().expect("standard platforms parse");
            match platform::support(&parsed) {
                Support::Buildable(t) => Row {
                    platform: p,
                    buildable: true,
                    family: Some(t.family.name()),
                    toolchain: Some(t.gnu_triplet),
                    reason: None,
                },
                Support::NotBuildable { reason } => Row {
                    platform: p,
                    buildable: false,
                    family: None,
                    toolchain: None,
                    reason: Some(reason),
                },
            }
        })
        .collect()
}

#[allow(clippy::print_stdout)]
pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<u8> {
    let rows = rows();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(EXIT_OK);
    }
    for r in &rows {
        match (r.family, &r.reason) {
            (Some(f), _) => println!(
                "{:<26} buildable   image family {f:<12} (Debian {}-*)",
                r.platform,
                r.toolchain.unwrap_or_default()
            ),
            (None, reason) => println!(
                "{:<26} not buildable here: {}",
                r.platform,
                reason.as_deref().unwrap_or_default()
            ),
        }
    }
    Ok(EXIT_OK)
}
