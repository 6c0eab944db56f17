//! [`AttributeValue`]: a DynamoDB value of any of its ten types, and its JSON wire form.
//!
//! # Wire form
//!
//! Every value is a JSON object with exactly one type key: `{"S":"x"}`, `{"N":"12.5"}` (a JSON
//! string; written back in [`Number`]'s normalized text), `{"B":"<base64>"}` (standard base64,
//! RFC 4648, with padding), `{"BOOL":true}`, `{"NULL":true}`, `{"L":[..]}`, `{"M":{..}}`,
//! `{"SS":[..]}`, `{"NS":["1","2"]}`, `{"BS":[..]}`.
//!
//! # Reading it: two steps, two exception types
//!
//! DynamoDB first deserializes the whole request into its model objects, whose every type key is
//! optional, and only then validates them. A JSON value of the wrong JSON type anywhere in the
//! request is a `SerializationException`, even when an earlier attribute is also invalid; the
//! rule checks (exactly one type key, `NULL` true, numbers, sets, nesting) are
//! `ValidationException`s, reported for the first offending value in document order. The two
//! steps here mirror that:
//!
//! 1. [`WireValue::from_json`] checks JSON types only, over the whole tree, and decodes base64
//!    ([`ErrorKind::Serialization`] errors).
//! 2. [`WireValue::validate`] applies DynamoDB's rules and builds the [`AttributeValue`]
//!    ([`ErrorKind::Validation`] errors).
//!
//! [`AttributeValue::from_json`] and [`item_from_json`] run both steps over a
//! `serde_json::Value`; the serde `Deserialize` impl, which every request uses, runs step 1
//! straight over the JSON tokens (`value/stream.rs`, no intermediate tree) and then step 2,
//! flattening the error to its message. [`validate_value`] applies the step-2
//! rules that a built value can still break (sets, nesting) to values made in code.
//!
//! # Sources for the messages
//!
//! Every message below is DynamoDB's as recorded by tests run against the live service:
//! dynalite (github.com/architect/dynalite, `test/helpers.js` `assertType` for the
//! serialization messages, `test/putItem.js` for the validation ones), dynoxide issue #110
//! (nubo-db/dynoxide, nesting, captured in eu-west-2), and the existing [`NumberError`]
//! messages. Unknown JSON keys inside an AttributeValue are ignored and JSON `null` counts as
//! absent (dynalite: `{"a":""}` is "Supplied AttributeValue is empty"). Two choices are
//! Basalt's own, for lack of a recorded answer: a `null` set member ([`ValueError::NullSetMember`])
//! and the invalid-character base64 message ([`ValueError::Base64Character`]).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::number::{Number, NumberError};

/// Most levels of nesting a value may have, counting itself: a scalar inside 31 lists or maps
/// is the deepest accepted (dynoxide #110, captured against DynamoDB: 31 map-wraps accepted,
/// 32 rejected).
pub const NESTING_LEVELS_MAX: usize = 32;

/// Java class names DynamoDB's deserializer names when it meets a JSON array where it wanted
/// something else ("Unrecognized collection type …").
const CLASS_STRING: &str = "class java.lang.String";
const CLASS_BOOLEAN: &str = "class java.lang.Boolean";
const CLASS_BLOB: &str = "class java.nio.ByteBuffer";
const CLASS_MAP: &str =
    "java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>";
const CLASS_ATTRIBUTE_VALUE: &str = "class com.amazonaws.dynamodb.v20120810.AttributeValue";

