//! The model-based check of [`Db`]'s item operations and expressions (fuzz target `table_ops`,
//! seeded test `table_ops_seeded`).
//!
//! One table, `pk` (S, three partitions) and `sk` (N, 0 to 7), whose items carry attributes
//! from a small set: `a` (N), `b` (S), `s` (SS), `l` (L), `m` (M with member `x`), `g` (S,
//! never empty) and `h` (N). Each [`Op`] runs against the [`Db`] and against a `BTreeMap`
//! reference whose condition evaluator, update application, projection and index derivation
//! are written here from the DynamoDB Developer Guide, independently of `crate::expr` and
//! `crate::db`: conditions and updates are structured values, rendered to expression text (with
//! `ExpressionAttributeNames`/`Values`) for the engine and evaluated directly by the reference.
//! Every answer is compared: items, `ReturnValues`, condition failures (and the item they
//! carry), Query pages (items, `Count`, `ScannedCount`, `LastEvaluatedKey`), what a Scan's
//! pages add up to, the table's item count, every secondary index and the stream (below).
//! Restarts (close, reopen) and flushes to SSTables (with or without compaction) come between
//! them.
//!
//! Batches and transactions (modules `batch` and `transact`) draw their puts, updates and
//! conditions from the same generators: BatchWriteItem and BatchGetItem (every write applied,
//! the items found compared as a set), TransactWriteItems (all or nothing: one cancellation
//! reason per action, in order, with the item for `ALL_OLD`; a repeated `ClientRequestToken`
//! applies nothing again) and TransactGetItems (the items in request order). A key named twice
//! in one request must be refused with DynamoDB's `ValidationException`, changing nothing.
//!
//! Secondary indexes (module `index`): the table has a local index over `h` (`INCLUDE s`) and
//! global ones over `g` and `a` (`KEYS_ONLY`), over `g` and `h` together (a partition key of two
//! attributes, `ALL`) and over `a` then `g` and `h` (a sort key of two attributes, `INCLUDE b,
//! l`). Puts set `a`, `g` and `h` three times in four, updates set, add to and remove them, so
//! items enter, move within and leave every index. After every write, flush and restart, each
//! index is read whole by a paginated Scan (its `Limit` varying from one check to the next) and
//! compared, as a multiset, with what its definition derives from the reference: for every item
//! carrying all of the index's key attributes, the table's and the index's keys plus the
//! projected attributes (the whole item for `ALL`); its `ItemCount` in DescribeTable is the
//! number of those items. An index Query ([`IndexQueryOp`]) reads one partition of an index (that
//! of an entry, when it has some) in either direction with a small `Limit`: the entries come in
//! the order of the index's sort key (ties, in no order DynamoDB defines, are compared as a
//! set), each page's `LastEvaluatedKey` holds the last entry's table and index keys. A write of
//! an index key attribute with a value of the wrong type ([`MistypedOp`]) must be refused with
//! DynamoDB's `ValidationException` ("Type mismatch for Index Key …", naming an index keyed on
//! it) and change nothing; every other generated value of an index key is well typed.
//!
//! The stream (module `stream`): the table has one, `NEW_AND_OLD_IMAGES`, never trimmed. Every
//! write the reference applies logs, per item, the change it makes (`INSERT` with the new
//! image, `MODIFY` with both, `REMOVE` with the old one; nothing for a write that changes
//! nothing, fails its condition, is canceled or is refused; one change per item a batch or a
//! transaction changes). Every 16 operations, at every flush and restart and at the end, the
//! whole stream is read (DescribeStream, then each shard from `TRIM_HORIZON` by GetRecords
//! pages of a varying `Limit` until one is empty) and checked: each item's records are its
//! changes exactly (once each, in order, the images equal), in one shard; sequence numbers
//! increase within a shard (as integers) and a shard begins with the records read from it
//! before (a restart loses, duplicates and renumbers none); `Keys` are the images' key
//! attributes, `SizeBytes` is positive, `eventID`s are unique; and replaying the records gives
//! the table. One single write in three is also watched through `LATEST` iterators of every
//! shard taken just before it: they read exactly its change, or nothing.
//!
//! Requests are valid by construction. An update the reference finds impossible on the item
//! at hand (arithmetic on a missing attribute, a path through a missing map or list) must be
//! refused with a `ValidationException`; any other refusal, and any `InternalServerError`,
//! panics with the request.
//!
//! Reference semantics (DG "Condition expressions", "Update expressions", "Query", "Scan"):
//! comparing values of different types is false (so `<>` is true, also on a missing
//! attribute); `ADD` to a missing number starts from 0 and to a missing set from the empty
//! set; `DELETE` from a missing set does nothing, and a set it empties disappears; `SET` of a
//! list element past the end appends; UpdateItem creates a missing item; a failed condition
//! changes nothing; `UPDATED_OLD`/`UPDATED_NEW` return the updated paths only; `Limit` counts
//! items read before the filter, `ScannedCount` too, `Count` after it; a `REMOVE` below a
//! missing map or list is refused, except on an item that does not exist, where every `REMOVE`
//! is ignored.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};

pub use self::batch::{BatchGetOp, BatchWrite, BatchWriteOp};
pub use self::index::{IndexQueryOp, MistypedOp, Mistyping};
pub use self::transact::{Action, ActionKind, TokenUse, TransactGetOp, TransactWriteOp};

mod batch;
mod index;
mod stream;
mod transact;

use crate::api::{
    CreateTableInput, DbError, DeleteItemInput, DescribeTableInput, GetItemInput, PutItemInput,
    QueryInput, QueryOutput, ScanInput, UpdateItemInput, WriteItemOutput,
};
use crate::core::{Durability, Options};
use crate::model::{AttributeValue, Item, Number};
use crate::{Db, DbOptions, StreamOptions, TtlOptions};

/// The table every run uses.
const TABLE: &str = "ops";
/// The most operations one run takes from its input (the fuzz target's cap).
pub const OPS_MAX: usize = 64;
const PARTITIONS: [&str; 3] = ["p0", "p1", "p2"];
/// Sort keys are `0..SORT_KEYS`.
const SORT_KEYS: i64 = 8;
const STRINGS: [&str; 6] = ["", "a", "ab", "abc", "b", "ba"];
const PREFIXES: [&str; 4] = ["a", "ab", "b", "c"];
const MEMBERS: [&str; 4] = ["p", "pq", "q", "r"];
/// Values of `g`, an index key attribute: never empty (DynamoDB refuses an empty index key).
const TAGS: [&str; 3] = ["x", "y", "z"];
/// The whole stream is read and checked after this many operations (and at every flush,
/// restart and the end).
const STREAM_CHECK_EVERY: usize = 16;
/// More pages than any complete Query or Scan of the table can take.
const PAGES_MAX: usize = 64;

/// Implements `Arbitrary` for a one-field tuple struct from a closure over `Unstructured`.
macro_rules! drawn {
    ($name:ident, |$u:ident| $body:expr) => {
        impl<'a> Arbitrary<'a> for $name {
            fn arbitrary($u: &mut Unstructured<'a>) -> arbitrary::Result<$name> {
                Ok($name($body))
            }
        }
    };
}

/// A small number, -3 to 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Num(i64);
drawn!(Num, |u| u.int_in_range(-3..=3)?);

/// A string of a few, the empty string among them.
#[derive(Clone, Copy, Debug)]
pub struct Text(&'static str);
drawn!(Text, |u| *u.choose(&STRINGS)?);

/// A non-empty string, for `begins_with` and `contains` on `b`.
#[derive(Clone, Copy, Debug)]
pub struct Prefix(&'static str);
drawn!(Prefix, |u| *u.choose(&PREFIXES)?);

/// A value of `g`.
#[derive(Clone, Copy, Debug)]
pub struct Tag(&'static str);
drawn!(Tag, |u| *u.choose(&TAGS)?);

/// A value present three times in four: that of an index key attribute, so that the sparse
/// indexes fill.
#[derive(Clone, Copy, Debug)]
pub struct Often<T>(Option<T>);

impl<'a, T: Arbitrary<'a>> Arbitrary<'a> for Often<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Often<T>> {
        Ok(Often(if u.ratio(3, 4)? { Some(T::arbitrary(u)?) } else { None }))
    }
}

/// A member of a string set.
#[derive(Clone, Copy, Debug)]
pub struct Member(&'static str);
drawn!(Member, |u| *u.choose(&MEMBERS)?);

/// A non-empty string set, its members in any order (the engine is sent them in this order,
/// the reference keeps sets sorted: a set is the same whatever the order of its members).
#[derive(Clone, Debug)]
pub struct Members(Vec<&'static str>);
drawn!(Members, |u| {
    let mask: u8 = u.int_in_range(1..=15)?;
    let mut members: Vec<&'static str> =
        MEMBERS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, m)| *m).collect();
    let turn = u.int_in_range(0..=members.len() - 1)?;
    members.rotate_left(turn);
    if u.arbitrary()? {
        members.reverse();
    }
    members
});

/// An element of a list.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Elem {
    /// A number.
    N(Num),
    /// A string.
    S(Text),
}

