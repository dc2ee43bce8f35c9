//! `metav1.LabelSelector` matching (matchLabels and the four matchExpressions operators), as
//! `LabelSelectorAsSelector(...).Matches` does.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Whether the selector matches the labels. An empty selector matches everything; an operator the
/// API does not define matches nothing (upstream returns an error, which the controller treats as
/// an invalid object).
pub fn matches(selector: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let ml = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    ml && selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        let got = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => got.is_some_and(|v| values.contains(v)),
            "NotIn" => got.is_none_or(|v| !values.contains(v)),
            "Exists" => got.is_some(),
            "DoesNotExist" => got.is_none(),
            _ => false,
        }
    })
}

/// Whether a set's selector selects nothing in particular (upstream refuses to sync such sets).
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn match_labels_and_expressions_must_all_hold() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "In".into(),
                values: Some(vec!["db".into(), "cache".into()]),
            }]),
        };
        assert!(matches(&sel, Some(&labels(&[("app", "web"), ("tier", "db")]))));
        assert!(!matches(&sel, Some(&labels(&[("app", "web"), ("tier", "fe")]))));
        assert!(!matches(&sel, Some(&labels(&[("tier", "db")]))));
        assert!(!matches(&sel, None));
    }

    #[test]
    fn not_in_and_does_not_exist_match_absent_keys() {
        let req = |op: &str| LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "k".into(),
                operator: op.into(),
                values: Some(vec!["x".into()]),
            }]),
        };
        assert!(matches(&req("NotIn"), None));
        assert!(matches(&req("DoesNotExist"), None));
        assert!(!matches(&req("Exists"), None));
        assert!(!matches(&req("Bogus"), Some(&labels(&[("k", "x")]))));
    }
}