/// A DynamoDB attribute value.
///
/// Sets keep the order they were given in (DynamoDB does not promise any order); a built set may
/// be empty or hold duplicates until [`validate_value`] says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeValue {
    /// `S`: a UTF-8 string, possibly empty outside keys.
    S(String),
    /// `N`: an exact decimal number.
    N(Number),
    /// `B`: raw bytes, possibly empty outside keys.
    B(Vec<u8>),
    /// `BOOL`.
    Bool(bool),
    /// `NULL` (always `true` on the wire).
    Null,
    /// `L`: a list of values of any types.
    L(Vec<AttributeValue>),
    /// `M`: a map from attribute names to values. A `BTreeMap`, so that output, size accounting
    /// and any encoding built on it are deterministic and names compare by UTF-8 bytes.
    M(BTreeMap<String, AttributeValue>),
    /// `SS`: a string set.
    Ss(Vec<String>),
    /// `NS`: a number set; members are distinct by numeric value.
    Ns(Vec<Number>),
    /// `BS`: a binary set.
    Bs(Vec<Vec<u8>>),
}

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// Which DynamoDB exception a [`ValueError`] maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `com.amazon.coral.service#SerializationException`: a JSON value of the wrong JSON type.
    Serialization,
    /// `com.amazon.coral.validate#ValidationException`: a value that breaks DynamoDB's rules.
    Validation,
}

/// The three set types, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// `SS`.
    String,
    /// `NS`.
    Number,
    /// `BS`.
    Binary,
}

/// A JSON scalar met where DynamoDB wanted a string or a boolean, named as its Jackson token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonToken {
    /// `true`.
    True,
    /// `false`.
    False,
    /// An integer.
    Number,
    /// A number with a fraction or an exponent.
    Decimal,
}

/// Why a JSON value is not a valid [`AttributeValue`]. Each message is DynamoDB's; [`kind`]
/// tells which exception carries it.
///
/// [`kind`]: ValueError::kind
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A boolean or number where a string (`S`, `N`, `SS`/`NS` member) was expected.
    #[error("{found} cannot be converted to String")]
    NotString {
        /// What was there.
        found: JsonToken,
    },
    /// A number where a boolean (`BOOL`, `NULL`) was expected.
    #[error("{found} cannot be converted to Boolean")]
    NotBoolean {
        /// What was there.
        found: JsonToken,
    },
    /// A string where a boolean (`BOOL`, `NULL`) was expected.
    #[error("Unexpected token received from parser")]
    StringNotBoolean,
    /// A JSON array where a scalar or a map was expected.
    #[error("Unrecognized collection type {class}")]
    UnexpectedArray {
        /// The Java type DynamoDB wanted, as it names it.
        class: &'static str,
    },
    /// A JSON object where a scalar or a list was expected.
    #[error("Start of structure or map found where not expected")]
    UnexpectedObject,
    /// A scalar where a list (`L`, `SS`, `NS`, `BS`) or a map (`M`) was expected.
    #[error("Unexpected field type")]
    UnexpectedScalar,
    /// A scalar where an AttributeValue object was expected (a list member or map value).
    #[error("Unexpected value type in payload")]
    NotAttributeValue,
    /// A non-string where base64 (`B`, `BS` member) was expected.
    #[error("only base-64-encoded strings are convertible to bytes")]
    BinaryNotString,
    /// Base64 text whose length is not a multiple of 4.
    #[error("Base64 encoded length is expected a multiple of 4 bytes but found: {length}")]
    Base64Length {
        /// The text's length in bytes.
        length: usize,
    },
    /// Base64 text whose last symbol before the padding has bits set that no encoder writes,
    /// or whose padding is misplaced. The misspelling is DynamoDB's.
    #[error("Invalid last non-pad Base64 character dectected")]
    Base64LastSymbol,
    /// Base64 text with a byte outside the standard alphabet (message not recorded; Basalt's).
    #[error("Invalid Base64 character: '{character}'")]
    Base64Character {
        /// The offending character.
        character: char,
    },
    /// No type key, or only `null` ones.
    #[error(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )]
    NoDatatype,
    /// Two or more type keys.
    #[error(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes"
    )]
    SeveralDatatypes,
    /// `{"NULL": false}`.
    #[error(
        "One or more parameter values were invalid: Null attribute value types must have the \
         value of true"
    )]
    NullNotTrue,
    /// An `N` or `NS` member that is not a storable number.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// A set without members.
    #[error("One or more parameter values were invalid: {}", empty_set_message(*.set))]
    EmptySet {
        /// Which set type.
        set: SetKind,
    },
    /// A JSON `null` set member (message not recorded; Basalt's).
    #[error("One or more parameter values were invalid: {set} may not contain null members")]
    NullSetMember {
        /// Which set type.
        set: SetKind,
    },
    /// An `SS` with a repeated member; `members` is the set as given.
    #[error(
        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        members.join(", ")
    )]
    DuplicateStrings {
        /// The set's members, in order.
        members: Vec<String>,
    },
    /// An `NS` with two numerically equal members. DynamoDB's message has neither prefix nor
    /// member list.
    #[error("Input collection contains duplicates")]
    DuplicateNumbers,
    /// A `BS` with a repeated member; `members` is the set in base64, in order. The missing
    /// space before "of" is DynamoDB's.
    #[error(
        "One or more parameter values were invalid: Input collection [{}]of type BS contains \
         duplicates.",
        members.join(", ")
    )]
    DuplicateBinaries {
        /// The set's members as base64, in order.
        members: Vec<String>,
    },
    /// Lists and maps nested more than [`NESTING_LEVELS_MAX`] levels.
    #[error(
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested \
         levels beyond supported limit"
    )]
    NestingTooDeep,
}