/// A list of up to three elements.
#[derive(Clone, Debug)]
pub struct List(Vec<Elem>);
drawn!(List, |u| {
    let len = u.int_in_range(0..=3)?;
    (0..len).map(|_| Elem::arbitrary(u)).collect::<arbitrary::Result<_>>()?
});

/// A list index, 0 to 4 (past the end of most lists).
#[derive(Clone, Copy, Debug)]
pub struct Index(usize);
drawn!(Index, |u| u.int_in_range(0..=4)?);

/// A partition, by its index in `PARTITIONS`.
#[derive(Clone, Copy, Debug)]
pub struct Partition(usize);
drawn!(Partition, |u| u.int_in_range(0..=PARTITIONS.len() - 1)?);

/// A sort key value of a key condition: one past each end of the stored ones included.
#[derive(Clone, Copy, Debug)]
pub struct SortValue(i64);
drawn!(SortValue, |u| u.int_in_range(-1..=SORT_KEYS)?);

/// A `Limit`, 1 to 5.
#[derive(Clone, Copy, Debug)]
pub struct Limit(usize);
drawn!(Limit, |u| u.int_in_range(1..=5)?);

/// A `TotalSegments`, 1 to 4.
#[derive(Clone, Copy, Debug)]
pub struct Segments(i64);
drawn!(Segments, |u| u.int_in_range(1..=4)?);

/// An item's primary key.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct Key {
    partition: Partition,
    sort: SortKey,
}

/// A stored sort key, 0 to 7.
#[derive(Clone, Copy, Debug)]
pub struct SortKey(i64);
drawn!(SortKey, |u| u.int_in_range(0..=SORT_KEYS - 1)?);

impl Key {
    fn model_key(self) -> (String, i64) {
        (PARTITIONS[self.partition.0].to_owned(), self.sort.0)
    }

    fn item(self) -> Item {
        key_item(PARTITIONS[self.partition.0], self.sort.0)
    }
}

/// The non-key attributes of a put item.
#[derive(Arbitrary, Clone, Debug)]
pub struct Attrs {
    a: Often<Num>,
    b: Option<Text>,
    s: Option<Members>,
    l: Option<List>,
    m: Option<Option<Num>>,
    g: Often<Tag>,
    h: Often<Num>,
}

/// A path a condition names.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum AnyPath {
    /// `a`.
    A,
    /// `b`.
    B,
    /// `s`.
    S,
    /// `l`.
    L,
    /// `m`.
    M,
    /// `m.x`.
    Mx,
    /// `l[0]`.
    L0,
    /// `pk`, the partition key (not in a Query's filter).
    Pk,
    /// `sk`, the sort key (not in a Query's filter).
    Sk,
}

/// A path holding a scalar (or nothing), for comparisons.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ScalarPath {
    /// `a`.
    A,
    /// `b`.
    B,
    /// `m.x`.
    Mx,
    /// `sk`, the sort key (not in a Query's filter).
    Sk,
}

impl From<ScalarPath> for AnyPath {
    fn from(path: ScalarPath) -> AnyPath {
        match path {
            ScalarPath::A => AnyPath::A,
            ScalarPath::B => AnyPath::B,
            ScalarPath::Mx => AnyPath::Mx,
            ScalarPath::Sk => AnyPath::Sk,
        }
    }
}

/// A path `size` applies to (never a number, in this world).
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum SizedPath {
    /// `b`: its length.
    B,
    /// `s`: its members.
    S,
    /// `l`: its elements.
    L,
    /// `m`: its members.
    M,
}

impl From<SizedPath> for AnyPath {
    fn from(path: SizedPath) -> AnyPath {
        match path {
            SizedPath::B => AnyPath::B,
            SizedPath::S => AnyPath::S,
            SizedPath::L => AnyPath::L,
            SizedPath::M => AnyPath::M,
        }
    }
}

/// A type name of `attribute_type`.
#[derive(Clone, Copy, Debug)]
pub struct TypeName(&'static str);
drawn!(TypeName, |u| *u.choose(&["S", "N", "SS", "L", "M", "NULL", "BOOL"])?);

/// A value in a comparison.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Scalar {
    /// A number.
    N(Num),
    /// A string.
    S(Text),
}

/// A comparison operator.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// The bounds of a `BETWEEN`, of one type (rendered low first).
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Bounds {
    /// Two numbers.
    N(Num, Num),
    /// Two strings.
    S(Text, Text),
}

impl Bounds {
    fn ordered(self) -> (Scalar, Scalar) {
        match self {
            Bounds::N(x, y) if x.0 <= y.0 => (Scalar::N(x), Scalar::N(y)),
            Bounds::N(x, y) => (Scalar::N(y), Scalar::N(x)),
            Bounds::S(x, y) if x.0 <= y.0 => (Scalar::S(x), Scalar::S(y)),
            Bounds::S(x, y) => (Scalar::S(y), Scalar::S(x)),
        }
    }
}

/// A condition (ConditionExpression or FilterExpression) of the small grammar.
#[derive(Clone, Debug)]
pub enum Cond {
    /// `attribute_exists(path)`.
    Exists(AnyPath),
    /// `attribute_not_exists(path)`.
    NotExists(AnyPath),
    /// `path op :v`.
    Cmp(ScalarPath, CmpOp, Scalar),
    /// `path BETWEEN :lo AND :hi`.
    Between(ScalarPath, Bounds),
    /// `begins_with(b, :p)`.
    BeginsWith(Prefix),
    /// `contains(b, :p)`: a substring.
    ContainsB(Prefix),
    /// `contains(s, :m)`: a set member.
    Contains(Member),
    /// `contains(l, :e)`: a list element.
    ContainsL(Elem),
    /// `size(path) op :n` (`<>` is rendered and evaluated as `>`).
    Size(SizedPath, CmpOp, Num),
    /// `path IN (:v, :w)`.
    In(ScalarPath, Scalar, Scalar),
    /// `attribute_type(path, :t)`.
    Type(AnyPath, TypeName),
    /// `NOT c`.
    Not(Box<Cond>),
    /// `l AND r`.
    And(Box<Cond>, Box<Cond>),
    /// `l OR r`.
    Or(Box<Cond>, Box<Cond>),
}

/// How deep conditions nest.
const COND_DEPTH_MAX: u8 = 3;

impl<'a> Arbitrary<'a> for Cond {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Cond> {
        Cond::nested(u, COND_DEPTH_MAX)
    }
}

impl Cond {
    /// Whether it names a key attribute, which a Query's filter may not.
    fn names_key(&self) -> bool {
        let key = |path: AnyPath| matches!(path, AnyPath::Pk | AnyPath::Sk);
        match self {
            Cond::Exists(path) | Cond::NotExists(path) | Cond::Type(path, _) => key(*path),
            Cond::Cmp(path, ..) | Cond::Between(path, _) | Cond::In(path, ..) => {
                key((*path).into())
            }
            Cond::Not(inner) => inner.names_key(),
            Cond::And(left, right) | Cond::Or(left, right) => left.names_key() || right.names_key(),
            _ => false,
        }
    }

    fn nested(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Cond> {
        let last: u8 = if depth == 0 { 10 } else { 13 };
        let sub = |u: &mut Unstructured<'_>| Cond::nested(u, depth - 1).map(Box::new);
        Ok(match u.int_in_range(0..=last)? {
            0 => Cond::Exists(u.arbitrary()?),
            1 => Cond::NotExists(u.arbitrary()?),
            2 => Cond::Cmp(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            3 => Cond::Between(u.arbitrary()?, u.arbitrary()?),
            4 => Cond::BeginsWith(u.arbitrary()?),
            5 => Cond::ContainsB(u.arbitrary()?),
            6 => Cond::Contains(u.arbitrary()?),
            7 => Cond::ContainsL(u.arbitrary()?),
            8 => Cond::Size(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            9 => Cond::In(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            10 => Cond::Type(u.arbitrary()?, u.arbitrary()?),
            11 => Cond::Not(sub(u)?),
            12 => Cond::And(sub(u)?, sub(u)?),
            _ => Cond::Or(sub(u)?, sub(u)?),
        })
    }
}

/// An update of `a`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ActA {
    /// `SET a = :n`.
    Set(Num),
    /// `SET a = a + :n`.
    Inc(Num),
    /// `SET a = a - :n`.
    Dec(Num),
    /// `SET a = if_not_exists(a, :z) + :n`.
    IncOrInit(Num, Num),
    /// `ADD a :n`.
    Add(Num),
    /// `REMOVE a`.
    Remove,
}

/// An update of `b`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ActB {
    /// `SET b = :t`.
    Set(Text),
    /// `SET b = if_not_exists(b, :t)`.
    SetIfNotExists(Text),
    /// `REMOVE b`.
    Remove,
}

/// An update of `g`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ActG {
    /// `SET g = :t`.
    Set(Tag),
    /// `SET g = if_not_exists(g, :t)`.
    SetIfNotExists(Tag),
    /// `REMOVE g`.
    Remove,
}

/// An update of `h`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ActH {
    /// `SET h = :n`.
    Set(Num),
    /// `ADD h :n`.
    Add(Num),
    /// `REMOVE h`.
    Remove,
}

