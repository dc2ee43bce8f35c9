//! The requests `Writes` sends are `Api`'s; its answers lose their managedFields and nothing else.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{json, Value};

use super::Writes;

/// What the fake server saw: method, path and query, body.
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// A client whose server answers every request with `answer`, recording the requests.
fn client(answer: Value) -> (kube::Client, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let log = log.clone();
        let answer = answer.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = body.collect().await?.to_bytes();
            let body: Value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)?
            };
            log.lock().expect("log").push((
                parts.method.to_string(),
                parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
                body,
            ));
            let resp = http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(answer.to_string())))?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(resp)
        }
    });
    (kube::Client::new(service, "default"), seen)
}

fn claim_answer() -> Value {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "www-web-0", "namespace": "default", "resourceVersion": "9",
            "annotations": {"volume.kubernetes.io/selected-node": "berth"},
            "managedFields": [{"manager": "m", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": "Pending"}
    })
}

#[tokio::test]
async fn create_replace_and_patches_send_what_api_sends_and_answer_trimmed() {
    let (client, seen) = client(claim_answer());
    let writes = Writes::<PersistentVolumeClaim>::namespaced(client, "default");
    let claim: PersistentVolumeClaim =
        serde_json::from_value(json!({"metadata": {"name": "www-web-0"}})).expect("a claim");
    let pp = PostParams::default();
    let patch = Patch::Merge(json!({"metadata": {"annotations": {"a": "b"}}}));
    let answers = [
        writes.create(&pp, &claim).await.expect("create"),
        writes.replace("www-web-0", &pp, &claim).await.expect("replace"),
        writes
            .patch("www-web-0", &PatchParams::default(), &patch)
            .await
            .expect("patch"),
        writes
            .patch_status("www-web-0", &PatchParams::default(), &patch)
            .await
            .expect("patch_status"),
    ];
    let mut full: PersistentVolumeClaim = serde_json::from_value(claim_answer()).expect("the answer");
    assert!(full.metadata.managed_fields.is_some());
    full.metadata.managed_fields = None;
    for answer in answers {
        assert_eq!(answer, full);
    }
    let seen = seen.lock().expect("log").clone();
    let claim_json = serde_json::to_value(&claim).expect("json");
    let patch_json = json!({"metadata": {"annotations": {"a": "b"}}});
    let base = "/api/v1/namespaces/default/persistentvolumeclaims";
    assert_eq!(
        seen,
        vec![
            ("POST".into(), format!("{base}?"), claim_json.clone()),
            ("PUT".into(), format!("{base}/www-web-0?"), claim_json),
            ("PATCH".into(), format!("{base}/www-web-0?"), patch_json.clone()),
            ("PATCH".into(), format!("{base}/www-web-0/status?"), patch_json),
        ]
    );
}

#[tokio::test]
async fn cluster_scoped_writes_go_to_the_cluster_url() {
    let (client, seen) = client(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}}));
    let writes = Writes::<PersistentVolume>::all(client);
    let pv: PersistentVolume = serde_json::from_value(json!({"metadata": {"name": "pv"}})).expect("a volume");
    writes.create(&PostParams::default(), &pv).await.expect("create");
    assert_eq!(seen.lock().expect("log")[0].1, "/api/v1/persistentvolumes?");
}
