//! The protobuf wire format, read-only: varints and tag/value pairs over a byte slice.

/// A failure to read the wire format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("truncated varint at byte {offset}")]
    TruncatedVarint { offset: usize },
    #[error("varint longer than 10 bytes at byte {offset}")]
    VarintTooLong { offset: usize },
    #[error("truncated field at byte {offset}: needs {needed} bytes, {left} left")]
    TruncatedField { offset: usize, needed: u64, left: usize },
    #[error("unsupported wire type {wire_type} at byte {offset}")]
    UnsupportedWireType { wire_type: u64, offset: usize },
    #[error("field number {tag} out of range at byte {offset}")]
    TagOutOfRange { tag: u64, offset: usize },
}

/// The largest field number protobuf allows (2^29 - 1).
const MAX_TAG: u32 = (1 << 29) - 1;

/// One field value as it sits on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl Value<'_> {
    /// The wire type's name, for error messages.
    pub fn wire_name(&self) -> &'static str {
        match self {
            Value::Varint(_) => "varint",
            Value::Fixed64(_) => "fixed64",
            Value::Bytes(_) => "length-delimited",
            Value::Fixed32(_) => "fixed32",
        }
    }
}

/// Iterates over the `(tag, value)` pairs of one message.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Whether every byte has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Reads one varint.
    pub fn varint(&mut self) -> Result<u64, WireError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(WireError::TruncatedVarint { offset: start });
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(WireError::VarintTooLong { offset: start })
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], WireError> {
        let left = self.buf.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n <= left => {
                let s = &self.buf[self.pos..self.pos + n];
                self.pos += n;
                Ok(s)
            }
            _ => Err(WireError::TruncatedField {
                offset: self.pos,
                needed: n,
                left,
            }),
        }
    }

    /// The next field, or `None` at the end of the message.
    pub fn field(&mut self) -> Option<Result<(u32, Value<'a>), WireError>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        Some(self.read_field())
    }

    fn read_field(&mut self) -> Result<(u32, Value<'a>), WireError> {
        let offset = self.pos;
        let key = self.varint()?;
        let tag = match u32::try_from(key >> 3) {
            Ok(t) if (1..=MAX_TAG).contains(&t) => t,
            _ => return Err(WireError::TagOutOfRange { tag: key >> 3, offset }),
        };
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Fixed64(u64::from_le_bytes(a))
            }
            2 => {
                let n = self.varint()?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                Value::Fixed32(u32::from_le_bytes(a))
            }
            wire_type => return Err(WireError::UnsupportedWireType { wire_type, offset }),
        };
        Ok((tag, value))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<(u32, Value<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.field();
        if matches!(item, Some(Err(_))) {
            // Stop after an error: the position is no longer on a field boundary.
            self.pos = self.buf.len();
        }
        item
    }
}
