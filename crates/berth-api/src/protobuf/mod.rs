//! Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into
//! the JSON object the JSON API would have received.
//!
//! kubectl's typed generators (`create namespace`, `create configmap`, ...) send protobuf and do
//! not retry in JSON on a 415, while berth stores and serves JSON only. A body is the magic
//! `k8s\0` and a `runtime.Unknown { 1: TypeMeta { 1: apiVersion, 2: kind }, 2: raw,
//! 3: contentEncoding, 4: contentType }`; `raw` is the object's own encoding, which static
//! per-message tables (`core_v1`, `meta_v1`) turn into JSON. Fields missing from the tables are skipped
//! and reported in [`Decoded::unknown_tags`] so the caller can warn.

// The tables stay one field a line.
#[rustfmt::skip]
mod core_v1;
#[rustfmt::skip]
mod meta_v1;
mod schema;
pub mod wire;

#[cfg(test)]
mod tests;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::ApiError;
use schema::{Elem, Field, Kind, Message};
use wire::{Reader, WireError};

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The four bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// Deeper nesting than any table allows means a malicious or broken body.
const MAX_DEPTH: usize = 64;

/// The kinds with a table: `(apiVersion, kind)`; an empty apiVersion matches any group version
/// (`DeleteOptions` travels with the resource's group version).
const KINDS: &[(&str, &str, &Message)] = &[
    ("v1", "Namespace", &core_v1::NAMESPACE),
    ("v1", "ConfigMap", &core_v1::CONFIG_MAP),
    ("v1", "Secret", &core_v1::SECRET),
    ("v1", "ServiceAccount", &core_v1::SERVICE_ACCOUNT),
    ("v1", "Service", &core_v1::SERVICE),
    ("v1", "Pod", &core_v1::POD),
    ("v1", "PersistentVolumeClaim", &core_v1::PERSISTENT_VOLUME_CLAIM),
    ("", "DeleteOptions", &meta_v1::META_DELETE_OPTIONS),
];

/// A decoded body.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The object, with `apiVersion` and `kind` from the envelope.
    pub object: Value,
    /// Fields skipped because no table names them, as `Message.tag` (`PodSpec.99`), each once.
    pub unknown_tags: Vec<String>,
}

/// Why a protobuf body could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtobufError {
    #[error("the body does not start with the protobuf magic \"k8s\\x00\"")]
    MissingMagic,
    #[error("malformed envelope: {0}")]
    Envelope(WireError),
    #[error("the envelope names no kind")]
    MissingKind,
    #[error("content encoding {0:?} is not supported")]
    UnsupportedEncoding(String),
    #[error("protobuf is not supported for {kind} ({api_version}); send it as application/json")]
    UnsupportedKind { api_version: String, kind: String },
    #[error("malformed {message}: {source}")]
    Wire { message: &'static str, source: WireError },
    #[error("{message}.{field}: {found} value where {expected} was expected")]
    WireType {
        message: &'static str,
        field: &'static str,
        found: &'static str,
        expected: &'static str,
    },
    #[error("{message}.{field}: invalid UTF-8")]
    Utf8 { message: &'static str, field: &'static str },
    #[error("{message}.{field}: time {seconds}s is out of range")]
    Time {
        message: &'static str,
        field: &'static str,
        seconds: i64,
    },
    #[error("{message}.{field}: raw bytes are not JSON: {detail}")]
    RawJson {
        message: &'static str,
        field: &'static str,
        detail: String,
    },
    #[error("messages nested more than {MAX_DEPTH} deep")]
    TooDeep,
}

impl From<ProtobufError> for ApiError {
    fn from(e: ProtobufError) -> Self {
        match e {
            ProtobufError::UnsupportedKind { .. } => ApiError::UnsupportedMediaType(e.to_string()),
            _ => ApiError::BadRequest(format!("the body of the request could not be decoded as protobuf: {e}")),
        }
    }
}

/// Decodes a whole body: magic, envelope, object.
pub fn decode(bytes: &[u8]) -> Result<Decoded, ProtobufError> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or(ProtobufError::MissingMagic)?;
    let env = envelope(rest)?;
    if env.kind.is_empty() {
        return Err(ProtobufError::MissingKind);
    }
    if !env.content_encoding.is_empty() {
        return Err(ProtobufError::UnsupportedEncoding(env.content_encoding));
    }
    let table = KINDS
        .iter()
        .find(|(v, k, _)| *k == env.kind && (v.is_empty() || *v == env.api_version))
        .map(|(_, _, m)| *m)
        .ok_or_else(|| ProtobufError::UnsupportedKind {
            api_version: env.api_version.clone(),
            kind: env.kind.clone(),
        })?;
    let mut unknown = Vec::new();
    let mut object = Map::new();
    object.insert("kind".into(), Value::String(env.kind));
    object.insert("apiVersion".into(), Value::String(env.api_version));
    decode_into(table, env.raw, &mut object, 0, &mut unknown)?;
    Ok(Decoded {
        object: Value::Object(object),
        unknown_tags: unknown,
    })
}

