//! The `paths` of one group version: list, item and subresource paths with upstream's operations.

use serde_json::{json, Map, Value};

use super::schemas::Schemas;
use crate::resource::{ResourceInfo, Subresource};

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": schema})
}

fn string_query(name: &str, description: &str) -> Value {
    query(name, description, json!({"type": "string", "uniqueItems": true}))
}

fn bool_query(name: &str, description: &str) -> Value {
    query(name, description, json!({"type": "boolean", "uniqueItems": true}))
}

fn int_query(name: &str, description: &str) -> Value {
    query(name, description, json!({"type": "integer", "uniqueItems": true}))
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "description": description, "required": true,
           "schema": {"type": "string", "uniqueItems": true}})
}

fn pretty() -> Value {
    string_query("pretty", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).")
}

fn dry_run() -> Value {
    string_query("dryRun", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed")
}

fn field_manager(apply: bool) -> Value {
    let text = if apply {
        "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch)."
    } else {
        "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."
    };
    string_query("fieldManager", text)
}

fn field_validation() -> Value {
    string_query("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.")
}

fn list_params() -> Vec<Value> {
    vec![
        bool_query("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored."),
        string_query("continue", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize."),
        string_query("fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        string_query("labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        int_query("limit", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results."),
        string_query("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
        string_query("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
        bool_query("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection."),
        int_query("timeoutSeconds", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
        bool_query("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
    ]
}

fn delete_params() -> Vec<Value> {
    vec![
        dry_run(),
        int_query("gracePeriodSeconds", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately."),
        bool_query("ignoreStoreReadErrorWithClusterBreakingPotential", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error."),
        bool_query("orphanDependents", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both."),
        string_query("propagationPolicy", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
    ]
}

fn json_content(schema_ref: &str) -> Value {
    json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema_ref}")}}})
}

fn response(schema_ref: &str) -> Value {
    json!({"description": "OK", "content": json_content(schema_ref)})
}

fn string_response() -> Value {
    json!({"description": "OK", "content": {"*/*": {"schema": {"type": "string"}}}})
}

/// `CoreV1`, `AppsV1`, `DiscoveryV1`: the group-version part of upstream's operation ids.
fn op_prefix(group: &str, version: &str) -> String {
    let mut out = String::new();
    let group = group.strip_suffix(".k8s.io").unwrap_or(group);
    if group.is_empty() {
        out.push_str("Core");
    } else {
        for part in group.split('.') {
            out.push_str(&capitalize(part));
        }
    }
    out.push_str(&capitalize(version));
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

struct Ctx<'a> {
    info: &'a ResourceInfo,
    prefix: String,
    /// The resource's GVK extension value.
    gvk: Value,
}

fn op(ctx: &Ctx<'_>, verb: &str, id: String, action: &str, gvk: &Value) -> Map<String, Value> {
    let group_tag = match ctx.info.group.split('.').next() {
        Some("") | None => "core",
        Some(g) => g,
    };
    let mut m = Map::new();
    m.insert("tags".into(), json!([format!("{group_tag}_{}", ctx.info.version)]));
    m.insert("description".into(), json!(format!("{verb} {}", ctx.info.kind)));
    m.insert("operationId".into(), json!(id));
    m.insert("x-kubernetes-action".into(), json!(action));
    m.insert("x-kubernetes-group-version-kind".into(), gvk.clone());
    m
}

fn with(mut m: Map<String, Value>, key: &str, v: Value) -> Map<String, Value> {
    m.insert(key.into(), v);
    m
}

fn patch_op(ctx: &Ctx<'_>, id: String, gvk: &Value, body_ref: &str, patch_ref: &str) -> Value {
    let patch_schema = json!({"schema": {"$ref": format!("#/components/schemas/{patch_ref}")}});
    let m = op(ctx, "partially update the specified", id, "patch", gvk);
    let m = with(m, "parameters", json!([dry_run(), field_manager(true), field_validation(),
        bool_query("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.")]));
    let m = with(
        m,
        "requestBody",
        json!({"required": true, "content": {
            "application/json-patch+json": patch_schema,
            "application/merge-patch+json": patch_schema,
            "application/apply-patch+yaml": patch_schema,
        }}),
    );
    Value::Object(with(
        m,
        "responses",
        json!({"200": response(body_ref), "201": response(body_ref), "401": {"description": "Unauthorized"}}),
    ))
}

fn write_params() -> Value {
    json!([dry_run(), field_manager(false), field_validation()])
}

/// Adds every path of one resource.
pub(super) fn add_resource(paths: &mut Map<String, Value>, info: &ResourceInfo, schemas: &mut Schemas) {
    let Some(kind_ref) = schemas.kind(info.group, info.version, info.kind) else {
        return;
    };
    let list_ref = schemas.list(info.group, info.version, info.kind).unwrap_or_default();
    let status_ref = schemas.status();
    let delete_ref = schemas.delete_options();
    let watch_ref = schemas.watch_event();
    let patch_ref = schemas.patch();
    let ctx = Ctx {
        info,
        prefix: op_prefix(info.group, info.version),
        gvk: json!({"group": info.group, "version": info.version, "kind": info.kind}),
    };
    let gv = info.gv_path();
    let (ns_seg, ns_id, ns_param) = if info.namespaced {
        (
            "/namespaces/{namespace}".to_string(),
            "Namespaced",
            vec![path_param(
                "namespace",
                "object name and auth scope, such as for teams and projects",
            )],
        )
    } else {
        (String::new(), "", Vec::new())
    };
    let p = &ctx.prefix;
    let k = info.kind;
    let gvk = &ctx.gvk;

    let list_response = json!({"description": "OK", "content": {
        "application/json": {"schema": {"$ref": format!("#/components/schemas/{list_ref}")}},
        "application/json;stream=watch": {"schema": {"$ref": format!("#/components/schemas/{watch_ref}")}},
    }});

    // Collection.
    let mut collection = Map::new();
    let list = with(
        op(
            &ctx,
            "list or watch objects of kind",
            format!("list{p}{ns_id}{k}"),
            "list",
            gvk,
        ),
        "parameters",
        json!(list_params()),
    );
    collection.insert(
        "get".into(),
        Value::Object(with(list, "responses", json!({"200": list_response.clone()}))),
    );
    let create = with(
        op(&ctx, "create a", format!("create{p}{ns_id}{k}"), "post", gvk),
        "parameters",
        write_params(),
    );
    let create = with(
        create,
        "requestBody",
        json!({"required": true, "content": json_content(&kind_ref)}),
    );
    collection.insert(
        "post".into(),
        Value::Object(with(
            create,
            "responses",
            json!({
        "200": response(&kind_ref), "201": response(&kind_ref), "202": response(&kind_ref)}),
        )),
    );
    let mut dc_params = delete_params();
    dc_params.extend(
        list_params()
            .into_iter()
            .filter(|p| p["name"] != "watch" && p["name"] != "allowWatchBookmarks"),
    );
    let dc = with(
        op(
            &ctx,
            "delete collection of",
            format!("deletecollection{p}{ns_id}{k}"),
            "deletecollection",
            gvk,
        ),
        "parameters",
        json!(dc_params),
    );
    let dc = with(dc, "requestBody", json!({"content": json_content(&delete_ref)}));
    collection.insert(
        "delete".into(),
        Value::Object(with(dc, "responses", json!({"200": response(&status_ref)}))),
    );
    let mut params = ns_param.clone();
    params.push(pretty());
    collection.insert("parameters".into(), json!(params));
    paths.insert(format!("{gv}{ns_seg}/{}", info.plural), Value::Object(collection));

    // All namespaces.
    if info.namespaced {
        let all = with(
            op(
                &ctx,
                "list or watch objects of kind",
                format!("list{p}{k}ForAllNamespaces"),
                "list",
                gvk,
            ),
            "responses",
            json!({"200": list_response}),
        );
        let mut params = list_params();
        params.push(pretty());
        paths.insert(
            format!("{gv}/{}", info.plural),
            json!({"get": Value::Object(all), "parameters": params}),
        );
    }

    // Item.
    let item_path = format!("{gv}{ns_seg}/{}/{{name}}", info.plural);
    let mut item = Map::new();
    let read = op(&ctx, "read the specified", format!("read{p}{ns_id}{k}"), "get", gvk);
    item.insert(
        "get".into(),
        Value::Object(with(read, "responses", json!({"200": response(&kind_ref)}))),
    );
    let replace = with(
        op(
            &ctx,
            "replace the specified",
            format!("replace{p}{ns_id}{k}"),
            "put",
            gvk,
        ),
        "parameters",
        write_params(),
    );
    let replace = with(
        replace,
        "requestBody",
        json!({"required": true, "content": json_content(&kind_ref)}),
    );
    item.insert(
        "put".into(),
        Value::Object(with(
            replace,
            "responses",
            json!({"200": response(&kind_ref), "201": response(&kind_ref)}),
        )),
    );
    item.insert(
        "patch".into(),
        patch_op(&ctx, format!("patch{p}{ns_id}{k}"), gvk, &kind_ref, &patch_ref),
    );
    let del = with(
        op(&ctx, "delete a", format!("delete{p}{ns_id}{k}"), "delete", gvk),
        "parameters",
        json!(delete_params()),
    );
    let del = with(del, "requestBody", json!({"content": json_content(&delete_ref)}));
    item.insert(
        "delete".into(),
        Value::Object(with(
            del,
            "responses",
            json!({"200": response(&status_ref), "202": response(&status_ref)}),
        )),
    );
    let mut params = vec![path_param("name", &format!("name of the {k}"))];
    params.extend(ns_param.iter().cloned());
    params.push(pretty());
    item.insert("parameters".into(), json!(params));
    paths.insert(item_path.clone(), Value::Object(item));

    for sub in info.subresources {
        add_subresource(paths, &ctx, sub, &item_path, &ns_param, ns_id, schemas, &patch_ref);
    }
}

#[allow(clippy::too_many_arguments)]
fn add_subresource(
    paths: &mut Map<String, Value>,
    ctx: &Ctx<'_>,
    sub: &Subresource,
    item_path: &str,
    ns_param: &[Value],
    ns_id: &str,
    schemas: &mut Schemas,
    patch_ref: &str,
) {
    let (rg, rv, rk) = sub.response;
    let gvk = json!({"group": rg, "version": rv, "kind": rk});
    let p = &ctx.prefix;
    let k = ctx.info.kind;
    let suffix = capitalize(sub.name);
    let mut path = Map::new();
    let mut params = vec![path_param("name", &format!("name of the {rk}"))];
    params.extend(ns_param.iter().cloned());
    match sub.name {
        "log" => {
            let get = op(
                ctx,
                "read log of the specified",
                format!("read{p}{ns_id}{k}Log"),
                "get",
                &gvk,
            );
            path.insert(
                "get".into(),
                Value::Object(with(get, "responses", json!({"200": string_response()}))),
            );
            params.extend([
                string_query("container", "The container for which to stream logs. Defaults to only container if there is one container in the pod."),
                bool_query("follow", "Follow the log stream of the pod. Defaults to false."),
                bool_query("insecureSkipTLSVerifyBackend", "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to."),
                int_query("limitBytes", "If set, the number of bytes to read from the server before terminating the log output."),
                bool_query("previous", "Return previous terminated container logs. Defaults to false."),
                int_query("sinceSeconds", "A relative time in seconds before the current time from which to show logs."),
                string_query("stream", "Specify which container log stream to return to the client. Acceptable values are \"All\", \"Stdout\" and \"Stderr\". If not specified, \"All\" is used."),
                int_query("tailLines", "If set, the number of lines from the end of the logs to show."),
                bool_query("timestamps", "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false."),
            ]);
        }
        "exec" | "attach" => {
            for (method, verb) in [("get", "connect GET requests to"), ("post", "connect POST requests to")] {
                let id = format!("connect{}{p}{ns_id}{k}{suffix}", capitalize(method));
                let o = op(ctx, verb, id, "connect", &gvk);
                path.insert(
                    method.into(),
                    Value::Object(with(o, "responses", json!({"200": string_response()}))),
                );
            }
            if sub.name == "exec" {
                params.push(string_query(
                    "command",
                    "Command is the remote command to execute. argv array. Not executed within a shell.",
                ));
            }
            params.extend([
                string_query("container", "The container in which to execute the command. Defaults to only container if there is only one container in the pod."),
                bool_query("stderr", "Redirect the standard error stream of the pod for this call."),
                bool_query("stdin", "Redirect the standard input stream of the pod for this call. Defaults to false."),
                bool_query("stdout", "Redirect the standard output stream of the pod for this call."),
                bool_query("tty", "TTY if true indicates that a tty will be allocated for the exec call. Defaults to false."),
            ]);
        }
        _ => {
            let Some(body_ref) = schemas.kind(rg, rv, rk) else {
                return;
            };
            if sub.verbs.contains(&"create") {
                let o = with(
                    op(ctx, "create", format!("create{p}{ns_id}{k}{suffix}"), "post", &gvk),
                    "parameters",
                    write_params(),
                );
                let o = with(
                    o,
                    "requestBody",
                    json!({"required": true, "content": json_content(&body_ref)}),
                );
                path.insert(
                    "post".into(),
                    Value::Object(with(
                        o,
                        "responses",
                        json!({"200": response(&body_ref), "201": response(&body_ref), "202": response(&body_ref)}),
                    )),
                );
            }
            if sub.verbs.contains(&"get") {
                let o = op(
                    ctx,
                    &format!("read {} of the specified", sub.name),
                    format!("read{p}{ns_id}{k}{suffix}"),
                    "get",
                    &gvk,
                );
                path.insert(
                    "get".into(),
                    Value::Object(with(o, "responses", json!({"200": response(&body_ref)}))),
                );
            }
            if sub.verbs.contains(&"update") {
                let o = with(
                    op(
                        ctx,
                        &format!("replace {} of the specified", sub.name),
                        format!("replace{p}{ns_id}{k}{suffix}"),
                        "put",
                        &gvk,
                    ),
                    "parameters",
                    write_params(),
                );
                let o = with(
                    o,
                    "requestBody",
                    json!({"required": true, "content": json_content(&body_ref)}),
                );
                path.insert(
                    "put".into(),
                    Value::Object(with(
                        o,
                        "responses",
                        json!({"200": response(&body_ref), "201": response(&body_ref)}),
                    )),
                );
            }
            if sub.verbs.contains(&"patch") {
                path.insert(
                    "patch".into(),
                    patch_op(ctx, format!("patch{p}{ns_id}{k}{suffix}"), &gvk, &body_ref, patch_ref),
                );
            }
        }
    }
    params.push(pretty());
    path.insert("parameters".into(), json!(params));
    paths.insert(format!("{item_path}/{}", sub.name), Value::Object(path));
}
