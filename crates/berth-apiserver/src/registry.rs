//! The generic registry: objects of any kind over the store, with upstream's write semantics.
//!
//! Key layout: `/<group-resource>/<namespace>/<name>` for namespaced kinds and
//! `/<group-resource>/<name>` for cluster-scoped ones. The value is the object's JSON with
//! `metadata.resourceVersion` set to the revision of the write that stored it.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use berth_api::convert;
use berth_api::resource::{self, ResourceInfo};
use berth_api::status::Target;
use berth_api::{meta, ApiError};
use berth_store::{Encoder, Op, Precondition, Revision, Store, StoreError, Write};
use bytes::Bytes;
use lru::LruCache;
use serde_json::{json, Value};

use crate::clock::Clock;

/// How many times a read-modify-write is retried on a conflict before giving up.
const MAX_RETRIES: usize = 16;

/// The store key of one object.
pub fn key(info: &'static ResourceInfo, namespace: Option<&str>, name: &str) -> String {
    let info = convert::storage_of(info);
    match namespace.filter(|_| info.namespaced) {
        Some(ns) => format!("/{}/{}/{}", info.group_resource(), ns, name),
        None => format!("/{}/{}", info.group_resource(), name),
    }
}

/// The store prefix of a list (one namespace, or all).
pub fn prefix(info: &'static ResourceInfo, namespace: Option<&str>) -> String {
    let info = convert::storage_of(info);
    match namespace.filter(|_| info.namespaced) {
        Some(ns) => format!("/{}/{}/", info.group_resource(), ns),
        None => format!("/{}/", info.group_resource()),
    }
}

/// The error target for an object.
pub fn target(info: &ResourceInfo, name: &str) -> Target {
    Target {
        group_resource: info.group_resource(),
        group: info.group.to_string(),
        kind: info.kind.to_string(),
        name: name.to_string(),
    }
}

/// An encoder that stamps the assigned revision into `metadata.resourceVersion`.
///
/// The object is serialized here, on the caller's thread, with a placeholder resourceVersion;
/// the store's single writer thread then only splices the revision in (a copy of the bytes),
/// and the object is freed here too. The bytes are those `serde_json::to_vec` gives for the
/// object with the revision inserted. Should the placeholder's pattern occur more than once
/// (an object holding that exact string under another `resourceVersion` key), the writer
/// serializes the object itself, as it always did.
pub fn encoder(obj: Value) -> Encoder {
    encoder_keeping(obj, false).0
}

/// [`encoder`], also answering with the object it encoded (placeholder resourceVersion and all)
/// when `keep` is set and the fast path took it: what [`Recent`] remembers.
fn encoder_keeping(mut obj: Value, keep: bool) -> (Encoder, Option<Value>) {
    const PLACEHOLDER: &str = "\u{1}berth-revision\u{1}";
    const PATTERN: &[u8] = b"\"resourceVersion\":\"\\u0001berth-revision\\u0001\"";
    meta::metadata_mut(&mut obj).insert("resourceVersion".into(), json!(PLACEHOLDER));
    // Serializing a Value cannot fail: all keys are strings.
    let bytes = serde_json::to_vec(&obj).unwrap_or_default();
    let mut found = memchr::memmem::find_iter(&bytes, PATTERN);
    match (found.next(), found.next()) {
        (Some(at), None) => {
            let kept = keep.then_some(obj);
            let encode: Encoder = Box::new(move |rev: Revision| {
                let rev = rev.to_string();
                let mut out = Vec::with_capacity(bytes.len() + rev.len());
                out.extend_from_slice(&bytes[..at]);
                out.extend_from_slice(b"\"resourceVersion\":\"");
                out.extend_from_slice(rev.as_bytes());
                out.push(b'"');
                out.extend_from_slice(&bytes[at + PATTERN.len()..]);
                out
            });
            (encode, kept)
        }
        _ => {
            let encode: Encoder = Box::new(move |rev: Revision| {
                meta::metadata_mut(&mut obj).insert("resourceVersion".into(), json!(rev.to_string()));
                serde_json::to_vec(&obj).unwrap_or_default()
            });
            (encode, None)
        }
    }
}

