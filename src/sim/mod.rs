//! A deterministic simulator: a leader, followers, clients and read-only
//! subscribers in one thread, one seeded PRNG, virtual time that jumps to
//! the next event, and a network that loses, duplicates, delays (so
//! reorders), partitions and crashes. Every run is checked against the
//! invariants of DESIGN §3 by [`History`].
//!
//! One room a job, as TigerBeetle's `testing/cluster/`: [`node`] (what is
//! driven), [`tail`] (the subscribers), [`profile`] (a run's faults, from
//! its seed), `network` (the datagrams in flight), `faults` (the schedule),
//! `cluster` (the loop), `observer` (what the checker is told), [`check`]
//! (the invariants) and [`paths`] (what ran).

pub mod check;
mod cluster;
mod faults;
mod network;
pub mod node;
mod observer;
pub mod paths;
pub mod profile;
mod rng;
pub mod tail;
#[cfg(test)]
mod tests;

pub use check::{History, Violation};
pub use node::{NodeFactory, SimNode};
pub use paths::{
    CROWD_PATH, DISK_FAIL_PATHS, FAILOVER_PATHS, JOURNAL_PATHS, LEADER_FAULT_PATHS, PORT_PATHS, Paths, REPLAY_PATHS,
    SLOW_APP_PATHS, TAIL_PATHS,
};
pub use profile::SimConfig;
pub use rng::Rng;
pub use tail::{SimTail, TailFactory};

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::core::{Client, Config, Epoch, Nanos};
use crate::wire;
use network::{Item, Who};
use node::real_member;
use tail::{TailSlot, real_tail};

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

struct NodeSlot {
    node: Option<Box<dyn SimNode>>,
    incarnation: usize,
    cut_in: bool,
    cut_out: bool,
    paused_until: Option<Nanos>,
    /// The highest epoch this incarnation's role has had (fencing: never down).
    epoch: Epoch,
    /// How many times it restarted on another port: a follower without
    /// failover, every other restart (the rest as with `--listen` or a
    /// `node.N` line); see [`Sim::addr_now`].
    port_moves: u16,
    /// With `--journal`: what the disk holds synced, by sequence (the
    /// commit known when written, the epoch it came in, the record); it
    /// survives a crash.
    disk: std::collections::BTreeMap<u64, (u64, Epoch, Vec<u8>)>,
    /// Written, not yet synced, with the turn that wrote it: a crash loses
    /// it. The sync that turn started ends [`SYNC_NS`] later (more with
    /// `sync_jitter_ns`), and makes that turn's writes and those before durable.
    unsynced: Vec<(u64, Unsynced)>,
    /// Turns that wrote anything, counted.
    write_turns: u64,
    /// With `--journal` and failover: the member's claim beside its journal
    /// (written and synced at once, as the driver does).
    claim: Option<crate::core::JournalClaim>,
    /// With `--journal`: the commit file beside the journal, what a
    /// follower (or a member at a clean stop) knew committed past its
    /// records. Rewritten in place and not synced (but at a truncation):
    /// a crash of the process keeps it, a loss of the power may take it.
    /// With the epoch of the log it was learned in.
    commit_file: Option<(u64, Epoch)>,
    /// What a truncation synced of what the records it dropped said (as
    /// the journal does, a resume from damage's too), capped at the records
    /// kept: what retention counts committed.
    commit_synced: Option<u64>,
    /// What the commit file said when last synced (at a truncation, a
    /// resume from damage's too, with what a follower of a sequencer knows
    /// past its records): a loss of the power takes it back to this.
    file_synced: Option<(u64, Epoch)>,
    /// Every range an UNRECOVERABLE that reached it named, in any of its
    /// lives (a journal keeps the holes it was told of): it may report
    /// lost only what lies within them.
    told: Told,
    /// Its journal is to come back with a record damaged (a
    /// [`Lose::Record`](faults::Lose::Record) crash).
    damaged: bool,
    /// Its journal lost records in this run: damaged, or back without its
    /// claim file (what lay past its commit dropped).
    lost_records: bool,
    /// With failover: how far its journal reached before damage dropped
    /// part of it, as the `reach` file beside it keeps it until the member
    /// holds as much again, durably (see `Sim::damage`).
    reach: Option<crate::core::Claim>,
    /// The epoch its member was told that reach's log was of (its claim's
    /// when it resumed; see `Member::reached_before_damage`).
    reach_log_epoch: Option<Epoch>,
    /// The newest epoch the records its reach stands for may be of, as the
    /// `reach-epoch` file keeps it beside the `reach` file (see
    /// `Recovery::reach_records`).
    reach_records: Option<Epoch>,
    /// How this life delivers (the cluster's, or with
    /// [`deliver_switch`](SimConfig::deliver_switch) drawn at its start).
    deliver: crate::core::Deliver,
    /// With `--journal`: the `handed-out` file beside a follower's journal
    /// (written and synced once what it follows from is durable, as the
    /// driver does; see `Follower::handed_out`).
    handed_out: Option<u64>,
    /// While its application is slow ([`SimConfig::slow_apps`]).
    slow: Option<SlowApp>,
    /// Its journal is to fail so ([`SimConfig::disk_fails`]), at its next
    /// append or sync.
    failing: Option<faults::Failure>,
    /// Its journal failed so: nothing more is written or synced.
    failed: Option<faults::Failure>,
}

