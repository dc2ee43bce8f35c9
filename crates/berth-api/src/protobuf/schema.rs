//! The shape of the static field tables: for each message, tag → JSON name and field kind.

/// One protobuf message type, as a table of its fields.
#[derive(Debug)]
pub(crate) struct Message {
    /// The protobuf message name, used in unknown-field reports and errors.
    pub name: &'static str,
    pub fields: &'static [Field],
}

/// One field of a message.
#[derive(Debug)]
pub(crate) struct Field {
    pub tag: u32,
    /// The JSON (Go `json` tag) name; empty for [`Kind::Inline`].
    pub name: &'static str,
    pub kind: Kind,
    /// Emit the field even when it holds its zero value: the Go field is a pointer or has no
    /// `omitempty`, so `false` and `0` mean something. Other zero scalars are left out, as the
    /// Go JSON encoder would.
    pub keep_zero: bool,
}

/// How a field is laid out.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A singular field.
    One(Elem),
    /// A repeated field (packed or not, for numbers).
    Repeated(Elem),
    /// `map<string, V>`: repeated `{1: key, 2: value}` entries.
    Map(Elem),
    /// An embedded Go struct (`json:",inline"`): its fields land in the enclosing object.
    Inline(&'static Message),
}

/// The type of one value.
#[derive(Debug)]
pub(crate) enum Elem {
    Str,
    /// JSON: standard base64.
    Bytes,
    Int32,
    Int64,
    Bool,
    Msg(&'static Message),
    /// `meta/v1 Time {seconds 1, nanos 2}`: RFC 3339 in UTC, whole seconds.
    Time,
    /// `{type 1, intVal 2, strVal 3}`: a JSON number or string.
    IntOrString,
    /// `{string 1}`: the quantity's string.
    Quantity,
    /// `meta/v1 FieldsV1 {raw 1}` holding JSON.
    FieldsV1,
}

pub(crate) const fn msg(name: &'static str, fields: &'static [Field]) -> Message {
    Message { name, fields }
}

/// A field whose zero value is omitted.
pub(crate) const fn f(tag: u32, name: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        name,
        kind,
        keep_zero: false,
    }
}

/// A field whose zero value is kept.
pub(crate) const fn keep(tag: u32, name: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        name,
        kind,
        keep_zero: true,
    }
}

impl Message {
    pub fn field(&self, tag: u32) -> Option<&Field> {
        self.fields.iter().find(|f| f.tag == tag)
    }
}
