//! A deterministic simulator: a leader, followers and clients in one thread,
//! one seeded PRNG, virtual time that jumps to the next event, and a network
//! that loses, duplicates, delays (so reorders), partitions and crashes.
//! Every run is checked against the invariants of DESIGN §3 by [`History`].

mod check;
mod rng;

pub use check::{History, Violation};
pub use rng::Rng;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{Ipv4Addr, SocketAddr};

use crate::core::{
    Client, ClientId, Config, Deliver, Dest, Epoch, Event, Failover, Member, MemberEvent, Nanos, NodeId, Seq,
    SubmitError,
};
use crate::wire::{self, Frame};

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
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<crate::core::Transmit> {
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

fn real_member(config: Config, id: NodeId, now: Nanos) -> Box<dyn SimNode> {
    Box::new(Member::new(config, id, now).expect("the simulator's config is valid"))
}

/// One run's cluster, load and faults.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// The seed of everything random in the run.
    pub seed: u64,
    /// Followers (the cluster is these plus the leader).
    pub followers: u16,
    /// Clients submitting at once.
    pub clients: u32,
    /// Events submitted in all.
    pub events: u64,
    /// Chance that a datagram is lost.
    pub loss: f64,
    /// Chance that a datagram arrives twice.
    pub dup: f64,
    /// Chance that a datagram is held back (so overtaken by later ones).
    pub reorder: f64,
    /// Crash-and-restart episodes of members that do not lead at the time.
    pub crashes: u32,
    /// Partition episodes (symmetric or one-way, then healed); with
    /// failover, the member cut off may be the leader.
    pub partitions: u32,
    /// With failover: crash-and-restart episodes of whoever leads then.
    pub leader_crashes: u32,
    /// With failover: a member (often the leader) stops for a while, then
    /// resumes and handles everything that came meanwhile.
    pub pauses: u32,
    /// With failover: an operator asks a random member to stand.
    pub promotions: u32,
    /// Without failover: after a random time the leader dies for good in
    /// its next turn that sends, before any datagram of the turn or between
    /// two (what it sent still arrives). Nothing converges then; the end
    /// check is durability as far as each live follower holds the log: a
    /// follower that holds a sequence a client was told is committed
    /// delivered it.
    pub leader_killed: bool,
    /// One-way network latency.
    pub latency_ns: u64,
    /// Faults (and load) happen within `[0, fault_ns)`.
    pub fault_ns: u64,
    /// After the faults heal, time allowed to converge.
    pub settle_ns: u64,
    /// The cluster's configuration (`nodes` is set from `followers`).
    pub core: Config,
}

/// Which profile a seed picks in [`SimConfig::mixed`].
const LOSS: [f64; 5] = [0.0, 0.0, 0.01, 0.05, 0.2];
const DUP: [f64; 3] = [0.0, 0.01, 0.05];
const REORDER: [f64; 3] = [0.0, 0.05, 0.2];

impl SimConfig {
    /// A small cluster with limits sized for quick runs.
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            followers: 2,
            clients: 2,
            events: 300,
            loss: 0.0,
            dup: 0.0,
            reorder: 0.0,
            crashes: 0,
            partitions: 0,
            leader_crashes: 0,
            pauses: 0,
            promotions: 0,
            leader_killed: false,
            latency_ns: 20_000,
            fault_ns: 20_000_000,
            settle_ns: 5_000_000_000,
            core: Config {
                mtu: 600,
                payload_max: 64,
                ring_events: 256,
                in_flight_max: 128,
                window_events: 256,
                clients_max: 8,
                client_pending_max: 64,
                nak_events_max: 128,
                repairs_max: 8,
                client_retry_ns: 5_000_000,
                busy_retry_ns: 200_000,
                election_timeout_ns: 2_000_000,
                ..Config::default()
            },
        }
    }

    /// A fault profile drawn from the seed: loss up to 20%, duplication up to
    /// 5%, reordering, crashes, partitions, and now and then limits so tight
    /// that BUSY and UNRECOVERABLE must happen.
    pub fn mixed(seed: u64) -> SimConfig {
        let mut rng = Rng::new(seed ^ 0x5eed_cafe);
        let mut config = SimConfig::new(seed);
        config.followers = rng.range(2, 5) as u16;
        config.clients = rng.range(1, 4) as u32;
        config.loss = rng.pick(&LOSS);
        config.dup = rng.pick(&DUP);
        config.reorder = rng.pick(&REORDER);
        config.crashes = rng.range(0, 3) as u32;
        config.partitions = rng.range(0, 3) as u32;
        if rng.chance(0.25) {
            config.core.ring_events = 40;
            config.core.in_flight_max = 32;
        }
        if rng.chance(0.2) {
            config.core.deliver = Deliver::OnReceive;
        }
        config
    }

    /// A failover profile drawn from the seed: the faults of [`mixed`](Self::mixed)
    /// (`SimConfig::mixed`) plus leader crashes, pauses (a leader that
    /// wakes up later), partitions of the leader and operator promotions
    /// that compete with automatic candidacies.
    pub fn failover(seed: u64) -> SimConfig {
        let mut rng = Rng::new(seed ^ 0x0fa1_10e5);
        let mut config = SimConfig::mixed(seed);
        config.core.failover = Failover::Auto;
        config.core.deliver = Deliver::OnCommit;
        config.core.window_events = config.core.window_events.min(config.core.ring_events);
        config.leader_crashes = rng.range(0, 3) as u32;
        config.pauses = rng.range(0, 3) as u32;
        config.promotions = rng.range(0, 2) as u32;
        config.partitions = rng.range(0, 4) as u32;
        config.crashes = rng.range(0, 2) as u32;
        if config.leader_crashes + config.pauses + config.partitions + config.promotions == 0 {
            config.leader_crashes = 1;
        }
        config
    }

    fn failover_on(&self) -> bool {
        self.core.failover != Failover::Off
    }
}

