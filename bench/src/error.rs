//! The harness's one error type.

use std::io;

/// Why a benchmark step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An engine under test returned an error.
    #[error("{engine}: {op}: {source}")]
    Engine {
        /// The engine's name (`redb`, `rocksdb`, ...).
        engine: &'static str,
        /// What the harness asked of it (`open`, `get`, `commit`, ...).
        op: &'static str,
        /// The engine's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An engine answered wrongly: a loaded key was missing, a value had the wrong length.
    #[error("{engine}: wrong answer: {what}")]
    WrongAnswer {
        /// The engine's name.
        engine: &'static str,
        /// What was wrong.
        what: String,
    },
    /// The harness's own file or process I/O failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A child process failed or printed no result.
    #[error("child for {engine}/{workload} failed: {why}")]
    Child {
        /// The engine the child ran.
        engine: String,
        /// The workload the child ran.
        workload: String,
        /// Its exit status and the tail of its standard error, or the parse error.
        why: String,
    },
    /// The command line asked for something this build cannot do.
    #[error("{0}")]
    Usage(String),
}

/// The harness's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Wraps an engine's error with the engine's name and the operation, for `map_err`.
pub fn engine_error<E>(engine: &'static str, op: &'static str) -> impl FnOnce(E) -> Error
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    move |source| Error::Engine { engine, op, source: source.into() }
}

/// Wraps an I/O error with what the harness was doing, for `map_err`.
pub fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}
