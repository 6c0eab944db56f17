//! The serializer: any `Serialize` value to an [`AttributeValue`] (module docs: "Serializing").

use serde::ser::{self, Serialize};

use super::error::ItemSerdeError;
use super::node::Node;
use crate::model::{AttributeValue, Item, Number, NumberError};

/// Serializes `value` into an [`AttributeValue`].
///
/// # Errors
///
/// [`ItemSerdeError`] for values with no DynamoDB form (module docs), or when `value`'s
/// `Serialize` implementation fails.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<AttributeValue, ItemSerdeError> {
    value.serialize(ValueSerializer)
}

/// Serializes `value`, a struct or a map with string keys, into an [`Item`].
///
/// # Errors
///
/// [`ItemSerdeError::TopLevelNotMap`] when `value` serializes to anything but a map, and the
/// errors of [`to_value`].
pub fn to_item<T: Serialize + ?Sized>(value: &T) -> Result<Item, ItemSerdeError> {
    match to_value(value)? {
        AttributeValue::M(item) => Ok(item),
        other => Err(ItemSerdeError::TopLevelNotMap { found: Node::from(&other).type_name() }),
    }
}

/// Serializes one value.
struct ValueSerializer;

/// `N` of a number that may not be storable; `value` is the Rust value, for the message.
fn number(
    converted: Result<Number, NumberError>,
    value: impl ToString,
) -> Result<AttributeValue, ItemSerdeError> {
    converted
        .map(AttributeValue::N)
        .map_err(|source| ItemSerdeError::Number { value: value.to_string(), source })
}

/// `N` of a float, refusing NaN and infinities.
fn float<F: Copy + ToString>(
    value: F,
    finite: bool,
    convert: impl FnOnce(F) -> Result<Number, NumberError>,
) -> Result<AttributeValue, ItemSerdeError> {
    if !finite {
        return Err(ItemSerdeError::NonFiniteNumber { value: value.to_string() });
    }
    number(convert(value), value)
}

