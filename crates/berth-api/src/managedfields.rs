//! managedfields (to be written)
