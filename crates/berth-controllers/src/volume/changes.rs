//! What changed since the volume controllers last planned, so that a plan decides only about the
//! claims and volumes whose decisions may have changed (upstream's PV controller queues the
//! claims and volumes its informers report, one sync each, instead of walking everything).
//!
//! A claim's or volume's decisions depend on the object itself and on its neighbours:
//! - a claim on the volume its `volumeName` names, the volumes whose `claimRef` names it, the
//!   volume it would be provisioned as (`pvc-<uid>`), the unclaimed volumes it could match (while
//!   it has no volume), the classes, and, while it is being deleted, the pods using it;
//! - a volume on the claim its `claimRef` names and the claims naming it.
//!
//! Within one pass, claims naming the same volume also depend on each other (the first one the
//! pass binds takes the volume).
//!
//! So a changed claim marks itself, those volumes and the claims naming the same volume, a
//! changed volume marks itself and those claims, a volume that is (now) unclaimed marks every claim still looking for one, a pod marks
//! the deleting claims it uses, and a class or a relist marks everything. The driver also marks
//! the objects of every finished group and of every step a plan had to leave out because another
//! group was writing one of its objects, so that nothing waits for an unrelated change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::binder::matching::VolumeIndex;
use super::exec::{Group, Object};
use super::model::{Claim, ClaimKey, PodClaims, Volume, ANN_BIND_COMPLETED};
use super::provisioner::plan::volume_name_for;

/// The marked objects, and the indexes that find a change's neighbours.
#[derive(Debug)]
pub struct Changes {
    everything: bool,
    claims: BTreeSet<ClaimKey>,
    volumes: BTreeSet<String>,
    /// An unclaimed volume appeared or changed: claims without a volume may match it now.
    free_volume: bool,
    /// The volumes by their `claimRef`, and the unclaimed ones (kept equal to
    /// `VolumeIndex::new` of the cached volumes).
    pub index: VolumeIndex,
    /// The claims by the volume their `volumeName` names.
    naming: HashMap<String, BTreeSet<ClaimKey>>,
    /// The claims by the name their provisioned volume gets, `pvc-<uid>`: whether that volume
    /// exists decides whether the claim is provisioned, whatever its `claimRef` says.
    provisioned_as: HashMap<String, ClaimKey>,
}

impl Default for Changes {
    /// Nothing has been planned yet: everything is marked.
    fn default() -> Self {
        Changes {
            everything: true,
            claims: BTreeSet::new(),
            volumes: BTreeSet::new(),
            free_volume: false,
            index: VolumeIndex::default(),
            naming: HashMap::new(),
            provisioned_as: HashMap::new(),
        }
    }
}

/// The claims and volumes a plan is to decide about.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Marked {
    pub claims: BTreeSet<ClaimKey>,
    pub volumes: BTreeSet<String>,
}

fn key_of_ref(r: &super::model::ClaimRef) -> ClaimKey {
    ClaimKey {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    }
}

impl Changes {
    /// Marks everything (a relist, a class, the periodic resync).
    pub fn everything(&mut self) {
        self.everything = true;
    }

    /// Builds the indexes again from the caches (after a relist replaced them) and marks everything.
    pub fn relisted(&mut self, claims: &BTreeMap<ClaimKey, Claim>, volumes: &BTreeMap<String, Volume>) {
        self.index = VolumeIndex::new(volumes.values());
        self.naming.clear();
        self.provisioned_as.clear();
        for (key, claim) in claims {
            self.name(key, None, Some(claim));
        }
        self.everything();
    }

    /// Keeps the claim's entries in `naming` and `provisioned_as`.
    fn name(&mut self, key: &ClaimKey, old: Option<&Claim>, new: Option<&Claim>) {
        if old.map(|c| &c.uid) != new.map(|c| &c.uid) {
            if let Some(c) = old {
                self.provisioned_as.remove(&volume_name_for(c));
            }
            if let Some(c) = new {
                self.provisioned_as.insert(volume_name_for(c), key.clone());
            }
        }
        fn named(c: Option<&Claim>) -> Option<&str> {
            c.map(|c| c.volume_name.as_str()).filter(|n| !n.is_empty())
        }
        if named(old) == named(new) {
            return;
        }
        if let Some(n) = named(old) {
            if let Some(keys) = self.naming.get_mut(n) {
                keys.remove(key);
                if keys.is_empty() {
                    self.naming.remove(n);
                }
            }
        }
        if let Some(n) = named(new) {
            self.naming.entry(n.to_string()).or_default().insert(key.clone());
        }
    }

    /// The claim `key` was `old` and is `new` (`None`: absent).
    pub fn claim(&mut self, key: &ClaimKey, old: Option<&Claim>, new: Option<&Claim>) {
        self.name(key, old, new);
        self.claims.insert(key.clone());
        for c in old.into_iter().chain(new) {
            if !c.volume_name.is_empty() {
                self.volumes.insert(c.volume_name.clone());
                // Claims naming the same volume: which of them a pass binds depends on the others.
                if let Some(keys) = self.naming.get(&c.volume_name) {
                    self.claims.extend(keys.iter().cloned());
                }
            }
        }
        let claimed: Vec<String> = self.index.claimed_for(key).cloned().collect();
        self.volumes.extend(claimed);
    }