/// `value` under `variant`'s name for an enum variant, or `value` itself.
fn wrap(variant: Option<&'static str>, value: AttributeValue) -> AttributeValue {
    match variant {
        None => value,
        Some(name) => AttributeValue::M(Item::from([(name.to_owned(), value)])),
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;
    type SerializeSeq = ListSerializer;
    type SerializeTuple = ListSerializer;
    type SerializeTupleStruct = ListSerializer;
    type SerializeTupleVariant = ListSerializer;
    type SerializeMap = MapSerializer;
    type SerializeStruct = MapSerializer;
    type SerializeStructVariant = MapSerializer;

    fn serialize_bool(self, v: bool) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_i128(self, v: i128) -> Result<AttributeValue, ItemSerdeError> {
        number(Number::try_from(v), v)
    }

    fn serialize_u8(self, v: u8) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_u128(self, v: u128) -> Result<AttributeValue, ItemSerdeError> {
        number(Number::try_from(v), v)
    }

    fn serialize_f32(self, v: f32) -> Result<AttributeValue, ItemSerdeError> {
        // Through `f32`'s own shortest text: `0.1_f32` is 0.1, not 0.10000000149011612.
        float(v, v.is_finite(), Number::try_from)
    }

    fn serialize_f64(self, v: f64) -> Result<AttributeValue, ItemSerdeError> {
        float(v, v.is_finite(), Number::try_from)
    }

    fn serialize_char(self, v: char) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_str(self, v: &str) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(v))
    }

    fn serialize_none(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(
        self,
        value: &T,
    ) -> Result<AttributeValue, ItemSerdeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<AttributeValue, ItemSerdeError> {
        Ok(AttributeValue::from(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<AttributeValue, ItemSerdeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<AttributeValue, ItemSerdeError> {
        let value = value.serialize(self).map_err(|e| e.at_field(variant))?;
        Ok(wrap(Some(variant), value))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ListSerializer, ItemSerdeError> {
        Ok(ListSerializer::new(None, len.unwrap_or(0)))
    }

    fn serialize_tuple(self, len: usize) -> Result<ListSerializer, ItemSerdeError> {
        Ok(ListSerializer::new(None, len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ListSerializer, ItemSerdeError> {
        Ok(ListSerializer::new(None, len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<ListSerializer, ItemSerdeError> {
        Ok(ListSerializer::new(Some(variant), len))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer, ItemSerdeError> {
        Ok(MapSerializer::new(None))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<MapSerializer, ItemSerdeError> {
        Ok(MapSerializer::new(None))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<MapSerializer, ItemSerdeError> {
        Ok(MapSerializer::new(Some(variant)))
    }
}

/// Builds an `L`, from a sequence, a tuple or (under the variant's name) a tuple variant.
struct ListSerializer {
    variant: Option<&'static str>,
    members: Vec<AttributeValue>,
}

impl ListSerializer {
    fn new(variant: Option<&'static str>, len: usize) -> ListSerializer {
        ListSerializer { variant, members: Vec::with_capacity(len) }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ItemSerdeError> {
        let index = self.members.len();
        let member =
            value.serialize(ValueSerializer).map_err(|e| self.locate(e.at_index(index)))?;
        self.members.push(member);
        Ok(())
    }

    fn locate(&self, error: ItemSerdeError) -> ItemSerdeError {
        match self.variant {
            Some(variant) => error.at_field(variant),
            None => error,
        }
    }

    fn finish(self) -> AttributeValue {
        wrap(self.variant, AttributeValue::L(self.members))
    }
}

impl ser::SerializeSeq for ListSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for ListSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for ListSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for ListSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}

/// Builds an `M`, from a map, a struct or (under the variant's name) a struct variant.
struct MapSerializer {
    variant: Option<&'static str>,
    entries: Item,
    /// The key of a map entry whose value comes next.
    key: Option<String>,
}

impl MapSerializer {
    fn new(variant: Option<&'static str>) -> MapSerializer {
        MapSerializer { variant, entries: Item::new(), key: None }
    }

    fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: String,
        value: &T,
    ) -> Result<(), ItemSerdeError> {
        match value.serialize(ValueSerializer) {
            Ok(value) => {
                self.entries.insert(key, value);
                Ok(())
            }
            Err(error) => Err(self.locate(error.at_field(&key))),
        }
    }

    fn locate(&self, error: ItemSerdeError) -> ItemSerdeError {
        match self.variant {
            Some(variant) => error.at_field(variant),
            None => error,
        }
    }

    fn finish(self) -> AttributeValue {
        wrap(self.variant, AttributeValue::M(self.entries))
    }
}

/// A map key: anything that serializes to an `S` (a string, a char, a unit variant).
fn key<T: Serialize + ?Sized>(key: &T) -> Result<String, ItemSerdeError> {
    match key.serialize(ValueSerializer)? {
        AttributeValue::S(name) => Ok(name),
        other => Err(ItemSerdeError::KeyNotString { found: Node::from(&other).type_name() }),
    }
}

impl ser::SerializeMap for MapSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, name: &T) -> Result<(), Self::Error> {
        self.key = Some(key(name)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let name = self.key.take().ok_or_else(|| {
            <ItemSerdeError as ser::Error>::custom("serialize_value called before serialize_key")
        })?;
        self.insert(name, value)
    }

    fn serialize_entry<K, V>(&mut self, name: &K, value: &V) -> Result<(), Self::Error>
    where
        K: Serialize + ?Sized,
        V: Serialize + ?Sized,
    {
        let name = key(name)?;
        self.insert(name, value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.insert(name.to_owned(), value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapSerializer {
    type Ok = AttributeValue;
    type Error = ItemSerdeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.insert(name.to_owned(), value)
    }

    fn end(self) -> Result<AttributeValue, ItemSerdeError> {
        Ok(self.finish())
    }
}