/// How many recently written objects [`Recent`] keeps decoded.
const RECENT_OBJECTS: usize = 256;

/// The decoded objects of the latest writes, by key and revision.
///
/// Controllers write the same object several times in a row (a claim is annotated, bound and
/// given its status within milliseconds), and every update and patch starts from the current
/// object: decoding its stored JSON again was a twentieth of the server's work. An entry is
/// used only for the exact revision it was written at, so anything else that wrote the key
/// since (a delete, a write through another path) makes it a miss, never a stale hit; and
/// debug builds check every hit against the stored bytes.
pub struct Recent {
    objects: Mutex<LruCache<String, (Revision, Arc<Value>)>>,
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            objects: Mutex::new(LruCache::new(
                NonZeroUsize::new(RECENT_OBJECTS).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl Recent {
    /// The object stored under `key` at `rev`, if it is the one remembered.
    fn get(&self, key: &str, rev: Revision) -> Option<Arc<Value>> {
        let mut objects = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        match objects.get(key) {
            Some((at, obj)) if *at == rev => Some(Arc::clone(obj)),
            _ => None,
        }
    }

    /// Remembers `obj` (as [`encoder_keeping`] kept it) as stored under `key` at `rev`.
    fn remember(&self, key: String, rev: Revision, mut obj: Value) {
        meta::metadata_mut(&mut obj).insert("resourceVersion".into(), json!(rev.to_string()));
        let mut objects = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        objects.put(key, (rev, Arc::new(obj)));
    }
}

/// An object's JSON, as `serde_json::to_vec` writes it.
pub fn to_bytes(obj: &Value) -> Bytes {
    // Serializing a Value cannot fail: all keys are strings.
    Bytes::from(serde_json::to_vec(obj).unwrap_or_default())
}

/// Parses stored bytes; the store only ever holds what `encoder` produced.
pub fn decode(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::Internal(format!("stored object is corrupt: {e}")))
}

/// A stored object in the form `info` serves.
pub fn served(info: &ResourceInfo, bytes: &[u8]) -> Result<Value, ApiError> {
    let stored = decode(bytes)?;
    Ok(if convert::needs_conversion(info) {
        convert::from_storage(info, &stored)
    } else {
        stored
    })
}

/// Stored bytes in the form `info` serves (the same bytes when no conversion is needed).
pub fn served_bytes(info: &ResourceInfo, bytes: Bytes) -> Result<Bytes, ApiError> {
    if !convert::needs_conversion(info) {
        return Ok(bytes);
    }
    let v = served(info, &bytes)?;
    Ok(Bytes::from(serde_json::to_vec(&v).unwrap_or_default()))
}

/// Maps a store error for `name` of `info` onto an API error.
pub fn store_error(info: &ResourceInfo, name: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::AlreadyExists { .. } => ApiError::AlreadyExists(target(info, name)),
        StoreError::NotFound { .. } => ApiError::NotFound(target(info, name)),
        StoreError::Conflict { .. } => conflict(info, name),
        StoreError::Expired { requested, oldest } => {
            ApiError::Gone(format!("too old resource version: {requested} ({oldest})"))
        }
        other => ApiError::Internal(other.to_string()),
    }
}

/// Upstream's optimistic-concurrency conflict.
pub fn conflict(info: &ResourceInfo, name: &str) -> ApiError {
    ApiError::Conflict {
        target: target(info, name),
        detail: "the object has been modified; please apply your changes to the latest version and try again".into(),
    }
}

/// The propagation policy of a delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Orphan,
    Background,
    Foreground,
}

/// The parts of `DeleteOptions` the registry acts on.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// The object is gone; this is its last state.
    Gone(Value),
    /// The object remains, terminating (grace period or finalizers).
    Pending(Value),
}

/// The generic registry.
#[derive(Clone)]
pub struct Registry {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    recent: Arc<Recent>,
}

