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
use std::task::{Context, Poll};

use crate::api::DbError;
use crate::core::Durable;

/// Whether an item write waits for the log before it returns, or leaves here the [`Durable`]
/// to wait for before its outcome is reported.
#[derive(Debug)]
pub(crate) enum Finish {
    Wait,
    Defer(Option<Durable>),
}

impl Finish {
    /// A deferred write's answer, `outcome`, held until its write (if any) is durable.
    pub(crate) fn answer<T>(self, outcome: Result<T, DbError>) -> Deferred<T> {
        let durable = match self {
            Finish::Wait => None,
            Finish::Defer(durable) => durable,
        };
        Deferred { output: Some(outcome), durable }
    }
}

/// The answer to an item write, held until the write is durable and visible: await it (a
/// [`Future`] of any async runtime) or [`Deferred::wait`] for it. Until then nothing of the
/// write may be reported. A refusal that depends on the stored item (a condition that does not
/// hold, an update that does not apply) is held too, until what it was decided on is durable
/// and visible; a refusal of the request itself is ready at once. If the log fails first, the
/// answer is that error instead (`InternalServerError`) and the write never becomes visible.
/// Dropping it does not undo the write.
#[derive(Debug)]
#[must_use = "the write is not durable until its Deferred is ready"]
pub struct Deferred<T> {
    output: Option<Result<T, DbError>>,
    durable: Option<Durable>,
}

impl<T> Deferred<T> {
    /// Blocks until the write is durable and visible; returns its answer.
    ///
    /// # Errors
    /// The write's own refusal; `InternalServerError` when the log failed before the write
    /// (or what its decision read) was durable.
    pub fn wait(mut self) -> Result<T, DbError> {
        let logged = self.durable.take().map_or(Ok(None), Durable::wait);
        self.answer(logged)
    }

    /// Whether the answer is ready (so that [`Deferred::wait`] returns at once).
    pub fn is_ready(&self) -> bool {
        self.durable.as_ref().is_none_or(Durable::is_ready)
    }

    /// The answer once the log's part is known: the log's failure wins, since what the answer
    /// was decided on may be lost.
    fn answer(
        &mut self,
        logged: crate::core::Result<Option<crate::core::Lsn>>,
    ) -> Result<T, DbError> {
        let output = self.output.take().expect("a Deferred answers once");
        logged.map_err(DbError::from)?;
        output
    }
}

impl<T: Unpin> Future for Deferred<T> {
    type Output = Result<T, DbError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let logged = match self.durable.as_mut() {
            Some(durable) => match Pin::new(durable).poll(cx) {
                Poll::Ready(logged) => logged,
                Poll::Pending => return Poll::Pending,
            },
            None => Ok(None),
        };
        self.durable = None;
        Poll::Ready(self.answer(logged))
    }
}
