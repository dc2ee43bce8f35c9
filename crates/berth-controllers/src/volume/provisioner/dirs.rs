//! Volume directories: the provisioner's only filesystem side effects, behind [`VolumeDirs`].
//!
//! Layout under the root (`<data-dir>/volumes`): `<name>` is a live volume; `.creating-<name>` is
//! being provisioned (made before its PersistentVolume, renamed to `<name>` right after the PV is
//! created); `.deleting-<name>` is condemned (renamed from `<name>` before it is removed). A crash
//! leaves only these temporary names, and [`VolumeDirs::repair`] settles them at startup: a
//! `.creating-` whose PV exists is finished, any other is removed (it never held data), every
//! `.deleting-` is removed. Names are single path components from a small alphabet, so nothing
//! outside the root is ever touched.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const CREATING: &str = ".creating-";
const DELETING: &str = ".deleting-";

/// A failed directory operation.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("{name:?} is not a valid volume directory name")]
    InvalidName { name: String },
    #[error("creating volume directory {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("renaming volume directory {from} to {to}")]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("removing volume directory {path}")]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("reading the volumes directory {path}")]
    List {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Whether `name` may name a volume directory: one component of `[a-z0-9._-]`, not starting with
/// `.` (so never `.`, `..` or a temporary name), at most 240 bytes (room for the prefixes).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 240
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
}

/// What [`VolumeDirs::repair`] did to one leftover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repaired {
    FinishedCreate(String),
    RemovedIncomplete(String),
    RemovedCondemned(String),
}

/// The provisioner's filesystem.
pub trait VolumeDirs: Send + Sync {
    /// The directory volumes live in, as their PVs show it.
    fn root(&self) -> &Path;
    /// Makes `.creating-<name>` (mode 0777, like local-path's `mkdir -m 0777`); idempotent.
    fn begin_create(&self, name: &str) -> Result<(), DirError>;
    /// Renames `.creating-<name>` to `<name>`; done already (only `<name>` exists) is fine.
    fn commit_create(&self, name: &str) -> Result<(), DirError>;
    /// Renames `<name>` to `.deleting-<name>` and removes it; already gone is fine.
    fn remove(&self, name: &str) -> Result<(), DirError>;
    /// Settles leftovers of a crash; `has_volume(name)` says whether a PV uses `<name>`.
    fn repair(&self, has_volume: &dyn Fn(&str) -> bool) -> Result<Vec<Repaired>, DirError>;
}

fn check(name: &str) -> Result<(), DirError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(DirError::InvalidName { name: name.into() })
    }
}

/// Real directories under `<data-dir>/volumes`.
pub struct LocalDirs {
    root: PathBuf,
}

impl LocalDirs {
    /// Creates the root if needed.
    pub fn open(root: PathBuf) -> Result<LocalDirs, DirError> {
        std::fs::create_dir_all(&root).map_err(|source| DirError::Create {
            path: root.clone(),
            source,
        })?;
        Ok(LocalDirs { root })
    }

    fn sync_root(&self) {
        // Make renames durable; a failure here only weakens crash safety, so it is logged.
        if let Err(e) = std::fs::File::open(&self.root).and_then(|f| f.sync_all()) {
            tracing::warn!(error = %e, root = %self.root.display(), "syncing the volumes directory failed");
        }
    }

    fn rename(from: &Path, to: &Path) -> Result<(), DirError> {
        std::fs::rename(from, to).map_err(|source| DirError::Rename {
            from: from.into(),
            to: to.into(),
            source,
        })
    }

    fn remove_tree(path: &Path) -> Result<(), DirError> {
        match std::fs::remove_dir_all(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(DirError::Remove {
                path: path.into(),
                source,
            }),
        }
    }
}

impl VolumeDirs for LocalDirs {
    fn root(&self) -> &Path {
        &self.root
    }

