//! `ClientRequestToken`s of TransactWriteItems: a token is remembered for 10 minutes after the
//! request that used it finished, with a fingerprint of that request.
//!
//! The tokens live in memory: after a restart a token is new again. (A crash between a
//! transaction's commit and the client's retry would let the retry apply once more; DynamoDB's
//! promise is the same within its own availability, and a restart of Basalt is the analogue
//! of losing the coordinator.)

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::api::DbError;

/// How long a token is remembered after its request finished.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(600);

/// What a token says about a request that carries it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// First use (or the token expired): run the request, then [`Tokens::finish`].
    Run,
    /// The same request finished successfully within 10 minutes: succeed without applying it.
    Replay,
}

#[derive(Default)]
pub(crate) struct Tokens {
    entries: HashMap<String, Entry>,
    /// Finished tokens in the order they finished, for expiry.
    finished: VecDeque<(Instant, String)>,
}

struct Entry {
    fingerprint: u128,
    /// When the request finished; `None` while it runs.
    finished: Option<Instant>,
}

impl Tokens {
    /// Records that a request with `token` and `fingerprint` starts at `now`.
    ///
    /// # Errors
    /// `TransactionInProgressException` while the first request with the token runs;
    /// `IdempotentParameterMismatchException` for the token of a different request.
    pub(crate) fn claim(
        &mut self,
        token: &str,
        fingerprint: u128,
        now: Instant,
    ) -> Result<Claim, DbError> {
        self.expire(now);
        match self.entries.get(token) {
            None => {
                let entry = Entry { fingerprint, finished: None };
                self.entries.insert(token.to_string(), entry);
                Ok(Claim::Run)
            }
            Some(Entry { finished: None, .. }) => Err(DbError::TransactionInProgress(
                "Transaction from previous request is still in progress".into(),
            )),
            Some(entry) if entry.fingerprint != fingerprint => {
                // The exception's description in DynamoDB's API reference.
                Err(DbError::IdempotentParameterMismatch(
                    "DynamoDB rejected the request because you retried a request with a \
                     different payload but with an idempotent token that was already used."
                        .into(),
                ))
            }
            Some(_) => Ok(Claim::Replay),
        }
    }

    /// Ends the request that claimed `token`: a success is remembered from `now` on; a failure
    /// forgets the token (nothing was applied, so a retry must run).
    pub(crate) fn finish(&mut self, token: &str, succeeded: bool, now: Instant) {
        if !succeeded {
            self.entries.remove(token);
            return;
        }
        if let Some(entry) = self.entries.get_mut(token) {
            entry.finished = Some(now);
            self.finished.push_back((now, token.to_string()));
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.finished.front() {
            if now.duration_since(*at) < TOKEN_TTL {
                break;
            }
            let (at, token) = self.finished.pop_front().expect("front exists");
            if self.entries.get(&token).is_some_and(|e| e.finished == Some(at)) {
                self.entries.remove(&token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_replay_mismatch_in_progress_and_expiry() {
        let mut tokens = Tokens::default();
        let start = Instant::now();
        assert_eq!(tokens.claim("t", 1, start).expect("new"), Claim::Run);
        let busy = tokens.claim("t", 1, start).expect_err("running");
        assert_eq!(busy.name(), "TransactionInProgressException");
        tokens.finish("t", true, start);
        assert_eq!(tokens.claim("t", 1, start).expect("same request"), Claim::Replay);
        let other = tokens.claim("t", 2, start).expect_err("different request");
        assert_eq!(other.name(), "IdempotentParameterMismatchException");
        let later = start + TOKEN_TTL;
        assert_eq!(tokens.claim("t", 2, later).expect("expired"), Claim::Run);
        tokens.finish("t", false, later);
        assert_eq!(tokens.claim("t", 3, later).expect("failure forgotten"), Claim::Run);
        assert!(tokens.finished.len() <= 1);
    }
}
