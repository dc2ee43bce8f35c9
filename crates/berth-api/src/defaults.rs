//! defaults (to be written)
