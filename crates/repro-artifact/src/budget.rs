//! One budget per run for everything read from untrusted archives.
//!
//! Files are unpacked and compared in parallel, so a cap per file or per archive does not bound
//! a run: four files that each stay under a per-file cap still add up. A [`Budget`] is shared by
//! every reader of one run (both unpacks of `repro diff` and every comparison of the differ) and
//! counts three things with atomics:
//!
//! - bytes decompressed or unpacked (`max_bytes`),
//! - archive entries read (`max_entries`),
//! - bytes held in memory at the same time (`max_memory`), reserved through a [`MemoryGuard`]
//!   that gives them back when dropped.
//!
//! A budget also carries the run's [`Cancel`]: every reader that charges it checks it, so one
//! cancellation (SIGINT, SIGTERM, SIGHUP in the CLI) stops unpacks and comparisons between two
//! reads, and their callers drop what they made.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A cancellation check shared by everything a run does (unpacking, scanning, comparing).
///
/// The libraries never install signal handlers: the caller owns the cancellation (the CLI's
/// token) and hands in a check with [`Cancel::new`]. The default never cancels.
#[derive(Clone, Default)]
pub struct Cancel(Option<Arc<dyn Fn() -> bool + Send + Sync>>);

impl Cancel {
    /// A cancellation that is set once `is_cancelled` returns true.
    pub fn new(is_cancelled: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        Cancel(Some(Arc::new(is_cancelled)))
    }

    /// A cancellation that never fires.
    pub fn never() -> Self {
        Cancel(None)
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f())
    }
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Cancel").field(&self.is_cancelled()).finish()
    }
}

/// The caps of a [`Budget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Bytes decompressed or unpacked in the whole run.
    pub max_bytes: u64,
    /// Archive entries (tar, `ar`, zip members) read in the whole run.
    pub max_entries: u64,
    /// Bytes held in memory at the same time by all comparisons of the run.
    pub max_memory: u64,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        BudgetLimits { max_bytes: 32 << 30, max_entries: 4_000_000, max_memory: 1 << 30 }
    }
}

impl BudgetLimits {
    /// No caps (for trusted input, such as a tree this tool packed itself).
    pub fn unlimited() -> Self {
        BudgetLimits { max_bytes: u64::MAX, max_entries: u64::MAX, max_memory: u64::MAX }
    }
}

/// Which cap of a [`Budget`] was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    /// `budget.max_bytes` or `budget.max_entries` (the names used in reports and errors).
    pub limit: &'static str,
    pub max: u64,
}

/// The shared counters of one run. See the module documentation.
#[derive(Debug)]
pub struct Budget {
    limits: BudgetLimits,
    bytes: AtomicU64,
    entries: AtomicU64,
    memory: AtomicU64,
    memory_peak: AtomicU64,
    cancel: Cancel,
}

impl Budget {
    pub fn new(limits: BudgetLimits) -> Self {
        Budget {
            limits,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            memory: AtomicU64::new(0),
            memory_peak: AtomicU64::new(0),
            cancel: Cancel::never(),
        }
    }

    /// This budget, checked against `cancel` by every reader that charges it.
    pub fn with_cancel(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    /// The run's cancellation.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// True once the run has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// A budget without caps (it still counts).
    pub fn unlimited() -> Self {
        Budget::new(BudgetLimits::unlimited())
    }

    pub fn limits(&self) -> BudgetLimits {
        self.limits
    }

    /// Account `n` more bytes read; fails once the run's total exceeds `max_bytes`.
    pub fn charge_bytes(&self, n: u64) -> Result<(), Exceeded> {
        let used = self.bytes.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        if used > self.limits.max_bytes {
            return Err(Exceeded { limit: "budget.max_bytes", max: self.limits.max_bytes });
        }
        Ok(())
    }

    /// Account one more archive entry; fails once the run's total exceeds `max_entries`.
    pub fn charge_entry(&self) -> Result<(), Exceeded> {
        let used = self.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if used > self.limits.max_entries {
            return Err(Exceeded { limit: "budget.max_entries", max: self.limits.max_entries });
        }
        Ok(())
    }

    /// Reserve `n` bytes of memory, or `None` when that would exceed `max_memory`.
    pub fn reserve(&self, n: u64) -> Option<MemoryGuard<'_>> {
        let mut g = MemoryGuard { budget: self, held: 0 };
        g.grow(n).then_some(g)
    }

    /// Bytes read so far.
    pub fn bytes_used(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Entries read so far.
    pub fn entries_used(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// The most memory held at once so far.
    pub fn memory_peak(&self) -> u64 {
        self.memory_peak.load(Ordering::Relaxed)
    }
}

/// Memory reserved from a [`Budget`]; released when dropped.
#[derive(Debug)]
pub struct MemoryGuard<'b> {
    budget: &'b Budget,
    held: u64,
}

impl MemoryGuard<'_> {
    /// Reserve `n` more bytes; false (and nothing reserved) when that would exceed the cap.
    pub fn grow(&mut self, n: u64) -> bool {
        let m = &self.budget.memory;
        let mut cur = m.load(Ordering::Relaxed);
        loop {
            let next = cur.saturating_add(n);
            if next > self.budget.limits.max_memory {
                return false;
            }
            match m.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    self.held += n;
                    self.budget.memory_peak.fetch_max(next, Ordering::Relaxed);
                    return true;
                }
                Err(now) => cur = now,
            }
        }
    }

    /// Bytes this guard holds.
    pub fn held(&self) -> u64 {
        self.held
    }
}

impl Drop for MemoryGuard<'_> {
    fn drop(&mut self) {
        self.budget.memory.fetch_sub(self.held, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_shared_and_memory_is_given_back() {
        let b = Budget::new(BudgetLimits { max_bytes: 10, max_entries: 2, max_memory: 100 });
        assert!(b.charge_bytes(6).is_ok());
        assert_eq!(b.charge_bytes(5), Err(Exceeded { limit: "budget.max_bytes", max: 10 }));
        assert!(b.charge_entry().is_ok() && b.charge_entry().is_ok());
        assert_eq!(b.charge_entry().unwrap_err().limit, "budget.max_entries");
        let g = b.reserve(60).unwrap();
        assert!(b.reserve(50).is_none());
        let mut h = b.reserve(40).unwrap();
        assert!(!h.grow(1));
        drop(g);
        assert!(h.grow(60));
        assert_eq!(h.held(), 100);
        drop(h);
        assert!(b.reserve(100).is_some());
        assert_eq!(b.memory_peak(), 100);
    }

    #[test]
    fn cancel_is_checked_through_the_budget() {
        use std::sync::atomic::AtomicBool;
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let b = Budget::unlimited().with_cancel(Cancel::new(move || f.load(Ordering::SeqCst)));
        assert!(!b.is_cancelled() && !Budget::unlimited().is_cancelled());
        flag.store(true, Ordering::SeqCst);
        assert!(b.is_cancelled() && b.cancel().clone().is_cancelled());
    }
}
