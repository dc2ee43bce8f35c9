//! Kubernetes object machinery with no IO: kinds and REST mapping, defaults, validation,
//! selectors, patches, Table columns and `Status`.
//!
//! Architecture Invariant: nothing here opens a file or socket, spawns, sleeps or reads the clock;
//! the current time is always a parameter.

pub mod convert;
pub mod defaults;
pub mod features;
pub mod managedfields;
pub mod meta;
pub mod names;
pub mod openapi;
pub mod patch;
pub mod projection;
pub mod protobuf;
pub mod resource;
pub mod schema;
pub mod selector;
pub mod status;
pub mod strategy;
pub mod table;
pub mod validation;

pub use resource::{ResourceInfo, RESOURCES};
pub use status::{ApiError, Cause, Target};
