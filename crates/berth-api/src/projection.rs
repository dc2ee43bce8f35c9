//! Projections: decode only the paths of a JSON object that a reader needs.
//!
//! A selector-filtered watch reads a few fields of every event's object (`metadata.labels`,
//! `spec.nodeName`, ...), but a pod is kilobytes of deeply nested JSON. A [`Projection`] is a
//! small trie of dotted paths; [`Projection::decode`] walks the JSON text once, builds values only
//! at those paths and passes over everything else without building it.
//!
//! What a projection keeps reads like the whole object: for every kept path `p`,
//! `meta::path(&projected, p) == meta::path(&whole, p)`, and every prefix of a kept path is a JSON
//! object in the projection exactly when it is one in the whole object (a prefix that is not an
//! object, which no path can go through, reads as `null`). Anything else reads as absent.
//!
//! Decoding accepts exactly the texts that decoding into a `serde_json::Value` accepts: skipped
//! parts are checked as `Value` checks them (UTF-8, escapes, number range, nesting depth), not with
//! serde's faster `IgnoredAny`, which does not check them all. The one text a projection refuses
//! while `Value` accepts it is an object whose first key is serde_json's private raw-value token,
//! which `Value` reads in its own way; [`ProjectionError::RawValueToken`] tells the caller to
//! decode the whole object instead.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The key by which serde_json (feature `raw_value`) marks a raw value inside a map; a `Value`
/// decodes a map starting with it as the JSON text of its value.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Why an object's text could not be projected.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The text is not JSON a `serde_json::Value` decodes.
    #[error("object is not valid JSON: {0}")]
    Json(serde_json::Error),
    /// A map begins with serde_json's raw-value token, which only a whole decode reads as `Value` does.
    #[error("object holds serde_json's raw value token; decode it whole")]
    RawValueToken,
}

/// The paths to keep of a JSON object, as a trie of object keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    root: Node,
}

/// One object key's place in the trie.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    /// The value here is kept whole.
    whole: bool,
    /// The keys kept below, sorted; empty when `whole`.
    children: Vec<(String, Node)>,
}

impl Projection {
    /// The projection keeping each dotted path (`metadata.labels`) whole. A path that is a prefix
    /// of another keeps the longer one whole too; the same set of paths in any order gives an equal
    /// projection.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Projection {
        let mut root = Node::default();
        for path in paths {
            let mut node = &mut root;
            for key in path.split('.') {
                if node.whole {
                    break;
                }
                let at = match node.children.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
                    Ok(at) => at,
                    Err(at) => {
                        node.children.insert(at, (key.to_string(), Node::default()));
                        at
                    }
                };
                node = &mut node.children[at].1;
            }
            node.whole = true;
            node.children.clear();
        }
        Projection { root }
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.root.children.is_empty()
    }

    /// The kept parts of the object whose JSON text is `json`. A document that is not an object
    /// projects to `null`.
    pub fn decode(&self, json: &[u8]) -> Result<Value, ProjectionError> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let mut token = false;
        let seed = NodeSeed {
            node: &self.root,
            token: &mut token,
        };
        let projected = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
        match projected {
            _ if token => Err(ProjectionError::RawValueToken),
            Ok(v) => Ok(v),
            Err(e) => Err(ProjectionError::Json(e)),
        }
    }
}

/// Decodes the value at a trie node. `token` is set when a map begins with [`RAW_VALUE_TOKEN`]
/// (decoding then fails, and the flag tells that failure from invalid JSON).
struct NodeSeed<'a> {
    node: &'a Node,
    token: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.node.whole {
            return <Value as serde::Deserialize>::deserialize(d);
        }
        d.deserialize_any(NodeVisitor {
            node: self.node,
            token: self.token,
        })
    }
}

struct NodeVisitor<'a> {
    node: &'a Node,
    token: &'a mut bool,
}

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut first = true;
        while let Some(key) = map.next_key_seed(KeySeed {
            children: &self.node.children,
            first,
            token: &mut *self.token,
        })? {
            first = false;
            match key {
                Some(at) => {
                    let (name, child) = &self.node.children[at];
                    let v = map.next_value_seed(NodeSeed {
                        node: child,
                        token: &mut *self.token,
                    })?;
                    // As `Value` does, a repeated key keeps its last value.
                    out.insert(name.clone(), v);
                }
                None => map.next_value_seed(Skip {
                    token: &mut *self.token,
                })?,
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq
            .next_element_seed(Skip {
                token: &mut *self.token,
            })?
            .is_some()
        {}
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// A map key: which kept child it names, if any.
struct KeySeed<'a> {
    children: &'a [(String, Node)],
    first: bool,
    token: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        if self.first && key == RAW_VALUE_TOKEN {
            *self.token = true;
            return Err(E::custom("raw value token"));
        }
        Ok(self.children.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok())
    }
}

/// Passes over a value, checking it as decoding it into a `Value` would, without building it.
struct Skip<'a> {
    token: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut first = true;
        while map
            .next_key_seed(KeySeed {
                children: &[],
                first,
                token: &mut *self.token,
            })?
            .is_some()
        {
            first = false;
            map.next_value_seed(Skip {
                token: &mut *self.token,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Skip {
                token: &mut *self.token,
            })?
            .is_some()
        {}
        Ok(())
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

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
