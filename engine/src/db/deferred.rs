//! Item writes answered once durable without blocking the caller's thread: PutItem, DeleteItem
//! and UpdateItem as [`Db::put_item_deferred`], [`Db::delete_item_deferred`] and
//! [`Db::update_item_deferred`], for an async server whose event loop must not wait for the
//! log. The write is checked, decided and applied at once; its answer is held in a
//! [`Deferred`] until the storage core's completer has made it durable and visible
//! ([`Core::write_with_deferred`]).
//!
//! [`Db::put_item_deferred`]: crate::Db::put_item_deferred
//! [`Db::delete_item_deferred`]: crate::Db::delete_item_deferred
//! [`Db::update_item_deferred`]: crate::Db::update_item_deferred
//! [`Core::write_with_deferred`]: crate::core::Core::write_with_deferred

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::api::DbError;
use crate::core::Durable;
use crate::db::stream::Stream;

/// Whether an item write waits for the log before it returns, or returns a [`Completion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    Wait,
    Defer,
}

/// What is left of a deferred item write: the wait for its durability. (Its stream's readers
/// are woken by the completer once it is published, answered or not: [`Completion::new`].)
#[derive(Debug)]
pub(crate) struct Completion {
    durable: Durable,
}

impl Completion {
    /// The completion of a write to a table with `stream` (if any), whose readers are woken
    /// once the write is published.
    pub(crate) fn new(durable: Durable, stream: Option<Arc<Stream>>) -> Completion {
        if let Some(stream) = stream {
            durable.on_ready(move |published| {
                if published {
                    stream.written();
                }
            });
        }
        Completion { durable }
    }
}

/// The answer to an item write, held until the write is durable and visible: await it (a
/// [`Future`] of any async runtime) or [`Deferred::wait`] for it. Until then nothing of the
/// write may be reported; if the log fails first, the answer is the error instead
/// (`InternalServerError`) and the write never becomes visible. Dropping it does not undo
/// the write.
#[derive(Debug)]
#[must_use = "the write is not durable until its Deferred is ready"]
pub struct Deferred<T> {
    output: Option<T>,
    completion: Option<Completion>,
}

impl<T> Deferred<T> {
    pub(crate) fn new(output: T, completion: Option<Completion>) -> Deferred<T> {
        Deferred { output: Some(output), completion }
    }

    /// Blocks until the write is durable and visible; returns its answer.
    ///
    /// # Errors
    /// `InternalServerError` when the log failed before the write was durable.
    pub fn wait(mut self) -> Result<T, DbError> {
        if let Some(completion) = self.completion.take() {
            completion.durable.wait().map_err(DbError::from)?;
        }
        Ok(self.output.take().expect("a Deferred answers once"))
    }

    /// Whether the answer is ready (so that [`Deferred::wait`] returns at once).
    pub fn is_ready(&self) -> bool {
        self.completion.as_ref().is_none_or(|completion| completion.durable.is_ready())
    }
}

impl<T: Unpin> Future for Deferred<T> {
    type Output = Result<T, DbError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(completion) = self.completion.as_mut() {
            let Poll::Ready(outcome) = Pin::new(&mut completion.durable).poll(cx) else {
                return Poll::Pending;
            };
            self.completion = None;
            outcome.map_err(DbError::from)?;
        }
        Poll::Ready(Ok(self.output.take().expect("a Deferred answers once")))
    }
}