fn empty_set_message(set: SetKind) -> &'static str {
    // The doubled space and the "An" are DynamoDB's.
    match set {
        SetKind::String => "An string set  may not be empty",
        SetKind::Number => "An number set  may not be empty",
        SetKind::Binary => "Binary sets should not be empty",
    }
}

impl fmt::Display for JsonToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonToken::True => "TRUE_VALUE",
            JsonToken::False => "FALSE_VALUE",
            JsonToken::Number => "NUMBER_VALUE",
            JsonToken::Decimal => "DECIMAL_VALUE",
        })
    }
}

impl fmt::Display for SetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetKind::String => "SS",
            SetKind::Number => "NS",
            SetKind::Binary => "BS",
        })
    }
}

impl ValueError {
    /// Which DynamoDB exception carries this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            ValueError::NotString { .. }
            | ValueError::NotBoolean { .. }
            | ValueError::StringNotBoolean
            | ValueError::UnexpectedArray { .. }
            | ValueError::UnexpectedObject
            | ValueError::UnexpectedScalar
            | ValueError::NotAttributeValue
            | ValueError::BinaryNotString
            | ValueError::Base64Length { .. }
            | ValueError::Base64LastSymbol
            | ValueError::Base64Character { .. } => ErrorKind::Serialization,
            _ => ErrorKind::Validation,
        }
    }
}

/// An AttributeValue as deserialized, before DynamoDB's rules: every type key optional, as in
/// DynamoDB's own model object. JSON types are already checked and base64 decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WireValue {
    s: Option<String>,
    n: Option<String>,
    b: Option<Vec<u8>>,
    bool: Option<bool>,
    null: Option<bool>,
    l: Option<Vec<WireValue>>,
    m: Option<BTreeMap<String, WireValue>>,
    /// Set members are `None` where the JSON had `null` (rejected in [`WireValue::validate`]).
    ss: Option<Vec<Option<String>>>,
    ns: Option<Vec<Option<String>>>,
    bs: Option<Vec<Option<Vec<u8>>>>,
}

impl WireValue {
    /// Step 1: reads the JSON form of one AttributeValue, checking JSON types only.
    ///
    /// # Errors
    ///
    /// An error of [`ErrorKind::Serialization`] for the first value of the wrong JSON type.
    pub fn from_json(json: &Value) -> Result<WireValue, ValueError> {
        match json {
            Value::Object(object) => WireValue::from_object(object),
            Value::Array(_) => Err(ValueError::UnexpectedArray { class: CLASS_ATTRIBUTE_VALUE }),
            _ => Err(ValueError::NotAttributeValue),
        }
    }

