//! The DynamoDB Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords), the
//! in-process subscription, the stream settings of CreateTable/UpdateTable/DeleteTable, and the
//! trimming of records past their retention (`stream.rs` holds the record format).

use std::ops::Bound;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use crate::api::{
    DbError, DescribeStreamInput, DescribeStreamOutput, GetRecordsInput, GetRecordsOutput,
    GetShardIteratorInput, GetShardIteratorOutput, Identity, ListStreamsInput, ListStreamsOutput,
    Record, SequenceNumberRange, Shard, StreamDescription, StreamRecord, StreamSpecification,
    StreamSummary,
};
use crate::core::{Batch, Snapshot};
use crate::db::catalog::{self, TableRecord};
use crate::db::check::Constraints;
use crate::db::row::decode_row;
use crate::db::stream::{self, now_ms, Stream, StreamEntry};
use crate::db::{lock, Db, Inner, Table};
use crate::model::{decode_item_key, item_size_bytes, Item};

const VIEW_TYPES: &[&str] = &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"];
const ITERATOR_TYPES: &[&str] =
    &["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"];
/// The most bytes of records one GetRecords answers with.
const RECORDS_BYTES_MAX: usize = 1024 * 1024;
/// Records deleted per trimming write.
const TRIM_BATCH: usize = 1024;

/// Wakes an embedder when a stream gets new records, without polling ([`Db::subscribe`]).
#[derive(Debug)]
pub struct StreamWaiter {
    stream: Arc<Stream>,
    seen: u64,
}

impl StreamWaiter {
    /// Waits until a write adds records to the stream after the last call (or after the
    /// subscription), or `timeout` passes; whether records were added. Read them with
    /// [`Db::get_records`].
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let now = self.stream.wait(self.seen, timeout);
        let woke = now != self.seen;
        self.seen = now;
        woke
    }
}

/// The member constraints of a `StreamSpecification` at `member`.
pub(crate) fn spec_constraints(c: &mut Constraints, spec: Option<&StreamSpecification>) {
    let Some(spec) = spec else { return };
    c.required(spec.stream_enabled.as_ref(), "streamSpecification.streamEnabled");
    c.one_of(spec.stream_view_type.as_ref(), "streamSpecification.streamViewType", VIEW_TYPES);
}

/// The view type a specification enables (`None`: it disables), with DynamoDB's checks.
pub(crate) fn spec_view_type(spec: &StreamSpecification) -> Result<Option<&str>, DbError> {
    match (spec.stream_enabled, spec.stream_view_type.as_deref()) {
        (Some(true), Some(view)) => Ok(Some(view)),
        (Some(true), None) => Err(DbError::invalid_parameter(
            "If stream is being enabled then UpdateViewType is required",
        )),
        (_, Some(_)) => Err(DbError::invalid_parameter(
            "If stream is being disabled, then UpdateViewType must not be specified",
        )),
        (_, None) => Ok(None),
    }
}

/// What a table definition change does to its stream.
pub(crate) enum StreamChange {
    Keep,
    /// A new stream (its entry; the record's `latest_stream` names it).
    Enable(StreamEntry),
    Disable,
}

impl Inner {
    /// Reads every stream entry into the registry and hands each table its enabled stream.
    pub(crate) fn load_streams(
        &self,
        snapshot: &Snapshot,
        tables: &std::collections::BTreeMap<String, Arc<Table>>,
    ) -> Result<(), DbError> {
        let shards = self.core.shard_count();
        let mut registry = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        let range = catalog::tag_range(catalog::stream_tag());
        for entry in snapshot.range(catalog::as_slices(&range)) {
            let (_, value) = entry?;
            let entry: StreamEntry = serde_json::from_slice(&value).map_err(|e| {
                DbError::Internal(format!("Internal server error: a stream entry: {e}"))
            })?;
            let stream = Arc::new(Stream::load(entry, snapshot, shards)?);
            registry.insert(stream.arn.clone(), stream);
        }
        for table in tables.values() {
            let enabled = enabled_stream(&registry, &table.record);
            table.alive.write().unwrap_or_else(PoisonError::into_inner).stream = enabled;
        }
        Ok(())
    }

