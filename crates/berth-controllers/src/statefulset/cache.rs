//! The driver's object caches, fed by watches and written through by the driver's own successful
//! requests so the next sync sees them without waiting for the watch (no per-action lists).
//!
//! Objects are stored behind `Arc` and never changed in place, so a sync's [`Input`] shares them:
//! taking a snapshot costs a reference count per object, not a deep copy (every pod event syncs
//! the set, so a copying snapshot made the controller's cost quadratic in the set's size).

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;

use super::identity::{controller_of, is_member_name, set_uid};
use super::plan::{Features, Input};

/// `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

pub fn key_of(meta: &ObjectMeta) -> Option<ObjectKey> {
    Some(ObjectKey {
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone()?,
    })
}

/// Objects of one kind by namespace, then name.
#[derive(Debug)]
pub struct Store<K> {
    by_ns: HashMap<String, HashMap<String, Arc<K>>>,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store { by_ns: HashMap::new() }
    }
}

fn rv(meta: &ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref().and_then(|v| v.parse().ok())
}

/// The object as the cache keeps it: without `managedFields` (nothing here reads them, and they
/// are a large part of a pod; a client-go informer can drop them with a transform), shared.
pub fn shared<K: Resource>(mut obj: K) -> Arc<K> {
    obj.meta_mut().managed_fields = None;
    Arc::new(obj)
}

impl<K: Resource + Clone> Store<K> {
    pub fn get(&self, namespace: &str, name: &str) -> Option<&Arc<K>> {
        self.by_ns.get(namespace)?.get(name)
    }

    pub fn in_namespace(&self, namespace: &str) -> impl Iterator<Item = &Arc<K>> {
        self.by_ns.get(namespace).into_iter().flat_map(|m| m.values())
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<K>> {
        self.by_ns.values().flat_map(|m| m.values())
    }

    /// Stores the object unless the cached copy of the same uid is newer; returns the previous one.
    pub fn upsert(&mut self, obj: K) -> Option<Arc<K>> {
        self.upsert_shared(shared(obj))
    }

    /// [`Store::upsert`] of an object already made by [`shared`] (its `managedFields` are dropped
    /// here too if it still has them).
    pub fn upsert_shared(&mut self, mut obj: Arc<K>) -> Option<Arc<K>> {
        if obj.meta().managed_fields.is_some() {
            Arc::make_mut(&mut obj).meta_mut().managed_fields = None;
        }
        let meta = obj.meta();
        let key = key_of(meta)?;
        let ns = self.by_ns.entry(key.namespace).or_default();
        if let Some(old) = ns.get(&key.name) {
            let same_uid = old.meta().uid == meta.uid;
            if same_uid && matches!((rv(old.meta()), rv(meta)), (Some(a), Some(b)) if a > b) {
                return None;
            }
        }
        ns.insert(key.name, obj)
    }

    pub fn remove(&mut self, meta: &ObjectMeta) -> Option<Arc<K>> {
        let key = key_of(meta)?;
        let ns = self.by_ns.get_mut(&key.namespace)?;
        // Only the object with this uid: a replacement of the same name stays.
        if meta.uid.is_some() && ns.get(&key.name).is_some_and(|o| o.meta().uid != meta.uid) {
            return None;
        }
        ns.remove(&key.name)
    }

    /// Replaces everything with a fresh list.
    pub fn replace(&mut self, objs: Vec<K>) {
        self.by_ns.clear();
        for o in objs {
            self.upsert(o);
        }
    }
}

/// All caches of the controller.
#[derive(Debug, Default)]
pub struct Cache {
    pub sets: Store<StatefulSet>,
    pub pods: Store<Pod>,
    pub claims: Store<PersistentVolumeClaim>,
    pub revisions: Store<ControllerRevision>,
}

/// The `<template>-<set>-` prefixes of a set's claim names.
fn claim_prefixes(set: &StatefulSet) -> Vec<String> {
    let set_name = set.metadata.name.as_deref().unwrap_or_default();
    super::identity::claim_templates(set)
        .iter()
        .map(|t| format!("{}-{}-", t.metadata.name.as_deref().unwrap_or_default(), set_name))
        .collect()
}

fn has_claim_prefix(prefixes: &[String], claim: &str) -> bool {
    prefixes.iter().any(|prefix| {
        claim
            .strip_prefix(prefix.as_str())
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Whether a claim name looks like `<template>-<set>-<ordinal>` for this set.
pub fn claim_belongs(set: &StatefulSet, claim: &str) -> bool {
    has_claim_prefix(&claim_prefixes(set), claim)
}

impl Cache {
    /// The planner's input for a set: pods it owns or could adopt, its claims, the namespace's
    /// revisions, all shared with the cache.
    pub fn input(&self, key: &ObjectKey, features: Features) -> Option<Input> {
        let set = self.sets.get(&key.namespace, &key.name)?.clone();
        let uid = set_uid(&set);
        let pods = self
            .pods
            .in_namespace(&key.namespace)
            .filter(|p| match controller_of(&p.metadata) {
                Some(r) => r.uid == uid,
                None => is_member_name(&set, p.metadata.name.as_deref().unwrap_or_default()),
            })
            .cloned()
            .collect();
        let prefixes = claim_prefixes(&set);
        let claims = if prefixes.is_empty() {
            Vec::new()
        } else {
            self.claims
                .in_namespace(&key.namespace)
                .filter(|c| has_claim_prefix(&prefixes, c.metadata.name.as_deref().unwrap_or_default()))
                .cloned()
                .collect()
        };
        let revisions = self.revisions.in_namespace(&key.namespace).cloned().collect();
        Some(Input {
            set,
            pods,
            claims,
            revisions,
            features,
        })
    }
}