    fn from_object(object: &Map<String, Value>) -> Result<WireValue, ValueError> {
        let mut wire = WireValue::default();
        // Unknown keys are ignored and `null` means absent, as in DynamoDB.
        for (key, json) in object.iter().filter(|(_, json)| !json.is_null()) {
            match key.as_str() {
                "S" => wire.s = Some(string(json)?),
                "N" => wire.n = Some(string(json)?),
                "B" => wire.b = Some(binary(json)?),
                "BOOL" => wire.bool = Some(boolean(json)?),
                "NULL" => wire.null = Some(boolean(json)?),
                "L" => wire.l = Some(list(json)?.iter().map(member).collect::<Result<_, _>>()?),
                "M" => wire.m = Some(map(json)?),
                "SS" => wire.ss = Some(set_members(json, string)?),
                "NS" => wire.ns = Some(set_members(json, string)?),
                "BS" => wire.bs = Some(set_members(json, binary)?),
                _ => {}
            }
        }
        Ok(wire)
    }

    /// Step 2: applies DynamoDB's rules and builds the value.
    ///
    /// # Errors
    ///
    /// An error of [`ErrorKind::Validation`] for the first rule broken, in document order.
    pub fn validate(self) -> Result<AttributeValue, ValueError> {
        self.validate_at(1)
    }

    /// Validates a value at nesting level `level` (1 for an attribute of an item).
    fn validate_at(self, level: usize) -> Result<AttributeValue, ValueError> {
        // Each present type is checked before the count, as DynamoDB does:
        // `{"S":"a","N":"b"}` reports the bad number, not the two types.
        let mut found: Vec<AttributeValue> = Vec::with_capacity(1);
        if let Some(s) = self.s {
            found.push(AttributeValue::S(s));
        }
        if let Some(n) = self.n {
            found.push(AttributeValue::N(Number::parse(&n)?));
        }
        if let Some(b) = self.b {
            found.push(AttributeValue::B(b));
        }
        if let Some(members) = self.ss {
            let members = non_null(members, SetKind::String)?;
            found.push(checked_set(AttributeValue::Ss(members))?);
        }
        if let Some(members) = self.ns {
            let members = non_null(members, SetKind::Number)?;
            let numbers = members.iter().map(|text| Number::parse(text));
            found.push(checked_set(AttributeValue::Ns(numbers.collect::<Result<_, _>>()?))?);
        }
        if let Some(members) = self.bs {
            let members = non_null(members, SetKind::Binary)?;
            found.push(checked_set(AttributeValue::Bs(members))?);
        }
        if let Some(entries) = self.m {
            found.push(AttributeValue::M(validate_children(entries, level)?));
        }
        if let Some(members) = self.l {
            found.push(AttributeValue::L(validate_children(members, level)?));
        }
        if let Some(null) = self.null {
            if !null {
                return Err(ValueError::NullNotTrue);
            }
            found.push(AttributeValue::Null);
        }
        if let Some(b) = self.bool {
            found.push(AttributeValue::Bool(b));
        }
        match found.len() {
            0 => Err(ValueError::NoDatatype),
            1 => Ok(found.pop().expect("length is 1")),
            _ => Err(ValueError::SeveralDatatypes),
        }
    }
}

/// The members of a list or the entries of a map, each validated one level down.
fn validate_children<C, T>(children: C, level: usize) -> Result<T, ValueError>
where
    C: IntoIterator,
    C::Item: ValidateChild,
    T: FromIterator<<C::Item as ValidateChild>::Output>,
{
    let mut children = children.into_iter().peekable();
    if children.peek().is_some() && level >= NESTING_LEVELS_MAX {
        return Err(ValueError::NestingTooDeep);
    }
    children.map(|child| child.validate_child(level + 1)).collect()
}

/// A list member or a map entry.
trait ValidateChild {
    type Output;
    fn validate_child(self, level: usize) -> Result<Self::Output, ValueError>;
}

impl ValidateChild for WireValue {
    type Output = AttributeValue;
    fn validate_child(self, level: usize) -> Result<AttributeValue, ValueError> {
        self.validate_at(level)
    }
}

impl ValidateChild for (String, WireValue) {
    type Output = (String, AttributeValue);
    fn validate_child(self, level: usize) -> Result<(String, AttributeValue), ValueError> {
        Ok((self.0, self.1.validate_at(level)?))
    }
}

/// The members of a set, none of them `null`.
fn non_null<T>(members: Vec<Option<T>>, set: SetKind) -> Result<Vec<T>, ValueError> {
    members.into_iter().collect::<Option<_>>().ok_or(ValueError::NullSetMember { set })
}

