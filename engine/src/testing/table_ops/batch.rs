//! BatchWriteItem and BatchGetItem against the reference: a batch with every key once is
//! applied (or read) whole, and one that names a key twice is refused, changing nothing.

use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Unstructured};

use super::{normalized, project, put_item, Attrs, Harness, Key, Projection, Render, TABLE};
use crate::api::{
    BatchGetItemInput, BatchWriteItemInput, DbError, DeleteRequest, KeysAndAttributes, PutRequest,
    WriteRequest,
};
use crate::model::Item;

/// DynamoDB's message for a batch that names one item twice.
const DUPLICATES: &str = "Provided list of item keys contains duplicates";
/// DynamoDB's bound on the writes of one BatchWriteItem.
const WRITES_MAX: usize = 25;
/// DynamoDB's bound on the keys of one BatchGetItem.
const READS_MAX: usize = 100;

/// One write of a BatchWriteItem.
#[derive(Arbitrary, Clone, Debug)]
pub enum BatchWrite {
    /// A put of an item with these attributes.
    Put(Key, Attrs),
    /// A delete.
    Delete(Key),
}

impl BatchWrite {
    fn key(&self) -> Key {
        match self {
            BatchWrite::Put(key, _) | BatchWrite::Delete(key) => *key,
        }
    }
}

/// A BatchWriteItem of 1 to 25 puts and deletes.
#[derive(Clone, Debug)]
pub struct BatchWriteOp {
    writes: Vec<BatchWrite>,
}

/// A BatchGetItem of 1 to 100 keys, with a projection or without.
#[derive(Clone, Debug)]
pub struct BatchGetOp {
    keys: Vec<Key>,
    projection: Option<Projection>,
}

/// Draws 1 to `len_max` elements (few, most of the time); unless the input asks for
/// duplicates, each key is kept once only, so that most requests are valid.
pub(super) fn drawn_list<'a, T: Arbitrary<'a>>(
    u: &mut Unstructured<'a>,
    len_max: usize,
    key: impl Fn(&T) -> Key,
) -> arbitrary::Result<Vec<T>> {
    let len_max = if u.ratio(1, 4)? { len_max } else { len_max.min(6) };
    let len = u.int_in_range(1..=len_max)?;
    let mut list: Vec<T> = (0..len).map(|_| T::arbitrary(u)).collect::<arbitrary::Result<_>>()?;
    if !u.ratio(1, 8)? {
        let mut seen = BTreeSet::new();
        list.retain(|element| seen.insert(key(element).model_key()));
    }
    Ok(list)
}

/// Whether some key is named twice.
pub(super) fn repeats(keys: impl IntoIterator<Item = Key>) -> bool {
    let mut seen = BTreeSet::new();
    !keys.into_iter().all(|key| seen.insert(key.model_key()))
}

impl<'a> Arbitrary<'a> for BatchWriteOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<BatchWriteOp> {
        Ok(BatchWriteOp { writes: drawn_list(u, WRITES_MAX, BatchWrite::key)? })
    }
}

impl<'a> Arbitrary<'a> for BatchGetOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<BatchGetOp> {
        let keys = drawn_list(u, READS_MAX, |key: &Key| *key)?;
        Ok(BatchGetOp { keys, projection: u.arbitrary()? })
    }
}

/// The items of a batch, in an order that does not depend on the order they came in (items
/// cannot be sorted by key: a projection may leave the key out).
pub(super) fn as_set(items: Vec<Item>) -> Vec<Item> {
    let mut items: Vec<(String, Item)> =
        items.into_iter().map(|item| (format!("{item:?}"), item)).collect();
    items.sort_by(|x, y| x.0.cmp(&y.0));
    items.into_iter().map(|(_, item)| item).collect()
}

impl Harness<'_> {
    pub(super) fn batch_write(&mut self, op: &BatchWriteOp) {
        let requests = op
            .writes
            .iter()
            .map(|write| match write {
                BatchWrite::Put(key, attrs) => WriteRequest {
                    put_request: Some(PutRequest { item: Some(put_item(*key, attrs)) }),
                    ..WriteRequest::default()
                },
                BatchWrite::Delete(key) => WriteRequest {
                    delete_request: Some(DeleteRequest { key: Some(key.item()) }),
                    ..WriteRequest::default()
                },
            })
            .collect();
        let input = BatchWriteItemInput {
            request_items: Some([(TABLE.to_owned(), requests)].into()),
            ..BatchWriteItemInput::default()
        };
        let expected = if repeats(op.writes.iter().map(BatchWrite::key)) {
            Err(DbError::Validation(DUPLICATES.into()))
        } else {
            for write in &op.writes {
                match write {
                    BatchWrite::Put(key, attrs) => {
                        self.store(key.model_key(), Some(put_item(*key, attrs)));
                    }
                    BatchWrite::Delete(key) => {
                        self.store(key.model_key(), None);
                    }
                }
            }
            Ok(())
        };
        let actual = self.db().batch_write_item(input.clone()).map(|output| {
            assert!(output.unprocessed_items.is_empty(), "{op:?}\n{input:?}: {output:?}");
        });
        assert_eq!(actual, expected, "{op:?}\n{input:?}");
        self.check_count();
    }

    pub(super) fn batch_get(&mut self, op: &BatchGetOp) {
        let mut render = Render::default();
        let projection = op.projection.as_ref().map(|p| render.projection(p));
        let (names, _) = render.maps();
        let request = KeysAndAttributes {
            keys: Some(op.keys.iter().map(|key| key.item()).collect()),
            consistent_read: Some(true),
            projection_expression: projection,
            expression_attribute_names: names,
            ..KeysAndAttributes::default()
        };
        let input = BatchGetItemInput {
            request_items: Some([(TABLE.to_owned(), request)].into()),
            ..BatchGetItemInput::default()
        };
        let expected = if repeats(op.keys.iter().copied()) {
            Err(DbError::Validation(DUPLICATES.into()))
        } else {
            let found = op.keys.iter().filter_map(|key| self.old(*key));
            let found = found.map(|item| match &op.projection {
                Some(projection) => project(item, projection),
                None => item.clone(),
            });
            Ok(as_set(found.collect()))
        };
        let actual = self.db().batch_get_item(input.clone()).map(|mut output| {
            assert!(output.unprocessed_keys.is_empty(), "{op:?}\n{input:?}: {output:?}");
            let found = output.responses.remove(TABLE).unwrap_or_default();
            assert!(output.responses.is_empty(), "{op:?}\n{input:?}: other tables answered");
            as_set(found.into_iter().map(normalized).collect())
        });
        assert_eq!(actual, expected, "{op:?}\n{input:?}");
    }
}
