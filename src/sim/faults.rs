//! The fault schedule: crashes, partitions, pauses, promotions and a
//! leader killed for good, drawn up front and applied as they come due.

use super::network::{Item, Who};
use super::{NodeSlot, Sim};
use crate::core::{Claim, Epoch, Member, NodeId, Seq};

/// How a member goes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Down {
    /// Its machine loses the power.
    Power,
    /// Its process is killed (kill -9).
    Killed,
    /// Its process stops cleanly (SIGTERM).
    Stopped,
}

/// What a member's restart finds lost beside its journal, or in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Lose {
    Nothing,
    /// Its claim file, as an operator who moved a damaged one aside
    /// starts it (with failover and a journal).
    Claim,
    /// A record in its journal: damaged, as a disk that rotted leaves it
    /// (with failover and a journal; see [`Sim::damage`]).
    Record,
}

/// How a member's journal fails ([`SimConfig::disk_fails`](super::SimConfig::disk_fails)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Failure {
    /// Its disk is full: a turn's first write fails (its claim, a cut, or
    /// its appends, part of the way).
    Full,
    /// A sync fails (EIO): what it wrote since its last sync may not be
    /// on the disk, whatever the page cache shows until a reboot.
    Sync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Fault {
    /// Crash a member that does not lead (or the leader), or stop it
    /// cleanly (`stop`), restart it later: without failover a leader
    /// restarts from its journal in a newer epoch.
    Crash {
        leader: bool,
        down_ns: u64,
        pick: u64,
        stop: bool,
        lose: Lose,
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
    /// A member's application falls behind for `slow_ns`
    /// ([`SimConfig::slow_apps`](super::SimConfig::slow_apps)); with
    /// `crash_in`, its node crashes before that many turns' hand-outs
    /// (see [`Fault::InAppTurn`]).
    Slow {
        pick: u64,
        leader: bool,
        slow_ns: u64,
        per_turn: u64,
        gap_ns: u64,
        crash_in: Option<u32>,
    },
    /// Member `0`, if still incarnation `1`, crashes (the power, or kill
    /// -9) between a turn's write-ahead and its hand-out: what the turn
    /// wrote is on disk (or in the page cache), and its application was
    /// not told what came with it.
    InAppTurn(usize, usize),
    /// Without failover: the leader dies for good in its next turn that
    /// sends anything, before any of its datagrams or between two of them.
    Kill,
    /// With a journal: every member crashes (or stops cleanly: `stop`),
    /// and all restart after a while.
    CrashAll {
        down_ns: u64,
        stop: bool,
    },
    /// With a journal: member `0`'s writes up to its write turn `2` become
    /// durable, if it is still incarnation `1`.
    Sync(usize, usize, u64),
    /// With a journal: a member's journal is to fail so at its next write
    /// (or sync), and its operator to start it again `fixed_ns` after this.
    DiskFail {
        pick: u64,
        leader: bool,
        fixed_ns: u64,
        failure: Failure,
    },
    /// Member `0`, if still incarnation `1`, is started again by its
    /// operator if its journal failed (see [`Fault::DiskFail`]).
    DiskFixed(usize, usize),
    /// Without failover, delivering on receipt: member `0` refused a
    /// restarted sequencer whose log lacks what it delivered past its
    /// commit, and exited (code 3); its operator starts it again.
    Refused(usize),
}

/// How long an operator takes to start again a follower that exited
/// refusing a sequencer ([`Fault::Refused`]).
const REFUSED_RESTART_NS: u64 = 1_000_000;

/// How long a member whose journal failed is down while its operator
/// starts it again ([`Fault::DiskFixed`]), at most.
const FIXED_RESTART_NS: u64 = 2_000_000;

impl Sim<'_> {
    /// Draws every fault up front; which member a fault hits is chosen when
    /// it happens (the leader then may not be the leader now).
    pub(super) fn schedule_faults(&mut self) {
        let span = self.config.fault_ns;
        let failover = self.config.failover_on();
        let mut last = span;
        for _ in 0..self.config.crashes {
            let (at, down_ns, pick) = (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            self.push(at, Item::Fault(Fault::Crash { leader: false, down_ns, pick, stop: false, lose: Lose::Nothing }));
            last = last.max(at + down_ns);
        }
        for _ in 0..self.config.leader_crashes * u32::from(failover || self.core.journal) {
            let (at, down_ns, pick) = (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            self.push(at, Item::Fault(Fault::Crash { leader: true, down_ns, pick, stop: false, lose: Lose::Nothing }));
            last = last.max(at + down_ns);
        }
        for _ in 0..self.config.partitions {
            let (at, cut_ns, pick) = (self.rng.range(0, span), self.rng.range(100_000, span / 2), self.rng.next_u64());
            let (inbound, outbound) = self.rng.pick(&[(true, true), (true, false), (false, true)]);
            let leader = failover && self.rng.chance(0.5);
            self.push(at, Item::Fault(Fault::Cut { pick, leader, inbound, outbound, cut_ns }));
            last = last.max(at + cut_ns);
        }
        for _ in 0..self.config.late_members * u32::from(failover) {
            let (cut_ns, pick) = (self.rng.range(span / 8, span / 2), self.rng.next_u64());
            self.push(0, Item::Fault(Fault::Cut { pick, leader: false, inbound: true, outbound: true, cut_ns }));
            last = last.max(cut_ns);
        }
        for _ in 0..self.config.pauses {
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
        for _ in 0..self.config.cluster_crashes * u32::from(self.core.journal) {
            let (at, down_ns) = (self.rng.range(0, span), self.rng.range(100_000, span / 2));
            self.push(at, Item::Fault(Fault::CrashAll { down_ns, stop: false }));
            last = last.max(at + down_ns);
        }
        // Clean stops draw from their own generator: runs without them are
        // what they were.
        let journal = u32::from(self.core.journal);
        for _ in 0..self.config.stops * journal {
            let rng = &mut self.stop_rng;
            let (at, down_ns, pick) = (rng.range(0, span), rng.range(100_000, span / 2), rng.next_u64());
            let leader = rng.chance(0.5);
            self.push(at, Item::Fault(Fault::Crash { leader, down_ns, pick, stop: true, lose: Lose::Nothing }));
            last = last.max(at + down_ns);
        }
        for _ in 0..self.config.cluster_stops * journal {
            let (at, down_ns) = (self.stop_rng.range(0, span), self.stop_rng.range(100_000, span / 2));
            self.push(at, Item::Fault(Fault::CrashAll { down_ns, stop: true }));
            last = last.max(at + down_ns);
        }
        let losses = [(self.config.claim_losses, Lose::Claim), (self.config.damages, Lose::Record)];
        for (count, lose) in losses {
            for _ in 0..count * u32::from(failover) * journal {
                let rng = &mut self.stop_rng;
                let (at, down_ns, pick) = (rng.range(0, span), rng.range(100_000, span / 2), rng.next_u64());
                let leader = rng.chance(0.5);
                self.push(at, Item::Fault(Fault::Crash { leader, down_ns, pick, stop: false, lose }));
                last = last.max(at + down_ns);
            }
        }
        for _ in 0..self.config.slow_apps {
            let rng = &mut self.slow_rng;
            let (at, slow_ns, pick) = (rng.range(0, span), rng.range(100_000, span / 2), rng.next_u64());
            let (leader, per_turn, gap_ns) = (rng.chance(0.5), rng.range(1, 5), rng.range(20_000, 500_000));
            let crash_in = rng.chance(0.3).then(|| rng.range(1, 40) as u32);
            self.push(at, Item::Fault(Fault::Slow { pick, leader, slow_ns, per_turn, gap_ns, crash_in }));
            last = last.max(at + slow_ns);
        }
        for _ in 0..self.config.disk_fails * journal {
            let rng = &mut self.fail_rng;
            let (at, fixed_ns, pick) = (rng.range(0, span), rng.range(100_000, span / 2), rng.next_u64());
            let (leader, failure) = (rng.chance(0.5), if rng.chance(0.5) { Failure::Sync } else { Failure::Full });
            self.push(at, Item::Fault(Fault::DiskFail { pick, leader, fixed_ns, failure }));
            last = last.max(at + fixed_ns + FIXED_RESTART_NS);
        }
        if self.config.leader_killed && !failover {
            let at = self.rng.range(0, span);
            self.push(at, Item::Fault(Fault::Kill));
        }
        self.heal_at = last;
    }

    pub(super) fn faulty(&self) -> bool {
        self.now < self.heal_at
    }

    pub(super) fn fault(&mut self, fault: Fault) {
        if self.trace {
            eprintln!("{:>12} fault {fault:?} (leader {:?})", self.now, self.leader());
        }
        match fault {
            Fault::Crash { leader, down_ns, pick, stop, lose } => {
                let i = self.pick(pick, leader);
                if !self.may_lose(i) {
                    // A member that restarts has lost its memory: more such
                    // at once than the cluster tolerates may lose commits.
                    return;
                }
                self.hitting(i);
                if !self.config.failover_on() && self.leader() == Some(i) {
                    // Without failover the leader comes back from its journal
                    // in a newer epoch, the followers still up (at `batch`,
                    // those that delivered on receipt what its disk had not
                    // synced refuse it and are started again: `Refused`).
                    self.paths.leader_restarts += 1;
                    self.next_sequencer_epoch();
                }
                // A process stopped, killed (kill -9), or a machine that
                // lost power.
                let down = match stop {
                    true => Down::Stopped,
                    false if self.kill_rng.chance(0.5) => Down::Power,
                    false => Down::Killed,
                };
                if self.crash(i, down) {
                    match lose {
                        Lose::Claim if self.nodes[i].claim.take().is_some() => {
                            self.paths.claims_lost += 1;
                            self.nodes[i].lost_records = true;
                        }
                        Lose::Record => self.nodes[i].damaged = true,
                        _ => {}
                    }
                    self.push(self.now + down_ns, Item::Fault(Fault::Restart(i)));
                }
            }
            Fault::CrashAll { down_ns, stop } => {
                if self.config.failover_on() {
                    // Members whose journal claims too little to vote on
                    // coming back vote only beside N − Q + 1 that hold a
                    // log of their own, where Qe ≥ Q, and if their claim
                    // kept their promises: short of that, with fewer than
                    // Qe whole claims, no leader could be elected again.
                    let (nodes, quorum, election) =
                        (usize::from(self.core.nodes), self.core.quorum(), self.core.election_quorum());
                    // One down whose journal comes back damaged will not claim
                    // a whole log.
                    let whole_claim = |n: &NodeSlot| n.claim.is_some_and(|c| c.whole) && !n.damaged;
                    let whole = self.nodes.iter().filter(|n| whole_claim(n)).count();
                    // Holders of a log: a vote of an empty one is no proof.
                    let holding = |n: &&NodeSlot| whole_claim(n) && !n.disk.is_empty();
                    let holders = self.nodes.iter().filter(holding).count();
                    let claims = self.nodes.iter().filter(|n| n.claim.is_some()).count();
                    let empty_votes_count = holders > nodes - quorum && election >= quorum && claims >= election;
                    if whole < election && !empty_votes_count {
                        return;
                    }
                }
                if let Some(l) = self.leader() {
                    self.hitting(l);
                }
                self.paths.cluster_crashes += u64::from(!stop);
                self.next_sequencer_epoch();
                let down = if stop { Down::Stopped } else { Down::Power };
                for i in 0..self.nodes.len() {
                    if self.crash(i, down) {
                        self.push(self.now + down_ns, Item::Fault(Fault::Restart(i)));
                    }
                }
            }
            Fault::Sync(i, incarnation, turn) => {
                if let Some(until) = self.nodes[i].paused_until.filter(|&until| until > self.now) {
                    // A paused process hears of its sync when it wakes.
                    self.push(until, Item::Fault(Fault::Sync(i, incarnation, turn)));
                } else if self.nodes[i].incarnation == incarnation && self.nodes[i].node.is_some() {
                    if self.nodes[i].failing == Some(Failure::Sync) && self.may_lose(i) {
                        self.fail_journal(i, Failure::Sync);
                    } else {
                        self.sync(i, turn);
                    }
                    self.drain(Who::Node(i));
                }
            }
            Fault::Kill => self.dying = true,
            Fault::Refused(i) => {
                if self.crash(i, Down::Stopped) {
                    self.push(self.now + REFUSED_RESTART_NS, Item::Fault(Fault::Restart(i)));
                }
            }
            Fault::Restart(i) => {
                if self.nodes[i].node.is_none() {
                    let leader = usize::from(self.core.leader.0) == i;
                    if self.config.deliver_switch && self.core.journal && !leader {
                        self.nodes[i].deliver = match self.kill_rng.chance(0.5) {
                            true => crate::core::Deliver::OnReceive,
                            false => crate::core::Deliver::OnCommit,
                        };
                    }
                    let config = self.starting_core(i);
                    self.nodes[i].incarnation = self.history.started(NodeId(i as u16));
                    // Every other one on another port: what it sent, and
                    // what is sent to it, at the new one.
                    if !self.config.failover_on() && !leader && self.nodes[i].incarnation % 2 == 1 {
                        self.nodes[i].port_moves += 1;
                        self.paths.port_moves += 1;
                    }
                    self.nodes[i].epoch = Epoch::ZERO;
                    self.nodes[i].node = Some(match self.core.journal {
                        true => self.resume(i, config),
                        false => (self.factory)(config, NodeId(i as u16), self.now),
                    });
                    // Written before anything is replayed or delivered.
                    self.nodes[i].handed_out = self.nodes[i].handed_out_now();
                }
            }
            Fault::Cut { pick, leader, inbound, outbound, cut_ns } => {
                let i = self.pick(pick, leader);
                self.hitting(i);
                self.paths.partitions += 1;
                self.nodes[i].cut_in |= inbound;
                self.nodes[i].cut_out |= outbound;
                self.push(self.now + cut_ns, Item::Fault(Fault::Heal(i)));
            }
            Fault::Heal(i) => (self.nodes[i].cut_in, self.nodes[i].cut_out) = (false, false),
            Fault::Pause { pick, leader, pause_ns } => {
                let i = self.pick(pick, leader);
                if self.nodes[i].node.is_some() {
                    self.hitting(i);
                    self.nodes[i].paused_until = Some(self.now + pause_ns);
                }
            }
            Fault::Slow { pick, leader, slow_ns, per_turn, gap_ns, crash_in } => {
                // A sequencer (no failover) hands nothing to an application.
                let i = self.pick(pick, leader && self.config.failover_on());
                if self.nodes[i].node.is_some() {
                    // Its next turn takes what waits, a spell before it
                    // may have left some.
                    let (until, next_at) = (self.now + slow_ns, Some(self.now));
                    self.nodes[i].slow = Some(super::SlowApp { until, per_turn, gap_ns, next_at, crash_in });
                }
            }
            Fault::InAppTurn(i, incarnation) => {
                if self.nodes[i].incarnation != incarnation || !self.may_lose(i) {
                    return;
                }
                let down = if self.slow_rng.chance(0.5) { Down::Power } else { Down::Killed };
                self.hitting(i);
                if self.crash(i, down) {
                    self.paths.app_turn_crashes += 1;
                    let down_ns = self.slow_rng.range(100_000, 2_000_000);
                    self.push(self.now + down_ns, Item::Fault(Fault::Restart(i)));
                }
            }
            Fault::DiskFail { pick, leader, fixed_ns, failure } => {
                let i = self.pick(pick, leader);
                let slot = &self.nodes[i];
                if slot.node.is_none() || slot.failing.is_some() || slot.failed.is_some() {
                    return;
                }
                self.hitting(i);
                // A disk that does not sync fails at a write.
                let syncs = self.core_of(i).journal_syncs;
                self.nodes[i].failing = Some(if syncs { failure } else { Failure::Full });
                let incarnation = self.nodes[i].incarnation;
                self.push(self.now + fixed_ns, Item::Fault(Fault::DiskFixed(i, incarnation)));
            }
            Fault::DiskFixed(i, incarnation) => {
                let slot = &mut self.nodes[i];
                if slot.incarnation != incarnation || slot.node.is_none() {
                    return;
                }
                let Some(failure) = slot.failed else {
                    // Fixed before its next write or sync found it.
                    slot.failing = None;
                    return;
                };
                if !self.config.failover_on() && self.leader() == Some(i) {
                    // Without failover the sequencer comes back in a newer epoch.
                    self.paths.leader_restarts += 1;
                    self.next_sequencer_epoch();
                }
                let down = match failure {
                    Failure::Full => Down::Killed,
                    Failure::Sync => Down::Power,
                };
                if self.crash(i, down) {
                    self.paths.failed_restarted += 1;
                    let down_ns = self.fail_rng.range(100_000, FIXED_RESTART_NS);
                    self.push(self.now + down_ns, Item::Fault(Fault::Restart(i)));
                }
            }
            Fault::Promote(pick) => {
                let i = (pick % self.nodes.len() as u64) as usize;
                if self.awake(i)
                    && let Some(node) = self.nodes[i].node.as_mut()
                {
                    match self.config.count_incomplete {
                        true => node.member_mut().promote_counting_incomplete(self.now),
                        false => node.member_mut().promote(self.now),
                    };
                    self.drain(Who::Node(i));
                }
            }
        }
    }

    /// Without failover the leader comes back from its journal in a newer
    /// epoch than the one it leads (or the last it led): the config a
    /// restarted leader takes.
    fn next_sequencer_epoch(&mut self) {
        let leader = self.leader().and_then(|l| self.member(l)).map(Member::epoch);
        self.core.epoch = leader.unwrap_or(self.core.epoch).next();
    }

    /// A fault is about to hit member `i`: if it leads, the time to the
    /// first commit a client sees past the one it knew is measured (see
    /// [`Paths::leader_faults`](super::Paths::leader_faults)).
    fn hitting(&mut self, i: usize) {
        if self.leader() == Some(i) && self.leader_fault.is_none() {
            let commit = self.member(i).and_then(Member::leader).map_or(0, |l| l.commit().get());
            self.leader_fault = Some((self.now, commit));
        }
    }

    /// Picks the leader (if `leader` and there is one) or another member.
    pub(super) fn pick(&self, pick: u64, leader: bool) -> usize {
        match self.leader() {
            Some(i) if leader => i,
            Some(l) if self.nodes.len() > 1 => {
                let others: Vec<usize> = (0..self.nodes.len()).filter(|&i| i != l).collect();
                others[(pick % others.len() as u64) as usize]
            }
            _ => (pick % self.nodes.len() as u64) as usize,
        }
    }

    /// With failover, whether member `i` may crash now: the members down or
    /// back but not yet trusted to vote (or that vouch for no newer log:
    /// empty, they never heard a leader, also one leading such a log, as
    /// it will once deposed) stay within what an election tolerates
    /// (`nodes - election_quorum`).
    pub(super) fn may_lose(&self, i: usize) -> bool {
        if !self.config.failover_on() {
            return true;
        }
        // One whose journal is to fail will vote no more.
        let untrusted = |j: usize| {
            self.nodes[j].failing.is_some()
                || self.member(j).is_none_or(|m| !m.may_vote() || m.vouches_for_no_newer_log())
        };
        let others = (0..self.nodes.len()).filter(|&j| j != i && untrusted(j)).count();
        others < usize::from(self.core.nodes) - self.core.election_quorum()
    }

    pub(super) fn awake(&self, i: usize) -> bool {
        self.nodes[i].paused_until.is_none_or(|until| until <= self.now)
    }

    /// Member `i` dies for good (what it sent is on its way).
    pub(super) fn kill(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].node.take() {
            self.paths.crashes += 1;
            self.paths.add_member(node.member());
            self.history.crashed(self.nodes[i].incarnation);
            (self.dying, self.killed_at) = (false, Some(self.now));
        }
    }

    /// Member `i`'s journal fails so, as a driver finds it at a write or a
    /// sync: its node is told, and nothing more is written or synced.
    pub(super) fn fail_journal(&mut self, i: usize, failure: Failure) {
        let slot = &mut self.nodes[i];
        let Some(node) = slot.node.as_mut() else { return };
        (slot.failing, slot.failed) = (None, Some(failure));
        if node.member_mut().journal_failed(self.now).is_some() {
            self.paths.handed_over += 1;
        }
        match failure {
            Failure::Full => self.paths.disks_full += 1,
            Failure::Sync => self.paths.syncs_failed += 1,
        }
        if self.trace {
            eprintln!(
                "{:>12} member {i}'s journal fails ({failure:?}), {} writes unsynced",
                self.now,
                slot.unsynced.len()
            );
        }
    }

    /// Member `i` goes down. With the power its unsynced writes are lost,
    /// and its commit file may be (never synced, it may not have reached
    /// the disk); killed or stopped, its process left them in the page
    /// cache, which its journal syncs when it opens them again (DESIGN §8):
    /// durable from the restart on. Stopped, it first keeps what it knows
    /// committed in its commit file, as its driver does. False if it was
    /// down.
    fn crash(&mut self, i: usize, down: Down) -> bool {
        if down == Down::Stopped
            && self.awake(i)
            && let Some(node) = self.nodes[i].node.as_mut()
        {
            // Its last turn: a leader hands its lead over, as its driver does.
            if node.member_mut().hand_over(self.now).is_some() {
                self.paths.handed_over += 1;
            }
            self.drain(Who::Node(i));
        }
        let Some(node) = self.nodes[i].node.take() else { return false };
        self.paths.crashes += u64::from(down != Down::Stopped);
        self.paths.stops += u64::from(down == Down::Stopped);
        self.paths.add_member(node.member());
        self.history.crashed(self.nodes[i].incarnation);
        let slot = &mut self.nodes[i];
        // A new process, whose application keeps up, on a disk that works.
        (slot.paused_until, slot.slow, slot.failing) = (None, None, None);
        let failed = slot.failed.take();
        if down == Down::Stopped && failed.is_none() {
            slot.keep_commit(node.stop_commit().get(), node.member().epoch());
        }
        let unsynced = std::mem::take(&mut slot.unsynced);
        // After a failed sync its operator reboots the host first (the
        // node says so): the page cache held what the disk may not.
        if down == Down::Power || failed == Some(Failure::Sync) {
            if !self.stop_rng.chance(0.5) {
                slot.commit_file = slot.file_synced;
            }
        } else {
            self.paths.kept_by_kills += unsynced.len() as u64;
            for (_, (seq, commit, epoch, record)) in unsynced {
                slot.disk.insert(seq, (commit, epoch, record));
            }
        }
        if self.trace {
            let how = match down {
                Down::Power => "loses the power",
                Down::Killed => "is killed (its writes stay in the page cache)",
                Down::Stopped => "stops cleanly (its writes stay in the page cache)",
            };
            eprintln!("{:>12} member {i} {how}, commit file {:?}", self.now, slot.commit_file);
        }
        true
    }

    /// Member `i`'s journal comes back with a record damaged, anywhere in
    /// it, as `storage::resume_member` reads one: the records from it on
    /// are dropped, its claim is not whole, and unless
    /// [`forgets_reach`](super::SimConfig::forgets_reach) it
    /// keeps how far its journal reached (the `reach` file; see
    /// [`Recovery::reach`](crate::journal::Recovery::reach)): its last
    /// record past the damage, or where none is the damaged sequence with
    /// the epoch of the last record kept, or of its claim where newer.
    /// False if it held no record.
    fn damage(&mut self, i: usize) -> bool {
        let slot = &mut self.nodes[i];
        if slot.disk.is_empty() {
            return false;
        }
        let at = self.stop_rng.range(0, slot.disk.len() as u64) as usize;
        let damaged = *slot.disk.keys().nth(at).expect("within the disk");
        let past = slot.disk.split_off(&damaged);
        let kept_epoch = slot.disk.values().next_back().map_or(Epoch::ZERO, |r| r.1);
        // Where none lies past it, in its claim's epoch where newer (see
        // `Recovery::reach`).
        let log_epoch = slot.claim.map_or(Epoch::ZERO, |c| c.epoch);
        let reach = match past.iter().nth(1).and(past.iter().next_back()) {
            Some((&seq, &(_, epoch, _))) => Claim { epoch, seq: Seq(seq) },
            None => Claim { epoch: kept_epoch.max(log_epoch), seq: Seq(damaged) },
        };
        if let Some(claim) = slot.claim.as_mut() {
            claim.whole = false;
        }
        if !self.config.forgets_reach {
            // The records it lost are of its claim's log at the newest (a
            // damaged record's epoch may read lower: `Recovery::reach_records`).
            let records = reach.epoch.max(log_epoch);
            slot.reach_records = match slot.reach {
                Some(_) => slot.reach_records.max(Some(records)),
                None => Some(records),
            };
            slot.reach = Some(slot.reach.map_or(reach, |kept| kept.highest(reach)));
        }
        self.paths.damaged += 1;
        slot.lost_records = true;
        if self.trace {
            eprintln!("{:>12} member {i}'s journal is damaged at {damaged}: it reached {reach:?}", self.now);
        }
        true
    }

    /// Member `i` restarts from its journal (DESIGN §8): without failover
    /// the leader resumes all of it in the newer epoch and a follower keeps
    /// what it knew committed (the rest until it follows a leader); with
    /// failover a member resumes all of it, as
    /// far as its claim trusts it. Each replays what was committed to the
    /// checker first.
    fn resume(&mut self, i: usize, config: crate::core::Config) -> Box<dyn super::SimNode> {
        // What it held first, before damage took it all (then it resumes
        // where its records did).
        let held_first = self.nodes[i].disk.keys().next().copied();
        let damaged = std::mem::take(&mut self.nodes[i].damaged) && self.damage(i);
        let (claim, commit_file) = (self.nodes[i].claim, self.nodes[i].commit_file);
        // The newest epoch of the records its journal's recovery reads (see
        // `Recovery::newest_epoch`).
        let newest_held = self.nodes[i].disk.values().map(|r| r.1).max();
        let handed_out = self.nodes[i].handed_out.map(crate::core::Seq);
        let disk = &mut self.nodes[i].disk;
        let mut commit = disk.iter().map(|(&seq, &(commit, ..))| commit.min(seq)).max().unwrap_or(0);
        // The commit file adds to what the records say, never past the
        // last record kept (as the journal's recovery reads it); what it
        // says past that, a follower of a sequencer knows too.
        let last = disk.keys().next_back().copied().unwrap_or(0);
        if let Some((file, _)) = commit_file
            && file.min(last) > commit
        {
            commit = file.min(last);
            self.paths.commit_file += 1;
        }
        // As its driver does, without a claim and with no record at or
        // below the commit: the first record past it, which damage drops.
        let past_first = disk.keys().next().is_some_and(|&first| first > commit) && claim.is_none() && damaged;
        let past = past_first.then(|| disk.iter().next().map(|(&seq, record)| (seq, record.clone()))).flatten();
        if damaged {
            // Its driver cuts what follows the commit off (the claim,
            // not whole, went to disk first), and the commit file says,
            // synced, the commit the records it drops said (in the epoch
            // of the last record read, where that is more than the file
            // said; `Journal::truncate`).
            let last_epoch = disk.values().next_back().map_or(Epoch::ZERO, |r| r.1);
            disk.retain(|&seq, _| seq <= commit);
            let filed = commit_file.map_or(0, |(file, _)| file);
            if commit > 0 || filed > 0 {
                let epoch = match commit_file {
                    _ if commit == 0 => Epoch::ZERO,
                    Some((file, epoch)) if file >= commit => epoch,
                    _ => last_epoch,
                };
                let slot = &mut self.nodes[i];
                (slot.commit_file, slot.commit_synced, slot.file_synced) =
                    (Some((commit, epoch)), Some(commit), Some((commit, epoch)));
            }
        }
        let disk = &self.nodes[i].disk;
        let beyond = commit_file.filter(|&(file, _)| file > last);
        let id = NodeId(i as u16);
        let failover = self.config.failover_on();
        let leads = id == config.leader && !failover;
        let member = if failover {
            // A member resumes all it holds, trusted as far as its claim
            // says; with none (damage left none), none of what it knew
            // committed (`storage::resume_member`).
            let first = past.as_ref().map(|&(seq, _)| seq).or(disk.keys().next().copied()).unwrap_or(commit + 1);
            self.paths.resumed_past_commit += u64::from(claim.is_none() && first > commit && commit > 0);
            let (first, commit) = (crate::core::Seq(first), crate::core::Seq(commit));
            let mut resume = crate::core::Member::resume_member(config, id, self.now, claim, (first, commit))
                .expect("the simulator's config is valid");
            for (_, epoch, record) in disk.values().chain(past.as_ref().map(|(_, record)| record)) {
                resume.push(*epoch, crate::wire::EventRef::split(record).expect("a record").0);
            }
            let mut member = resume.finish();
            // Without a whole claim it keeps only what its records say was
            // committed: how far they reached stays (`Recovery::member_reach`),
            // with the epoch of the log its claim names.
            let disk = &self.nodes[i].disk;
            let last = disk.iter().next_back().map(|(&seq, r)| Claim { epoch: r.1, seq: Seq(seq) });
            if !claim.is_some_and(|c| c.whole)
                && !self.config.forgets_reach
                && let Some(last) = last
            {
                let slot = &mut self.nodes[i];
                slot.reach_records = slot.reach_records.max(newest_held);
                slot.reach = Some(slot.reach.map_or(last, |kept| kept.highest(last)));
            }
            let slot = &mut self.nodes[i];
            if let Some(reach) = slot.reach {
                member.reached_before_damage(reach, claim.map(|c| c.epoch), slot.reach_records);
                slot.reach_log_epoch = claim.map(|c| c.epoch);
            }
            match member.may_vote() {
                true => self.paths.resumed_whole += 1,
                false => self.paths.resumed_unsure += 1,
            }
            member.stand_above(super::node::start_floor(self.now));
            member
        } else {
            // A follower keeps what it held past the commit it knew until it
            // follows a leader (which drops it: it may not be in that log).
            let config = if leads { config } else { crate::core::Config { epoch: Epoch::ZERO, ..config } };
            let config_deliver = config.deliver;
            let first = disk.keys().next().copied().unwrap_or(1);
            let log_epoch = disk.values().next_back().map_or(Epoch::ZERO, |&(_, epoch, _)| epoch);
            let log = disk.values().map(|(_, _, record)| crate::wire::EventRef::split(record).expect("a record").0);
            let range = (crate::core::Seq(first), crate::core::Seq(commit));
            let mut member = crate::core::Member::resume(config, id, self.now, range, (log_epoch, handed_out), log)
                .expect("the simulator's config is valid");
            let on_commit = config_deliver == crate::core::Deliver::OnCommit;
            if on_commit && member.seq_next_delivery().get() > commit + 1 {
                self.paths.handed_on_commit += 1;
            }
            if let Some((file, epoch)) = beyond.filter(|_| !leads) {
                member.knows_committed(crate::core::Seq(file), epoch);
                self.paths.commit_file += 1;
            }
            member
        };
        let first = self.nodes[i].disk.keys().next().copied().or(held_first).unwrap_or(1);
        let incarnation = self.nodes[i].incarnation;
        // It hands out its records from the first up to the commit (or,
        // delivering on receipt, its last), then what it gets: from the
        // first, or past that if retention deleted what lay between (a
        // leader sends it those again).
        let handed = member.seq_next_delivery().get() - 1;
        self.history.resumes_at(self.now, incarnation, first.min(handed + 1));
        if self.trace {
            let last = self.nodes[i].disk.keys().next_back();
            eprintln!("{:>12} member {i} resumes its journal: {first}..={last:?}, commit {commit}", self.now);
        }
        let replay: Vec<_> =
            self.nodes[i].disk.range(..=handed).map(|(&seq, (_, _, record))| (seq, record.clone())).collect();
        let mut next = first;
        for (seq, record) in replay {
            let (event, _) = crate::wire::EventRef::split(&record).expect("a record");
            if seq > next {
                self.history.lost(self.now, incarnation, next, seq, self.history.commit_max());
            }
            let origin = (event.header.client.get(), event.header.request.get());
            match seq > commit {
                // Its tail, delivered on receipt before it stopped.
                true => self.history.delivered_on_receipt(self.now, incarnation, seq, origin, event.payload),
                false => self.history.delivered(self.now, incarnation, seq, origin.0, origin.1, event.payload),
            }
            next = seq + 1;
        }
        // A hole after the last record up to the commit, as the driver's
        // replay reports it: the member goes on past the commit.
        if next > first && next <= handed {
            self.history.lost(self.now, incarnation, next, handed + 1, self.history.commit_max());
        }
        Box::new(member)
    }
}
