//! Writes whose answers are decoded as informers decode objects: without managedFields.
//!
//! kube-rs's `Api<K>` decodes every write's answer, the whole object, managedFields included.
//! The controllers keep what a write answers in the same caches their informers fill (trimmed,
//! [`super::Trimmed`]), so [`Writes`] sends the requests `Api<K>` sends and decodes the answers
//! trimmed: the same wire traffic, without building a JSON tree per managedFields entry that is
//! dropped unread.

use std::fmt::Debug;
use std::marker::PhantomData;

use k8s_openapi::NamespaceResourceScope;
use kube::api::{Patch, PatchParams, PostParams};
use kube::core::Request;
use kube::{Error, Resource};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Trimmed;

/// Creates, replaces and patches of `K` at one URL (a namespace's or the cluster's).
pub struct Writes<K> {
    client: kube::Client,
    request: Request,
    kind: PhantomData<fn() -> K>,
}

impl<K> Writes<K>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    /// `K` in namespace `ns`.
    pub fn namespaced(client: kube::Client, ns: &str) -> Self
    where
        K: Resource<Scope = NamespaceResourceScope>,
    {
        Self::at(client, K::url_path(&(), Some(ns)))
    }

    /// `K` across the cluster (cluster-scoped kinds).
    pub fn all(client: kube::Client) -> Self {
        Self::at(client, K::url_path(&(), None))
    }

    fn at(client: kube::Client, url: String) -> Self {
        Writes {
            client,
            request: Request::new(url),
            kind: PhantomData,
        }
    }

    /// `Api::create`.
    pub async fn create(&self, pp: &PostParams, data: &K) -> Result<K, Error> {
        let body = serde_json::to_vec(data).map_err(Error::SerdeError)?;
        let req = self.request.create(pp, body).map_err(Error::BuildRequest)?;
        self.send(req, "create").await
    }

    /// `Api::replace`.
    pub async fn replace(&self, name: &str, pp: &PostParams, data: &K) -> Result<K, Error> {
        let body = serde_json::to_vec(data).map_err(Error::SerdeError)?;
        let req = self.request.replace(name, pp, body).map_err(Error::BuildRequest)?;
        self.send(req, "replace").await
    }

    /// `Api::patch`.
    pub async fn patch<P: Serialize + Debug>(
        &self,
        name: &str,
        pp: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<K, Error> {
        let req = self.request.patch(name, pp, patch).map_err(Error::BuildRequest)?;
        self.send(req, "patch").await
    }

    /// `Api::patch_status`.
    pub async fn patch_status<P: Serialize + Debug>(
        &self,
        name: &str,
        pp: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<K, Error> {
        let req = self
            .request
            .patch_subresource("status", name, pp, patch)
            .map_err(Error::BuildRequest)?;
        self.send(req, "patch_status").await
    }

    async fn send(&self, mut req: http::Request<Vec<u8>>, verb: &'static str) -> Result<K, Error> {
        // What kube-rs's Api puts there for its tracing layer.
        req.extensions_mut().insert(verb);
        self.client.request::<Trimmed<K>>(req).await.map(|t| t.0)
    }
}

#[cfg(test)]
mod tests;
