//! The table's stream (`NEW_AND_OLD_IMAGES`) against the changes the reference made.
//!
//! Reference semantics (DG "Change data capture for DynamoDB Streams"; Streams API reference
//! "GetRecords", "StreamRecord"): every write that changes an item adds one record, in the
//! order of the changes to that item, exactly once: `INSERT` (with `NewImage`) for an item
//! that did not exist, `MODIFY` (with `OldImage` and `NewImage`) for one whose attributes
//! changed, `REMOVE` (with `OldImage`) for one deleted. A write that changes nothing (a put of
//! the item as it is, an update to the values it has, a delete of a missing item, a failed
//! condition, a canceled or refused request, a repeated transaction) adds no record; a batch
//! or a transaction adds one record per item it changes. All the records of an item are in
//! one shard, whose sequence numbers increase; a record's `Keys` are the key attributes of its
//! images. With no trimming, a read from `TRIM_HORIZON` gives every record since the table was
//! created, after any restart; replaying them (`INSERT`/`MODIFY`: the item is the `NewImage`;
//! `REMOVE`: it is gone) rebuilds the table.

use std::collections::{BTreeMap, BTreeSet};

use super::{key_item, model_key_of, normalized, read_answer, Harness, Op, TABLE};
use crate::api::{
    CreateTableInput, DescribeStreamInput, DescribeTableInput, GetRecordsInput,
    GetShardIteratorInput, ListStreamsInput, Record, Shard, StreamSpecification,
};
use crate::model::Item;
use crate::Db;

/// The records carry both images.
const VIEW_TYPE: &str = "NEW_AND_OLD_IMAGES";
/// The `Limit`s of GetRecords, in turn from one shard read to the next.
const LIMITS: [Option<i64>; 6] = [Some(1), Some(3), None, Some(2), Some(7), Some(1000)];
/// A single write in this many is watched through `LATEST` iterators.
const WATCH_EVERY: usize = 3;
/// More pages than reading any shard takes (a run writes far fewer records).
const RECORD_PAGES_MAX: usize = 20_000;

/// An item's key in the reference.
type ModelKey = (String, i64);

/// A change as its record tells it: `eventName`, `OldImage`, `NewImage`.
type Event = (String, Option<Item>, Option<Item>);

/// The table's definition with its stream.
pub(super) fn with_stream(mut input: CreateTableInput) -> CreateTableInput {
    input.stream_specification = Some(StreamSpecification::enabled(VIEW_TYPE));
    input
}

/// What the stream must hold: every change the reference made, in order.
#[derive(Debug, Default)]
pub(super) struct StreamLog {
    arn: String,
    /// The stream's shard ids, as DescribeStream first listed them.
    shard_ids: Vec<String>,
    /// Every change, in the order the reference made them.
    changes: Vec<(ModelKey, Event)>,
    /// Per shard, the sequence numbers read at the last checkpoint: a later read starts with
    /// them.
    seen: Vec<Vec<String>>,
    /// The checkpoints so far (each reads with other `Limit`s).
    checks: usize,
    /// The single writes so far (one in [`WATCH_EVERY`] is watched).
    single_writes: usize,
}

impl StreamLog {
    /// The stream of the table just created in `db`.
    pub(super) fn new(db: &Db) -> StreamLog {
        let input = DescribeTableInput { table_name: Some(TABLE.into()) };
        let table = read_answer(db.describe_table(input.clone()), &input).table;
        let spec = table.stream_specification.clone();
        assert_eq!(spec, Some(StreamSpecification::enabled(VIEW_TYPE)), "{table:?}");
        let arn = table.latest_stream_arn.expect("the table has a stream");
        let shards = describe_shards(db, &arn, None);
        assert!(!shards.is_empty(), "{arn}: no shard");
        let seen = vec![Vec::new(); shards.len()];
        let shard_ids = shards.into_iter().map(|s| s.shard_id).collect();
        StreamLog { arn, shard_ids, seen, ..StreamLog::default() }
    }
}

