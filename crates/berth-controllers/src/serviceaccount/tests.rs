//! Component tests of the serviceaccount controller's state and `sync` against a recording fake.

use std::marker::PhantomData;
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::Event;

use super::{sync, ServiceAccountApi, State};
use crate::error::ControllerError;
use crate::queue::WorkQueue;

#[derive(Default)]
struct FakeSa {
    created: Mutex<Vec<String>>,
    fail: Mutex<u32>,
}

impl ServiceAccountApi for FakeSa {
    async fn create_default(&self, namespace: &str) -> Result<(), ControllerError> {
        let mut fail = self.fail.lock().expect("lock");
        if *fail > 0 {
            *fail -= 1;
            return Err(ControllerError::Conflicts {
                object: format!("serviceaccount default in {namespace}"),
            });
        }
        self.created.lock().expect("lock").push(namespace.to_string());
        Ok(())
    }
}

fn ns(name: &str, terminating: bool) -> Namespace {
    let mut n = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    if terminating {
        n.metadata.deletion_timestamp =
            Some(serde_json::from_value(serde_json::json!("2025-01-01T00:00:00Z")).expect("a valid time"));
    }
    n
}

fn sa(namespace: &str, name: &str) -> PartialObjectMeta<ServiceAccount> {
    PartialObjectMeta {
        types: None,
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..ObjectMeta::default()
        },
        _phantom: PhantomData,
    }
}

fn synced(namespaces: &[Namespace], accounts: &[PartialObjectMeta<ServiceAccount>]) -> State {
    let mut s = State::default();
    s.observe_namespace(Event::Init);
    for n in namespaces {
        s.observe_namespace(Event::InitApply(n.clone()));
    }
    s.observe_namespace(Event::InitDone);
    s.observe_service_account(Event::Init);
    for a in accounts {
        s.observe_service_account(Event::InitApply(a.clone()));
    }
    s.observe_service_account(Event::InitDone);
    s
}

#[tokio::test]
async fn only_active_namespaces_without_default_get_one() {
    let fake = FakeSa::default();
    let mut s = synced(
        &[ns("a", false), ns("b", false), ns("old", true)],
        &[sa("b", "default"), sa("a", "builder")],
    );
    sync(&fake, &mut s, &mut WorkQueue::default()).await;
    assert_eq!(*fake.created.lock().expect("lock"), vec!["a".to_string()]);
}

#[tokio::test]
async fn a_deleted_default_is_recreated_once() {
    let fake = FakeSa::default();
    let mut s = synced(&[ns("a", false)], &[sa("a", "default")]);
    let mut q = WorkQueue::default();
    s.observe_service_account(Event::Delete(sa("a", "default")));
    sync(&fake, &mut s, &mut q).await;
    sync(&fake, &mut s, &mut q).await;
    assert_eq!(*fake.created.lock().expect("lock"), vec!["a".to_string()]);
}

#[tokio::test]
async fn a_new_namespace_gets_default_but_not_before_the_initial_lists_are_done() {
    let mut s = State::default();
    s.observe_namespace(Event::Init);
    s.observe_namespace(Event::InitApply(ns("a", false)));
    s.observe_namespace(Event::InitDone);
    assert!(!s.synced());
    s.observe_service_account(Event::Init);
    s.observe_service_account(Event::InitDone);
    assert!(s.synced());
    s.observe_namespace(Event::Apply(ns("new", false)));
    let fake = FakeSa::default();
    sync(&fake, &mut s, &mut WorkQueue::default()).await;
    assert_eq!(
        *fake.created.lock().expect("lock"),
        vec!["a".to_string(), "new".to_string()]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_create_waits_for_its_backoff() {
    let fake = FakeSa::default();
    *fake.fail.lock().expect("lock") = 1;
    let mut s = synced(&[ns("a", false)], &[]);
    let mut q = WorkQueue::default();
    sync(&fake, &mut s, &mut q).await;
    sync(&fake, &mut s, &mut q).await;
    assert!(
        fake.created.lock().expect("lock").is_empty(),
        "retried before the backoff"
    );
    let due = q.next_due().expect("a retry is scheduled");
    tokio::time::sleep_until(due).await;
    q.promote(tokio::time::Instant::now());
    while q.pop().is_some() {}
    sync(&fake, &mut s, &mut q).await;
    assert_eq!(*fake.created.lock().expect("lock"), vec!["a".to_string()]);
}