impl Registry {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Registry {
            store,
            clock,
            recent: Arc::default(),
        }
    }

    /// Writes `obj` under `k` as `op` makes it (a put or a delete of it), remembering the
    /// decoded object of a put.
    async fn write_object(
        &self,
        info: &'static ResourceInfo,
        k: String,
        precondition: Precondition,
        obj: Value,
        delete: bool,
    ) -> Result<berth_store::WriteResult, StoreError> {
        let keep = !delete && !convert::needs_conversion(info);
        let (encode, kept) = encoder_keeping(obj, keep);
        let key = kept.as_ref().map(|_| k.clone());
        let op = if delete { Op::Delete(encode) } else { Op::Put(encode) };
        let res = self
            .store
            .write(Write {
                key: k,
                precondition,
                op,
            })
            .await?;
        if let (Some(obj), Some(key)) = (kept, key) {
            self.recent.remember(key, res.revision, obj);
        }
        Ok(res)
    }

    /// The current object under `k` as served, from [`Recent`] when it holds this revision.
    fn current(
        &self,
        info: &'static ResourceInfo,
        k: &str,
        rev: Revision,
        bytes: &[u8],
    ) -> Result<Arc<Value>, ApiError> {
        match self.recent.get(k, rev) {
            Some(obj) => {
                #[cfg(debug_assertions)]
                assert_eq!(
                    *obj,
                    served(info, bytes)?,
                    "the remembered object of {k} at {rev} differs from its stored bytes"
                );
                Ok(obj)
            }
            None => served(info, bytes).map(Arc::new),
        }
    }

    /// The current object and its revision.
    pub fn get(
        &self,
        info: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(Revision, Value), ApiError> {
        match self.store.get(&key(info, ns, name)) {
            Some((rev, bytes)) => Ok((rev, served(info, &bytes)?)),
            None => Err(ApiError::NotFound(target(info, name))),
        }
    }

    /// Raw bytes of the current object.
    pub fn get_raw(
        &self,
        info: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Option<(Revision, Bytes)>, ApiError> {
        match self.store.get(&key(info, ns, name)) {
            Some((rev, b)) => Ok(Some((rev, served_bytes(info, b)?))),
            None => Ok(None),
        }
    }

    /// Whether the object exists.
    pub fn exists(&self, info: &'static ResourceInfo, ns: Option<&str>, name: &str) -> bool {
        self.store.get(&key(info, ns, name)).is_some()
    }

    /// Stores a new object; fails if the name is taken.
    pub async fn create(&self, info: &'static ResourceInfo, obj: Value, dry_run: bool) -> Result<Value, ApiError> {
        let name = meta::name(&obj).to_string();
        let ns = meta::namespace(&obj).to_string();
        let k = key(info, Some(&ns), &name);
        if dry_run {
            if self.store.get(&k).is_some() {
                return Err(ApiError::AlreadyExists(target(info, &name)));
            }
            return Ok(obj);
        }
        let res = self
            .store
            .write(Write {
                key: k,
                precondition: Precondition::MustNotExist,
                op: Op::Put(encoder(convert::into_storage(info, obj))),
            })
            .await
            .map_err(|e| store_error(info, &name, e))?;
        served(info, &res.value)
    }

    /// [`Registry::create`] (not a dry run) answering with the stored object's JSON as served,
    /// without decoding it.
    pub async fn create_bytes(&self, info: &'static ResourceInfo, obj: Value) -> Result<Bytes, ApiError> {
        let name = meta::name(&obj).to_string();
        let ns = meta::namespace(&obj).to_string();
        let res = self
            .write_object(
                info,
                key(info, Some(&ns), &name),
                Precondition::MustNotExist,
                convert::into_storage(info, obj),
                false,
            )
            .await
            .map_err(|e| store_error(info, &name, e))?;
        served_bytes(info, res.value)
    }

    /// Replaces the object stored at revision `expected` with `obj`, answering with the stored
    /// object's JSON as served (for a dry run, `obj`'s). An object that is terminating with no
    /// finalizers left and a zero grace period is removed instead, as upstream's
    /// `ShouldDeleteDuringUpdate` does.
    pub async fn replace(
        &self,
        info: &'static ResourceInfo,
        old: &Value,
        expected: Revision,
        obj: Value,
        dry_run: bool,
    ) -> Result<Bytes, ApiError> {
        if dry_run {
            return Ok(to_bytes(&obj));
        }
        let name = meta::name(&obj).to_string();
        let ns = meta::namespace(&obj).to_string();
        let k = key(info, Some(&ns), &name);
        let finalized = meta::is_deleting(&obj) && meta::finalizers(&obj).is_empty() && no_spec_finalizers(info, &obj);
        let grace_zero = meta::metadata(old)
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_i64)
            == Some(0);
        let stored = convert::into_storage(info, obj);
        let res = self
            .write_object(
                info,
                k,
                Precondition::Revision(expected),
                stored,
                finalized && grace_zero,
            )
            .await
            .map_err(|e| store_error(info, &name, e))?;
        served_bytes(info, res.value)
    }

    /// Read-modify-write with retries on conflict: `f` gets the current object and returns the
    /// new one. Answers with the stored object's JSON as served (the current one when `f`
    /// changed nothing), without decoding it.
    pub async fn update_bytes<F>(
        &self,
        info: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        dry_run: bool,
        mut f: F,
    ) -> Result<Bytes, ApiError>
    where
        F: FnMut(&Value) -> Result<Value, ApiError>,
    {
        let k = key(info, ns, name);
        for _ in 0..MAX_RETRIES {
            let Some((rev, bytes)) = self.store.get(&k) else {
                return Err(ApiError::NotFound(target(info, name)));
            };
            let cur = self.current(info, &k, rev, &bytes)?;
            let new = f(&cur)?;
            if new == *cur {
                return served_bytes(info, bytes);
            }
            match self.replace(info, &cur, rev, new, dry_run).await {
                Err(ApiError::Conflict { .. }) => continue,
                other => return other,
            }
        }
        Err(conflict(info, name))
    }

    /// [`Registry::update_bytes`], answering with the object.
    pub async fn update_with<F>(
        &self,
        info: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        dry_run: bool,
        f: F,
    ) -> Result<Value, ApiError>
    where
        F: FnMut(&Value) -> Result<Value, ApiError>,
    {
        let bytes = self.update_bytes(info, ns, name, dry_run, f).await?;
        decode(&bytes)
    }

    /// Deletes with upstream's semantics: preconditions, graceful deletion, finalizers and the
    /// garbage-collection finalizers `orphan` / `foregroundDeletion`.
    pub async fn delete(
        &self,
        served_info: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        // Deletion works on the stored form; the answer is converted back.
        let info = convert::storage_of(served_info);
        let back = |d: Deleted| match d {
            Deleted::Gone(v) => Deleted::Gone(convert::from_storage(served_info, &v)),
            Deleted::Pending(v) => Deleted::Pending(convert::from_storage(served_info, &v)),
        };
        for _ in 0..MAX_RETRIES {
            let (rev, cur) = self.get(info, ns, name)?;
            check_preconditions(info, name, &cur, opts)?;
            let plan = plan_delete(info, &cur, opts, self.clock.now());
            let result = match plan {
                DeletePlan::Remove => {
                    if opts.dry_run {
                        return Ok(back(Deleted::Gone(cur)));
                    }
                    self.store
                        .write(Write {
                            key: key(info, ns, name),
                            precondition: Precondition::Revision(rev),
                            op: Op::Delete(encoder(cur.clone())),
                        })
                        .await
                        .map(|r| decode(&r.value).map(Deleted::Gone))
                }
                DeletePlan::Unchanged => return Ok(back(Deleted::Pending(cur))),
                DeletePlan::Update(new) => {
                    if opts.dry_run {
                        return Ok(back(Deleted::Pending(new)));
                    }
                    self.store
                        .write(Write {
                            key: key(info, ns, name),
                            precondition: Precondition::Revision(rev),
                            op: Op::Put(encoder(new)),
                        })
                        .await
                        .map(|r| decode(&r.value).map(Deleted::Pending))
                }
            };
            match result {
                Ok(done) => return done.map(back),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(store_error(info, name, e)),
            }
        }
        Err(conflict(info, name))
    }

    /// Whether a namespace exists and is not terminating.
    pub fn check_namespace_open(&self, ns: &str) -> Result<(), ApiError> {
        let Some(info) = resource::lookup("", "v1", "namespaces") else {
            return Ok(());
        };
        let Some((_, bytes)) = self.store.get(&key(info, None, ns)) else {
            return Err(ApiError::NotFound(target(info, ns)));
        };
        let deleting = match deletion_timestamp_set(&bytes) {
            Some(set) => set,
            // Not the shape berth writes: decide on the whole object, as ever.
            None => meta::is_deleting(&served(info, &bytes)?),
        };
        if deleting {
            return Err(ApiError::Forbidden(format!(
                "unable to create new content in namespace {ns} because it is being terminated"
            )));
        }
        Ok(())
    }
}

