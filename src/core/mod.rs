//! The protocol as pure state machines: no sockets, no clock, no threads.
//!
//! [`Leader`], [`Follower`] and [`Client`] offer one surface, so the mio driver
//! and the simulator drive the same code (DESIGN §1): `handle_datagram(now,
//! from, bytes)`, `handle_timeout(now)`, `poll_transmit(now, buf)`,
//! `poll_timeout()` and `poll_event()`. Time enters as nanoseconds from any
//! fixed origin the driver chooses; it must not go backwards.

mod client;
mod clients;
mod config;
mod election;
mod event;
mod follower;
mod leader;
mod member;
mod quorum;
mod records;
mod ring;
mod stamp;
mod timer;
mod window;

pub use crate::types::{Claim, ClientId, Durability, Epoch, NodeId, NodeSet, Seq};
pub use client::{Client, ClientStats, Committed, SubmitError};
pub use clients::RECORDS_PER_CLIENT_PLACE;
pub use config::{Config, ConfigError, Deliver, Failover, MTU_MAX};
pub use election::{ElectionStats, Reach};
pub use event::{Append, Event, JournalClaim, MemberEvent, PROMISE_AHEAD_MAX, StepDown};
pub use follower::{ACK_REFRESH_NS, Follower, FollowerStats, KEEPALIVE_NS, ShortLeader, Vouch};
pub use leader::{Leader, LeaderEvent, LeaderStats, Resume};
pub use member::{Member, MemberResume};
use quorum::quorum_commit;
use ring::Ring;
use stamp::NewestStamp;

use std::net::SocketAddr;

use crate::wire::{self, Datagram, Header, SENDER_CLIENT};

/// Nanoseconds on the driver's clock.
pub type Nanos = u64;

/// A frame of `kind` from node `from` in `epoch`, of `config`'s cluster, as
/// the wire carries it: for tests that hand a node what a peer would send.
#[cfg(test)]
pub(crate) fn test_frame<B: zerocopy::IntoBytes + zerocopy::Immutable>(
    config: &Config,
    (kind, from, epoch): (wire::Kind, u16, Epoch),
    body: &B,
) -> Vec<u8> {
    let header = Header::new(kind, from, config.cluster_id, epoch);
    let mut buf = vec![0; config.mtu];
    let len = wire::emit(&mut buf, &header, kind, body).unwrap();
    buf.truncate(len);
    buf
}

/// A zeroed buffer whose every page is touched now, so that memory is taken
/// at start (DESIGN §1) and the resident set does not creep up as the buffer
/// is first written during a run (a calloc'd page is mapped on first write).
pub(crate) fn prefaulted<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut buffer = vec![T::default(); len];
    let per_page = (4096 / size_of::<T>().max(1)).max(1);
    for page in buffer.chunks_mut(per_page) {
        // black_box: the compiler may not drop a zero store into zeroed memory.
        page[0] = std::hint::black_box(T::default());
    }
    buffer
}

/// A zeroed buffer whose pages are mapped only when first written: for the
/// buffers a member builds when the leader changes, where faulting in tens
/// of megabytes first would stall the election it just won.
fn zeroed<T: Copy + Default>(len: usize, prefault: bool) -> Vec<T> {
    if prefault { prefaulted(len) } else { vec![T::default(); len] }
}

/// Where a datagram from `poll_transmit` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    /// The cluster's multicast group.
    Group,
    /// One peer.
    Unicast(SocketAddr),
}

/// A datagram written into the caller's buffer: `buf[..len]` goes to `dest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub dest: Dest,
    /// Its length in `buf`.
    pub len: usize,
}

