//! The driver's object caches, fed by watches and written through by the driver's own successful
//! requests so the next sync sees them without waiting for the watch (no per-action lists).

use std::collections::HashMap;

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
    by_ns: HashMap<String, HashMap<String, K>>,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store { by_ns: HashMap::new() }
    }
}

fn rv(meta: &ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref().and_then(|v| v.parse().ok())
}

impl<K: Resource + Clone> Store<K> {
    pub fn get(&self, namespace: &str, name: &str) -> Option<&K> {
        self.by_ns.get(namespace)?.get(name)
    }

    pub fn in_namespace(&self, namespace: &str) -> impl Iterator<Item = &K> {
        self.by_ns.get(namespace).into_iter().flat_map(|m| m.values())
    }

    pub fn all(&self) -> impl Iterator<Item = &K> {
        self.by_ns.values().flat_map(|m| m.values())
    }

    /// Stores the object unless the cached copy of the same uid is newer; returns the previous one.
    ///
    /// `managedFields` are dropped (nothing here reads them; a client-go informer can do the same
    /// with a transform): they are a large part of a pod, and every sync copies the set's pods
    /// out of the cache.
    pub fn upsert(&mut self, mut obj: K) -> Option<K> {
        obj.meta_mut().managed_fields = None;
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

    pub fn remove(&mut self, meta: &ObjectMeta) -> Option<K> {
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

/// Whether a claim name looks like `<template>-<set>-<ordinal>` for this set.
pub fn claim_belongs(set: &StatefulSet, claim: &str) -> bool {
    let set_name = set.metadata.name.as_deref().unwrap_or_default();
    super::identity::claim_templates(set).iter().any(|t| {
        let prefix = format!("{}-{}-", t.metadata.name.as_deref().unwrap_or_default(), set_name);
        claim
            .strip_prefix(&prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

impl Cache {
    /// The planner's input for a set: pods it owns or could adopt, its claims, the namespace's
    /// revisions.
    pub fn input(&self, key: &ObjectKey, features: Features) -> Option<Input> {
        let set = self.sets.get(&key.namespace, &key.name)?.clone();
        let uid = set_uid(&set).to_string();
        let pods = self
            .pods
            .in_namespace(&key.namespace)
            .filter(|p| match controller_of(&p.metadata) {
                Some(r) => r.uid == uid,
                None => is_member_name(&set, p.metadata.name.as_deref().unwrap_or_default()),
            })
            .cloned()
            .collect();
        let claims = self
            .claims
            .in_namespace(&key.namespace)
            .filter(|c| claim_belongs(&set, c.metadata.name.as_deref().unwrap_or_default()))
            .cloned()
            .collect();
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
