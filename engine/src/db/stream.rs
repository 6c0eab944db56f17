//! DynamoDB Streams: the change records of a table, written with the changes they describe.
//!
//! A stream lives in a space of its own. Its shards are the storage core's shards: the record
//! of a change to an item goes to the item's shard, under the key
//!
//! ```text
//! stream space: u32 BE | first routing prefix of the shard: 8 bytes | sequence: u64 BE
//! ```
//!
//! and is added to the same batch as the change itself, under the same writer lock. So a
//! record is exactly as durable as its change (one log record), is visible exactly when the
//! change is, and records of one shard are numbered in the order their changes were applied:
//! the sequence is taken from the shard's counter inside the write's critical section. A write
//! whose decision fails leaves a gap in the numbers, which readers step over. Sequence 0 is no
//! record: it holds the shard's trim floor (the first sequence not trimmed), so numbers are
//! never reused after the records of a shard were all trimmed.
//!
//! A record's value (`docs/model.md`, "Stream records"):
//!
//! ```text
//! version: u8 = 1 | event: u8 (1 INSERT, 2 MODIFY, 3 REMOVE) | flags: u8 (bit 0: by TTL)
//! | created: u64 LE epoch ms | item key: u32 LE length + bytes
//! | old row: u32 LE length (u32::MAX: none) + bytes | new row: the same
//! ```
//!
//! with the rows the view type asks for. The stream's definition is a catalog entry of its own
//! (`catalog.rs`, tag `R`), so that a stream outlives a disabled setting and a deleted table
//! for its retention, as DynamoDB's do.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::{AttributeDefinition, DbError, KeySchemaElement};
use crate::core::{Batch, Routing, ShardId, Snapshot};
use crate::db::row::{decode_row, row_size};
use crate::db::wakeup::Wakeup;
use crate::model::AttributeValue;

/// Record value format version.
const VERSION: u8 = 1;
const FLAG_SERVICE: u8 = 1;
const NONE: u32 = u32::MAX;
/// Bits of a sequence number left of the shard's counter (the shard, plus one).
const COUNTER_BITS: u32 = 48;

/// How long streams keep records, and how long iterators live.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// Records older than this are trimmed, and a disabled stream disappears this long after
    /// it was disabled (DynamoDB: 24 hours).
    pub retention: Duration,
    /// How long a shard iterator stays valid (DynamoDB: 15 minutes).
    pub iterator_lifetime: Duration,
    /// How often the background thread trims; `None`: never in the background (call
    /// [`crate::Db::trim_streams`]).
    pub trim_interval: Option<Duration>,
}

impl Default for StreamOptions {
    fn default() -> StreamOptions {
        StreamOptions {
            retention: Duration::from_secs(24 * 3600),
            iterator_lifetime: Duration::from_secs(15 * 60),
            trim_interval: Some(Duration::from_secs(60)),
        }
    }
}

/// A stream's catalog entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StreamEntry {
    pub(crate) space: u32,
    pub(crate) table_name: String,
    pub(crate) table_arn: String,
    pub(crate) key_schema: Vec<KeySchemaElement>,
    pub(crate) attribute_definitions: Vec<AttributeDefinition>,
    pub(crate) label: String,
    pub(crate) view_type: String,
    pub(crate) created_ms: u64,
    /// When the stream was disabled (or its table deleted).
    pub(crate) disabled_ms: Option<u64>,
    /// Per shard, the last sequence assigned, once disabled.
    pub(crate) ending: Vec<u64>,
}

impl StreamEntry {
    pub(crate) fn arn(&self) -> String {
        format!("{}/stream/{}", self.table_arn, self.label)
    }
}

/// A change to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Insert = 1,
    Modify = 2,
    Remove = 3,
}

impl Event {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Event::Insert => "INSERT",
            Event::Modify => "MODIFY",
            Event::Remove => "REMOVE",
        }
    }
}

/// A stream as writers and readers use it: its entry, and per shard the next sequence and the
/// trim floor.
pub(crate) struct Stream {
    pub(crate) entry: Mutex<StreamEntry>,
    pub(crate) arn: String,
    pub(crate) space: u32,
    pub(crate) view_type: String,
    pub(crate) shards: u16,
    next: Vec<AtomicU64>,
    floor: Vec<AtomicU64>,
    /// Counts the writes that recorded something, once each is published; subscribers wait
    /// on it.
    wakeup: Wakeup,
    /// Serializes trimming (the background thread and `Db::trim_streams`), and marks the
    /// stream dropped so that no trim writes into its purged space.
    pub(crate) trim: Mutex<bool>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("arn", &self.arn).finish_non_exhaustive()
    }
}

