//! Benchmark: diff.

pub(crate) fn run() -> anyhow::Result<()> {
    anyhow::bail!("bench diff: not implemented yet")
}
