//! names (to be written)
