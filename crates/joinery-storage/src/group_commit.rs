//! Group commit: concurrent writers hand their rows to one task, which writes everything that
//! queued up while the previous write ran as one statement, in one transaction.
//!
//! SQLite has a single writer, and every PostgreSQL commit waits for a WAL flush; either way a
//! commit per request caps throughput at a few thousand rows a second. Batching costs no extra
//! latency (nothing waits for a batch to fill) and throughput grows with concurrency.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use crate::{Result, StorageError};

/// Largest batch written at once (rows × columns stays far below both engines' parameter caps).
pub const MAX_BATCH: usize = 256;
/// Requests that may wait for the writer before senders are slowed down.
const QUEUE: usize = 4 * MAX_BATCH;

/// Writes a batch of rows atomically.
pub(crate) trait BatchSink: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    fn write<'a>(&'a self, items: &'a [Self::Item]) -> impl Future<Output = Result<()>> + Send + 'a;
}

type Reply = oneshot::Sender<Result<()>>;

/// Handle to a group-commit writer task; the task ends when every handle is dropped.
#[derive(Debug)]
pub(crate) struct GroupCommit<T> {
    tx: mpsc::Sender<(T, Reply)>,
}

impl<T> Clone for GroupCommit<T> {
    fn clone(&self) -> Self {
        Self { tx: self.tx.clone() }
    }
}

impl<T: Send + Sync + 'static> GroupCommit<T> {
    pub fn spawn<S: BatchSink<Item = T>>(sink: S) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(sink, rx));
        Self { tx }
    }

    /// Queues `item` and waits until it is committed (or failed).
    pub async fn write(&self, item: T) -> Result<()> {
        let (reply, done) = oneshot::channel();
        self.tx.send((item, reply)).await.map_err(|_| StorageError::Closed)?;
        done.await.map_err(|_| StorageError::Closed)?
    }
}

async fn run<S: BatchSink>(sink: S, mut rx: mpsc::Receiver<(S::Item, Reply)>) {
    let mut items = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while let Some((item, reply)) = rx.recv().await {
        items.push(item);
        replies.push(reply);
        while items.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((item, reply)) => {
                    items.push(item);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        match sink.write(&items).await {
            Ok(()) => replies.drain(..).for_each(|r| {
                let _ = r.send(Ok(()));
            }),
            // One bad row must not fail its neighbours: retry each alone so every caller gets
            // its own outcome.
            Err(e) if items.len() == 1 => {
                let _ = replies.pop().expect("one reply per item").send(Err(e));
            }
            Err(_) => {
                for (item, reply) in items.iter().zip(replies.drain(..)) {
                    let _ = reply.send(sink.write(std::slice::from_ref(item)).await);
                }
            }
        }
        items.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Accepts even numbers, fails batches containing an odd one, counts writes.
    struct Evens(Arc<AtomicUsize>);

    impl BatchSink for Evens {
        type Item = u32;
        async fn write(&self, items: &[u32]) -> Result<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if items.iter().any(|i| i % 2 == 1) { Err(StorageError::Closed) } else { Ok(()) }
        }
    }

    #[tokio::test]
    async fn concurrent_writes_are_batched_and_failures_stay_with_their_row() {
        let writes = Arc::new(AtomicUsize::new(0));
        let gc = GroupCommit::spawn(Evens(writes.clone()));
        let tasks: Vec<_> = (0..200u32)
            .map(|i| {
                let gc = gc.clone();
                tokio::spawn(async move { (i, gc.write(i * 2).await.is_ok()) })
            })
            .collect();
        for t in tasks {
            let (_, ok) = t.await.unwrap();
            assert!(ok);
        }
        assert!(writes.load(Ordering::SeqCst) < 200, "200 concurrent rows were not batched");

        let results: Vec<_> = futures_join((0..20u32).map(|i| {
            let gc = gc.clone();
            async move { (i, gc.write(i).await.is_ok()) }
        }))
        .await;
        for (i, ok) in results {
            assert_eq!(ok, i % 2 == 0, "row {i}");
        }
    }

    async fn futures_join<F: Future + Send + 'static>(futs: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F::Output: Send,
    {
        let handles: Vec<_> = futs.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