/// An application slower than the events ([`SimConfig::slow_apps`]).
#[derive(Clone, Copy, Debug)]
struct SlowApp {
    /// When it keeps up again.
    until: Nanos,
    /// The events it takes in one turn at most.
    per_turn: u64,
    /// How long it works on a turn's events before it takes more.
    gap_ns: u64,
    /// When it takes more, if its last turn left events waiting.
    next_at: Option<Nanos>,
    /// Its node crashes before this many more turns' hand-outs.
    crash_in: Option<u32>,
}

impl NodeSlot {
    /// How many events its application takes now (`None`: all there are);
    /// none while it still works on its last turn's.
    fn app_takes(&mut self, now: Nanos) -> Option<u64> {
        let slow = self.slow.as_mut()?;
        if now >= slow.until {
            self.slow = None;
            return None;
        }
        match slow.next_at {
            Some(at) if at > now => Some(0),
            _ => Some(slow.per_turn),
        }
    }

    /// Its application took `taken` of the `takes` it could, working on
    /// them for the spell's gap: on the node's thread, as a node's
    /// callback runs, so the node handles nothing meanwhile (paused). If
    /// it took all it could, more may wait, for its next turn (true).
    fn app_took(&mut self, now: Nanos, takes: Option<u64>, taken: u64) -> bool {
        let Some((slow, takes)) = self.slow.as_mut().zip(takes.filter(|&t| t > 0)) else { return false };
        if taken > 0 {
            let until = now + slow.gap_ns;
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        }
        slow.next_at = (taken == takes).then_some(now + slow.gap_ns);
        slow.next_at.is_some()
    }

    /// Its application's turn comes (it takes `takes`): true if its node
    /// is to crash first, between the turn's write-ahead and its hand-out
    /// ([`SlowApp::crash_in`]).
    fn app_crash_due(&mut self, takes: Option<u64>) -> bool {
        let Some(slow) = self.slow.as_mut().filter(|_| takes.is_some_and(|t| t > 0)) else { return false };
        let Some(left) = slow.crash_in.as_mut() else { return false };
        *left -= 1;
        if *left > 0 {
            return false;
        }
        slow.crash_in = None;
        true
    }

    /// Its application's turn is put off within this instant: until the
    /// node read what waits, or past a crash due (which may not happen).
    fn app_later(&mut self, now: Nanos) {
        if let Some(slow) = self.slow.as_mut() {
            slow.next_at = Some(now);
        }
    }

    /// When its application takes more events, if it is slow and left
    /// some waiting.
    fn app_due(&self) -> Option<Nanos> {
        self.slow.and_then(|s| s.next_at)
    }
}

/// The ranges the UNRECOVERABLEs that reached a node or a tail named,
/// merged.
#[derive(Debug, Default)]
struct Told(Vec<(u64, u64)>);

