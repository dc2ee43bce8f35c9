//! StatefulSet controller with upstream Kubernetes 1.32 semantics (upstream
//! `pkg/controller/statefulset`).

pub mod adopt;
pub mod client;
pub mod control;
pub mod events;
pub mod exec;
pub mod identity;
pub mod plan;
pub mod pods;
pub mod retention;
pub mod revision;
pub mod selector;

#[cfg(test)]
mod tests;
