//! Strategic merge patch over `serde_json::Value`, following upstream's
//! `strategicpatch.StrategicMergeMapPatch` (apply side only: merge keys, `null` deletion, `$patch`,
//! `$retainKeys`, `$setElementOrder/<f>` and `$deleteFromPrimitiveList/<f>`).
//!
//! Values the original lacks are merged into an empty value rather than copied, so directive
//! keys and `null`s never reach the result (upstream gets the same effect by decoding the result
//! into a typed struct).

use serde_json::{Map, Value};

use super::schema::{FieldInfo, Schema, Smp};
use super::PatchError;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// Applies `patch` to the object `original` whose type is `schema`.
pub(crate) fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(d) = patch.get(DIRECTIVE) {
        return match d.as_str() {
            Some("replace") => {
                patch.shift_remove(DIRECTIVE);
                merge_map(Map::new(), patch, schema)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(PatchError::UnknownPatchType {
                directive: go_fmt(d),
                map: go_fmt(&Value::Object(patch)),
            }),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    apply_set_element_order(&mut original, &mut patch, schema)?;

    for (k, pv) in patch {
        let (key, delete_list) = match k.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            Some(rest) => (rest.to_string(), true),
            None => (k, false),
        };
        if key.starts_with('$') {
            // Other directives (already handled, or unknown) never reach the result.
            continue;
        }
        if pv.is_null() {
            if !delete_list {
                original.shift_remove(&key);
            }
            continue;
        }
        let info = schema.field(&key);
        let Some(ov) = original.get_mut(&key) else {
            if !delete_list {
                original.insert(key, fresh(pv, &info)?);
            }
            continue;
        };
        match (ov, pv) {
            (Value::Array(o), Value::Array(p)) => {
                let o = std::mem::take(o);
                original.insert(key, Value::Array(merge_list(o, p, &info, delete_list)?));
            }
            (Value::Object(o), Value::Object(p)) if !delete_list => {
                let o = std::mem::take(o);
                original.insert(key, Value::Object(merge_map(o, p, info.schema)?));
            }
            (_, pv) => {
                if !delete_list {
                    original.insert(key, fresh(pv, &info)?);
                }
            }
        }
    }
    Ok(original)
}

/// A patch value for a key the original lacks: merged into an empty value of its kind.
fn fresh(pv: Value, info: &FieldInfo) -> Result<Value, PatchError> {
    Ok(match pv {
        Value::Object(p) => Value::Object(merge_map(Map::new(), p, info.schema)?),
        Value::Array(p) => Value::Array(merge_list(Vec::new(), p, info, false)?),
        other => other,
    })
}

/// `$retainKeys`: keys of the original not listed are cleared; every patch key must be listed.
fn apply_retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(PatchError::BadRetainKeys);
    };
    let listed = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null() || k.starts_with(DELETE_FROM_PRIMITIVE_LIST) || k.starts_with(SET_ORDER) || k == DIRECTIVE {
            continue;
        }
        if !listed(k) {
            return Err(PatchError::BadRetainKeys);
        }
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// `$setElementOrder/<field>`: merges the field's list and then orders it as listed, keeping
/// server-only items near their original neighbours.
fn apply_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), PatchError> {
    let keys: Vec<String> = patch.keys().filter(|k| k.starts_with(SET_ORDER)).cloned().collect();
    for directive_key in keys {
        let field = directive_key[SET_ORDER.len()..].to_string();
        let Some(Value::Array(order)) = patch.shift_remove(&directive_key) else {
            return Err(PatchError::BadSetElementOrder);
        };
        let info = schema.field(&field);
        let merge_key = match info.smp() {
            Smp::MergeKey(k) => Some(k),
            _ => None,
        };
        let orig_list = match original.get(&field) {
            None => None,
            Some(Value::Array(a)) => Some(a.clone()),
            Some(_) => return Err(PatchError::BadSetElementOrder),
        };
        let patch_list = match patch.get(&field) {
            None => None,
            Some(Value::Array(a)) => Some(a.clone()),
            // `null` or a scalar: leave it to the main loop.
            Some(_) => continue,
        };
        validate_against_order(patch_list.as_deref().unwrap_or(&[]), &order, merge_key)?;
        let merged = match (orig_list.clone(), patch_list) {
            (Some(o), None) => o,
            (None, Some(p)) => merge_list(Vec::new(), p, &info, false)?,
            (Some(o), Some(p)) => merge_list(o, p, &info, false)?,
            (None, None) => continue,
        };
        let (in_order, server_only): (Vec<Value>, Vec<Value>) = merged
            .into_iter()
            .partition(|item| index_of(&order, item, merge_key).is_some());
        let ordered = normalize_order(
            in_order,
            server_only,
            &order,
            orig_list.as_deref().unwrap_or(&[]),
            merge_key,
        );
        original.insert(field.clone(), Value::Array(ordered));
        patch.shift_remove(&field);
    }
    Ok(())
}

