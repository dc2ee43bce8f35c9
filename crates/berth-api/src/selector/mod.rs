//! Label and field selectors: the `?labelSelector=` / `?fieldSelector=` string forms, the
//! `metav1.LabelSelector` object form, and matching, with upstream's parse errors.

mod field;
mod label;
mod parser;
mod quote;

pub use field::FieldSelector;
pub use label::{LabelSelector, Operator, Requirement};

#[cfg(test)]
mod tests;
