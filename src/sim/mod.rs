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

use crate::core::{Client, Config, Deliver, Dest, Event, Follower, FollowerStats, Leader, Nanos, NodeId, SubmitError};
use crate::wire::{self, Frame};

/// What the simulator needs of a follower; implemented by [`Follower`], and
/// by deliberately broken variants in tests, to show the checker can fail.
pub trait FollowerNode {
    /// See [`Follower::handle_datagram`].
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]);
    /// See [`Follower::handle_timeout`].
    fn handle_timeout(&mut self, now: Nanos);
    /// See [`Follower::poll_transmit`].
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<crate::core::Transmit>;
    /// See [`Follower::poll_timeout`].
    fn poll_timeout(&self) -> Option<Nanos>;
    /// See [`Follower::poll_event`].
    fn poll_event(&mut self) -> Option<Event<'_>>;
    /// See [`Follower::stats`].
    fn stats(&self) -> FollowerStats;
}

impl FollowerNode for Follower {
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        Follower::handle_datagram(self, now, from, bytes)
    }
    fn handle_timeout(&mut self, now: Nanos) {
        Follower::handle_timeout(self, now)
    }
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<crate::core::Transmit> {
        Follower::poll_transmit(self, now, buf)
    }
    fn poll_timeout(&self) -> Option<Nanos> {
        Follower::poll_timeout(self)
    }
    fn poll_event(&mut self) -> Option<Event<'_>> {
        Follower::poll_event(self)
    }
    fn stats(&self) -> FollowerStats {
        *Follower::stats(self)
    }
}

/// Builds follower `id` of `config` at `now`.
pub type FollowerFactory<'a> = &'a dyn Fn(Config, NodeId, Nanos) -> Box<dyn FollowerNode>;

fn real_follower(config: Config, id: NodeId, now: Nanos) -> Box<dyn FollowerNode> {
    Box::new(Follower::new(config, id, now).expect("the simulator's config is valid"))
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
    /// Follower crash-and-restart episodes.
    pub crashes: u32,
    /// Partition episodes (symmetric or one-way, then healed).
    pub partitions: u32,
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
    /// Events delivered by followers.
    pub delivered: u64,
    /// Events reported lost by followers.
    pub lost: u64,
    /// Requests clients saw committed.
    pub committed: u64,
    /// Follower crashes.
    pub crashes: u64,
    /// Partitions made.
    pub partitions: u64,
    /// Datagrams the network dropped.
    pub dropped: u64,
    /// Datagrams the network duplicated.
    pub duplicated: u64,
}

impl Paths {
    /// Each counter with its name, in a fixed order.
    pub fn rows(&self) -> [(&'static str, u64); 14] {
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
            ("follower_crashes", self.crashes),
            ("partitions", self.partitions),
            ("datagrams_dropped", self.dropped),
            ("datagrams_duplicated", self.duplicated),
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
        ];
        for (mine, theirs) in fields {
            *mine += theirs;
        }
    }