/// How often each protocol path ran, summed over a run (or many).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paths {
    /// Sequences followers found missing.
    pub gaps: u64,
    /// NAKs followers sent.
    pub naks_sent: u64,
    /// Events the leader resent.
    pub retransmitted: u64,
    /// Duplicates dropped (by followers, and retried SUBMITs at the leader).
    pub duplicates: u64,
    /// BUSY replies.
    pub busy: u64,
    /// UNRECOVERABLE replies.
    pub unrecoverable: u64,
    /// Client resends after a timeout.
    pub client_retries: u64,
    /// Events delivered by members.
    pub delivered: u64,
    /// Events reported lost by members.
    pub lost: u64,
    /// Requests clients saw committed.
    pub committed: u64,
    /// Member crashes (leaders included).
    pub crashes: u64,
    /// Partitions made.
    pub partitions: u64,
    /// Datagrams the network dropped.
    pub dropped: u64,
    /// Datagrams the network duplicated.
    pub duplicated: u64,
    /// Elections won.
    pub elections_won: u64,
    /// Elections lost (refused, timed out, or beaten by another candidate).
    pub elections_lost: u64,
    /// Leaders that stepped down for a newer epoch (stale leaders fenced).
    pub stale_fenced: u64,
    /// Frames of an older epoch dropped by members.
    pub stale_frames: u64,
    /// Uncommitted events dropped by followers joining a new leader.
    pub suffix_dropped: u64,
    /// Clients that turned to another member.
    pub client_redirects: u64,
    /// Retried requests an elected leader could not place and reported in
    /// doubt (taken by an earlier leader, outside the log it holds).
    pub in_doubt: u64,
}

/// The names of the failover rows of [`Paths::rows`].
pub const FAILOVER_PATHS: [&str; 6] = [
    "elections_won",
    "elections_lost",
    "stale_leaders_fenced",
    "stale_frames_dropped",
    "suffix_dropped",
    "client_redirects",
];

