//! The node heartbeat: registers the Node, renews its Lease every 10 s and re-posts its status
//! every minute (upstream renews every 10 s and reports unchanged status every 5 min).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::api::NodeApi;
use crate::error::AgentError;
use crate::node::{lease, node, node_status, NodeConfig};

/// How often the Lease is renewed (upstream: a quarter of the 40 s lease duration).
pub const LEASE_RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// How often unchanged node status is posted again (`lastHeartbeatTime`).
pub const NODE_STATUS_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

/// Registration and heartbeat state.
pub struct Heartbeat<A> {
    api: A,
    cfg: NodeConfig,
    ready_since: Timestamp,
    node_uid: Option<String>,
    last_status: Option<Timestamp>,
}

impl<A: NodeApi> Heartbeat<A> {
    pub fn new(api: A, cfg: NodeConfig, ready_since: Timestamp) -> Self {
        Heartbeat {
            api,
            cfg,
            ready_since,
            node_uid: None,
            last_status: None,
        }
    }

    /// Registers the Node if needed, posts its status when due and renews the Lease.
    pub async fn beat(&mut self, now: Timestamp) -> Result<(), AgentError> {
        let status_due = self.last_status.is_none_or(|t| now >= t + NODE_STATUS_INTERVAL);
        if self.node_uid.is_none() {
            let uid = self.api.register(&node(&self.cfg, self.ready_since, now)).await?;
            tracing::info!(node = %self.cfg.name, "node registered");
            self.node_uid = Some(uid);
            self.last_status = None;
        }
        if status_due || self.last_status.is_none() {
            match self
                .api
                .write_node_status(&self.cfg.name, &node_status(&self.cfg, self.ready_since, now))
                .await
            {
                Ok(()) => self.last_status = Some(now),
                Err(e @ AgentError::NodeGone { .. }) => {
                    self.node_uid = None;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        self.api
            .renew_lease(&lease(&self.cfg.name, self.node_uid.as_deref(), now))
            .await
    }
}
