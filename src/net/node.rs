//! A leader or a follower as a running node: sockets, driver, histograms,
//! a once-a-second callback, and a clean stop. The binaries use these, and
//! so can any service that embeds seqcast.

use std::io;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};

use hdrhistogram::Histogram;

use super::NetError;
use super::driver::{Driver, Idle, Machine};
use super::socket::{Multicast, group_receiver, unicast};
use super::storage::{self, Stored};
use crate::auth::{Keys, TAG_LEN};
use crate::core::{
    Client, ClientId, Committed, Config, Epoch, Event, Failover, Follower, Leader, LeaderEvent, Member, MemberEvent,
    Nanos, NodeId, Seq, SubmitError,
};
use crate::journal::{Journal, JournalOptions, Recovery, SyncLevel};
use crate::net::report;
use crate::sys::{self, Clock};
use crate::wire::Kind;

/// How a node runs on its host (DESIGN §5: the levers after batching).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// How the node waits when idle.
    pub idle: Idle,
    /// Pin the node's thread to this CPU: [`apply_to_thread`](Self::apply_to_thread)
    /// does, called on the thread that runs the node (the nodes' `run`
    /// leave the service's threads as they are).
    pub pin_cpu: Option<usize>,
    /// The clock stamps and timers use.
    pub clock: Clock,
    /// Socket send and receive buffer size asked of the kernel.
    pub buffer_bytes: usize,
    /// Keys every datagram is sealed and opened with (DESIGN §9): a node
    /// or a read-only subscriber needs the cluster's ([`Keys::Member`]), a
    /// client any. `None`: no authentication, on any interface (`seqcast`
    /// refuses that off loopback without `--insecure`; an embedder decides).
    pub keys: Option<Keys>,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning { idle: Idle::Block, pin_cpu: None, clock: Clock::Monotonic, buffer_bytes: 4 << 20, keys: None }
    }
}

impl Tuning {
    /// The configuration the core runs with: with keys, datagrams are
    /// written `TAG_LEN` bytes short of the MTU, for the tag.
    fn core(&self, mut config: Config) -> Config {
        if self.keys.is_some() {
            config.mtu = config.mtu.saturating_sub(TAG_LEN);
            // Tagged frames can be replayed, never forged: new clients
            // echo an admission token (DESIGN §9), and a member back
            // empty proves its leader's HEARTBEAT fresh with a nonce.
            config.client_tokens = true;
            config.nonce_seed = std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), std::process::id());
        }
        config
    }

    /// A driver over `sockets` for a node of `config` (the wire's MTU);
    /// with keys, refused if the tag leaves too little room for an event.
    fn driver(&self, sockets: Vec<UdpSocket>, group: SocketAddrV4, config: &Config) -> Result<Driver, NetError> {
        if self.keys.is_some() {
            crate::auth::tag_fits(config).map_err(|why| NetError::Setting("mtu", why))?;
        }
        Ok(Driver::new(sockets, group, config.mtu, self.clock, self.idle, self.keys.clone())?)
    }

    /// Applies pinning (`pin_cpu`) and a 1 µs timer slack (sleeps end
    /// within a microsecond of their deadline) to the calling thread, as
    /// `seqcast` does before it runs a node: call it on the thread that
    /// will call `run`.
    pub fn apply_to_thread(&self) -> io::Result<()> {
        if let Some(cpu) = self.pin_cpu {
            sys::pin_to_cpu(cpu).map_err(|e| {
                let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
                let why = if cpu >= cpus { format!("this host has CPUs 0 to {}", cpus - 1) } else { e.to_string() };
                io::Error::new(e.kind(), format!("cannot pin to CPU {cpu}: {why}"))
            })?;
        }
        sys::set_timer_slack(1_000)
    }
}

const SECOND_NS: Nanos = 1_000_000_000;
/// Longest sleep, so a stop request is seen promptly.
const WAIT_MAX_NS: Nanos = 50_000_000;

/// How long one turn hands events to the application at most: the rest
/// waits for the next turn, after the sockets are read, the second ticked
/// and `stop()` looked at, however slow the application's callback (an
/// embedder's, 1 ms an event, over a backlog of a window's events, stopped
/// 14.6 s after its signal and missed every tick meanwhile).
const HAND_OUT_MAX: std::time::Duration = std::time::Duration::from_millis(10);

/// Records a resumed journal's replay reads at a time, `stop()` looked at
/// between reads.
const REPLAY_READ: usize = 4096;

/// A turn's handing out of events ([`HAND_OUT_MAX`]).
struct HandOut {
    /// When the turn's handing out began.
    started: std::time::Instant,
    /// How long it may last.
    limit: std::time::Duration,
    count: u32,
}

impl HandOut {
    /// A turn's handing out, bounded by [`HAND_OUT_MAX`], and for a member
    /// by a quarter of its election timeout (leading, its heartbeats wait
    /// for it; following, its ACKs).
    fn new(election_timeout_ns: Option<Nanos>) -> HandOut {
        let quarter = election_timeout_ns.map_or(HAND_OUT_MAX, |ns| std::time::Duration::from_nanos(ns / 4));
        HandOut { started: std::time::Instant::now(), limit: HAND_OUT_MAX.min(quarter), count: 0 }
    }

    /// After each event handed out: true once its limit ends this turn's,
    /// the rest left for the next. The clock is looked at after the 1st,
    /// 2nd, 4th and 8th event and every 16th, so a slow callback overruns
    /// the limit by at most as long again (from the 16th event on, by 16
    /// events; helper 182: every 16th alone let 16 events of 1.25 ms each
    /// pass a 20 ms election timeout), and a fast one pays a few reads a
    /// turn. A stop asked meanwhile does not end it, and that turn is the
    /// last: what a slow application has not taken by then is not handed
    /// out (with a journal, the next start replays it).
    fn enough(&mut self) -> bool {
        self.count = self.count.wrapping_add(1);
        let look = self.count.is_multiple_of(16) || (self.count < 16 && self.count.is_power_of_two());
        look && self.started.elapsed() >= self.limit
    }
}

/// Why a node's `run` returned without an error: only
/// [`Asked`](Stopped::Asked) is a stop the caller made. The others are
/// nodes that can take nothing more of their cluster; `seqcast` exits 3
/// on the first two (see its exit codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "only `Stopped::Asked` is a clean stop"]
pub enum Stopped {
    /// `stop()` returned true.
    Asked,
    /// A leader: a follower acknowledged a sequence it never gave
    /// ([`Leader::foreign_ack`]). The cluster holds a history it lacks
    /// (started without its journal, or in an epoch not newer than the
    /// last: see [`LeaderNode::bind`]); it commits nothing more.
    ForeignAck,
    /// A follower or a tail: a leader of a newer epoch speaks without its
    /// history (a sequencer restarted without its journal), reported to
    /// `on_event` as [`Event::LeaderRestarted`] first; it takes nothing of
    /// the new epoch. A member: its cluster elected a leader without
    /// commits it holds, reported the same way (`MemberEvent::Log`).
    LeaderRestarted,
    /// Its leader (or a member serving history) sent an event longer than
    /// this node's `payload_max` lets it hold ([`Follower::too_long`]): it
    /// returns once it has handed out every event before that one, and can
    /// deliver nothing from there on; give every node the same.
    TooLong,
}

impl core::fmt::Display for Stopped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Stopped::Asked => "stopped as asked",
            Stopped::ForeignAck => {
                "a follower acknowledged a sequence this leader never gave: the cluster holds a history it lacks"
            }
            Stopped::LeaderRestarted => "a leader speaks without this node's history: it takes nothing of it",
            Stopped::TooLong => "its leader sent an event longer than this node's payload_max lets it hold",
        })
    }
}

/// Why a follower's or a member's loop ended (see [`Stopped`]).
fn stopped(restarted: bool, too_long: bool) -> Stopped {
    match (restarted, too_long) {
        (true, _) => Stopped::LeaderRestarted,
        (_, true) => Stopped::TooLong,
        _ => Stopped::Asked,
    }
}

/// Runs `machine` on `driver` until `stop()`: each turn, `after_turn(machine,
/// now)` hands out its events (true if it left some for the next turn,
/// which then comes without waiting); once a second, `tick(now)`.
fn run_loop<M: Machine>(
    driver: &mut Driver,
    machine: &mut M,
    stop: &dyn Fn() -> bool,
    mut after_turn: impl FnMut(&mut M, Nanos) -> bool,
    mut tick: impl FnMut(&M, &Driver, Nanos),
) -> io::Result<()> {
    let mut tick_at = driver.now() + SECOND_NS;
    while !stop() {
        let now = driver.turn(machine);
        // True: it left events to hand out at the next turn.
        let more = after_turn(machine, now);
        if now >= tick_at {
            tick(machine, driver, now);
            // Seconds this process did not run (stopped, a paused VM) are
            // skipped, not made up for in a burst of ticks.
            tick_at = (tick_at + SECOND_NS).max(now + SECOND_NS / 2);
        }
        if !more {
            driver.wait(machine, tick_at.min(now + WAIT_MAX_NS))?;
        }
    }
    // What it sends as it stops (a leader handing its lead over) goes out.
    let now = driver.now();
    machine.stopped(now);
    driver.flush(now, machine);
    Ok(())
}

/// An epoch for a sequencer starting now: the wall clock in milliseconds,
/// newer than any an earlier run on a host with a sane clock took (what
/// `seqcast sequencer` takes unless given `--epoch`).
pub fn fresh_epoch() -> Epoch {
    Epoch(Clock::Realtime.now() / 1_000_000)
}

/// A running leader.
pub struct LeaderNode {
    driver: Driver,
    leader: Stored<Leader>,
    /// What its journal held when it started, if it resumed one (or
    /// had an empty segment removed).
    recovery: Option<Recovery>,
    ack_rtt: Histogram<u64>,
}

/// Its sockets and where its state machine stands, in a line.
impl std::fmt::Debug for LeaderNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderNode")
            .field("driver", &self.driver)
            .field("leader", &self.leader.machine)
            .field("journal", &self.leader.journal_dir())
            .finish_non_exhaustive()
    }
}