/// Whether the stored object's `metadata.deletionTimestamp` is set (not absent, not null),
/// decoding only that field; `None` when the text is not an object whose `metadata`, if present,
/// is an object — then the caller decodes it whole.
fn deletion_timestamp_set(bytes: &[u8]) -> Option<bool> {
    #[derive(serde::Deserialize)]
    struct Stored<'a> {
        #[serde(borrow)]
        metadata: Option<&'a serde_json::value::RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        #[serde(rename = "deletionTimestamp")]
        deletion_timestamp: Option<Value>,
    }
    if !bytes.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    let stored: Stored<'_> = serde_json::from_slice(bytes).ok()?;
    let Some(raw) = stored.metadata else {
        return Some(false);
    };
    if !raw.get().starts_with('{') {
        return None;
    }
    let m: Metadata = serde_json::from_str(raw.get()).ok()?;
    Some(m.deletion_timestamp.is_some_and(|t| !t.is_null()))
}

fn no_spec_finalizers(info: &ResourceInfo, obj: &Value) -> bool {
    info.kind != "Namespace"
        || obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty())
}

fn check_preconditions(info: &ResourceInfo, name: &str, cur: &Value, opts: &DeleteOptions) -> Result<(), ApiError> {
    if let Some(uid) = &opts.precondition_uid {
        if uid != meta::uid(cur) {
            return Err(ApiError::Conflict {
                target: target(info, name),
                detail: format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta::uid(cur)
                ),
            });
        }
    }
    if let Some(rv) = &opts.precondition_resource_version {
        if rv != meta::resource_version(cur) {
            return Err(ApiError::Conflict {
                target: target(info, name),
                detail: format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta::resource_version(cur)
                ),
            });
        }
    }
    Ok(())
}

