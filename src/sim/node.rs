//! What the simulator drives: a member, or a deliberately broken one.

use std::net::SocketAddr;

use crate::core::{Append, Config, JournalClaim, Member, MemberEvent, Nanos, NodeId, Seq, Transmit};

/// What the simulator needs of a member; implemented by [`Member`], and
/// by deliberately broken variants in tests, to show the checker can fail.
/// Every method but [`member`](SimNode::member) defaults to the member's own.
pub trait SimNode {
    /// The member inside.
    fn member(&self) -> &Member;
    /// The member inside.
    fn member_mut(&mut self) -> &mut Member;
    /// See [`Member::handle_datagram`].
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        self.member_mut().handle_datagram(now, from, bytes)
    }
    /// See [`Member::handle_timeout`].
    fn handle_timeout(&mut self, now: Nanos) {
        self.member_mut().handle_timeout(now)
    }
    /// See [`Member::poll_transmit`].
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        self.member_mut().poll_transmit(now, buf)
    }
    /// See [`Member::poll_timeout`].
    fn poll_timeout(&self) -> Option<Nanos> {
        self.member().poll_timeout()
    }
    /// See [`Member::poll_event`].
    fn poll_event(&mut self) -> Option<MemberEvent<'_>> {
        self.member_mut().poll_event()
    }
    /// See [`Member::poll_append`].
    fn poll_append(&mut self) -> Option<Append<'_>> {
        self.member_mut().poll_append()
    }
    /// See [`Member::handle_durable`].
    fn handle_durable(&mut self, through: Seq) {
        self.member_mut().handle_durable(through)
    }
    /// See [`Member::journal_claim`].
    fn journal_claim(&self) -> Option<JournalClaim> {
        self.member().journal_claim()
    }
    /// See [`Member::promise_unknown`]: its driver removes a claim kept.
    fn promise_unknown(&self) -> bool {
        self.member().promise_unknown()
    }
    /// What its driver keeps in the commit file after a turn: see
    /// [`Member::turn_commit`].
    fn turn_commit(&self) -> Seq {
        self.member().turn_commit()
    }
    /// What its driver keeps in the commit file at a clean stop: see
    /// [`Member::journal_commit`].
    fn stop_commit(&self) -> Seq {
        self.member().journal_commit()
    }
    /// See [`Member::history_frame`].
    fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        self.member_mut().history_frame(now, buf, records)
    }
}

impl SimNode for Member {
    fn member(&self) -> &Member {
        self
    }
    fn member_mut(&mut self) -> &mut Member {
        self
    }
}

/// Builds member `id` of `config` at `now`.
pub type NodeFactory<'a> = &'a dyn Fn(Config, NodeId, Nanos) -> Box<dyn SimNode>;

pub(super) fn real_member(config: Config, id: NodeId, now: Nanos) -> Box<dyn SimNode> {
    let failover = config.failover != crate::core::Failover::Off;
    let mut member = Member::new(config, id, now).expect("the simulator's config is valid");
    if failover {
        member.stand_above(start_floor(now));
    }
    Box::new(member)
}

/// The floor a member started at `now` stands above, as
/// [`MemberNode`](crate::net::MemberNode) gives one: the milliseconds of its
/// start, here of the simulated clock.
pub(super) fn start_floor(now: Nanos) -> crate::core::Epoch {
    crate::core::Epoch(now / 1_000_000)
}