impl LeaderNode {
    /// Binds `listen` (where clients and followers send) and prepares the
    /// leader, journaling to `journal` if given (it then counts itself in a
    /// quorum only for what is durable); nothing runs until [`run`](Self::run).
    /// The address is bound before the journal is read: what arrives
    /// meanwhile waits in the socket's buffer and is handled once it runs.
    ///
    /// `config.epoch` must be newer than every epoch an earlier run of this
    /// leader spoke (followers take a leader of a newer epoch for one that
    /// restarted): [`fresh_epoch`] gives one. A configuration read from a
    /// cluster file says epoch 1.
    ///
    /// # Errors
    /// A bad configuration (with keys, an MTU with no room for the tag), an
    /// address that cannot be bound, a journal that cannot be opened (in
    /// use, of another node, damaged headers, events longer than
    /// `payload_max` allows) or whose options are not `config`'s, or one
    /// that this leader cannot resume (damaged, or of an epoch not older
    /// than `config.epoch`).
    pub fn bind(
        mut config: Config,
        listen: SocketAddrV4,
        multicast: &Multicast,
        tuning: &Tuning,
        journal: Option<&JournalOptions>,
    ) -> Result<LeaderNode, NetError> {
        config.journal = journal.is_some();
        config.journal_syncs = journal.is_none_or(|j| j.sync == SyncLevel::Batch);
        config.validate()?;
        multicast.validate()?;
        node_keys(tuning)?;
        // Bound before the journal is opened: a node whose address is taken
        // (the same id already running) leaves no journal directory behind.
        let socket = unicast(listen, multicast, tuning.buffer_bytes)?;
        let driver = tuning.driver(vec![socket], multicast.group, &config)?;
        let opened = storage::open(journal, &config, config.leader)?;
        if let Some((journal, recovery)) = &opened {
            storage::newer_than_led(config.epoch, journal, recovery)?;
        }
        let config = tuning.core(config);
        let epoch = config.epoch;
        let (leader, mut journal, recovery) = match opened {
            // One damaged before its first good record is refused as any
            // damaged one is, never taken for an empty journal to write over.
            Some((journal, recovery))
                if recovery.range.is_some() || recovery.damaged() || recovery.commit_file_beyond.is_some() =>
            {
                (storage::resume_leader(config, driver.now(), &journal, &recovery)?, Some(journal), Some(recovery))
            }
            opened => {
                let (journal, recovery) = storage::nothing_resumed(opened);
                (Leader::new(config, driver.now())?, journal, recovery)
            }
        };
        // Before anything goes out: a run that leaves no record on disk
        // leaves followers holding its epoch's events all the same.
        if let Some(journal) = journal.as_mut() {
            journal.write_led_epoch(epoch).map_err(NetError::Journal)?;
        }
        Ok(LeaderNode { driver, leader: Stored::new(leader, journal), recovery, ack_rtt: report::histogram() })
    }

    /// The address clients submit to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.driver.local_addr(0)
    }

    /// The state machine, for its counters.
    pub fn leader(&self) -> &Leader {
        &self.leader.machine
    }

    /// What its journal held when it started, if it resumed a log from one
    /// (or had an empty segment removed: see [`Recovery::empty_removed`]).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// The first sequence its journal keeps now, if it keeps one with
    /// records: past what [`recovery`](Self::recovery) names where
    /// retention deleted old segments as it started.
    pub fn journal_first(&self) -> Option<Seq> {
        self.leader.journal_first()
    }

    /// The driver, for its counters.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// ACK round trips seen, in nanoseconds.
    pub fn ack_rtt(&self) -> &Histogram<u64> {
        &self.ack_rtt
    }

    /// Runs until `stop()` ([`Stopped::Asked`]), calling `each_second` once
    /// a second; or until a follower acknowledges a sequence this leader
    /// never gave ([`Stopped::ForeignAck`]).
    pub fn run(
        &mut self,
        stop: &dyn Fn() -> bool,
        mut each_second: impl FnMut(&Leader, &Driver),
    ) -> io::Result<Stopped> {
        let histogram = &mut self.ack_rtt;
        let foreign = std::cell::Cell::new(false);
        let record = |leader: &mut Stored<Leader>, _| {
            while let Some(event) = leader.machine.poll_event() {
                if let LeaderEvent::AckRtt { rtt_ns, .. } = event {
                    histogram.saturating_record(rtt_ns.max(1));
                }
            }
            foreign.set(leader.machine.foreign_ack().is_some());
            false
        };
        let tick = |leader: &Stored<Leader>, driver: &Driver, _| each_second(&leader.machine, driver);
        run_loop(&mut self.driver, &mut self.leader, &|| stop() || foreign.get(), record, tick)?;
        Ok(if foreign.get() { Stopped::ForeignAck } else { Stopped::Asked })
    }
}

/// An order-sensitive fingerprint of what a follower delivered: two followers
/// that delivered the same events in the same order print the same digest.
#[derive(Clone, Copy, Debug, Eq)]
pub struct Digest {
    /// First sequence delivered or reported lost (0: none).
    pub first: u64,
    /// Last sequence delivered or reported lost.
    pub last: u64,
    /// Events delivered.
    pub events: u64,
    /// Sequences reported lost.
    pub lost: u64,
    /// A 64-bit hash over each event's sequence, origin and payload, in
    /// delivery order, and each run of lost sequences between deliveries
    /// (FxHash's step over a word per event, each event's own words folded
    /// in four lanes first). A run reported in pieces hashes as one.
    pub hash: u64,
    /// The run of lost sequences the hash ends with, if it ends with one,
    /// and the hash before it.
    lost_run: Option<(u64, u64)>,
    before_run: u64,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest { first: 0, last: 0, events: 0, lost: 0, hash: 0xcbf2_9ce4_8422_2325, lost_run: None, before_run: 0 }
    }
}

/// What the digest says: how it got there (a lost run in how many pieces) is not.
impl PartialEq for Digest {
    fn eq(&self, other: &Digest) -> bool {
        let said = |d: &Digest| (d.first, d.last, d.events, d.lost, d.hash);
        said(self) == said(other)
    }
}

/// The multiplier of FxHash's step.
const MIX: u64 = 0x517c_c1b7_2722_0a95;

/// FxHash's step: order-sensitive, one multiplication a word.
fn step(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(MIX)
}

/// One delivered event's words folded into one: the sequence, origin and
/// payload length start four lanes, and the payload's words go round them
/// (a last partial word padded with zeros, the length telling trailing
/// zeros apart). The lanes' steps depend neither on each other nor on the
/// events before, so the processor runs them side by side, where one chain
/// of a step a word would wait on every multiplication.
fn event_word(seq: u64, client: u64, request: u64, payload: &[u8]) -> u64 {
    let mut lanes = [
        step(0x243f_6a88_85a3_08d3, seq),
        step(0x1319_8a2e_0370_7344, client),
        step(0xa409_3822_299f_31d0, request),
        step(0x082e_fa98_ec4e_6c89, payload.len() as u64),
    ];
    let mut blocks = payload.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = step(*lane, u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
    }
    for (lane, word) in lanes.iter_mut().zip(blocks.remainder().chunks(8)) {
        let mut bytes = [0u8; 8];
        bytes[..word.len()].copy_from_slice(word);
        *lane = step(*lane, u64::from_le_bytes(bytes));
    }
    lanes[0] ^ lanes[1].rotate_left(16) ^ lanes[2].rotate_left(32) ^ lanes[3].rotate_left(48)
}

impl Digest {
    fn mix_word(&mut self, word: u64) {
        self.hash = step(self.hash, word);
    }

    /// Adds one event of the follower's output.
    pub fn add(&mut self, event: &MemberEvent<'_>) {
        match *event {
            MemberEvent::Log(Event::Deliver(e)) => {
                let seq = e.header.seq.get();
                if self.first == 0 {
                    self.first = seq;
                }
                self.last = seq;
                self.events += 1;
                self.lost_run = None;
                self.mix_word(event_word(seq, u64::from(e.header.client.get()), e.header.request.get(), e.payload));
            }
            MemberEvent::Log(Event::Lost { first, end }) => {
                if self.first == 0 {
                    self.first = first.get();
                }
                self.last = end.prev().get();
                self.lost += end - first;
                // The next piece of the run the hash ends with: hashed
                // again as one run, from the hash before it.
                let run = match self.lost_run {
                    Some((run_first, run_end)) if run_end == first.get() => (run_first, end.get()),
                    _ => {
                        self.before_run = self.hash;
                        (first.get(), end.get())
                    }
                };
                self.lost_run = Some(run);
                self.hash = self.before_run;
                self.mix_word(u64::MAX);
                self.mix_word(run.0);
                self.mix_word(run.1);
            }
            // Not a delivery: the digest covers what was delivered.
            MemberEvent::Log(Event::LeaderRestarted { .. })
            | MemberEvent::Elected { .. }
            | MemberEvent::Following { .. }
            | MemberEvent::JoinedEmpty { .. }
            | MemberEvent::Standing { .. }
            | MemberEvent::SteppedDown { .. } => {}
        }
    }
}

impl core::fmt::Display for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Sequences start at 1: a first of 0 is nothing delivered.
        if self.first == 0 {
            return write!(f, "seq none events 0 lost 0 hash {:016x}", self.hash);
        }
        write!(
            f,
            "seq {}..={} events {} lost {} hash {:016x}",
            self.first, self.last, self.events, self.lost, self.hash
        )
    }
}

/// The driver of a node that hears the group: its unicast socket (index 0,
/// where repairs, votes and clients arrive) and the group receiver.
fn group_driver(
    config: &Config,
    listen: SocketAddrV4,
    multicast: &Multicast,
    tuning: &Tuning,
) -> Result<Driver, NetError> {
    config.validate()?;
    node_keys(tuning)?;
    let unicast = unicast(listen, multicast, tuning.buffer_bytes)?;
    let group = group_receiver(multicast, tuning.buffer_bytes)?;
    tuning.driver(vec![unicast, group], multicast.group, config)
}

/// Refuses a client's keys for a node or a read-only subscriber, which
/// must open the members' frames and sign its own: with them it would run,
/// drop every frame of the cluster as failing its key, and say nothing
/// (an embedder's trial: a member stood for election every second and
/// delivered nothing).
fn node_keys(tuning: &Tuning) -> Result<(), NetError> {
    match &tuning.keys {
        Some(keys @ (Keys::Clients { .. } | Keys::Client { .. })) => Err(NetError::Setting(
            "key_file",
            format!(
                "the key file holds {}, not the member key: a node and a read-only subscriber need the \
                 cluster's key file (the one `seqcast keys new` made)",
                keys.held()
            ),
        )),
        _ => Ok(()),
    }
}

/// What a node delivered: stamp → delivery of the live stream, and how
/// many events were sequenced before it joined it (catch-up).
#[derive(Debug)]
struct Deliveries {
    histogram: Histogram<u64>,
    caught_up: u64,
    /// The first sequence of the live stream since the node started: the
    /// first its follower heard, or, leading first, the first of its own
    /// epoch (`None` before either).
    live_from: Option<Seq>,
    /// When the node started (its driver's clock, the one delivery times
    /// are read on): an event stamped before was sequenced before it heard
    /// anything, whatever its sequence.
    started: Nanos,
}

