//! A table's key schema, and the checks DynamoDB makes of the key attributes of items and keys.

use crate::api::DbError;
use crate::expr::type_name;
use crate::model::{item_key, AttributeValue, Item, KeyType, KeyValue};

/// DynamoDB's limit on a partition key value, in bytes.
pub const PARTITION_KEY_BYTES_MAX: usize = 2048;
/// DynamoDB's limit on a sort key value, in bytes.
pub const SORT_KEY_BYTES_MAX: usize = 1024;

/// One key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyAttribute {
    pub(crate) name: String,
    pub(crate) key_type: KeyType,
}

/// A table's primary key: a partition key and an optional sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Schema {
    pub(crate) partition: KeyAttribute,
    pub(crate) sort: Option<KeyAttribute>,
}

/// The wire name of a key type.
pub(crate) fn key_type_name(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::S => "S",
        KeyType::N => "N",
        KeyType::B => "B",
    }
}

/// The key type a wire name (`S`, `N`, `B`) names.
pub(crate) fn parse_key_type(name: &str) -> Option<KeyType> {
    match name {
        "S" => Some(KeyType::S),
        "N" => Some(KeyType::N),
        "B" => Some(KeyType::B),
        _ => None,
    }
}

impl Schema {
    /// The key attributes: the partition key, then the sort key.
    pub(crate) fn attributes(&self) -> impl Iterator<Item = (&KeyAttribute, bool)> {
        std::iter::once((&self.partition, true)).chain(self.sort.iter().map(|s| (s, false)))
    }

    /// The storage key of an item about to be written (PutItem), with DynamoDB's messages for
    /// a missing key attribute, a key of the wrong type, an empty or an oversized one.
    pub(crate) fn key_of_item(&self, item: &Item) -> Result<Vec<u8>, DbError> {
        let mut values = Vec::with_capacity(2);
        for (attribute, is_partition) in self.attributes() {
            let Some(value) = item.get(&attribute.name) else {
                return Err(DbError::invalid_parameter(format_args!(
                    "Missing the key {} in the item",
                    attribute.name
                )));
            };
            let Some(key) = key_value(value, attribute.key_type) else {
                return Err(DbError::invalid_parameter(format_args!(
                    "Type mismatch for key {} expected: {} actual: {}",
                    attribute.name,
                    key_type_name(attribute.key_type),
                    type_name(value)
                )));
            };
            check_key_value(&key, &attribute.name, is_partition)?;
            values.push(key);
        }
        Ok(encode(&values))
    }

    /// The key attributes of a stored item (which has them all), as DynamoDB returns them in
    /// `LastEvaluatedKey`.
    pub(crate) fn key_item(&self, item: &Item) -> Item {
        self.attributes()
            .filter_map(|(attribute, _)| {
                item.get(&attribute.name).map(|v| (attribute.name.clone(), v.clone()))
            })
            .collect()
    }

    /// The storage key named by a `Key` parameter (GetItem, DeleteItem): exactly the key
    /// attributes, of their types, or DynamoDB's "The provided key element does not match the
    /// schema".
    pub(crate) fn key_of_key(&self, key: &Item) -> Result<Vec<u8>, DbError> {
        let mismatch = || DbError::validation("The provided key element does not match the schema");
        if key.len() != self.attributes().count() {
            return Err(mismatch());
        }
        let mut values = Vec::with_capacity(2);
        for (attribute, is_partition) in self.attributes() {
            let value = key.get(&attribute.name).ok_or_else(mismatch)?;
            let key = key_value(value, attribute.key_type).ok_or_else(mismatch)?;
            check_key_value(&key, &attribute.name, is_partition)?;
            values.push(key);
        }
        Ok(encode(&values))
    }
}

pub(crate) fn key_value(value: &AttributeValue, key_type: KeyType) -> Option<KeyValue> {
    match (value, key_type) {
        (AttributeValue::S(s), KeyType::S) => Some(KeyValue::S(s.clone())),
        (AttributeValue::N(n), KeyType::N) => Some(KeyValue::N(*n)),
        (AttributeValue::B(b), KeyType::B) => Some(KeyValue::B(b.clone())),
        _ => None,
    }
}

/// Empty and oversized key values, with DynamoDB's messages (the missing space in "of2048" is
/// DynamoDB's own).
fn check_key_value(key: &KeyValue, name: &str, is_partition: bool) -> Result<(), DbError> {
    let len = match key {
        KeyValue::S(s) if s.is_empty() => {
            return Err(DbError::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key \
                 attribute cannot contain an empty string value. Key: {name}"
            )))
        }
        KeyValue::B(b) if b.is_empty() => {
            return Err(DbError::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key \
                 attribute cannot contain an empty binary value. Key: {name}"
            )))
        }
        KeyValue::S(s) => s.len(),
        KeyValue::B(b) => b.len(),
        // At most 38 digits: always within both limits.
        KeyValue::N(_) => 0,
    };
    if is_partition && len > PARTITION_KEY_BYTES_MAX {
        return Err(DbError::invalid_parameter(
            "Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if !is_partition && len > SORT_KEY_BYTES_MAX {
        return Err(DbError::invalid_parameter(
            "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

fn encode(values: &[KeyValue]) -> Vec<u8> {
    let (partition, sort) = values.split_first().expect("a key has a partition value");
    item_key(partition, sort.first())
}