    /// A new stream entry for `record`'s table in `space` (a fresh space, under the control
    /// lock), recorded as the table's latest stream.
    pub(crate) fn new_stream(
        &self,
        record: &mut TableRecord,
        view_type: &str,
        space: u32,
    ) -> StreamEntry {
        // Labels are milliseconds; a table's streams must not share one.
        let mut created_ms = now_ms();
        let registry = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        while registry.values().any(|s| {
            let e = s.entry();
            e.table_arn == record.arn && e.label == stream::label_at(created_ms)
        }) {
            created_ms += 1;
        }
        record.latest_stream = Some(space);
        StreamEntry {
            space,
            table_name: record.name.clone(),
            table_arn: record.arn.clone(),
            key_schema: record.key_schema.clone(),
            attribute_definitions: record.attribute_definitions.clone(),
            label: stream::label_at(created_ms),
            view_type: view_type.to_string(),
            created_ms,
            disabled_ms: None,
            ending: Vec::new(),
        }
    }

    /// Applies `change` to the table's live state (holding its liveness lock exclusively, so
    /// no write is in flight): a new stream is registered and recorded in, a disabled one
    /// closes at the sequences assigned so far. Its catalog entry goes into `batch`.
    pub(crate) fn change_stream(
        &self,
        live_stream: &mut Option<Arc<Stream>>,
        change: StreamChange,
        batch: &mut Batch,
    ) -> Result<Option<(Arc<Stream>, StreamEntry)>, DbError> {
        match change {
            StreamChange::Keep => Ok(None),
            StreamChange::Enable(entry) => {
                batch.put(catalog::stream_key(entry.space), encode_entry(&entry));
                let stream = Arc::new(Stream::load(
                    entry.clone(),
                    &self.core.snapshot(),
                    self.core.shard_count(),
                )?);
                *live_stream = Some(stream.clone());
                Ok(Some((stream, entry)))
            }
            StreamChange::Disable => {
                let Some(stream) = live_stream.take() else { return Ok(None) };
                let mut entry = stream.entry();
                entry.disabled_ms = Some(now_ms());
                entry.ending = stream.endings(&self.core.snapshot())?;
                batch.put(catalog::stream_key(entry.space), encode_entry(&entry));
                Ok(Some((stream, entry)))
            }
        }
    }

    /// After the write of a [`Inner::change_stream`]: the registry and the stream's entry
    /// follow it.
    pub(crate) fn stream_changed(&self, changed: Option<(Arc<Stream>, StreamEntry)>) {
        let Some((stream, entry)) = changed else { return };
        *stream.entry.lock().unwrap_or_else(PoisonError::into_inner) = entry;
        let mut registry = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        registry.insert(stream.arn.clone(), stream);
    }

    /// The stream named by `arn`, or DynamoDB's not-found message (a malformed ARN is a
    /// `ValidationException`).
    fn stream(&self, arn: &str) -> Result<Arc<Stream>, DbError> {
        if !arn.starts_with("arn:") || !arn.contains("/stream/") {
            return Err(DbError::validation(format!("Invalid StreamArn: {arn}")));
        }
        let registry = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        registry.get(arn).cloned().ok_or_else(|| {
            DbError::ResourceNotFound(format!(
                "Requested resource not found: Stream: {arn} not found"
            ))
        })
    }
}

fn encode_entry(entry: &StreamEntry) -> Vec<u8> {
    serde_json::to_vec(entry).expect("a stream entry serializes")
}

/// The enabled stream of a table, from the registry.
pub(crate) fn enabled_stream(
    registry: &stream::Registry,
    record: &TableRecord,
) -> Option<Arc<Stream>> {
    let space = record.latest_stream?;
    let stream = registry.values().find(|s| s.space == space)?;
    stream.entry().disabled_ms.is_none().then(|| stream.clone())
}

