//! The event printer, reading either wire form (core/v1 or events.k8s.io/v1) as upstream
//! does after converting both to its internal Event.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::duration::{since, timestamp};
use super::printers::{int, name, s};

/// The fields the event printer reads, from either wire form of an Event.
pub(super) struct EventView<'a> {
    obj: &'a Value,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    event_time: Option<Timestamp>,
    count: i64,
    series: Option<(Option<Timestamp>, i64)>,
    kind: &'a str,
    object_name: &'a str,
    field_path: &'a str,
    component: &'a str,
    host: &'a str,
    reporting_controller: &'a str,
    reporting_instance: &'a str,
    message: &'a str,
}

impl<'a> EventView<'a> {
    fn series(obj: &'a Value) -> Option<(Option<Timestamp>, i64)> {
        let series = obj.get("series").filter(|v| v.is_object())?;
        Some((timestamp(series.get("lastObservedTime")), int(series, "count")))
    }

    pub(super) fn core(obj: &'a Value) -> Self {
        EventView {
            obj,
            first: timestamp(obj.get("firstTimestamp")),
            last: timestamp(obj.get("lastTimestamp")),
            event_time: timestamp(obj.get("eventTime")),
            count: int(obj, "count"),
            series: Self::series(obj),
            kind: s(obj, "involvedObject.kind"),
            object_name: s(obj, "involvedObject.name"),
            field_path: s(obj, "involvedObject.fieldPath"),
            component: s(obj, "source.component"),
            host: s(obj, "source.host"),
            reporting_controller: s(obj, "reportingComponent"),
            reporting_instance: s(obj, "reportingInstance"),
            message: s(obj, "message"),
        }
    }

    pub(super) fn events_v1(obj: &'a Value) -> Self {
        EventView {
            obj,
            first: timestamp(obj.get("deprecatedFirstTimestamp")),
            last: timestamp(obj.get("deprecatedLastTimestamp")),
            event_time: timestamp(obj.get("eventTime")),
            count: int(obj, "deprecatedCount"),
            series: Self::series(obj),
            kind: s(obj, "regarding.kind"),
            object_name: s(obj, "regarding.name"),
            field_path: s(obj, "regarding.fieldPath"),
            component: s(obj, "deprecatedSource.component"),
            host: s(obj, "deprecatedSource.host"),
            reporting_controller: s(obj, "reportingController"),
            reporting_instance: s(obj, "reportingInstance"),
            message: s(obj, "note"),
        }
    }
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() {
        b
    } else {
        a
    }
}

pub(super) fn event(ev: &EventView<'_>, now: Timestamp) -> Vec<Value> {
    let obj = ev.obj;
    let first = if ev.first.is_some() {
        since(ev.first, now)
    } else {
        since(ev.event_time, now)
    };
    let mut last = if ev.last.is_some() {
        since(ev.last, now)
    } else {
        first.clone()
    };
    let mut count = ev.count;
    if let Some((observed, series_count)) = ev.series {
        last = since(observed, now);
        count = series_count;
    } else if count == 0 {
        count = 1;
    }
    let target = if ev.object_name.is_empty() {
        ev.kind.to_lowercase()
    } else {
        format!("{}/{}", ev.kind.to_lowercase(), ev.object_name)
    };
    let component = first_non_empty(ev.component, ev.reporting_controller);
    let instance = first_non_empty(ev.host, ev.reporting_instance);
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(s(obj, "type")),
        json!(s(obj, "reason")),
        json!(target),
        json!(ev.field_path),
        json!(source),
        json!(ev.message.trim()),
        json!(first),
        json!(count),
        name(obj),
    ]
}
