//! Every limit and timer of the protocol, in one place, checked at start.

use core::fmt;

use super::{Durability, Epoch, NodeId};
use crate::wire::{BatchHead, Header, SubmitHead, record_len};

/// When a follower hands events to its application (DESIGN §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deliver {
    /// Once a quorum holds them: never rolled back.
    OnCommit,
    /// As soon as they are in order: lower latency; an event delivered before
    /// it committed may be lost with its leader, so failover refuses this.
    OnReceive,
}

/// How a new leader is chosen when the leader fails (DESIGN §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failover {
    /// Never: a leader that fails stops the cluster until it is restarted,
    /// and a restarted leader's new epoch leaves what followers held in doubt.
    Off,
    /// Only when an operator asks a member to stand (`seqcast promote`).
    Manual,
    /// A follower that hears no leader for `election_timeout_ns` (plus a
    /// random delay of up to as much again) stands for election.
    Auto,
}

/// The cluster's configuration; every node of a cluster uses the same one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Cluster id; frames of other clusters are dropped.
    pub cluster_id: u32,
    /// Nodes in the cluster, leader included (ids `0..nodes`).
    pub nodes: u16,
    /// Node id of the leader.
    pub leader: NodeId,
    /// Nodes that must hold an event to commit it; 0 means a majority.
    pub quorum: u16,
    /// The leader's epoch: a leader needs one (≥ 1) and keeps it; a follower
    /// or client given 0 learns it from the first frame of the leader.
    pub epoch: Epoch,
    /// Largest datagram (UDP payload) any node sends; 1472 fits Ethernet.
    pub mtu: usize,
    /// Largest event payload in bytes.
    pub payload_max: usize,
    /// Events the leader keeps for repair; must exceed `in_flight_max`.
    pub ring_events: usize,
    /// Uncommitted events the leader accepts before it answers BUSY (at a
    /// member that leads, also events its own application has not taken).
    pub in_flight_max: usize,
    /// Events a follower buffers ahead of what it delivered.
    pub window_events: usize,
    /// Clients the leader tracks for deduplication.
    pub clients_max: usize,
    /// A client idle this long with nothing uncommitted may give its place
    /// in a full client table to a new one; it resumes where it stopped
    /// when it comes back.
    pub client_idle_ns: u64,
    /// Requests a client may have uncommitted (and the leader remembers).
    /// The same at the leader and its clients: a client that keeps more
    /// may resend a request older than the leader remembers, which the
    /// leader takes for another process's under that id (BUSY reason 8).
    pub client_pending_max: usize,
    /// Leader heartbeat period when no DATA goes out.
    pub heartbeat_interval_ns: u64,
    /// Follower ACK period while it holds uncommitted events and its
    /// leader speaks: an ACK goes again this long after the last only if
    /// a frame of the leader came since (with a `heartbeat_interval_ns`
    /// above it, at the leader's next frame); toward a silent leader, a
    /// keepalive ([`KEEPALIVE_NS`](super::KEEPALIVE_NS), 250 ms) after it.
    pub ack_interval_ns: u64,
    /// Round trip assumed until the leader has measured one.
    pub rtt_initial_ns: u64,
    /// Lower bound of the delay before a gap is NAKed.
    pub nak_delay_min_ns: u64,
    /// Upper bound of any NAK delay, backoff included.
    pub nak_delay_max_ns: u64,
    /// Most events one NAK asks for.
    pub nak_events_max: usize,
    /// Time one event of a repair takes to arrive; a NAK retry of the k-th
    /// event asked for waits k times this on top of its backoff.
    pub nak_retry_per_event_ns: u64,
    /// Repairs (ranges to resend) the leader has in flight at once.
    pub repairs_max: usize,
    /// A repair sent this recently answers a NAK that overlaps it.
    pub repair_linger_ns: u64,
    /// How long a BUSY tells the client to wait.
    pub busy_retry_ns: u64,
    /// A client resends what is uncommitted after this long.
    pub client_retry_ns: u64,
    /// When followers deliver.
    pub deliver: Deliver,
    /// Whether and how a new leader is elected.
    pub failover: Failover,
    /// With automatic failover: silence from the leader after which a
    /// follower stands for election (plus a random jitter of up to one more);
    /// a candidate waits as long, jitter included, for votes.
    pub election_timeout_ns: u64,
    /// Events are journaled (DESIGN §8): a follower ACKs, and the leader
    /// counts itself in a quorum, only for what its driver reported durable
    /// (`handle_durable`), so "a quorum holds it" means "a quorum has it on
    /// disk". Members with failover journal too, and resume their journal
    /// ([`Member::resume_member`](super::Member::resume_member)).
    pub journal: bool,
    /// With `journal`: durable means synced (`--sync batch`, survives a
    /// power loss). False (`--sync none`): durable once written, which the
    /// driver does before it sends anything of the turn, so any event a
    /// follower holds is in its leader's journal, and followers may infer
    /// commits as without a journal ([`followers_infer_commit`](Self::followers_infer_commit)).
    pub journal_syncs: bool,
    /// Each member's address by node id (a cluster file's `node.N`), where
    /// it listens and sends from: a leader sends a member's repairs there
    /// and nowhere else. Empty: each member's address is learned from its
    /// ACKs.
    pub members: Vec<std::net::SocketAddr>,
    /// A client the leader knows nothing of (no place in its table, no
    /// record of one) is taken only once it echoes the leader's admission
    /// token (BUSY reason 7, DESIGN §9), one round trip: a first SUBMIT
    /// replayed after its client was forgotten is then refused. Drivers set
    /// it where datagrams are authenticated; without keys anyone can forge
    /// a SUBMIT, and a replay is no more than that.
    pub client_tokens: bool,
    /// Mixed into the nonces a member's NAKs carry when it asks its leader
    /// for a fresh HEARTBEAT (with `client_tokens`): drivers draw it from
    /// the OS's randomness at start, so that no restart asks with a nonce
    /// an earlier life asked with (whose answer may have been recorded).
    pub nonce_seed: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            cluster_id: 1,
            nodes: 3,
            leader: NodeId(0),
            quorum: 0,
            epoch: Epoch(1),
            mtu: 1472,
            payload_max: 256,
            ring_events: 1 << 16,
            in_flight_max: 1 << 14,
            window_events: 1 << 15,
            clients_max: 256,
            client_idle_ns: 10_000_000_000,
            client_pending_max: 4096,
            heartbeat_interval_ns: 1_000_000,
            ack_interval_ns: 1_000_000,
            rtt_initial_ns: 100_000,
            nak_delay_min_ns: 20_000,
            nak_delay_max_ns: 10_000_000,
            nak_events_max: 4096,
            nak_retry_per_event_ns: 1_000,
            repairs_max: 64,
            repair_linger_ns: 50_000,
            busy_retry_ns: 500_000,
            client_retry_ns: 50_000_000,
            deliver: Deliver::OnCommit,
            failover: Failover::Off,
            election_timeout_ns: 20_000_000,
            journal: false,
            journal_syncs: true,
            members: Vec::new(),
            client_tokens: false,
            nonce_seed: 0,
        }
    }
}