/// The stream members of a table's description.
pub(crate) fn describe_stream_of(
    inner: &Inner,
    table: &Table,
    description: &mut crate::api::TableDescription,
) {
    let Some(space) = table.record.latest_stream else { return };
    let registry = inner.streams.read().unwrap_or_else(PoisonError::into_inner);
    let Some(stream) = registry.values().find(|s| s.space == space) else { return };
    let entry = stream.entry();
    if entry.disabled_ms.is_none() {
        description.stream_specification = Some(StreamSpecification::enabled(&entry.view_type));
    }
    description.latest_stream_label = Some(entry.label.clone());
    description.latest_stream_arn = Some(stream.arn.clone());
}

impl Db {
    /// ListStreams: the streams (enabled, and disabled ones still retained), optionally of one
    /// table, newest first, a page at a time.
    ///
    /// # Errors
    /// `ValidationException` for a `Limit` outside 1–100 or a malformed start ARN.
    pub fn list_streams(&self, input: ListStreamsInput) -> Result<ListStreamsOutput, DbError> {
        let mut c = Constraints::new();
        if let Some(limit) = input.limit {
            limit_constraint(&mut c, limit, 100);
        }
        if let Some(name) = &input.table_name {
            c.name(Some(name), "tableName");
        }
        if let Some(arn) = &input.exclusive_start_stream_arn {
            c.length(arn, "exclusiveStartStreamArn", 37, 1024);
        }
        c.finish()?;
        let limit = usize::try_from(input.limit.unwrap_or(100)).unwrap_or(100);
        let registry = self.inner.streams.read().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<StreamEntry> = registry.values().map(|s| s.entry()).collect();
        all.retain(|e| input.table_name.as_ref().is_none_or(|t| *t == e.table_name));
        // Newest first, as DynamoDB lists them.
        all.sort_by_key(|e| std::cmp::Reverse((e.created_ms, e.space)));
        let start = match &input.exclusive_start_stream_arn {
            Some(arn) => all.iter().position(|e| e.arn() == *arn).map_or(all.len(), |at| at + 1),
            None => 0,
        };
        let page: Vec<StreamSummary> = all[start..]
            .iter()
            .take(limit)
            .map(|e| StreamSummary {
                stream_arn: e.arn(),
                table_name: e.table_name.clone(),
                stream_label: e.label.clone(),
            })
            .collect();
        let more = all.len() > start + page.len();
        let last_evaluated_stream_arn =
            if more { page.last().map(|s| s.stream_arn.clone()) } else { None };
        Ok(ListStreamsOutput { streams: page, last_evaluated_stream_arn })
    }

