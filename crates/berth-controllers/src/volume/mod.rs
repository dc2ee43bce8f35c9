//! Persistent storage: the binder (PersistentVolume controller), the local provisioner and the
//! pvc/pv protection controllers.

pub mod binder;
pub mod model;