impl Told {
    /// Notes the range `bytes` names, if it is a leader's own UNRECOVERABLE
    /// (not a member's "none here", [`FLAG_SERVED`](wire::FLAG_SERVED)) of
    /// `epoch`, the one its receiver follows once it took it. (An
    /// UNRECOVERABLE is a header and 16 bytes: only those are parsed.)
    fn note_unrecoverable(&mut self, bytes: &[u8], epoch: crate::core::Epoch) {
        if bytes.len() == size_of::<wire::Header>() + size_of::<wire::Unrecoverable>()
            && let Ok(wire::Datagram { header, frame: wire::Frame::Unrecoverable(gone) }) = wire::parse(bytes)
            && header.flags.get() & wire::FLAG_SERVED == 0
            && header.epoch() == epoch
        {
            self.note(gone.range.first.get(), gone.range.end.get());
        }
    }

    /// An UNRECOVERABLE named `[first, end)`.
    fn note(&mut self, first: u64, end: u64) {
        let told = &mut self.0;
        let at = told.partition_point(|&(_, e)| e < first);
        let mut merged = (first, end);
        while at < told.len() && told[at].0 <= merged.1 {
            let (f, e) = told.remove(at);
            merged = (merged.0.min(f), merged.1.max(e));
        }
        told.insert(at, merged);
    }

    /// The first sequence of `[first, end)` no UNRECOVERABLE it got named.
    fn untold(&self, first: u64, end: u64) -> Option<u64> {
        let at = self.0.partition_point(|&(_, e)| e <= first);
        match self.0.get(at) {
            Some(&(f, e)) if f <= first && end <= e => None,
            Some(&(f, e)) if f <= first => Some(e),
            _ => Some(first),
        }
    }
}

impl NodeSlot {
    /// What its claim file keeps of `claim`, as its driver writes it
    /// (`storage::claim_beside_reach`): not whole beside a `reach` that a
    /// whole claim of its epoch releases (`Reach::released_by`), until the
    /// reach is gone (`Sim::sync`). (Its driver also
    /// holds back one whose log released the reach with records this turn
    /// writes, until its sync; here the records a member's log counts may
    /// wait on later syncs, and its claim of its reach's own log stays
    /// whole beside it, as a restart reads it right.)
    fn claim_beside_reach(&self, claim: crate::core::JournalClaim) -> crate::core::JournalClaim {
        let kept = claim.as_kept();
        let released = self.reach_released_by(kept.epoch);
        crate::core::JournalClaim { whole: kept.whole && !released, ..kept }
    }

    /// True if its member, holding whole the starting log of the leader of
    /// `epoch`, holds every commit its `reach` file stands for, as it was
    /// told it at its start (`Reach::released_by`); false without one.
    fn reach_released_by(&self, epoch: Epoch) -> bool {
        let reach = |last| crate::core::Reach { last, log_epoch: self.reach_log_epoch, records: self.reach_records };
        self.reach.is_some_and(|last| reach(last).released_by(epoch))
    }

    /// What its driver keeps in the `handed-out` file now (see
    /// `Follower::handed_out`).
    fn handed_out_now(&self) -> Option<u64> {
        let node = self.node.as_ref()?;
        node.member().follower()?.handed_out().map(|last| last.get())
    }

    /// Its driver's turn once what it wrote is durable: the `handed-out`
    /// file as its member says, the commit file synced first where it goes
    /// (what made it go may be there alone).
    fn keep_handed_out(&mut self) {
        let handed = self.handed_out_now();
        if handed != self.handed_out {
            if handed.is_none() {
                self.file_synced = self.commit_file;
            }
            self.handed_out = handed;
        }
    }

    /// Its driver writes what it knows committed to the commit file, when
    /// that is more than the file says.
    /// With the epoch of the log it leads or follows, else (none yet) of
    /// its last record, as the driver keeps it.
    fn keep_commit(&mut self, known: u64, epoch: Epoch) {
        if known > self.commit_file.map_or(0, |c| c.0) {
            let last = self.unsynced.last().map(|(_, r)| r.2).or_else(|| self.disk.values().next_back().map(|r| r.1));
            let epoch = if epoch == Epoch::ZERO { last.unwrap_or(Epoch::ZERO) } else { epoch };
            self.commit_file = Some((known, epoch));
        }
    }
}