    /// DescribeStream: the stream's status, view type and shards (one per storage-core shard,
    /// in shard id order), a page at a time.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown stream; `ValidationException`.
    pub fn describe_stream(
        &self,
        input: DescribeStreamInput,
    ) -> Result<DescribeStreamOutput, DbError> {
        let mut c = Constraints::new();
        if let Some(arn) = c.required(input.stream_arn.as_ref(), "streamArn") {
            c.length(arn, "streamArn", 37, 1024);
        }
        if let Some(limit) = input.limit {
            limit_constraint(&mut c, limit, 100);
        }
        if let Some(shard) = &input.exclusive_start_shard_id {
            c.length(shard, "exclusiveStartShardId", 28, 65);
        }
        c.finish()?;
        let stream = self.inner.stream(input.stream_arn.as_deref().unwrap_or_default())?;
        let entry = stream.entry();
        let limit = usize::try_from(input.limit.unwrap_or(100)).unwrap_or(100);
        let shards: Vec<Shard> = (0..stream.shards).map(|s| shard_of(&stream, &entry, s)).collect();
        let start = match &input.exclusive_start_shard_id {
            // An unknown start shard gives an empty page, as DynamoDB does.
            Some(id) => {
                shards.iter().position(|s| s.shard_id == *id).map_or(shards.len(), |at| at + 1)
            }
            None => 0,
        };
        let page: Vec<Shard> = shards[start..].iter().take(limit).cloned().collect();
        let more = shards.len() > start + page.len();
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_arn: stream.arn.clone(),
                stream_label: entry.label.clone(),
                stream_status: if entry.disabled_ms.is_some() { "DISABLED" } else { "ENABLED" }
                    .into(),
                stream_view_type: entry.view_type.clone(),
                creation_request_date_time: entry.created_ms as f64 / 1000.0,
                table_name: entry.table_name.clone(),
                key_schema: entry.key_schema.clone(),
                last_evaluated_shard_id: if more {
                    page.last().map(|s| s.shard_id.clone())
                } else {
                    None
                },
                shards: page,
            },
        })
    }

    /// GetShardIterator: a position in a shard, valid for 15 minutes (by default).
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown stream or shard, `TrimmedDataAccessException`
    /// for a sequence number whose record was trimmed, `ValidationException`.
    pub fn get_shard_iterator(
        &self,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput, DbError> {
        let mut c = Constraints::new();
        if let Some(arn) = c.required(input.stream_arn.as_ref(), "streamArn") {
            c.length(arn, "streamArn", 37, 1024);
        }
        if let Some(shard) = c.required(input.shard_id.as_ref(), "shardId") {
            c.length(shard, "shardId", 28, 65);
        }
        c.required_one_of(input.shard_iterator_type.as_ref(), "shardIteratorType", ITERATOR_TYPES);
        if let Some(number) = &input.sequence_number {
            c.length(number, "sequenceNumber", 21, 40);
        }
        c.finish()?;
        let kind = input.shard_iterator_type.as_deref().unwrap_or_default();
        let at_number = kind.ends_with("SEQUENCE_NUMBER");
        match (&input.sequence_number, at_number) {
            (None, true) => {
                return Err(DbError::validation(format!(
                    "Invalid Request: SequenceNumber is required for ShardIteratorType {kind}"
                )))
            }
            (Some(_), false) => {
                return Err(DbError::validation(format!(
                    "Invalid Request: SequenceNumber must not be specified for ShardIteratorType {kind}"
                )))
            }
            _ => {}
        }
        let arn = input.stream_arn.as_deref().unwrap_or_default();
        let stream = self.inner.stream(arn)?;
        let entry = stream.entry();
        let shard_id = input.shard_id.as_deref().unwrap_or_default();
        let shard = (0..stream.shards)
            .find(|&s| stream::shard_id(&entry, s) == shard_id)
            .ok_or_else(|| {
                DbError::ResourceNotFound(format!(
                "Requested resource not found: Shard does not exist: {shard_id} in stream {arn}"
            ))
            })?;
        let position = match kind {
            "TRIM_HORIZON" => stream.floor(shard),
            "LATEST" => stream.next(shard),
            _ => {
                let number = input.sequence_number.as_deref().unwrap_or_default();
                let invalid = || {
                    DbError::validation(format!(
                        "Invalid SequenceNumber: {number} for shard {shard_id}"
                    ))
                };
                let (of, sequence) = stream::parse_sequence_number(number).ok_or_else(invalid)?;
                if of != shard || sequence == 0 || sequence >= stream.next(shard) {
                    return Err(invalid());
                }
                if sequence < stream.floor(shard) {
                    return Err(trimmed());
                }
                if kind == "AFTER_SEQUENCE_NUMBER" {
                    sequence + 1
                } else {
                    sequence
                }
            }
        };
        Ok(GetShardIteratorOutput {
            shard_iterator: Some(iterator(&stream.arn, shard, position, now_ms())),
        })
    }

    /// GetRecords: the records of a shard from an iterator's position, at most `Limit` (1000)
    /// or 1 MB, with the iterator to continue from (none once a closed shard is read to its
    /// end).
    ///
    /// # Errors
    /// `ExpiredIteratorException` for an iterator older than its lifetime,
    /// `TrimmedDataAccessException` for a position whose records were trimmed,
    /// `ResourceNotFoundException` for a stream that is gone, `ValidationException`.
    pub fn get_records(&self, input: GetRecordsInput) -> Result<GetRecordsOutput, DbError> {
        let mut c = Constraints::new();
        if let Some(limit) = input.limit {
            limit_constraint(&mut c, limit, 1000);
        }
        if let Some(text) = c.required(input.shard_iterator.as_ref(), "shardIterator") {
            c.length(text, "shardIterator", 1, 2048);
        }
        c.finish()?;
        let text = input.shard_iterator.as_deref().unwrap_or_default();
        let (arn, shard, position, issued) =
            parse_iterator(text).ok_or_else(|| DbError::validation("Invalid ShardIterator"))?;
        let stream = self.inner.stream(arn)?;
        if shard >= stream.shards {
            return Err(DbError::validation("Invalid ShardIterator"));
        }
        let now = now_ms();
        let lifetime = self.inner.options.streams.iterator_lifetime.as_millis() as u64;
        if now.saturating_sub(issued) > lifetime {
            // DynamoDB documents no wording beyond this sentence of its API model.
            return Err(DbError::ExpiredIterator(
                "The provided iterator exceeds the maximum age allowed.".into(),
            ));
        }
        // Whether the stream was disabled before the read: then no record can follow the ones
        // read, and a read that reached the end of the shard ends it.
        let closed = stream.entry().disabled_ms.is_some();
        let limit = usize::try_from(input.limit.unwrap_or(1000)).unwrap_or(1000);
        let (records, next, at_end) = self.read_records(&stream, shard, position, limit)?;
        let ended = closed && at_end;
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator: (!ended).then(|| iterator(&stream.arn, shard, next, now)),
        })
    }

    /// The records of `shard` from `position` on, from one snapshot; and the position after
    /// them.
    fn read_records(
        &self,
        stream: &Stream,
        shard: u16,
        position: u64,
        limit: usize,
    ) -> Result<(Vec<Record>, u64, bool), DbError> {
        let entry = stream.entry();
        let schema = crate::db::catalog::schema_of(
            &entry.key_schema,
            &entry.attribute_definitions,
            &entry.table_name,
        )?;
        let snapshot = self.inner.core.snapshot();
        // The floor is raised before records are deleted, so read after the snapshot it tells
        // whether the snapshot may lack records at `position`.
        if position < stream.floor(shard) {
            return Err(trimmed());
        }
        let start = stream::record_key(stream.space, shard, stream.shards, position);
        let end = stream::record_key(stream.space, shard, stream.shards, u64::MAX);
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut next = position;
        let mut at_end = true;
        for found in
            snapshot.range((Bound::Included(start.as_slice()), Bound::Excluded(end.as_slice())))
        {
            if records.len() >= limit || bytes >= RECORDS_BYTES_MAX {
                at_end = false;
                break;
            }
            let (key, value) = found?;
            let sequence = stream::sequence_of(&key)?;
            let record = self.record_of(&entry, &schema, shard, sequence, &value)?;
            bytes += value.len();
            records.push(record);
            next = sequence + 1;
        }
        Ok((records, next, at_end))
    }

    fn record_of(
        &self,
        entry: &StreamEntry,
        schema: &crate::db::schema::Schema,
        shard: u16,
        sequence: u64,
        value: &[u8],
    ) -> Result<Record, DbError> {
        let decoded = stream::decode(value)?;
        let keys = keys_item(schema, decoded.item_key)?;
        let old_image = decoded.old.map(decode_row).transpose()?;
        let new_image = decoded.new.map(decode_row).transpose()?;
        let size = item_size_bytes(&keys)
            + old_image.as_ref().map_or(0, item_size_bytes)
            + new_image.as_ref().map_or(0, item_size_bytes);
        let event_id = format!(
            "{:032x}",
            xxhash_rust::xxh3::xxh3_128(format!("{}/{shard}/{sequence}", entry.space).as_bytes())
        );
        Ok(Record {
            event_id,
            event_name: decoded.event.name().into(),
            event_version: "1.1".into(),
            event_source: "aws:dynamodb".into(),
            aws_region: self.inner.options.region.clone(),
            dynamodb: StreamRecord {
                approximate_creation_date_time: (decoded.created_ms / 1000) as f64,
                keys,
                new_image,
                old_image,
                sequence_number: stream::sequence_number(shard, sequence),
                size_bytes: size as i64,
                stream_view_type: entry.view_type.clone(),
            },
            user_identity: decoded.by_service.then(|| Identity {
                principal_id: "dynamodb.amazonaws.com".into(),
                kind: "Service".into(),
            }),
        })
    }

    /// Subscribes to the stream `arn`: [`StreamWaiter::wait`] returns as soon as a write adds
    /// records to it, so an embedder reads them with [`Db::get_records`] without polling.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown stream.
    pub fn subscribe(&self, arn: &str) -> Result<StreamWaiter, DbError> {
        let stream = self.inner.stream(arn)?;
        let seen = stream.written_count();
        Ok(StreamWaiter { stream, seen })
    }

    /// Trims every stream now: deletes records older than the retention and drops streams
    /// disabled longer than it (the background thread does this every
    /// [`crate::db::StreamOptions::trim_interval`]).
    ///
    /// # Errors
    /// The storage core failed.
    pub fn trim_streams(&self) -> Result<(), DbError> {
        trim(&self.inner)
    }
}