/// Every shard of the stream, by DescribeStream pages of `limit`.
fn describe_shards(db: &Db, arn: &str, limit: Option<i64>) -> Vec<Shard> {
    let mut input =
        DescribeStreamInput { stream_arn: Some(arn.into()), limit, ..Default::default() };
    let mut shards = Vec::new();
    for _ in 0..RECORD_PAGES_MAX {
        let stream = read_answer(db.describe_stream(input.clone()), &input).stream_description;
        assert_eq!(
            (stream.stream_arn.as_str(), stream.stream_status.as_str(), stream.table_name.as_str()),
            (arn, "ENABLED", TABLE),
            "{stream:?}"
        );
        assert_eq!(stream.stream_view_type, VIEW_TYPE, "{stream:?}");
        assert!(limit.is_none_or(|l| stream.shards.len() as i64 <= l), "{input:?}: {stream:?}");
        for shard in &stream.shards {
            let range = &shard.sequence_number_range;
            assert!(range.ending_sequence_number.is_none(), "an open shard has no end: {shard:?}");
            assert!(range.starting_sequence_number.is_some(), "{shard:?}: no start");
            assert!(shard.parent_shard_id.is_none(), "{shard:?}: a parent");
        }
        shards.extend(stream.shards);
        match stream.last_evaluated_shard_id {
            None => return shards,
            last => input.exclusive_start_shard_id = last,
        }
    }
    panic!("{arn}: more than {RECORD_PAGES_MAX} DescribeStream pages");
}

/// Whether the sequence number `a` comes before `b`: as integers of any length.
fn sequence_before(a: &str, b: &str) -> bool {
    let digits = |s: &str| {
        assert!(!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()), "sequence number {s:?}");
        let trimmed = s.trim_start_matches('0');
        (trimmed.len(), trimmed.to_owned())
    };
    digits(a) < digits(b)
}

/// The change a record tells, after checking what every record of this table must be.
fn event_of(record: &Record) -> (ModelKey, Event) {
    let change = &record.dynamodb;
    let old = change.old_image.clone().map(normalized);
    let new = change.new_image.clone().map(normalized);
    let images = match record.event_name.as_str() {
        "INSERT" => old.is_none() && new.is_some(),
        "MODIFY" => old.is_some() && new.is_some() && old != new,
        "REMOVE" => old.is_some() && new.is_none(),
        _ => false,
    };
    assert!(images, "the images of {record:?}");
    let key = model_key_of(new.as_ref().or(old.as_ref()).expect("an image"));
    assert!(old.iter().chain(&new).all(|image| model_key_of(image) == key), "{record:?}");
    assert_eq!(change.keys, key_item(&key.0, key.1), "the Keys of {record:?}");
    assert!(change.size_bytes > 0, "the SizeBytes of {record:?}");
    assert_eq!(change.stream_view_type, VIEW_TYPE, "{record:?}");
    let time = change.approximate_creation_date_time;
    assert!(time > 0.0 && time.fract() == 0.0, "the creation time of {record:?}");
    let about = (
        record.event_source.as_str(),
        record.event_version.as_str(),
        record.aws_region.as_str(),
        record.event_id.len(),
    );
    assert_eq!(about, ("aws:dynamodb", "1.1", "us-east-1", 32), "{record:?}");
    assert!(record.user_identity.is_none(), "no service deletes here: {record:?}");
    (key, (record.event_name.clone(), old, new))
}

/// The changes of `changes`, item by item, in order.
fn by_item<'c>(
    changes: impl IntoIterator<Item = &'c (ModelKey, Event)>,
) -> BTreeMap<ModelKey, Vec<Event>> {
    let mut items: BTreeMap<ModelKey, Vec<Event>> = BTreeMap::new();
    for (key, event) in changes {
        items.entry(key.clone()).or_default().push(event.clone());
    }
    items
}