    fn add_follower(&mut self, stats: &FollowerStats) {
        self.gaps += stats.gaps;
        self.naks_sent += stats.naks_sent;
        self.duplicates += stats.duplicates;
        self.delivered += stats.delivered;
        self.lost += stats.lost;
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
    Leader,
    Follower(usize),
    Client(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Crash(usize),
    Restart(usize),
    Cut { follower: usize, inbound: bool, outbound: bool },
    Heal(usize),
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Datagram { to: Who, from: Who, bytes: Vec<u8> },
    Fault(Fault),
}

struct FollowerSlot {
    node: Option<Box<dyn FollowerNode>>,
    incarnation: usize,
    cut_in: bool,
    cut_out: bool,
}

struct ClientSlot {
    client: Client,
    next_submit_at: Nanos,
    to_submit: u64,
}

/// The node id of follower slot `i` (the leader is node 0).
fn follower_id(i: usize) -> NodeId {
    NodeId(i as u16 + 1)
}

/// Base port of the made-up addresses (never bound, never sent to).
const PORT: u16 = 40_000;

fn addr(who: Who) -> SocketAddr {
    let port = match who {
        Who::Leader => PORT,
        Who::Follower(i) => PORT + 1 + i as u16,
        Who::Client(i) => PORT + 1000 + i as u16,
    };
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

fn who(at: SocketAddr) -> Who {
    match at.port() - PORT {
        0 => Who::Leader,
        p if p < 1000 => Who::Follower(usize::from(p) - 1),
        p => Who::Client(usize::from(p) - 1000),
    }
}

/// Most steps one run may take before it is called stuck.
const STEPS_MAX: u64 = 20_000_000;

struct Sim<'a> {
    config: SimConfig,
    core: Config,
    rng: Rng,
    now: Nanos,
    order: u64,
    queue: BinaryHeap<Reverse<(Nanos, u64, Item)>>,
    leader: Leader,
    followers: Vec<FollowerSlot>,
    clients: Vec<ClientSlot>,
    history: History,
    paths: Paths,
    heal_at: Nanos,
    factory: FollowerFactory<'a>,
    buf: Vec<u8>,
}

/// Runs one seed with real followers.
pub fn run(config: &SimConfig) -> Outcome {
    run_with(config, &real_follower)
}

/// Runs one seed with followers built by `factory`.
pub fn run_with(config: &SimConfig, factory: FollowerFactory<'_>) -> Outcome {
    let mut sim = Sim::new(config.clone(), factory);
    sim.run();
    Outcome { seed: config.seed, violation: sim.history.violation().cloned(), paths: sim.paths, end_ns: sim.now }
}

impl<'a> Sim<'a> {
    fn new(config: SimConfig, factory: FollowerFactory<'a>) -> Sim<'a> {
        let mut core = config.core.clone();
        core.nodes = config.followers + 1;
        core.leader = NodeId(0);
        let mut sim = Sim {
            rng: Rng::new(config.seed),
            now: 0,
            order: 0,
            queue: BinaryHeap::new(),
            leader: Leader::new(core.clone(), 0).expect("the simulator's config is valid"),
            followers: Vec::new(),
            clients: Vec::new(),
            history: History::default(),
            paths: Paths::default(),
            heal_at: config.fault_ns,
            factory,
            buf: vec![0; core.mtu],
            core,
            config,
        };
        for i in 0..usize::from(sim.config.followers) {
            let node = Some((sim.factory)(sim.core.clone(), follower_id(i), 0));
            let incarnation = sim.history.started(follower_id(i));
            sim.followers.push(FollowerSlot { node, incarnation, cut_in: false, cut_out: false });
        }
        let clients = sim.config.clients as u64;
        for i in 0..sim.config.clients as usize {
            let client = Client::new(sim.core.clone(), i as u32 + 1, addr(Who::Leader)).expect("valid config");
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

    fn schedule_faults(&mut self) {
        let followers = self.followers.len() as u64;
        let span = self.config.fault_ns;
        for _ in 0..self.config.crashes {
            let f = self.rng.range(0, followers) as usize;
            let at = self.rng.range(0, span);
            let down = self.rng.range(100_000, span / 2);
            self.push(at, Item::Fault(Fault::Crash(f)));
            self.push(at + down, Item::Fault(Fault::Restart(f)));
            self.heal_at = self.heal_at.max(at + down);
        }
        for _ in 0..self.config.partitions {
            let follower = self.rng.range(0, followers) as usize;
            let at = self.rng.range(0, span);
            let cut = self.rng.range(100_000, span / 2);
            let (inbound, outbound) = self.rng.pick(&[(true, true), (true, false), (false, true)]);
            self.push(at, Item::Fault(Fault::Cut { follower, inbound, outbound }));
            self.push(at + cut, Item::Fault(Fault::Heal(follower)));
            self.heal_at = self.heal_at.max(at + cut);
        }
    }

    fn faulty(&self) -> bool {
        self.now < self.heal_at
    }

    fn run(&mut self) {
        let deadline = self.heal_at + self.config.settle_ns;
        for _ in 0..STEPS_MAX {
            if self.now >= self.heal_at && self.converged().is_ok() {
                return self.finish(Ok(()));
            }
            let Some(at) = self.next_time() else { break };
            if at > deadline {
                break;
            }
            self.now = self.now.max(at);
            self.step();
        }
        let detail = match self.converged() {
            Err(state) if self.now > self.heal_at => {
                format!("not converged {} ns after the faults healed: {state}", self.now - self.heal_at)
            }
            Err(state) => format!("step limit ({STEPS_MAX}) reached before the faults healed: {state}"),
            Ok(()) => format!("step limit ({STEPS_MAX}) reached"),
        };
        self.finish(Err(detail));
    }

    fn finish(&mut self, converged: Result<(), String>) {
        for slot in &self.followers {
            if let Some(node) = &slot.node {
                self.paths.add_follower(&node.stats());
            }
        }
        let leader = self.leader.stats();
        self.paths.retransmitted += leader.events_retransmitted;
        self.paths.duplicates += leader.duplicates;
        self.paths.busy += leader.busy_sent;
        self.paths.unrecoverable += leader.unrecoverable_sent;
        for slot in &self.clients {
            self.paths.client_retries += slot.client.stats().retries;
        }
        self.history.finish(self.now, self.leader.seq_next(), converged);
    }

    fn converged(&self) -> Result<(), String> {
        let seq_next = self.leader.seq_next();
        if let Some((i, c)) = self.clients.iter().enumerate().find(|(_, c)| c.to_submit > 0 || c.client.pending() > 0) {
            return Err(format!("client {} has {} to submit, {} pending", i + 1, c.to_submit, c.client.pending()));
        }
        if self.leader.commit() + 1 != seq_next {
            return Err(format!("leader commit {} of {}", self.leader.commit(), seq_next - 1));
        }
        for (i, follower) in self.followers.iter().enumerate() {
            let next = self.history.next_of(follower.incarnation);
            if follower.node.is_none() {
                return Err(format!("follower {} is down", i + 1));
            }
            if next != seq_next {
                return Err(format!("follower {} delivered up to {} of {}", i + 1, next - 1, seq_next - 1));
            }
        }
        Ok(())
    }

    fn next_time(&self) -> Option<Nanos> {
        let queued = self.queue.peek().map(|Reverse((at, _, _))| *at);
        let leader = self.leader.poll_timeout();
        let followers = self.followers.iter().filter_map(|f| f.node.as_ref()?.poll_timeout());
        let clients = self.clients.iter().flat_map(|c| {
            let submit = (c.to_submit > 0).then_some(c.next_submit_at);
            [submit, c.client.poll_timeout()]
        });
        [queued, leader].into_iter().chain(clients).flatten().chain(followers).min()
    }

    fn step(&mut self) {
        let now = self.now;
        if self.queue.peek().is_some_and(|Reverse((at, _, _))| *at <= now) {
            let Reverse((_, _, item)) = self.queue.pop().expect("peeked");
            return match item {
                Item::Datagram { to, from, bytes } => self.deliver(to, from, &bytes),
                Item::Fault(fault) => self.fault(fault),
            };
        }
        if self.leader.poll_timeout().is_some_and(|at| at <= now) {
            self.leader.handle_timeout(now);
            return self.drain(Who::Leader);
        }
        for i in 0..self.followers.len() {
            let Some(node) = self.followers[i].node.as_mut() else { continue };
            if node.poll_timeout().is_some_and(|at| at <= now) {
                node.handle_timeout(now);
                return self.drain(Who::Follower(i));
            }
        }
        for i in 0..self.clients.len() {
            if self.clients[i].client.poll_timeout().is_some_and(|at| at <= now) {
                self.clients[i].client.handle_timeout(now);
                self.drain(Who::Client(i));
            }
            if self.clients[i].to_submit > 0 && self.clients[i].next_submit_at <= now {
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
                self.history.submitted(id, request, &payload);
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
        match fault {
            Fault::Crash(i) => {
                if let Some(node) = self.followers[i].node.take() {
                    self.paths.crashes += 1;
                    self.paths.add_follower(&node.stats());
                    self.history.crashed(self.followers[i].incarnation);
                }
            }
            Fault::Restart(i) => {
                if self.followers[i].node.is_none() {
                    self.followers[i].node = Some((self.factory)(self.core.clone(), follower_id(i), self.now));
                    self.followers[i].incarnation = self.history.started(follower_id(i));
                }
            }
            Fault::Cut { follower, inbound, outbound } => {
                self.paths.partitions += 1;
                self.followers[follower].cut_in |= inbound;
                self.followers[follower].cut_out |= outbound;
            }
            Fault::Heal(i) => (self.followers[i].cut_in, self.followers[i].cut_out) = (false, false),
        }
    }

    fn deliver(&mut self, to: Who, from: Who, bytes: &[u8]) {
        let (now, from_addr) = (self.now, addr(from));
        match to {
            Who::Leader => self.leader.handle_datagram(now, from_addr, bytes),
            Who::Follower(i) => match self.followers[i].node.as_mut() {
                Some(node) => node.handle_datagram(now, from_addr, bytes),
                None => return,
            },
            Who::Client(i) => self.clients[i].client.handle_datagram(now, from_addr, bytes),
        }
        self.drain(to);
    }

    /// Sends everything `who` has to send and records everything it reports.
    fn drain(&mut self, who: Who) {
        let now = self.now;
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            let transmit = match who {
                Who::Leader => self.leader.poll_transmit(now, &mut buf),
                Who::Follower(i) => match self.followers[i].node.as_mut() {
                    Some(node) => node.poll_transmit(now, &mut buf),
                    None => None,
                },
                Who::Client(i) => self.clients[i].client.poll_transmit(now, &mut buf),
            };
            let Some(transmit) = transmit else { break };
            self.route(who, transmit.dest, &buf[..transmit.len]);
        }
        self.buf = buf;
        self.record_events(who);
    }

    fn record_events(&mut self, who: Who) {
        match who {
            Who::Leader => while self.leader.poll_event().is_some() {},
            Who::Follower(i) => {
                let commit = self.leader.commit();
                let incarnation = self.followers[i].incarnation;
                let Some(node) = self.followers[i].node.as_mut() else { return };
                while let Some(event) = node.poll_event() {
                    match event {
                        Event::Deliver(e) => {
                            let (client, request) = (e.header.client.get(), e.header.request.get());
                            self.history.delivered(
                                self.now,
                                incarnation,
                                e.header.seq.get(),
                                client,
                                request,
                                e.payload,
                            );
                        }
                        Event::Lost { first, end } => self.history.lost(self.now, incarnation, first, end, commit),
                        Event::LeaderRestarted { old, new, .. } => self.history.epoch_changed(self.now, old, new),
                    }
                }
            }
            Who::Client(i) => {
                let id = self.clients[i].client.id();
                while let Some(done) = self.clients[i].client.poll_event() {
                    self.paths.committed += 1;
                    self.history.committed(self.now, id, done.request, done.seq, self.leader.commit());
                }
            }
        }
    }

    fn route(&mut self, from: Who, dest: Dest, bytes: &[u8]) {
        if from == Who::Leader {
            self.observe_leader(bytes);
        }
        match dest {
            Dest::Group => {
                for i in 0..self.followers.len() {
                    self.send(from, Who::Follower(i), bytes);
                }
            }
            Dest::Unicast(to) => self.send(from, who(to), bytes),
        }
    }

    /// Records every event the leader puts on the wire, for agreement.
    fn observe_leader(&mut self, bytes: &[u8]) {
        let Ok(datagram) = wire::parse(bytes) else { return };
        if let Frame::Data(batch) | Frame::Retransmit(batch) = datagram.frame {
            for e in batch.events {
                let (seq, client, request) = (e.header.seq.get(), e.header.client.get(), e.header.request.get());
                self.history.stamped(self.now, seq, client, request, e.payload);
            }
        }
    }

    fn send(&mut self, from: Who, to: Who, bytes: &[u8]) {
        let cut = match (from, to) {
            (Who::Leader, Who::Follower(i)) => self.followers[i].cut_in,
            (Who::Follower(i), Who::Leader) => self.followers[i].cut_out,
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