/// `Limit` between 1 and `max`.
fn limit_constraint(c: &mut Constraints, limit: i64, max: i64) {
    if limit < 1 {
        c.fail(Some(&limit.to_string()), "limit", "have value greater than or equal to 1");
    } else if limit > max {
        c.fail(
            Some(&limit.to_string()),
            "limit",
            &format!("have value less than or equal to {max}"),
        );
    }
}

fn trimmed() -> DbError {
    DbError::TrimmedDataAccess("The data you are trying to access has been trimmed.".into())
}

/// The description of `shard` of a stream.
fn shard_of(stream: &Stream, entry: &StreamEntry, shard: u16) -> Shard {
    let ending = entry.ending.get(usize::from(shard)).map(|&last| {
        stream::sequence_number(shard, last.max(stream.floor(shard).saturating_sub(1)))
    });
    Shard {
        shard_id: stream::shard_id(entry, shard),
        sequence_number_range: SequenceNumberRange {
            starting_sequence_number: Some(stream::sequence_number(shard, stream.floor(shard))),
            ending_sequence_number: ending,
        },
        parent_shard_id: None,
    }
}

/// The key attributes of an item key.
fn keys_item(schema: &crate::db::schema::Schema, item_key: &[u8]) -> Result<Item, DbError> {
    let sort_type = schema.sort.as_ref().map(|s| s.key_type);
    let (partition, sort) = decode_item_key(item_key, schema.partition.key_type, sort_type)
        .map_err(|e| {
            DbError::Internal(format!("Internal server error: a stream record key: {e}"))
        })?;
    let mut keys = Item::new();
    keys.insert(schema.partition.name.clone(), key_attribute(partition));
    if let (Some(attribute), Some(sort)) = (&schema.sort, sort) {
        keys.insert(attribute.name.clone(), key_attribute(sort));
    }
    Ok(keys)
}

