//! The PersistentVolume binder (upstream `pkg/controller/volume/persistentvolume`): binds claims to
//! volumes, keeps both phases right and applies the reclaim policy of released volumes. The plan
//! is pure ([`plan`]); the volume driver (`super`) executes it.

pub mod matching;
pub mod plan;

#[cfg(test)]
mod tests;