/// How long a write takes to become durable on the simulated disk (an
/// `fdatasync`, p50 about 100 µs on the development VM's disk): longer
/// than a round trip, so a crash can find a write every node ACKed that
/// no disk holds, unless ACKs wait for the disk.
const SYNC_NS: Nanos = 200_000;

/// A record written and not yet synced: its sequence, the commit known
/// when written, its epoch, the record.
type Unsynced = (u64, u64, Epoch, Vec<u8>);

struct ClientSlot {
    client: Client,
    next_submit_at: Nanos,
    to_submit: u64,
    /// Clients this one took the place of: without failover, one whose
    /// sequencer restarted is replaced by a client of a fresh id, as an
    /// application does, which submits the rest of its events.
    generation: u32,
}

/// After a leader is killed for good, time for what it sent to arrive
/// (datagrams are delayed by at most 11 one-way latencies).
const KILLED_SETTLE_NS: Nanos = 10_000_000;

/// Client ids of one place in the client table are this far apart across
/// the clients that took its place (see [`ClientSlot::generation`]).
const CLIENT_GENERATIONS: u32 = 1 << 16;

/// Most steps one run may take before it is called stuck.
const STEPS_MAX: u64 = 20_000_000;

struct Sim<'a> {
    config: SimConfig,
    core: Config,
    rng: Rng,
    /// How long each sync takes, with `sync_jitter_ns` (apart from `rng`,
    /// so that runs without it are what they were).
    disk_rng: Rng,
    /// Whether a member's crash kills its process (what it wrote stays in
    /// the page cache) or takes the power (what its disk had not synced is
    /// lost): apart from `rng` too.
    kill_rng: Rng,
    /// When members stop cleanly, and whether a commit file outlives a
    /// loss of the power: apart from `rng` and `kill_rng` too.
    stop_rng: Rng,
    /// Which applications fall behind, when, and how far
    /// ([`SimConfig::slow_apps`]): apart from the others too.
    slow_rng: Rng,
    /// Which journals fail, when, how, and for how long
    /// ([`SimConfig::disk_fails`]): apart from the others too.
    fail_rng: Rng,
    now: Nanos,
    order: u64,
    queue: BinaryHeap<Reverse<(Nanos, u64, Item)>>,
    nodes: Vec<NodeSlot>,
    clients: Vec<ClientSlot>,
    /// Read-only subscribers ([`SimConfig::tails`]).
    tails: Vec<TailSlot>,
    history: History,
    paths: Paths,
    /// What the replaying attacker recorded in flight, and who sent it.
    recorded: Vec<(Who, Vec<u8>)>,
    heal_at: Nanos,
    /// The leader is to die for good in its next turn that sends.
    dying: bool,
    /// When the leader was killed for good, if it was.
    killed_at: Option<Nanos>,
    /// When a fault last hit the leader, and the commit it knew then, until
    /// a client sees a commit past it (see [`Paths::leader_faults`]).
    leader_fault: Option<(Nanos, u64)>,
    factory: NodeFactory<'a>,
    tail_factory: TailFactory<'a>,
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
    run_with_tails(config, factory, &real_tail)
}

/// Runs one seed with members built by `factory` and tails by `tail_factory`.
pub fn run_with_tails(config: &SimConfig, factory: NodeFactory<'_>, tail_factory: TailFactory<'_>) -> Outcome {
    let mut config = config.clone();
    // The replaying attacker stands for a keyed network (valid frames,
    // replayed): its clients are admitted by token, as keyed drivers do.
    config.core.client_tokens |= config.replay > 0.0;
    let seed = config.seed;
    let mut sim = Sim::new(config, factory, tail_factory);
    sim.run();
    Outcome { seed, violation: sim.history.violation().cloned(), paths: sim.paths, end_ns: sim.now }
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