/// An update of `s`.
#[derive(Arbitrary, Clone, Debug)]
pub enum ActS {
    /// `SET s = :ss`.
    Set(Members),
    /// `ADD s :ss`.
    Add(Members),
    /// `DELETE s :ss`.
    Delete(Members),
    /// `REMOVE s`.
    Remove,
}

/// An update of `l`.
#[derive(Arbitrary, Clone, Debug)]
pub enum ActL {
    /// `SET l = :l`.
    Set(List),
    /// `SET l = list_append(if_not_exists(l, :empty), :l)`.
    Append(List),
    /// `SET l = list_append(:l, l)`.
    Prepend(List),
    /// `SET l[i] = :e`.
    SetIndex(Index, Elem),
    /// `REMOVE l[i]`.
    RemoveIndex(Index),
    /// `REMOVE l`.
    Remove,
}

/// An update of `m`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ActM {
    /// `SET m = :m` (with or without `x`).
    Set(Option<Num>),
    /// `SET m.x = :n`.
    SetX(Num),
    /// `REMOVE m.x`.
    RemoveX,
    /// `REMOVE m`.
    Remove,
}

/// An UpdateExpression: at most one action per attribute, so that no two paths overlap.
#[derive(Arbitrary, Clone, Debug)]
pub struct Update {
    a: Option<ActA>,
    b: Option<ActB>,
    s: Option<ActS>,
    l: Option<ActL>,
    m: Option<ActM>,
    g: Option<ActG>,
    h: Option<ActH>,
}

/// UpdateItem's `ReturnValues`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// `NONE`.
    None,
    /// `ALL_OLD`.
    AllOld,
    /// `UPDATED_OLD`.
    UpdatedOld,
    /// `ALL_NEW`.
    AllNew,
    /// `UPDATED_NEW`.
    UpdatedNew,
}

/// What a GetItem projection takes of `l`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ListPart {
    /// `l`.
    Whole,
    /// `l[i]`.
    Element(Index),
}

/// What a GetItem projection takes of `m`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum MapPart {
    /// `m`.
    Whole,
    /// `m.x`.
    X,
}

/// A ProjectionExpression (`a` alone when it would be empty).
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct Projection {
    pk: bool,
    sk: bool,
    a: bool,
    b: bool,
    s: bool,
    l: Option<ListPart>,
    m: Option<MapPart>,
}

/// A sort key condition of a Query.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum SortCond {
    /// `sk = :v`.
    Eq(SortValue),
    /// `sk < :v`.
    Lt(SortValue),
    /// `sk <= :v`.
    Le(SortValue),
    /// `sk > :v`.
    Gt(SortValue),
    /// `sk >= :v`.
    Ge(SortValue),
    /// `sk BETWEEN :lo AND :hi` (rendered low first).
    Between(SortValue, SortValue),
}

/// A PutItem.
#[derive(Arbitrary, Clone, Debug)]
pub struct PutOp {
    key: Key,
    attrs: Attrs,
    condition: Option<Cond>,
    return_old: bool,
    old_on_failure: bool,
}

/// A DeleteItem (with `ReturnValues: ALL_OLD`).
#[derive(Arbitrary, Clone, Debug)]
pub struct DeleteOp {
    key: Key,
    condition: Option<Cond>,
    old_on_failure: bool,
}

/// An UpdateItem.
#[derive(Arbitrary, Clone, Debug)]
pub struct UpdateOp {
    key: Key,
    update: Update,
    condition: Option<Cond>,
    returns: Returns,
    old_on_failure: bool,
}

/// A GetItem.
#[derive(Arbitrary, Clone, Debug)]
pub struct GetOp {
    key: Key,
    projection: Option<Projection>,
}

/// A Query, paged to the end.
#[derive(Arbitrary, Clone, Debug)]
pub struct QueryOp {
    partition: Partition,
    sort: Option<SortCond>,
    forward: bool,
    limit: Option<Limit>,
    filter: Option<Cond>,
    /// Left out with `count_only`, which refuses a projection.
    projection: Option<Projection>,
    count_only: bool,
}

/// A Scan, of the whole table or of every segment of a parallel scan, paged to the end.
#[derive(Arbitrary, Clone, Debug)]
pub struct ScanOp {
    limit: Option<Limit>,
    segments: Option<Segments>,
    filter: Option<Cond>,
    count_only: bool,
}

/// One step of a run.
#[derive(Clone, Debug)]
pub enum Op {
    /// PutItem.
    Put(PutOp),
    /// DeleteItem.
    Delete(DeleteOp),
    /// UpdateItem.
    Update(UpdateOp),
    /// GetItem.
    Get(GetOp),
    /// Query.
    Query(QueryOp),
    /// Scan.
    Scan(ScanOp),
    /// BatchWriteItem.
    BatchWrite(BatchWriteOp),
    /// BatchGetItem.
    BatchGet(BatchGetOp),
    /// TransactWriteItems.
    TransactWrite(TransactWriteOp),
    /// TransactGetItems.
    TransactGet(TransactGetOp),
    /// Query of one partition of a secondary index.
    IndexQuery(IndexQueryOp),
    /// PutItem or UpdateItem writing an index key attribute of the wrong type.
    Mistyped(MistypedOp),
    /// Closes the database and opens it again from its directory.
    Restart,
    /// Writes the storage core's live trees to SSTables, and compacts them when `true`, so
    /// that items are read back from SSTables and past tombstones.
    Flush(bool),
}

impl<'a> Arbitrary<'a> for Op {
    /// Writes are the most frequent, so that the table fills; restarts the rarest, being the
    /// slowest.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Op> {
        Ok(match u.int_in_range(0..=120u8)? {
            0..=27 => Op::Put(u.arbitrary()?),
            28..=55 => Op::Update(u.arbitrary()?),
            56..=63 => Op::Delete(u.arbitrary()?),
            64..=75 => Op::Get(u.arbitrary()?),
            76..=91 => Op::Query(u.arbitrary()?),
            92..=96 => Op::Scan(u.arbitrary()?),
            97..=99 => Op::BatchWrite(u.arbitrary()?),
            100..=101 => Op::BatchGet(u.arbitrary()?),
            102..=105 => Op::TransactWrite(u.arbitrary()?),
            106..=107 => Op::TransactGet(u.arbitrary()?),
            108 => Op::Flush(u.arbitrary()?),
            109..=116 => Op::IndexQuery(u.arbitrary()?),
            117..=119 => Op::Mistyped(u.arbitrary()?),
            _ => Op::Restart,
        })
    }
}

/// The operations fuzz input stands for: up to [`OPS_MAX`], drawn with `arbitrary` until the
/// input runs out.
#[must_use]
pub fn ops_from(bytes: &[u8]) -> Vec<Op> {
    let mut u = Unstructured::new(bytes);
    let mut ops = Vec::new();
    while ops.len() < OPS_MAX && !u.is_empty() {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}

// ---------------------------------------------------------------------------------------------
// Values, in both worlds.

fn key_item(pk: &str, sk: i64) -> Item {
    Item::from([("pk".to_owned(), s_value(pk)), ("sk".to_owned(), n_value(sk))])
}

fn n_value(n: i64) -> AttributeValue {
    AttributeValue::N(Number::from(n))
}

fn s_value(s: &str) -> AttributeValue {
    AttributeValue::S(s.to_owned())
}

/// A string set of distinct `members`, in their order.
fn ss_value<'m>(members: impl IntoIterator<Item = &'m str>) -> AttributeValue {
    AttributeValue::Ss(members.into_iter().map(str::to_owned).collect())
}

fn elem_value(elem: Elem) -> AttributeValue {
    match elem {
        Elem::N(n) => n_value(n.0),
        Elem::S(t) => s_value(t.0),
    }
}

fn list_value(list: &List) -> AttributeValue {
    AttributeValue::L(list.0.iter().copied().map(elem_value).collect())
}

fn map_value(x: Option<Num>) -> AttributeValue {
    AttributeValue::M(x.map(|n| ("x".to_owned(), n_value(n.0))).into_iter().collect())
}

fn scalar_value(scalar: Scalar) -> AttributeValue {
    match scalar {
        Scalar::N(n) => n_value(n.0),
        Scalar::S(t) => s_value(t.0),
    }
}

/// A number of the model: always a small integer.
fn number(n: &Number) -> i64 {
    n.to_i64().expect("the model's numbers are small integers")
}

/// The item with its sets sorted, so that items compare whatever order their sets are in.
fn normalized(item: Item) -> Item {
    item.into_iter().map(|(name, value)| (name, normalized_value(value))).collect()
}