pub(crate) use crate::db::control::epoch_ms as now_ms;

/// The label of a stream enabled at `ms`: `2015-05-20T20:51:10.252` (UTC).
pub(crate) fn label_at(ms: u64) -> String {
    let seconds = ms / 1000;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = crate::time::civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        ms % 1000
    )
}

impl Stream {
    /// The stream of `entry`, its counters read from `snapshot` (a store of `shards` shards).
    pub(crate) fn load(
        entry: StreamEntry,
        snapshot: &Snapshot,
        shards: u16,
    ) -> Result<Stream, DbError> {
        let mut next = Vec::with_capacity(usize::from(shards));
        let mut floor = Vec::with_capacity(usize::from(shards));
        for shard in 0..shards {
            let marker = snapshot.get(&record_key(entry.space, shard, shards, 0))?;
            let trimmed =
                marker.as_deref().and_then(|m| m.try_into().ok()).map_or(1, u64::from_le_bytes);
            let start = record_key(entry.space, shard, shards, 1);
            let end = record_key(entry.space, shard, shards, u64::MAX);
            let last = snapshot
                .range_rev((Bound::Included(start.as_slice()), Bound::Excluded(end.as_slice())))
                .next()
                .transpose()?;
            let after_last = match last {
                Some((key, _)) => sequence_of(&key)? + 1,
                None => 1,
            };
            next.push(AtomicU64::new(after_last.max(trimmed)));
            floor.push(AtomicU64::new(trimmed));
        }
        Ok(Stream {
            arn: entry.arn(),
            space: entry.space,
            view_type: entry.view_type.clone(),
            shards,
            entry: Mutex::new(entry),
            next,
            floor,
            wakeup: Wakeup::new(),
            trim: Mutex::new(false),
        })
    }

    pub(crate) fn entry(&self) -> StreamEntry {
        self.entry.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The next sequence of `shard` (what `LATEST` points at).
    pub(crate) fn next(&self, shard: u16) -> u64 {
        // ORDERING: Relaxed: the counter is only changed under the shard's writer lock; a reader
        // wants a recent value and reads records from a snapshot anyway.
        self.next[usize::from(shard)].load(Ordering::Relaxed)
    }

    /// The first sequence of `shard` not trimmed.
    pub(crate) fn floor(&self, shard: u16) -> u64 {
        // ORDERING: Relaxed: only the trimming thread stores it; see `next`.
        self.floor[usize::from(shard)].load(Ordering::Relaxed)
    }

    /// Raises the trim floor of `shard` (never lowers it).
    pub(crate) fn set_floor(&self, shard: u16, floor: u64) {
        // ORDERING: Relaxed: see `floor`.
        self.floor[usize::from(shard)].fetch_max(floor, Ordering::Relaxed);
    }

    /// The last sequence written in every shard (of `snapshot`, taken with no write in
    /// flight), or the one before its floor when it has none: what a stream disabled now ends
    /// at. (The counter may have passed numbers no record took.)
    pub(crate) fn endings(&self, snapshot: &Snapshot) -> Result<Vec<u64>, DbError> {
        (0..self.shards)
            .map(|shard| {
                let start = record_key(self.space, shard, self.shards, 1);
                let end = record_key(self.space, shard, self.shards, u64::MAX);
                let bounds = (Bound::Included(start.as_slice()), Bound::Excluded(end.as_slice()));
                match snapshot.range_rev(bounds).next().transpose()? {
                    Some((key, _)) => sequence_of(&key),
                    None => Ok(self.floor(shard).saturating_sub(1)),
                }
            })
            .collect()
    }

    /// Adds the record of the change of the item under `storage_key` from `old` to `new` (rows;
    /// either absent) to `batch`, if it changes anything; whether it did. Runs under the
    /// writer lock of the item's shard, which orders the shard's sequence numbers.
    pub(crate) fn record(
        &self,
        storage_key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        by_service: bool,
        batch: &mut Batch,
    ) -> bool {
        let event = match (old, new) {
            (None, Some(_)) => Event::Insert,
            (Some(old), Some(new)) if !same_item(old, new) => Event::Modify,
            (Some(_), None) => Event::Remove,
            _ => return false,
        };
        let shard = Routing::Spaced.shard_of(storage_key, self.shards).0;
        // ORDERING: Relaxed: the caller holds this shard's writer lock, which orders every
        // change of the counter (the lock's release/acquire carries it between writers).
        let sequence = self.next[usize::from(shard)].fetch_add(1, Ordering::Relaxed);
        let (with_old, with_new) = match self.view_type.as_str() {
            "NEW_IMAGE" => (false, true),
            "OLD_IMAGE" => (true, false),
            "NEW_AND_OLD_IMAGES" => (true, true),
            _ => (false, false),
        };
        let item_key = storage_key.get(4..).unwrap_or_default();
        let old = old.filter(|_| with_old);
        let new = new.filter(|_| with_new);
        let mut value = Vec::with_capacity(
            23 + item_key.len() + old.map_or(0, <[u8]>::len) + new.map_or(0, <[u8]>::len),
        );
        value.push(VERSION);
        value.push(event as u8);
        value.push(if by_service { FLAG_SERVICE } else { 0 });
        value.extend_from_slice(&now_ms().to_le_bytes());
        put_part(&mut value, Some(item_key));
        put_part(&mut value, old);
        put_part(&mut value, new);
        batch.put(record_key(self.space, shard, self.shards, sequence), value);
        true
    }

    /// Counts a write that recorded something (after it is published) and wakes whoever
    /// waits for records.
    pub(crate) fn written(&self) {
        self.wakeup.notify();
    }

    /// Waits until a write records something after `seen` (a value this or
    /// [`Stream::written_count`] returned before), or `timeout` passes; returns the new count.
    pub(crate) fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        self.wakeup.wait(seen, Some(timeout))
    }

