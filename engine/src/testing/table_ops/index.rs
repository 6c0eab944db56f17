//! The table's secondary indexes against what their definitions derive from the reference.
//!
//! Reference semantics (DG "Improving data access with secondary indexes", "Local secondary
//! indexes", "Global secondary indexes", "Attribute projections"): an item has an entry in an
//! index when it carries every one of the index's key attributes (a sparse index), and none
//! otherwise; the entry holds the table's key attributes and the index's, plus the projected
//! attributes that the item carries (`INCLUDE`), or the whole item (`ALL`). A Query on an index
//! reads one index partition (every partition key attribute equal), ordered by the index's sort
//! key attributes (items with equal index sort keys come in an order DynamoDB does not define);
//! its `LastEvaluatedKey` holds the table's and the index's key attributes of the last entry.
//! A Scan of an index reads every entry once, in an order DynamoDB does not define. A write
//! whose value for an index key attribute has another type than the attribute's definition is
//! refused with `ValidationException` ("Type mismatch for Index Key"), whatever else the item
//! carries, and changes nothing.

use std::collections::BTreeMap;

use arbitrary::Arbitrary;

use super::batch::as_set;
use super::{
    n_value, normalized, number, put_item, read_answer, s_value, Attrs, Harness, Key, Num, Tag,
    PAGES_MAX, TABLE,
};
use crate::api::{
    CreateTableInput, DbError, DescribeTableInput, GlobalSecondaryIndex, LocalSecondaryIndex,
    Projection, PutItemInput, QueryInput, QueryOutput, ScanInput, UpdateItemInput,
};
use crate::model::{AttributeValue, Item};

/// What an index copies beyond the keys.
#[derive(Clone, Copy, Debug)]
enum Projected {
    KeysOnly,
    Include(&'static [&'static str]),
    All,
}

/// One secondary index of the table.
#[derive(Debug)]
struct IndexDef {
    name: &'static str,
    local: bool,
    partition: &'static [&'static str],
    sort: &'static [&'static str],
    projected: Projected,
}

/// The table's indexes: a local one over `h`, and global ones over `g` and `a`, `g` and `h`
/// together (a partition key of two attributes, no sort key), and `a` with `g` and `h` (a sort
/// key of two attributes); every projection type.
const INDEXES: [IndexDef; 4] = [
    IndexDef {
        name: "by_h",
        local: true,
        partition: &["pk"],
        sort: &["h"],
        projected: Projected::Include(&["s"]),
    },
    IndexDef {
        name: "by_g",
        local: false,
        partition: &["g"],
        sort: &["a"],
        projected: Projected::KeysOnly,
    },
    IndexDef {
        name: "by_pair",
        local: false,
        partition: &["g", "h"],
        sort: &[],
        projected: Projected::All,
    },
    IndexDef {
        name: "by_a",
        local: false,
        partition: &["a"],
        sort: &["g", "h"],
        projected: Projected::Include(&["b", "l"]),
    },
];

/// The defined type of an index key attribute that is not one of the table's.
fn defined_type(name: &str) -> &'static str {
    match name {
        "g" => "S",
        "a" | "h" => "N",
        other => panic!("{other} is not an index key attribute"),
    }
}

/// The table's definition with its indexes.
pub(super) fn with_indexes(input: CreateTableInput) -> CreateTableInput {
    let mut input = input.attribute("a", "N").attribute("g", "S").attribute("h", "N");
    for def in &INDEXES {
        let projection = match def.projected {
            Projected::KeysOnly => Projection::keys_only(),
            Projected::Include(names) => Projection::include(names.iter().copied()),
            Projected::All => Projection::all(),
        };
        if def.local {
            let index = LocalSecondaryIndex::new(def.name, def.partition[0], def.sort[0]);
            input = input.local_index(index.projection(projection));
        } else {
            let mut index = GlobalSecondaryIndex::new(def.name);
            for name in def.partition {
                index = index.partition_key(*name);
            }
            for name in def.sort {
                index = index.sort_key(*name);
            }
            input = input.global_index(index.projection(projection));
        }
    }
    input
}

