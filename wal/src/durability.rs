//! What "appended" promises.

/// How durable a record is when `append` returns, chosen when the log is opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// The record is on stable storage (`fdatasync` completed): it survives a process crash and
    /// power loss. The default.
    #[default]
    Sync,
    /// The record was handed to the operating system (`write` completed): it survives a crash of
    /// the process, but power loss or a kernel crash can take the records appended since the
    /// last sync.
    Buffered,
    /// The record is in the log's memory only, written out in the background once 1 MiB (by
    /// default) has gathered, or on `sync` and `close`: a crash of the process loses what was not
    /// yet written.
    None,
}