    /// How many writes have recorded something (what `wait` compares against).
    pub(crate) fn written_count(&self) -> u64 {
        self.wakeup.count()
    }
}

/// Whether two stored rows hold the same item. Rows are compared as bytes first; rows of equal
/// length that differ may still hold one item with its sets' members in another order, which
/// DynamoDB does not count as a change (a set has no order), so those are compared decoded,
/// sets as sets. A row that does not decode counts as different.
fn same_item(old: &[u8], new: &[u8]) -> bool {
    if old == new {
        return true;
    }
    if old.len() != new.len() {
        return false;
    }
    match (decode_row(old), decode_row(new)) {
        (Ok(mut a), Ok(mut b)) => {
            a.values_mut().for_each(sort_sets);
            b.values_mut().for_each(sort_sets);
            a == b
        }
        _ => false,
    }
}

/// Puts the members of every set in `value` (at any depth) in one order.
fn sort_sets(value: &mut AttributeValue) {
    match value {
        AttributeValue::Ss(members) => members.sort(),
        AttributeValue::Bs(members) => members.sort(),
        AttributeValue::Ns(members) => members.sort(),
        AttributeValue::L(list) => list.iter_mut().for_each(sort_sets),
        AttributeValue::M(map) => map.values_mut().for_each(sort_sets),
        _ => {}
    }
}

fn put_part(value: &mut Vec<u8>, part: Option<&[u8]>) {
    match part {
        Some(bytes) => {
            let len = u32::try_from(bytes.len()).expect("keys and rows are far below 4 GB");
            value.extend_from_slice(&len.to_le_bytes());
            value.extend_from_slice(bytes);
        }
        None => value.extend_from_slice(&NONE.to_le_bytes()),
    }
}

/// The key of record `sequence` of `shard` (of `shards`) of the stream in `space`.
pub(crate) fn record_key(space: u32, shard: u16, shards: u16, sequence: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(20);
    key.extend_from_slice(&space.to_be_bytes());
    key.extend_from_slice(&ShardId(shard).first_prefix(shards).to_be_bytes());
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

/// The sequence of a record key.
pub(crate) fn sequence_of(key: &[u8]) -> Result<u64, DbError> {
    let bytes = key
        .get(12..20)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .ok_or_else(|| corrupt("a key"))?;
    Ok(u64::from_be_bytes(bytes))
}

fn corrupt(what: &str) -> DbError {
    DbError::Internal(format!("Internal server error: a stream record has a damaged {what}"))
}

/// A decoded record value.
pub(crate) struct Decoded<'a> {
    pub(crate) event: Event,
    pub(crate) by_service: bool,
    pub(crate) created_ms: u64,
    pub(crate) item_key: &'a [u8],
    pub(crate) old: Option<&'a [u8]>,
    pub(crate) new: Option<&'a [u8]>,
}

