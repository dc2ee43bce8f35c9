//! Events the controllers record, built and sent the way client-go's recorder does: named
//! `<object>.<unix nanoseconds in hex>`, posted in the background so recording never holds up the
//! work it reports on (client-go's broadcaster queues them too).

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::api::{Api, ObjectMeta, PostParams};

/// One event about `involved`, reported by `component`.
#[derive(Clone, Debug)]
pub struct Note<'a> {
    pub component: &'a str,
    pub involved: ObjectReference,
    /// `Normal` or `Warning`.
    pub type_: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
    /// The events.k8s.io `action`, if the component sets one.
    pub action: Option<&'a str>,
}

/// The core/v1 Event for `note` at `now`, in the involved object's namespace (`default` for a
/// cluster-scoped object, as client-go does).
pub fn build(note: &Note<'_>, now: jiff::Timestamp) -> Event {
    let namespace = note.involved.namespace.clone().unwrap_or_else(|| "default".to_string());
    let name = note.involved.name.as_deref().unwrap_or_default();
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(namespace),
            ..ObjectMeta::default()
        },
        involved_object: note.involved.clone(),
        reason: Some(note.reason.into()),
        message: Some(note.message.into()),
        type_: Some(note.type_.into()),
        source: Some(EventSource {
            component: Some(note.component.into()),
            host: None,
        }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        event_time: note.action.map(|_| MicroTime(now)),
        count: Some(1),
        action: note.action.map(Into::into),
        reporting_component: Some(note.component.into()),
        reporting_instance: Some(note.component.into()),
        ..Event::default()
    }
}

/// Posts the event in the background; a failure is logged, not returned (an event is a report,
/// and the caller's work has already happened).
pub fn emit(client: &kube::Client, note: &Note<'_>) {
    let event = build(note, jiff::Timestamp::now());
    let namespace = event.metadata.namespace.clone().unwrap_or_default();
    let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
    tokio::spawn(async move {
        if let Err(e) = api.create(&PostParams::default(), &event).await {
            tracing::debug!(error = %e, reason = ?event.reason, "recording an event failed");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_named_after_its_object_and_lives_in_its_namespace() {
        let now = jiff::Timestamp::from_nanosecond(0x1234).expect("time");
        let pod = ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some("shop".into()),
            name: Some("web-0".into()),
            ..ObjectReference::default()
        };
        let note = Note {
            component: "default-scheduler",
            involved: pod,
            type_: "Normal",
            reason: "Scheduled",
            message: "Successfully assigned shop/web-0 to berth",
            action: Some("Binding"),
        };
        let ev = build(&note, now);
        assert_eq!(ev.metadata.name.as_deref(), Some("web-0.1234"));
        assert_eq!(ev.metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(ev.reporting_component.as_deref(), Some("default-scheduler"));
        assert_eq!(ev.count, Some(1));
        assert!(ev.event_time.is_some());

        let volume = ObjectReference {
            kind: Some("PersistentVolume".into()),
            name: Some("pvc-1".into()),
            ..ObjectReference::default()
        };
        let ev = build(
            &Note {
                involved: volume,
                action: None,
                ..note
            },
            now,
        );
        assert_eq!(ev.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(ev.event_time, None);
    }
}
