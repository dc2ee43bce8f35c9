//! Component tests of the namespace controller's `reconcile` against a recording fake.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use kube::discovery::ApiResource;

use super::plan::{NamespaceView, Remaining, Sweep};
use super::{reconcile, NamespaceApi, RECHECK};
use crate::error::ControllerError;
use crate::resources::ServedResource;

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Sweep(String, Sweep),
    Finalize(Vec<String>),
}

/// One namespace, its content per resource (objects deleted by a sweep unless they hold a finalizer).
struct FakeNs {
    ns: Option<NamespaceView>,
    resources: Vec<ServedResource>,
    /// resource plural → (object name, held by a finalizer)
    content: Mutex<BTreeMap<String, Vec<(String, bool)>>>,
    calls: Mutex<Vec<Call>>,
}

fn res(plural: &str, verbs: &[&str]) -> ServedResource {
    ServedResource {
        resource: ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: plural.into(),
            plural: plural.into(),
        },
        namespaced: true,
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
    }
}

impl FakeNs {
    fn new(deleting: bool, content: &[(&str, &str, bool)]) -> Self {
        let mut map: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        for (plural, name, held) in content {
            map.entry(plural.to_string())
                .or_default()
                .push((name.to_string(), *held));
        }
        FakeNs {
            ns: Some(NamespaceView {
                name: "demo".into(),
                deleting,
                spec_finalizers: vec!["kubernetes".into()],
            }),
            resources: vec![
                res("configmaps", &["list", "delete", "deletecollection"]),
                res("leases", &["list", "delete"]),
            ],
            content: Mutex::new(map),
            calls: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }
    fn release_all(&self) {
        self.content.lock().expect("lock").clear();
    }
}

impl NamespaceApi for FakeNs {
    async fn get(&self, _name: &str) -> Result<Option<NamespaceView>, ControllerError> {
        Ok(self.ns.clone())
    }
    async fn resources(&self) -> Result<Vec<ServedResource>, ControllerError> {
        Ok(self.resources.clone())
    }
    async fn sweep(&self, r: &ServedResource, _ns: &str, how: Sweep) -> Result<(), ControllerError> {
        self.calls
            .lock()
            .expect("lock")
            .push(Call::Sweep(r.resource.plural.clone(), how));
        if let Some(objs) = self.content.lock().expect("lock").get_mut(&r.resource.plural) {
            objs.retain(|(_, held)| *held);
        }
        Ok(())
    }
    async fn remaining(&self, r: &ServedResource, _ns: &str) -> Result<Remaining, ControllerError> {
        let count = self
            .content
            .lock()
            .expect("lock")
            .get(&r.resource.plural)
            .map_or(0, Vec::len);
        Ok(Remaining {
            resource: r.display(),
            count,
            finalizers: BTreeSet::new(),
        })
    }
    async fn finalize(&self, _name: &str, keep: &[String]) -> Result<(), ControllerError> {
        self.calls.lock().expect("lock").push(Call::Finalize(keep.to_vec()));
        Ok(())
    }
}

#[tokio::test]
async fn an_empty_terminating_namespace_is_swept_then_finalized() {
    let fake = FakeNs::new(true, &[]);
    assert_eq!(reconcile(&fake, "demo").await.expect("reconciles"), None);
    assert_eq!(
        fake.calls(),
        vec![
            Call::Sweep("configmaps".into(), Sweep::Collection),
            Call::Sweep("leases".into(), Sweep::EachObject),
            Call::Finalize(vec![]),
        ]
    );
}

#[tokio::test]
async fn content_held_by_a_finalizer_delays_finalization_until_it_is_gone() {
    let fake = FakeNs::new(true, &[("configmaps", "a", false), ("configmaps", "held", true)]);
    assert_eq!(reconcile(&fake, "demo").await.expect("reconciles"), Some(RECHECK));
    assert!(
        !fake.calls().iter().any(|c| matches!(c, Call::Finalize(_))),
        "finalized too early"
    );
    fake.release_all();
    assert_eq!(reconcile(&fake, "demo").await.expect("reconciles"), None);
    assert_eq!(fake.calls().last(), Some(&Call::Finalize(vec![])));
}

#[tokio::test]
async fn a_namespace_that_is_not_terminating_is_left_alone() {
    let fake = FakeNs::new(false, &[("configmaps", "a", false)]);
    assert_eq!(reconcile(&fake, "demo").await.expect("reconciles"), None);
    assert_eq!(fake.calls(), vec![]);
}

#[tokio::test]
async fn a_namespace_already_gone_is_left_alone() {
    let mut fake = FakeNs::new(true, &[]);
    fake.ns = None;
    assert_eq!(reconcile(&fake, "demo").await.expect("reconciles"), None);
    assert_eq!(fake.calls(), vec![]);
}