    fn begin_create(&self, name: &str) -> Result<(), DirError> {
        check(name)?;
        let tmp = self.root.join(format!("{CREATING}{name}"));
        if self.root.join(name).is_dir() {
            return Ok(());
        }
        match std::fs::create_dir(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(DirError::Create { path: tmp, source }),
        }
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o777)).map_err(|source| DirError::Create {
            path: tmp.clone(),
            source,
        })?;
        Ok(())
    }

    fn commit_create(&self, name: &str) -> Result<(), DirError> {
        check(name)?;
        let (tmp, live) = (self.root.join(format!("{CREATING}{name}")), self.root.join(name));
        if live.is_dir() {
            return Ok(());
        }
        // Not synced: if a crash loses the rename, startup's repair finishes a `.creating-`
        // directory whose volume exists (the volume object is the durable record), and the
        // directory is the same inode either way, so nothing written into it is lost. An fsync
        // per volume here would hold up every provisioning of a pass.
        Self::rename(&tmp, &live)
    }

    fn remove(&self, name: &str) -> Result<(), DirError> {
        check(name)?;
        let (live, condemned) = (self.root.join(name), self.root.join(format!("{DELETING}{name}")));
        if live.symlink_metadata().is_ok() {
            Self::rename(&live, &condemned)?;
            // Durable before the contents go, so a crash never brings back a half-emptied
            // directory under its live name.
            self.sync_root();
        }
        Self::remove_tree(&condemned)?;
        // A directory provisioned but never handed to its volume goes too.
        Self::remove_tree(&self.root.join(format!("{CREATING}{name}")))
    }

    fn repair(&self, has_volume: &dyn Fn(&str) -> bool) -> Result<Vec<Repaired>, DirError> {
        let entries = std::fs::read_dir(&self.root).map_err(|source| DirError::List {
            path: self.root.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        let mut done = Vec::new();
        for entry in names {
            if let Some(name) = entry.strip_prefix(DELETING).filter(|n| valid_name(n)) {
                Self::remove_tree(&self.root.join(&entry))?;
                done.push(Repaired::RemovedCondemned(name.into()));
            } else if let Some(name) = entry.strip_prefix(CREATING).filter(|n| valid_name(n)) {
                if has_volume(name) {
                    self.commit_create(name)?;
                    done.push(Repaired::FinishedCreate(name.into()));
                } else {
                    Self::remove_tree(&self.root.join(&entry))?;
                    done.push(Repaired::RemovedIncomplete(name.into()));
                }
            }
        }
        if !done.is_empty() {
            self.sync_root();
        }
        Ok(done)
    }
}

/// State of one directory in [`FakeDirs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeState {
    Creating,
    Live,
    Deleting,
}

/// In-memory directories for component tests, recording every call.
#[derive(Debug, Default)]
pub struct FakeDirs {
    pub dirs: Mutex<BTreeMap<String, FakeState>>,
    pub calls: Mutex<Vec<String>>,
}

impl FakeDirs {
    fn log(&self, call: String) {
        self.calls.lock().expect("fake lock").push(call);
    }

    pub fn state(&self, name: &str) -> Option<FakeState> {
        self.dirs.lock().expect("fake lock").get(name).copied()
    }
}

impl VolumeDirs for FakeDirs {
    fn root(&self) -> &Path {
        Path::new("/data/volumes")
    }

    fn begin_create(&self, name: &str) -> Result<(), DirError> {
        check(name)?;
        self.log(format!("begin_create {name}"));
        self.dirs
            .lock()
            .expect("fake lock")
            .entry(name.into())
            .or_insert(FakeState::Creating);
        Ok(())
    }

    fn commit_create(&self, name: &str) -> Result<(), DirError> {
        check(name)?;
        self.log(format!("commit_create {name}"));
        self.dirs
            .lock()
            .expect("fake lock")
            .insert(name.into(), FakeState::Live);
        Ok(())
    }

    fn remove(&self, name: &str) -> Result<(), DirError> {
        check(name)?;
        self.log(format!("remove {name}"));
        self.dirs.lock().expect("fake lock").remove(name);
        Ok(())
    }

    fn repair(&self, has_volume: &dyn Fn(&str) -> bool) -> Result<Vec<Repaired>, DirError> {
        let mut dirs = self.dirs.lock().expect("fake lock");
        let mut done = Vec::new();
        for (name, state) in dirs.clone() {
            match state {
                FakeState::Live => {}
                FakeState::Deleting => {
                    dirs.remove(&name);
                    done.push(Repaired::RemovedCondemned(name));
                }
                FakeState::Creating if has_volume(&name) => {
                    dirs.insert(name.clone(), FakeState::Live);
                    done.push(Repaired::FinishedCreate(name));
                }
                FakeState::Creating => {
                    dirs.remove(&name);
                    done.push(Repaired::RemovedIncomplete(name));
                }
            }
        }
        Ok(done)
    }
}
