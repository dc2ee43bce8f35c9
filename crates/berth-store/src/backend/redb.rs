//! The real backend: one redb file, fsynced on every commit.
//!
//! Layout: table `objects` maps key -> 8-byte big-endian mod revision followed by the value bytes;
//! table `meta` maps `"revision"` -> the last committed revision.

use std::path::Path;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use super::{Backend, Loaded, Mutation};
use crate::{Revision, StoreError};

const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const META_REVISION: &str = "revision";
const REV_LEN: usize = 8;

/// The real backend: one redb file.
pub struct RedbBackend {
    db: Database,
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBackend").finish_non_exhaustive()
    }
}

impl RedbBackend {
    /// Opens the database at `path`, creating the file and its tables if needed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(|e| StoreError::backend("open", e))?;
        let mut txn = db.begin_write().map_err(|e| StoreError::backend("open", e))?;
        // Creating the tables need not be durable on its own: if it is lost, the next open
        // creates them again, and the first real commit (always durable) persists them.
        txn.set_durability(Durability::None)
            .map_err(|e| StoreError::backend("open", e))?;
        {
            txn.open_table(OBJECTS).map_err(|e| StoreError::backend("open", e))?;
            txn.open_table(META).map_err(|e| StoreError::backend("open", e))?;
        }
        txn.commit().map_err(|e| StoreError::backend("open", e))?;
        Ok(Self { db })
    }
}

/// Encodes a stored value: mod revision (big-endian) then the bytes.
fn encode_value(revision: Revision, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(REV_LEN + value.len());
    out.extend_from_slice(&revision.to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// Splits a stored value into its mod revision and bytes; `None` if it is too short to be ours.
fn decode_value(raw: &[u8]) -> Option<(Revision, Vec<u8>)> {
    let (rev, value) = raw.split_first_chunk::<REV_LEN>()?;
    Some((Revision::from_be_bytes(*rev), value.to_vec()))
}

impl Backend for RedbBackend {
    fn load(&self) -> Result<Loaded, StoreError> {
        let txn = self.db.begin_read().map_err(|e| StoreError::backend("load", e))?;
        let meta = txn.open_table(META).map_err(|e| StoreError::backend("load", e))?;
        let revision = meta
            .get(META_REVISION)
            .map_err(|e| StoreError::backend("load", e))?
            .map(|g| g.value())
            .unwrap_or(0);
        let objects = txn.open_table(OBJECTS).map_err(|e| StoreError::backend("load", e))?;
        let mut items = Vec::new();
        for entry in objects.iter().map_err(|e| StoreError::backend("load", e))? {
            let (k, v) = entry.map_err(|e| StoreError::backend("load", e))?;
            let key = k.value().to_owned();
            let (rev, value) = decode_value(v.value()).ok_or_else(|| StoreError::Backend {
                step: "load",
                detail: format!("value of key {key} is shorter than its revision prefix"),
            })?;
            items.push((key, rev, value));
        }
        Ok(Loaded { revision, items })
    }

    fn commit(&self, batch: &[Mutation], revision: Revision) -> Result<(), StoreError> {
        let err = |e: &dyn std::fmt::Display| StoreError::backend("commit", e);
        let mut txn = self.db.begin_write().map_err(|e| err(&e))?;
        txn.set_durability(Durability::Immediate).map_err(|e| err(&e))?;
        {
            let mut objects = txn.open_table(OBJECTS).map_err(|e| err(&e))?;
            for m in batch {
                match m {
                    Mutation::Put { key, revision, value } => {
                        objects
                            .insert(key.as_str(), encode_value(*revision, value).as_slice())
                            .map_err(|e| err(&e))?;
                    }
                    Mutation::Delete { key } => {
                        objects.remove(key.as_str()).map_err(|e| err(&e))?;
                    }
                }
            }
            let mut meta = txn.open_table(META).map_err(|e| err(&e))?;
            meta.insert(META_REVISION, revision).map_err(|e| err(&e))?;
        }
        // Dropping an uncommitted transaction aborts it, so an error above leaves nothing behind.
        txn.commit().map_err(|e| err(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_encoding_round_trips_revision_and_bytes() {
        let raw = encode_value(42, b"hello");
        assert_eq!(decode_value(&raw), Some((42, b"hello".to_vec())));
        assert_eq!(decode_value(&encode_value(7, b"")), Some((7, Vec::new())));
    }

    #[test]
    fn value_shorter_than_the_revision_prefix_is_rejected() {
        assert_eq!(decode_value(b"short"), None);
    }
}
