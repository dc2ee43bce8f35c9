//! Field tables of the `meta/v1` messages berth decodes from protobuf (generated, then kept by hand).
//!
//! See `core_v1.rs` for where tags and names come from.

use super::schema::Elem::*;
use super::schema::Kind::*;
use super::schema::{f, keep, msg, Message};

pub(crate) static META_CONDITION: Message = msg("Condition", &[
    f(1, "type", One(Str)),
    f(2, "status", One(Str)),
    f(3, "observedGeneration", One(Int64)),
    f(4, "lastTransitionTime", One(Time)),
    f(5, "reason", One(Str)),
    f(6, "message", One(Str)),
]);
pub(crate) static META_DELETE_OPTIONS: Message = msg("DeleteOptions", &[
    keep(1, "gracePeriodSeconds", One(Int64)),
    f(2, "preconditions", One(Msg(&META_PRECONDITIONS))),
    keep(3, "orphanDependents", One(Bool)),
    keep(4, "propagationPolicy", One(Str)),
    f(5, "dryRun", Repeated(Str)),
    keep(6, "ignoreStoreReadErrorWithClusterBreakingPotential", One(Bool)),
]);
pub(crate) static META_LABEL_SELECTOR: Message = msg("LabelSelector", &[
    f(1, "matchLabels", Map(Str)),
    f(2, "matchExpressions", Repeated(Msg(&META_LABEL_SELECTOR_REQUIREMENT))),
]);
pub(crate) static META_LABEL_SELECTOR_REQUIREMENT: Message = msg("LabelSelectorRequirement", &[
    f(1, "key", One(Str)),
    f(2, "operator", One(Str)),
    f(3, "values", Repeated(Str)),
]);
pub(crate) static META_MANAGED_FIELDS_ENTRY: Message = msg("ManagedFieldsEntry", &[
    f(1, "manager", One(Str)),
    f(2, "operation", One(Str)),
    f(3, "apiVersion", One(Str)),
    f(4, "time", One(Time)),
    f(6, "fieldsType", One(Str)),
    f(7, "fieldsV1", One(FieldsV1)),
    f(8, "subresource", One(Str)),
]);
pub(crate) static META_OBJECT_META: Message = msg("ObjectMeta", &[
    f(1, "name", One(Str)),
    f(2, "generateName", One(Str)),
    f(3, "namespace", One(Str)),
    f(4, "selfLink", One(Str)),
    f(5, "uid", One(Str)),
    f(6, "resourceVersion", One(Str)),
    f(7, "generation", One(Int64)),
    f(8, "creationTimestamp", One(Time)),
    f(9, "deletionTimestamp", One(Time)),
    keep(10, "deletionGracePeriodSeconds", One(Int64)),
    f(11, "labels", Map(Str)),
    f(12, "annotations", Map(Str)),
    f(13, "ownerReferences", Repeated(Msg(&META_OWNER_REFERENCE))),
    f(14, "finalizers", Repeated(Str)),
    f(17, "managedFields", Repeated(Msg(&META_MANAGED_FIELDS_ENTRY))),
]);
pub(crate) static META_OWNER_REFERENCE: Message = msg("OwnerReference", &[
    f(5, "apiVersion", One(Str)),
    f(1, "kind", One(Str)),
    f(3, "name", One(Str)),
    f(4, "uid", One(Str)),
    keep(6, "controller", One(Bool)),
    keep(7, "blockOwnerDeletion", One(Bool)),
]);
pub(crate) static META_PRECONDITIONS: Message = msg("Preconditions", &[
    keep(1, "uid", One(Str)),
    keep(2, "resourceVersion", One(Str)),
]);
