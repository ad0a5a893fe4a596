//! A cluster member that can change role: it leads or follows, and with
//! failover applies what its [`Election`] decides (stand, lead, follow,
//! step down), tells clients that ask the wrong member where the leader is,
//! and hands its application committed events whichever role it has.
//!
//! The fast path is the [`Leader`] and [`Follower`] it wraps, unchanged: a
//! datagram is parsed and checked once here, then handed to the role.

use std::cmp::Reverse;
use std::collections::VecDeque;
use std::net::SocketAddr;

use super::NewestStamp;
use super::clients::Clients;
use super::election::{Admit, Decision, Election, Owed, Reach, Request, View};
use super::{Claim, Config, ConfigError, ElectionStats, Epoch, Event, Failover, Follower, FollowerStats, MemberEvent};
use super::{KEEPALIVE_NS, Leader, LeaderStats, Nanos, NodeId, Peers, Rejects, Seq, StepDown, Transmit, admits, parse};
use crate::wire::{
    Datagram, FLAG_COUNT_INCOMPLETE, FLAG_COUNTING_INCOMPLETE, FLAG_FORCED, FLAG_LED, FLAG_SERVED, Frame, Header, Kind,
    Promote, SENDER_OBSERVER,
};

enum Role {
    Leader(Box<Leader>),
    Follower(Box<Follower>),
}

/// One member of a cluster: the [`Leader`] or a [`Follower`], and the
/// election that moves between them.
pub struct Member {
    config: Config,
    id: NodeId,
    role: Role,
    election: Election,
    /// As leader: the next sequence to hand this member's application.
    delivered_next: Seq,
    /// With failover: who sent each event this member delivered, so that
    /// if it is elected it still knows a client's resent request.
    delivered: Option<Clients>,
    /// One past the last event it reported lost ([`Seq::ZERO`]: none): it
    /// cannot know who sent those, and once elected treats their possible
    /// senders with care.
    lost_end: Seq,
    /// It reported events lost past the first it held or was to deliver
    /// (`life_first`), in this life or one its journal remembers: a hole.
    /// It stands after members that did not, so that one knowing every
    /// client's requests is elected. Not for those below its journal's
    /// first record, which retention deleted before it restarted: with
    /// retention every restarted member has those, and every election
    /// after a rolling restart waited three election timeouts for them
    /// (helper 159: 300–390 ms of silence at 100 ms, against 116–163).
    reported_lost: bool,
    /// The first sequence this life held or was to deliver: a run lost
    /// from there is no hole but what others deleted before it came (a
    /// member back empty, or with --rejoin, told its cluster's retention
    /// took the start: helper 160), as a journal's first record past 1 is.
    life_first: Seq,
    lost_report: Option<(Seq, Seq)>,
    notices: VecDeque<MemberEvent<'static>>,
    rejects: Rejects,
    /// Its journal failed: nothing it would promise can be made durable.
    journal_failed: bool,
    /// The last member frame that came from elsewhere than its sender's
    /// configured address (see [`heard_elsewhere`](Self::heard_elsewhere)).
    elsewhere: Option<(NodeId, SocketAddr)>,
    /// What its leader roles so far counted of `told_unknown` and
    /// `clients_ahead` (see [`losses_shown`](Self::losses_shown)).
    losses_led: (u64, u64),
    /// The epoch it last led since it started ([`FLAG_LED`]).
    led: Option<Epoch>,
    /// What the roles it no longer has dropped (see
    /// [`rejects_all`](Self::rejects_all)).
    rejects_roles: Rejects,
    /// How far its journal reached before damage dropped part of it (see
    /// [`reached_before_damage`](Self::reached_before_damage)).
    reach: Option<Reach>,
    /// The epoch of the leader last heard and the newest stamp (`sent_ns`)
    /// of its frames: only a newer one counts as hearing it.
    leader_stamp: NewestStamp,
}

impl core::fmt::Debug for Member {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Member")
            .field("id", &self.id)
            .field("leading", &self.is_leader())
            .field("epoch", &self.epoch())
            .field("promised", &self.promised())
            .finish_non_exhaustive()
    }
}

impl Member {
    /// Member `id` of a cluster starting now: the leader if `id` is
    /// `config.leader`, else a follower. With failover, `config.epoch` 0
    /// makes a follower that rejoins a running cluster (it learns the leader,
    /// and votes only once it holds what its leader had sequenced when it came back).
    pub fn new(config: Config, id: NodeId, now: Nanos) -> Result<Member, ConfigError> {
        let role = if id == config.leader && config.epoch != Epoch::ZERO {
            Role::Leader(Box::new(Leader::new(config.clone(), now)?))
        } else {
            Role::Follower(Box::new(Follower::new(config.clone(), id, now)?))
        };
        Ok(Member::with_role(config, id, now, role, Seq::FIRST))
    }

    /// Member `id` in `role`, delivering from `delivered_next`.
    fn with_role(config: Config, id: NodeId, now: Nanos, role: Role, delivered_next: Seq) -> Member {
        let table = || Clients::new(config.clients_max, config.client_pending_max, true);
        Member {
            election: Election::new(&config, id, now),
            delivered: (config.failover != Failover::Off).then(table),
            lost_end: Seq::ZERO,
            reported_lost: false,
            life_first: delivered_next,
            lost_report: None,
            notices: VecDeque::new(),
            rejects: Rejects::default(),
            journal_failed: false,
            elsewhere: None,
            losses_led: (0, 0),
            led: None,
            rejects_roles: Rejects::default(),
            reach: None,
            leader_stamp: NewestStamp::default(),
            delivered_next,
            role,
            id,
            config,
        }
    }

