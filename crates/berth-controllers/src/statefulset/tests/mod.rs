//! Tests of the StatefulSet planner (ports of upstream's unit tests over an in-memory world),
//! property tests, and component tests of the driver.

mod harness;
mod world;

mod control;
mod revisions;
mod utils;
mod controller;
mod props;
mod driver;