/// Datagrams dropped on receipt, by reason (DESIGN §2: counted, never fatal).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rejects {
    /// Malformed, by [`wire::Error::index`].
    pub wire: [u64; wire::Error::ALL.len()],
    /// The wire version the latest of those of another version
    /// ([`wire::Error::BadVersion`]) carried.
    pub bad_version_seen: Option<u8>,
    /// From another cluster.
    pub foreign_cluster: u64,
    /// The cluster id the latest of those carried.
    pub foreign_cluster_seen: Option<u32>,
    /// From a sender that is not a member (or not a client, for SUBMIT).
    pub not_member: u64,
    /// From a member (or a tail) this node takes nothing from in its role
    /// now: ACKs or NAKs reaching a member that leads no more, frames of a
    /// leader it does not follow. Routine for a moment around an election.
    pub not_leader: u64,
    /// From another epoch (an older one is fenced off: DESIGN §3.7).
    pub wrong_epoch: u64,
    /// A kind this role does not take (a follower sent a SUBMIT, …).
    pub unexpected_kind: u64,
    /// In this member's own name, but not its own multicast looped back.
    pub own_id: u64,
    /// Election frames that could change nothing: a granted VOTE for an
    /// epoch it never stood for, a PROMOTE naming another member; at a
    /// plain follower or a tail, the election frames of the member it
    /// follows (another member's frames are `not_leader`).
    pub election: u64,
    /// From a member whose cluster has another shape (node count or
    /// quorum): its cluster file is not this node's.
    pub other_shape: u64,
    /// The latest of those: its sender and the shape it carried.
    pub other_shape_seen: Option<(NodeId, u32)>,
    /// At a node, client or tail with failover: a leader's frame that says
    /// it runs without failover ([`FLAG_NO_FAILOVER`](wire::FLAG_NO_FAILOVER)):
    /// a sequencer started with the members' cluster file.
    pub no_failover: u64,
    /// The latest of those: its sender.
    pub no_failover_seen: Option<NodeId>,
    /// A leader's frame from another address than its sender's `node.N`
    /// in the cluster file (with failover, where the file names every
    /// member): recorded and replayed from elsewhere.
    pub elsewhere: u64,
    /// A DATA or RETRANSMIT with a record longer than this node's
    /// `payload_max` allows: its sender runs with a larger one (every node
    /// of a cluster must share it). The records before it were taken.
    pub too_long: u64,
    /// At a client: a BUSY naming a request it has not sent since it last
    /// went back (committed, or not resent yet): a late answer, or an old
    /// one replayed, which changes nothing.
    pub stale_busy: u64,
}

impl Rejects {
    /// All rejected datagrams.
    pub fn total(&self) -> u64 {
        self.wire.iter().sum::<u64>()
            + self.foreign_cluster
            + self.not_member
            + self.not_leader
            + self.wrong_epoch
            + self.unexpected_kind
            + self.own_id
            + self.election
            + self.other_shape
            + self.no_failover
            + self.elsewhere
            + self.too_long
            + self.stale_busy
    }

    /// Every count with its reason's name, the wire's first.
    pub fn by_reason(&self) -> Vec<(&'static str, u64)> {
        let mut reasons: Vec<(&str, u64)> = wire::Error::ALL.iter().map(|e| (e.name(), self.wire[e.index()])).collect();
        reasons.extend([
            ("foreign_cluster", self.foreign_cluster),
            ("not_member", self.not_member),
            ("not_leader", self.not_leader),
            ("wrong_epoch", self.wrong_epoch),
            ("unexpected_kind", self.unexpected_kind),
            ("own_id", self.own_id),
            ("election", self.election),
            ("other_shape", self.other_shape),
            ("no_failover", self.no_failover),
            ("elsewhere", self.elsewhere),
            ("too_long", self.too_long),
            ("stale_busy", self.stale_busy),
        ]);
        reasons
    }

    /// Both counts, reason by reason (a member's own and its role's).
    pub fn plus(&self, other: &Rejects) -> Rejects {
        let mut sum = *self;
        for (mine, theirs) in sum.wire.iter_mut().zip(other.wire) {
            *mine += theirs;
        }
        sum.bad_version_seen = other.bad_version_seen.or(sum.bad_version_seen);
        sum.foreign_cluster += other.foreign_cluster;
        sum.foreign_cluster_seen = other.foreign_cluster_seen.or(sum.foreign_cluster_seen);
        sum.not_member += other.not_member;
        sum.not_leader += other.not_leader;
        sum.wrong_epoch += other.wrong_epoch;
        sum.unexpected_kind += other.unexpected_kind;
        sum.own_id += other.own_id;
        sum.election += other.election;
        sum.other_shape += other.other_shape;
        sum.other_shape_seen = other.other_shape_seen.or(sum.other_shape_seen);
        sum.no_failover += other.no_failover;
        sum.no_failover_seen = other.no_failover_seen.or(sum.no_failover_seen);
        sum.too_long += other.too_long;
        sum.elsewhere += other.elsewhere;
        sum.stale_busy += other.stale_busy;
        sum
    }
}

/// Who may send a frame to this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peers {
    /// Cluster members other than `me`.
    Members { me: NodeId, nodes: u16 },
    /// Only the leader (nobody when none is known) of a cluster of `nodes`.
    Leader { leader: Option<NodeId>, nodes: u16 },
}

