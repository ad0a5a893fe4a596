//! Fault profiles: what one run's cluster, load and faults are, drawn from its seed.

use super::Rng;
use crate::core::{Config, Deliver, Failover};

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
    /// An attacker on the network (DESIGN §9) that records datagrams in
    /// flight and, for each datagram sent during the faults, with this
    /// chance replays a recorded one, from its own address, to a random
    /// node or client. With keys it could do no more: a forged frame fails
    /// at the driver, so only valid frames replayed remain to test.
    pub replay: f64,
    /// The attacker's replays come from the address of the datagram's
    /// sender, not its own: a forged source address, or a dead node's port
    /// bound again on its host.
    pub replay_as_sender: bool,
    /// The attacker goes on replaying after the faults heal, until the
    /// cluster converges: a recording replayed for good must keep no node
    /// from catching up, nor a new one from its leader.
    pub replay_after_faults: bool,
    /// Crash-and-restart episodes of members that do not lead at the time.
    pub crashes: u32,
    /// Partition episodes (symmetric or one-way, then healed); with
    /// failover, the member cut off may be the leader.
    pub partitions: u32,
    /// Crash-and-restart episodes of whoever leads then: with failover, or
    /// with a journal (the sequencer restarts from it in a newer epoch).
    pub leader_crashes: u32,
    /// A member (often the leader) stops for a while, then resumes and
    /// handles everything that came meanwhile.
    pub pauses: u32,
    /// With failover: an operator asks a random member to stand.
    pub promotions: u32,
    /// A member's application (the leader's as often as not) falls behind
    /// for a while: each turn it takes at most a few of the events its
    /// node hands out, then works a while before the next, as a callback
    /// slower than the events does. What it has not taken waits in its
    /// node: a follower's window keeps it, a leader's ring keeps it and
    /// its clients are told BUSY once it reaches `in_flight_max`.
    pub slow_apps: u32,
    /// With a journal: a member's journal fails (the leader's as often as
    /// not), and its node acknowledges nothing more: its disk is full at
    /// its next write (its claim, the cut of a log it leaves, or an
    /// append: some of that turn's records written, the rest not), or,
    /// where it syncs, half the time a sync fails (EIO). A while
    /// later its operator starts it again: after a full disk its process
    /// is killed (what it wrote stays in the page cache), after a failed
    /// sync the host is rebooted first (what was not synced is lost).
    pub disk_fails: u32,
    /// With failover: members that do not lead start cut off, both ways,
    /// for a while: they never heard the first leader, and hold nothing
    /// (new members that cannot tell whether they lost a log).
    pub late_members: u32,
    /// Without failover: after a random time the leader dies for good in
    /// its next turn that sends, before any datagram of the turn or between
    /// two (what it sent still arrives). Nothing converges then; the end
    /// check is durability as far as each live follower holds the log: a
    /// follower that holds a sequence a client was told is committed
    /// delivered it.
    pub leader_killed: bool,
    /// With a journal (`core.journal`), without failover: every member
    /// crashes at once, losing what its disk had not synced, and all
    /// restart from their journals.
    pub cluster_crashes: u32,
    /// With a journal: a member (the leader as often as not) stops cleanly,
    /// as on SIGTERM (what it wrote stays in the page cache, and it keeps
    /// the commit it knows beside its journal), and restarts later.
    pub stops: u32,
    /// With a journal: every member stops cleanly at once (a deploy), and
    /// all restart from their journals.
    pub cluster_stops: u32,
    /// With a journal and failover: a member (the leader as often as not)
    /// is killed and restarts without its claim file, as an operator who
    /// moved a damaged one aside starts it (docs/OPERATIONS.md), or one
    /// started on a copy of another member's journal.
    pub claim_losses: u32,
    /// With a journal and failover: a member (the leader as often as not)
    /// is killed and restarts with a record of its journal damaged, as a
    /// disk that rotted leaves it: the records from it on are dropped, and
    /// fetched again, and it keeps how far its journal reached past the
    /// damage, granting no vote to a shorter log until it holds as much.
    pub damages: u32,
    /// With failover and a journal: a member back with damage, or
    /// without a whole claim, does not keep how far its journal reached
    /// (as builds before the `reach` file), so that with `count_incomplete`
    /// the checker shows what that costs.
    pub forgets_reach: bool,
    /// With failover and a journal: the operator's promotions ask the
    /// candidate to count the votes of members back without all of their
    /// log, as `seqcast promote --count-incomplete-votes` does
    /// (docs/OPERATIONS.md, "Damaged journals").
    pub count_incomplete: bool,
    /// With `journal_syncs`: each simulated sync takes up to this much more
    /// than 200 µs, drawn afresh (0: every sync takes 200 µs), so that a
    /// node's disk may lag its peers'.
    pub sync_jitter_ns: u64,
    /// With a journal and without failover: the followers' level, whatever
    /// the sequencer's (`Some(false)`: `--sync none`, as a site that syncs
    /// only the sequencer's disk runs them; `Some(true)`: `batch`); `None`:
    /// the sequencer's.
    pub followers_syncs: Option<bool>,
    /// With a journal and without failover: each follower restarted from
    /// its journal delivers on receipt or on commit, drawn afresh (an
    /// operator changing `--deliver` across restarts); what it handed out
    /// on receipt before stays delivered (its `handed-out` file).
    pub deliver_switch: bool,
    /// With a journal: each member keeps its newest this many records and
    /// deletes older ones, as `--retain-events` does (0: keeps all). A
    /// member asked for what it no longer keeps answers UNRECOVERABLE.
    pub retain_events: u64,
    /// With `retain_events`: this member keeps every record (an archive,
    /// as docs/OPERATIONS.md suggests), so that what the leader no longer
    /// holds is served by a member that follows.
    pub archive: Option<usize>,
    /// Read-only subscribers (`seqcast tail`, [`Follower::observe`](crate::core::Follower::observe)):
    /// each starts at a random time within the faults, from sequence 1,
    /// from one in the first half of what is submitted, or now and then
    /// from past its end, a quarter of them up to a last sequence
    /// (`--to`); half of them stop for a while (often longer than
    /// the ring lasts) and a third are cut off for a while. Never voters:
    /// nothing waits for them but convergence.
    pub tails: u32,
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
/// With a journal, what a quarter of the seeds keep: below the ring and
/// the window, where a member behind meets history no member holds.
const RETAIN: [u64; 3] = [30, 100, 300];

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
            replay: 0.0,
            replay_as_sender: false,
            replay_after_faults: false,
            crashes: 0,
            partitions: 0,
            leader_crashes: 0,
            pauses: 0,
            promotions: 0,
            slow_apps: 0,
            disk_fails: 0,
            late_members: 0,
            leader_killed: false,
            cluster_crashes: 0,
            stops: 0,
            cluster_stops: 0,
            claim_losses: 0,
            damages: 0,
            forgets_reach: false,
            count_incomplete: false,
            sync_jitter_ns: 0,
            followers_syncs: None,
            deliver_switch: false,
            retain_events: 0,
            archive: None,
            tails: 0,
            latency_ns: 20_000,
            fault_ns: 20_000_000,
            settle_ns: 5_000_000_000,
            core: Config {
                mtu: 600,
                payload_max: 160,
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
    /// 5%, reordering, crashes, partitions, now and then limits so tight
    /// that BUSY and UNRECOVERABLE must happen, and for a quarter of the
    /// seeds a retention (used with a journal), half of them with one
    /// member that keeps everything.
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
        if rng.chance(0.25) {
            config.retain_events = rng.pick(&RETAIN);
            if rng.chance(0.5) {
                config.archive = Some(rng.range(0, u64::from(config.followers) + 1) as usize);
            }
        }
        config
    }

    /// The records member `i` keeps (0: all).
    pub fn retain_of(&self, i: usize) -> u64 {
        if self.archive == Some(i) { 0 } else { self.retain_events }
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
        config.late_members = rng.range(0, 3) as u32 / 2;
        config
    }

    pub(super) fn failover_on(&self) -> bool {
        self.core.failover != Failover::Off
    }
}