fn normalized_value(value: AttributeValue) -> AttributeValue {
    match value {
        AttributeValue::Ss(mut set) => {
            set.sort();
            AttributeValue::Ss(set)
        }
        AttributeValue::Ns(mut set) => {
            set.sort();
            AttributeValue::Ns(set)
        }
        AttributeValue::Bs(mut set) => {
            set.sort();
            AttributeValue::Bs(set)
        }
        AttributeValue::L(list) => {
            AttributeValue::L(list.into_iter().map(normalized_value).collect())
        }
        AttributeValue::M(map) => AttributeValue::M(normalized(map)),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// The reference: conditions, updates and projections on the structured values.

fn lookup(item: &Item, path: AnyPath) -> Option<&AttributeValue> {
    match path {
        AnyPath::A => item.get("a"),
        AnyPath::B => item.get("b"),
        AnyPath::S => item.get("s"),
        AnyPath::L => item.get("l"),
        AnyPath::M => item.get("m"),
        AnyPath::Mx => match item.get("m") {
            Some(AttributeValue::M(map)) => map.get("x"),
            _ => None,
        },
        AnyPath::L0 => match item.get("l") {
            Some(AttributeValue::L(list)) => list.first(),
            _ => None,
        },
        AnyPath::Pk => item.get("pk"),
        AnyPath::Sk => item.get("sk"),
    }
}

/// The order of `value` against `scalar`; `None` when their types differ.
fn order(value: &AttributeValue, scalar: Scalar) -> Option<Ordering> {
    match (value, scalar) {
        (AttributeValue::N(n), Scalar::N(m)) => Some(number(n).cmp(&m.0)),
        (AttributeValue::S(s), Scalar::S(t)) => Some(s.as_str().cmp(t.0)),
        _ => None,
    }
}

fn compares(value: Option<&AttributeValue>, op: CmpOp, scalar: Scalar) -> bool {
    let ord = value.and_then(|v| order(v, scalar));
    match op {
        CmpOp::Eq => ord == Some(Ordering::Equal),
        // Not equal: also a missing attribute, or one of another type.
        CmpOp::Ne => ord != Some(Ordering::Equal),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

/// Whether `cond` holds for `item` (the empty item stands for a missing one).
fn holds(cond: &Cond, item: &Item) -> bool {
    match cond {
        Cond::Exists(path) => lookup(item, *path).is_some(),
        Cond::NotExists(path) => lookup(item, *path).is_none(),
        Cond::Cmp(path, op, scalar) => compares(lookup(item, (*path).into()), *op, *scalar),
        Cond::Between(path, bounds) => {
            let (low, high) = bounds.ordered();
            let value = lookup(item, (*path).into());
            compares(value, CmpOp::Ge, low) && compares(value, CmpOp::Le, high)
        }
        Cond::BeginsWith(p) => {
            matches!(item.get("b"), Some(AttributeValue::S(b)) if b.starts_with(p.0))
        }
        Cond::ContainsB(p) => {
            matches!(item.get("b"), Some(AttributeValue::S(b)) if b.contains(p.0))
        }
        Cond::Contains(m) => {
            matches!(item.get("s"), Some(AttributeValue::Ss(set)) if set.iter().any(|x| x == m.0))
        }
        Cond::ContainsL(e) => {
            matches!(item.get("l"), Some(AttributeValue::L(list)) if list.contains(&elem_value(*e)))
        }
        Cond::Size(path, op, n) => {
            let size = lookup(item, (*path).into()).and_then(size_of).map(n_value);
            size.is_some() && compares(size.as_ref(), op.for_size(), Scalar::N(*n))
        }
        Cond::In(path, v, w) => {
            let value = lookup(item, (*path).into());
            compares(value, CmpOp::Eq, *v) || compares(value, CmpOp::Eq, *w)
        }
        Cond::Type(path, t) => lookup(item, *path).is_some_and(|v| type_name(v) == t.0),
        Cond::Not(inner) => !holds(inner, item),
        Cond::And(left, right) => holds(left, item) && holds(right, item),
        Cond::Or(left, right) => holds(left, item) || holds(right, item),
    }
}

/// `size` of a value: a string's length, a set's, list's or map's number of members.
fn size_of(value: &AttributeValue) -> Option<i64> {
    let size = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::Ss(set) => set.len(),
        AttributeValue::L(list) => list.len(),
        AttributeValue::M(map) => map.len(),
        _ => return None,
    };
    Some(size as i64)
}

/// The reference's own type names, not `basalt::expr::type_name`: an oracle that shared the
/// engine's would share its mistakes.
fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
    }
}

/// Why a write did not happen.
#[derive(Clone, Debug, PartialEq)]
enum Refusal {
    /// ConditionalCheckFailedException, with the item when it was asked for.
    Condition(Option<Item>),
    /// A ValidationException raised by the item at hand.
    Invalid,
}

/// A path an update writes or removes, as `UPDATED_OLD`/`UPDATED_NEW` report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Top(&'static str),
    Mx,
    /// `l[i]`: which element is reported after a shift is not modelled; `l` is left out of
    /// the comparison.
    ListElement,
}

/// The item a put of `attrs` at `key` writes.
fn put_item(key: Key, attrs: &Attrs) -> Item {
    let mut item = key.item();
    let values = [
        ("a", attrs.a.0.map(|n| n_value(n.0))),
        ("b", attrs.b.map(|t| s_value(t.0))),
        ("s", attrs.s.as_ref().map(|m| ss_value(m.0.iter().copied()))),
        ("l", attrs.l.as_ref().map(list_value)),
        ("m", attrs.m.map(map_value)),
        ("g", attrs.g.0.map(|t| s_value(t.0))),
        ("h", attrs.h.0.map(|n| n_value(n.0))),
    ];
    for (name, value) in values {
        put_value(&mut item, name, value);
    }
    item
}

fn put_value(item: &mut Item, name: &str, value: Option<AttributeValue>) {
    match value {
        Some(value) => item.insert(name.to_owned(), value),
        None => item.remove(name),
    };
}

fn update_a(item: &mut Item, act: ActA) -> Result<(), Refusal> {
    let old = item.get("a").map(|v| match v {
        AttributeValue::N(n) => number(n),
        other => panic!("a is always a number, not {other:?}"),
    });
    let new = match act {
        ActA::Set(n) => Some(n.0),
        ActA::Inc(n) => Some(old.ok_or(Refusal::Invalid)? + n.0),
        ActA::Dec(n) => Some(old.ok_or(Refusal::Invalid)? - n.0),
        ActA::IncOrInit(z, n) => Some(old.unwrap_or(z.0) + n.0),
        ActA::Add(n) => Some(old.unwrap_or(0) + n.0),
        ActA::Remove => None,
    };
    put_value(item, "a", new.map(n_value));
    Ok(())
}

fn update_b(item: &mut Item, act: ActB) {
    let new = match act {
        ActB::Set(t) => Some(s_value(t.0)),
        ActB::SetIfNotExists(t) => Some(item.get("b").cloned().unwrap_or_else(|| s_value(t.0))),
        ActB::Remove => None,
    };
    put_value(item, "b", new);
}

fn update_s(item: &mut Item, act: &ActS) {
    let old: Option<BTreeSet<String>> = item.get("s").map(|v| match v {
        AttributeValue::Ss(set) => set.iter().cloned().collect(),
        other => panic!("s is always a string set, not {other:?}"),
    });
    let new = match act {
        ActS::Set(members) => Some(members.0.iter().map(|m| (*m).to_owned()).collect()),
        ActS::Add(members) => {
            let mut set = old.unwrap_or_default();
            set.extend(members.0.iter().map(|m| (*m).to_owned()));
            Some(set)
        }
        ActS::Delete(members) => old.map(|mut set| {
            set.retain(|x| !members.0.contains(&x.as_str()));
            set
        }),
        ActS::Remove => None,
    };
    // A set emptied by DELETE disappears.
    let new = new.filter(|set| !set.is_empty());
    put_value(item, "s", new.map(|set| ss_value(set.iter().map(String::as_str))));
}

fn update_l(item: &mut Item, act: &ActL, exists: bool) -> Result<(), Refusal> {
    let old = match item.get("l") {
        Some(AttributeValue::L(list)) => Some(list.clone()),
        None => None,
        Some(other) => panic!("l is always a list, not {other:?}"),
    };
    let new = match act {
        ActL::Set(list) => Some(list.0.iter().copied().map(elem_value).collect()),
        ActL::Append(list) => {
            let mut new = old.unwrap_or_default();
            new.extend(list.0.iter().copied().map(elem_value));
            Some(new)
        }
        ActL::Prepend(list) => {
            let mut new: Vec<AttributeValue> = list.0.iter().copied().map(elem_value).collect();
            new.extend(old.ok_or(Refusal::Invalid)?);
            Some(new)
        }
        ActL::SetIndex(index, elem) => {
            let mut new = old.ok_or(Refusal::Invalid)?;
            match new.get_mut(index.0) {
                Some(slot) => *slot = elem_value(*elem),
                None => new.push(elem_value(*elem)),
            }
            Some(new)
        }
        ActL::RemoveIndex(_) if old.is_none() && !exists => None,
        ActL::RemoveIndex(index) => {
            let mut new = old.ok_or(Refusal::Invalid)?;
            if index.0 < new.len() {
                new.remove(index.0);
            }
            Some(new)
        }
        ActL::Remove => None,
    };
    put_value(item, "l", new.map(AttributeValue::L));
    Ok(())
}

