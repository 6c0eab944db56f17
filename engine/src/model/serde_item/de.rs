//! The deserializer: any `Deserialize` type from an [`AttributeValue`] (module docs:
//! "Deserializing").

use std::collections::btree_map;

use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Expected, Visitor};

use super::error::ItemSerdeError;
use super::node::Node;
use crate::model::{AttributeValue, Item, Number};

/// Deserializes a `T` from `value`. `T` may borrow strings and bytes from it.
///
/// # Errors
///
/// [`ItemSerdeError`] when `value` does not have the shape `T` reads (module docs), with the
/// path to the offending part.
pub fn from_value<'a, T: Deserialize<'a>>(value: &'a AttributeValue) -> Result<T, ItemSerdeError> {
    T::deserialize(ValueDeserializer(Node::from(value)))
}

/// Deserializes a `T`, typically a struct or a map, from `item`. `T` may borrow strings and bytes
/// from it; `T: DeserializeOwned` types work with any borrow.
///
/// # Errors
///
/// [`ItemSerdeError`] when `item` does not have the shape `T` reads (module docs), with the path
/// to the offending attribute.
pub fn from_item<'a, T: Deserialize<'a>>(item: &'a Item) -> Result<T, ItemSerdeError> {
    T::deserialize(ValueDeserializer(Node::M(item)))
}

/// Deserializes one value.
struct ValueDeserializer<'de>(Node<'de>);

impl<'de> ValueDeserializer<'de> {
    /// The error for a value of another type than `visitor` reads.
    fn wrong_type(&self, visitor: &dyn Expected) -> ItemSerdeError {
        ItemSerdeError::WrongType { expected: visitor.to_string(), found: self.0.type_name() }
    }

    /// The number, or the error for another type.
    fn number(&self, visitor: &dyn Expected) -> Result<&'de Number, ItemSerdeError> {
        match self.0 {
            Node::N(number) => Ok(number),
            _ => Err(self.wrong_type(visitor)),
        }
    }
}

/// `number` as an integer type `T`, through its widest type of the same sign (`wide`).
fn integer<T: TryFrom<W>, W>(
    number: &Number,
    target: &'static str,
    wide: fn(&Number) -> Option<W>,
) -> Result<T, ItemSerdeError> {
    if !number.is_integer() {
        return Err(ItemSerdeError::NotAnInteger { number: number.to_string(), target });
    }
    wide(number)
        .and_then(|value| T::try_from(value).ok())
        .ok_or_else(|| ItemSerdeError::OutOfRange { number: number.to_string(), target })
}

/// A self-describing number: the first of `i64`, `u64`, `i128`, `u128` that holds it exactly,
/// else the nearest `f64`.
fn visit_number<'de, V: Visitor<'de>>(
    number: &Number,
    visitor: V,
) -> Result<V::Value, ItemSerdeError> {
    if let Some(value) = number.to_i64() {
        visitor.visit_i64(value)
    } else if let Some(value) = number.to_u64() {
        visitor.visit_u64(value)
    } else if let Some(value) = number.to_i128() {
        visitor.visit_i128(value)
    } else if let Some(value) = number.to_u128() {
        visitor.visit_u128(value)
    } else {
        visitor.visit_f64(number.to_f64())
    }
}

/// Visits `members` as a sequence, and checks that the visitor took them all.
fn visit_seq<'de, I, V>(members: I, visitor: V) -> Result<V::Value, ItemSerdeError>
where
    I: ExactSizeIterator<Item = Node<'de>>,
    V: Visitor<'de>,
{
    let total = members.len();
    let mut access = Members { members: members.enumerate() };
    let value = visitor.visit_seq(&mut access)?;
    let remaining = access.members.len();
    if remaining > 0 {
        let expected = format!("{} elements", total - remaining);
        return Err(de::Error::invalid_length(total, &expected.as_str()));
    }
    Ok(value)
}

/// Visits `bytes` as a sequence of `u8`.
fn visit_byte_seq<'de, V: Visitor<'de>>(
    bytes: &[u8],
    visitor: V,
) -> Result<V::Value, ItemSerdeError> {
    let mut access = SeqDeserializer::new(bytes.iter().copied());
    let value = visitor.visit_seq(&mut access)?;
    access.end()?;
    Ok(value)
}