    /// It stands only in epochs above `floor`: [`MemberNode`](crate::net::MemberNode)
    /// gives the milliseconds of its start. Epochs count elections from the
    /// one a cluster started in, and members whose journals were wiped
    /// count again from there: without a floor, a log they elect could
    /// carry the epoch of another log that a member that kept its journal
    /// holds, which that member would take for its own (DESIGN §2).
    pub fn stand_above(&mut self, floor: Epoch) {
        self.election.stand_above(floor);
    }

    /// The last frame of another member that came from elsewhere than
    /// this member's cluster file says that member listens: the node, where
    /// it came from, and where the file says. What this member sends it
    /// (votes, answers, repairs) goes to that address, so where two
    /// members' cluster files differ (a typo in one) it never arrives. A
    /// frame replayed from another address looks the same.
    pub fn heard_elsewhere(&self) -> Option<(NodeId, SocketAddr, SocketAddr)> {
        let (node, from) = self.elsewhere?;
        Some((node, from, *self.config.members.get(node.index())?))
    }

    /// True once it has heard a leader (or led) since it started.
    pub fn has_heard_leader(&self) -> bool {
        self.election.has_heard_leader()
    }

    /// This member's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// True while it leads.
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    /// The leader, when this member leads.
    pub fn leader(&self) -> Option<&Leader> {
        if let Role::Leader(leader) = &self.role { Some(leader) } else { None }
    }

    /// As [`Leader::unrecoverable_frame`] while this member leads; while
    /// it follows, one that says the range is not to be had from it.
    pub fn unrecoverable_frame(&mut self, buf: &mut [u8], first: Seq, end: Seq) -> usize {
        match &mut self.role {
            Role::Leader(leader) => leader.unrecoverable_frame(buf, first, end),
            Role::Follower(follower) => follower.unrecoverable_frame(buf, first, end),
        }
    }

