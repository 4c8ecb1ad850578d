//! [`ConnectionCounter`]: how many connections a server is handling right now.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A live count of the connections a server is handling, for metrics, health checks and tests
/// that check no connection task is leaked.
///
/// Get it from [`BustApi::connection_counter`](crate::BustApi::connection_counter) before
/// serving; clones share the count. A connection is counted from the moment it is accepted
/// until its task ends (the client closed it, it timed out, or the server shut down).
///
/// ```
/// use bustjwt_server::BustApi;
///
/// let app = BustApi::new();
/// let live = app.connection_counter();
/// assert_eq!(live.get(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectionCounter(Arc<AtomicUsize>);

impl ConnectionCounter {
    /// The number of connections open right now.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Counts one connection until the returned guard is dropped.
    pub(crate) fn track(&self) -> LiveConnection {
        self.0.fetch_add(1, Ordering::SeqCst);
        LiveConnection(Arc::clone(&self.0))
    }
}

/// One counted connection; dropping it (however its task ends) uncounts it.
#[derive(Debug)]
pub(crate) struct LiveConnection(Arc<AtomicUsize>);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_until_dropped() {
        let counter = ConnectionCounter::default();
        let clone = counter.clone();
        let a = counter.track();
        let b = clone.track();
        assert_eq!(counter.get(), 2);
        drop(a);
        assert_eq!(clone.get(), 1);
        drop(b);
        assert_eq!(counter.get(), 0);
    }
}