impl Paths {
    /// Each counter with its name, in a fixed order.
    pub fn rows(&self) -> [(&'static str, u64); 21] {
        [
            ("gaps_seen", self.gaps),
            ("naks_sent", self.naks_sent),
            ("events_retransmitted", self.retransmitted),
            ("duplicates_dropped", self.duplicates),
            ("busy", self.busy),
            ("unrecoverable", self.unrecoverable),
            ("client_retries", self.client_retries),
            ("events_delivered", self.delivered),
            ("events_reported_lost", self.lost),
            ("requests_committed", self.committed),
            ("member_crashes", self.crashes),
            ("partitions", self.partitions),
            ("datagrams_dropped", self.dropped),
            ("datagrams_duplicated", self.duplicated),
            ("elections_won", self.elections_won),
            ("elections_lost", self.elections_lost),
            ("stale_leaders_fenced", self.stale_fenced),
            ("stale_frames_dropped", self.stale_frames),
            ("suffix_dropped", self.suffix_dropped),
            ("client_redirects", self.client_redirects),
            ("requests_in_doubt", self.in_doubt),
        ]
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Paths) {
        let fields = [
            (&mut self.gaps, other.gaps),
            (&mut self.naks_sent, other.naks_sent),
            (&mut self.retransmitted, other.retransmitted),
            (&mut self.duplicates, other.duplicates),
            (&mut self.busy, other.busy),
            (&mut self.unrecoverable, other.unrecoverable),
            (&mut self.client_retries, other.client_retries),
            (&mut self.delivered, other.delivered),
            (&mut self.lost, other.lost),
            (&mut self.committed, other.committed),
            (&mut self.crashes, other.crashes),
            (&mut self.partitions, other.partitions),
            (&mut self.dropped, other.dropped),
            (&mut self.duplicated, other.duplicated),
            (&mut self.elections_won, other.elections_won),
            (&mut self.elections_lost, other.elections_lost),
            (&mut self.stale_fenced, other.stale_fenced),
            (&mut self.stale_frames, other.stale_frames),
            (&mut self.suffix_dropped, other.suffix_dropped),
            (&mut self.client_redirects, other.client_redirects),
            (&mut self.in_doubt, other.in_doubt),
        ];
        for (mine, theirs) in fields {
            *mine += theirs;
        }
    }

    /// Adds what a member counted in the role it has now, and its elections.
    fn add_member(&mut self, member: &Member) {
        if let Some(stats) = member.follower_stats() {
            self.gaps += stats.gaps;
            self.naks_sent += stats.naks_sent;
            self.duplicates += stats.duplicates;
            self.suffix_dropped += stats.suffix_dropped;
            self.delivered += stats.delivered;
            self.lost += stats.lost;
        }
        if let Some(stats) = member.leader_stats() {
            self.retransmitted += stats.events_retransmitted;
            self.duplicates += stats.duplicates;
            self.busy += stats.busy_sent;
            self.unrecoverable += stats.unrecoverable_sent;
            self.in_doubt += stats.in_doubt;
        }
        let elections = member.election_stats();
        self.elections_won += elections.won;
        self.elections_lost += elections.lost;
        self.stale_fenced += elections.stepped_down;
        self.stale_frames += member.rejects().wrong_epoch;
    }
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The run's seed.
    pub seed: u64,
    /// The first invariant broken, if any.
    pub violation: Option<Violation>,
    /// How often each path ran.
    pub paths: Paths,
    /// Virtual time at the end.
    pub end_ns: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Node(usize),
    Client(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    /// Crash a member that does not lead (or the leader), restart it later.
    Crash {
        leader: bool,
        down_ns: u64,
        pick: u64,
    },
    Restart(usize),
    Cut {
        pick: u64,
        leader: bool,
        inbound: bool,
        outbound: bool,
        cut_ns: u64,
    },
    Heal(usize),
    Pause {
        pick: u64,
        leader: bool,
        pause_ns: u64,
    },
    Promote(u64),
    /// Without failover: the leader dies for good in its next turn that
    /// sends anything, before any of its datagrams or between two of them.
    Kill,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Datagram { to: Who, from: Who, bytes: Vec<u8> },
    Fault(Fault),
}

struct NodeSlot {
    node: Option<Box<dyn SimNode>>,
    incarnation: usize,
    cut_in: bool,
    cut_out: bool,
    paused_until: Option<Nanos>,
    /// The highest epoch this incarnation's role has had (fencing: never down).
    epoch: Epoch,
}

struct ClientSlot {
    client: Client,
    next_submit_at: Nanos,
    to_submit: u64,
}

/// Base port of the made-up addresses (never bound, never sent to).
const PORT: u16 = 40_000;

fn addr(who: Who) -> SocketAddr {
    let port = match who {
        Who::Node(i) => PORT + i as u16,
        Who::Client(i) => PORT + 1000 + i as u16,
    };
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

fn who(at: SocketAddr) -> Who {
    match at.port() - PORT {
        p if p < 1000 => Who::Node(usize::from(p)),
        p => Who::Client(usize::from(p) - 1000),
    }
}

/// After a leader is killed for good, time for what it sent to arrive
/// (datagrams are delayed by at most 11 one-way latencies).
const KILLED_SETTLE_NS: Nanos = 10_000_000;

/// Most steps one run may take before it is called stuck.
const STEPS_MAX: u64 = 20_000_000;

struct Sim<'a> {
    config: SimConfig,
    core: Config,
    rng: Rng,
    now: Nanos,
    order: u64,
    queue: BinaryHeap<Reverse<(Nanos, u64, Item)>>,
    nodes: Vec<NodeSlot>,
    clients: Vec<ClientSlot>,
    history: History,
    paths: Paths,
    heal_at: Nanos,
    /// The leader is to die for good in its next turn that sends.
    dying: bool,
    /// When the leader was killed for good, if it was.
    killed_at: Option<Nanos>,
    factory: NodeFactory<'a>,
    buf: Vec<u8>,
    /// `SEQCAST_SIM_TRACE=1`: print faults, role changes, a stuck run's
    /// state and the end state (for a replay); with `SEQCAST_SIM_WATCH=c,r`
    /// also every leader frame that carries request `r` of client `c`.
    trace: bool,
}

/// Runs one seed with real members.
pub fn run(config: &SimConfig) -> Outcome {
    run_with(config, &real_member)
}

/// Runs one seed with members built by `factory`.
pub fn run_with(config: &SimConfig, factory: NodeFactory<'_>) -> Outcome {
    let mut sim = Sim::new(config.clone(), factory);
    sim.run();
    Outcome { seed: config.seed, violation: sim.history.violation().cloned(), paths: sim.paths, end_ns: sim.now }
}

impl<'a> Sim<'a> {
    fn new(config: SimConfig, factory: NodeFactory<'a>) -> Sim<'a> {
        let mut core = config.core.clone();
        core.nodes = config.followers + 1;
        core.leader = NodeId(0);
        let mut sim = Sim {
            rng: Rng::new(config.seed),
            now: 0,
            order: 0,
            queue: BinaryHeap::new(),
            nodes: Vec::new(),
            clients: Vec::new(),
            history: History::default(),
            paths: Paths::default(),
            heal_at: config.fault_ns,
            dying: false,
            killed_at: None,
            factory,
            buf: vec![0; core.mtu],
            trace: std::env::var_os("SEQCAST_SIM_TRACE").is_some(),
            core,
            config,
        };
        for i in 0..usize::from(sim.core.nodes) {
            let node = Some((sim.factory)(sim.core.clone(), NodeId(i as u16), 0));
            let incarnation = sim.history.started(NodeId(i as u16));
            let epoch = sim.core.epoch;
            sim.nodes.push(NodeSlot { node, incarnation, cut_in: false, cut_out: false, paused_until: None, epoch });
        }
        let clients = sim.config.clients as u64;
        let members: Vec<SocketAddr> = (0..sim.nodes.len()).map(|i| addr(Who::Node(i))).collect();
        for i in 0..sim.config.clients as usize {
            let id = ClientId(i as u32 + 1);
            let client = match sim.config.failover_on() {
                true => Client::with_failover(sim.core.clone(), id, members.clone()),
                false => Client::new(sim.core.clone(), id, addr(Who::Node(0))),
            };
            let client = client.expect("the simulator's config is valid");
            let to_submit = sim.config.events / clients + u64::from((i as u64) < sim.config.events % clients);
            sim.clients.push(ClientSlot { client, next_submit_at: 0, to_submit });
        }
        sim.schedule_faults();
        sim
    }

    fn push(&mut self, at: Nanos, item: Item) {
        self.order += 1;
        self.queue.push(Reverse((at, self.order, item)));
    }

    /// Draws every fault up front; which member a fault hits is chosen when
    /// it happens (the leader then may not be the leader now).
    fn schedule_faults(&mut self) {
        let span = self.config.fault_ns;
        let failover = self.config.failover_on();
        let mut last = span;
        for _ in 0..self.config.crashes {
            let (at, down_ns, pick) = (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            self.push(at, Item::Fault(Fault::Crash { leader: false, down_ns, pick }));
            last = last.max(at + down_ns);
        }
        for _ in 0..self.config.leader_crashes * u32::from(failover) {
            let (at, down_ns, pick) = (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            self.push(at, Item::Fault(Fault::Crash { leader: true, down_ns, pick }));
            last = last.max(at + down_ns);
        }
        for _ in 0..self.config.partitions {
            let (at, cut_ns, pick) = (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            let (inbound, outbound) = self.rng.pick(&[(true, true), (true, false), (false, true)]);
            let leader = failover && self.rng.chance(0.5);
            self.push(at, Item::Fault(Fault::Cut { pick, leader, inbound, outbound, cut_ns }));
            last = last.max(at + cut_ns);
        }
        for _ in 0..self.config.pauses * u32::from(failover) {
            let (at, pause_ns, pick) =
                (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            let leader = self.rng.chance(0.7);
            self.push(at, Item::Fault(Fault::Pause { pick, leader, pause_ns }));
            last = last.max(at + pause_ns);
        }
        for _ in 0..self.config.promotions * u32::from(failover) {
            let at = self.rng.range(0, span);
            let pick = self.rng.next_u64();
            self.push(at, Item::Fault(Fault::Promote(pick)));
        }
        if self.config.leader_killed && !failover {
            let at = self.rng.range(0, span);
            self.push(at, Item::Fault(Fault::Kill));
        }
        self.heal_at = last;
    }

    fn faulty(&self) -> bool {
        self.now < self.heal_at
    }

    fn run(&mut self) {
        let deadline = self.heal_at + self.config.settle_ns;
        for step in 0..STEPS_MAX {
            if self.trace && step % 1_000_000 == 999_999 {
                let due: Vec<_> = (0..self.nodes.len())
                    .filter_map(|i| {
                        Some((i, self.nodes[i].node.as_ref()?.member(), self.nodes[i].node.as_ref()?.poll_timeout()))
                    })
                    .map(|(i, m, t)| format!("{i}: {m:?} due {t:?}"))
                    .collect();
                let clients: Vec<_> =
                    self.clients.iter().map(|c| (c.client.poll_timeout(), c.next_submit_at, c.to_submit)).collect();
                let queued = self
                    .queue
                    .peek()
                    .map(|Reverse((at, _, item))| (*at, format!("{item:?}").chars().take(80).collect::<String>()));
                eprintln!("{:>12} step {step}: {due:?} clients {clients:?} queue {queued:?}", self.now);
            }
            if self.now >= self.heal_at && self.converged().is_ok() {
                return self.finish(Ok(()));
            }
            // What the killed leader sent has long arrived: the state is final.
            if self.killed_at.is_some_and(|at| self.now >= self.heal_at.max(at) + KILLED_SETTLE_NS) {
                return self.finish_leaderless();
            }
            let Some(at) = self.next_time() else { break };
            if at > deadline {
                break;
            }
            self.now = self.now.max(at);
            self.step();
        }
        if self.killed_at.is_some() {
            return self.finish_leaderless();
        }
        let detail = match self.converged() {
            Err(state) if self.now > self.heal_at => {
                format!("not converged {} ns after the faults healed: {state}", self.now - self.heal_at)
            }
            Err(state) => {
                format!("step limit ({STEPS_MAX}) reached at {} ns, before the faults healed: {state}", self.now)
            }
            Ok(()) => format!("step limit ({STEPS_MAX}) reached"),
        };
        self.finish(Err(detail));
    }

    fn finish(&mut self, converged: Result<(), String>) {
        self.tally();
        let seq_next =
            self.leader().map_or(0, |i| self.member(i).and_then(|m| m.leader()).map_or(0, |l| l.seq_next().get()));
        self.history.finish(self.now, seq_next, converged);
    }

    /// The end of a run whose leader was killed for good: each live
    /// follower's contiguous log is all it can ever deliver.
    fn finish_leaderless(&mut self) {
        self.tally();
        let held: Vec<(usize, u64)> = (self.nodes.iter())
            .filter_map(|slot| Some((slot.incarnation, slot.node.as_ref()?.member().follower()?.seq_held().get())))
            .collect();
        self.history.finish_leaderless(self.now, &held);
    }

    /// Prints the end state when tracing; adds what the members and clients
    /// counted to the paths.
    fn tally(&mut self) {
        if self.trace {
            for (i, slot) in self.nodes.iter().enumerate() {
                let Some(node) = &slot.node else { continue };
                let m = node.member();
                let f = m.follower().map(|f| (f.claim(), f.syncing(), f.may_vote(), f.commit(), f.seq_held()));
                eprintln!(
                    "end {i}: {m:?} {:?} follower (claim, syncing, may_vote, commit, held) {f:?}",
                    m.election_stats()
                );
                if let Some(f) = m.follower() {
                    eprintln!(
                        "    follower {:?} {:?} leader {:?} next {}",
                        f.stats(),
                        f.rejects(),
                        f.leader(),
                        f.seq_next_delivery()
                    );
                }
                if let Some(l) = m.leader() {
                    eprintln!("    leader {:?} commit {} next {}", l.stats(), l.commit(), l.seq_next());
                }
            }
            for slot in &self.clients {
                let c = &slot.client;
                eprintln!("client {}: to {} pending {} {:?}", c.id(), c.leader_addr(), c.pending(), c.stats());
            }
        }
        for slot in &self.nodes {
            if let Some(node) = &slot.node {
                self.paths.add_member(node.member());
            }
        }
        for slot in &self.clients {
            self.paths.client_retries += slot.client.stats().retries;
            self.paths.client_redirects += slot.client.stats().redirects;
        }
    }

    fn member(&self, i: usize) -> Option<&Member> {
        self.nodes[i].node.as_ref().map(|n| n.member())
    }

    /// The live member that leads in the newest epoch.
    fn leader(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.member(i).is_some_and(Member::is_leader))
            .max_by_key(|&i| self.member(i).map_or(Epoch::ZERO, Member::epoch))
    }

    /// Picks the leader (if `leader` and there is one) or another member.
    fn pick(&self, pick: u64, leader: bool) -> usize {
        match self.leader() {
            Some(i) if leader => i,
            Some(l) if self.nodes.len() > 1 => {
                let others: Vec<usize> = (0..self.nodes.len()).filter(|&i| i != l).collect();
                others[(pick % others.len() as u64) as usize]
            }
            _ => (pick % self.nodes.len() as u64) as usize,
        }
    }

    fn converged(&self) -> Result<(), String> {
        // A client told its requests are in doubt has no answer to wait for.
        let waiting =
            |c: &ClientSlot| c.client.leader_restarted().is_none() && (c.to_submit > 0 || c.client.pending() > 0);
        if let Some((i, c)) = self.clients.iter().enumerate().find(|(_, c)| waiting(c)) {
            return Err(format!("client {} has {} to submit, {} pending", i + 1, c.to_submit, c.client.pending()));
        }
        let Some(l) = self.leader() else { return Err("no leader".into()) };
        let leader = self.member(l).and_then(Member::leader).expect("a leader");
        let seq_next = leader.seq_next();
        if leader.commit() + 1 != seq_next {
            return Err(format!("leader {l} commit {} of {}", leader.commit(), seq_next - 1));
        }
        for (i, slot) in self.nodes.iter().enumerate() {
            let Some(node) = &slot.node else { return Err(format!("member {i} is down")) };
            let member = node.member();
            if i != l && (member.is_leader() || member.epoch() != leader.epoch()) {
                return Err(format!("member {i} is in epoch {}, leader {l} in {}", member.epoch(), leader.epoch()));
            }
            let next = Seq(self.history.next_of(slot.incarnation));
            if next != seq_next {
                return Err(format!("member {i} delivered up to {} of {}", next - 1, seq_next - 1));
            }
        }
        Ok(())
    }

    /// With failover, whether member `i` may crash now: the members down or
    /// back but not yet trusted to vote stay within what an election
    /// tolerates (`nodes - election_quorum`).
    fn may_lose(&self, i: usize) -> bool {
        if !self.config.failover_on() {
            return true;
        }
        let untrusted = |j: usize| self.member(j).is_none_or(|m| !m.may_vote());
        let others = (0..self.nodes.len()).filter(|&j| j != i && untrusted(j)).count();
        others < usize::from(self.core.nodes) - self.core.election_quorum()
    }

    fn awake(&self, i: usize) -> bool {
        self.nodes[i].paused_until.is_none_or(|until| until <= self.now)
    }

    fn next_time(&self) -> Option<Nanos> {
        let queued = self.queue.peek().map(|Reverse((at, _, _))| *at);
        let nodes = self.nodes.iter().filter_map(|slot| {
            let at = slot.node.as_ref()?.poll_timeout()?;
            Some(slot.paused_until.map_or(at, |until| at.max(until)))
        });
        let clients = self.clients.iter().flat_map(|c| {
            let submit = (c.to_submit > 0 && c.client.leader_restarted().is_none()).then_some(c.next_submit_at);
            [submit, c.client.poll_timeout()]
        });
        [queued].into_iter().chain(clients).flatten().chain(nodes).min()
    }

    fn step(&mut self) {
        let now = self.now;
        if self.queue.peek().is_some_and(|Reverse((at, _, _))| *at <= now) {
            let Reverse((_, _, item)) = self.queue.pop().expect("peeked");
            return match item {
                Item::Datagram { to, from, bytes } => self.deliver(to, from, bytes),
                Item::Fault(fault) => self.fault(fault),
            };
        }
        for i in 0..self.nodes.len() {
            if !self.awake(i) {
                continue;
            }
            let Some(node) = self.nodes[i].node.as_mut() else { continue };
            if node.poll_timeout().is_some_and(|at| at <= now) {
                node.handle_timeout(now);
                return self.drain(Who::Node(i));
            }
        }
        for i in 0..self.clients.len() {
            if self.clients[i].client.poll_timeout().is_some_and(|at| at <= now) {
                self.clients[i].client.handle_timeout(now);
                self.drain(Who::Client(i));
            }
            let in_doubt = self.clients[i].client.leader_restarted().is_some();
            if self.clients[i].to_submit > 0 && self.clients[i].next_submit_at <= now && !in_doubt {
                self.submit(i);
            }
        }
    }

    fn submit(&mut self, i: usize) {
        let len = self.rng.range(0, self.core.payload_max as u64 + 1) as usize;
        let payload: Vec<u8> = (0..len).map(|_| self.rng.next_u64() as u8).collect();
        let slot = &mut self.clients[i];
        match slot.client.submit(&payload) {
            Ok(request) => {
                slot.to_submit -= 1;
                let id = slot.client.id();
                self.history.submitted(id.get(), request, &payload);
            }
            Err(SubmitError::Full) => {}
            Err(error @ SubmitError::TooLarge { .. }) => panic!("simulator payload refused: {error}"),
        }
        // Spread the load over the fault window.
        let gap = self.config.fault_ns / self.config.events.max(1) * u64::from(self.config.clients);
        self.clients[i].next_submit_at = self.now + self.rng.range(1, 2 * gap.max(1));
        self.drain(Who::Client(i));
    }

    fn fault(&mut self, fault: Fault) {
        if self.trace {
            eprintln!("{:>12} fault {fault:?} (leader {:?})", self.now, self.leader());
        }
        match fault {
            Fault::Crash { leader, down_ns, pick } => {
                let i = self.pick(pick, leader);
                if !self.may_lose(i) {
                    // A member that restarts has lost its memory: more such
                    // at once than the cluster tolerates may lose commits.
                    return;
                }
                if let Some(node) = self.nodes[i].node.take() {
                    self.paths.crashes += 1;
                    self.paths.add_member(node.member());
                    self.history.crashed(self.nodes[i].incarnation);
                    self.nodes[i].paused_until = None;
                    self.push(self.now + down_ns, Item::Fault(Fault::Restart(i)));
                }
            }
            Fault::Kill => self.dying = true,
            Fault::Restart(i) => {
                if self.nodes[i].node.is_none() {
                    // With failover, a member comes back empty into a running
                    // cluster: epoch 0, it learns the leader by listening.
                    let mut config = self.core.clone();
                    if self.config.failover_on() {
                        config.epoch = Epoch::ZERO;
                    }
                    self.nodes[i].node = Some((self.factory)(config, NodeId(i as u16), self.now));
                    self.nodes[i].incarnation = self.history.started(NodeId(i as u16));
                    self.nodes[i].epoch = Epoch::ZERO;
                }
            }
            Fault::Cut { pick, leader, inbound, outbound, cut_ns } => {
                let i = self.pick(pick, leader);
                self.paths.partitions += 1;
                self.nodes[i].cut_in |= inbound;
                self.nodes[i].cut_out |= outbound;
                self.push(self.now + cut_ns, Item::Fault(Fault::Heal(i)));
            }
            Fault::Heal(i) => (self.nodes[i].cut_in, self.nodes[i].cut_out) = (false, false),
            Fault::Pause { pick, leader, pause_ns } => {
                let i = self.pick(pick, leader);
                if self.nodes[i].node.is_some() {
                    self.nodes[i].paused_until = Some(self.now + pause_ns);
                }
            }
            Fault::Promote(pick) => {
                let i = (pick % self.nodes.len() as u64) as usize;
                if self.awake(i)
                    && let Some(node) = self.nodes[i].node.as_mut()
                {
                    node.member_mut().promote(self.now);
                    self.drain(Who::Node(i));
                }
            }
        }
    }

    fn deliver(&mut self, to: Who, from: Who, bytes: Vec<u8>) {
        let (now, from_addr) = (self.now, addr(from));
        match to {
            Who::Node(i) => {
                if let Some(until) = self.nodes[i].paused_until.filter(|&until| until > now) {
                    // A stopped process: the datagram waits in its socket.
                    return self.push(until, Item::Datagram { to, from, bytes });
                }
                match self.nodes[i].node.as_mut() {
                    Some(node) => node.handle_datagram(now, from_addr, &bytes),
                    None => return,
                }
            }
            Who::Client(i) => self.clients[i].client.handle_datagram(now, from_addr, &bytes),
        }
        self.drain(to);
    }

    /// Sends everything `who` has to send and records everything it reports.
    fn drain(&mut self, who: Who) {
        let now = self.now;
        let mut buf = std::mem::take(&mut self.buf);
        // A dying leader stops before any datagram of this turn or between
        // two (as a process killed between two sends), else after the last.
        let dying = match who {
            Who::Node(i) if self.dying && self.leader() == Some(i) => Some(i),
            _ => None,
        };
        let mut sent = 0;
        loop {
            let transmit = match who {
                Who::Node(i) => match self.nodes[i].node.as_mut() {
                    Some(node) => node.poll_transmit(now, &mut buf),
                    None => None,
                },
                Who::Client(i) => self.clients[i].client.poll_transmit(now, &mut buf),
            };
            let Some(transmit) = transmit else { break };
            if let Some(i) = dying
                && self.rng.chance(0.5)
            {
                self.kill(i);
                break;
            }
            self.route(who, transmit.dest, &buf[..transmit.len]);
            sent += 1;
        }
        if let Some(i) = dying
            && sent > 0
        {
            self.kill(i);
        }
        self.buf = buf;
        self.record_events(who);
    }

    /// Member `i` dies for good (what it sent is on its way).
    fn kill(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].node.take() {
            self.paths.crashes += 1;
            self.paths.add_member(node.member());
            self.history.crashed(self.nodes[i].incarnation);
            (self.dying, self.killed_at) = (false, Some(self.now));
        }
    }

    fn commit_max(&self) -> u64 {
        self.history.commit_max()
    }

    fn record_events(&mut self, who: Who) {
        match who {
            Who::Node(i) => {
                let commit = self.commit_max();
                let incarnation = self.nodes[i].incarnation;
                let Some(node) = self.nodes[i].node.as_mut() else { return };
                let now = self.now;
                while let Some(event) = node.poll_event() {
                    match event {
                        MemberEvent::Log(Event::Deliver(e)) => {
                            let (client, request) = (e.header.client.get(), e.header.request.get());
                            self.history.delivered(now, incarnation, e.header.seq.get(), client, request, e.payload);
                        }
                        MemberEvent::Log(Event::Lost { first, end }) => {
                            self.history.lost(now, incarnation, first.get(), end.get(), commit)
                        }
                        MemberEvent::Log(Event::LeaderRestarted { old, new, .. }) => {
                            self.history.epoch_changed(now, old.get(), new.get())
                        }
                        MemberEvent::Elected { .. } | MemberEvent::Following { .. } if self.trace => {
                            eprintln!("{now:>12} member {i}: {event:?}");
                        }
                        MemberEvent::Elected { .. } | MemberEvent::Following { .. } => {}
                    }
                }
                let epoch = node.member().promised();
                if epoch < self.nodes[i].epoch {
                    let detail = format!("member {i} went from epoch {} back to {epoch}", self.nodes[i].epoch);
                    self.history.fail(7, now, detail);
                }
                self.nodes[i].epoch = epoch;
            }
            Who::Client(i) => {
                let id = self.clients[i].client.id();
                while let Some(done) = self.clients[i].client.poll_event() {
                    self.paths.committed += 1;
                    self.history.committed(self.now, id.get(), done.request, done.seq.get());
                }
            }
        }
    }

    fn route(&mut self, from: Who, dest: Dest, bytes: &[u8]) {
        if let Who::Node(i) = from {
            self.observe(i, bytes);
        }
        match dest {
            Dest::Group => {
                for i in (0..self.nodes.len()).filter(|&i| Who::Node(i) != from) {
                    self.send(from, Who::Node(i), bytes);
                }
            }
            Dest::Unicast(to) => self.send(from, who(to), bytes),
        }
    }

    /// Records what leaders put on the wire: every event stamped, every
    /// commit announced, and who leads each epoch.
    fn observe(&mut self, node: usize, bytes: &[u8]) {
        let Ok(datagram) = wire::parse(bytes) else { return };
        let epoch = datagram.header.epoch.get();
        match datagram.frame {
            Frame::Data(batch) | Frame::Retransmit(batch) => {
                self.history.leads(self.now, epoch, node);
                self.history.announced(batch.head.commit.get());
                for e in batch.events {
                    let (seq, client, request) = (e.header.seq.get(), e.header.client.get(), e.header.request.get());
                    if self.trace
                        && std::env::var("SEQCAST_SIM_WATCH").is_ok_and(|w| w == format!("{client},{request}"))
                    {
                        eprintln!(
                            "{:>12} member {node} epoch {epoch} sends seq {seq} = ({client}, {request})",
                            self.now
                        );
                    }
                    self.history.stamped(self.now, epoch, seq, client, request, e.payload);
                }
            }
            Frame::Heartbeat(heartbeat) => {
                self.history.leads(self.now, epoch, node);
                self.history.announced(heartbeat.commit.get());
            }
            Frame::Commit(commit) => self.history.announced(commit.head.commit.get()),
            _ => {}
        }
    }

    fn send(&mut self, from: Who, to: Who, bytes: &[u8]) {
        let cut = match (from, to) {
            (Who::Node(a), Who::Node(b)) => self.nodes[a].cut_out || self.nodes[b].cut_in,
            _ => false,
        };
        if cut {
            self.paths.dropped += 1;
            return;
        }
        let faulty = self.faulty();
        if faulty && self.rng.chance(self.config.loss) {
            self.paths.dropped += 1;
            return;
        }
        let copies = if faulty && self.rng.chance(self.config.dup) { 2 } else { 1 };
        self.paths.duplicated += copies - 1;
        for _ in 0..copies {
            let mut delay = self.config.latency_ns + self.rng.range(0, self.config.latency_ns / 2);
            if faulty && self.rng.chance(self.config.reorder) {
                delay += self.rng.range(0, 10 * self.config.latency_ns);
            }
            self.push(self.now + delay, Item::Datagram { to, from, bytes: bytes.to_vec() });
        }
    }
}

/// Runs every seed in `seeds` with the config `make(seed)` on `threads`
/// threads; the outcomes come back in seed order, whatever the threads did.
pub fn run_seeds(
    seeds: core::ops::Range<u64>,
    threads: usize,
    make: &(dyn Fn(u64) -> SimConfig + Sync),
) -> Vec<Outcome> {
    let next = std::sync::atomic::AtomicU64::new(seeds.start);
    let mut outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let seed = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if seed >= seeds.end {
                            return mine;
                        }
                        mine.push(run(&make(seed)));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a simulator thread panicked")).collect()
    });
    outcomes.sort_by_key(|o| o.seed);
    outcomes
}
