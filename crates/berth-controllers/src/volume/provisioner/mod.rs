//! The local provisioner (after `rancher/local-path-provisioner`): one directory per volume under
//! `<data-dir>/volumes`, a PersistentVolume pre-bound to its claim with node affinity to the node,
//! deletion of the directory when a released volume's policy is Delete, and growth of a bound
//! volume when its class allows expansion. The plan is pure ([`plan`]); the filesystem is behind
//! [`dirs::VolumeDirs`].

pub mod dirs;
pub mod plan;

#[cfg(test)]
mod tests;

/// The provisioner name (`StorageClass.provisioner`), the same as local-path-provisioner's.
pub const PROVISIONER: &str = "rancher.io/local-path";
/// The default StorageClass berth creates at startup if absent.
pub const DEFAULT_CLASS: &str = "local-path";
/// Finalizer on provisioned volumes with reclaim policy Delete (upstream `HonorPVReclaimPolicy`):
/// the volume object stays until its directory is gone.
pub const PROVISIONER_FINALIZER: &str = "external-provisioner.volume.kubernetes.io/finalizer";
/// Annotation recording the node a volume was provisioned on (local-path-provisioner's key).
pub const ANN_PROVISIONED_NODE: &str = "local.path.provisioner/selected-node";
