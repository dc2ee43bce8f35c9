//! Typed errors of the controllers, named after the step that failed.

/// An error of one controller step, naming the object it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// Listing the served resources failed.
    #[error("discovering served resources")]
    Discovery(#[source] Box<kube::Error>),
    /// An ownerReference or object names a kind the server does not serve.
    #[error("kind {kind} in {api_version} is not served")]
    UnknownKind { api_version: String, kind: String },
    /// Reading an object failed.
    #[error("getting {object}")]
    Get {
        object: String,
        #[source]
        source: Box<kube::Error>,
    },
    /// Listing objects failed.
    #[error("listing {resource} in {namespace}")]
    List {
        resource: String,
        namespace: String,
        #[source]
        source: Box<kube::Error>,
    },
    /// Deleting an object or a collection failed.
    #[error("deleting {object}")]
    Delete {
        object: String,
        #[source]
        source: Box<kube::Error>,
    },
    /// Patching an object's metadata failed.
    #[error("patching {object}")]
    Patch {
        object: String,
        #[source]
        source: Box<kube::Error>,
    },
    /// Creating an object failed.
    #[error("creating {object}")]
    Create {
        object: String,
        #[source]
        source: Box<kube::Error>,
    },
    /// Removing the `kubernetes` finalizer of a namespace failed.
    #[error("finalizing namespace {namespace}")]
    Finalize {
        namespace: String,
        #[source]
        source: Box<kube::Error>,
    },
    /// Creating or removing a volume directory failed.
    #[error("volume directory of {volume}")]
    VolumeDir {
        volume: String,
        #[source]
        source: Box<crate::volume::provisioner::dirs::DirError>,
    },
    /// A read-modify-write kept conflicting with other writers.
    #[error("too many conflicts updating {object}")]
    Conflicts { object: String },
}

/// Whether a kube error is the API's 404.
pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Whether a kube error is the API's 409 (conflict or already exists).
pub(crate) fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}