fn key_attribute(value: crate::model::KeyValue) -> crate::model::AttributeValue {
    use crate::model::{AttributeValue, KeyValue};
    match value {
        KeyValue::S(s) => AttributeValue::S(s),
        KeyValue::N(n) => AttributeValue::N(n),
        KeyValue::B(b) => AttributeValue::B(b),
    }
}

/// An iterator: `<stream ARN>|1|<shard, position, issue time and check, in hex>`.
fn iterator(arn: &str, shard: u16, position: u64, issued_ms: u64) -> String {
    let body = format!("{shard:04x}{position:016x}{issued_ms:016x}");
    let check = xxhash_rust::xxh3::xxh3_64(format!("{arn}|{body}").as_bytes());
    format!("{arn}|1|{body}{check:016x}")
}

fn parse_iterator(text: &str) -> Option<(&str, u16, u64, u64)> {
    let (arn, rest) = text.rsplit_once("|1|")?;
    if rest.len() != 52 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (body, check) = rest.split_at(36);
    let expected = xxhash_rust::xxh3::xxh3_64(format!("{arn}|{body}").as_bytes());
    if u64::from_str_radix(check, 16).ok()? != expected {
        return None;
    }
    let shard = u16::from_str_radix(&body[..4], 16).ok()?;
    let position = u64::from_str_radix(&body[4..20], 16).ok()?;
    let issued = u64::from_str_radix(&body[20..36], 16).ok()?;
    Some((arn, shard, position, issued))
}

