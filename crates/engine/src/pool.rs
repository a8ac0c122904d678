//! The memory pool behind `--memory-limit`: DataFusion's fair spill pool, except that an
//! operator that can spill may grow past its fair share while the pool has room.
//!
//! DataFusion's `FairSpillPool` gives every operator that can spill (aggregates, sorts)
//! an equal share of the pool left after those that cannot (hash-join tables), counted
//! over every such operator of the running plan, busy or not. A per-pupil aggregate
//! (8.5M national pupils) then spilled and re-merged its groups with most of the pool
//! idle, because a dozen other aggregates and sorts, most of them already done or
//! holding nothing, each kept a share: one national year of `pupil_years` took 23.7 s
//! under a 4 GB limit against 17.3 s with none, at the same peak memory, and
//! `cohort_pupils` 24.9 s against 13.9 s. [`HeadroomPool`] keeps the fair rule and adds
//! one: an operator that can spill may also take memory past its share as long as a
//! quarter of the pool stays free, for operators that cannot spill and for those
//! starting later. The pool is never exceeded by that second rule.

use std::fmt;
use std::sync::{Mutex, MutexGuard};

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
};

/// The share of the pool kept free when an operator grows past its fair share.
const HEADROOM_DIVISOR: usize = 4;

/// A memory pool of a fixed size: see the module documentation.
#[derive(Debug)]
pub(crate) struct HeadroomPool {
    pool_size: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Registered consumers that can spill.
    spillers: usize,
    /// Bytes held by consumers that can spill.
    spillable: usize,
    /// Bytes held by consumers that cannot.
    unspillable: usize,
}

impl HeadroomPool {
    /// A pool of `pool_size` bytes.
    pub(crate) fn new(pool_size: usize) -> Self {
        Self {
            pool_size,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a few counters updated whole under the lock; a panic elsewhere
        // while it was held cannot have left them half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn exhausted(
        &self,
        reservation: &MemoryReservation,
        additional: usize,
        available: usize,
    ) -> DataFusionError {
        DataFusionError::ResourcesExhausted(format!(
            "Failed to allocate additional {additional} bytes for {} with {} bytes already \
             allocated: {available} bytes available in a pool of {} bytes",
            reservation.consumer().name(),
            reservation.size(),
            self.pool_size,
        ))
    }
}

impl fmt::Display for HeadroomPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "headroom(pool_size: {})", self.pool_size)
    }
}

impl MemoryPool for HeadroomPool {
    fn name(&self) -> &str {
        "headroom"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        if consumer.can_spill() {
            self.state().spillers += 1;
        }
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        if consumer.can_spill() {
            let mut state = self.state();
            state.spillers = state.spillers.saturating_sub(1);
        }
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        let mut state = self.state();
        if reservation.consumer().can_spill() {
            state.spillable += additional;
        } else {
            state.unspillable += additional;
        }
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        let mut state = self.state();
        if reservation.consumer().can_spill() {
            state.spillable = state.spillable.saturating_sub(shrink);
        } else {
            state.unspillable = state.unspillable.saturating_sub(shrink);
        }
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let mut state = self.state();
        let used = state.spillable + state.unspillable;
        if reservation.consumer().can_spill() {
            // The fair rule, as DataFusion's FairSpillPool: an equal share of what the
            // consumers that cannot spill leave.
            let spill_available = self.pool_size.saturating_sub(state.unspillable);
            let fair = spill_available
                .checked_div(state.spillers)
                .unwrap_or(spill_available);
            // Past it, only while a quarter of the pool stays free.
            let free = self
                .pool_size
                .saturating_sub(self.pool_size / HEADROOM_DIVISOR)
                .saturating_sub(used);
            if reservation.size() + additional > fair && additional > free {
                return Err(self.exhausted(reservation, additional, fair.max(free)));
            }
            state.spillable += additional;
        } else {
            let available = self.pool_size.saturating_sub(used);
            if additional > available {
                return Err(self.exhausted(reservation, additional, available));
            }
            state.unspillable += additional;
        }
        Ok(())
    }

    fn reserved(&self) -> usize {
        let state = self.state();
        state.spillable + state.unspillable
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.pool_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const MB: usize = 1 << 20;

    fn pool() -> Arc<dyn MemoryPool> {
        Arc::new(HeadroomPool::new(100 * MB))
    }

    #[test]
    fn a_spilling_consumer_grows_past_its_share_while_a_quarter_stays_free() {
        let pool = pool();
        let busy = MemoryConsumer::new("busy")
            .with_can_spill(true)
            .register(&pool);
        // Three idle consumers that can spill: the fair share is 25 MB each.
        let idle: Vec<_> = (0..3)
            .map(|i| {
                MemoryConsumer::new(format!("idle {i}"))
                    .with_can_spill(true)
                    .register(&pool)
            })
            .collect();
        busy.try_grow(25 * MB).expect("its fair share");
        busy.try_grow(50 * MB)
            .expect("past its share, 25 MB left free");
        let error = busy
            .try_grow(MB)
            .expect_err("the last quarter is kept free");
        assert!(
            matches!(error, DataFusionError::ResourcesExhausted(_)),
            "{error}"
        );
        // The others still get their fair share from the quarter left.
        idle[0].try_grow(20 * MB).expect("within its share");
        assert_eq!(pool.reserved(), 95 * MB);
        // A consumer that cannot spill takes what is left of the pool, no more.
        let table = MemoryConsumer::new("table").register(&pool);
        table.try_grow(5 * MB).expect("the rest of the pool");
        assert!(table.try_grow(1).is_err());
        drop(busy);
        assert_eq!(pool.reserved(), 25 * MB);
        table
            .try_grow(70 * MB)
            .expect("freed by the spilling consumer");
    }

    #[test]
    fn within_its_share_a_spilling_consumer_is_never_refused() {
        let pool = pool();
        let first = MemoryConsumer::new("first")
            .with_can_spill(true)
            .register(&pool);
        let second = MemoryConsumer::new("second")
            .with_can_spill(true)
            .register(&pool);
        first
            .try_grow(75 * MB)
            .expect("past its share, a quarter free");
        // The pool is three quarters full; the second still has its fair 50 MB (as in
        // DataFusion's FairSpillPool, the fair rule does not look at what others hold).
        second.try_grow(50 * MB).expect("its fair share");
        assert!(second.try_grow(MB).is_err());
        // The first, past its share with no room left, is refused and must spill.
        assert!(first.try_grow(MB).is_err());
        first.shrink(75 * MB);
        first.try_grow(25 * MB).expect("back within its share");
    }
}
