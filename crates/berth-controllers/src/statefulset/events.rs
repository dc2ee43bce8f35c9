//! The Events the controller records on a StatefulSet, with upstream's reasons and messages
//! (`recordPodEvent`, `recordClaimEvent` in `stateful_pod_control.go`).

use super::plan::Verb;

/// The reporting component of every event.
pub const COMPONENT: &str = "statefulset-controller";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// One event on the set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub type_: EventType,
    pub reason: String,
    pub message: String,
}

fn title(verb: Verb) -> (&'static str, &'static str) {
    match verb {
        Verb::Create => ("create", "Create"),
        Verb::Update => ("update", "Update"),
        Verb::Delete => ("delete", "Delete"),
    }
}

/// `SuccessfulCreate`: `create Pod web-0 in StatefulSet web successful`; on error
/// `FailedCreate`: `create Pod web-0 in StatefulSet web failed error: …`.
pub fn pod_event(verb: Verb, pod: &str, set: &str, error: Option<&str>) -> EventRecord {
    let (lower, upper) = title(verb);
    match error {
        None => EventRecord {
            type_: EventType::Normal,
            reason: format!("Successful{upper}"),
            message: format!("{lower} Pod {pod} in StatefulSet {set} successful"),
        },
        Some(e) => EventRecord {
            type_: EventType::Warning,
            reason: format!("Failed{upper}"),
            message: format!("{lower} Pod {pod} in StatefulSet {set} failed error: {e}"),
        },
    }
}

/// `create Claim www-web-0 Pod web-0 in StatefulSet web success`, or the failure.
pub fn claim_event(claim: &str, pod: &str, set: &str, error: Option<&str>) -> EventRecord {
    match error {
        None => EventRecord {
            type_: EventType::Normal,
            reason: "SuccessfulCreate".into(),
            message: format!("create Claim {claim} Pod {pod} in StatefulSet {set} success"),
        },
        Some(e) => EventRecord {
            type_: EventType::Warning,
            reason: "FailedCreate".into(),
            message: format!("create Claim {claim} for Pod {pod} in StatefulSet {set} failed error: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_events_use_upstream_wording() {
        assert_eq!(
            pod_event(Verb::Create, "web-0", "web", None),
            EventRecord {
                type_: EventType::Normal,
                reason: "SuccessfulCreate".into(),
                message: "create Pod web-0 in StatefulSet web successful".into()
            }
        );
        let e = pod_event(Verb::Delete, "web-2", "web", Some("boom"));
        assert_eq!((e.type_, e.reason.as_str()), (EventType::Warning, "FailedDelete"));
        assert_eq!(e.message, "delete Pod web-2 in StatefulSet web failed error: boom");
    }

    #[test]
    fn claim_events_use_upstream_wording() {
        assert_eq!(
            claim_event("www-web-0", "web-0", "web", None).message,
            "create Claim www-web-0 Pod web-0 in StatefulSet web success"
        );
        assert_eq!(
            claim_event("www-web-0", "web-0", "web", Some("x")).message,
            "create Claim www-web-0 for Pod web-0 in StatefulSet web failed error: x"
        );
    }
}