fn update_m(item: &mut Item, act: ActM, exists: bool) -> Result<(), Refusal> {
    let old = match item.get("m") {
        Some(AttributeValue::M(map)) => Some(map.clone()),
        None => None,
        Some(other) => panic!("m is always a map, not {other:?}"),
    };
    let new = match act {
        ActM::Set(x) => Some(map_value(x)),
        ActM::SetX(n) => {
            let mut map = old.ok_or(Refusal::Invalid)?;
            map.insert("x".to_owned(), n_value(n.0));
            Some(AttributeValue::M(map))
        }
        ActM::RemoveX if old.is_none() && !exists => None,
        ActM::RemoveX => {
            let mut map = old.ok_or(Refusal::Invalid)?;
            map.remove("x");
            Some(AttributeValue::M(map))
        }
        ActM::Remove => None,
    };
    put_value(item, "m", new);
    Ok(())
}

/// Applies `update` to `item` (`exists`: the item was stored, not just its key); each
/// attribute's action reads only that attribute, so applying them one after the other is
/// applying them all to the item as it was.
fn apply(update: &Update, item: &mut Item, exists: bool) -> Result<(), Refusal> {
    if let Some(act) = update.a {
        update_a(item, act)?;
    }
    if let Some(act) = update.b {
        update_b(item, act);
    }
    if let Some(act) = &update.s {
        update_s(item, act);
    }
    if let Some(act) = &update.l {
        update_l(item, act, exists)?;
    }
    if let Some(act) = update.m {
        update_m(item, act, exists)?;
    }
    if let Some(act) = update.g {
        update_g(item, act);
    }
    if let Some(act) = update.h {
        update_h(item, act);
    }
    Ok(())
}

fn update_g(item: &mut Item, act: ActG) {
    let new = match act {
        ActG::Set(t) => Some(s_value(t.0)),
        ActG::SetIfNotExists(t) => Some(item.get("g").cloned().unwrap_or_else(|| s_value(t.0))),
        ActG::Remove => None,
    };
    put_value(item, "g", new);
}

fn update_h(item: &mut Item, act: ActH) {
    let old = item.get("h").map(|v| match v {
        AttributeValue::N(n) => number(n),
        other => panic!("h is always a number, not {other:?}"),
    });
    let new = match act {
        ActH::Set(n) => Some(n.0),
        ActH::Add(n) => Some(old.unwrap_or(0) + n.0),
        ActH::Remove => None,
    };
    put_value(item, "h", new.map(n_value));
}

fn targets(update: &Update) -> Vec<Target> {
    let mut targets = Vec::new();
    if update.a.is_some() {
        targets.push(Target::Top("a"));
    }
    if update.b.is_some() {
        targets.push(Target::Top("b"));
    }
    if update.s.is_some() {
        targets.push(Target::Top("s"));
    }
    match update.l {
        Some(ActL::SetIndex(..) | ActL::RemoveIndex(_)) => targets.push(Target::ListElement),
        Some(_) => targets.push(Target::Top("l")),
        None => {}
    }
    match update.m {
        Some(ActM::SetX(_) | ActM::RemoveX) => targets.push(Target::Mx),
        Some(_) => targets.push(Target::Top("m")),
        None => {}
    }
    if update.g.is_some() {
        targets.push(Target::Top("g"));
    }
    if update.h.is_some() {
        targets.push(Target::Top("h"));
    }
    targets
}

/// The updated paths of `item`, as `UPDATED_OLD`/`UPDATED_NEW` return them.
fn project_targets(item: &Item, targets: &[Target]) -> Item {
    let mut out = Item::new();
    for target in targets {
        match target {
            Target::Top(name) => {
                if let Some(value) = item.get(*name) {
                    out.insert((*name).to_owned(), value.clone());
                }
            }
            Target::Mx => {
                if let Some(x) = lookup(item, AnyPath::Mx) {
                    out.insert(
                        "m".to_owned(),
                        AttributeValue::M(Item::from([("x".into(), x.clone())])),
                    );
                }
            }
            Target::ListElement => {}
        }
    }
    out
}

/// `projection` of `item`.
fn project(item: &Item, projection: &Projection) -> Item {
    let mut out = Item::new();
    let names = projection.top_level();
    for name in names {
        if let Some(value) = item.get(name) {
            out.insert(name.to_owned(), value.clone());
        }
    }
    if let (Some(ListPart::Element(index)), Some(AttributeValue::L(list))) =
        (projection.l, item.get("l"))
    {
        if let Some(elem) = list.get(index.0) {
            out.insert("l".to_owned(), AttributeValue::L(vec![elem.clone()]));
        }
    }
    if let (Some(MapPart::X), Some(x)) = (projection.m, lookup(item, AnyPath::Mx)) {
        out.insert("m".to_owned(), AttributeValue::M(Item::from([("x".into(), x.clone())])));
    }
    out
}

impl Projection {
    /// The top-level attributes it names whole (`a` when it names nothing at all).
    fn top_level(&self) -> Vec<&'static str> {
        let flags = [
            (self.pk, "pk"),
            (self.sk, "sk"),
            (self.a, "a"),
            (self.b, "b"),
            (self.s, "s"),
            (matches!(self.l, Some(ListPart::Whole)), "l"),
            (matches!(self.m, Some(MapPart::Whole)), "m"),
        ];
        let mut names: Vec<&str> = flags.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        if names.is_empty() && self.l.is_none() && self.m.is_none() {
            names.push("a");
        }
        names
    }
}

