//! Benchmark: build.

pub(crate) fn run() -> anyhow::Result<()> {
    anyhow::bail!("bench build: not implemented yet")
}