/// The parts of `runtime.Unknown` that matter.
struct Envelope<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
    content_encoding: String,
}

fn envelope(bytes: &[u8]) -> Result<Envelope<'_>, ProtobufError> {
    let mut env = Envelope {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
        content_encoding: String::new(),
    };
    for item in Reader::new(bytes) {
        let (tag, value) = item.map_err(ProtobufError::Envelope)?;
        match (tag, value) {
            (1, wire::Value::Bytes(b)) => {
                for item in Reader::new(b) {
                    match item.map_err(ProtobufError::Envelope)? {
                        (1, wire::Value::Bytes(s)) => env.api_version = envelope_str(s, "apiVersion")?,
                        (2, wire::Value::Bytes(s)) => env.kind = envelope_str(s, "kind")?,
                        _ => {}
                    }
                }
            }
            (2, wire::Value::Bytes(b)) => env.raw = b,
            (3, wire::Value::Bytes(s)) => env.content_encoding = envelope_str(s, "contentEncoding")?,
            _ => {}
        }
    }
    Ok(env)
}

fn envelope_str(b: &[u8], field: &'static str) -> Result<String, ProtobufError> {
    String::from_utf8(b.to_vec()).map_err(|_| ProtobufError::Utf8 {
        message: "Unknown",
        field,
    })
}

/// Decodes one message's fields into `out` (a fresh object, or the parent for inline structs).
fn decode_into(
    m: &'static Message,
    bytes: &[u8],
    out: &mut Map<String, Value>,
    depth: usize,
    unknown: &mut Vec<String>,
) -> Result<(), ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::TooDeep);
    }
    for item in Reader::new(bytes) {
        let (tag, value) = item.map_err(|source| ProtobufError::Wire {
            message: m.name,
            source,
        })?;
        let Some(field) = m.field(tag) else {
            let name = format!("{}.{tag}", m.name);
            if !unknown.contains(&name) {
                unknown.push(name);
            }
            continue;
        };
        let at = At {
            message: m,
            field,
            depth,
            value,
        };
        match &field.kind {
            Kind::One(elem) => match at.elem(elem, unknown)? {
                Some(v) if field.keep_zero || !is_zero(&v) => {
                    out.insert(field.name.into(), v);
                }
                // A later zero occurrence still overrides an earlier one, as in protobuf.
                _ => {
                    out.remove(field.name);
                }
            },
            Kind::Repeated(elem) => {
                let list = out.entry(field.name).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    at.repeated(elem, items, unknown)?;
                }
            }
            Kind::Map(elem) => {
                let (k, v) = at.map_entry(elem, unknown)?;
                let map = out.entry(field.name).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(entries) = map {
                    entries.insert(k, v);
                }
            }
            Kind::Inline(inner) => decode_into(inner, at.bytes()?, out, depth + 1, unknown)?,
        }
    }
    Ok(())
}

/// Whether a scalar is the Go zero value that `omitempty` leaves out.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        _ => false,
    }
}

/// One field occurrence being decoded, with what error messages need.
struct At<'a> {
    message: &'static Message,
    field: &'static Field,
    depth: usize,
    value: wire::Value<'a>,
}

impl<'a> At<'a> {
    fn wire_type(&self, expected: &'static str) -> ProtobufError {
        ProtobufError::WireType {
            message: self.message.name,
            field: self.field.name,
            found: self.value.wire_name(),
            expected,
        }
    }

