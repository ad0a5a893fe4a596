//! A member's side of the journal (DESIGN §8): what its role hands the
//! driver, and a member resuming the log its journal kept.

use std::net::SocketAddr;

use super::{Member, Role};
use crate::core::{Append, Config, ConfigError, Failover, Follower, Leader, Nanos, NodeId, Seq};
use crate::wire::EventRef;

impl Member {
    /// Member `id` resuming the log its journal kept, without failover
    /// (DESIGN §8): the leader (`config.leader`) resumes all of `log` (from
    /// `first`, in order) in `config.epoch`, which must be newer than the
    /// journal's; a follower keeps it up to `commit`, where the caller
    /// dropped the rest. Either delivers from `commit + 1`: what came before
    /// is the journal's to replay.
    pub fn resume<'r>(
        config: Config,
        id: NodeId,
        now: Nanos,
        (first, commit): (Seq, Seq),
        log: impl Iterator<Item = EventRef<'r>>,
    ) -> Result<Member, ConfigError> {
        if config.failover != Failover::Off {
            return Err(ConfigError::FailoverNeeds("no journal yet (a later version journals members)"));
        }
        let role = if id == config.leader {
            let mut resume = Leader::resume(config.clone(), now, first)?;
            for event in log {
                if !resume.push(event) {
                    break;
                }
            }
            Role::Leader(Box::new(resume.finish(commit)))
        } else {
            Role::Follower(Box::new(Follower::resume(config.clone(), id, now, commit)?))
        };
        Ok(Member::with_role(config, id, now, role, commit.next()))
    }

    /// With a journal: the role's next event to append (see
    /// [`Leader::poll_append`], [`Follower::poll_append`]).
    pub fn poll_append(&mut self) -> Option<Append<'_>> {
        match &mut self.role {
            Role::Leader(leader) => leader.poll_append(),
            Role::Follower(follower) => follower.poll_append(),
        }
    }

    /// With a journal, leading: the next range to serve from it (see
    /// [`Leader::poll_history`]).
    pub fn poll_history(&mut self, now: Nanos) -> Option<(SocketAddr, Seq, Seq)> {
        match &mut self.role {
            Role::Leader(leader) => leader.poll_history(now),
            Role::Follower(_) => None,
        }
    }

    /// With a journal: the sequence after which the driver must drop what
    /// was journaled (see [`Follower::poll_truncate`]).
    pub fn poll_truncate(&mut self) -> Option<Seq> {
        match &mut self.role {
            Role::Leader(_) => None,
            Role::Follower(follower) => follower.poll_truncate(),
        }
    }

    /// The driver made everything up to `through` durable.
    pub fn handle_durable(&mut self, through: Seq) {
        match &mut self.role {
            Role::Leader(leader) => leader.handle_durable(through),
            Role::Follower(follower) => follower.handle_durable(through),
        }
    }
}
