//! Pure request routing: a URL path becomes a [`Route`] before anything acts.

use berth_api::resource::{self, ResourceInfo};

/// Which health endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthz,
    Livez,
    Readyz,
}

/// A resource URL: `/apis/apps/v1/namespaces/default/statefulsets/web/scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRoute {
    pub info: &'static ResourceInfo,
    /// Set for namespaced URLs; `None` means all namespaces (or a cluster-scoped kind).
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Everything the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health(Health),
    Metrics,
    /// `/api`
    CoreDiscovery,
    /// `/apis`
    GroupsDiscovery,
    /// `/apis/{group}`
    Group(String),
    /// `/api/v1`, `/apis/{group}/{version}`
    ResourceList {
        group: String,
        version: String,
    },
    OpenApiIndex,
    OpenApiDoc {
        group: String,
        version: String,
    },
    OpenApiV2,
    Resource(ResourceRoute),
    NotFound,
}

fn decode_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Routes a raw (percent-encoded) URL path.
pub fn route(path: &str) -> Route {
    let trimmed = path.trim_end_matches('/');
    let raw: Vec<&str> = trimmed.split('/').skip(1).collect();
    let Some(segs) = raw.iter().map(|s| decode_segment(s)).collect::<Option<Vec<String>>>() else {
        return Route::NotFound;
    };
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => Route::Version,
        ["healthz", ..] => Route::Health(Health::Healthz),
        ["livez", ..] => Route::Health(Health::Livez),
        ["readyz", ..] => Route::Health(Health::Readyz),
        ["metrics"] => Route::Metrics,
        ["api"] => Route::CoreDiscovery,
        ["apis"] => Route::GroupsDiscovery,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", "api", v] => Route::OpenApiDoc {
            group: String::new(),
            version: v.to_string(),
        },
        ["openapi", "v3", "apis", g, v] => Route::OpenApiDoc {
            group: g.to_string(),
            version: v.to_string(),
        },
        ["openapi", "v2"] => Route::OpenApiV2,
        ["api", v] => Route::ResourceList {
            group: String::new(),
            version: v.to_string(),
        },
        ["apis", g] => Route::Group(g.to_string()),
        ["apis", g, v] => Route::ResourceList {
            group: g.to_string(),
            version: v.to_string(),
        },
        ["api", v, rest @ ..] => resource_route("", v, rest),
        ["apis", g, v, rest @ ..] => resource_route(g, v, rest),
        _ => Route::NotFound,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let namespaced = |ns: &str, plural: &str, name: Option<&str>, sub: Option<&str>| match resource::lookup(
        group, version, plural,
    ) {
        Some(info) if info.namespaced => Route::Resource(ResourceRoute {
            info,
            namespace: Some(ns.to_string()),
            name: name.map(String::from),
            subresource: sub.map(String::from),
        }),
        _ => Route::NotFound,
    };
    let any = |plural: &str, name: Option<&str>, sub: Option<&str>| match resource::lookup(group, version, plural) {
        Some(info) => Route::Resource(ResourceRoute {
            info,
            namespace: None,
            name: name.map(String::from),
            subresource: sub.map(String::from),
        }),
        None => Route::NotFound,
    };
    let core_ns = group.is_empty();
    match rest {
        // `/api/v1/namespaces/{ns}/{plural}[/{name}[/{sub}]]`, except the namespace's own subresources.
        ["namespaces", ns, plural] if core_ns && !matches!(*plural, "status" | "finalize") => {
            namespaced(ns, plural, None, None)
        }
        ["namespaces", ns, plural] if !core_ns => namespaced(ns, plural, None, None),
        ["namespaces", ns, plural, name] => namespaced(ns, plural, Some(name), None),
        ["namespaces", ns, plural, name, sub] => namespaced(ns, plural, Some(name), Some(sub)),
        [plural] => any(plural, None, None),
        [plural, name] => match any(plural, Some(name), None) {
            // A namespaced kind addressed without a namespace can only be listed.
            Route::Resource(r) if r.info.namespaced => Route::NotFound,
            other => other,
        },
        [plural, name, sub] => match any(plural, Some(name), Some(sub)) {
            Route::Resource(r) if r.info.namespaced => Route::NotFound,
            other => other,
        },
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourceRoute {
        match route(path) {
            Route::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_item_with_subresource_routes_to_the_kind() {
        let r = res("/apis/apps/v1/namespaces/default/statefulsets/web/scale");
        assert_eq!(r.info.kind, "StatefulSet");
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(r.subresource.as_deref(), Some("scale"));
    }

    #[test]
    fn namespace_status_is_a_subresource_not_a_kind() {
        let r = res("/api/v1/namespaces/kube-system/status");
        assert_eq!(r.info.kind, "Namespace");
        assert_eq!(r.name.as_deref(), Some("kube-system"));
        assert_eq!(r.subresource.as_deref(), Some("status"));
    }

    #[test]
    fn listing_across_namespaces_has_no_namespace() {
        let r = res("/api/v1/pods");
        assert_eq!(r.namespace, None);
        assert_eq!(r.name, None);
    }

    #[test]
    fn namespaced_kinds_need_a_namespace_for_items() {
        assert_eq!(route("/api/v1/pods/web-0"), Route::NotFound);
    }

    #[test]
    fn discovery_and_openapi_paths_route() {
        assert_eq!(route("/api"), Route::CoreDiscovery);
        assert_eq!(route("/apis/"), Route::GroupsDiscovery);
        assert_eq!(
            route("/openapi/v3/apis/apps/v1"),
            Route::OpenApiDoc {
                group: "apps".into(),
                version: "v1".into()
            }
        );
        assert_eq!(route("/apis/nope/v1/things"), Route::NotFound);
    }

    #[test]
    fn percent_encoded_names_are_decoded() {
        let r = res("/api/v1/namespaces/default/pods/a%2Fb");
        assert_eq!(r.name.as_deref(), Some("a/b"));
    }
}
