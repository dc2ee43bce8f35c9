//! Query-string parsing into typed options, and `Accept` negotiation; both pure.

use berth_api::ApiError;

/// The query parameters berth understands; unknown ones are ignored, as upstream does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub resource_version_match: Option<String>,
    pub watch: bool,
    pub timeout_seconds: Option<u64>,
    pub allow_watch_bookmarks: bool,
    pub send_initial_events: bool,
    pub dry_run: bool,
    pub field_manager: Option<String>,
    pub field_validation: Option<String>,
    pub force: bool,
    pub include_object: Option<String>,
    pub propagation_policy: Option<String>,
    pub grace_period_seconds: Option<i64>,
    pub orphan_dependents: Option<bool>,
    pub pretty: bool,
    pub container: Option<String>,
    pub follow: bool,
    pub tail_lines: Option<i64>,
    pub previous: bool,
    pub timestamps: bool,
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

/// Percent-decodes a query component (`+` is a space).
pub fn decode_component(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| ApiError::BadRequest(format!("invalid query escape in {s:?}")))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::BadRequest(format!("query {s:?} is not UTF-8")))
}

fn parse_bool(name: &str, v: &str) -> Result<bool, ApiError> {
    match v {
        "" | "true" | "1" | "True" | "TRUE" | "t" => Ok(true),
        "false" | "0" | "False" | "FALSE" | "f" => Ok(false),
        _ => Err(ApiError::BadRequest(format!(
            "invalid value {v:?} for parameter {name}: must be a boolean"
        ))),
    }
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ApiError> {
    v.parse()
        .map_err(|_| ApiError::BadRequest(format!("invalid value {v:?} for parameter {name}: must be an integer")))
}

/// Parses a raw query string (without `?`). Tolerates empty pairs (kube-rs sends `?&a=b`).
pub fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
    let mut q = Query::default();
    let Some(raw) = raw else { return Ok(q) };
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode_component(k)?;
        let v = decode_component(v)?;
        match k.as_str() {
            "labelSelector" => q.label_selector = Some(v),
            "fieldSelector" => q.field_selector = Some(v),
            "limit" => q.limit = Some(parse_num(&k, &v)?).filter(|n| *n > 0),
            "continue" => q.continue_token = Some(v).filter(|s| !s.is_empty()),
            "resourceVersion" => q.resource_version = Some(v).filter(|s| !s.is_empty()),
            "resourceVersionMatch" => q.resource_version_match = Some(v).filter(|s| !s.is_empty()),
            "watch" => q.watch = parse_bool(&k, &v)?,
            "timeoutSeconds" => q.timeout_seconds = Some(parse_num(&k, &v)?),
            "allowWatchBookmarks" => q.allow_watch_bookmarks = parse_bool(&k, &v)?,
            "sendInitialEvents" => q.send_initial_events = parse_bool(&k, &v)?,
            "dryRun" => {
                if v != "All" {
                    return Err(ApiError::BadRequest(format!(
                        "Unsupported value: {v:?}: supported values: \"All\""
                    )));
                }
                q.dry_run = true;
            }
            "fieldManager" => q.field_manager = Some(v),
            "fieldValidation" => q.field_validation = Some(v),
            "force" => q.force = parse_bool(&k, &v)?,
            "includeObject" => q.include_object = Some(v),
            "propagationPolicy" => q.propagation_policy = Some(v),
            "gracePeriodSeconds" => q.grace_period_seconds = Some(parse_num(&k, &v)?),
            "orphanDependents" => q.orphan_dependents = Some(parse_bool(&k, &v)?),
            "pretty" => q.pretty = parse_bool(&k, &v)?,
            "container" => q.container = Some(v),
            "follow" => q.follow = parse_bool(&k, &v)?,
            "tailLines" => q.tail_lines = Some(parse_num(&k, &v)?),
            "previous" => q.previous = parse_bool(&k, &v)?,
            "timestamps" => q.timestamps = parse_bool(&k, &v)?,
            "command" => q.command.push(v),
            "stdin" => q.stdin = parse_bool(&k, &v)?,
            "stdout" => q.stdout = parse_bool(&k, &v)?,
            "stderr" => q.stderr = parse_bool(&k, &v)?,
            "tty" => q.tty = parse_bool(&k, &v)?,
            _ => {}
        }
    }
    Ok(q)
}

/// The representation a client asked for in `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    /// `meta.k8s.io` Table (v1 or v1beta1).
    Table,
    /// `meta.k8s.io/v1` PartialObjectMetadata / PartialObjectMetadataList.
    Metadata,
}

/// Picks the first acceptable representation in `Accept` order.
pub fn negotiate(accept: Option<&str>) -> Result<Output, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Output::Json);
    };
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |n: &str| params.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        match media {
            "application/json" | "application/*" | "*/*" => match (param("as"), param("g")) {
                (None, _) => return Ok(Output::Json),
                (Some("Table"), Some("meta.k8s.io")) => return Ok(Output::Table),
                (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io")) => {
                    return Ok(Output::Metadata)
                }
                _ => continue,
            },
            _ => continue,
        }
    }
    Err(ApiError::NotAcceptable(format!(
        "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io (asked: {accept})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_asks_for_a_table() {
        let a = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(a)), Ok(Output::Table));
    }

    #[test]
    fn protobuf_first_falls_back_to_json() {
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf,application/json")),
            Ok(Output::Json)
        );
        assert_eq!(negotiate(None), Ok(Output::Json));
    }

    #[test]
    fn protobuf_only_is_not_acceptable() {
        assert!(negotiate(Some("application/vnd.kubernetes.protobuf")).is_err());
    }

    #[test]
    fn kube_rs_leading_ampersand_is_tolerated() {
        let q = parse(Some("&watch=true&resourceVersion=5&labelSelector=app%3Dnginx")).expect("parse");
        assert!(q.watch);
        assert_eq!(q.resource_version.as_deref(), Some("5"));
        assert_eq!(q.label_selector.as_deref(), Some("app=nginx"));
    }

    #[test]
    fn bad_numbers_are_bad_requests() {
        assert!(matches!(parse(Some("limit=abc")), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn exec_commands_accumulate_in_order() {
        let q = parse(Some("command=sh&command=-c&command=echo+hi")).expect("parse");
        assert_eq!(q.command, vec!["sh", "-c", "echo hi"]);
    }
}