fn checked_set(value: AttributeValue) -> Result<AttributeValue, ValueError> {
    check_set(&value)?;
    Ok(value)
}

/// Checks that a set value is non-empty and has no duplicates; other values pass.
fn check_set(value: &AttributeValue) -> Result<(), ValueError> {
    match value {
        AttributeValue::Ss(members) => {
            if members.is_empty() {
                return Err(ValueError::EmptySet { set: SetKind::String });
            }
            if has_duplicates(members.iter().map(String::as_str)) {
                return Err(ValueError::DuplicateStrings { members: members.clone() });
            }
        }
        AttributeValue::Ns(members) => {
            if members.is_empty() {
                return Err(ValueError::EmptySet { set: SetKind::Number });
            }
            // `Number` is normalized, so equality is numeric: "1" and "1.0" collide.
            if has_duplicates(members.iter()) {
                return Err(ValueError::DuplicateNumbers);
            }
        }
        AttributeValue::Bs(members) => {
            if members.is_empty() {
                return Err(ValueError::EmptySet { set: SetKind::Binary });
            }
            if has_duplicates(members.iter().map(Vec::as_slice)) {
                let members = members.iter().map(|b| BASE64.encode(b)).collect();
                return Err(ValueError::DuplicateBinaries { members });
            }
        }
        _ => {}
    }
    Ok(())
}

fn has_duplicates<T: Eq + std::hash::Hash>(members: impl ExactSizeIterator<Item = T>) -> bool {
    let mut seen = HashSet::with_capacity(members.len());
    members.into_iter().any(|member| !seen.insert(member))
}

/// Checks the rules a built value can break: sets non-empty and without duplicates (number
/// sets by numeric value), and lists and maps nested at most [`NESTING_LEVELS_MAX`] levels.
/// Recursive; `value` is taken to be an attribute of an item (level 1).
///
/// # Errors
///
/// The first broken rule in document order, all of [`ErrorKind::Validation`].
pub fn validate_value(value: &AttributeValue) -> Result<(), ValueError> {
    validate_value_at(value, 1)
}

fn validate_value_at(value: &AttributeValue, level: usize) -> Result<(), ValueError> {
    let children: Box<dyn ExactSizeIterator<Item = &AttributeValue>> = match value {
        AttributeValue::L(members) => Box::new(members.iter()),
        AttributeValue::M(entries) => Box::new(entries.values()),
        _ => return check_set(value),
    };
    if children.len() > 0 && level >= NESTING_LEVELS_MAX {
        return Err(ValueError::NestingTooDeep);
    }
    children.into_iter().try_for_each(|child| validate_value_at(child, level + 1))
}

impl AttributeValue {
    /// Reads and validates the JSON form of one value (both steps of the module docs).
    ///
    /// # Errors
    ///
    /// Any [`ValueError`]; serialization errors anywhere win over validation errors.
    pub fn from_json(json: &Value) -> Result<AttributeValue, ValueError> {
        WireValue::from_json(json)?.validate()
    }

    /// The JSON wire form of the value.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let (key, json) = self.type_and_json();
        let mut object = Map::with_capacity(1);
        object.insert(key.to_owned(), json);
        Value::Object(object)
    }

    /// The type key and the JSON value under it.
    fn type_and_json(&self) -> (&'static str, Value) {
        match self {
            AttributeValue::S(s) => ("S", Value::String(s.clone())),
            AttributeValue::N(n) => ("N", Value::String(n.to_string())),
            AttributeValue::B(b) => ("B", Value::String(BASE64.encode(b))),
            AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
            AttributeValue::Null => ("NULL", Value::Bool(true)),
            AttributeValue::L(members) => {
                ("L", Value::Array(members.iter().map(AttributeValue::to_json).collect()))
            }
            AttributeValue::M(entries) => ("M", Value::Object(item_to_json(entries))),
            AttributeValue::Ss(members) => {
                ("SS", Value::Array(members.iter().cloned().map(Value::String).collect()))
            }
            AttributeValue::Ns(members) => {
                ("NS", Value::Array(members.iter().map(|n| Value::String(n.to_string())).collect()))
            }
            AttributeValue::Bs(members) => (
                "BS",
                Value::Array(members.iter().map(|b| Value::String(BASE64.encode(b))).collect()),
            ),
        }
    }
}

