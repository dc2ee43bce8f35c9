//! The Kubernetes API server over HTTPS: routing, handlers, discovery, OpenAPI v3, watch.
//!
//! Architecture Invariant: every error response is an `ApiError` rendered by
//! `handlers::error_response`; the registry is the only code that writes to the store.

pub mod admission;
pub mod allocator;
pub mod clock;
pub mod discovery;
mod handlers;
pub mod metrics;
pub mod pki;
pub mod query;
pub mod registry;
pub mod route;
pub mod server;

pub use berth_api::features::{FeatureGateError, FeatureGates};
pub use server::{start, Loopback, Server, ServerConfig, StartError};