    /// A RETRANSMIT of `records` read from the journal (see
    /// [`Leader::history_frame`]); while it follows, of those it knows
    /// committed only, marked as served by a member that does not lead
    /// ([`FLAG_SERVED`]); (0, 0) if none.
    pub fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        match &mut self.role {
            Role::Leader(leader) => leader.history_frame(now, buf, records),
            Role::Follower(follower) => follower.history_frame(now, buf, records),
        }
    }

    /// The follower, when this member follows.
    pub fn follower(&self) -> Option<&Follower> {
        if let Role::Follower(follower) = &self.role { Some(follower) } else { None }
    }

    /// The epoch of the role: the one it leads, or the one it follows.
    pub fn epoch(&self) -> Epoch {
        match &self.role {
            Role::Leader(leader) => leader.epoch(),
            Role::Follower(follower) => follower.epoch(),
        }
    }

    /// The next sequence it hands its application.
    pub fn seq_next_delivery(&self) -> Seq {
        match &self.role {
            Role::Leader(_) => self.delivered_next,
            Role::Follower(follower) => follower.seq_next_delivery(),
        }
    }

    /// The highest epoch it stood in, voted in or followed: it never goes
    /// back (DESIGN §3.7), even when the member starts over.
    pub fn promised(&self) -> Epoch {
        self.election.promised(self.epoch())
    }

    /// While it rejoins (started with --rejoin, or starting over): how many
    /// members answered where they are fenced, and how many answers it
    /// needs before it follows a leader. `None` once it has them.
    pub fn rejoin_answers(&self) -> Option<(usize, usize)> {
        self.election.rejoin_answers()
    }

    /// Failover counters.
    pub fn election_stats(&self) -> &ElectionStats {
        self.election.stats()
    }

    /// Frames dropped before they reached the role: malformed, of another
    /// cluster, or of a leader fenced off (the roles count their own).
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    /// Every frame it dropped since it started: its own
    /// [`rejects`](Self::rejects), those of the roles it had, and those of
    /// the role it has (whose own counts start again at each change).
    pub fn rejects_all(&self) -> Rejects {
        let role = match &self.role {
            Role::Leader(leader) => *leader.rejects(),
            Role::Follower(follower) => *follower.rejects(),
        };
        self.rejects.plus(&self.rejects_roles).plus(&role)
    }

    /// The leader's counters, if it leads.
    pub fn leader_stats(&self) -> Option<LeaderStats> {
        self.leader().map(|l| *l.stats())
    }

    /// What it counted in every role it led so far, the present one
    /// included (a role's own counters start again at each change): SUBMITs
    /// of clients told of commits it had no record of
    /// (`LeaderStats::told_unknown`), and epochs clients named that its
    /// quorum had lost (`LeaderStats::clients_ahead`). Either shows the
    /// cluster lost what it had promised.
    pub fn losses_shown(&self) -> (u64, u64) {
        let now = self.leader().map_or((0, 0), |l| (l.stats().told_unknown, l.stats().clients_ahead));
        (self.losses_led.0 + now.0, self.losses_led.1 + now.1)
    }

    /// The follower's counters, if it follows.
    pub fn follower_stats(&self) -> Option<FollowerStats> {
        self.follower().map(|f| *f.stats())
    }

    /// The claim an election compares.
    fn claim(&self) -> Claim {
        match &self.role {
            Role::Leader(leader) => leader.claim(),
            Role::Follower(follower) => follower.claim(),
        }
    }

    /// True when its log can be trusted in an election (a member that came
    /// back empty is not, until it holds what its leader had sequenced when it did).
    pub fn may_vote(&self) -> bool {
        !self.journal_failed
            && match &self.role {
                Role::Leader(_) => true,
                Role::Follower(follower) => follower.may_vote(),
            }
    }

    /// Its journal failed (a full disk, an I/O error; the driver says): a
    /// vote or a candidacy promises an epoch, and a promise it cannot make
    /// durable would be forgotten at a restart (it could then vote twice in
    /// one epoch). So it votes and stands no more, and a leader steps down
    /// for a member that can count itself in a quorum. With automatic
    /// failover it hands its lead over as at a clean stop (see
    /// [`hand_over`](Self::hand_over)), so that the member it returns
    /// stands at once rather than after an election timeout of silence;
    /// not where it has been silent half that timeout by `now` (a sync
    /// that hung before it failed: the others may be standing, and a
    /// PROMOTE of its epoch would start another election). Under manual
    /// failover only an operator moves the lead. Without failover it does
    /// what the sequencer or follower it stands for does (see
    /// [`Leader::journal_failed`], [`Follower::journal_failed`]): a
    /// sequencer steps down for nobody.
    pub fn journal_failed(&mut self, now: Nanos) -> Option<NodeId> {
        self.journal_failed = true;
        if self.config.failover == Failover::Off {
            match &mut self.role {
                Role::Leader(leader) => leader.journal_failed(),
                Role::Follower(follower) => follower.journal_failed(),
            }
            return None;
        }
        let heard = |l: &Leader| now.saturating_sub(l.multicast_at()) <= self.config.election_timeout_ns / 2;
        let prompt = matches!(&self.role, Role::Leader(leader) if heard(leader));
        let handed = match self.config.failover == Failover::Auto && prompt {
            true => self.hand_over(now),
            false => None,
        };
        self.election.withdraw(now);
        self.step_down(now);
        handed
    }

    /// True once its journal failed (see [`journal_failed`](Self::journal_failed)).
    pub fn is_journal_failed(&self) -> bool {
        self.journal_failed
    }

    /// Sequences below this it never held (`Seq::ZERO`: none): told they
    /// were lost, or below its journal's first record.
    #[cfg(test)]
    pub(crate) fn lost_end(&self) -> Seq {
        self.lost_end
    }

    /// What the election is told of the role.
    fn view(&self) -> View {
        let may_stand = match &self.role {
            Role::Leader(_) => false,
            Role::Follower(follower) => {
                let log_ok = !follower.syncing() || follower.can_restore();
                self.may_vote() && log_ok && follower.epoch() != Epoch::ZERO
            }
        };
        View {
            leading: self.is_leader(),
            epoch: self.epoch(),
            claim: self.claim(),
            may_vote: self.may_vote(),
            may_stand,
            lost_any: self.reported_lost,
            empty_since: self.holds_nothing_unfollowed().then_some(self.config.epoch),
            catching_up: !self.journal_failed && self.follower().is_some_and(Follower::catching_up_to_vote),
            vouch: self.follower().and_then(Follower::vouch).filter(|_| !self.journal_failed),
            commit: self.follower().map_or(Seq::ZERO, Follower::commit),
            reach: self.reach_held(),
        }
    }

    /// Its reach while it still matters: its own log holds less
    /// ([`Reach::active`]), and it does not hold whole the starting log of
    /// a leader that releases it ([`Reach::released_by`]: newer than the
    /// records it stands for). Such a leader's log holds every commit of
    /// theirs (it was elected holding them, by holders' votes or by votes
    /// that checked their reaches), and a member holding that leader's
    /// start holds them too: what it held past that was never committed
    /// (helper 156: healed by a newer leader that had committed fewer
    /// records than it once held, a member kept refusing every candidate
    /// as a whole member, for good).
    fn reach_held(&self) -> Option<Reach> {
        let reach = self.reach.filter(|reach| reach.active(self.claim()))?;
        let newer_whole = match &self.role {
            Role::Leader(leader) => reach.released_by(leader.epoch()),
            Role::Follower(follower) => {
                let claim = follower.journal_claim();
                claim.whole && reach.released_by(claim.epoch)
            }
        };
        (!newer_whole).then_some(reach)
    }

    /// Resumed on a journal that lost records (damage, or those past its
    /// commit without a whole claim): how far that journal reached, its
    /// last record's epoch and sequence (see
    /// [`Recovery::member_reach`](crate::journal::Recovery::member_reach)),
    /// `log_epoch`, the epoch its claim file names (the leader whose log it
    /// was), `None` without a claim file, and `records`, the newest epoch
    /// the records it lost may be of where its journal kept that (see
    /// [`Reach::records`]). Until its own log holds as
    /// much ([`Reach::active`]), it grants no vote that counts without
    /// holders to a log that does not cover it ([`Reach::covered_by`]), as
    /// it would not had it kept its own (helper 145: two damaged members of
    /// three let an operator's `--count-incomplete-votes` elect a member
    /// 40,000 committed events behind them).
    pub fn reached_before_damage(&mut self, reach: Claim, log_epoch: Option<Epoch>, records: Option<Epoch>) {
        self.reach = Some(Reach { last: reach, log_epoch, records });
    }

    /// What [`reached_before_damage`](Self::reached_before_damage) said
    /// (its last record), while its own log holds less ([`Reach::active`]):
    /// once it holds as many records of a log at least as new, the log of
    /// a leader it follows, it holds what it once did; once it holds whole
    /// the starting log of a leader newer than what its reach stands for
    /// ([`Reach::released_by`]), it holds every commit of it. A
    /// candidate's log must cover it ([`Reach::covered_by`]). (The
    /// simulator's seed 44 of `--failover --journal --claim-losses 2`:
    /// back without its claim file, a member that caught up with a leader
    /// of a newer epoch than its records' kept refusing every candidate.)
    pub fn damaged_reach(&self) -> Option<Claim> {
        self.reach_held().map(|reach| reach.last)
    }

    /// Asks this member to stand for election now (`seqcast promote`); its
    /// vote request is granted even by members that still hear a leader.
    /// Returns true if it stands (or stands on a promotion already) or
    /// leads; false if it cannot (failover off, its log not whole, it
    /// rejoins).
    pub fn promote(&mut self, now: Nanos) -> bool {
        self.promoted_by(now, None, false)
    }

    /// [`promote`](Self::promote), its candidacies counting the votes of
    /// members back without all of their log as a whole member's (`seqcast
    /// promote --count-incomplete-votes`, docs/OPERATIONS.md "Damaged
    /// journals"). Safe only where every member keeps a journal: a voter
    /// that lost its log entirely may have held what the candidate lacks.
    pub fn promote_counting_incomplete(&mut self, now: Nanos) -> bool {
        self.promoted_by(now, None, true)
    }

    /// [`promote`](Self::promote), by the leader `by` handing over its lead
    /// (`None`: an operator).
    /// `count_incomplete`: the PROMOTE asked its candidacies to count votes
    /// of members back without all of their log
    /// ([`FLAG_COUNT_INCOMPLETE`]).
    fn promoted_by(&mut self, now: Nanos, by: Option<NodeId>, count_incomplete: bool) -> bool {
        if self.election.standing_promoted() {
            // Doing what was asked: a copy of the PROMOTE (`seqcast
            // promote` sends three) must not start it over in a newer
            // epoch, leaving the votes for this one stray.
            if count_incomplete && let Some(decision) = self.election.count_incomplete(now) {
                self.apply(now, decision);
            }
            return true;
        }
        let view = self.view();
        match self.election.promote(now, &view, by) {
            Some(decision) => self.apply(now, decision),
            None => return view.leading,
        }
        if count_incomplete && let Some(decision) = self.election.count_incomplete(now) {
            self.apply(now, decision);
        }
        true
    }

    /// With failover, when a leader stops cleanly (its driver calls this at
    /// SIGTERM), or its journal failed
    /// ([`journal_failed`](Self::journal_failed)): hands its lead to the
    /// member that ACKed the most of its log, by a PROMOTE of its epoch sent
    /// with [`poll_transmit`](Self::poll_transmit), so that the others elect
    /// it at once rather than after an election timeout of silence. Returns
    /// the member chosen; `None` if it does not lead, failover is off, no
    /// member ACKed it within two keepalives, or its config lists no member
    /// addresses. It takes nothing more on (its process is about to end, or
    /// it steps down). A member whose log is behind another's is refused: it
    /// stands again a few times, once it holds as much or a timeout later,
    /// while the others stand as after a crash.
    pub fn hand_over(&mut self, now: Nanos) -> Option<NodeId> {
        let Role::Leader(leader) = &self.role else { return None };
        if self.config.failover == Failover::Off {
            return None;
        }
        // Heard lately: an idle follower ACKs every KEEPALIVE_NS.
        let last_ack = leader.last_ack_ns();
        let recent = |id: usize| last_ack[id] != 0 && now.saturating_sub(last_ack[id]) <= 2 * KEEPALIVE_NS;
        let (id, _) = (leader.held().iter().enumerate())
            .filter(|&(id, _)| id != self.id.index() && recent(id))
            .max_by_key(|&(id, &held)| (held, last_ack[id], Reverse(id)))?;
        let node = NodeId(id as u16);
        let to = *self.config.members.get(id)?;
        self.election.owe(Owed::Promote { to, node });
        Some(node)
    }

    /// Carries out what the election decided.
    fn apply(&mut self, now: Nanos, decision: Decision) {
        match (decision, &mut self.role) {
            // Its new leader died before it synced: stand with the log it claims.
            (Decision::Stand, Role::Follower(follower)) => {
                follower.restore();
                follower.keep_only_own_log();
                if let Some((epoch, forced, silent_ns, handed_over_by)) = self.election.standing(now) {
                    self.notices.push_back(MemberEvent::Standing { epoch, forced, silent_ns, handed_over_by });
                }
            }
            (Decision::Won(epoch, counted_incomplete), Role::Follower(_)) => self.win(now, epoch, counted_incomplete),
            (Decision::StepDown, Role::Leader(leader)) => {
                if let Some((by, newer)) = self.election.take_fenced_by() {
                    let epoch = leader.epoch();
                    self.notices.push_back(MemberEvent::SteppedDown { epoch, by, newer, cause: StepDown::Fenced });
                }
                self.step_down(now)
            }
            (Decision::HoldIntake(until), Role::Leader(leader)) => leader.hold_intake(until),
            (decision, _) => invariant!(false, "{decision:?} does not apply to this role"),
        }
    }

    fn win(&mut self, now: Nanos, epoch: Epoch, counted_incomplete: bool) {
        let (Role::Follower(follower), Some(delivered)) = (&self.role, &self.delivered) else { return };
        let known = (delivered, self.lost_end);
        let leader = Leader::from_follower(self.config.clone(), self.id, epoch, follower, known, now);
        let (base, first) = (follower.seq_next_delivery(), leader.seq_oldest());
        if base < first {
            self.lost_report = Some((base, first));
        }
        self.delivered_next = base.max(first);
        let (commit, log_end) = (leader.commit(), leader.seq_next().prev());
        self.rejects_roles = self.rejects_roles.plus(follower.rejects());
        self.role = Role::Leader(Box::new(leader));
        self.notices.push_back(MemberEvent::Elected { epoch, commit, log_end, counted_incomplete });
    }

    /// A leader becomes a follower, keeping its log (history included) and
    /// its place in it.
    fn step_down(&mut self, now: Nanos) {
        self.losses_led = self.losses_shown();
        let Role::Leader(old) = &self.role else { return };
        self.election.stepped_down(now);
        self.led = Some(old.epoch());
        let first = old.seq_oldest();
        // After its journal failed, the log ends at what went out (or the
        // log it was elected with, or its commit, which quorum 1 reaches
        // unsent): nobody else holds what it stamped and never sent.
        // Claimed in its refusals, that would keep a promoted member
        // waiting to catch up with records nobody can give it. What its
        // journal took past that end stays counted as appended: it writes
        // nothing more, and a leader it joins truncates to the commit.
        let end = match self.journal_failed {
            true => old.seq_sent().max(old.epoch_start().next()).max(old.commit().next()),
            false => old.seq_next(),
        };
        let records = (first.get()..end.get()).map_while(|seq| old.event(Seq(seq)).map(|e| e.record));
        let log = (old.epoch(), old.commit(), self.delivered_next);
        let mut follower = Follower::from_log(self.config.clone(), self.id, now, log, first, records);
        follower.keep_journaled(old.seq_appended(), old.seq_durable(), old.epoch_start());
        self.rejects_roles = self.rejects_roles.plus(old.rejects());
        self.role = Role::Follower(Box::new(follower));
    }

    /// A leader of a newer `epoch` speaks: leading, step down; follow it.
    fn follow(&mut self, now: Nanos, epoch: Epoch, leader: NodeId) {
        if let Role::Leader(old) = &self.role {
            // Heard the newer leader itself (it was paused, or cut off, while
            // the others elected): said as a step-down, superseded.
            let _ = self.election.take_fenced_by();
            let (epoch, by, newer) = (old.epoch(), leader, epoch);
            self.notices.push_back(MemberEvent::SteppedDown { epoch, by, newer, cause: StepDown::Superseded });
        }
        self.step_down(now);
        // Not one still taking an earlier leader's log: it claims its old
        // log, while what it holds up to its commit may be that leader's.
        // Nor one whose log's epoch may be a cluster's first, which members
        // whose journals were wiped lead again with another log: only an
        // elected epoch's log starts past nothing.
        let vouches = matches!(&self.role, Role::Follower(f) if !f.syncing() && f.log_elected());
        let vouched = vouches && self.election.vouched_for(epoch, leader);
        self.election.follow(now, epoch);
        let Role::Follower(follower) = &mut self.role else { unreachable!("stepped down") };
        follower.join(epoch, leader);
        if vouched {
            follower.vouched();
        }
        self.notices.push_back(MemberEvent::Following { epoch, leader });
    }

    /// True if this member, started as a new cluster's in `config.epoch`,
    /// hears its first leader in a newer `epoch` holding nothing: the
    /// cluster elected without it, so it ran before this member started. A
    /// member that held events and lost them (restarted without its
    /// journal and without --rejoin) would vote with an empty log: enough
    /// to elect a member that lacks events committed with its ACK.
    fn came_back_empty(&self, epoch: Epoch) -> bool {
        epoch > self.config.epoch && self.holds_nothing_unfollowed()
    }

    /// Started as a new cluster's member (not rejoining), it holds and
    /// delivered nothing and has followed no leader: it cannot tell whether
    /// it never had a log or lost one, and so its vote for a log of an
    /// epoch newer than the one it was started in counts only beside
    /// enough votes of members that hold a log
    /// ([`Ballot::GrantedEmpty`](crate::wire::Ballot::GrantedEmpty)).
    pub fn holds_nothing_unfollowed(&self) -> bool {
        let holds_nothing = self.follower().is_some_and(|f| f.claim().seq == Seq::ZERO && f.commit() == Seq::ZERO);
        holds_nothing && self.new_and_unfollowed()
    }

    /// As [`holds_nothing_unfollowed`](Self::holds_nothing_unfollowed), or
    /// it leads a log it has stamped nothing in: deposed, it will hold
    /// nothing and have followed nobody, and vouch for no newer log. What
    /// an election tolerates counts it as a member that cannot vote.
    pub fn vouches_for_no_newer_log(&self) -> bool {
        let leads_empty = self.leader().is_some_and(|leader| leader.seq_next() == Seq::FIRST);
        self.holds_nothing_unfollowed() || (leads_empty && self.new_and_unfollowed())
    }

    /// Started as a new cluster's member, it delivered nothing and heard
    /// no leader.
    fn new_and_unfollowed(&self) -> bool {
        self.config.epoch != Epoch::ZERO && self.delivered_next == Seq::FIRST && !self.election.has_heard_leader()
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let fencing = self.election.fencing();
        self.take_datagram(now, from, bytes);
        self.election.check(fencing);
    }

    fn take_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        if let Role::Leader(leader) = &mut self.role {
            leader.keep_for_hand_out(self.delivered_next);
        }
        if self.config.failover == Failover::Off {
            return match &mut self.role {
                Role::Leader(leader) => leader.handle_datagram(now, from, bytes),
                Role::Follower(follower) => follower.handle_datagram(now, from, bytes),
            };
        }
        let Some(datagram) = parse(bytes, (self.config.cluster_id, self.config.shape(), true), &mut self.rejects)
        else {
            return;
        };
        let sender = datagram.header.member();
        if sender == Some(self.id) {
            // Its own multicast, looped back to the group socket, is no news;
            // any other frame in its name was sent by someone else.
            let multicast = matches!(datagram.frame, Frame::Data(_) | Frame::Heartbeat(_) | Frame::VoteRequest(_));
            if !multicast || datagram.header.epoch() > self.election.promised(self.epoch()) {
                self.rejects.own_id += 1;
            }
            return;
        }
        if !self.config.sent_from_members_address(sender, from) {
            self.elsewhere = sender.map(|node| (node, from));
        }
        match (&datagram.frame, sender) {
            (Frame::VoteRequest(_) | Frame::Vote(_) | Frame::Promote(_), _) => self.election_frame(now, from, datagram),
            (Frame::Submit(_), _) if !self.is_leader() => self.not_leader(now, from, datagram),
            // A NAK to this member, which follows, for what its leader no
            // longer had: it may serve it from its journal (DESIGN §8).
            (Frame::Nak(_), _) if !self.is_leader() && datagram.header.flags.get() & FLAG_SERVED != 0 => {
                let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
                if let Role::Follower(follower) = &mut self.role
                    && admits(&datagram, peers, &mut self.rejects)
                {
                    follower.serve_nak(now, from, &datagram);
                }
            }
            // Another member's ACK or NAK, or a tail's NAK, to this one,
            // which leads no more (it stepped down, or woke from a pause):
            // routine around an election, as a leader's frames a follower
            // does not take are.
            (Frame::Ack(_) | Frame::Nak(_), member)
                if !self.is_leader()
                    && (member.is_some()
                        || matches!(datagram.frame, Frame::Nak(_))
                            && datagram.header.sender.get() == SENDER_OBSERVER) =>
            {
                self.rejects.not_leader += 1
            }
            // A member that does not lead serves what a leader no longer
            // had: no leader's frame.
            _ if super::follower::is_served(&datagram) => {
                let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
                match &mut self.role {
                    Role::Follower(follower) if admits(&datagram, peers, &mut self.rejects) => {
                        follower.handle_frame(now, from, datagram)
                    }
                    Role::Follower(_) => {}
                    Role::Leader(_) => self.rejects.unexpected_kind += 1,
                }
            }
            (Frame::Data(_) | Frame::Heartbeat(_) | Frame::Retransmit(_) | Frame::Unrecoverable(_), Some(sender)) => {
                self.leader_frame(now, from, sender, datagram)
            }
            _ => self.role_frame(now, from, datagram),
        }
    }

    /// A frame of a leader: fenced, followed, or handed to the role.
    fn leader_frame(&mut self, now: Nanos, from: SocketAddr, sender: NodeId, datagram: Datagram<'_>) {
        if !self.config.sent_from_members_address(Some(sender), from) {
            // A replay: it would put off an election as if the leader
            // still spoke (and, to a member back empty, say how much it
            // must hold before it votes, from a time when that was less).
            self.rejects.elsewhere += 1;
            return;
        }
        if self.follower().is_some_and(|f| f.short_leader().is_some()) {
            // It refused a leader elected without commits it knows: no later
            // leader's log, grown from that one, is its log either.
            self.rejects.wrong_epoch += 1;
            return;
        }
        let epoch = datagram.header.epoch();
        match self.election.admit(now, (from, sender), epoch, self.epoch()) {
            Admit::Wait => return,
            Admit::Fenced => {
                self.rejects.wrong_epoch += 1;
                return;
            }
            Admit::Newer => {
                let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
                if !admits(&datagram, peers, &mut self.rejects) {
                    return;
                }
                let empty = self.came_back_empty(epoch);
                let voted = self.election.voted_for(epoch, sender);
                self.follow(now, epoch, sender);
                if empty && let Role::Follower(follower) = &mut self.role {
                    // As a member started with --rejoin: it votes once it
                    // holds what this leader says was sequenced.
                    follower.vote_once_caught_up(voted);
                    self.notices.push_back(MemberEvent::JoinedEmpty { epoch });
                }
            }
            // A member that resumed its journal follows nobody until a
            // leader speaks, maybe the one of the epoch its log follows:
            // its log is a prefix of that leader's, kept as it is.
            Admit::Current if self.follower().is_some_and(|f| f.leader().is_none()) => {
                let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
                if !admits(&datagram, peers, &mut self.rejects) {
                    return;
                }
                self.election.follow(now, epoch);
                let Role::Follower(follower) = &mut self.role else { unreachable!("checked") };
                follower.resume_following(sender);
                self.notices.push_back(MemberEvent::Following { epoch, leader: sender });
            }
            Admit::Current => {}
        }
        if self.follower().is_some_and(|f| f.leader() == Some(sender)) && self.newer_from_leader(&datagram) {
            self.election.heard_leader(now);
        }
        self.role_frame(now, from, datagram);
    }

    /// True if `datagram`, a frame of the leader followed, was sent after
    /// every one heard from that leader in its epoch (its stamp is newer).
    /// A frame recorded and replayed from the leader's own address (its
    /// port bound again after it died, or a forged source) must not count
    /// as hearing it: that would put the election off while the replay
    /// lasts. A frame with no stamp (UNRECOVERABLE) does not count; the
    /// leader's HEARTBEATs do.
    fn newer_from_leader(&mut self, datagram: &Datagram<'_>) -> bool {
        let Some(stamp) = datagram.frame.sent_ns() else { return false };
        self.leader_stamp.later(datagram.header.epoch(), Some(stamp))
    }

    fn role_frame(&mut self, now: Nanos, from: SocketAddr, datagram: Datagram<'_>) {
        match &mut self.role {
            Role::Leader(leader) => {
                leader.handle_frame(now, from, datagram);
                if leader.foreign_history() {
                    self.start_over(now);
                }
            }
            Role::Follower(follower) => follower.handle_frame(now, from, datagram),
        }
    }

    /// Leading a history the cluster does not have (it restarted without
    /// --rejoin, while the others ran on): start again as a member that
    /// comes back empty, which learns the epoch and the leader first. What
    /// it handed its application stays handed (it was committed): it goes
    /// on from the next sequence, and its journal keeps only that.
    fn start_over(&mut self, now: Nanos) {
        let losses_led = self.losses_shown();
        let config = Config { epoch: Epoch::ZERO, ..self.config.clone() };
        let Role::Leader(leader) = &self.role else { return };
        let (delivered, appended) = (self.delivered_next.prev(), leader.seq_appended());
        let mut follower = Follower::after(config.clone(), self.id, now, delivered).expect("the config was valid");
        follower.drop_journal_tail(appended);
        let fresh = Member::with_role(config, self.id, now, Role::Follower(Box::new(follower)), delivered.next());
        // What it promised still binds it; who sent what it delivered is still known.
        let mut election = std::mem::replace(&mut self.election, fresh.election);
        election.start_over(&self.config, now);
        let (table, lost_end, reported_lost) = (self.delivered.take(), self.lost_end, self.reported_lost);
        // What it and its roles dropped stays counted (the leader's among them).
        let rejects_roles = self.rejects_all();
        let (delivered, life_first) = (table.or(fresh.delivered), self.life_first);
        *self = Member { election, delivered, lost_end, reported_lost, life_first, losses_led, rejects_roles, ..fresh };
    }

    /// A SUBMIT reached a member that does not lead: say who does.
    fn not_leader(&mut self, now: Nanos, from: SocketAddr, datagram: Datagram<'_>) {
        if !admits(&datagram, Peers::Leader { leader: Some(self.id), nodes: self.config.nodes }, &mut self.rejects) {
            return;
        }
        let Frame::Submit(submit) = datagram.frame else { return };
        self.election.redirected();
        let (client, request) = (submit.head.client(), submit.head.request.get());
        // Name the leader only while it is heard: a dead one sends the
        // client back to silence.
        let heard = self.election.hears_leader(now, &self.view());
        let leader = match &self.role {
            Role::Follower(f) if heard && f.epoch() >= self.election.fence() => f.leader(),
            _ => None,
        };
        self.election.owe(Owed::NotLeader { to: from, client, request, leader });
    }

    fn election_frame(&mut self, now: Nanos, from: SocketAddr, datagram: Datagram<'_>) {
        // An operator's PROMOTE comes from outside the cluster.
        let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
        if !matches!(datagram.frame, Frame::Promote(_)) && !admits(&datagram, peers, &mut self.rejects) {
            return;
        }
        let (sender, epoch) = (NodeId(datagram.header.sender.get()), datagram.header.epoch());
        let decision = match datagram.frame {
            Frame::Promote(&Promote { node, .. }) if node.get() == self.id.0 => {
                // It names the epoch the operator saw led (0: none was heard).
                // One of an epoch gone (a replay) moves nothing, nor does one
                // that saw no leader while this member hears one.
                let heard = self.election.hears_leader(now, &self.view());
                let current = if epoch == Epoch::ZERO { !heard } else { epoch == self.epoch() };
                self.election.promote_heard(epoch, current);
                if current {
                    let count_incomplete = datagram.header.flags.get() & FLAG_COUNT_INCOMPLETE != 0;
                    let by = datagram.header.member().filter(|by| by.0 < self.config.nodes);
                    self.promoted_by(now, by, count_incomplete);
                } else {
                    self.rejects.election += 1;
                }
                None
            }
            Frame::VoteRequest(request) => {
                let flags = datagram.header.flags.get();
                let (forced, counting) = (flags & FLAG_FORCED != 0, flags & FLAG_COUNTING_INCOMPLETE != 0);
                let (claim, led) = (request.claim(), flags & FLAG_LED != 0);
                let request = Request { from, candidate: sender, epoch, claim, forced, counting, led };
                match self.election.on_vote_request(now, request, &self.view()) {
                    Some(Decision::StepDown) => {
                        // Forced while leading: it votes as the follower it becomes.
                        let (by, newer) = (sender, epoch);
                        self.notices.push_back(MemberEvent::SteppedDown {
                            epoch: self.epoch(),
                            by,
                            newer,
                            cause: StepDown::Promoted,
                        });
                        self.step_down(now);
                        self.election.on_vote_request(now, request, &self.view())
                    }
                    decision => decision,
                }
            }
            // A VOTE answers one candidate: one recorded on its way to
            // another and replayed here counts for nobody.
            Frame::Vote(vote) if vote.candidate() != self.id => {
                self.rejects.election += 1;
                None
            }
            Frame::Vote(vote) => {
                let stray = self.election.stats().stray_votes;
                let decision = self.election.on_vote(now, (sender, vote.claim()), epoch, vote.ballot(), &self.view());
                self.rejects.election += self.election.stats().stray_votes - stray;
                decision
            }
            // A PROMOTE for another member.
            _ => {
                self.rejects.election += 1;
                None
            }
        };
        if let Some(decision) = decision {
            self.apply(now, decision);
        }
    }

    /// Called when `poll_timeout` passes.
    pub fn handle_timeout(&mut self, now: Nanos) {
        let fencing = self.election.fencing();
        if let Some(decision) = self.election.handle_timeout(now, &self.view()) {
            self.apply(now, decision);
        }
        self.election.check(fencing);
        match &mut self.role {
            Role::Leader(leader) => leader.handle_timeout(now),
            Role::Follower(follower) => follower.handle_timeout(now),
        }
    }

    /// When the member next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let role = match &self.role {
            Role::Leader(leader) => leader.poll_timeout(),
            Role::Follower(follower) => follower.poll_timeout(),
        };
        [role, self.election.poll_timeout(&self.view())].into_iter().flatten().min()
    }

    /// Writes the next datagram to send into `buf` (at least `mtu` bytes):
    /// election frames first, then the role's.
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(owed) = self.election.pop_owed() {
            let header = Header::new(Kind::Vote, self.id.0, self.config.cluster_id, self.epoch());
            let header = Header { token: self.config.shape().into(), ..header };
            let claim = self.claim();
            return Some(owed.emit(buf, header, claim, self.led == Some(claim.epoch)));
        }
        match &mut self.role {
            Role::Leader(leader) => leader.poll_transmit(now, buf),
            Role::Follower(follower) => {
                // Fenced off from the leader it still follows, it ACKs that
                // leader no more. Held can grow without that leader's
                // frames, which the fence drops: a member serving history
                // said what it held below was gone (the simulator's seed
                // 100060103 of `--failover`: seq 43 committed in epoch 2
                // with such an ACK, and again in 3).
                follower.fence_acks(follower.epoch() < self.election.fence());
                follower.poll_transmit(now, buf)
            }
        }
    }

    /// The next event for this member's application: what it is told of
    /// its role, then committed events in sequence order, whichever role.
    /// Leading, it takes no more than `in_flight_max` events past the next
    /// one this hands out: clients wait (BUSY) for an application that
    /// does not take them.
    pub fn poll_event(&mut self) -> Option<MemberEvent<'_>> {
        if let Some(notice) = self.notices.pop_front() {
            return Some(notice);
        }
        if let Some((first, end)) = self.lost_report.take() {
            self.lost_end = self.lost_end.max(end);
            self.reported_lost |= first > self.life_first;
            return Some(MemberEvent::Log(Event::Lost { first, end }));
        }
        let event = match &mut self.role {
            Role::Follower(follower) => follower.poll_event().map(MemberEvent::Log),
            Role::Leader(leader) => {
                while leader.poll_event().is_some() {}
                let seq = self.delivered_next;
                if seq > leader.commit() {
                    return None;
                }
                self.delivered_next = seq.next();
                match leader.event(seq) {
                    Some(event) => Some(MemberEvent::Log(Event::Deliver(event))),
                    None => {
                        // Left the ring before this member delivered it.
                        let end = leader.seq_oldest().min(leader.commit().next()).max(seq.next());
                        self.delivered_next = end;
                        Some(MemberEvent::Log(Event::Lost { first: seq, end }))
                    }
                }
            }
        };
        match event {
            Some(MemberEvent::Log(Event::Deliver(e))) => {
                if let Some(table) = self.delivered.as_mut() {
                    table.record(e.header.client(), e.header.request.get(), e.header.seq.get());
                }
                self.delivered_next = e.header.seq().next();
            }
            Some(MemberEvent::Log(Event::Lost { first, end })) => {
                self.lost_end = self.lost_end.max(end);
                self.reported_lost |= first > self.life_first;
                self.delivered_next = end;
            }
            _ => {}
        }
        event
    }
}

mod journal;
pub use journal::MemberResume;
#[cfg(test)]
mod tests;