/// Reads and validates the JSON form of an item: a JSON object of attribute names to values.
/// Every value is read (step 1) before any is validated (step 2), as DynamoDB does.
///
/// # Errors
///
/// Any [`ValueError`]; a JSON array or scalar instead of an object is a serialization error.
pub fn item_from_json(json: &Value) -> Result<Item, ValueError> {
    let wire = map(json)?;
    wire.into_iter().map(|(name, value)| Ok((name, value.validate()?))).collect()
}

/// The JSON wire form of an item (or of an `M` value's entries).
#[must_use]
pub fn item_to_json(item: &Item) -> Map<String, Value> {
    item.iter().map(|(name, value)| (name.clone(), value.to_json())).collect()
}

/// A JSON string, or the error DynamoDB gives for a String member of another JSON type.
fn string(json: &Value) -> Result<String, ValueError> {
    match json {
        Value::String(s) => Ok(s.clone()),
        Value::Array(_) => Err(ValueError::UnexpectedArray { class: CLASS_STRING }),
        Value::Object(_) => Err(ValueError::UnexpectedObject),
        other => Err(ValueError::NotString { found: token(other) }),
    }
}

fn boolean(json: &Value) -> Result<bool, ValueError> {
    match json {
        Value::Bool(b) => Ok(*b),
        Value::String(_) => Err(ValueError::StringNotBoolean),
        Value::Array(_) => Err(ValueError::UnexpectedArray { class: CLASS_BOOLEAN }),
        Value::Object(_) => Err(ValueError::UnexpectedObject),
        other => Err(ValueError::NotBoolean { found: token(other) }),
    }
}

fn binary(json: &Value) -> Result<Vec<u8>, ValueError> {
    match json {
        Value::String(text) => decode_base64(text),
        Value::Array(_) => Err(ValueError::UnexpectedArray { class: CLASS_BLOB }),
        Value::Object(_) => Err(ValueError::UnexpectedObject),
        _ => Err(ValueError::BinaryNotString),
    }
}

/// Strict standard base64 with padding, with DynamoDB's three messages.
fn decode_base64(text: &str) -> Result<Vec<u8>, ValueError> {
    if text.len() % 4 != 0 {
        return Err(ValueError::Base64Length { length: text.len() });
    }
    // The decoder accepts only the alphabet and canonical padding: what it takes is valid, and
    // only what it refuses needs the diagnosis below.
    if let Ok(bytes) = BASE64.decode(text) {
        return Ok(bytes);
    }
    // Bytes, not chars: every byte before the first one outside the alphabet is ASCII, so
    // that byte starts the character to report.
    let outside = |b: &u8| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if let Some(at) = text.as_bytes().iter().position(outside) {
        let character = text[at..].chars().next().expect("a character starts at a non-ASCII byte");
        return Err(ValueError::Base64Character { character });
    }
    // The alphabet and length are right, so what is left is misplaced padding or non-zero
    // trailing bits: what DynamoDB reports as the last non-pad character ('=+/=', '+/+=').
    BASE64.decode(text).map_err(|_| ValueError::Base64LastSymbol)
}

/// A JSON array, for `L`, `SS`, `NS` and `BS`.
fn list(json: &Value) -> Result<&Vec<Value>, ValueError> {
    match json {
        Value::Array(members) => Ok(members),
        Value::Object(_) => Err(ValueError::UnexpectedObject),
        _ => Err(ValueError::UnexpectedScalar),
    }
}

/// A JSON object of AttributeValues, for `M` and items.
fn map(json: &Value) -> Result<BTreeMap<String, WireValue>, ValueError> {
    match json {
        Value::Object(entries) => {
            entries.iter().map(|(name, value)| Ok((name.clone(), member(value)?))).collect()
        }
        Value::Array(_) => Err(ValueError::UnexpectedArray { class: CLASS_MAP }),
        _ => Err(ValueError::UnexpectedScalar),
    }
}