/// Largest UDP payload over IPv4.
pub const MTU_MAX: usize = 65_507;

/// Why a [`Config`] was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A cluster needs a leader and at least one follower.
    TooFewNodes(u16),
    /// The leader id is not below `nodes`.
    LeaderNotMember {
        /// The configured leader.
        leader: NodeId,
        /// Cluster size.
        nodes: u16,
    },
    /// A follower's id must be a member other than the leader.
    NotAFollower {
        /// The follower's id.
        id: NodeId,
        /// Cluster size.
        nodes: u16,
        /// The leader's id.
        leader: NodeId,
    },
    /// The quorum exceeds the cluster.
    QuorumTooLarge {
        /// The configured quorum.
        quorum: u16,
        /// Cluster size.
        nodes: u16,
    },
    /// The MTU cannot carry one event of `payload_max` bytes, or exceeds UDP's.
    BadMtu {
        /// The configured MTU.
        mtu: usize,
        /// The smallest that works with `payload_max`.
        needed: usize,
        /// `payload_max`.
        payload_max: usize,
    },
    /// The ring must hold more than the in-flight bound, or commits could be evicted.
    RingTooSmall {
        /// `ring_events`.
        ring: usize,
        /// `in_flight_max`.
        in_flight: usize,
    },
    /// The window must hold the in-flight bound, or commit could never advance.
    WindowTooSmall {
        /// `window_events`.
        window: usize,
        /// `in_flight_max`.
        in_flight: usize,
    },
    /// With failover, the ring must hold a follower's whole window: a
    /// promoted follower serves repairs from it.
    RingBelowWindow {
        /// `ring_events`.
        ring: usize,
        /// `window_events`.
        window: usize,
    },
    /// `clients_max` above 65535 (the leader keeps a client's slot in 16 bits).
    TooManyClients(usize),
    /// A limit or timer that must be positive is zero.
    Zero(&'static str),
    /// A failover client was given another number of member addresses
    /// than the cluster has nodes.
    MembersMismatch {
        /// Addresses given.
        given: usize,
        /// Cluster size.
        nodes: u16,
    },
    /// Failover needs followers that deliver on commit (an event delivered
    /// on receipt could be dropped by the new leader), at most 64 members,
    /// and members that resume as members.
    FailoverNeeds(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TooFewNodes(n) => {
                write!(f, "a cluster needs at least 2 nodes (a leader and a follower), got {n}")
            }
            ConfigError::MembersMismatch { given, nodes } => write!(
                f,
                "{given} member addresses for a {nodes}-node cluster: a client with failover needs every member's \
                 (node.0 … node.{} in the cluster file)",
                nodes.saturating_sub(1)
            ),
            ConfigError::LeaderNotMember { leader, nodes } => {
                let last = nodes.saturating_sub(1);
                write!(f, "leader {leader} is not a member of a {nodes}-node cluster (ids 0 to {last})")
            }
            ConfigError::NotAFollower { id, nodes, leader } => {
                // The ids a follower may take: 0 to nodes - 1 but the leader's.
                let ids: Vec<String> = (0..*nodes).filter(|&n| n != leader.0).map(|n| n.to_string()).collect();
                let last = nodes.saturating_sub(1);
                let choice = match ids.as_slice() {
                    [] => "none (a cluster needs two nodes)".to_string(),
                    [one] => one.clone(),
                    [first @ .., end] if ids.len() <= 4 => format!("{} or {end}", first.join(", ")),
                    _ if leader.0 == 0 => format!("1 to {last}"),
                    _ if leader.0 == last => format!("0 to {}", last - 1),
                    _ => format!("0 to {last} other than {leader}"),
                };
                write!(f, "follower id {id} is not one this cluster has: {choice} (node {leader} leads)")
            }
            ConfigError::QuorumTooLarge { quorum, nodes } => {
                write!(f, "quorum {quorum} is larger than the cluster ({nodes} nodes)")
            }
            ConfigError::BadMtu { needed, payload_max, .. } if *needed > MTU_MAX => write!(
                f,
                "payload_max {payload_max} makes one event need a {needed}-byte datagram, above UDP's largest \
                 ({MTU_MAX})"
            ),
            ConfigError::BadMtu { mtu, .. } if *mtu > MTU_MAX => {
                write!(f, "mtu {mtu} is above UDP's largest datagram ({MTU_MAX})")
            }
            // Named with payload_max: an mtu left at its default is too
            // small for a payload_max set alone (helper 177).
            ConfigError::BadMtu { mtu, needed, payload_max } => write!(
                f,
                "mtu {mtu} is too small for payload_max {payload_max}: one event needs a {needed}-byte datagram \
                 (raise mtu to between {needed} and {MTU_MAX}, or lower payload_max)"
            ),
            ConfigError::RingTooSmall { ring, in_flight } => {
                write!(f, "ring_events ({ring}) must be larger than in_flight_max ({in_flight})")
            }
            ConfigError::WindowTooSmall { window, in_flight } => {
                write!(f, "window_events ({window}) must be at least in_flight_max ({in_flight})")
            }
            ConfigError::RingBelowWindow { ring, window } => write!(
                f,
                "failover needs ring_events ({ring}) at least window_events ({window}): a promoted follower serves \
                 repairs from its ring"
            ),
            ConfigError::TooManyClients(n) => write!(f, "clients_max {n} is above the limit of 65535"),
            ConfigError::Zero(name) => write!(f, "{name} must be greater than zero"),
            ConfigError::FailoverNeeds(what) => write!(f, "failover needs {what}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// False if [`members`](Self::members) gives member `sender` an
    /// address and `from` is not it: a member sends from its `node.N`
    /// address, so such a frame in its name was recorded and replayed from
    /// elsewhere.
    pub(crate) fn sent_from_members_address(&self, sender: Option<NodeId>, from: std::net::SocketAddr) -> bool {
        match sender.and_then(|sender| self.members.get(sender.index())) {
            Some(addr) if !addr.ip().is_unspecified() => *addr == from,
            _ => true,
        }
    }

    /// Checks every relationship between the limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.nodes < 2 {
            return Err(ConfigError::TooFewNodes(self.nodes));
        }
        if self.leader.0 >= self.nodes {
            return Err(ConfigError::LeaderNotMember { leader: self.leader, nodes: self.nodes });
        }
        if self.quorum > self.nodes {
            return Err(ConfigError::QuorumTooLarge { quorum: self.quorum, nodes: self.nodes });
        }
        let needed = self.mtu_needed();
        if self.mtu < needed || self.mtu > MTU_MAX || self.payload_max > usize::from(u16::MAX) {
            return Err(ConfigError::BadMtu { mtu: self.mtu, needed, payload_max: self.payload_max });
        }
        if self.ring_events <= self.in_flight_max {
            return Err(ConfigError::RingTooSmall { ring: self.ring_events, in_flight: self.in_flight_max });
        }
        if self.clients_max > usize::from(u16::MAX) {
            return Err(ConfigError::TooManyClients(self.clients_max));
        }
        if self.window_events < self.in_flight_max {
            return Err(ConfigError::WindowTooSmall { window: self.window_events, in_flight: self.in_flight_max });
        }
        if self.failover != Failover::Off {
            if self.deliver != Deliver::OnCommit {
                return Err(ConfigError::FailoverNeeds(
                    "delivery on commit (an event delivered on receipt could be dropped)",
                ));
            }
            if self.ring_events < self.window_events {
                return Err(ConfigError::RingBelowWindow { ring: self.ring_events, window: self.window_events });
            }
            if self.nodes > 64 {
                // Votes are counted in a 64-bit set, one bit per member.
                return Err(ConfigError::FailoverNeeds("at most 64 members"));
            }
        }
        let positive = [
            ("election_timeout_ns", self.election_timeout_ns),
            ("in_flight_max", self.in_flight_max as u64),
            ("clients_max", self.clients_max as u64),
            ("client_pending_max", self.client_pending_max as u64),
            ("nak_events_max", self.nak_events_max as u64),
            ("repairs_max", self.repairs_max as u64),
            ("heartbeat_interval_ns", self.heartbeat_interval_ns),
            ("ack_interval_ns", self.ack_interval_ns),
            ("rtt_initial_ns", self.rtt_initial_ns),
            ("nak_delay_min_ns", self.nak_delay_min_ns),
            ("nak_delay_max_ns", self.nak_delay_max_ns),
            ("busy_retry_ns", self.busy_retry_ns),
            ("client_retry_ns", self.client_retry_ns),
        ];
        match positive.iter().find(|(_, value)| *value == 0) {
            Some((name, _)) => Err(ConfigError::Zero(name)),
            None => Ok(()),
        }
    }

    /// Nodes that must hold an event to commit it (majority when `quorum` is 0).
    pub fn quorum(&self) -> usize {
        match self.quorum {
            0 => usize::from(self.nodes) / 2 + 1,
            q => usize::from(q),
        }
    }

    /// The cluster's shape as every member frame carries it in the
    /// header's `token` (DESIGN §2): its node count and its commit quorum.
    /// Members whose cluster files disagree on either would count
    /// different quorums and elect with different majorities, so each
    /// drops the other's frames. Never 0 (a frame of an older build, not
    /// checked).
    pub fn shape(&self) -> u32 {
        (u32::from(self.nodes) << 16) | self.quorum() as u32
    }

    /// True when followers know a commit without being told: without
    /// failover, and when one follower's ACK completes a quorum (2 or less,
    /// the leader counted). Whatever a follower holds of its leader's log is
    /// then committed, as the leader finds when the ACK arrives, and no
    /// other leader can ever number it otherwise; so followers deliver it at
    /// once, and the leader sends no HEARTBEAT before telling the clients.
    ///
    /// Not with failover: a follower's ACK may never arrive, and if that
    /// follower and the leader both restart empty, an election may give the
    /// sequence to another event (the simulator finds such schedules). There
    /// followers deliver only what the leader says is committed.
    ///
    /// With a journal the leader counts itself only once its own write is
    /// durable: at `--sync none` (not `journal_syncs`) the driver writes
    /// before it sends, so whatever a follower holds is written there
    /// already; at `batch` the leader's sync comes after its DATA, which a
    /// follower cannot see.
    pub fn followers_infer_commit(&self) -> bool {
        self.failover == Failover::Off && self.quorum() <= 2 && (!self.journal || !self.journal_syncs)
    }

    /// Whether the leader tells the group of a commit before it tells the
    /// clients: where followers cannot infer it and no election would
    /// finish it. Without failover a leader killed between the two sends
    /// would leave its followers short of an event a client was told
    /// committed. With failover the next leader holds every event a quorum
    /// holds and commits it in its own epoch (with [`Failover::Manual`],
    /// once an operator promotes a member), so the clients hear first and
    /// the group right after.
    pub fn group_hears_commit_first(&self) -> bool {
        self.failover == Failover::Off && !self.followers_infer_commit()
    }

    /// What this node's ACKs promise of what they count (and a leader's
    /// own count in its quorum): in memory, written, or synced.
    pub fn durability(&self) -> Durability {
        match (self.journal, self.journal_syncs) {
            (false, _) => Durability::Memory,
            (true, false) => Durability::Written,
            (true, true) => Durability::Synced,
        }
    }

    /// Votes that win an election: a majority, and enough that every
    /// electing set meets every commit quorum (so it holds every commit).
    pub fn election_quorum(&self) -> usize {
        let nodes = usize::from(self.nodes);
        (nodes / 2 + 1).max(nodes + 1 - self.quorum())
    }

    /// Bytes one event record of `payload_max` takes.
    pub fn record_max(&self) -> usize {
        record_len(self.payload_max)
    }

    /// The smallest MTU that carries one event of `payload_max` bytes.
    pub fn mtu_needed(&self) -> usize {
        size_of::<Header>() + size_of::<BatchHead>().max(size_of::<SubmitHead>()) + self.record_max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_majority() {
        let config = Config::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.quorum(), 2);
        assert_eq!(Config { nodes: 5, ..Config::default() }.quorum(), 3);
        assert_eq!(Config { nodes: 4, ..Config::default() }.quorum(), 3);
        assert_eq!(Config { nodes: 5, quorum: 5, ..Config::default() }.quorum(), 5);
    }

    #[test]
    fn every_bad_relationship_is_named() {
        let bad = |c: Config| c.validate().unwrap_err();
        let d = Config::default;
        assert_eq!(bad(Config { nodes: 1, ..d() }), ConfigError::TooFewNodes(1));
        assert_eq!(
            bad(Config { leader: NodeId(3), ..d() }),
            ConfigError::LeaderNotMember { leader: NodeId(3), nodes: 3 }
        );
        assert_eq!(bad(Config { quorum: 4, ..d() }), ConfigError::QuorumTooLarge { quorum: 4, nodes: 3 });
        assert!(matches!(bad(Config { mtu: 100, ..d() }), ConfigError::BadMtu { .. }));
        assert!(matches!(bad(Config { mtu: 70_000, ..d() }), ConfigError::BadMtu { .. }));
        assert!(matches!(bad(Config { payload_max: 2000, ..d() }), ConfigError::BadMtu { needed: 2088, .. }));
        assert!(matches!(bad(Config { ring_events: 1 << 14, ..d() }), ConfigError::RingTooSmall { .. }));
        assert!(matches!(bad(Config { window_events: 100, ..d() }), ConfigError::WindowTooSmall { .. }));
        assert_eq!(bad(Config { repairs_max: 0, ..d() }), ConfigError::Zero("repairs_max"));
        assert_eq!(bad(Config { clients_max: 70_000, ..d() }), ConfigError::TooManyClients(70_000));
        assert!(bad(Config { quorum: 4, ..d() }).to_string().contains("larger than the cluster"));
        let auto = || Config { failover: Failover::Auto, ..d() };
        assert!(matches!(bad(Config { deliver: Deliver::OnReceive, ..auto() }), ConfigError::FailoverNeeds(_)));
        assert!(matches!(bad(Config { window_events: 1 << 17, ..auto() }), ConfigError::RingBelowWindow { .. }));
        assert_eq!(bad(Config { election_timeout_ns: 0, ..auto() }), ConfigError::Zero("election_timeout_ns"));
        assert_eq!(bad(Config { nodes: 65, ..auto() }), ConfigError::FailoverNeeds("at most 64 members"));
    }

    #[test]
    fn every_electing_set_meets_every_commit_quorum() {
        for nodes in 2..=9u16 {
            for quorum in 1..=nodes {
                let config = Config { nodes, quorum, ..Config::default() };
                let (n, q, e) = (usize::from(nodes), config.quorum(), config.election_quorum());
                assert!(e + q > n && 2 * e > n && e <= n, "{nodes} nodes, quorum {quorum}: {e}");
            }
        }
        assert_eq!(Config::default().election_quorum(), 2);
    }
}
