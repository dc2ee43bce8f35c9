//! Pure decisions of the garbage collector: what to do about one object, given the graph and live
//! lookups (upstream `attemptToDeleteItem`, `processDeletingDependentsItem`, `attemptToOrphanWorker`).

use std::collections::HashMap;

use super::graph::{Graph, Node, ObjectRef, Owner, Uid, FOREGROUND, ORPHAN};

/// `DeleteOptions.propagationPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    Orphan,
    Background,
    Foreground,
}

/// One side effect the driver performs, in order; a failure stops the rest and requeues the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Delete the object, with a uid precondition.
    Delete {
        object: ObjectRef,
        uid: Uid,
        propagation: Propagation,
    },
    /// Remove the ownerReferences to these owners from the object.
    RemoveOwnerRefs {
        object: ObjectRef,
        uid: Uid,
        owners: Vec<Uid>,
    },
    /// Set `blockOwnerDeletion: false` on the ownerReferences to these owners (breaks foreground cycles).
    UnblockOwnerRefs {
        object: ObjectRef,
        uid: Uid,
        owners: Vec<Uid>,
    },
    /// Remove one finalizer from the object.
    RemoveFinalizer {
        object: ObjectRef,
        uid: Uid,
        finalizer: &'static str,
    },
    /// Look at another object next (a dependent of an owner deleted in the foreground).
    Examine(Uid),
}

/// What a live GET of an owner reference found (upstream `isDangling` + the owner's state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerStatus {
    /// 404, or an object with that name but another uid.
    Absent,
    /// Exists with the referenced uid and is not waiting for its dependents.
    Present,
    /// Exists, being deleted in the foreground.
    WaitingForDependents,
    /// The kind is not served: the reference cannot be checked, so it is kept (never delete on doubt).
    Unresolvable,
}

/// Live status of each owner of the examined object, by owner uid.
pub type OwnerLookups = HashMap<Uid, OwnerStatus>;

/// Whether examining `item` needs live lookups of its owners: only a live dependent is judged by
/// its owners; objects being deleted are judged as owners.
pub fn needs_owner_lookups(item: &Node) -> bool {
    !item.deleting && !item.owners.is_empty()
}

/// Decides what to do about `item` (its live state) as an owner being deleted with `orphan` or
/// `foregroundDeletion`, or as a dependent whose owners may be gone or waiting.
pub fn plan(graph: &Graph, item: &Node, owners: &OwnerLookups) -> Vec<Action> {
    if item.orphaning() {
        return plan_orphan(graph, item);
    }
    if item.deleting_dependents() {
        return plan_foreground(graph, item);
    }
    if item.deleting {
        // "Being deleted" is a one-way trip: its dependents are handled once it is gone.
        return Vec::new();
    }
    plan_dependent(graph, item, owners)
}

/// Orphan: strip this owner from every dependent, then drop the `orphan` finalizer.
fn plan_orphan(graph: &Graph, owner: &Node) -> Vec<Action> {
    // `dependents` iterates in uid order, so the plan is deterministic.
    let mut actions: Vec<Action> = graph
        .dependents(&owner.uid)
        .map(|d| Action::RemoveOwnerRefs {
            object: d.object.clone(),
            uid: d.uid.clone(),
            owners: vec![owner.uid.clone()],
        })
        .collect();
    actions.push(Action::RemoveFinalizer {
        object: owner.object.clone(),
        uid: owner.uid.clone(),
        finalizer: ORPHAN,
    });
    actions
}

/// Foreground: examine the dependents not yet being deleted; once none blocks, drop the finalizer.
fn plan_foreground(graph: &Graph, owner: &Node) -> Vec<Action> {
    let blocking = graph
        .dependents(&owner.uid)
        .filter(|d| d.owner(&owner.uid).is_some_and(|o| o.block_owner_deletion))
        .count();
    if blocking == 0 {
        return vec![Action::RemoveFinalizer {
            object: owner.object.clone(),
            uid: owner.uid.clone(),
            finalizer: FOREGROUND,
        }];
    }
    graph
        .dependents(&owner.uid)
        .filter(|d| !d.deleting)
        .map(|d| Action::Examine(d.uid.clone()))
        .collect()
}

/// A dependent: delete it once no owner is solid; with some solid owner, drop only the references
/// to absent or waiting owners.
fn plan_dependent(graph: &Graph, item: &Node, owners: &OwnerLookups) -> Vec<Action> {
    if item.owners.is_empty() {
        return Vec::new();
    }
    let status = |o: &Owner| owners.get(&o.uid).copied().unwrap_or(OwnerStatus::Unresolvable);
    let uids_with = |want: OwnerStatus| -> Vec<Uid> {
        item.owners
            .iter()
            .filter(|o| status(o) == want)
            .map(|o| o.uid.clone())
            .collect()
    };
    let solid = item
        .owners
        .iter()
        .any(|o| matches!(status(o), OwnerStatus::Present | OwnerStatus::Unresolvable));
    let dangling = uids_with(OwnerStatus::Absent);
    let waiting = uids_with(OwnerStatus::WaitingForDependents);

    if solid {
        if dangling.is_empty() && waiting.is_empty() {
            return Vec::new();
        }
        let mut gone = dangling;
        gone.extend(waiting);
        return vec![Action::RemoveOwnerRefs {
            object: item.object.clone(),
            uid: item.uid.clone(),
            owners: gone,
        }];
    }
    let has_dependents = graph.dependents(&item.uid).next().is_some();
    if !waiting.is_empty() && has_dependents {
        let mut actions = Vec::new();
        // A dependent of ours already waiting for its own dependents may be waiting for us: a cycle.
        if graph.dependents(&item.uid).any(Node::deleting_dependents) {
            actions.push(Action::UnblockOwnerRefs {
                object: item.object.clone(),
                uid: item.uid.clone(),
                owners: waiting,
            });
        }
        actions.push(Action::Delete {
            object: item.object.clone(),
            uid: item.uid.clone(),
            propagation: Propagation::Foreground,
        });
        return actions;
    }
    // No solid owner and nothing waits on our dependents: collect it, honouring its own finalizers.
    let propagation = if item.has_finalizer(ORPHAN) {
        Propagation::Orphan
    } else if item.has_finalizer(FOREGROUND) {
        Propagation::Foreground
    } else {
        Propagation::Background
    };
    vec![Action::Delete {
        object: item.object.clone(),
        uid: item.uid.clone(),
        propagation,
    }]
}