impl Deliveries {
    fn new(started: Nanos) -> Deliveries {
        Deliveries { histogram: report::histogram(), caught_up: 0, live_from: None, started }
    }

    /// Where the live stream started for a member in its present role,
    /// kept from the first role that knew it.
    fn live_from(&mut self, member: &Member) -> Seq {
        if self.live_from.is_none() {
            self.live_from = match (member.leader(), member.follower()) {
                (Some(leader), _) => Some(leader.epoch_start().next()),
                (None, Some(follower)) => Some(follower.live_from()).filter(|&s| s > Seq::ZERO),
                (None, None) => None,
            };
        }
        self.live_from.unwrap_or(Seq::ZERO)
    }

    /// Notes a delivered event, in the histogram if its sequence is at
    /// least `live_from` (the first its leader's live stream brought) and
    /// it was stamped after the node started. (Helper 149: a follower
    /// restarted while its leader's commit stood still first heard a
    /// HEARTBEAT whose commit was 4,000 events behind what the leader had
    /// sequenced; those events, 14 s old, went into the histogram.)
    fn record(&mut self, now: Nanos, live_from: Seq, event: &MemberEvent<'_>) {
        if let MemberEvent::Log(Event::Deliver(e)) = event {
            match e.header.seq() < live_from || e.header.stamp_ns.get() < self.started {
                true => self.caught_up += 1,
                false => self.histogram.saturating_record(now.saturating_sub(e.header.stamp_ns.get()).max(1)),
            }
        }
    }
}

/// A running follower.
pub struct FollowerNode {
    driver: Driver,
    follower: Stored<Follower>,
    /// What its journal held when it started, if it resumed one (or
    /// had an empty segment removed).
    recovery: Option<Recovery>,
    delivery: Deliveries,
    /// Whether deliveries go into `delivery` (not for a read-only
    /// subscriber, which reports no latency).
    timed: bool,
    digest: Digest,
    /// Events its journal replayed to the application before the live ones.
    replayed: u64,
    /// Its journal was replayed (see [`replay_journal`](Self::replay_journal)).
    journal_replayed: bool,
}

/// Its sockets and where its state machine stands, in a line.
impl std::fmt::Debug for FollowerNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowerNode")
            .field("driver", &self.driver)
            .field("follower", &self.follower.machine)
            .field("journal", &self.follower.journal_dir())
            .finish_non_exhaustive()
    }
}

impl FollowerNode {
    /// Joins the group and binds `listen` (where repairs come), as follower
    /// `id`, journaling to `journal` if given (it then ACKs only what is
    /// durable). It learns the epoch from the leader's first frame
    /// (`config.epoch` is not used; a journal it resumes says which epoch
    /// its log is of). Its sockets are bound, and the group joined, before
    /// the journal is read: what arrives meanwhile waits in their buffers
    /// and is handled once it runs.
    ///
    /// # Errors
    /// A bad configuration or id, an address that cannot be bound, a
    /// journal that cannot be opened (in use, of another node, damaged
    /// headers, events longer than `payload_max` allows) or whose options
    /// are not `config`'s.
    pub fn bind(
        mut config: Config,
        id: NodeId,
        listen: SocketAddrV4,
        multicast: &Multicast,
        tuning: &Tuning,
        journal: Option<&JournalOptions>,
    ) -> Result<FollowerNode, NetError> {
        config.epoch = Epoch::ZERO;
        config.journal = journal.is_some();
        config.journal_syncs = journal.is_none_or(|j| j.sync == SyncLevel::Batch);
        // A follower id the cluster has not: said before a journal is made for it.
        Follower::check(&config, id)?;
        let driver = group_driver(&config, listen, multicast, tuning)?;
        let mut opened = storage::open(journal, &config, id)?;
        if let Some((journal, recovery)) = opened.as_mut() {
            storage::drop_damaged(journal, recovery)?;
        }
        let config = tuning.core(config);
        let (follower, mut journal, recovery) = match opened {
            Some((journal, recovery)) if recovery.range.is_some() || recovery.commit_file_beyond.is_some() => {
                // What it held past the commit it knew may not be in the
                // leader's log: it goes once a leader is followed, and is
                // fetched again if it is; a sequencer refused leaves it.
                let mut follower = Follower::resume(config, id, driver.now(), recovery.commit, recovery.last_epoch)?;
                if let Some((_, last)) = recovery.range {
                    follower.keep_journal_tail(last);
                }
                // Its application was handed events past its commit (it
                // delivered on receipt): they count as delivered however
                // it delivers now.
                if let Some(last) = recovery.handed_out {
                    follower.handed_before_stop(last);
                }
                // Compared with a restarted sequencer's before its log is
                // taken (DESIGN §8): at its commit, and at the last it
                // handed out where that is past it (delivered on receipt,
                // now or before it stopped).
                let handed = Seq(follower.seq_next_delivery().get() - 1);
                for seq in [recovery.commit, handed.max(recovery.commit)] {
                    let mut at = None;
                    journal
                        .read(seq, seq.next(), 1, |entry| {
                            at = (entry.event.header.seq() == seq).then(|| entry.event.record.to_vec());
                        })
                        .map_err(NetError::Journal)?;
                    follower.keep_anchor(seq, at);
                }
                // A sequencer's log it refused: one it cannot check may have
                // grown from it.
                if let Some(epoch) = recovery.refused_log {
                    follower.refused_before(epoch);
                }
                // Committed past its records (they went in a truncation
                // whose next records a power loss took, or were removed):
                // taken again only from a log that reaches it.
                if let Some(commit) = recovery.commit_file_beyond {
                    follower.knows_committed(commit, recovery.commit_file_epoch);
                }
                (follower, Some(journal), Some(recovery))
            }
            opened => {
                let (journal, recovery) = storage::nothing_resumed(opened);
                (Follower::new(config, id, driver.now())?, journal, recovery)
            }
        };
        if let Some(journal) = journal.as_mut() {
            // Before anything is replayed or delivered: a restart must
            // know what its application may have been handed.
            storage::keep_handed_out(journal, follower.handed_out()).map_err(NetError::Journal)?;
        }
        let follower = Stored::new(follower, journal);
        let delivery = Deliveries::new(driver.now());
        let digest = Digest::default();
        Ok(FollowerNode {
            driver,
            follower,
            recovery,
            delivery,
            timed: true,
            digest,
            replayed: 0,
            journal_replayed: false,
        })
    }

    /// Joins the group and binds `listen` as a read-only subscriber from
    /// sequence `from` (see [`Follower::observe`]). It learns the epoch
    /// from the leader's first frame (`config.epoch` is not used). Give it
    /// [`Cluster::observer_config`](crate::net::cluster::Cluster::observer_config):
    /// `config.failover` decides whether it follows a newer leader
    /// elected by members; without, it takes only `config.leader`'s
    /// frames, and after an election hears no more.
    pub fn observe(
        config: Config,
        listen: SocketAddrV4,
        multicast: &Multicast,
        tuning: &Tuning,
        from: Seq,
    ) -> Result<FollowerNode, NetError> {
        let config = Config { epoch: Epoch::ZERO, ..config };
        let driver = group_driver(&config, listen, multicast, tuning)?;
        let config = tuning.core(config);
        let follower = Stored::new(Follower::observe(config, driver.now(), from)?, None);
        let delivery = Deliveries::new(driver.now());
        Ok(FollowerNode {
            driver,
            follower,
            recovery: None,
            delivery,
            timed: false,
            digest: Digest::default(),
            replayed: 0,
            journal_replayed: false,
        })
    }