/// The trimming thread: trims every `trim_interval` until the database closes.
pub(crate) fn run(inner: &Inner) {
    let Some(interval) = inner.options.streams.trim_interval else { return };
    loop {
        {
            let state = lock(&inner.purge);
            let (state, _) = inner
                .streams_wake
                .wait_timeout_while(state, interval, |s| !s.stop)
                .unwrap_or_else(PoisonError::into_inner);
            if state.stop {
                return;
            }
        }
        // A failure (a poisoned store) is tried again next time; reads report it.
        let _ = trim(inner);
    }
}

/// Deletes records older than the retention from every stream, and drops streams disabled
/// longer than it.
fn trim(inner: &Inner) -> Result<(), DbError> {
    let retention = inner.options.streams.retention.as_millis() as u64;
    let cutoff = now_ms().saturating_sub(retention);
    let streams: Vec<Arc<Stream>> =
        inner.streams.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
    for stream in streams {
        let entry = stream.entry();
        if entry.disabled_ms.is_some_and(|at| at < cutoff) {
            drop_stream(inner, &stream)?;
            continue;
        }
        for shard in 0..stream.shards {
            trim_shard(inner, &stream, shard, cutoff)?;
        }
    }
    Ok(())
}

/// Deletes the records of `shard` created before `cutoff` (records are in creation order) and
/// moves the shard's floor past them.
fn trim_shard(inner: &Inner, stream: &Stream, shard: u16, cutoff: u64) -> Result<(), DbError> {
    let dropped = stream.trim.lock().unwrap_or_else(PoisonError::into_inner);
    if *dropped {
        return Ok(());
    }
    loop {
        let floor = stream.floor(shard);
        let snapshot = inner.core.snapshot();
        let start = stream::record_key(stream.space, shard, stream.shards, floor.max(1));
        let end = stream::record_key(stream.space, shard, stream.shards, u64::MAX);
        let mut batch = Batch::new();
        let mut new_floor = None;
        for found in snapshot
            .range((Bound::Included(start.as_slice()), Bound::Excluded(end.as_slice())))
            .take(TRIM_BATCH)
        {
            let (key, value) = found?;
            if stream::decode(&value)?.created_ms >= cutoff {
                break;
            }
            batch.delete(&key);
            new_floor = Some(stream::sequence_of(&key)? + 1);
        }
        let Some(new_floor) = new_floor else { return Ok(()) };
        let full = batch.len() >= TRIM_BATCH;
        let marker = stream::record_key(stream.space, shard, stream.shards, 0);
        batch.put(marker, new_floor.to_le_bytes());
        // Readers learn of the trim before the records go (`read_records`).
        stream.set_floor(shard, new_floor);
        inner.core.write(batch)?;
        if !full {
            return Ok(());
        }
    }
}

/// Removes a stream past its retention: its entry, and (in the background) its records.
fn drop_stream(inner: &Inner, stream: &Stream) -> Result<(), DbError> {
    let _control = lock(&inner.control);
    let mut dropped = stream.trim.lock().unwrap_or_else(PoisonError::into_inner);
    if *dropped {
        return Ok(());
    }
    *dropped = true;
    let mut batch = Batch::new();
    batch.delete(catalog::stream_key(stream.space));
    batch.put(catalog::purge_key(stream.space), stream.arn.as_bytes());
    inner.core.write(batch)?;
    inner.streams.write().unwrap_or_else(PoisonError::into_inner).remove(&stream.arn);
    lock(&inner.purge).generation += 1;
    inner.purge_wake.notify_all();
    Ok(())
}