/// The wire's checks (DESIGN §2), then the cluster id and `shape` (see
/// [`same_shape`]), and, where `failover`, that no node without it sent
/// it ([`wire::FLAG_NO_FAILOVER`]): a datagram that passes is parsed,
/// once, into a typed frame.
fn parse<'a>(
    bytes: &'a [u8],
    (cluster, shape, failover): (u32, u32, bool),
    rejects: &mut Rejects,
) -> Option<Datagram<'a>> {
    let datagram = match wire::parse(bytes) {
        Ok(datagram) => datagram,
        Err(error) => {
            rejects.wire[error.index()] += 1;
            if let wire::Error::BadVersion(version) = error {
                rejects.bad_version_seen = Some(version);
            }
            return None;
        }
    };
    if datagram.header.cluster.get() != cluster {
        rejects.foreign_cluster += 1;
        rejects.foreign_cluster_seen = Some(datagram.header.cluster.get());
        return None;
    }
    if failover
        && datagram.header.from_sequencer()
        && let Some(sender) = datagram.header.member()
    {
        rejects.no_failover += 1;
        rejects.no_failover_seen = Some(sender);
        return None;
    }
    same_shape(&datagram, shape, rejects).then_some(datagram)
}

/// True if the sender may send this frame to this node. Clients (sender
/// [`SENDER_CLIENT`]) may only send SUBMIT, which only a leader accepts, and
/// observers ([`SENDER_OBSERVER`](wire::SENDER_OBSERVER)) only NAK. The
/// epoch rule differs by role, so each role applies it.
fn admits(datagram: &Datagram<'_>, peers: Peers, rejects: &mut Rejects) -> bool {
    let sender = datagram.header.sender.get();
    let is_submit = matches!(datagram.frame, wire::Frame::Submit(_));
    let member = match peers {
        _ if sender == SENDER_CLIENT => is_submit,
        // A read-only subscriber asks a leader for what it missed, nothing else.
        Peers::Members { .. } if sender == wire::SENDER_OBSERVER => matches!(datagram.frame, wire::Frame::Nak(_)),
        Peers::Members { me, nodes } => sender < nodes && sender != me.0 && !is_submit,
        Peers::Leader { leader, .. } => leader.is_some_and(|leader| sender == leader.0),
    };
    match peers {
        _ if member => {}
        // Another member, where this role takes only its leader's frames.
        Peers::Leader { nodes, .. } if sender < nodes => rejects.not_leader += 1,
        _ => rejects.not_member += 1,
    }
    member
}

/// True unless a member's frame carries another cluster shape than
/// `shape` ([`Config::shape`]; 0: this node checks none, as a tail): two
/// members whose cluster files give different node counts or quorums
/// would each count their own quorum, and one could lead and commit with
/// fewer members than the others need (DESIGN §2).
fn same_shape(datagram: &Datagram<'_>, shape: u32, rejects: &mut Rejects) -> bool {
    let theirs = datagram.header.token.get();
    let Some(sender) = datagram.header.member().filter(|_| shape != 0 && theirs != 0 && theirs != shape) else {
        return true;
    };
    rejects.other_shape += 1;
    rejects.other_shape_seen = Some((sender, theirs));
    false
}

/// True if `shape` (a member frame's token, as [`Config::shape`] makes it)
/// lists another node count than `nodes`: the member's cluster file is not
/// this one's (a group split off by a stale file). 0, an older build's,
/// lists none. Clients and tails judge the node count only: their file may
/// leave the quorum to its default, which the members check.
pub fn other_node_count(shape: u32, nodes: u16) -> bool {
    shape != 0 && shape >> 16 != u32::from(nodes)
}

/// A shape as [`Config::shape`] makes it, for people: "5 nodes, quorum 3".
pub fn shape_text(shape: u32) -> String {
    format!("{} nodes, quorum {}", shape >> 16, shape & 0xffff)
}

/// [`parse`], then [`admits`] unless `also` admits it.
fn accept<'a>(
    bytes: &'a [u8],
    template: &Header,
    peers: Peers,
    rejects: &mut Rejects,
    also: impl FnOnce(&Datagram<'a>) -> bool,
) -> Option<Datagram<'a>> {
    // A client checks no quorum here (its file may leave it to the default);
    // with failover, its own node count against a member's (Client), and
    // it takes nothing of a sequencer's.
    let failover = matches!(peers, Peers::Members { .. });
    let datagram = parse(bytes, (template.cluster.get(), 0, failover), rejects)?;
    (also(&datagram) || admits(&datagram, peers, rejects)).then_some(datagram)
}