    fn bytes(&self) -> Result<&'a [u8], ProtobufError> {
        match self.value {
            wire::Value::Bytes(b) => Ok(b),
            _ => Err(self.wire_type("length-delimited")),
        }
    }

    fn varint(&self) -> Result<u64, ProtobufError> {
        match self.value {
            wire::Value::Varint(v) => Ok(v),
            _ => Err(self.wire_type("varint")),
        }
    }

    fn wire_err(&self, source: WireError) -> ProtobufError {
        ProtobufError::Wire {
            message: self.message.name,
            source,
        }
    }

    fn utf8(&self, b: &[u8]) -> Result<String, ProtobufError> {
        String::from_utf8(b.to_vec()).map_err(|_| ProtobufError::Utf8 {
            message: self.message.name,
            field: self.field.name,
        })
    }

    /// One value; `None` when it stands for an absent field (a zero `Time`, an empty `Quantity`).
    fn elem(&self, elem: &Elem, unknown: &mut Vec<String>) -> Result<Option<Value>, ProtobufError> {
        Ok(Some(match elem {
            Elem::Str => Value::String(self.utf8(self.bytes()?)?),
            Elem::Bytes => Value::String(base64::engine::general_purpose::STANDARD.encode(self.bytes()?)),
            // Truncating casts are protobuf's own rule for int32 and int64 varints.
            Elem::Int32 => Value::from(self.varint()? as i32),
            Elem::Int64 => Value::from(self.varint()? as i64),
            Elem::Bool => Value::Bool(self.varint()? != 0),
            Elem::Msg(m) => {
                let mut obj = Map::new();
                decode_into(m, self.bytes()?, &mut obj, self.depth + 1, unknown)?;
                Value::Object(obj)
            }
            Elem::Time => return self.time(),
            Elem::IntOrString => self.int_or_string()?,
            Elem::Quantity => {
                let s = self.string_field(1)?;
                if s.is_empty() {
                    return Ok(None);
                }
                Value::String(s)
            }
            Elem::FieldsV1 => return self.raw_json(),
        }))
    }

    /// Reads the sub-fields of a small well-known message, calling `each` for every one.
    fn sub_fields(&self, mut each: impl FnMut(u32, wire::Value<'a>)) -> Result<(), ProtobufError> {
        for item in Reader::new(self.bytes()?) {
            let (tag, v) = item.map_err(|e| self.wire_err(e))?;
            each(tag, v);
        }
        Ok(())
    }

    /// The string sub-field `tag` of a small message (`Quantity.string`).
    fn string_field(&self, tag: u32) -> Result<String, ProtobufError> {
        let mut found: &[u8] = &[];
        self.sub_fields(|t, v| {
            if let (true, wire::Value::Bytes(b)) = (t == tag, v) {
                found = b;
            }
        })?;
        self.utf8(found)
    }

    /// `Time { seconds 1, nanos 2 }`; upstream drops the nanoseconds and encodes the zero time as
    /// an empty message, which JSON spells as an absent field.
    fn time(&self) -> Result<Option<Value>, ProtobufError> {
        if self.bytes()?.is_empty() {
            return Ok(None);
        }
        let mut seconds = 0i64;
        self.sub_fields(|t, v| {
            if let (1, wire::Value::Varint(s)) = (t, v) {
                seconds = s as i64;
            }
        })?;
        let ts = jiff::Timestamp::from_second(seconds).map_err(|_| ProtobufError::Time {
            message: self.message.name,
            field: self.field.name,
            seconds,
        })?;
        Ok(Some(Value::String(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())))
    }

    /// `IntOrString { type 1, intVal 2, strVal 3 }`.
    fn int_or_string(&self) -> Result<Value, ProtobufError> {
        let (mut ty, mut int_val, mut str_val) = (0u64, 0u64, &[][..]);
        self.sub_fields(|t, v| match (t, v) {
            (1, wire::Value::Varint(x)) => ty = x,
            (2, wire::Value::Varint(x)) => int_val = x,
            (3, wire::Value::Bytes(b)) => str_val = b,
            _ => {}
        })?;
        Ok(if ty == 1 {
            Value::String(self.utf8(str_val)?)
        } else {
            Value::from(int_val as i32)
        })
    }

    /// `FieldsV1 {raw 1}` holding JSON.
    fn raw_json(&self) -> Result<Option<Value>, ProtobufError> {
        let mut raw: &[u8] = &[];
        self.sub_fields(|t, v| {
            if let (1, wire::Value::Bytes(b)) = (t, v) {
                raw = b;
            }
        })?;
        if raw.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(raw)
            .map(Some)
            .map_err(|e| ProtobufError::RawJson {
                message: self.message.name,
                field: self.field.name,
                detail: e.to_string(),
            })
    }

    /// Appends one occurrence of a repeated field: one element, or a packed run of numbers.
    fn repeated(&self, elem: &Elem, items: &mut Vec<Value>, unknown: &mut Vec<String>) -> Result<(), ProtobufError> {
        let numeric = matches!(elem, Elem::Int32 | Elem::Int64 | Elem::Bool);
        if let (true, wire::Value::Bytes(packed)) = (numeric, self.value) {
            let mut r = Reader::new(packed);
            while !r.at_end() {
                let v = r.varint().map_err(|e| self.wire_err(e))?;
                items.push(match elem {
                    Elem::Int32 => Value::from(v as i32),
                    Elem::Bool => Value::Bool(v != 0),
                    _ => Value::from(v as i64),
                });
            }
            return Ok(());
        }
        // List elements keep their zero values: `[""]` is not `[]`.
        items.push(self.elem(elem, unknown)?.unwrap_or(Value::Null));
        Ok(())
    }

    /// One `map<string, V>` entry `{1: key, 2: value}`; missing parts take their zero values.
    fn map_entry(&self, elem: &Elem, unknown: &mut Vec<String>) -> Result<(String, Value), ProtobufError> {
        let (mut key, mut value) = (String::new(), None);
        for item in Reader::new(self.bytes()?) {
            let (tag, v) = item.map_err(|e| self.wire_err(e))?;
            let at = At { value: v, ..*self };
            match tag {
                1 => key = at.utf8(at.bytes()?)?,
                2 => value = at.elem(elem, unknown)?,
                _ => {}
            }
        }
        let value = value.unwrap_or_else(|| match elem {
            Elem::Str | Elem::Bytes | Elem::Quantity => Value::String(String::new()),
            Elem::Msg(_) => Value::Object(Map::new()),
            _ => Value::Null,
        });
        Ok((key, value))
    }
}