/// A list member or map value. `null` is an AttributeValue with no type set.
fn member(json: &Value) -> Result<WireValue, ValueError> {
    if json.is_null() {
        return Ok(WireValue::default());
    }
    WireValue::from_json(json)
}

/// The members of a set, read with `read`; `null` members read as `None` (rejected in step 2).
fn set_members<T>(
    json: &Value,
    read: fn(&Value) -> Result<T, ValueError>,
) -> Result<Vec<Option<T>>, ValueError> {
    list(json)?
        .iter()
        .map(|member| if member.is_null() { Ok(None) } else { read(member).map(Some) })
        .collect()
}

fn token(json: &Value) -> JsonToken {
    match json {
        Value::Bool(true) => JsonToken::True,
        Value::Bool(false) => JsonToken::False,
        // Jackson's integer token for integers; serde_json keeps integers beyond 64 bits only
        // as f64, so those read as decimals here (a known, harmless difference in wording).
        Value::Number(n) if n.is_i64() || n.is_u64() => JsonToken::Number,
        _ => JsonToken::Decimal,
    }
}

/// Serializes straight to the wire form (what [`AttributeValue::to_json`] builds), without an
/// intermediate `serde_json::Value`: responses are written this way.
impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(s) => out.serialize_entry("S", s)?,
            AttributeValue::N(n) => out.serialize_entry("N", &AsText(n))?,
            AttributeValue::B(b) => out.serialize_entry("B", &AsBase64(b))?,
            AttributeValue::Bool(b) => out.serialize_entry("BOOL", b)?,
            AttributeValue::Null => out.serialize_entry("NULL", &true)?,
            AttributeValue::L(members) => out.serialize_entry("L", members)?,
            AttributeValue::M(entries) => out.serialize_entry("M", entries)?,
            AttributeValue::Ss(members) => out.serialize_entry("SS", members)?,
            AttributeValue::Ns(members) => out.serialize_entry("NS", &NumberMembers(members))?,
            AttributeValue::Bs(members) => out.serialize_entry("BS", &BinaryMembers(members))?,
        }
        out.end()
    }
}

/// A value serialized as the string its `Display` writes.
struct AsText<'a, T: fmt::Display>(&'a T);

impl<T: fmt::Display> Serialize for AsText<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// Bytes serialized as standard base64.
struct AsBase64<'a>(&'a [u8]);

impl Serialize for AsBase64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&base64::display::Base64Display::new(self.0, &BASE64))
    }
}

/// The members of an `NS`, as strings.
struct NumberMembers<'a>(&'a [Number]);

impl Serialize for NumberMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(AsText))
    }
}

/// The members of a `BS`, as base64.
struct BinaryMembers<'a>(&'a [Vec<u8>]);

impl Serialize for BinaryMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|b| AsBase64(b)))
    }
}

thread_local! {
    /// The kind of the last [`ValueError`] a deserialization on this thread failed with.
    static LAST_ERROR_KIND: std::cell::Cell<Option<ErrorKind>> = const { std::cell::Cell::new(None) };
}

/// Takes the kind of the last [`ValueError`] that failed a deserialization of an
/// [`AttributeValue`] on this thread (serde carries only its message), and forgets it. Used by
/// [`crate::api::decode_request`] to answer with the right exception.
pub(crate) fn take_last_error_kind() -> Option<ErrorKind> {
    LAST_ERROR_KIND.with(std::cell::Cell::take)
}

impl<'de> Deserialize<'de> for AttributeValue {
    /// Reads and validates one value; the [`ValueError`] becomes the message of a serde error.
    /// Callers that must tell the two exceptions apart use [`AttributeValue::from_json`] or
    /// [`crate::api::decode_request`].
    /// Step 1 reads the JSON tokens as they come ([`stream`]), step 2 is
    /// [`WireValue::validate`], as for [`AttributeValue::from_json`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AttributeValue, D::Error> {
        stream::wire_attribute(deserializer)?.validate().map_err(stream::raise)
    }
}

mod stream;
#[cfg(test)]
mod tests;
