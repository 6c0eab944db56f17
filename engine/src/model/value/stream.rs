//! Step 1 of the module docs read straight from the request's JSON tokens: the same
//! [`WireValue`] that [`WireValue::from_json`] builds from a `serde_json::Value`, without that
//! intermediate tree (one allocation per JSON node saved, on every item of every request).
//!
//! The two readers agree on every value and on every error kind; the message of a serialization
//! error is the same whenever the value has one such error. Where a value has several, this
//! reader reports the first in document order, as DynamoDB's own streaming parser does, while
//! `from_json` meets them in its map's key order. A type key given twice keeps its last value in
//! both readers, `null` counting as absent.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{
    decode_base64, JsonToken, ValueError, WireValue, CLASS_ATTRIBUTE_VALUE, CLASS_BLOB,
    CLASS_BOOLEAN, CLASS_MAP, CLASS_STRING,
};

/// What a JSON value inside an AttributeValue must be; a serde seed reading one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// An attribute of an item: an AttributeValue object (`null` is not one).
    Attribute,
    /// A list member or map value: an AttributeValue object, `null` reading as an empty one.
    Member,
    /// `S`, `N`, or an `SS`/`NS` member: a string.
    Text,
    /// `B`, or a `BS` member: base64 text.
    Blob,
    /// `BOOL`, `NULL`: a boolean.
    Flag,
    /// `L`: an array of members.
    List,
    /// `M`: an object of members.
    Entries,
    /// `SS`, `NS`: an array of strings (`null` members kept as `None`).
    Texts,
    /// `BS`: an array of base64 texts (`null` members kept as `None`).
    Blobs,
}

/// The contents of `got` if it is the `variant` its [`Want`] reads; `None` for
/// [`Got::Absent`] (JSON `null`), the only other answer a `Want` gives.
macro_rules! take {
    ($got:expr, $variant:ident) => {
        match $got {
            Got::$variant(contents) => Some(contents),
            _ => None,
        }
    };
}

/// What a [`Want`] read.
#[derive(Debug)]
enum Got {
    /// JSON `null`, where that means "not given".
    Absent,
    Value(WireValue),
    Text(String),
    Blob(Vec<u8>),
    Flag(bool),
    List(Vec<WireValue>),
    Entries(BTreeMap<String, WireValue>),
    Texts(Vec<Option<String>>),
    Blobs(Vec<Option<Vec<u8>>>),
}

/// The JSON shape met, for the error of a [`Want`] that does not accept it.
#[derive(Clone, Copy)]
enum Found {
    Scalar(JsonToken),
    Text,
    Array,
    Object,
    Null,
}

impl Want {
    /// The error for finding `found` where `self` is wanted (DynamoDB's, as `from_json` gives).
    fn refuse(self, found: Found) -> ValueError {
        match (self, found) {
            (Want::Attribute | Want::Member, Found::Array) => {
                ValueError::UnexpectedArray { class: CLASS_ATTRIBUTE_VALUE }
            }
            (Want::Attribute | Want::Member, _) => ValueError::NotAttributeValue,
            (Want::Text, Found::Array) => ValueError::UnexpectedArray { class: CLASS_STRING },
            (Want::Blob, Found::Array) => ValueError::UnexpectedArray { class: CLASS_BLOB },
            (Want::Flag, Found::Array) => ValueError::UnexpectedArray { class: CLASS_BOOLEAN },
            (Want::Entries, Found::Array) => ValueError::UnexpectedArray { class: CLASS_MAP },
            (_, Found::Object) => ValueError::UnexpectedObject,
            (Want::Text, Found::Scalar(found)) => ValueError::NotString { found },
            (Want::Flag, Found::Scalar(found)) => ValueError::NotBoolean { found },
            (Want::Flag, _) => ValueError::StringNotBoolean,
            (Want::Blob, _) => ValueError::BinaryNotString,
            (Want::List | Want::Entries | Want::Texts | Want::Blobs, _) => {
                ValueError::UnexpectedScalar
            }
            // A string is always accepted as text; `null` never reaches here.
            (Want::Text, Found::Text | Found::Null) => ValueError::NotAttributeValue,
        }
    }

    fn fail<T, E: de::Error>(self, found: Found) -> Result<T, E> {
        Err(raise(self.refuse(found)))
    }
}

/// Step 1 for an attribute of an item, straight from the JSON tokens.
pub(super) fn wire_attribute<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<WireValue, D::Error> {
    // `Attribute` refuses `null`, so the value is always there.
    let got = Want::Attribute.deserialize(deserializer)?;
    Ok(take!(got, Value).unwrap_or_default())
}

/// A [`ValueError`] as a serde error, its kind recorded for [`super::take_last_error_kind`].
pub(super) fn raise<E: de::Error>(error: ValueError) -> E {
    super::LAST_ERROR_KIND.with(|kind| kind.set(Some(error.kind())));
    E::custom(error)
}