/// A value of an index sort key, ordered as DynamoDB orders key values of one type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    N(i64),
    S(String),
}

fn part(value: &AttributeValue) -> Part {
    match value {
        AttributeValue::N(n) => Part::N(number(n)),
        AttributeValue::S(s) => Part::S(s.clone()),
        other => panic!("not a key value of the model: {other:?}"),
    }
}

impl IndexDef {
    fn keys(&self) -> impl Iterator<Item = &'static str> {
        self.partition.iter().chain(self.sort).copied()
    }

    fn projects(&self, name: &str) -> bool {
        matches!(name, "pk" | "sk")
            || self.keys().any(|key| key == name)
            || match self.projected {
                Projected::KeysOnly => false,
                Projected::Include(names) => names.contains(&name),
                Projected::All => true,
            }
    }

    /// The entry `item` has in the index, if any.
    fn entry(&self, item: &Item) -> Option<Item> {
        if !self.keys().all(|key| item.contains_key(key)) {
            return None;
        }
        let kept = item.iter().filter(|(name, _)| self.projects(name));
        Some(kept.map(|(name, value)| (name.clone(), value.clone())).collect())
    }

    fn entries<'m>(&self, model: impl IntoIterator<Item = &'m Item>) -> Vec<Item> {
        model.into_iter().filter_map(|item| self.entry(item)).collect()
    }

    /// The table's and the index's key attributes of an entry: its `LastEvaluatedKey`.
    fn key_of(&self, entry: &Item) -> Item {
        let keys = entry.iter().filter(|(name, _)| {
            matches!(name.as_str(), "pk" | "sk") || self.keys().any(|key| key == name.as_str())
        });
        keys.map(|(name, value)| (name.clone(), value.clone())).collect()
    }

    /// Where an entry sorts: by the index's sort key, then (an order of its own for the ties
    /// DynamoDB leaves unordered) by the table's key.
    fn position(&self, entry: &Item) -> (Vec<Part>, (String, i64)) {
        let sort = self.sort.iter().map(|name| part(&entry[*name])).collect();
        (sort, super::model_key_of(entry))
    }

    /// The partition of an entry: its partition key values.
    fn partition_of(&self, entry: &Item) -> Vec<AttributeValue> {
        self.partition.iter().map(|name| entry[*name].clone()).collect()
    }
}

/// A Query of one index partition, paged to the end.
#[derive(Arbitrary, Clone, Debug)]
pub struct IndexQueryOp {
    /// The index, by its place in `INDEXES`.
    index: u8,
    /// The partition: that of the entry at this place (modulo their number), or one that holds
    /// nothing when the index is empty.
    pick: u8,
    forward: bool,
    limit: Option<SmallLimit>,
}

/// A `Limit` of 1 to 3, so that most index partitions take several pages.
#[derive(Clone, Copy, Debug)]
pub struct SmallLimit(usize);

impl<'a> Arbitrary<'a> for SmallLimit {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<SmallLimit> {
        Ok(SmallLimit(u.int_in_range(1..=3)?))
    }
}

/// A write with a value of the wrong type for an index key attribute.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Mistyping {
    /// `g` as a number.
    G(Num),
    /// `h` as a string.
    H(Tag),
    /// `a` as a string.
    A(Tag),
}

/// A PutItem (of an item with these attributes) or an UpdateItem (`SET`) writing a mistyped
/// index key attribute, without a condition: refused whatever the item.
#[derive(Arbitrary, Clone, Debug)]
pub struct MistypedOp {
    key: Key,
    attrs: Attrs,
    mistyping: Mistyping,
    by_update: bool,
}

impl Mistyping {
    /// The attribute, the value written and that value's type.
    fn written(self) -> (&'static str, AttributeValue, &'static str) {
        match self {
            Mistyping::G(n) => ("g", n_value(n.0), "N"),
            Mistyping::H(t) => ("h", s_value(t.0), "S"),
            Mistyping::A(t) => ("a", s_value(t.0), "S"),
        }
    }
}