/// Integer methods: read an integer `N` into the type, through its widest type of the same sign.
macro_rules! deserialize_integers {
    ($($method:ident => $visit:ident($int:ty, $wide:path);)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
            let number = self.number(&visitor)?;
            visitor.$visit(integer::<$int, _>(number, stringify!($int), $wide)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = ItemSerdeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::S(s) => visitor.visit_borrowed_str(s),
            Node::N(number) => visit_number(number, visitor),
            Node::B(bytes) => visitor.visit_borrowed_bytes(bytes),
            Node::Bool(b) => visitor.visit_bool(b),
            Node::Null => visitor.visit_unit(),
            Node::M(entries) => visitor.visit_map(Entries::new(entries)),
            Node::L(_) | Node::Ss(_) | Node::Ns(_) | Node::Bs(_) => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::Bool(b) => visitor.visit_bool(b),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    deserialize_integers! {
        deserialize_i8 => visit_i8(i8, Number::to_i128);
        deserialize_i16 => visit_i16(i16, Number::to_i128);
        deserialize_i32 => visit_i32(i32, Number::to_i128);
        deserialize_i64 => visit_i64(i64, Number::to_i128);
        deserialize_i128 => visit_i128(i128, Number::to_i128);
        deserialize_u8 => visit_u8(u8, Number::to_u128);
        deserialize_u16 => visit_u16(u16, Number::to_u128);
        deserialize_u32 => visit_u32(u32, Number::to_u128);
        deserialize_u64 => visit_u64(u64, Number::to_u128);
        deserialize_u128 => visit_u128(u128, Number::to_u128);
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        let number = self.number(&visitor)?;
        let value = number.to_f32().ok_or_else(|| ItemSerdeError::OutOfRange {
            number: number.to_string(),
            target: "f32",
        })?;
        visitor.visit_f32(value)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        let number = self.number(&visitor)?;
        visitor.visit_f64(number.to_f64())
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::S(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::B(bytes) => visitor.visit_borrowed_bytes(bytes),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::Null => visitor.visit_unit(),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::L(members) => visit_seq(members.iter().map(Node::from), visitor),
            Node::Ss(members) => visit_seq(members.iter().map(|s| Node::S(s)), visitor),
            Node::Ns(members) => visit_seq(members.iter().map(Node::N), visitor),
            Node::Bs(members) => visit_seq(members.iter().map(|b| Node::B(b)), visitor),
            Node::B(bytes) => visit_byte_seq(bytes, visitor),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::M(entries) => visitor.visit_map(Entries::new(entries)),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        match self.0 {
            Node::S(variant) => visitor.visit_enum(BorrowedStrDeserializer::new(variant)),
            Node::M(entries) if entries.len() == 1 => {
                let (name, value) = entries.iter().next().expect("the map has one entry");
                visitor.visit_enum(Variant { name, value })
            }
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        visitor.visit_unit()
    }
}

/// The members of a list or set, numbered for error paths.
struct Members<I> {
    members: std::iter::Enumerate<I>,
}

impl<'de, I: ExactSizeIterator<Item = Node<'de>>> de::SeqAccess<'de> for Members<I> {
    type Error = ItemSerdeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ItemSerdeError> {
        match self.members.next() {
            None => Ok(None),
            Some((index, node)) => {
                seed.deserialize(ValueDeserializer(node)).map(Some).map_err(|e| e.at_index(index))
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

/// The entries of a map, in name order.
struct Entries<'de> {
    entries: btree_map::Iter<'de, String, AttributeValue>,
    /// The entry whose key was just read and whose value comes next.
    pending: Option<(&'de str, &'de AttributeValue)>,
}

impl<'de> Entries<'de> {
    fn new(entries: &'de Item) -> Entries<'de> {
        Entries { entries: entries.iter(), pending: None }
    }
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = ItemSerdeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ItemSerdeError> {
        let Some((name, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((name, value));
        seed.deserialize(BorrowedStrDeserializer::new(name)).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ItemSerdeError> {
        let (name, value) = self.pending.take().ok_or_else(|| {
            <ItemSerdeError as de::Error>::custom("map value read before its key")
        })?;
        seed.deserialize(ValueDeserializer(Node::from(value))).map_err(|e| e.at_field(name))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A newtype, tuple or struct variant: the one entry `{name: value}` of an `M`.
struct Variant<'de> {
    name: &'de str,
    value: &'de AttributeValue,
}

impl<'de> Variant<'de> {
    fn value(&self) -> ValueDeserializer<'de> {
        ValueDeserializer(Node::from(self.value))
    }
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = ItemSerdeError;
    type Variant = Variant<'de>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Variant<'de>), ItemSerdeError> {
        let name = seed.deserialize(BorrowedStrDeserializer::new(self.name))?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = ItemSerdeError;

    fn unit_variant(self) -> Result<(), ItemSerdeError> {
        <()>::deserialize(self.value()).map_err(|e| e.at_field(self.name))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ItemSerdeError> {
        seed.deserialize(self.value()).map_err(|e| e.at_field(self.name))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        de::Deserializer::deserialize_seq(self.value(), visitor).map_err(|e| e.at_field(self.name))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ItemSerdeError> {
        de::Deserializer::deserialize_map(self.value(), visitor).map_err(|e| e.at_field(self.name))
    }
}
