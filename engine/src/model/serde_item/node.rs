//! [`Node`]: a borrowed view of an attribute value or of one set member, what the deserializer
//! walks.

use crate::model::{AttributeValue, Item, Number};

/// An [`AttributeValue`] by reference, or a member of a set (a bare string, number or bytes),
/// so that set members deserialize as the scalars they are.
#[derive(Clone, Copy, Debug)]
pub(super) enum Node<'de> {
    S(&'de str),
    N(&'de Number),
    B(&'de [u8]),
    Bool(bool),
    Null,
    L(&'de [AttributeValue]),
    M(&'de Item),
    Ss(&'de [String]),
    Ns(&'de [Number]),
    Bs(&'de [Vec<u8>]),
}

impl<'de> From<&'de AttributeValue> for Node<'de> {
    fn from(value: &'de AttributeValue) -> Node<'de> {
        match value {
            AttributeValue::S(s) => Node::S(s),
            AttributeValue::N(n) => Node::N(n),
            AttributeValue::B(b) => Node::B(b),
            AttributeValue::Bool(b) => Node::Bool(*b),
            AttributeValue::Null => Node::Null,
            AttributeValue::L(members) => Node::L(members),
            AttributeValue::M(entries) => Node::M(entries),
            AttributeValue::Ss(members) => Node::Ss(members),
            AttributeValue::Ns(members) => Node::Ns(members),
            AttributeValue::Bs(members) => Node::Bs(members),
        }
    }
}

impl Node<'_> {
    /// The value's type, for messages: "a string (S)".
    pub(super) fn type_name(self) -> &'static str {
        match self {
            Node::S(_) => "a string (S)",
            Node::N(_) => "a number (N)",
            Node::B(_) => "binary (B)",
            Node::Bool(_) => "a boolean (BOOL)",
            Node::Null => "null (NULL)",
            Node::L(_) => "a list (L)",
            Node::M(_) => "a map (M)",
            Node::Ss(_) => "a string set (SS)",
            Node::Ns(_) => "a number set (NS)",
            Node::Bs(_) => "a binary set (BS)",
        }
    }
}