/// Decodes a record value; damaged bytes are an error, never a panic.
pub(crate) fn decode(value: &[u8]) -> Result<Decoded<'_>, DbError> {
    let [version, event, flags, rest @ ..] = value else { return Err(corrupt("header")) };
    if *version != VERSION {
        return Err(corrupt("version"));
    }
    let event = match event {
        1 => Event::Insert,
        2 => Event::Modify,
        3 => Event::Remove,
        _ => return Err(corrupt("event")),
    };
    let (created, rest) = rest.split_first_chunk::<8>().ok_or_else(|| corrupt("time"))?;
    let (item_key, rest) = take_part(rest)?;
    let (old, rest) = take_part(rest)?;
    let (new, rest) = take_part(rest)?;
    if !rest.is_empty() {
        return Err(corrupt("length"));
    }
    let item_key = item_key.ok_or_else(|| corrupt("key"))?;
    for row in [old, new].into_iter().flatten() {
        row_size(row)?;
    }
    Ok(Decoded {
        event,
        by_service: flags & FLAG_SERVICE != 0,
        created_ms: u64::from_le_bytes(*created),
        item_key,
        old,
        new,
    })
}

fn take_part(bytes: &[u8]) -> Result<(Option<&[u8]>, &[u8]), DbError> {
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(|| corrupt("length"))?;
    let len = u32::from_le_bytes(*len);
    if len == NONE {
        return Ok((None, rest));
    }
    let (part, rest) = rest.split_at_checked(len as usize).ok_or_else(|| corrupt("length"))?;
    Ok((Some(part), rest))
}

/// The sequence number a client sees for `sequence` of `shard`: the shard (plus one) in the
/// high bits, as 21 or more decimal digits, increasing within a shard.
pub(crate) fn sequence_number(shard: u16, sequence: u64) -> String {
    format!("{:021}", ((u64::from(shard) + 1) << COUNTER_BITS) | sequence)
}

/// The shard and sequence of a client's sequence number, if it is one of ours.
pub(crate) fn parse_sequence_number(text: &str) -> Option<(u16, u64)> {
    if text.is_empty() || text.len() > 40 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = text.parse().ok()?;
    let shard = u16::try_from((value >> COUNTER_BITS).checked_sub(1)?).ok()?;
    Some((shard, value & ((1 << COUNTER_BITS) - 1)))
}

/// The id of `shard` of the stream: `shardId-<20 digits: the stream's creation ms>-<8 hex>`.
pub(crate) fn shard_id(entry: &StreamEntry, shard: u16) -> String {
    let tag = xxhash_rust::xxh3::xxh3_64(format!("{}/{shard}", entry.space).as_bytes()) & 0xFFFF;
    format!("shardId-{:020}-{shard:04x}{tag:04x}", entry.created_ms)
}

/// Streams by ARN.
pub(crate) type Registry = BTreeMap<String, std::sync::Arc<Stream>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_utc_timestamps_with_milliseconds() {
        assert_eq!(label_at(0), "1970-01-01T00:00:00.000");
        assert_eq!(label_at(1_432_154_670_252), "2015-05-20T20:44:30.252");
        assert_eq!(label_at(951_782_400_001), "2000-02-29T00:00:00.001");
    }

    #[test]
    fn sequence_numbers_round_trip_and_order_within_a_shard() {
        for shard in [0u16, 1, 7, 63] {
            let a = sequence_number(shard, 1);
            let b = sequence_number(shard, 2);
            assert_eq!(a.len(), 21);
            assert!(a.parse::<u128>().expect("digits") < b.parse::<u128>().expect("digits"));
            assert_eq!(parse_sequence_number(&b), Some((shard, 2)));
        }
        for bad in ["", "12a", "0", "000000000000000000000", &"9".repeat(41)] {
            assert_eq!(parse_sequence_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn damaged_records_are_errors_never_panics() {
        let mut value = vec![VERSION, Event::Modify as u8, FLAG_SERVICE];
        value.extend_from_slice(&7u64.to_le_bytes());
        put_part(&mut value, Some(b"key"));
        put_part(&mut value, Some(&[1, 0, 0, 0, 0]));
        put_part(&mut value, None);
        let decoded = decode(&value).expect("a whole record decodes");
        assert_eq!(
            (decoded.event, decoded.by_service, decoded.created_ms),
            (Event::Modify, true, 7)
        );
        assert_eq!((decoded.item_key, decoded.new), (&b"key"[..], None));
        for len in 0..value.len() {
            assert!(decode(&value[..len]).is_err(), "truncated at {len}");
        }
        let mut longer = value.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        for at in 0..value.len() {
            let mut flipped = value.clone();
            flipped[at] ^= 0xFF;
            let _ = decode(&flipped);
        }
    }
}