/// What a delete request does to the current object.
#[derive(Debug, Clone, PartialEq)]
pub enum DeletePlan {
    /// Remove it from the store now.
    Remove,
    /// Store this terminating version (deletionTimestamp, grace, finalizers).
    Update(Value),
    /// Already terminating and nothing to shorten: answer with the object as it is.
    Unchanged,
}

const ORPHAN: &str = "orphan";
const FOREGROUND: &str = "foregroundDeletion";

/// Pure decision of a delete (upstream `BeforeDelete` + `deletionFinalizersForGarbageCollection`).
pub fn plan_delete(info: &ResourceInfo, cur: &Value, opts: &DeleteOptions, now: jiff::Timestamp) -> DeletePlan {
    let mut new = cur.clone();
    let mut finalizers = meta::finalizers(cur);
    // Garbage-collection finalizers follow an explicit propagation policy.
    match opts.propagation {
        Some(Propagation::Orphan) => {
            finalizers.retain(|f| f != FOREGROUND);
            if !finalizers.iter().any(|f| f == ORPHAN) {
                finalizers.push(ORPHAN.into());
            }
        }
        Some(Propagation::Foreground) => {
            finalizers.retain(|f| f != ORPHAN);
            if !finalizers.iter().any(|f| f == FOREGROUND) {
                finalizers.push(FOREGROUND.into());
            }
        }
        Some(Propagation::Background) => finalizers.retain(|f| f != ORPHAN && f != FOREGROUND),
        None => {}
    }
    let already = meta::is_deleting(cur);
    let old_grace = meta::metadata(cur)
        .and_then(|m| m.get("deletionGracePeriodSeconds"))
        .and_then(Value::as_i64);
    let grace = berth_api::strategy::graceful_delete_period(info, cur, opts.grace_period_seconds).unwrap_or(0);
    let spec_finalizers = !no_spec_finalizers(info, cur);

    if finalizers.is_empty() && !spec_finalizers && grace == 0 {
        return DeletePlan::Remove;
    }
    let m = meta::metadata_mut(&mut new);
    if finalizers.is_empty() {
        m.remove("finalizers");
    } else {
        m.insert("finalizers".into(), json!(finalizers));
    }
    if already {
        // A later delete may only shorten the grace period.
        match old_grace {
            Some(old) if grace < old => {
                let ts = now + jiff::SignedDuration::from_secs(grace);
                m.insert("deletionTimestamp".into(), json!(crate::clock::format(ts)));
                m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                if grace == 0 && finalizers.is_empty() && !spec_finalizers {
                    return DeletePlan::Remove;
                }
            }
            _ => {}
        }
    } else {
        let ts = now + jiff::SignedDuration::from_secs(grace);
        m.insert("deletionTimestamp".into(), json!(crate::clock::format(ts)));
        m.insert("deletionGracePeriodSeconds".into(), json!(grace));
        if info.kind == "Namespace" {
            if let Some(st) = new.get_mut("status").and_then(Value::as_object_mut) {
                st.insert("phase".into(), json!("Terminating"));
            } else {
                new["status"] = json!({"phase": "Terminating"});
            }
        }
    }
    if &new == cur {
        DeletePlan::Unchanged
    } else {
        DeletePlan::Update(new)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod encoder_tests {
    use super::*;

    fn old_encoder(mut obj: Value, rev: Revision) -> Vec<u8> {
        meta::metadata_mut(&mut obj).insert("resourceVersion".into(), json!(rev.to_string()));
        serde_json::to_vec(&obj).unwrap_or_default()
    }

    #[test]
    fn the_encoder_writes_what_serializing_the_stamped_object_writes() {
        let objects = [
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "resourceVersion": "7", "labels": {"a": "b"}}, "spec": {}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1.5}}),
            json!({"kind": "ConfigMap"}),
            json!({"metadata": null}),
            json!("not an object"),
            // The placeholder's pattern elsewhere in the object: the writer serializes instead.
            json!({"metadata": {"name": "c"}, "data": {"resourceVersion": "\u{1}berth-revision\u{1}"}}),
            json!({"metadata": {"name": "c"}, "data": {"x": "\"resourceVersion\":\"\\u0001berth-revision\\u0001\""}}),
        ];
        for obj in objects {
            for rev in [1, 42, u64::MAX] {
                let new = encoder(obj.clone())(rev);
                assert_eq!(
                    String::from_utf8(new).unwrap_or_default(),
                    String::from_utf8(old_encoder(obj.clone(), rev)).unwrap_or_default(),
                    "{obj}"
                );
            }
        }
    }
}