impl<'de> DeserializeSeed<'de> for Want {
    type Value = Got;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Got, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Want {
    type Value = Got;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "an AttributeValue ({self:?})")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Got, E> {
        match self {
            Want::Flag => Ok(Got::Flag(v)),
            _ => self.fail(Found::Scalar(if v { JsonToken::True } else { JsonToken::False })),
        }
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Got, E> {
        self.fail(Found::Scalar(JsonToken::Number))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Got, E> {
        self.fail(Found::Scalar(JsonToken::Number))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Got, E> {
        self.fail(Found::Scalar(JsonToken::Decimal))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Got, E> {
        match self {
            Want::Text => Ok(Got::Text(v.to_owned())),
            Want::Blob => decode_base64(v).map(Got::Blob).map_err(raise),
            _ => self.fail(Found::Text),
        }
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Got, E> {
        match self {
            Want::Text => Ok(Got::Text(v)),
            _ => self.visit_str(&v),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Got, E> {
        match self {
            Want::Attribute => self.fail(Found::Null),
            _ => Ok(Got::Absent),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got, A::Error> {
        match self {
            Want::List => {
                let mut members = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(member) = seq.next_element_seed(Want::Member)? {
                    members.push(take!(member, Value).unwrap_or_default());
                }
                Ok(Got::List(members))
            }
            Want::Texts => Ok(Got::Texts(set_members(seq, Want::Text, |got| take!(got, Text))?)),
            Want::Blobs => Ok(Got::Blobs(set_members(seq, Want::Blob, |got| take!(got, Blob))?)),
            _ => self.fail(Found::Array),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Got, A::Error> {
        match self {
            Want::Attribute | Want::Member => Ok(Got::Value(wire_value(map)?)),
            Want::Entries => {
                let mut entries = BTreeMap::new();
                while let Some(name) = map.next_key::<String>()? {
                    let got = map.next_value_seed(Want::Member)?;
                    let value = take!(got, Value).unwrap_or_default();
                    entries.insert(name, value);
                }
                Ok(Got::Entries(entries))
            }
            _ => self.fail(Found::Object),
        }
    }
}

/// The members of a set, each read as `member` wants; `null` members kept as `None`.
fn set_members<'de, A: SeqAccess<'de>, T>(
    mut seq: A,
    member: Want,
    take: fn(Got) -> Option<T>,
) -> Result<Vec<Option<T>>, A::Error> {
    let mut members = Vec::with_capacity(seq.size_hint().unwrap_or(0));
    while let Some(got) = seq.next_element_seed(member)? {
        members.push(take(got));
    }
    Ok(members)
}

/// Reads and drops a JSON value (under a key DynamoDB ignores) with every check a
/// `serde_json::Value` would make: nesting depth, UTF-8, escapes, numbers in range.
/// `IgnoredAny` only scans the tokens, so it would accept what `from_json`'s reader refuses.
#[derive(Clone, Copy)]
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// The type keys of an AttributeValue object, and any other key (ignored, as DynamoDB does).
enum TypeKey {
    S,
    N,
    B,
    Bool,
    Null,
    L,
    M,
    Ss,
    Ns,
    Bs,
    Other,
}

impl<'de> de::Deserialize<'de> for TypeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TypeKey, D::Error> {
        deserializer.deserialize_str(TypeKeyVisitor)
    }
}

struct TypeKeyVisitor;

impl Visitor<'_> for TypeKeyVisitor {
    type Value = TypeKey;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an AttributeValue type key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<TypeKey, E> {
        Ok(match key {
            "S" => TypeKey::S,
            "N" => TypeKey::N,
            "B" => TypeKey::B,
            "BOOL" => TypeKey::Bool,
            "NULL" => TypeKey::Null,
            "L" => TypeKey::L,
            "M" => TypeKey::M,
            "SS" => TypeKey::Ss,
            "NS" => TypeKey::Ns,
            "BS" => TypeKey::Bs,
            _ => TypeKey::Other,
        })
    }
}

/// Reads the entries of an AttributeValue object. A `null` value leaves its type unset (and
/// unsets an earlier one under the same key: the last value of a repeated key counts).
fn wire_value<'de, A: MapAccess<'de>>(mut map: A) -> Result<WireValue, A::Error> {
    let mut wire = WireValue::default();
    while let Some(key) = map.next_key::<TypeKey>()? {
        let want = match key {
            TypeKey::S | TypeKey::N => Want::Text,
            TypeKey::B => Want::Blob,
            TypeKey::Bool | TypeKey::Null => Want::Flag,
            TypeKey::L => Want::List,
            TypeKey::M => Want::Entries,
            TypeKey::Ss | TypeKey::Ns => Want::Texts,
            TypeKey::Bs => Want::Blobs,
            TypeKey::Other => {
                map.next_value_seed(Skip)?;
                continue;
            }
        };
        let got = map.next_value_seed(want)?;
        match key {
            TypeKey::S => wire.s = take!(got, Text),
            TypeKey::N => wire.n = take!(got, Text),
            TypeKey::B => wire.b = take!(got, Blob),
            TypeKey::Bool => wire.bool = take!(got, Flag),
            TypeKey::Null => wire.null = take!(got, Flag),
            TypeKey::L => wire.l = take!(got, List),
            TypeKey::M => wire.m = take!(got, Entries),
            TypeKey::Ss => wire.ss = take!(got, Texts),
            TypeKey::Ns => wire.ns = take!(got, Texts),
            TypeKey::Bs => wire.bs = take!(got, Blobs),
            TypeKey::Other => {}
        }
    }
    Ok(wire)
}