    /// The address repairs are sent to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.driver.local_addr(0)
    }

    /// Delivers nothing past `last` (see [`Follower::deliver_until`]).
    pub fn deliver_until(&mut self, last: Seq) {
        self.follower.machine.deliver_until(last);
    }

    /// The state machine, for its counters.
    pub fn follower(&self) -> &Follower {
        &self.follower.machine
    }

    /// What its journal held when it started, if it resumed one (or had an
    /// empty segment removed: see [`Recovery::empty_removed`]).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// The first sequence its journal keeps now, if it keeps one with
    /// records: past what [`recovery`](Self::recovery) names where
    /// retention deleted old segments as it started.
    pub fn journal_first(&self) -> Option<Seq> {
        self.follower.journal_first()
    }

    /// The driver, for its counters.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Leader stamp → delivery, in nanoseconds of the node's clock, of the
    /// events its leader's live stream brought (see
    /// [`Follower::live_from`]; empty for a read-only subscriber).
    pub fn delivery(&self) -> &Histogram<u64> {
        &self.delivery.histogram
    }

    /// Events delivered that were sequenced before it heard its leader
    /// (it started late, or restarted): not in [`delivery`](Self::delivery).
    pub fn caught_up(&self) -> u64 {
        self.delivery.caught_up
    }

    /// What was delivered so far.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Events its journal replayed to the application at start, before the
    /// live ones its follower counts as delivered.
    pub fn replayed(&self) -> u64 {
        self.replayed
    }

    /// Runs until `stop()` ([`Stopped::Asked`]), handing each event to
    /// `on_event` in sequence order and calling `each_second` once a
    /// second; or until it can take nothing more of its cluster
    /// ([`Stopped::LeaderRestarted`], [`Stopped::TooLong`]). `on_event`
    /// runs on this thread, about 10 ms of it between two turns at most
    /// (more if a single call takes longer): an application slower than
    /// the events falls behind (its window fills, and it asks for repairs;
    /// far behind, it may be told events are gone), so hand lengthy work
    /// to a thread of its own. A stop leaves what the application has not
    /// taken by the last turn.
    ///
    /// A tail (see [`observe`](Self::observe)) that hears nobody says
    /// nothing: `each_second` sees it in the follower's
    /// [`stats`](Follower::stats) (`leader_frames()` still 0),
    /// [`leader_heard_ns_ago`](Follower::leader_heard_ns_ago) (growing),
    /// [`heard_sent`](Follower::heard_sent) (the end of the log its leader
    /// said, below the tail's start while it waits for events to come) and
    /// [`rejects`](Follower::rejects) (datagrams it dropped: another
    /// cluster id, a wrong key), as `seqcast tail` warns from them.
    pub fn run(
        &mut self,
        stop: &dyn Fn() -> bool,
        on_event: impl FnMut(&Event<'_>),
        each_second: impl FnMut(&Follower, &Driver),
    ) -> io::Result<Stopped> {
        self.run_turns(stop, on_event, || {}, each_second)
    }

    /// Hands `on_event` every committed event its resumed journal kept, in
    /// order, as [`run`](Self::run) does first unless this was called
    /// before it; then applies its journal's retention, which waits for
    /// that ([`journal_first`](Self::journal_first) then says what it
    /// deleted, as a program may tell its operator). Returns how many it
    /// handed out. Cut short by `stop()`, it deletes nothing, and `run`
    /// hands out nothing more of the journal.
    pub fn replay_journal(&mut self, stop: &dyn Fn() -> bool, mut on_event: impl FnMut(&Event<'_>)) -> io::Result<u64> {
        self.journal_replayed = true;
        if let Some(journal) = self.follower.journal() {
            let end = self.follower.machine.seq_next_delivery();
            self.replayed = replay(journal, end, &mut self.digest, stop, &mut on_event)?;
        }
        // Helper 164: a replay cut short by `stop()` deleted, by retention,
        // what it had yet to hand out.
        if !stop() {
            self.follower.replayed();
        }
        Ok(self.replayed)
    }

    /// As [`run`](Self::run), calling `after_events` after each turn that
    /// handed `on_event` anything, before the node waits for more: where a
    /// program that buffers its output writes it out (`seqcast tail`), so
    /// that what was delivered does not wait for the next datagram.
    pub fn run_turns(
        &mut self,
        stop: &dyn Fn() -> bool,
        mut on_event: impl FnMut(&Event<'_>),
        mut after_events: impl FnMut(),
        mut each_second: impl FnMut(&Follower, &Driver),
    ) -> io::Result<Stopped> {
        if !self.journal_replayed {
            let journaled = self.follower.journal().is_some();
            self.replay_journal(stop, &mut on_event)?;
            if journaled {
                after_events();
            }
        }
        let (deliveries, digest, timed) = (&mut self.delivery, &mut self.digest, self.timed);
        let (restarted, too_long) = (std::cell::Cell::new(false), std::cell::Cell::new(false));
        let deliver = |follower: &mut Stored<Follower>, now: Nanos| {
            // Once it has handed out all it can hold, before the first it cannot.
            let first = follower.machine.too_long().map(|(seq, _)| seq);
            too_long.set(first.is_some_and(|seq| follower.machine.seq_next_delivery() >= seq));
            let (mut any, mut more, mut hand_out) = (false, false, HandOut::new(None));
            let live_from = follower.machine.live_from();
            while let Some(event) = follower.machine.poll_event() {
                if timed {
                    deliveries.record(now, live_from, &MemberEvent::Log(event));
                }
                digest.add(&MemberEvent::Log(event));
                on_event(&event);
                restarted.set(restarted.get() || matches!(event, Event::LeaderRestarted { .. }));
                any = true;
                if hand_out.enough() {
                    more = true;
                    break;
                }
            }
            if any {
                after_events();
            }
            more
        };
        let tick = |f: &Stored<Follower>, driver: &Driver, _| each_second(&f.machine, driver);
        run_loop(&mut self.driver, &mut self.follower, &|| stop() || restarted.get() || too_long.get(), deliver, tick)?;
        Ok(stopped(restarted.get(), too_long.get()))
    }
}

/// Hands `on_event` every event a resumed journal holds before `end`, in
/// order, reporting what it never held as lost; returns how many it handed.
/// `stop()` is looked at between reads of [`REPLAY_READ`] records: stopped,
/// it returns what it handed so far (the node's loop then stops at once).
fn replay(
    journal: &Journal,
    end: Seq,
    digest: &mut Digest,
    stop: &dyn Fn() -> bool,
    mut on_event: impl FnMut(&Event<'_>),
) -> io::Result<u64> {
    let (mut next, mut count, mut pos) = (journal.first(), 0, crate::journal::ReadPos::default());
    let mut from = next;
    while from < end {
        if stop() {
            return Ok(count);
        }
        let read = journal
            .read_on(&mut pos, from, end, (REPLAY_READ, usize::MAX), |entry| {
                if entry.seq() > next {
                    let lost = Event::Lost { first: next, end: entry.seq() };
                    digest.add(&MemberEvent::Log(lost));
                    on_event(&lost);
                }
                let event = Event::Deliver(entry.event);
                digest.add(&MemberEvent::Log(event));
                on_event(&event);
                (next, count) = (entry.seq().next(), count + 1);
            })
            .map_err(io::Error::other)?;
        if read <= from {
            break;
        }
        from = read;
    }
    // A hole after its last record before `end` (sequences it was told
    // were lost, a life that stopped before it said so): the node goes on
    // from `end`.
    if count > 0 && next < end {
        let lost = Event::Lost { first: next, end };
        digest.add(&MemberEvent::Log(lost));
        on_event(&lost);
    }
    Ok(count)
}

/// A running member of a cluster with failover: it leads or follows, and
/// changes role when an election says so (DESIGN §2).
pub struct MemberNode {
    driver: Driver,
    member: Stored<Member>,
    /// What its journal held when it started, if it resumed one (or
    /// had an empty segment removed).
    recovery: Option<Recovery>,
    delivery: Deliveries,
    digest: Digest,
    /// Its journal was replayed (see [`replay_journal`](Self::replay_journal)).
    journal_replayed: bool,
    /// Its configuration's election timeout: a turn's handing out of
    /// events lasts a quarter of it at most.
    election_timeout_ns: Nanos,
}

/// Its sockets and where its state machine stands, in a line.
impl std::fmt::Debug for MemberNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberNode")
            .field("driver", &self.driver)
            .field("member", &self.member.machine)
            .field("journal", &self.member.journal_dir())
            .finish_non_exhaustive()
    }
}

impl MemberNode {
    /// Joins the group and binds `listen` (where clients, members and the
    /// operator send), as member `id`. `config.epoch` 0: it rejoins a running
    /// cluster; otherwise it starts a new one (the leader, if `id` is
    /// `config.leader`). With `journal` it journals what it holds (ACKs
    /// and, leading, its own count wait for it); a journal that holds
    /// anything is resumed (see [`Member::resume_member`]): the member
    /// rejoins with what it holds, whatever `config.epoch` says. Its sockets
    /// are bound, and the group joined, before the journal is read: what
    /// arrives meanwhile waits in their buffers and is handled once it runs.
    ///
    /// Whatever it resumes, it stands for election only in epochs above
    /// the milliseconds of its start ([`Member::stand_above`]).
    ///
    /// Members elect a leader when theirs fails: `config.failover` `Off`
    /// (what a cluster file read gives) is taken as `Auto`; give `Manual`
    /// for elections only on `seqcast promote`. `config.members` (every
    /// member's address by id, as `seqcast member` fills in from the
    /// cluster file) pins where a leader sends each member's repairs.
    pub fn bind(
        mut config: Config,
        id: NodeId,
        listen: SocketAddrV4,
        multicast: &Multicast,
        tuning: &Tuning,
        journal: Option<&JournalOptions>,
    ) -> Result<MemberNode, NetError> {
        if config.failover == Failover::Off {
            config.failover = Failover::Auto;
        }
        multicast.validate()?;
        config.journal = journal.is_some();
        config.journal_syncs = journal.is_none_or(|j| j.sync == SyncLevel::Batch);
        let driver = group_driver(&config, listen, multicast, tuning)?;
        let opened = storage::open(journal, &config, id)?;
        let config = tuning.core(config);
        let election_timeout_ns = config.election_timeout_ns;
        let (mut member, journal, recovery) = match opened {
            Some((mut journal, recovery))
                if recovery.range.is_some()
                    || recovery.claim.is_some()
                    || recovery.damaged()
                    || recovery.reach.is_some() =>
            {
                let member = storage::resume_member(config, id, driver.now(), &mut journal, &recovery)?;
                (member, Some(journal), Some(recovery))
            }
            opened => {
                let (journal, recovery) = storage::nothing_resumed(opened);
                (Member::new(config, id, driver.now())?, journal, recovery)
            }
        };
        // Epochs it stands in name no log of an earlier run (DESIGN §2).
        member.stand_above(fresh_epoch());
        let mut member = Stored::new(member, journal);
        // The claim file already says this: not written again at once (a
        // damaged journal's was rewritten not whole: it is written whole
        // again once the member holds its log again).
        let on_disk = recovery.as_ref().and_then(Recovery::member_claim);
        member.claimed_on_disk(on_disk);
        let delivery = Deliveries::new(driver.now());
        let digest = Digest::default();
        Ok(MemberNode { driver, member, recovery, delivery, digest, journal_replayed: false, election_timeout_ns })
    }

    /// The address clients, members and the operator send to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.driver.local_addr(0)
    }

    /// The state machine, for its role and counters.
    pub fn member(&self) -> &Member {
        &self.member.machine
    }

    /// What its journal held when it started, if it resumed one (or had an
    /// empty segment removed: see [`Recovery::empty_removed`]).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// The first sequence its journal keeps now, if it keeps one with
    /// records: past what [`recovery`](Self::recovery) names where
    /// retention deleted old segments as it started.
    pub fn journal_first(&self) -> Option<Seq> {
        self.member.journal_first()
    }

    /// The driver, for its counters.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Leader stamp → delivery, in nanoseconds of the node's clock, of the
    /// live stream since it started (see [`caught_up`](Self::caught_up)).
    pub fn delivery(&self) -> &Histogram<u64> {
        &self.delivery.histogram
    }

    /// Events delivered that were sequenced before it first heard a leader
    /// (it started late, or restarted), or, if it led first, before its own
    /// epoch began (a cluster restarted whole): not in
    /// [`delivery`](Self::delivery).
    pub fn caught_up(&self) -> u64 {
        self.delivery.caught_up
    }

    /// What was delivered so far.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Hands `on_event` every committed event its resumed journal kept, in
    /// order and with `now` 0, as [`run`](Self::run) does first unless this
    /// was called before it; then applies its journal's retention, which
    /// waits for that ([`journal_first`](Self::journal_first) then says
    /// what it deleted). Returns how many it handed out. Cut short by
    /// `stop()`, it deletes nothing, and `run` hands out nothing more of
    /// the journal.
    pub fn replay_journal(
        &mut self,
        stop: &dyn Fn() -> bool,
        mut on_event: impl FnMut(&MemberEvent<'_>, Nanos),
    ) -> io::Result<u64> {
        self.journal_replayed = true;
        let mut replayed = 0;
        if let Some(journal) = self.member.journal() {
            let end = self.member.machine.seq_next_delivery();
            replayed = replay(journal, end, &mut self.digest, stop, |event| on_event(&MemberEvent::Log(*event), 0))?;
        }
        // Not after a replay cut short (see `FollowerNode::replay_journal`).
        if !stop() {
            self.member.replayed();
        }
        Ok(replayed)
    }

    /// Runs until `stop()` ([`Stopped::Asked`]), handing each event
    /// (deliveries and role changes) to `on_event(event, now)` and calling
    /// `each_second` once a second; or until it refuses its cluster's
    /// leader ([`Stopped::LeaderRestarted`]) or cannot hold what it is sent
    /// ([`Stopped::TooLong`]). What a resumed journal replays first comes
    /// with `now` 0, from the journal's first record: an application that
    /// keeps state of its own skips what it applied before.
    ///
    /// `on_event` runs on this thread, between the node's turns: about
    /// 10 ms of it a turn at most, or a quarter of the election timeout if
    /// less (more if a single call takes longer), the rest at the next
    /// turn. An application slower than the events falls behind; leading,
    /// it slows the cluster's clients (what it has not taken counts
    /// against `in_flight_max`), and every client waits for a commit as
    /// long as the node's turns last, so hand lengthy work to a thread of
    /// its own. A stop leaves what the application has not taken by the
    /// last turn (with a journal, the next start replays it).
    pub fn run(
        &mut self,
        stop: &dyn Fn() -> bool,
        mut on_event: impl FnMut(&MemberEvent<'_>, Nanos),
        mut each_second: impl FnMut(&Member, &Driver),
    ) -> io::Result<Stopped> {
        if !self.journal_replayed {
            self.replay_journal(stop, &mut on_event)?;
        }
        let (deliveries, digest, election_timeout_ns) =
            (&mut self.delivery, &mut self.digest, self.election_timeout_ns);
        let (restarted, too_long) = (std::cell::Cell::new(false), std::cell::Cell::new(false));
        let deliver = |member: &mut Stored<Member>, now: Nanos| {
            // Leading or following, what is left waits for the next turn:
            // a follower's window keeps its slots until then, and a leader's
            // ring what its application has not taken (its clients wait).
            // Its heartbeats and ACKs go between turns (an embedder's trial:
            // a leader's callback of 300 µs an event, handed a turn's events
            // at once, held its heartbeats back, and the others elected
            // another leader twenty times in 8 s).
            let first = member.machine.follower().and_then(|f| f.too_long()).map(|(seq, _)| seq);
            too_long.set(first.is_some_and(|seq| member.machine.seq_next_delivery() >= seq));
            let mut hand_out = HandOut::new(Some(election_timeout_ns));
            let live_from = deliveries.live_from(&member.machine);
            while let Some(event) = member.machine.poll_event() {
                deliveries.record(now, live_from, &event);
                digest.add(&event);
                on_event(&event, now);
                restarted.set(restarted.get() || matches!(event, MemberEvent::Log(Event::LeaderRestarted { .. })));
                if hand_out.enough() {
                    return true;
                }
            }
            false
        };
        let tick = |m: &Stored<Member>, driver: &Driver, _| each_second(&m.machine, driver);
        run_loop(&mut self.driver, &mut self.member, &|| stop() || restarted.get() || too_long.get(), deliver, tick)?;
        Ok(stopped(restarted.get(), too_long.get()))
    }
}

/// A client of a running cluster: submit events, learn their sequence
/// numbers when they commit. Single-threaded: call [`poll`](Self::poll)
/// (and [`wait`](Self::wait) when idle) from the thread that owns it.
#[derive(Debug)]
pub struct ClientNode {
    driver: Driver,
    client: Client,
}

/// How long [`ClientNode::connect_failover`] listens to the group for its
/// leader, at most.
pub const LEADER_LISTEN: std::time::Duration = std::time::Duration::from_millis(300);

/// The member of `config`'s cluster whose DATA or HEARTBEAT the group
/// carries: the newest epoch heard within `listen`, or until the first
/// HEARTBEAT (an idle leader sends one every `heartbeat_interval_ns`).
/// `None` if nothing was heard, or the group cannot be joined.
///
/// A hint only, and a client follows the members' answers ("not leader,
/// node X leads") whichever it starts at. With `keys` holding the member
/// key only frames it opens count; a client's keys cannot open a member's
/// frames, so for a client a forged one may point elsewhere: a live member
/// there names the leader at once, a dead one costs a timeout before the
/// client tries the next member.
///
/// # Errors
///
/// [`NetError::Setting`] (`cluster file`) when the only leaders heard list
/// another node count than `config` (this host's file is stale, the
/// cluster was reshaped; or the cluster split and theirs is), also over
/// eleven election timeouts, in which its own cluster, electing, would
/// have spoken: those members take a client's requests, and it takes
/// none of their answers, so what they commit it reports unconfirmed. Not
/// with client keys, which cannot open a member's frames (a forged one
/// must not keep a client from starting).
pub fn leader_heard(
    config: &Config,
    multicast: &Multicast,
    keys: Option<&Keys>,
    listen: std::time::Duration,
) -> Result<Option<NodeId>, NetError> {
    // The newest leader of its own node count (epoch, id), and the shape of
    // a leader of another.
    let mut state: (Option<(u64, u16)>, Option<u32>) = (None, None);
    let leaders = [Kind::Data, Kind::Heartbeat];
    if group_headers(config, multicast, keys, (listen, &leaders), |h| take_leader(config, &mut state, h)).is_none() {
        return Ok(None);
    }
    // Only leaders of another node count: before it says this file is the
    // stale one, its own cluster may be electing (members that never heard
    // a leader wait ten election timeouts before they stand).
    let opens_members = keys.is_none_or(|keys| matches!(keys, Keys::Member { .. }));
    if state.0.is_none() && state.1.is_some() && opens_members {
        let election = std::time::Duration::from_nanos(config.election_timeout_ns.saturating_mul(11));
        let more = election.saturating_sub(listen);
        group_headers(config, multicast, keys, (more, &leaders), |h| take_leader(config, &mut state, h));
    }
    let (heard, other_shape) = state;
    let other_shape = other_shape.filter(|_| opens_members);
    match (heard, other_shape) {
        (None, Some(shape)) => Err(NetError::Setting(
            "cluster file",
            format!(
                "the only leaders heard on group {} run with {}, but this client's cluster file says {}: this \
                 host's file is stale (the cluster was reshaped?), or, if the cluster split, theirs is. Members \
                 of another node count take a client's requests, but it takes none of their answers, so it would \
                 report what they commit as unconfirmed: give every host the cluster's file",
                multicast.group,
                crate::core::shape_text(shape),
                crate::core::shape_text(config.shape())
            ),
        )),
        (heard, _) => Ok(heard.map(|(_, sender)| NodeId(sender))),
    }
}

/// [`leader_heard`]'s look at one leader's frame: the newest leader of
/// `config`'s node count (epoch, id) in `state.0`, the shape of one of
/// another in `state.1`. True at a HEARTBEAT of its own node count.
fn take_leader(config: &Config, state: &mut (Option<(u64, u16)>, Option<u32>), header: &crate::wire::Header) -> bool {
    let (kind, sender, epoch, shape) = (header.kind(), header.sender.get(), header.epoch.get(), header.token.get());
    // A sequencer started with the members' file leads none of them.
    if header.from_sequencer() {
        return false;
    }
    // A leader whose file lists another node count (a group split off by a
    // stale file) is not this client's cluster's.
    if crate::core::other_node_count(shape, config.nodes) {
        state.1.get_or_insert(shape);
        return false;
    }
    if sender >= config.nodes {
        return false;
    }
    if state.0.is_none_or(|(newest, _)| epoch > newest) {
        state.0 = Some((epoch, sender));
    }
    kind == Kind::Heartbeat
}

/// Every member of `config`'s cluster heard on its group within `listen`,
/// leading (a DATA or HEARTBEAT) or not (a VOTE_REQUEST: it stands, or
/// asks where the others are fenced), in id order, and how many frames of
/// the cluster `keys` did not open. `None` if the group cannot be joined.
/// With `keys` holding the member key only frames it opens count (a forged
/// frame of another shape would otherwise stop `seqcast member --reshape`),
/// and the others are counted (a member run with other keys is one it
/// cannot see); without one, nothing here is authenticated: an operator's
/// check, not a decision.
pub fn members_heard(
    config: &Config,
    multicast: &Multicast,
    keys: Option<&Keys>,
    listen: std::time::Duration,
) -> Option<(Vec<MemberSeen>, u64)> {
    // By id and shape: in a split one id may run in both.
    let mut heard = std::collections::BTreeMap::<(u16, u32), MemberSeen>::new();
    let kinds = [Kind::Data, Kind::Heartbeat, Kind::VoteRequest];
    let unopened = group_headers(config, multicast, keys, (listen, &kinds), |header| {
        let node = NodeId(header.sender.get());
        let (epoch, shape, leads) = (header.epoch(), header.token.get(), header.kind() != Kind::VoteRequest);
        let now = MemberSeen { node, epoch, shape, leads };
        let seen = heard.entry((node.0, shape)).or_insert(now);
        // The newest epoch; in one epoch, what it leads.
        if (epoch, leads) > (seen.epoch, seen.leads) {
            *seen = now;
        }
        false
    })?;
    Some((heard.into_values().collect(), unopened))
}

/// A member heard on the group ([`members_heard`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberSeen {
    /// Its node id.
    pub node: NodeId,
    /// The epoch its frames named (0: it rejoins, asking where others are).
    pub epoch: Epoch,
    /// The cluster shape its frames carry ([`Config::shape`]; 0 from an
    /// older build).
    pub shape: u32,
    /// True if it leads (a DATA or HEARTBEAT came); false if it stands
    /// (a VOTE_REQUEST).
    pub leads: bool,
}

/// Hands `visit` the header of each member frame of one of `kinds` of
/// `config`'s cluster heard on its group within `listen`, until it returns
/// true; with `keys` that hold the member key, only of those whose tag is
/// right. Returns how many datagrams of the cluster those keys did not open.
fn group_headers(
    config: &Config,
    multicast: &Multicast,
    keys: Option<&Keys>,
    (listen, kinds): (std::time::Duration, &[Kind]),
    mut visit: impl FnMut(&crate::wire::Header) -> bool,
) -> Option<u64> {
    let keys = keys.filter(|keys| matches!(keys, Keys::Member { .. }));
    use crate::wire::{Header, MAGIC};
    use zerocopy::FromBytes;
    let socket = group_receiver(multicast, 1 << 20).ok()?;
    // The group's receiver is made non-blocking for a node's poll loop:
    // here each recv waits, at most 20 ms, rather than spin on a core.
    socket.set_nonblocking(false).ok()?;
    socket.set_read_timeout(Some(std::time::Duration::from_millis(20))).ok()?;
    let until = std::time::Instant::now() + listen;
    let (mut buf, mut unopened) = (vec![0u8; 65_536], 0);
    while std::time::Instant::now() < until {
        let Ok(len) = socket.recv(&mut buf) else { continue };
        let Ok(datagram) = keys.map_or(Ok(&buf[..len]), |keys| keys.open(&buf[..len])) else {
            let ours = Header::ref_from_prefix(&buf[..len]).is_ok_and(|(h, _)| h.cluster.get() == config.cluster_id);
            unopened += u64::from(ours);
            continue;
        };
        let Ok((header, _)) = Header::ref_from_prefix(datagram) else { continue };
        let ours = header.magic.get() == MAGIC && header.cluster.get() == config.cluster_id;
        if ours && kinds.contains(&header.kind()) && header.member().is_some() && visit(header) {
            break;
        }
    }
    Some(unopened)
}

impl ClientNode {
    /// Refuses a key file of one client (`seqcast keys client`) for another
    /// id: every datagram would go unsigned, and nothing would say so.
    fn check_key(id: ClientId, tuning: &Tuning) -> Result<(), NetError> {
        match &tuning.keys {
            Some(Keys::Client { id: theirs, .. }) if *theirs != id => Err(NetError::Setting(
                "key_file",
                format!(
                    "the key file is client {theirs}'s alone: it cannot sign for client {id} (use client id \
                     {theirs}, or a key file with the client master)"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A client with id `id` (unique per incarnation: its requests number
    /// from 1, and a leader that remembers the id takes a second
    /// incarnation's requests for duplicates of the first's, telling them
    /// committed with the first's events; [`ClientId::fresh`](crate::core::ClientId::fresh) draws one; a
    /// key file of one client, `seqcast keys client`, is so for one run)
    /// that sends
    /// from `multicast.interface` to the leader at `leader`. It learns the leader's epoch from its first answer
    /// (`config.epoch` is not used). A leader that restarted in a newer
    /// epoch leaves what it had not confirmed in doubt:
    /// [`Client::leader_restarted`] says so (through
    /// [`client`](Self::client)), and a new client must take over.
    pub fn connect(
        config: Config,
        id: ClientId,
        leader: SocketAddrV4,
        multicast: &Multicast,
        tuning: &Tuning,
    ) -> Result<ClientNode, NetError> {
        let (config, driver) = ClientNode::prepare(config, id, multicast, tuning)?;
        let client = Client::new(config, id, SocketAddr::V4(leader))?;
        Ok(ClientNode { driver, client })
    }

    /// A client's config (epoch 0: learnt from the first answer; the
    /// tag's room taken from the MTU) and driver, once both are checked.
    fn prepare(
        config: Config,
        id: ClientId,
        multicast: &Multicast,
        tuning: &Tuning,
    ) -> Result<(Config, Driver), NetError> {
        let config = Config { epoch: Epoch::ZERO, ..config };
        config.validate()?;
        ClientNode::check_key(id, tuning)?;
        let socket = unicast(SocketAddrV4::new(multicast.interface, 0), multicast, tuning.buffer_bytes)?;
        let driver = tuning.driver(vec![socket], multicast.group, &config)?;
        Ok((tuning.core(config), driver))
    }

    /// A client of a cluster with failover, whose members are at `members`
    /// (by node id): it finds the leader and follows it through elections.
    ///
    /// It first listens to the group for the member leading it (at most
    /// [`LEADER_LISTEN`], see [`leader_heard`]) and sends its first requests
    /// there, else to `config.leader`: a first request sent to a member
    /// that is down, and so sent again elsewhere, cannot be placed by a
    /// leader whose journal retention trimmed (it answers "in doubt").
    ///
    /// # Errors
    ///
    /// As [`leader_heard`] (only leaders of another node count heard), or
    /// when the group cannot be joined or the client's keys or settings
    /// are refused.
    pub fn connect_failover(
        config: Config,
        id: ClientId,
        members: &[SocketAddrV4],
        multicast: &Multicast,
        tuning: &Tuning,
    ) -> Result<ClientNode, NetError> {
        let leader = leader_heard(&config, multicast, tuning.keys.as_ref(), LEADER_LISTEN)?.unwrap_or(config.leader);
        ClientNode::connect_failover_at(Config { leader, ..config }, id, members, multicast, tuning)
    }

    /// [`connect_failover`](Self::connect_failover) starting at
    /// `config.leader`, without listening first: for many clients at once,
    /// after one [`leader_heard`].
    pub(crate) fn connect_failover_at(
        config: Config,
        id: ClientId,
        members: &[SocketAddrV4],
        multicast: &Multicast,
        tuning: &Tuning,
    ) -> Result<ClientNode, NetError> {
        let (config, driver) = ClientNode::prepare(config, id, multicast, tuning)?;
        let members = members.iter().map(|&a| SocketAddr::V4(a)).collect();
        let client = Client::with_failover(config, id, members)?;
        Ok(ClientNode { driver, client })
    }

    /// Queues `payload`; it goes out on the next [`poll`](Self::poll).
    pub fn submit(&mut self, payload: &[u8]) -> Result<u64, SubmitError> {
        self.client.submit(payload)
    }

    /// Sends what is queued, reads what arrived; returns the time it read at.
    /// Then take the commits with [`committed`](Self::committed).
    pub fn poll(&mut self) -> Nanos {
        self.driver.turn(&mut self.client)
    }

    /// The next committed request, in request order.
    pub fn committed(&mut self) -> Option<Committed> {
        self.client.poll_event()
    }

    /// Idles until a datagram, a protocol timer, or `deadline`: a time on
    /// this node's clock (as [`now`](Self::now) and [`poll`](Self::poll)
    /// give it), not a duration. One already past returns at once, so a
    /// loop that passes a duration here spins; [`wait_for`](Self::wait_for)
    /// takes one.
    pub fn wait(&mut self, deadline: Nanos) -> io::Result<()> {
        self.driver.wait(&self.client, deadline)
    }

    /// Idles until a datagram, a protocol timer, or `timeout` from now.
    pub fn wait_for(&mut self, timeout: std::time::Duration) -> io::Result<()> {
        let timeout = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        self.driver.wait(&self.client, self.driver.now().saturating_add(timeout))
    }

    /// The node's clock, now.
    pub fn now(&self) -> Nanos {
        self.driver.now()
    }

    /// The state machine, for its counters and pending count.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The driver, for its I/O counters (datagrams that could not be
    /// signed or opened among them).
    pub fn driver(&self) -> &Driver {
        &self.driver
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Seq;
    use crate::wire::EventRef;

    fn digest(events: &[(u32, u64, &[u8])]) -> u64 {
        let mut digest = Digest::default();
        for &(client, seq, payload) in events {
            let record = crate::wire::test_record(client, seq, payload);
            let (event, _) = EventRef::split(&record).unwrap();
            digest.add(&MemberEvent::Log(Event::Deliver(event)));
        }
        digest.hash
    }

    /// Helper 149: a follower restarted while its leader's commit stood
    /// still heard a HEARTBEAT whose commit was 4,000 events behind what
    /// the leader had sequenced, and timed those events, stamped 14 s
    /// before it started, as live. An event stamped before the node
    /// started is caught up, whatever its sequence.
    #[test]
    fn events_stamped_before_the_node_started_are_caught_up_not_timed() {
        let mut deliveries = Deliveries::new(5_000);
        for (seq, stamp) in [(15_001u64, 1_000u64), (15_002, 6_000)] {
            let mut record = crate::wire::test_record(7, seq, b"x");
            record[8..16].copy_from_slice(&stamp.to_le_bytes());
            let (event, _) = EventRef::split(&record).unwrap();
            deliveries.record(7_000, Seq(15_001), &MemberEvent::Log(Event::Deliver(event)));
        }
        assert_eq!((deliveries.caught_up, deliveries.histogram.len()), (1, 1));
        assert_eq!(deliveries.histogram.max(), 1_000, "the one stamped after it started, 1 µs before delivery");
    }

    /// The simulator with retention 30: a follower killed before it said
    /// a range it was told was gone (its journal's hole ran up to its
    /// commit) never said it after its restart, its replay ending at its
    /// last record and the node going on past the commit.
    #[test]
    fn a_replay_says_a_hole_that_runs_up_to_where_the_node_goes_on() {
        let dir = std::env::temp_dir().join(format!("seqcast-replay-hole-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = crate::core::Config::default();
        let options = JournalOptions {
            sync: SyncLevel::None,
            segment_bytes: 1 << 16,
            ..JournalOptions::new(dir.clone(), &config, NodeId(1))
        };
        let (mut journal, _) = Journal::open(options).unwrap();
        for seq in (1..=5).chain(12..=14) {
            let record = crate::wire::test_record(1, seq, b"e");
            journal.append(crate::core::Epoch(3), Seq(11), &record).unwrap();
        }
        journal.flush().unwrap();
        let (mut digest, mut said) = (Digest::default(), Vec::new());
        // Records 12..=14 are past where it goes on (12): not handed out.
        let replayed = replay(&journal, Seq(12), &mut digest, &|| false, |event| {
            said.push(match event {
                Event::Deliver(e) => format!("{}", e.header.seq()),
                Event::Lost { first, end } => format!("lost {first}..{end}"),
                Event::LeaderRestarted { .. } => "restarted".into(),
            });
        })
        .unwrap();
        assert_eq!(replayed, 5);
        assert_eq!(said, ["1", "2", "3", "4", "5", "lost 6..12"]);
        assert!(digest.to_string().starts_with("seq 1..=11 events 5 lost 6 "), "{digest}");
        drop(journal);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A node stopped while it replays a big journal stops between reads,
    /// and reports nothing it did not read as lost.
    #[test]
    fn a_replay_stops_between_reads_when_asked() {
        let dir = std::env::temp_dir().join(format!("seqcast-replay-stop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = crate::core::Config::default();
        let options = JournalOptions { sync: SyncLevel::None, ..JournalOptions::new(dir.clone(), &config, NodeId(1)) };
        let (mut journal, _) = Journal::open(options).unwrap();
        let total = 3 * REPLAY_READ as u64;
        for seq in 1..=total {
            journal.append(crate::core::Epoch(3), Seq(seq), &crate::wire::test_record(1, seq, b"e")).unwrap();
        }
        journal.flush().unwrap();
        let (mut digest, handed) = (Digest::default(), std::cell::Cell::new(0u64));
        let stop = || handed.get() >= 10;
        let replayed = replay(&journal, Seq(total + 1), &mut digest, &stop, |event| {
            assert!(matches!(event, Event::Deliver(_)), "{event:?}");
            handed.set(handed.get() + 1);
        })
        .unwrap();
        assert_eq!((replayed, digest.lost), (REPLAY_READ as u64, 0));
        drop(journal);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A security review: `seqcast member --reshape` and a client's first
    /// choice of leader read the group's frames without their tags, so a
    /// frame anyone forged (here a HEARTBEAT of member 2 in another shape)
    /// stopped the reshape. With the member key, only frames it opens count.
    /// A member without a leader counts too, by its VOTE_REQUESTs (an
    /// operator's trial reshaped beside two members of the old shape that
    /// stood, since no leader spoke), and one id heard in two shapes twice.
    #[test]
    fn members_heard_with_the_member_key_count_only_frames_it_opens() {
        use crate::auth::Key;
        use crate::wire::{Heartbeat, Kind, VoteRequest};
        let port = UdpSocket::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
        let group = SocketAddrV4::new(std::net::Ipv4Addr::new(239, 255, 99, std::process::id() as u8), port);
        let multicast = Multicast { group, ..Multicast::default() };
        let config = Config { nodes: 3, cluster_id: 9_876, ..Config::default() };
        let keys = Keys::Member { member: Key::random().unwrap(), clients: Key::random().unwrap() };
        let forger = Keys::Member { member: Key::random().unwrap(), clients: Key::random().unwrap() };
        let heartbeat = |from: u16, shape: u32, keys: &Keys| {
            let body = Heartbeat {
                seq_next: 1.into(),
                commit: 0.into(),
                sent_ns: 0.into(),
                rtt_ns: 0.into(),
                epoch_start: 0.into(),
                nonce: 0.into(),
                reserved: 0.into(),
            };
            let mut header = crate::wire::Header::new(Kind::Heartbeat, from, config.cluster_id, Epoch(5));
            header.token = shape.into();
            let mut frame = vec![0; 256];
            let len = crate::wire::emit(&mut frame, &header, Kind::Heartbeat, &body).unwrap();
            frame.truncate(len + TAG_LEN);
            assert_eq!(keys.seal(&mut frame, len), Some(len + TAG_LEN));
            frame
        };
        let (real, forged) = (heartbeat(1, config.shape(), &keys), heartbeat(2, 7, &forger));
        let standing = {
            let mut header = crate::wire::Header::new(Kind::VoteRequest, 1, config.cluster_id, Epoch(6));
            header.token = 7.into();
            let body = VoteRequest { log_epoch: 5.into(), log_seq: 10.into() };
            let mut frame = vec![0; 256];
            let len = crate::wire::emit(&mut frame, &header, Kind::VoteRequest, &body).unwrap();
            frame.truncate(len + TAG_LEN);
            assert_eq!(keys.seal(&mut frame, len), Some(len + TAG_LEN));
            frame
        };
        let sender =
            super::super::socket::unicast(SocketAddrV4::new(multicast.interface, 0), &multicast, 1 << 16).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sending = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for frame in [&real, &forged, &standing] {
                        let _ = sender.send_to(frame, group);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            })
        };
        let listen = std::time::Duration::from_millis(200);
        let (opened, forged) = members_heard(&config, &multicast, Some(&keys), listen).unwrap();
        let (unopened, _) = members_heard(&config, &multicast, None, listen).unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sending.join().unwrap();
        let seen = |node, epoch, shape, leads| MemberSeen { node: NodeId(node), epoch: Epoch(epoch), shape, leads };
        // Node 1 in both shapes (a split): its frames of each are told apart.
        assert_eq!(opened, [seen(1, 6, 7, false), seen(1, 5, config.shape(), true)]);
        assert!(forged > 0, "the forged frames are counted");
        assert_eq!(unopened.len(), 3, "without a key all count: {unopened:?}");
    }

    /// An operator trial: a tail that delivered nothing printed
    /// `seq 0..=0`, a range holding sequence 0, which no log has.
    #[test]
    fn a_digest_of_nothing_says_none() {
        let empty = Digest::default().to_string();
        assert!(empty.starts_with("seq none events 0 lost 0 hash "), "{empty}");
        let mut one = Digest::default();
        let record = crate::wire::test_record(1, 1, b"e");
        one.add(&MemberEvent::Log(Event::Deliver(EventRef::split(&record).unwrap().0)));
        assert!(one.to_string().starts_with("seq 1..=1 events 1 lost 0 hash "), "{one}");
    }

    #[test]
    fn the_digest_tells_apart_order_origin_and_every_payload_byte() {
        let payload: Vec<u8> = (1..=70).collect();
        let base = digest(&[(1, 1, &payload[..64]), (2, 2, &payload[..5])]);
        assert_eq!(base, digest(&[(1, 1, &payload[..64]), (2, 2, &payload[..5])]), "deterministic");
        assert_ne!(base, digest(&[(2, 2, &payload[..5]), (1, 1, &payload[..64])]), "order");
        assert_ne!(base, digest(&[(3, 1, &payload[..64]), (2, 2, &payload[..5])]), "client");
        assert_ne!(base, digest(&[(1, 1, &payload[..64]), (2, 3, &payload[..5])]), "sequence");
        // Trailing zeros, and a payload one byte shorter, differ.
        let mut zeros = payload[..5].to_vec();
        zeros.push(0);
        assert_ne!(base, digest(&[(1, 1, &payload[..64]), (2, 2, &zeros)]), "a trailing zero");
        assert_ne!(base, digest(&[(1, 1, &payload[..64]), (2, 2, &payload[..4])]), "one byte fewer");
        // Any one byte flipped, in whole blocks or the rest, and two words swapped.
        for len in [64, 70] {
            let whole = digest(&[(1, 1, &payload[..len])]);
            for i in 0..len {
                let mut flipped = payload[..len].to_vec();
                flipped[i] ^= 0x40;
                assert_ne!(whole, digest(&[(1, 1, &flipped)]), "byte {i} of {len}");
            }
            let mut swapped = payload[..len].to_vec();
            swapped.copy_within(0..8, 32);
            swapped[..8].copy_from_slice(&payload[32..40]);
            assert_ne!(whole, digest(&[(1, 1, &swapped)]), "words 0 and 4 of {len}");
        }
    }

    #[test]
    fn a_lost_range_counts_and_changes_the_digest() {
        let mut digest = Digest::default();
        let before = digest.hash;
        digest.add(&MemberEvent::Log(Event::Lost { first: Seq(3), end: Seq(7) }));
        assert_eq!((digest.lost, digest.last), (4, 6));
        assert_ne!(digest.hash, before);
        // Nothing delivered yet: the range starts at the loss (it read "seq 0..=6").
        assert_eq!(digest.to_string().split(" hash").next(), Some("seq 3..=6 events 0 lost 4"));
    }

    /// A reviewer of the tail: a tail told 3..8 lost in two answers
    /// (3..5, then 5..8) printed another digest than the follower told it
    /// in one, though both delivered the same events and lost the same
    /// sequences.
    #[test]
    fn a_lost_run_hashes_the_same_however_it_was_reported() {
        let record = crate::wire::test_record(1, 8, b"after");
        let (after, _) = EventRef::split(&record).unwrap();
        let lost = |first, end| MemberEvent::Log(Event::Lost { first: Seq(first), end: Seq(end) });
        let of = |pieces: &[(u64, u64)], then: bool| {
            let mut digest = Digest::default();
            for &(first, end) in pieces {
                digest.add(&lost(first, end));
            }
            if then {
                digest.add(&MemberEvent::Log(Event::Deliver(after)));
            }
            digest
        };
        for then in [false, true] {
            let whole = of(&[(3, 8)], then);
            assert_eq!(whole, of(&[(3, 5), (5, 8)], then));
            assert_eq!(whole.hash, of(&[(3, 4), (4, 5), (5, 8)], then).hash);
            assert_ne!(whole.hash, of(&[(3, 5), (6, 8)], then).hash, "sequence 5 not lost: another history");
        }
    }

    /// What an embedder gets wrong is an error, not a panic or a client
    /// that sends nothing: an MTU of 0 (a division by zero), a key file of
    /// another client (every datagram unsigned), an MTU with no room for the
    /// tag (named as the MTU less the tag), a member list short of the
    /// cluster.
    #[test]
    fn a_client_node_refuses_what_it_cannot_work_with() {
        let (multicast, leader) = (Multicast::default(), SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9));
        let connect = |config: Config, tuning: &Tuning| {
            ClientNode::connect(config, ClientId(7), leader, &multicast, tuning).err().map(|e| e.to_string())
        };
        let error = connect(Config { mtu: 0, ..Config::default() }, &Tuning::default()).expect("refused");
        assert!(error.starts_with("bad configuration: mtu 0 is too small for payload_max "), "{error}");
        let key = crate::auth::Key::from_bytes([3; crate::auth::KEY_LEN]);
        let tuning = Tuning { keys: Some(Keys::Client { id: ClientId(42), key }), ..Tuning::default() };
        let error = connect(Config::default(), &tuning).expect("refused");
        assert!(error.contains("the key file is client 42's alone: it cannot sign for client 7"), "{error}");
        let key = crate::auth::Key::from_bytes([3; crate::auth::KEY_LEN]);
        let tuning = Tuning { keys: Some(Keys::Clients { clients: key }), ..Tuning::default() };
        let error = connect(Config { payload_max: 1384, ..Config::default() }, &tuning).expect("refused");
        assert!(
            error.contains("16-byte tag: mtu 1472 leaves 1456") && error.contains("raise --mtu to 1488"),
            "{error}"
        );
        let tuning = Tuning::default();
        let short = ClientNode::connect_failover_at(Config::default(), ClientId(7), &[], &multicast, &tuning);
        let Err(error) = short else { panic!("connected with no members") };
        let error = error.to_string();
        assert!(error.contains("0 member addresses for a 3-node cluster"), "{error}");
        assert!(connect(Config::default(), &tuning).is_none());
    }

    /// An embedder's trial: a member given the clients' key file ran,
    /// dropped every frame of its cluster as failing its key, stood for
    /// election each second and delivered nothing, without a word.
    #[test]
    fn a_node_refuses_a_clients_key_file() {
        let (multicast, tuning, listen) = own_group(156);
        let key = crate::auth::Key::from_bytes([3; crate::auth::KEY_LEN]);
        for keys in [Keys::Clients { clients: key.clone() }, Keys::Client { id: ClientId(1), key: key.clone() }] {
            let held = keys.held();
            let tuning = Tuning { keys: Some(keys), ..tuning.clone() };
            let config = Config::default();
            let refused = [
                LeaderNode::bind(config.clone(), listen, &multicast, &tuning, None).err(),
                FollowerNode::bind(config.clone(), NodeId(1), listen, &multicast, &tuning, None).err(),
                MemberNode::bind(config.clone(), NodeId(1), listen, &multicast, &tuning, None).err(),
                FollowerNode::observe(config, listen, &multicast, &tuning, Seq(1)).err(),
            ];
            for error in refused {
                let error = error.expect("refused").to_string();
                assert!(
                    error.starts_with(&format!("key_file: the key file holds {held}, not the member key")),
                    "{error}"
                );
            }
        }
        let keys = Keys::Member { member: key.clone(), clients: key };
        let tuning = Tuning { keys: Some(keys), ..tuning };
        assert!(MemberNode::bind(Config::default(), NodeId(1), listen, &multicast, &tuning, None).is_ok());
    }

    /// A group and port of a test's own (`tag` picks the group), default
    /// tuning, and any port on loopback to bind.
    fn own_group(tag: u8) -> (Multicast, Tuning, SocketAddrV4) {
        let loopback = std::net::Ipv4Addr::LOCALHOST;
        let port = UdpSocket::bind((loopback, 0)).unwrap().local_addr().unwrap().port();
        let group = SocketAddrV4::new(std::net::Ipv4Addr::new(239, 255, tag, std::process::id() as u8 | 1), port);
        (Multicast { group, ..Multicast::default() }, Tuning::default(), SocketAddrV4::new(loopback, 0))
    }

    /// Helper 154: an embedded follower whose leader restarted without its
    /// history went on running, taking nothing, until its program thought
    /// to stop it (`seqcast follower` stops, and exits 3). `run` now
    /// returns on its own, and says why.
    #[test]
    fn a_follower_returns_on_its_own_when_its_leader_restarts_without_its_history() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
        let (multicast, tuning, any) = own_group(154);
        let config = |epoch| Config { nodes: 2, quorum: 2, epoch: Epoch(epoch), ..Config::default() };
        let mut follower = FollowerNode::bind(config(1), NodeId(1), any, &multicast, &tuning, None).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let late = || std::time::Instant::now() > deadline;
        let (stop_leaders, delivered) = (AtomicBool::new(false), AtomicU64::new(0));
        let stop = || stop_leaders.load(Relaxed) || late();
        let mut first = LeaderNode::bind(config(1), any, &multicast, &tuning, None).unwrap();
        let mut second = LeaderNode::bind(config(2), any, &multicast, &tuning, None).unwrap();
        let SocketAddr::V4(at) = first.local_addr().unwrap() else { panic!("an IPv4 leader") };
        let mut client = ClientNode::connect(config(1), ClientId(7), at, &multicast, &tuning).unwrap();
        std::thread::scope(|scope| {
            let on_event = |event: &Event<'_>| {
                if let Event::Deliver(_) = event {
                    delivered.fetch_add(1, Relaxed);
                }
            };
            let followed = scope.spawn(move || follower.run(&late, on_event, |_, _| {}));
            let first_run = scope.spawn(|| first.run(&stop, |_, _| {}));
            client.submit(b"one").unwrap();
            while delivered.load(Relaxed) == 0 && !late() {
                client.poll();
                client.wait_for(std::time::Duration::from_millis(1)).unwrap();
            }
            stop_leaders.store(true, Relaxed);
            assert_eq!(first_run.join().unwrap().unwrap(), Stopped::Asked);
            stop_leaders.store(false, Relaxed);
            let second_run = scope.spawn(|| second.run(&stop, |_, _| {}));
            let why = followed.join().unwrap().unwrap();
            stop_leaders.store(true, Relaxed);
            assert_eq!((why, delivered.load(Relaxed)), (Stopped::LeaderRestarted, 1), "{}", why);
            assert_eq!(second_run.join().unwrap().unwrap(), Stopped::Asked);
        });
        assert!(!late(), "the follower returned before its deadline");
    }

    /// A subscriber whose `payload_max` is smaller than its cluster's
    /// returns `TooLong` from `run`, every event before the first it
    /// cannot hold handed out. (On loopback those are known committed in
    /// the turn that one arrives: this does not show `run` waits for them.)
    #[test]
    fn a_subscriber_hands_out_what_it_can_hold_before_it_returns_too_long() {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        let (multicast, tuning, any) = own_group(155);
        let config = Config { nodes: 2, quorum: 1, payload_max: 256, ..Config::default() };
        let mut leader = LeaderNode::bind(config.clone(), any, &multicast, &tuning, None).unwrap();
        let SocketAddr::V4(at) = leader.local_addr().unwrap() else { panic!("an IPv4 leader") };
        let small = Config { payload_max: 64, leader: NodeId(0), ..config.clone() };
        let mut tail = FollowerNode::observe(small, any, &multicast, &tuning, Seq(1)).unwrap();
        let mut client = ClientNode::connect(config, ClientId(7), at, &multicast, &tuning).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let late = || std::time::Instant::now() > deadline;
        let (delivered, done) = (AtomicU64::new(0), std::sync::atomic::AtomicBool::new(false));
        std::thread::scope(|scope| {
            let leading = scope.spawn(|| leader.run(&|| done.load(Relaxed) || late(), |_, _| {}));
            let on_event = |event: &Event<'_>| {
                if let Event::Deliver(_) = event {
                    delivered.fetch_add(1, Relaxed);
                }
            };
            let tailing = scope.spawn(move || tail.run(&late, on_event, |_, _| {}));
            // Heard once it listens: the leader's first HEARTBEAT.
            std::thread::sleep(std::time::Duration::from_millis(200));
            for _ in 0..5 {
                client.submit(&[1; 32]).unwrap();
            }
            client.submit(&[2; 200]).unwrap();
            while !tailing.is_finished() && !late() {
                client.poll();
                client.wait_for(std::time::Duration::from_millis(1)).unwrap();
            }
            let why = tailing.join().unwrap().unwrap();
            done.store(true, Relaxed);
            assert_eq!((why, delivered.load(Relaxed)), (Stopped::TooLong, 5), "{why}");
            assert_eq!(leading.join().unwrap().unwrap(), Stopped::Asked);
        });
        assert!(!late(), "the tail returned before its deadline");
    }

    /// An embedder's log line: a node's `Debug` names its sockets and where
    /// its machine stands, and dumps no buffer, ring or histogram.
    #[test]
    fn a_nodes_debug_is_a_line() {
        let listen = SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0);
        let (multicast, tuning, config) = (Multicast::default(), Tuning::default(), Config::default());
        let leader = LeaderNode::bind(config.clone(), listen, &multicast, &tuning, None).expect("bound");
        let follower = FollowerNode::bind(config.clone(), NodeId(1), listen, &multicast, &tuning, None).expect("bound");
        let client = ClientNode::connect(config, ClientId(7), listen, &multicast, &tuning).expect("connected");
        for (line, has) in [
            (format!("{leader:?}"), "leader: Leader { id: NodeId(0), epoch: Epoch(1), seq_next: Seq(1)"),
            (format!("{follower:?}"), "follower: Follower { id: 1, observer: false"),
            (format!("{client:?}"), "client: Client { id: ClientId(7)"),
        ] {
            assert!(line.contains("Driver { local: [127.0.0.1:") && line.contains(has) && line.len() < 400, "{line}");
        }
    }

    /// A reviewer: a sequencer whose journal's first record was corrupt
    /// took it for an empty journal and wrote a new log over the old one
    /// (followers and leader then held different events at committed
    /// sequences); one whose commit file said more than its records hold
    /// resumed short of commits. Both are refused, the journal left as it is.
    #[test]
    fn a_sequencer_refuses_a_journal_damaged_before_its_first_record_or_short_of_its_commit_file() {
        let config = Config { epoch: Epoch(2), ..Config::default() };
        let listen = SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0);
        let (multicast, tuning) = (Multicast::default(), Tuning::default());
        for (case, refusal) in [("corrupt", "sequence 1 is corrupt"), ("commit", "its commit file says 9")] {
            let dir = std::env::temp_dir().join(format!("seqcast-node-{case}-{}", std::process::id()));
            let options = JournalOptions::new(&dir, &config, NodeId(0));
            let (mut journal, _) = crate::journal::Journal::open(options.clone()).unwrap();
            for seq in 1..=3 {
                let record = crate::wire::test_record(7, seq, b"event");
                journal.append(Epoch(1), Seq(seq), &record).unwrap();
            }
            journal.flush().unwrap();
            if case == "commit" {
                journal.write_commit(Seq(9), Epoch(1)).unwrap();
            }
            drop(journal);
            let segment = std::fs::read_dir(&options.dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "journal"))
                .unwrap();
            if case == "corrupt" {
                let mut bytes = std::fs::read(&segment).unwrap();
                bytes[64 + 40] ^= 0x20;
                std::fs::write(&segment, &bytes).unwrap();
            }
            let before = std::fs::read(&segment).unwrap();
            let bound = LeaderNode::bind(config.clone(), listen, &multicast, &tuning, Some(&options));
            let Err(error) = bound else { panic!("{case}: a sequencer started") };
            assert!(error.to_string().contains(refusal), "{case}: {error}");
            assert!(std::fs::read(&segment).unwrap() == before, "{case}: the journal was written");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// Journal options filled in by hand with a smaller record_max than the
    /// node's appended records the node's own journal could not read back.
    #[test]
    fn journal_options_of_another_record_size_are_refused_at_bind() {
        let dir = std::env::temp_dir().join(format!("seqcast-node-options-{}", std::process::id()));
        let config = Config { payload_max: 200, ..Config::default() };
        let listen = SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0);
        let (multicast, tuning) = (Multicast::default(), Tuning::default());
        let options = JournalOptions { record_max: 96, ..JournalOptions::new(&dir, &config, NodeId(1)) };
        let bound = FollowerNode::bind(config.clone(), NodeId(1), listen, &multicast, &tuning, Some(&options));
        let Err(error) = bound else { panic!("bound with another record_max") };
        let error = error.to_string();
        assert!(
            error.contains("record_max 96, 3 nodes, quorum 2; this node is") && error.contains("record_max 232"),
            "{error}"
        );
        assert!(!dir.exists(), "nothing made");
        let options = JournalOptions::new(&dir, &config, NodeId(1));
        FollowerNode::bind(config, NodeId(1), listen, &multicast, &tuning, Some(&options)).expect("bound");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