#[cfg(test)]
mod namespace_tests {
    use super::*;

    #[test]
    fn the_narrow_deletion_check_agrees_with_the_whole_decode_or_declines() {
        let texts = [
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"},"spec":{"finalizers":["kubernetes"]}}"#,
            r#"{"metadata":{"name":"a","deletionTimestamp":"2026-12-07T15:00:00Z"},"status":{"phase":"Terminating"}}"#,
            r#"{"metadata":{"name":"a","deletionTimestamp":null}}"#,
            r#"{"metadata":null}"#,
            r#"{"kind":"Namespace"}"#,
            r#"{"metadata":"x"}"#,
            r#"{"metadata":["2026-12-07T15:00:00Z"]}"#,
            r#"{"metadata":{"name":"a"},"metadata":{"deletionTimestamp":"2026-12-07T15:00:00Z"}}"#,
            r#"["not an object"]"#,
        ];
        let mut answered = 0;
        for text in texts {
            let whole = meta::is_deleting(&decode(text.as_bytes()).expect("valid JSON"));
            if let Some(narrow) = deletion_timestamp_set(text.as_bytes()) {
                assert_eq!(narrow, whole, "{text}");
                answered += 1;
            }
        }
        assert_eq!(
            answered, 5,
            "the shapes berth writes are answered without the whole decode"
        );
    }
}
