//! strategy (to be written)
