//! Pure decision of the serviceaccount controller: which namespaces lack their `default` ServiceAccount.

use std::collections::{BTreeMap, BTreeSet};

/// The ServiceAccount every live namespace gets (upstream `ServiceAccountsControllerOptions`).
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// Whether a namespace is terminating (`metadata.deletionTimestamp` set or phase `Terminating`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Active,
    Terminating,
}

/// Namespaces, in order, that are active and have no `default` ServiceAccount.
pub fn plan(namespaces: &BTreeMap<String, Phase>, have_default: &BTreeSet<String>) -> Vec<String> {
    namespaces
        .iter()
        .filter(|(name, phase)| **phase == Phase::Active && !have_default.contains(*name))
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nss(v: &[(&str, Phase)]) -> BTreeMap<String, Phase> {
        v.iter().map(|(n, p)| (n.to_string(), *p)).collect()
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_active_namespace_without_default_gets_one() {
        assert_eq!(
            plan(&nss(&[("demo", Phase::Active)]), &set(&[])),
            vec!["demo".to_string()]
        );
    }

    #[test]
    fn a_namespace_that_has_default_needs_nothing() {
        assert!(plan(&nss(&[("demo", Phase::Active)]), &set(&["demo"])).is_empty());
    }

    #[test]
    fn a_terminating_namespace_gets_nothing() {
        assert!(plan(&nss(&[("old", Phase::Terminating)]), &set(&[])).is_empty());
    }

    #[test]
    fn a_default_in_a_vanished_namespace_is_ignored() {
        assert_eq!(
            plan(
                &nss(&[("a", Phase::Active), ("b", Phase::Active)]),
                &set(&["b", "gone"])
            ),
            vec!["a".to_string()]
        );
    }
}
