//! The dependency graph: every observed object, its ownerReferences, and a reverse index of dependents.
//!
//! Pure data: `apply` updates the graph from one observed change and returns the objects that
//! need a look (upstream `processGraphChanges`), without doing any IO.

use std::collections::{BTreeSet, HashMap};

/// An object's uid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(pub String);

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an object lives: enough to GET, PATCH or DELETE it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    /// The dependent's namespace for owners; ignored by the client if the kind is cluster-scoped.
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {} in {}", self.kind.to_lowercase(), self.name, ns),
            None => write!(f, "{} {}", self.kind.to_lowercase(), self.name),
        }
    }
}

/// One entry of `metadata.ownerReferences`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: Uid,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub block_owner_deletion: bool,
}

/// Finalizer the API server adds for `propagationPolicy: Orphan`.
pub const ORPHAN: &str = "orphan";
/// Finalizer the API server adds for `propagationPolicy: Foreground`.
pub const FOREGROUND: &str = "foregroundDeletion";

/// What the collector knows about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub uid: Uid,
    pub object: ObjectRef,
    pub owners: Vec<Owner>,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    pub finalizers: Vec<String>,
}

impl Node {
    pub fn has_finalizer(&self, f: &str) -> bool {
        self.finalizers.iter().any(|x| x == f)
    }

    /// Being deleted with `orphan`: its dependents must be orphaned first.
    pub fn orphaning(&self) -> bool {
        self.deleting && self.has_finalizer(ORPHAN)
    }

    /// Being deleted in the foreground: it waits for its dependents.
    pub fn deleting_dependents(&self) -> bool {
        self.deleting && self.has_finalizer(FOREGROUND)
    }

    /// The owner reference to `owner`, if any.
    pub fn owner(&self, owner: &Uid) -> Option<&Owner> {
        self.owners.iter().find(|o| &o.uid == owner)
    }

    /// A reference to the owner `o`, resolved relative to this dependent.
    pub fn owner_ref(&self, o: &Owner) -> ObjectRef {
        ObjectRef {
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            namespace: self.object.namespace.clone(),
            name: o.name.clone(),
        }
    }
}

/// One observed change.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Added or modified.
    Upsert(Node),
    /// Deleted.
    Remove(Uid),
}

/// Every observed object plus a reverse index owner uid → dependents; owners never observed are
/// "virtual": they only appear as keys of the index.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: HashMap<Uid, Node>,
    dependents: HashMap<Uid, BTreeSet<Uid>>,
}

impl Graph {
    pub fn get(&self, uid: &Uid) -> Option<&Node> {
        self.nodes.get(uid)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The observed dependents of `owner`.
    pub fn dependents(&self, owner: &Uid) -> impl Iterator<Item = &Node> {
        self.dependents
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|d| self.nodes.get(d))
    }

    /// Uids of the observed objects of one kind (to drop the ones a relist no longer shows).
    pub fn uids_of_kind(&self, api_version: &str, kind: &str) -> Vec<Uid> {
        let group = crate::resources::group_of(api_version);
        self.nodes
            .values()
            .filter(|n| n.object.kind == kind && crate::resources::group_of(&n.object.api_version) == group)
            .map(|n| n.uid.clone())
            .collect()
    }

    /// Applies one change; returns the uids to examine, without duplicates, in a stable order.
    pub fn apply(&mut self, change: Change) -> Vec<Uid> {
        let mut out = BTreeSet::new();
        match change {
            Change::Upsert(node) => {
                let old = self.nodes.remove(&node.uid);
                if let Some(old) = &old {
                    self.unlink(old);
                    // Owners this object no longer references may have been waiting for it.
                    for o in &old.owners {
                        if node.owner(&o.uid).is_none() && self.nodes.get(&o.uid).is_some_and(|n| n.deleting) {
                            out.insert(o.uid.clone());
                        }
                    }
                }
                for o in &node.owners {
                    self.dependents
                        .entry(o.uid.clone())
                        .or_default()
                        .insert(node.uid.clone());
                    match self.nodes.get(&o.uid) {
                        // A virtual owner: check that it exists.
                        None => {
                            out.insert(node.uid.clone());
                        }
                        // An owner being deleted with orphan or foreground handles its new dependent.
                        Some(owner) if owner.orphaning() || owner.deleting_dependents() => {
                            out.insert(o.uid.clone());
                        }
                        Some(_) => {}
                    }
                }
                if node.orphaning() || node.deleting_dependents() {
                    out.insert(node.uid.clone());
                }
                // A foreground-deleting owner of this object may be waiting: a dependent turning
                // into foreground deletion changes whether it blocks.
                if old.as_ref().is_some_and(|o| o.deleting != node.deleting) {
                    for o in &node.owners {
                        if self.nodes.get(&o.uid).is_some_and(Node::deleting_dependents) {
                            out.insert(o.uid.clone());
                        }
                    }
                }
                self.nodes.insert(node.uid.clone(), node);
            }
            Change::Remove(uid) => {
                if let Some(old) = self.nodes.remove(&uid) {
                    self.unlink(&old);
                    for o in &old.owners {
                        if self.nodes.get(&o.uid).is_some_and(|n| n.deleting) {
                            out.insert(o.uid.clone());
                        }
                    }
                }
                // Its dependents now reference an absent owner.
                if let Some(deps) = self.dependents.get(&uid) {
                    out.extend(deps.iter().cloned());
                }
            }
        }
        out.into_iter().collect()
    }

    /// Everything that needs a look once the graph is first complete: objects with owners never
    /// observed, and owners being deleted with `orphan` or `foregroundDeletion`.
    pub fn needs_attention(&self) -> Vec<Uid> {
        let mut out: Vec<Uid> = self
            .nodes
            .values()
            .filter(|n| {
                n.orphaning() || n.deleting_dependents() || n.owners.iter().any(|o| !self.nodes.contains_key(&o.uid))
            })
            .map(|n| n.uid.clone())
            .collect();
        out.sort();
        out
    }

    fn unlink(&mut self, node: &Node) {
        for o in &node.owners {
            if let Some(set) = self.dependents.get_mut(&o.uid) {
                set.remove(&node.uid);
                if set.is_empty() {
                    self.dependents.remove(&o.uid);
                }
            }
        }
    }
}