    /// The volume `name` was `old` and is `new` (`None`: absent).
    pub fn volume(&mut self, name: &str, old: Option<&Volume>, new: Option<&Volume>) {
        self.index.update(name, old, new);
        self.volumes.insert(name.to_string());
        for v in old.into_iter().chain(new) {
            if let Some(r) = &v.claim_ref {
                self.claims.insert(key_of_ref(r));
            }
        }
        if let Some(keys) = self.naming.get(name) {
            self.claims.extend(keys.iter().cloned());
        }
        if let Some(key) = self.provisioned_as.get(name) {
            self.claims.insert(key.clone());
        }
        if new.is_some_and(|v| v.claim_ref.is_none()) {
            self.free_volume = true;
        }
    }

    /// A pod was `old` and is `new`: the claims it uses that are being deleted may lose their
    /// protection (others' decisions do not depend on pods).
    pub fn pod(&mut self, old: Option<&PodClaims>, new: Option<&PodClaims>, claims: &BTreeMap<ClaimKey, Claim>) {
        for p in old.into_iter().chain(new) {
            for name in &p.claims {
                let key = ClaimKey {
                    namespace: p.namespace.clone(),
                    name: name.clone(),
                };
                if claims.get(&key).is_some_and(|c| c.deleting) {
                    self.claims.insert(key);
                }
            }
        }
    }

    /// Marks objects again: a group about them finished, or a plan left out a step about them.
    pub fn touch<'o>(&mut self, objects: impl IntoIterator<Item = &'o Object>) {
        for o in objects {
            match o {
                Object::Claim(k) => {
                    self.claims.insert(k.clone());
                }
                Object::Volume(n) => {
                    self.volumes.insert(n.clone());
                }
            }
        }
    }

    /// Takes what is marked: `None` for everything, else the objects a plan must decide about —
    /// at most `budget` claims and `budget` volumes, none that `blocked` says is being written
    /// (a plan would leave it out); the rest stays marked. A burst of claims is thus planned as
    /// groups can start, not all again whenever one group finishes.
    pub fn take(
        &mut self,
        claims: &BTreeMap<ClaimKey, Claim>,
        budget: usize,
        blocked: &dyn Fn(&Object) -> bool,
    ) -> Option<Marked> {
        if std::mem::take(&mut self.everything) {
            self.claims.clear();
            self.volumes.clear();
            self.free_volume = false;
            return None;
        }
        if std::mem::take(&mut self.free_volume) {
            self.claims.extend(
                claims
                    .values()
                    .filter(|c| c.volume_name.is_empty() && !c.annotated(ANN_BIND_COMPLETED))
                    .map(Claim::key),
            );
        }
        Some(Marked {
            claims: take_some(&mut self.claims, budget, |k| blocked(&Object::Claim(k.clone()))),
            volumes: take_some(&mut self.volumes, budget, |n| blocked(&Object::Volume(n.clone()))),
        })
    }

    /// Whether the next plan decides about the object.
    pub fn marks(&self, o: &Object) -> bool {
        self.everything
            || match o {
                Object::Claim(k) => self.claims.contains(k),
                Object::Volume(n) => self.volumes.contains(n),
            }
    }

    /// Whether nothing is marked.
    pub fn is_empty(&self) -> bool {
        !self.everything && !self.free_volume && self.claims.is_empty() && self.volumes.is_empty()
    }
}

/// The groups a plan over everything (`full`) finds that a plan over the marked objects
/// (`planned`) missed: it did not start them, did not leave them for later (none of their
/// objects is marked for the next plan), and started nothing else about their objects. There
/// must be none.
///
/// The plans need not be equal: within one pass a claim's decision depends on the claims decided
/// before it (the first takes the volume). A partial pass may leave for later a claim that tries
/// a volume another claim's group is still binding, or decide it without knowing of that
/// binding, as upstream's binder decides on a cache that shows a write only once it is back.
pub fn missed<'g>(full: &'g [Group], planned: &[Group], changes: &Changes) -> Vec<&'g Group> {
    let started: HashSet<&Object> = planned.iter().flat_map(|g| &g.objects).collect();
    full.iter()
        .filter(|g| !planned.contains(g))
        .filter(|g| !g.objects.iter().any(|o| changes.marks(o)))
        .filter(|g| !g.objects.iter().all(|o| started.contains(o)))
        .collect()
}

/// Takes up to `budget` keys of `marked` that are not `blocked`, in order, and leaves the others.
fn take_some<K: Ord + Clone>(marked: &mut BTreeSet<K>, budget: usize, blocked: impl Fn(&K) -> bool) -> BTreeSet<K> {
    let mut taken = BTreeSet::new();
    for k in marked.iter() {
        if taken.len() == budget {
            break;
        }
        if !blocked(k) {
            taken.insert(k.clone());
        }
    }
    marked.retain(|k| !taken.contains(k));
    taken
}

#[cfg(test)]
mod tests;
