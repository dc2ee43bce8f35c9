//! selector (to be written)