impl SortCond {
    fn holds(self, sk: i64) -> bool {
        match self {
            SortCond::Eq(v) => sk == v.0,
            SortCond::Lt(v) => sk < v.0,
            SortCond::Le(v) => sk <= v.0,
            SortCond::Gt(v) => sk > v.0,
            SortCond::Ge(v) => sk >= v.0,
            SortCond::Between(x, y) => (x.0.min(y.0)..=x.0.max(y.0)).contains(&sk),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering for the engine.

/// Expression text under construction, with the placeholders it uses.
#[derive(Default)]
struct Render {
    names: BTreeMap<String, String>,
    values: Item,
}

impl Render {
    /// A name, through a placeholder for some (so both ways are exercised).
    fn name(&mut self, name: &str) -> String {
        if matches!(name, "b" | "l" | "x") {
            let placeholder = format!("#{name}");
            self.names.insert(placeholder.clone(), name.to_owned());
            placeholder
        } else {
            name.to_owned()
        }
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn path(&mut self, path: AnyPath) -> String {
        match path {
            AnyPath::A => self.name("a"),
            AnyPath::B => self.name("b"),
            AnyPath::S => self.name("s"),
            AnyPath::L => self.name("l"),
            AnyPath::M => self.name("m"),
            AnyPath::Mx => format!("{}.{}", self.name("m"), self.name("x")),
            AnyPath::L0 => format!("{}[0]", self.name("l")),
            AnyPath::Pk => self.name("pk"),
            AnyPath::Sk => self.name("sk"),
        }
    }

    fn cond(&mut self, cond: &Cond) -> String {
        match cond {
            Cond::Exists(path) => format!("attribute_exists({})", self.path(*path)),
            Cond::NotExists(path) => format!("attribute_not_exists({})", self.path(*path)),
            Cond::Cmp(path, op, scalar) => {
                let path = self.path((*path).into());
                format!("{path} {} {}", op.symbol(), self.value(scalar_value(*scalar)))
            }
            Cond::Between(path, bounds) => {
                let path = self.path((*path).into());
                let (low, high) = bounds.ordered();
                let low = self.value(scalar_value(low));
                format!("{path} BETWEEN {low} AND {}", self.value(scalar_value(high)))
            }
            Cond::BeginsWith(p) => {
                format!("begins_with({}, {})", self.path(AnyPath::B), self.value(s_value(p.0)))
            }
            Cond::ContainsB(p) => {
                format!("contains({}, {})", self.path(AnyPath::B), self.value(s_value(p.0)))
            }
            Cond::Contains(m) => {
                format!("contains({}, {})", self.path(AnyPath::S), self.value(s_value(m.0)))
            }
            Cond::ContainsL(e) => {
                format!("contains({}, {})", self.path(AnyPath::L), self.value(elem_value(*e)))
            }
            Cond::Size(path, op, n) => {
                let path = self.path((*path).into());
                format!("size({path}) {} {}", op.for_size().symbol(), self.value(n_value(n.0)))
            }
            Cond::In(path, v, w) => {
                let path = self.path((*path).into());
                let v = self.value(scalar_value(*v));
                format!("{path} IN ({v}, {})", self.value(scalar_value(*w)))
            }
            Cond::Type(path, t) => {
                format!("attribute_type({}, {})", self.path(*path), self.value(s_value(t.0)))
            }
            Cond::Not(inner) => format!("NOT ({})", self.cond(inner)),
            Cond::And(left, right) => format!("({}) AND ({})", self.cond(left), self.cond(right)),
            Cond::Or(left, right) => format!("({}) OR ({})", self.cond(left), self.cond(right)),
        }
    }

    /// The UpdateExpression of `update`, `None` when it has no action.
    fn update(&mut self, update: &Update) -> Option<String> {
        let mut clauses = Clauses::default();
        if let Some(act) = update.a {
            self.update_a(act, &mut clauses);
        }
        if let Some(act) = update.b {
            let b = self.name("b");
            match act {
                ActB::Set(t) => clauses.set.push(format!("{b} = {}", self.value(s_value(t.0)))),
                ActB::SetIfNotExists(t) => {
                    let t = self.value(s_value(t.0));
                    clauses.set.push(format!("{b} = if_not_exists({b}, {t})"));
                }
                ActB::Remove => clauses.remove.push(b),
            }
        }
        if let Some(act) = &update.s {
            let s = self.name("s");
            match act {
                ActS::Set(m) => clauses.set.push(format!("{s} = {}", self.members(m))),
                ActS::Add(m) => clauses.add.push(format!("{s} {}", self.members(m))),
                ActS::Delete(m) => clauses.delete.push(format!("{s} {}", self.members(m))),
                ActS::Remove => clauses.remove.push(s),
            }
        }
        if let Some(act) = &update.l {
            self.update_l(act, &mut clauses);
        }
        if let Some(act) = update.m {
            self.update_m(act, &mut clauses);
        }
        self.update_indexed(update, &mut clauses);
        clauses.render()
    }

    fn members(&mut self, members: &Members) -> String {
        self.value(ss_value(members.0.iter().copied()))
    }

    fn update_a(&mut self, act: ActA, clauses: &mut Clauses) {
        let a = self.name("a");
        match act {
            ActA::Set(n) => clauses.set.push(format!("{a} = {}", self.value(n_value(n.0)))),
            ActA::Inc(n) => clauses.set.push(format!("{a} = {a} + {}", self.value(n_value(n.0)))),
            ActA::Dec(n) => clauses.set.push(format!("{a} = {a} - {}", self.value(n_value(n.0)))),
            ActA::IncOrInit(z, n) => {
                let z = self.value(n_value(z.0));
                let n = self.value(n_value(n.0));
                clauses.set.push(format!("{a} = if_not_exists({a}, {z}) + {n}"));
            }
            ActA::Add(n) => clauses.add.push(format!("{a} {}", self.value(n_value(n.0)))),
            ActA::Remove => clauses.remove.push(a),
        }
    }

    /// The actions on `g` and `h`, index key attributes.
    fn update_indexed(&mut self, update: &Update, clauses: &mut Clauses) {
        if let Some(act) = update.g {
            match act {
                ActG::Set(t) => clauses.set.push(format!("g = {}", self.value(s_value(t.0)))),
                ActG::SetIfNotExists(t) => {
                    let t = self.value(s_value(t.0));
                    clauses.set.push(format!("g = if_not_exists(g, {t})"));
                }
                ActG::Remove => clauses.remove.push("g".to_owned()),
            }
        }
        if let Some(act) = update.h {
            match act {
                ActH::Set(n) => clauses.set.push(format!("h = {}", self.value(n_value(n.0)))),
                ActH::Add(n) => clauses.add.push(format!("h {}", self.value(n_value(n.0)))),
                ActH::Remove => clauses.remove.push("h".to_owned()),
            }
        }
    }

    fn update_l(&mut self, act: &ActL, clauses: &mut Clauses) {
        let l = self.name("l");
        match act {
            ActL::Set(list) => clauses.set.push(format!("{l} = {}", self.value(list_value(list)))),
            ActL::Append(list) => {
                let empty = self.value(AttributeValue::L(Vec::new()));
                let list = self.value(list_value(list));
                clauses.set.push(format!("{l} = list_append(if_not_exists({l}, {empty}), {list})"));
            }
            ActL::Prepend(list) => {
                let list = self.value(list_value(list));
                clauses.set.push(format!("{l} = list_append({list}, {l})"));
            }
            ActL::SetIndex(index, elem) => {
                let elem = self.value(elem_value(*elem));
                clauses.set.push(format!("{l}[{}] = {elem}", index.0));
            }
            ActL::RemoveIndex(index) => clauses.remove.push(format!("{l}[{}]", index.0)),
            ActL::Remove => clauses.remove.push(l),
        }
    }

    fn update_m(&mut self, act: ActM, clauses: &mut Clauses) {
        let m = self.name("m");
        match act {
            ActM::Set(x) => clauses.set.push(format!("{m} = {}", self.value(map_value(x)))),
            ActM::SetX(n) => {
                let x = self.name("x");
                clauses.set.push(format!("{m}.{x} = {}", self.value(n_value(n.0))));
            }
            ActM::RemoveX => {
                let x = self.name("x");
                clauses.remove.push(format!("{m}.{x}"));
            }
            ActM::Remove => clauses.remove.push(m),
        }
    }

    fn projection(&mut self, projection: &Projection) -> String {
        let mut paths: Vec<String> = projection.top_level().iter().map(|n| self.name(n)).collect();
        if let Some(ListPart::Element(index)) = projection.l {
            paths.push(format!("{}[{}]", self.name("l"), index.0));
        }
        if let Some(MapPart::X) = projection.m {
            paths.push(self.path(AnyPath::Mx));
        }
        paths.join(", ")
    }

    fn sort(&mut self, sort: SortCond) -> String {
        let (op, v) = match sort {
            SortCond::Between(x, y) => {
                let low = self.value(n_value(x.0.min(y.0)));
                let high = self.value(n_value(x.0.max(y.0)));
                return format!("sk BETWEEN {low} AND {high}");
            }
            SortCond::Eq(v) => ("=", v),
            SortCond::Lt(v) => ("<", v),
            SortCond::Le(v) => ("<=", v),
            SortCond::Gt(v) => (">", v),
            SortCond::Ge(v) => (">=", v),
        };
        format!("sk {op} {}", self.value(n_value(v.0)))
    }

    /// The placeholder maps, `None` when empty (DynamoDB refuses empty ones).
    fn maps(self) -> (Option<BTreeMap<String, String>>, Option<Item>) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
    }
}

impl CmpOp {
    /// The operator used with `size`: `<>` on a missing attribute is left out of the grammar.
    fn for_size(self) -> CmpOp {
        match self {
            CmpOp::Ne => CmpOp::Gt,
            other => other,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// The actions of an UpdateExpression, by clause.
#[derive(Default)]
struct Clauses {
    set: Vec<String>,
    remove: Vec<String>,
    add: Vec<String>,
    delete: Vec<String>,
}

impl Clauses {
    fn render(self) -> Option<String> {
        let clauses = [
            ("SET", self.set),
            ("REMOVE", self.remove),
            ("ADD", self.add),
            ("DELETE", self.delete),
        ];
        let parts: Vec<String> = clauses
            .into_iter()
            .filter(|(_, actions)| !actions.is_empty())
            .map(|(keyword, actions)| format!("{keyword} {}", actions.join(", ")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

// ---------------------------------------------------------------------------------------------
// The run.

/// The database and the reference, side by side.
struct Harness<'d> {
    dir: &'d Path,
    db: Option<Db>,
    model: BTreeMap<(String, i64), Item>,
    /// The `ClientRequestToken`s handed out so far (each is used by one operation only).
    tokens: u64,
    /// The checks of the indexes so far (each pages its Scans with another `Limit`).
    index_checks: usize,
    /// The changes the table's stream must hold.
    stream: stream::StreamLog,
    /// Single-item writes so far: every other one goes through the deferred API
    /// (`Db::put_item_deferred` & co., answered once durable), which must answer exactly as the
    /// blocking one.
    writes: u64,
}

/// Runs `ops` against a database in `dir` (created there, empty) and the reference, comparing
/// every answer.
///
/// # Panics
/// On any difference, on an `InternalServerError`, and on a request the engine refuses that
/// the reference accepts (with the request in the message).
pub fn run(ops: &[Op], dir: &Path) {
    let db = Db::open_with(dir, options()).expect("open the database");
    create_table(&db);
    let stream = stream::StreamLog::new(&db);
    let model = BTreeMap::new();
    let mut harness =
        Harness { dir, db: Some(db), model, tokens: 0, index_checks: 0, stream, writes: 0 };
    for (at, op) in ops.iter().enumerate() {
        let watch = harness.watch(op);
        match op {
            Op::Put(put) => harness.put(put),
            Op::Delete(delete) => harness.delete(delete),
            Op::Update(update) => harness.update(update),
            Op::Get(get) => harness.get(get),
            Op::Query(query) => harness.query(query),
            Op::Scan(scan) => harness.scan(scan),
            Op::BatchWrite(batch) => harness.batch_write(batch),
            Op::BatchGet(batch) => harness.batch_get(batch),
            Op::TransactWrite(transaction) => harness.transact_write(transaction),
            Op::TransactGet(transaction) => harness.transact_get(transaction),
            Op::IndexQuery(query) => harness.index_query(query),
            Op::Mistyped(write) => harness.mistyped(write),
            Op::Restart => harness.restart(),
            Op::Flush(compact) => harness.flush(*compact),
        }
        if let Some(watch) = watch {
            harness.check_watched(op, watch);
        }
        // After every write (a restart checks everything itself).
        if matches!(
            op,
            Op::Put(_)
                | Op::Delete(_)
                | Op::Update(_)
                | Op::BatchWrite(_)
                | Op::TransactWrite(_)
                | Op::Mistyped(_)
                | Op::Flush(_)
        ) {
            harness.check_indexes();
        }
        if matches!(op, Op::Flush(_)) || at % STREAM_CHECK_EVERY == STREAM_CHECK_EVERY - 1 {
            harness.check_stream(&format!("after operation {at}, {op:?}"));
        }
    }
    harness.check_everything("at the end");
    harness.db.take().expect("the database is open").close().expect("close the database");
}

/// Small and unsynced, so that a run costs milliseconds; a clean close keeps everything all
/// the same.
fn options() -> DbOptions {
    let core = Options {
        durability: Durability::Buffered,
        shards: 4,
        memory_budget_bytes: 64 << 10,
        table_target_bytes: 4 << 10,
        level_base_bytes: 16 << 10,
        wal_segment_bytes: 16 << 10,
        background: true,
        ..Options::default()
    };
    DbOptions {
        core,
        ttl: TtlOptions { background: false, ..TtlOptions::default() },
        streams: StreamOptions { trim_interval: None, ..StreamOptions::default() },
        ..DbOptions::default()
    }
}

fn create_table(db: &Db) {
    let input = CreateTableInput::new(TABLE).partition_key("pk", "S").sort_key("sk", "N");
    db.create_table(stream::with_stream(index::with_indexes(input))).expect("create the table");
}

/// A write's answer: the returned attributes, or why it was refused. Panics on errors that
/// are never right here.
fn write_answer(
    result: Result<WriteItemOutput, DbError>,
    request: &dyn Debug,
) -> Result<Option<Item>, Refusal> {
    match result {
        Ok(output) => Ok(output.attributes.map(normalized)),
        Err(DbError::ConditionalCheckFailed { item, .. }) => {
            Err(Refusal::Condition(item.map(normalized)))
        }
        Err(DbError::Validation(_)) => Err(Refusal::Invalid),
        Err(other) => panic!("{request:?}\nfailed: {other:?}"),
    }
}

/// A read's answer; every refusal is a bug (of the generator or of the engine).
fn read_answer<T>(result: Result<T, DbError>, request: &dyn Debug) -> T {
    match result {
        Ok(output) => output,
        Err(error) => panic!("{request:?}\nfailed: {error:?}"),
    }
}

impl Harness<'_> {
    fn db(&self) -> &Db {
        self.db.as_ref().expect("the database is open between operations")
    }

    /// Whether this single-item write goes through the deferred API (every other one).
    fn deferred(&mut self) -> bool {
        self.writes += 1;
        self.writes % 2 == 0
    }

    fn put_item(&mut self, input: PutItemInput) -> Result<WriteItemOutput, DbError> {
        if self.deferred() {
            self.db().put_item_deferred(input).wait()
        } else {
            self.db().put_item(input)
        }
    }

    fn delete_item(&mut self, input: DeleteItemInput) -> Result<WriteItemOutput, DbError> {
        if self.deferred() {
            self.db().delete_item_deferred(input).wait()
        } else {
            self.db().delete_item(input)
        }
    }

    fn update_item(&mut self, input: UpdateItemInput) -> Result<WriteItemOutput, DbError> {
        if self.deferred() {
            self.db().update_item_deferred(input).wait()
        } else {
            self.db().update_item(input)
        }
    }

    fn old(&self, key: Key) -> Option<&Item> {
        self.model.get(&key.model_key())
    }

    /// The condition's verdict on the item as it is; `Err` carries the failure's item.
    fn check_condition(
        &self,
        key: Key,
        condition: Option<&Cond>,
        old_on_failure: bool,
    ) -> Result<(), Refusal> {
        let empty = Item::new();
        let old = self.old(key);
        match condition {
            Some(cond) if !holds(cond, old.unwrap_or(&empty)) => {
                Err(Refusal::Condition(old.filter(|_| old_on_failure).cloned()))
            }
            _ => Ok(()),
        }
    }

    /// Compares a write's answer with the reference's, panicking with the request.
    fn compare_write(
        &self,
        request: &dyn Debug,
        expected: &Result<Option<Item>, Refusal>,
        actual: &Result<Option<Item>, Refusal>,
    ) {
        if actual != expected {
            panic!(
                "{request:?}\nanswered {actual:?}\nexpected {expected:?}\nitem before: {:?}",
                self.model
            );
        }
    }

    fn put(&mut self, op: &PutOp) {
        let item = put_item(op.key, &op.attrs);
        let mut render = Render::default();
        let condition = op.condition.as_ref().map(|c| render.cond(c));
        let (names, values) = render.maps();
        let input = PutItemInput {
            table_name: Some(TABLE.into()),
            item: Some(item.clone()),
            return_values: op.return_old.then(|| "ALL_OLD".into()),
            condition_expression: condition,
            expression_attribute_names: names,
            expression_attribute_values: values,
            return_values_on_condition_check_failure: op.old_on_failure.then(|| "ALL_OLD".into()),
            ..PutItemInput::default()
        };
        let expected =
            self.check_condition(op.key, op.condition.as_ref(), op.old_on_failure).map(|()| {
                let old = self.store(op.key.model_key(), Some(item));
                old.filter(|_| op.return_old)
            });
        let actual = write_answer(self.put_item(input.clone()), &input);
        self.compare_write(&(op, input), &expected, &actual);
        self.check_count();
    }

    fn delete(&mut self, op: &DeleteOp) {
        let mut render = Render::default();
        let condition = op.condition.as_ref().map(|c| render.cond(c));
        let (names, values) = render.maps();
        let input = DeleteItemInput {
            table_name: Some(TABLE.into()),
            key: Some(op.key.item()),
            return_values: Some("ALL_OLD".into()),
            condition_expression: condition,
            expression_attribute_names: names,
            expression_attribute_values: values,
            return_values_on_condition_check_failure: op.old_on_failure.then(|| "ALL_OLD".into()),
            ..DeleteItemInput::default()
        };
        let expected = self
            .check_condition(op.key, op.condition.as_ref(), op.old_on_failure)
            .map(|()| self.store(op.key.model_key(), None));
        let actual = write_answer(self.delete_item(input.clone()), &input);
        self.compare_write(&(op, input), &expected, &actual);
        self.check_count();
    }

    fn update(&mut self, op: &UpdateOp) {
        let mut render = Render::default();
        let update = render.update(&op.update);
        let condition = op.condition.as_ref().map(|c| render.cond(c));
        let (names, values) = render.maps();
        let returns = match op.returns {
            Returns::None => "NONE",
            Returns::AllOld => "ALL_OLD",
            Returns::UpdatedOld => "UPDATED_OLD",
            Returns::AllNew => "ALL_NEW",
            Returns::UpdatedNew => "UPDATED_NEW",
        };
        let input = UpdateItemInput {
            table_name: Some(TABLE.into()),
            key: Some(op.key.item()),
            update_expression: update,
            condition_expression: condition,
            expression_attribute_names: names,
            expression_attribute_values: values,
            return_values: Some(returns.into()),
            return_values_on_condition_check_failure: op.old_on_failure.then(|| "ALL_OLD".into()),
            ..UpdateItemInput::default()
        };
        let expected = self.expected_update(op);
        let mut actual = write_answer(self.update_item(input.clone()), &input);
        if targets(&op.update).contains(&Target::ListElement)
            && matches!(op.returns, Returns::UpdatedOld | Returns::UpdatedNew)
        {
            // Which list element UPDATED_* report is not modelled: compare without `l`.
            if let Ok(attributes) = &mut actual {
                *attributes = attributes
                    .take()
                    .map(|mut a| {
                        a.remove("l");
                        a
                    })
                    .filter(|a| !a.is_empty());
            }
        }
        self.compare_write(&(op, input), &expected, &actual);
        if expected.is_ok() {
            let old = self.old(op.key);
            let exists = old.is_some();
            let mut new = old.cloned().unwrap_or_else(|| op.key.item());
            apply(&op.update, &mut new, exists)
                .expect("the expected answer said the update applies");
            self.store(op.key.model_key(), Some(new));
        }
        self.check_count();
    }

    /// The reference's answer to an UpdateItem, without changing the model.
    fn expected_update(&self, op: &UpdateOp) -> Result<Option<Item>, Refusal> {
        self.check_condition(op.key, op.condition.as_ref(), op.old_on_failure)?;
        let old = self.old(op.key);
        let mut new = old.cloned().unwrap_or_else(|| op.key.item());
        apply(&op.update, &mut new, old.is_some())?;
        let targets = targets(&op.update);
        let attributes = match op.returns {
            Returns::None => None,
            Returns::AllOld => old.cloned(),
            Returns::AllNew => Some(new),
            Returns::UpdatedOld => old.map(|old| project_targets(old, &targets)),
            Returns::UpdatedNew => Some(project_targets(&new, &targets)),
        };
        Ok(attributes.filter(|a| !a.is_empty()))
    }

    fn get(&mut self, op: &GetOp) {
        let mut render = Render::default();
        let projection = op.projection.as_ref().map(|p| render.projection(p));
        let (names, _) = render.maps();
        let input = GetItemInput {
            table_name: Some(TABLE.into()),
            key: Some(op.key.item()),
            consistent_read: Some(true),
            projection_expression: projection,
            expression_attribute_names: names,
            ..GetItemInput::default()
        };
        let expected = self.old(op.key).map(|item| match &op.projection {
            Some(projection) => project(item, projection),
            None => item.clone(),
        });
        let actual = read_answer(self.db().get_item(input.clone()), &input).item.map(normalized);
        assert_eq!(actual, expected, "{op:?}\n{input:?}");
    }

    fn query(&mut self, op: &QueryOp) {
        let partition = PARTITIONS[op.partition.0];
        let mut render = Render::default();
        let mut key_condition = format!("pk = {}", render.value(s_value(partition)));
        if let Some(sort) = op.sort {
            key_condition = format!("{key_condition} AND {}", render.sort(sort));
        }
        // A Query's filter may not name the key: such a filter is left out.
        let filter_cond = op.filter.as_ref().filter(|c| !c.names_key());
        let filter = filter_cond.map(|c| render.cond(c));
        let projection = op.projection.filter(|_| !op.count_only);
        let projection_expression = projection.as_ref().map(|p| render.projection(p));
        let (names, values) = render.maps();
        let mut input = QueryInput {
            projection_expression,
            table_name: Some(TABLE.into()),
            key_condition_expression: Some(key_condition),
            filter_expression: filter,
            expression_attribute_names: names,
            expression_attribute_values: values,
            select: op.count_only.then(|| "COUNT".into()),
            limit: op.limit.map(|l| l.0 as i64),
            consistent_read: Some(true),
            scan_index_forward: Some(op.forward),
            ..QueryInput::default()
        };
        let mut matching: Vec<&Item> = self
            .model
            .range((partition.to_owned(), i64::MIN)..=(partition.to_owned(), i64::MAX))
            .filter(|((_, sk), _)| op.sort.is_none_or(|s| s.holds(*sk)))
            .map(|(_, item)| item)
            .collect();
        if !op.forward {
            matching.reverse();
        }
        let mut position = 0;
        for _ in 0..PAGES_MAX {
            let mut expected =
                expected_page(&matching[position..], op.limit, filter_cond, op.count_only);
            if let (Some(items), Some(projection)) = (&mut expected.items, &projection) {
                *items = items.iter().map(|item| project(item, projection)).collect();
            }
            position += expected.scanned_count as usize;
            let actual = normalized_page(read_answer(self.db().query(input.clone()), &input));
            assert_eq!(actual, expected, "{op:?}\n{input:?}");
            if actual.last_evaluated_key.is_none() {
                return;
            }
            input.exclusive_start_key = actual.last_evaluated_key;
        }
        panic!("{op:?}: more than {PAGES_MAX} pages");
    }

    fn scan(&mut self, op: &ScanOp) {
        let mut render = Render::default();
        let filter = op.filter.as_ref().map(|c| render.cond(c));
        let (names, values) = render.maps();
        let template = ScanInput {
            table_name: Some(TABLE.into()),
            filter_expression: filter,
            expression_attribute_names: names,
            expression_attribute_values: values,
            select: op.count_only.then(|| "COUNT".into()),
            limit: op.limit.map(|l| l.0 as i64),
            consistent_read: Some(true),
            total_segments: op.segments.map(|s| s.0),
            ..ScanInput::default()
        };
        let mut totals = ScanTotals::default();
        for segment in 0..op.segments.map_or(1, |s| s.0) {
            let input = ScanInput { segment: op.segments.map(|_| segment), ..template.clone() };
            self.scan_segment(op, input, &mut totals);
        }
        let passing: Vec<&Item> = self
            .model
            .values()
            .filter(|item| op.filter.as_ref().is_none_or(|c| holds(c, item)))
            .collect();
        assert_eq!(totals.scanned, self.model.len(), "{op:?}: items read by the whole scan");
        assert_eq!(totals.count, passing.len(), "{op:?}: items passing the filter");
        if !op.count_only {
            totals.items.sort_by_key(model_key_of);
            let expected: Vec<Item> = passing.into_iter().cloned().collect();
            assert_eq!(totals.items, expected, "{op:?}: the items of the whole scan");
        }
    }

    /// Pages through one segment of a Scan, checking each page against the reference.
    fn scan_segment(&self, op: &ScanOp, mut input: ScanInput, totals: &mut ScanTotals) {
        for _ in 0..PAGES_MAX {
            let page = normalized_page(read_answer(self.db().scan(input.clone()), &input));
            let scanned = usize::try_from(page.scanned_count).expect("a count");
            let limit = op.limit.map_or(usize::MAX, |l| l.0);
            assert!(scanned <= limit, "{op:?}\n{input:?}\n{page:?}: more read than Limit");
            assert_eq!(
                page.last_evaluated_key.is_some(),
                scanned == limit,
                "{op:?}\n{input:?}\n{page:?}: LastEvaluatedKey iff Limit reached"
            );
            assert_eq!(page.items.is_none(), op.count_only, "{op:?}: Items present unless COUNT");
            totals.scanned += scanned;
            totals.count += usize::try_from(page.count).expect("a count");
            for item in page.items.iter().flatten() {
                let stored = self.model.get(&model_key_of(item));
                assert_eq!(Some(item), stored, "{op:?}\n{input:?}: a scanned item");
                assert!(
                    op.filter.as_ref().is_none_or(|c| holds(c, item)),
                    "{op:?}: {item:?} fails the filter"
                );
                totals.items.push(item.clone());
            }
            if let Some(items) = &page.items {
                assert_eq!(items.len() as i64, page.count, "{op:?}: Count is the items returned");
            }
            match page.last_evaluated_key {
                None => return,
                Some(last) => {
                    assert!(
                        self.model.contains_key(&model_key_of(&last)),
                        "{op:?}: LastEvaluatedKey {last:?} names no item"
                    );
                    input.exclusive_start_key = Some(last);
                }
            }
        }
        panic!("{op:?}: more than {PAGES_MAX} pages");
    }

    fn flush(&mut self, compact: bool) {
        let core = self.db().core();
        core.flush().expect("flush the storage core");
        if compact {
            core.compact().expect("compact the storage core");
        }
    }

    fn restart(&mut self) {
        let db = self.db.take().expect("the database is open");
        db.close().expect("close the database");
        self.db = Some(Db::open_with(self.dir, options()).expect("reopen the database"));
        self.check_everything("after a restart");
    }

    /// A full Scan, the table's item count, every index and the stream against the reference
    /// (`when` names the checkpoint).
    fn check_everything(&mut self, when: &str) {
        let whole = ScanOp { limit: None, segments: None, filter: None, count_only: false };
        self.scan(&whole);
        self.check_count();
        self.check_indexes();
        self.check_stream(when);
    }

    fn check_count(&self) {
        let input = DescribeTableInput { table_name: Some(TABLE.into()) };
        let described = read_answer(self.db().describe_table(input.clone()), &input);
        assert_eq!(described.table.item_count, self.model.len() as i64, "the table's ItemCount");
    }
}

/// What the pages of a Scan add up to.
#[derive(Default)]
struct ScanTotals {
    scanned: usize,
    count: usize,
    items: Vec<Item>,
}

fn model_key_of(item: &Item) -> (String, i64) {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::N(sk))) => (pk.clone(), number(sk)),
        _ => panic!("not a key of the table: {item:?}"),
    }
}

/// The page of a Query the reference expects, from the items still to read (in order).
fn expected_page(
    rest: &[&Item],
    limit: Option<Limit>,
    filter: Option<&Cond>,
    count_only: bool,
) -> QueryOutput {
    let read = &rest[..limit.map_or(rest.len(), |l| l.0.min(rest.len()))];
    let passing: Vec<Item> = read
        .iter()
        .filter(|item| filter.is_none_or(|c| holds(c, item)))
        .map(|item| (*item).clone())
        .collect();
    let full = limit.is_some_and(|l| read.len() == l.0);
    let last_evaluated_key = read.last().filter(|_| full).map(|item| {
        let (pk, sk) = model_key_of(item);
        key_item(&pk, sk)
    });
    QueryOutput {
        count: passing.len() as i64,
        scanned_count: read.len() as i64,
        items: (!count_only).then_some(passing),
        last_evaluated_key,
        consumed_capacity: None,
    }
}

fn normalized_page(page: QueryOutput) -> QueryOutput {
    QueryOutput {
        items: page.items.map(|items| items.into_iter().map(normalized).collect()),
        consumed_capacity: None,
        ..page
    }
}