/// Every non-delete item of the patch list must appear in the order list, in the same order.
fn validate_against_order(patch_list: &[Value], order: &[Value], merge_key: Option<&str>) -> Result<(), PatchError> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let mut from = 0;
    for item in patch_list {
        if merge_key.is_some() && item.get(DIRECTIVE).is_some() {
            continue;
        }
        match order[from..].iter().position(|o| same_item(o, item, merge_key)) {
            Some(i) => from += i + 1,
            None => return Err(PatchError::BadSetElementOrder),
        }
    }
    Ok(())
}

/// Merges two lists by the field's strategy.
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    info: &FieldInfo,
    delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if delete_list {
        return Ok(original.into_iter().filter(|o| !patch.contains(o)).collect());
    }
    let smp = info.smp();
    if smp == Smp::Replace {
        return patch
            .into_iter()
            .map(|p| fresh(p, &FieldInfo { list: None, ..*info }))
            .collect();
    }
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    if original.iter().chain(patch.iter()).any(Value::is_array) {
        return Err(PatchError::ListOfLists);
    }
    let item_info = FieldInfo { list: None, ..*info };
    let maps = original.iter().chain(patch.iter()).any(Value::is_object);
    if !maps {
        let mut merged: Vec<Value> = Vec::new();
        for v in original.iter().chain(patch.iter()) {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        let (in_patch, server_only): (Vec<Value>, Vec<Value>) = merged.into_iter().partition(|v| patch.contains(v));
        return Ok(normalize_order(in_patch, server_only, &patch, &original, None));
    }
    let Smp::MergeKey(key) = smp else {
        return Err(PatchError::NoMergeKeyForList {
            ty: info.schema.name().to_string(),
        });
    };

    // Special elements: `{"$patch":"delete", key: v}` and `{"$patch":"replace"}`.
    let mut merged = original.clone();
    let mut plain: Vec<Map<String, Value>> = Vec::new();
    let mut replace = false;
    for item in patch {
        let Value::Object(m) = item else {
            return Err(PatchError::MixedList);
        };
        match m.get(DIRECTIVE) {
            None => plain.push(m),
            Some(d) => match d.as_str() {
                Some("delete") => {
                    let Some(v) = m.get(key) else {
                        return Err(PatchError::MissingMergeKey {
                            map: go_fmt(&Value::Object(m.clone())),
                            key: key.to_string(),
                        });
                    };
                    merged.retain(|o| o.get(key) != Some(v));
                }
                Some("replace") => replace = true,
                Some("merge") => return Err(PatchError::MergeDirectiveInList),
                _ => {
                    return Err(PatchError::UnknownPatchType {
                        directive: go_fmt(d),
                        map: go_fmt(&Value::Object(m.clone())),
                    })
                }
            },
        }
    }
    if replace {
        return plain.into_iter().map(|m| fresh(Value::Object(m), &item_info)).collect();
    }
    let mut patch_keys: Vec<Value> = Vec::new();
    for p in plain {
        let Some(kv) = p.get(key).cloned() else {
            return Err(PatchError::MissingMergeKey {
                map: go_fmt(&Value::Object(p)),
                key: key.to_string(),
            });
        };
        match merged.iter().position(|o| o.get(key) == Some(&kv)) {
            Some(i) => {
                let o = match std::mem::take(&mut merged[i]) {
                    Value::Object(o) => o,
                    _ => Map::new(),
                };
                merged[i] = Value::Object(merge_map(o, p, info.schema)?);
            }
            None => merged.push(fresh(Value::Object(p), &item_info)?),
        }
        patch_keys.push(serde_json::json!({ key: kv }));
    }
    let (in_patch, server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|v| index_of(&patch_keys, v, Some(key)).is_some());
    Ok(normalize_order(
        in_patch,
        server_only,
        &patch_keys,
        &original,
        Some(key),
    ))
}

fn same_item(a: &Value, b: &Value, merge_key: Option<&str>) -> bool {
    match merge_key {
        Some(k) if a.is_object() && b.is_object() => a.get(k).is_some() && a.get(k) == b.get(k),
        _ => a == b,
    }
}

fn index_of(list: &[Value], item: &Value, merge_key: Option<&str>) -> Option<usize> {
    list.iter().position(|x| same_item(x, item, merge_key))
}

/// Sorts `patch_items` by `patch_order`, then interleaves the server-only items, keeping each
/// group's relative order and using the original list to decide who goes first.
fn normalize_order(
    mut patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: Option<&str>,
) -> Vec<Value> {
    patch_items.sort_by_key(|v| index_of(patch_order, v, merge_key).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let (mut left, mut right) = (server_only.into_iter().peekable(), patch_items.into_iter().peekable());
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                match (
                    index_of(server_order, l, merge_key),
                    index_of(server_order, r, merge_key),
                ) {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                }
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// Formats a value the way Go's `%v` prints decoded JSON, for upstream-identical messages.
pub(crate) fn go_fmt(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_fmt).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{k}:{}", go_fmt(&m[k.as_str()]))).collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}