/// Checks the paging of one page of at most `limit` entries: `Count` is the entries returned,
/// all read, and `LastEvaluatedKey` comes when `Limit` is reached, with the last entry's keys.
fn check_page(
    def: &IndexDef,
    page: &QueryOutput,
    limit: Option<usize>,
    request: &dyn std::fmt::Debug,
) {
    let items = page.items.as_deref().unwrap_or_default();
    assert_eq!(page.count, items.len() as i64, "{request:?}\n{page:?}: Count");
    assert_eq!(page.scanned_count, page.count, "{request:?}\n{page:?}: ScannedCount");
    let full = limit.is_some_and(|l| items.len() == l);
    assert!(limit.is_none_or(|l| items.len() <= l), "{request:?}\n{page:?}: more than Limit");
    let expected_last = items.last().filter(|_| full).map(|item| def.key_of(item));
    assert_eq!(page.last_evaluated_key, expected_last, "{request:?}\n{page:?}: LastEvaluatedKey");
}

impl Harness<'_> {
    /// Every index, read whole by a paginated Scan, against what it derives from the reference,
    /// and its `ItemCount`.
    pub(super) fn check_indexes(&mut self) {
        self.index_checks += 1;
        let limit = [None, Some(3), Some(1), None, Some(7)][self.index_checks % 5];
        for def in &INDEXES {
            let actual = self.scan_index(def, limit);
            let expected = as_set(def.entries(self.model.values()));
            assert_eq!(
                actual, expected,
                "the entries of index {} (scan limit {limit:?})",
                def.name
            );
        }
        let input = DescribeTableInput { table_name: Some(TABLE.into()) };
        let table = read_answer(self.db().describe_table(input.clone()), &input).table;
        let mut counts = BTreeMap::new();
        for local in table.local_secondary_indexes.iter().flatten() {
            counts.insert(local.index_name.clone(), local.item_count);
        }
        for global in table.global_secondary_indexes.iter().flatten() {
            assert_eq!(global.index_status, "ACTIVE", "{global:?}");
            counts.insert(global.index_name.clone(), global.item_count);
        }
        let expected: BTreeMap<String, i64> = INDEXES
            .iter()
            .map(|def| (def.name.to_owned(), def.entries(self.model.values()).len() as i64))
            .collect();
        assert_eq!(counts, expected, "the indexes' ItemCount");
    }

    /// The entries of a whole Scan of the index, as a set.
    fn scan_index(&self, def: &IndexDef, limit: Option<usize>) -> Vec<Item> {
        let mut input = ScanInput {
            table_name: Some(TABLE.into()),
            index_name: Some(def.name.into()),
            limit: limit.map(|l| l as i64),
            consistent_read: def.local.then_some(true),
            ..ScanInput::default()
        };
        let mut entries = Vec::new();
        for _ in 0..PAGES_MAX {
            let page = read_answer(self.db().scan(input.clone()), &input);
            check_page(def, &page, limit, &input);
            entries.extend(page.items.into_iter().flatten().map(normalized));
            match page.last_evaluated_key {
                None => return as_set(entries),
                last => input.exclusive_start_key = last,
            }
        }
        panic!("{input:?}: more than {PAGES_MAX} pages");
    }

    pub(super) fn index_query(&mut self, op: &IndexQueryOp) {
        let def = &INDEXES[usize::from(op.index) % INDEXES.len()];
        let entries = def.entries(self.model.values());
        let partition = match entries.get(usize::from(op.pick) % entries.len().max(1)) {
            Some(entry) => def.partition_of(entry),
            None => def.partition.iter().map(|name| placeholder_value(name)).collect(),
        };
        let mut expected: Vec<Item> =
            entries.into_iter().filter(|entry| def.partition_of(entry) == partition).collect();
        expected.sort_by_key(|entry| def.position(entry));
        let conditions: Vec<String> =
            (0..def.partition.len()).map(|i| format!("#k{i} = :k{i}")).collect();
        let names = def.partition.iter().enumerate();
        let values = partition.into_iter().enumerate();
        let mut input = QueryInput {
            table_name: Some(TABLE.into()),
            index_name: Some(def.name.into()),
            key_condition_expression: Some(conditions.join(" AND ")),
            expression_attribute_names: Some(
                names.map(|(i, name)| (format!("#k{i}"), (*name).to_owned())).collect(),
            ),
            expression_attribute_values: Some(
                values.map(|(i, value)| (format!(":k{i}"), value)).collect(),
            ),
            limit: op.limit.map(|l| l.0 as i64),
            scan_index_forward: Some(op.forward),
            consistent_read: def.local.then_some(true),
            ..QueryInput::default()
        };
        let mut actual = Vec::new();
        for _ in 0..PAGES_MAX {
            let page = read_answer(self.db().query(input.clone()), &input);
            check_page(def, &page, op.limit.map(|l| l.0), &(op, &input));
            actual.extend(page.items.into_iter().flatten().map(normalized));
            match page.last_evaluated_key {
                None => return self.compare_index_query(def, op, actual, &expected),
                last => input.exclusive_start_key = last,
            }
        }
        panic!("{op:?}\n{input:?}: more than {PAGES_MAX} pages");
    }

    /// The entries of a whole index Query against the reference's: in the order of the
    /// index's sort key (the direction asked), the same entries.
    fn compare_index_query(
        &self,
        def: &IndexDef,
        op: &IndexQueryOp,
        mut actual: Vec<Item>,
        expected: &[Item],
    ) {
        let sorts: Vec<Vec<Part>> = actual.iter().map(|entry| def.position(entry).0).collect();
        let ordered =
            sorts.windows(2).all(
                |pair| {
                    if op.forward {
                        pair[0] <= pair[1]
                    } else {
                        pair[0] >= pair[1]
                    }
                },
            );
        assert!(ordered, "{op:?} on {}: out of order: {actual:?}", def.name);
        actual.sort_by_key(|entry| def.position(entry));
        assert_eq!(actual, expected, "{op:?} on {}: the entries of the partition", def.name);
    }

    pub(super) fn mistyped(&mut self, op: &MistypedOp) {
        let (name, value, actual_type) = op.mistyping.written();
        let result = if op.by_update {
            let input = UpdateItemInput {
                table_name: Some(TABLE.into()),
                key: Some(op.key.item()),
                update_expression: Some("SET #w = :w".into()),
                expression_attribute_names: Some([("#w".to_owned(), name.to_owned())].into()),
                expression_attribute_values: Some([(":w".to_owned(), value)].into()),
                ..UpdateItemInput::default()
            };
            self.update_item(input).map(|_| ())
        } else {
            let mut item = put_item(op.key, &op.attrs);
            item.insert(name.to_owned(), value);
            self.put_item(PutItemInput::new(TABLE, item)).map(|_| ())
        };
        let prefix = format!(
            "One or more parameter values were invalid: Type mismatch for Index Key {name} \
             Expected: {} Actual: {actual_type} IndexName: ",
            defined_type(name)
        );
        let refused = match &result {
            Err(DbError::Validation(message)) => {
                message.strip_prefix(&prefix).is_some_and(|index| {
                    INDEXES.iter().any(|def| def.name == index && def.keys().any(|key| key == name))
                })
            }
            _ => false,
        };
        assert!(refused, "{op:?}: answered {result:?}, expected a ValidationException {prefix}…");
        // Nothing changed.
        self.get(&super::GetOp { key: op.key, projection: None });
        self.check_count();
    }
}

/// A partition key value for an index without entries (any value of the right type).
fn placeholder_value(name: &str) -> AttributeValue {
    match name {
        "pk" => s_value("p0"),
        "g" => s_value("x"),
        _ => n_value(0),
    }
}
