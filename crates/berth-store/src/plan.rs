//! Pure decisions of the write path: whether a write may proceed, and which event it produces.

use crate::{EventType, Precondition, Revision, StoreError};

/// What kind of write is being planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    Put,
    Delete,
}

/// Decides one write against the key's current mod revision (`None` if absent), which must
/// already include earlier writes of the same batch. Returns the event the write produces.
pub(crate) fn plan_write(
    key: &str,
    current: Option<Revision>,
    precondition: &Precondition,
    kind: WriteKind,
) -> Result<EventType, StoreError> {
    let not_found = || StoreError::NotFound { key: key.to_owned() };
    match (precondition, current) {
        (Precondition::None, _) => {}
        (Precondition::MustNotExist, None) => {}
        (Precondition::MustNotExist, Some(_)) => return Err(StoreError::AlreadyExists { key: key.to_owned() }),
        (Precondition::MustExist, Some(_)) => {}
        (Precondition::MustExist, None) => return Err(not_found()),
        (Precondition::Revision(_), None) => return Err(not_found()),
        (Precondition::Revision(expected), Some(actual)) => {
            if *expected != actual {
                return Err(StoreError::Conflict {
                    key: key.to_owned(),
                    expected: *expected,
                    actual,
                });
            }
        }
    }
    match (kind, current) {
        (WriteKind::Delete, None) => Err(not_found()),
        (WriteKind::Delete, Some(_)) => Ok(EventType::Deleted),
        (WriteKind::Put, None) => Ok(EventType::Added),
        (WriteKind::Put, Some(_)) => Ok(EventType::Modified),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found() -> Result<EventType, StoreError> {
        Err(StoreError::NotFound { key: "k".into() })
    }

    #[test]
    fn preconditions_decide_every_combination_of_put_and_delete() {
        use EventType::*;
        use Precondition as P;
        use WriteKind::{Delete as Del, Put};
        let exists = Err(StoreError::AlreadyExists { key: "k".into() });
        let conflict = Err(StoreError::Conflict {
            key: "k".into(),
            expected: 4,
            actual: 5,
        });
        type Case = (Option<Revision>, Precondition, WriteKind, Result<EventType, StoreError>);
        let table: Vec<Case> = vec![
            (None, P::None, Put, Ok(Added)),
            (Some(5), P::None, Put, Ok(Modified)),
            (None, P::MustNotExist, Put, Ok(Added)),
            (Some(5), P::MustNotExist, Put, exists.clone()),
            (None, P::MustExist, Put, not_found()),
            (Some(5), P::MustExist, Put, Ok(Modified)),
            (None, P::Revision(5), Put, not_found()),
            (Some(5), P::Revision(5), Put, Ok(Modified)),
            (Some(5), P::Revision(4), Put, conflict.clone()),
            (None, P::None, Del, not_found()),
            (Some(5), P::None, Del, Ok(Deleted)),
            (None, P::MustNotExist, Del, not_found()),
            (Some(5), P::MustNotExist, Del, exists),
            (None, P::MustExist, Del, not_found()),
            (Some(5), P::MustExist, Del, Ok(Deleted)),
            (None, P::Revision(5), Del, not_found()),
            (Some(5), P::Revision(5), Del, Ok(Deleted)),
            (Some(5), P::Revision(4), Del, conflict),
        ];
        for (current, pre, kind, want) in table {
            assert_eq!(
                plan_write("k", current, &pre, kind),
                want,
                "{current:?} {pre:?} {kind:?}"
            );
        }
    }
}
