//! Black-box tests of the store: writes and preconditions, watches, properties, restarts, crashes.

mod batches;
mod common;
mod crash;
mod props;
mod reopen;
mod throughput;
mod watches;
mod writes;
