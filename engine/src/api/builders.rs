//! Builders for embedders: constructors with the required members, and chained setters for
//! the common optional ones. Every request stays a plain struct, so any field can also be set
//! directly.

use std::collections::BTreeMap;

use crate::api::{
    AttributeDefinition, CreateTableInput, DeleteItemInput, GetItemInput, GlobalSecondaryIndex,
    KeySchemaElement, LocalSecondaryIndex, ProvisionedThroughput, PutItemInput, QueryInput,
    ScanInput, TableNameInput, Tag, UpdateItemInput,
};
use crate::model::{AttributeValue, Item};

impl CreateTableInput {
    /// A table named `name`, on-demand until [`CreateTableInput::provisioned`] says otherwise;
    /// give it a partition key with [`CreateTableInput::partition_key`].
    pub fn new(name: impl Into<String>) -> CreateTableInput {
        CreateTableInput {
            table_name: Some(name.into()),
            key_schema: Some(Vec::new()),
            attribute_definitions: Some(Vec::new()),
            billing_mode: Some("PAY_PER_REQUEST".into()),
            ..CreateTableInput::default()
        }
    }

    /// The partition key: attribute `name` of type `attribute_type` (`S`, `N` or `B`).
    #[must_use]
    pub fn partition_key(self, name: impl Into<String>, attribute_type: &str) -> CreateTableInput {
        self.key(KeySchemaElement::hash(name), attribute_type)
    }

    /// The sort key: attribute `name` of type `attribute_type` (`S`, `N` or `B`).
    #[must_use]
    pub fn sort_key(self, name: impl Into<String>, attribute_type: &str) -> CreateTableInput {
        self.key(KeySchemaElement::range(name), attribute_type)
    }

    /// Defines attribute `name` as `attribute_type` (`S`, `N` or `B`): an index key attribute
    /// that is not one of the table's.
    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, attribute_type: &str) -> CreateTableInput {
        let definition = AttributeDefinition::new(name, attribute_type);
        self.attribute_definitions.get_or_insert_with(Vec::new).push(definition);
        self
    }

    /// Adds a local secondary index.
    #[must_use]
    pub fn local_index(mut self, index: LocalSecondaryIndex) -> CreateTableInput {
        self.local_secondary_indexes.get_or_insert_with(Vec::new).push(index);
        self
    }

    /// Adds a global secondary index.
    #[must_use]
    pub fn global_index(mut self, index: GlobalSecondaryIndex) -> CreateTableInput {
        self.global_secondary_indexes.get_or_insert_with(Vec::new).push(index);
        self
    }

    fn key(mut self, element: KeySchemaElement, attribute_type: &str) -> CreateTableInput {
        let definition = AttributeDefinition::new(element.name(), attribute_type);
        self.key_schema.get_or_insert_with(Vec::new).push(element);
        self.attribute_definitions.get_or_insert_with(Vec::new).push(definition);
        self
    }

    /// Provisioned capacity instead of on-demand billing.
    #[must_use]
    pub fn provisioned(
        mut self,
        read_capacity_units: i64,
        write_capacity_units: i64,
    ) -> CreateTableInput {
        self.billing_mode = Some("PROVISIONED".into());
        self.provisioned_throughput = Some(ProvisionedThroughput {
            read_capacity_units: Some(read_capacity_units),
            write_capacity_units: Some(write_capacity_units),
        });
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> CreateTableInput {
        self.tags.get_or_insert_with(Vec::new).push(Tag::new(key, value));
        self
    }
}

impl TableNameInput {
    /// A request naming `table`.
    pub fn new(table: impl Into<String>) -> TableNameInput {
        TableNameInput { table_name: Some(table.into()) }
    }
}

impl PutItemInput {
    /// Puts `item` into `table`.
    pub fn new(table: impl Into<String>, item: Item) -> PutItemInput {
        PutItemInput { table_name: Some(table.into()), item: Some(item), ..PutItemInput::default() }
    }

    /// `ReturnValues`: `NONE` (the default) or `ALL_OLD`.
    #[must_use]
    pub fn return_values(mut self, return_values: &str) -> PutItemInput {
        self.return_values = Some(return_values.into());
        self
    }

    /// `ReturnConsumedCapacity`: `NONE`, `TOTAL` or `INDEXES`.
    #[must_use]
    pub fn return_consumed_capacity(mut self, mode: &str) -> PutItemInput {
        self.return_consumed_capacity = Some(mode.into());
        self
    }
}

impl GetItemInput {
    /// Gets the item of `table` with `key`.
    pub fn new(table: impl Into<String>, key: Item) -> GetItemInput {
        GetItemInput { table_name: Some(table.into()), key: Some(key), ..GetItemInput::default() }
    }

    /// `ConsistentRead` (every read is strongly consistent; this sets the capacity reported).
    #[must_use]
    pub fn consistent_read(mut self, consistent: bool) -> GetItemInput {
        self.consistent_read = Some(consistent);
        self
    }

