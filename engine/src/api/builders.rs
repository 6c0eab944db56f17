//! Builders for embedders: constructors with the required members, and chained setters for
//! the common optional ones. Every request stays a plain struct, so any field can also be set
//! directly.

use crate::api::{
    AttributeDefinition, CreateTableInput, DeleteItemInput, GetItemInput, KeySchemaElement,
    ProvisionedThroughput, PutItemInput, TableNameInput, Tag,
};
use crate::model::Item;

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
