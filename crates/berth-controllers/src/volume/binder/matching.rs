//! Which volume a claim binds to: upstream `findByClaim` (`index.go`) over `FindMatchingVolume`
//! (component-helpers `pv_helpers.go`), shared by the binder and the scheduler's volume check.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::statefulset::selector;
use crate::volume::model::{Claim, ClaimKey, ClaimRef, Volume};

/// The node a scheduler asks about (`None` on the binder's path).
#[derive(Clone, Copy, Debug)]
pub struct NodeView<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
}

/// Whether the volume's node affinity admits the node (no affinity admits every node).
pub fn affinity_allows(volume: &Volume, node: NodeView<'_>) -> bool {
    volume.node_hostnames.is_empty()
        || node
            .labels
            .get("kubernetes.io/hostname")
            .is_some_and(|h| volume.node_hostnames.contains(h))
        || volume.node_hostnames.iter().any(|h| h == node.name)
}

/// Upstream `CheckAccessModes`: every requested mode is among the volume's.
pub fn has_access_modes(claim: &Claim, volume: &Volume) -> bool {
    claim.access_modes.iter().all(|m| volume.access_modes.contains(m))
}

/// Upstream `FindMatchingVolume` over `volumes`: a volume pre-bound to the claim at once, else the
/// smallest Available one that fits, matches the selector and has the claim's class. On the
/// binder's path (`node == None`) a delayed-binding claim only takes a pre-bound volume.
pub fn find_matching_volume<'a>(
    claim: &Claim,
    volumes: &[&'a Volume],
    node: Option<NodeView<'_>>,
    excluded: &BTreeSet<String>,
    delay_binding: bool,
) -> Option<&'a Volume> {
    let mut smallest: Option<&'a Volume> = None;
    for &volume in volumes {
        if excluded.contains(&volume.name) {
            continue;
        }
        if volume.claim_ref.is_some() && !volume.bound_to(claim) {
            continue;
        }
        if volume.capacity_bytes < claim.request_bytes {
            continue;
        }
        if volume.volume_mode != claim.volume_mode || volume.deleting {
            continue;
        }
        let affinity_ok = node.is_none_or(|n| affinity_allows(volume, n));
        if volume.bound_to(claim) {
            return affinity_ok.then_some(volume);
        }
        if node.is_none() && delay_binding {
            continue;
        }
        if volume.phase != "Available" {
            continue;
        }
        if let Some(sel) = &claim.selector {
            if !selector::matches(sel, Some(&volume.labels)) {
                continue;
            }
        }
        if volume.storage_class != claim.class() || !affinity_ok {
            continue;
        }
        if node.is_some() && !has_access_modes(claim, volume) {
            continue;
        }
        if smallest.is_none_or(|s| s.capacity_bytes > volume.capacity_bytes) {
            smallest = Some(volume);
        }
    }
    smallest
}

/// Upstream `findByClaim`: volumes grouped by access-mode set; the sets holding every requested
/// mode are tried fewest modes first, and the first set with a match wins.
pub fn find_best_match<'a>(
    claim: &Claim,
    volumes: impl IntoIterator<Item = &'a Volume>,
    node: Option<NodeView<'_>>,
    excluded: &BTreeSet<String>,
    delay_binding: bool,
) -> Option<&'a Volume> {
    let mut by_modes: BTreeMap<String, Vec<&'a Volume>> = BTreeMap::new();
    // Only unclaimed volumes and those claimed for this claim can match (as in
    // `find_matching_volume`); leaving the rest out first keeps this cheap among many bound ones.
    for v in volumes.into_iter().filter(|v| could_match(claim, v)) {
        by_modes.entry(v.access_mode_set()).or_default().push(v);
    }
    let mut sets: Vec<(&String, &Vec<&'a Volume>)> = by_modes
        .iter()
        .filter(|(set, _)| {
            let modes: Vec<&str> = if set.is_empty() {
                vec![]
            } else {
                set.split(',').collect()
            };
            claim.access_modes.iter().all(|m| modes.contains(&m.as_str()))
        })
        .collect();
    sets.sort_by_key(|(set, _)| (set.split(',').filter(|s| !s.is_empty()).count(), (*set).clone()));
    sets.into_iter()
        .find_map(|(_, vols)| find_matching_volume(claim, vols, node, excluded, delay_binding))
}

/// Whether the volume is free or claimed for this claim: the only ones a claim can match.
fn could_match(claim: &Claim, volume: &Volume) -> bool {
    volume.claim_ref.is_none() || volume.bound_to(claim)
}

/// The volumes a claim could match, found without scanning every volume: the names of the
/// unclaimed ones, and of those whose `claimRef` names each claim. A binder pass builds one
/// ([`VolumeIndex::new`]); the volume driver keeps one current as volumes change
/// ([`VolumeIndex::update`]), so a pass over a few claims does not look at every volume.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeIndex {
    free: BTreeSet<String>,
    claimed: HashMap<ClaimKey, BTreeSet<String>>,
}

fn claim_key(r: &ClaimRef) -> ClaimKey {
    ClaimKey {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    }
}

impl VolumeIndex {
    pub fn new<'a>(volumes: impl IntoIterator<Item = &'a Volume>) -> Self {
        let mut index = VolumeIndex::default();
        for v in volumes {
            index.update(&v.name, None, Some(v));
        }
        index
    }

    /// Takes in that the volume `name` was `old` and is now `new` (`None`: absent).
    pub fn update(&mut self, name: &str, old: Option<&Volume>, new: Option<&Volume>) {
        match old.map(|v| &v.claim_ref) {
            Some(None) => {
                self.free.remove(name);
            }
            Some(Some(r)) => {
                let key = claim_key(r);
                if let Some(names) = self.claimed.get_mut(&key) {
                    names.remove(name);
                    if names.is_empty() {
                        self.claimed.remove(&key);
                    }
                }
            }
            None => {}
        }
        match new.map(|v| &v.claim_ref) {
            Some(None) => {
                self.free.insert(name.to_string());
            }
            Some(Some(r)) => {
                self.claimed.entry(claim_key(r)).or_default().insert(name.to_string());
            }
            None => {}
        }
    }

    /// Whether no volume is unclaimed.
    pub fn none_free(&self) -> bool {
        self.free.is_empty()
    }

    /// The names of the volumes whose `claimRef` names the claim.
    pub fn claimed_for(&self, claim: &ClaimKey) -> impl Iterator<Item = &String> {
        self.claimed.get(claim).into_iter().flatten()
    }

    /// The claim's candidates among `volumes`, in name order (the order `find_best_match` sees
    /// volumes in).
    pub fn candidates<'v>(&self, claim: &Claim, volumes: &'v BTreeMap<String, Volume>) -> Vec<&'v Volume> {
        let key = ClaimKey {
            namespace: claim.namespace.clone(),
            name: claim.name.clone(),
        };
        let mut names: Vec<&String> = self.free.iter().collect();
        let before = names.len();
        names.extend(self.claimed_for(&key));
        if names.len() > before && before > 0 {
            names.sort();
        }
        names.into_iter().filter_map(|n| volumes.get(n)).collect()
    }
}