    /// `ReturnConsumedCapacity`: `NONE`, `TOTAL` or `INDEXES`.
    #[must_use]
    pub fn return_consumed_capacity(mut self, mode: &str) -> GetItemInput {
        self.return_consumed_capacity = Some(mode.into());
        self
    }
}

impl DeleteItemInput {
    /// Deletes the item of `table` with `key`.
    pub fn new(table: impl Into<String>, key: Item) -> DeleteItemInput {
        DeleteItemInput {
            table_name: Some(table.into()),
            key: Some(key),
            ..DeleteItemInput::default()
        }
    }

    /// `ReturnValues`: `NONE` (the default) or `ALL_OLD`.
    #[must_use]
    pub fn return_values(mut self, return_values: &str) -> DeleteItemInput {
        self.return_values = Some(return_values.into());
        self
    }

    /// `ReturnConsumedCapacity`: `NONE`, `TOTAL` or `INDEXES`.
    #[must_use]
    pub fn return_consumed_capacity(mut self, mode: &str) -> DeleteItemInput {
        self.return_consumed_capacity = Some(mode.into());
        self
    }
}

/// `value` and `name`: the placeholder members every request with expressions has.
macro_rules! placeholders {
    ($($input:ty),+) => {$(
        impl $input {
            /// Adds `placeholder` (`:name`) to `ExpressionAttributeValues`.
            #[must_use]
            pub fn value(mut self, placeholder: &str, value: impl Into<AttributeValue>) -> Self {
                self.expression_attribute_values
                    .get_or_insert_with(Item::new)
                    .insert(placeholder.into(), value.into());
                self
            }

            /// Adds `placeholder` (`#name`) standing for `attribute` to
            /// `ExpressionAttributeNames`.
            #[must_use]
            pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
                self.expression_attribute_names
                    .get_or_insert_with(BTreeMap::new)
                    .insert(placeholder.into(), attribute.into());
                self
            }
        }
    )+};
}

placeholders!(PutItemInput, DeleteItemInput, UpdateItemInput, QueryInput, ScanInput);

/// `condition`: `ConditionExpression`, for the writes that take one.
macro_rules! conditions {
    ($($input:ty),+) => {$(
        impl $input {
            /// `ConditionExpression`: the write happens only if it holds for the item as it is.
            #[must_use]
            pub fn condition(mut self, expression: &str) -> Self {
                self.condition_expression = Some(expression.into());
                self
            }
        }
    )+};
}

conditions!(PutItemInput, DeleteItemInput, UpdateItemInput);

impl UpdateItemInput {
    /// Applies `update` (an `UpdateExpression`) to the item of `table` with `key`, creating it
    /// when missing.
    pub fn new(table: impl Into<String>, key: Item, update: &str) -> UpdateItemInput {
        UpdateItemInput {
            table_name: Some(table.into()),
            key: Some(key),
            update_expression: Some(update.into()),
            ..UpdateItemInput::default()
        }
    }

    /// `ReturnValues`: `NONE` (the default), `ALL_OLD`, `UPDATED_OLD`, `ALL_NEW` or
    /// `UPDATED_NEW`.
    #[must_use]
    pub fn return_values(mut self, return_values: &str) -> UpdateItemInput {
        self.return_values = Some(return_values.into());
        self
    }
}

impl QueryInput {
    /// Queries `table` with `key_condition` (a `KeyConditionExpression`).
    pub fn new(table: impl Into<String>, key_condition: &str) -> QueryInput {
        QueryInput {
            table_name: Some(table.into()),
            key_condition_expression: Some(key_condition.into()),
            ..QueryInput::default()
        }
    }

    /// `FilterExpression`.
    #[must_use]
    pub fn filter(mut self, expression: &str) -> QueryInput {
        self.filter_expression = Some(expression.into());
        self
    }

    /// `IndexName`: queries a secondary index instead of the table.
    #[must_use]
    pub fn index(mut self, name: impl Into<String>) -> QueryInput {
        self.index_name = Some(name.into());
        self
    }

    /// `ScanIndexForward: false`: descending sort key order.
    #[must_use]
    pub fn backward(mut self) -> QueryInput {
        self.scan_index_forward = Some(false);
        self
    }

    /// `Limit`: the most items a page reads.
    #[must_use]
    pub fn limit(mut self, limit: i64) -> QueryInput {
        self.limit = Some(limit);
        self
    }
}

impl ScanInput {
    /// Scans `table`.
    pub fn new(table: impl Into<String>) -> ScanInput {
        ScanInput { table_name: Some(table.into()), ..ScanInput::default() }
    }

    /// `IndexName`: scans a secondary index instead of the table.
    #[must_use]
    pub fn index(mut self, name: impl Into<String>) -> ScanInput {
        self.index_name = Some(name.into());
        self
    }

    /// `FilterExpression`.
    #[must_use]
    pub fn filter(mut self, expression: &str) -> ScanInput {
        self.filter_expression = Some(expression.into());
        self
    }

    /// `Segment` and `TotalSegments` of a parallel scan.
    #[must_use]
    pub fn segment(mut self, segment: i64, total: i64) -> ScanInput {
        self.segment = Some(segment);
        self.total_segments = Some(total);
        self
    }
}