/// Panics with the first item whose records differ from the reference's changes.
fn compare_items(
    actual: &BTreeMap<ModelKey, Vec<Event>>,
    expected: &BTreeMap<ModelKey, Vec<Event>>,
    when: &str,
) {
    let keys: BTreeSet<&ModelKey> = actual.keys().chain(expected.keys()).collect();
    for key in keys {
        let (got, want) = (actual.get(key), expected.get(key));
        if got != want {
            panic!("{when}: the records of item {key:?}:\n{got:#?}\nexpected\n{want:#?}");
        }
    }
}

impl Harness<'_> {
    /// Makes the reference's item at `key` `new` (`None`: no item; its sets sorted), logging
    /// the change the stream must show, if it is one; the item it replaces.
    pub(super) fn store(&mut self, key: ModelKey, new: Option<Item>) -> Option<Item> {
        let new = new.map(normalized);
        let old = match &new {
            Some(item) => self.model.insert(key.clone(), item.clone()),
            None => self.model.remove(&key),
        };
        let event = match (&old, &new) {
            (None, Some(_)) => "INSERT",
            (Some(before), Some(after)) if before != after => "MODIFY",
            (Some(_), None) => "REMOVE",
            _ => return old,
        };
        self.stream.changes.push((key, (event.to_owned(), old.clone(), new)));
        old
    }

    /// The records of one shard, from `TRIM_HORIZON` until a page is empty, by pages of
    /// `limit`; checks their order and that they begin with those read last time.
    fn read_shard(&self, index: usize, shard: &Shard, limit: Option<i64>) -> Vec<Record> {
        let input = GetShardIteratorInput {
            stream_arn: Some(self.stream.arn.clone()),
            shard_id: Some(shard.shard_id.clone()),
            shard_iterator_type: Some("TRIM_HORIZON".into()),
            sequence_number: None,
        };
        let first = read_answer(self.db().get_shard_iterator(input.clone()), &input);
        let records = self.read_from(first.shard_iterator.expect("an iterator"), limit);
        let numbers: Vec<String> =
            records.iter().map(|r| r.dynamodb.sequence_number.clone()).collect();
        let start = shard.sequence_number_range.starting_sequence_number.as_deref();
        for pair in numbers.windows(2) {
            assert!(sequence_before(&pair[0], &pair[1]), "{shard:?}: out of order: {numbers:?}");
        }
        if let (Some(start), Some(first)) = (start, numbers.first()) {
            assert!(!sequence_before(first, start), "{shard:?}: a record before the start");
        }
        let before = &self.stream.seen[index];
        assert!(
            numbers.starts_with(before),
            "{shard:?}: the records read before, {before:?}, are not the first of {numbers:?}"
        );
        records
    }

    /// The records from `iterator` on, until a page is empty.
    fn read_from(&self, iterator: String, limit: Option<i64>) -> Vec<Record> {
        let mut input = GetRecordsInput { shard_iterator: Some(iterator), limit };
        let mut records = Vec::new();
        for _ in 0..RECORD_PAGES_MAX {
            let page = read_answer(self.db().get_records(input.clone()), &input);
            let most = limit.unwrap_or(1000);
            assert!(page.records.len() as i64 <= most, "{input:?}: more than Limit");
            if page.records.is_empty() {
                return records;
            }
            records.extend(page.records);
            let next = page.next_shard_iterator;
            assert!(next.is_some(), "{input:?}: an open shard always continues");
            input.shard_iterator = next;
        }
        panic!("{input:?}: more than {RECORD_PAGES_MAX} pages");
    }

    /// Reads the whole stream and checks it against every change the reference made, and that
    /// replaying it rebuilds the table; `when` names the checkpoint.
    pub(super) fn check_stream(&mut self, when: &str) {
        self.stream.checks += 1;
        let checks = self.stream.checks;
        let limit = LIMITS[checks % LIMITS.len()].map(|l| l.min(4));
        let shards = describe_shards(self.db(), &self.stream.arn, limit);
        let ids: Vec<&String> = shards.iter().map(|s| &s.shard_id).collect();
        assert_eq!(ids, self.stream.shard_ids.iter().collect::<Vec<_>>(), "{when}: the shards");
        let mut events = Vec::new();
        let mut owners: BTreeMap<ModelKey, usize> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        let mut seen = Vec::with_capacity(shards.len());
        for (index, shard) in shards.iter().enumerate() {
            let limit = LIMITS[(checks + index) % LIMITS.len()];
            let records = self.read_shard(index, shard, limit);
            for record in &records {
                assert!(ids.insert(record.event_id.clone()), "{when}: eventID twice: {record:?}");
                let (key, event) = event_of(record);
                let owner = *owners.entry(key.clone()).or_insert(index);
                assert_eq!(owner, index, "{when}: records of {key:?} in two shards");
                events.push((key, event));
            }
            seen.push(records.into_iter().map(|r| r.dynamodb.sequence_number).collect());
        }
        self.stream.seen = seen;
        compare_items(&by_item(&events), &by_item(&self.stream.changes), when);
        self.check_replay(&events, when);
        self.check_listed();
    }

    /// Replaying the records item by item (each image what the previous left) gives the table.
    fn check_replay(&self, events: &[(ModelKey, Event)], when: &str) {
        let mut replayed: BTreeMap<ModelKey, Item> = BTreeMap::new();
        for (key, (name, old, new)) in events {
            let before = replayed.get(key);
            assert_eq!(before, old.as_ref(), "{when}: the OldImage of {name} {key:?}");
            match new {
                Some(item) => replayed.insert(key.clone(), item.clone()),
                None => replayed.remove(key),
            };
        }
        if replayed != self.model {
            panic!(
                "{when}: the replayed stream\n{replayed:#?}\nis not the table\n{:#?}",
                self.model
            );
        }
    }

    /// ListStreams names the table's stream, once.
    fn check_listed(&self) {
        let input = ListStreamsInput { table_name: Some(TABLE.into()), ..Default::default() };
        let listed = read_answer(self.db().list_streams(input.clone()), &input);
        let arns: Vec<&str> = listed.streams.iter().map(|s| s.stream_arn.as_str()).collect();
        assert_eq!(arns, [self.stream.arn.as_str()], "{listed:?}");
        assert!(listed.last_evaluated_stream_arn.is_none(), "{listed:?}");
    }

    /// `LATEST` iterators of every shard, taken before one single write in [`WATCH_EVERY`],
    /// with the number of changes so far.
    pub(super) fn watch(&mut self, op: &Op) -> Option<(Vec<String>, usize)> {
        if !matches!(op, Op::Put(_) | Op::Update(_) | Op::Delete(_) | Op::Mistyped(_)) {
            return None;
        }
        self.stream.single_writes += 1;
        if self.stream.single_writes % WATCH_EVERY != 0 {
            return None;
        }
        let iterators = self.stream.shard_ids.iter().map(|shard_id| {
            let input = GetShardIteratorInput {
                stream_arn: Some(self.stream.arn.clone()),
                shard_id: Some(shard_id.clone()),
                shard_iterator_type: Some("LATEST".into()),
                sequence_number: None,
            };
            let answer = read_answer(self.db().get_shard_iterator(input.clone()), &input);
            answer.shard_iterator.expect("an iterator")
        });
        Some((iterators.collect(), self.stream.changes.len()))
    }

    /// What the `LATEST` iterators of [`Harness::watch`] read after the write: exactly the
    /// changes it made (one, or none).
    pub(super) fn check_watched(&self, op: &Op, (iterators, from): (Vec<String>, usize)) {
        let mut events = Vec::new();
        for iterator in iterators {
            events.extend(self.read_from(iterator, None).iter().map(event_of));
        }
        let expected = &self.stream.changes[from..];
        assert_eq!(events, expected, "{op:?}: the records read from LATEST");
    }
}
