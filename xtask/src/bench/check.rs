//! Benchmark: check.

pub(crate) fn run() -> anyhow::Result<()> {
    anyhow::bail!("bench check: not implemented yet")
}
