//! Feature gates (upstream `--feature-gates Name=bool,...`): the few whose state changes what
//! berth's API server or controllers do, with upstream 1.32's defaults.

use std::fmt;

/// The gates berth knows, each at its upstream 1.32 default unless set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeatureGates {
    /// `MaxUnavailableStatefulSet` (alpha, off in 1.32): StatefulSet
    /// `spec.updateStrategy.rollingUpdate.maxUnavailable` is kept, defaulted to 1, and honoured by
    /// the controller; off, the API server drops it unless the stored object already uses it.
    pub max_unavailable_stateful_set: bool,
}

/// Gate names in the order `--help` lists them.
pub const KNOWN: &[&str] = &["MaxUnavailableStatefulSet"];

/// A `--feature-gates` value that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeatureGateError {
    #[error("missing bool value for {0}")]
    MissingValue(String),
    #[error("invalid value of {name}={value}, err: strconv.ParseBool: parsing {value:?}: invalid syntax")]
    InvalidValue { name: String, value: String },
    #[error("unrecognized feature gate: {0} (known gates: {known})", known = KNOWN.join(", "))]
    Unknown(String),
}

impl FeatureGates {
    /// Parses `Name=bool,Name=bool` like upstream's `--feature-gates` (spaces around entries are
    /// ignored, values as Go's `strconv.ParseBool`); gates not named keep their defaults.
    pub fn parse(value: &str) -> Result<FeatureGates, FeatureGateError> {
        let mut gates = FeatureGates::default();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((name, v)) = entry.split_once('=') else {
                return Err(FeatureGateError::MissingValue(entry.to_string()));
            };
            let (name, v) = (name.trim(), v.trim());
            let on = parse_bool(v).ok_or_else(|| FeatureGateError::InvalidValue {
                name: name.into(),
                value: v.into(),
            })?;
            match name {
                "MaxUnavailableStatefulSet" => gates.max_unavailable_stateful_set = on,
                _ => return Err(FeatureGateError::Unknown(name.to_string())),
            }
        }
        Ok(gates)
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

impl fmt::Display for FeatureGates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaxUnavailableStatefulSet={}", self.max_unavailable_stateful_set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_gates_parse_like_upstream() {
        let on = FeatureGates {
            max_unavailable_stateful_set: true,
        };
        let cases: &[(&str, Result<FeatureGates, FeatureGateError>)] = &[
            ("", Ok(FeatureGates::default())),
            ("MaxUnavailableStatefulSet=true", Ok(on)),
            (" MaxUnavailableStatefulSet = 1 ,", Ok(on)),
            (
                "MaxUnavailableStatefulSet=true,MaxUnavailableStatefulSet=false",
                Ok(FeatureGates::default()),
            ),
            (
                "MaxUnavailableStatefulSet",
                Err(FeatureGateError::MissingValue("MaxUnavailableStatefulSet".into())),
            ),
            (
                "MaxUnavailableStatefulSet=yes",
                Err(FeatureGateError::InvalidValue {
                    name: "MaxUnavailableStatefulSet".into(),
                    value: "yes".into(),
                }),
            ),
            ("NoSuchGate=true", Err(FeatureGateError::Unknown("NoSuchGate".into()))),
        ];
        for (input, want) in cases {
            assert_eq!(&FeatureGates::parse(input), want, "{input:?}");
        }
        assert_eq!(
            FeatureGateError::Unknown("Foo".into()).to_string(),
            "unrecognized feature gate: Foo (known gates: MaxUnavailableStatefulSet)"
        );
    }
}
