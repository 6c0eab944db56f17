//! Secondary index and stream benchmarks through the embedded API [`basalt::Db`]:
//!
//! - `PutItem` of new 1 KB items into a table with 0, 1 and 5 global secondary indexes (each
//!   keyed on its own attribute the item carries, projecting `ALL`, so each index entry is a
//!   copy of the item), with `Buffered` durability: the CPU and write cost of maintaining the
//!   indexes, entries written in the item's own log record;
//! - the same with a stream (`NEW_AND_OLD_IMAGES`) and no index: the cost of the record;
//! - a Query of 100 items on a global index (one range per storage shard, merged);
//! - `GetRecords` throughput: reading a stream of 1 KB changes, 1,000 records per call, every
//!   shard from `TRIM_HORIZON`, reported as records/s.
//!
//! Run: `cargo bench -p basalt --bench db_index`.
#![expect(missing_docs, reason = "criterion_group! generates undocumented public functions")]

use std::time::Duration;

use basalt::api::{
    CreateTableInput, DescribeStreamInput, GetRecordsInput, GetShardIteratorInput,
    GlobalSecondaryIndex, PutItemInput, QueryInput, StreamSpecification,
};
use basalt::core::{Durability, Options};
use basalt::model::Item;
use basalt::{item, Db, DbOptions};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const TABLE: &str = "Indexed";
/// Items behind the stream-read benchmark.
const STREAM_ITEMS: u64 = 20_000;

fn open(dir: &std::path::Path, indexes: usize, stream: bool) -> Db {
    let core = Options { durability: Durability::Buffered, ..Options::default() };
    let db = Db::open_with(dir, DbOptions { core, ..DbOptions::default() }).expect("open");
    let mut table = CreateTableInput::new(TABLE).partition_key("pk", "S");
    for i in 0..indexes {
        table = table.attribute(format!("g{i}"), "S").global_index(
            GlobalSecondaryIndex::new(format!("by_g{i}")).partition_key(format!("g{i}")),
        );
    }
    if stream {
        table.stream_specification = Some(StreamSpecification::enabled("NEW_AND_OLD_IMAGES"));
    }
    db.create_table(table).expect("create table");
    db
}

/// A new 1 KB item `n` with five index key attributes (100 distinct values each).
fn item(n: u64) -> Item {
    let mut item = item! { "pk" => format!("item#{n:012}"), "blob" => vec![5u8; 950] };
    for i in 0..5 {
        item.insert(format!("g{i}"), format!("v{}", (n * 7 + i) % 100).into());
    }
    item
}

fn puts(c: &mut Criterion) {
    let mut group = c.benchmark_group("db_index/put_item_1kb_buffered");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for (name, indexes, stream) in
        [("0_gsi", 0, false), ("1_gsi", 1, false), ("5_gsi", 5, false), ("stream", 0, true)]
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(dir.path(), indexes, stream);
        let mut next = 0u64;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    next += 1;
                    PutItemInput::new(TABLE, item(next))
                },
                |input| db.put_item(input).expect("put"),
                BatchSize::SmallInput,
            );
        });
        db.close().expect("close");
    }
    group.finish();
}

fn index_query(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path(), 1, false);
    // 10,000 items over 100 index partitions: 100 per partition.
    for n in 0..10_000 {
        db.put_item(PutItemInput::new(TABLE, item(n))).expect("put");
    }
    let mut group = c.benchmark_group("db_index/query_gsi_100_items");
    group
        .throughput(Throughput::Elements(100))
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("all_shards_merged", |b| {
        let mut v = 0u64;
        b.iter(|| {
            v = (v + 1) % 100;
            let query =
                QueryInput::new(TABLE, "g0 = :v").index("by_g0").value(":v", format!("v{v}"));
            let page = db.query(query).expect("query");
            assert_eq!(page.count, 100);
        });
    });
    group.finish();
    db.close().expect("close");
}

fn stream_reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path(), 0, true);
    for n in 0..STREAM_ITEMS {
        db.put_item(PutItemInput::new(TABLE, item(n))).expect("put");
    }
    let arn = db
        .describe_table(basalt::api::TableNameInput { table_name: Some(TABLE.into()) })
        .expect("describe")
        .table
        .latest_stream_arn
        .expect("stream");
    let shards = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(arn.clone()),
            ..Default::default()
        })
        .expect("describe stream")
        .stream_description
        .shards;
    let mut group = c.benchmark_group("db_index/get_records_1kb");
    group
        .throughput(Throughput::Elements(STREAM_ITEMS))
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("whole_stream_1000_per_call", |b| {
        b.iter(|| {
            let mut read = 0u64;
            for shard in &shards {
                let mut at = db
                    .get_shard_iterator(GetShardIteratorInput {
                        stream_arn: Some(arn.clone()),
                        shard_id: Some(shard.shard_id.clone()),
                        shard_iterator_type: Some("TRIM_HORIZON".into()),
                        sequence_number: None,
                    })
                    .expect("iterator")
                    .shard_iterator;
                while let Some(iterator) = at {
                    let page = db
                        .get_records(GetRecordsInput {
                            shard_iterator: Some(iterator),
                            limit: Some(1000),
                        })
                        .expect("records");
                    if page.records.is_empty() {
                        break;
                    }
                    read += page.records.len() as u64;
                    at = page.next_shard_iterator;
                }
            }
            assert_eq!(read, STREAM_ITEMS);
        });
    });
    group.finish();
    db.close().expect("close");
}

criterion_group!(benches, puts, index_query, stream_reads);
criterion_main!(benches);
