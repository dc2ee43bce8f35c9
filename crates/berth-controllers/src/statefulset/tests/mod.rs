//! Tests of the StatefulSet planner (ports of upstream's unit tests over an in-memory world),
//! property tests, and component tests of the driver.

// Tests edit optional fields in place with `.map(|s| ...)`.
#![allow(clippy::option_map_unit_fn)]

mod harness;
mod world;

mod control;
mod control_more;
mod controller;
mod driver;
mod props;
mod queue;
mod revisions;
mod utils;
