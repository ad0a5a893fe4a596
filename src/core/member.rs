//! A cluster member that can change role: it leads or follows, and with
//! failover it stands for election when the leader goes quiet (or an
//! operator asks), votes, steps down when a newer epoch speaks, and tells
//! clients that ask the wrong member where the leader is (DESIGN §2).
//!
//! The fast path is the [`Leader`] and [`Follower`] it wraps, unchanged: a
//! datagram reaches them after a look at four header bytes. Everything here
//! runs only when the leader changes.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::clients::Clients;
use super::{Config, ConfigError, Dest, Event, Failover, Follower, FollowerStats, Leader, Nanos, NodeId, Rejects};
use super::{LeaderStats, Peers, Transmit, accept};
use crate::wire::{
    self, Busy, BusyReason, FLAG_FORCED, Frame, Header, Kind, Promote, SENDER_CLIENT, Vote, VoteRequest, emit,
};

/// Counters of the failover paths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElectionStats {
    /// Elections this member stood in.
    pub stood: u64,
    /// Elections it won.
    pub won: u64,
    /// Elections it lost: refused by too many, timed out, or beaten.
    pub lost: u64,
    /// Votes it granted.
    pub granted: u64,
    /// Votes it refused (a stale epoch, a vote already given, a less
    /// complete log, or a log it cannot vouch for).
    pub refused: u64,
    /// Vote requests ignored because its leader is alive.
    pub ignored: u64,
    /// Times it led and stepped down for a newer epoch (a fenced stale leader).
    pub stepped_down: u64,
    /// SUBMITs answered with "not leader".
    pub redirected: u64,
    /// Promotions asked for that it could not honour (its log is not whole).
    pub promote_refused: u64,
}

enum Role {
    Leader(Box<Leader>),
    Follower(Box<Follower>),
}

/// A vote request put off while the leader was still heard: when it came,
/// from where, and what it asked.
#[derive(Clone, Copy, Debug)]
struct Deferred {
    at: Nanos,
    from: SocketAddr,
    candidate: NodeId,
    epoch: u64,
    claim: (u64, u64),
}

/// A member's candidacy for `epoch`.
#[derive(Clone, Copy, Debug)]
struct Candidacy {
    epoch: u64,
    granted: u64,
    refused: u64,
    until: Nanos,
    /// When the VOTE_REQUEST last went out: unless forced, it is sent again
    /// every [`REQUEST_RESEND_DIVISOR`]th of an election timeout while the
    /// candidacy lasts (one lost datagram must not cost all of it).
    asked_at: Nanos,
    forced: bool,
    /// Forced candidacies in a row (an operator's promotion is retried a few
    /// times when votes are lost, never when they are refused).
    tries: u8,
}

/// Candidacies one promotion makes at most.
const FORCED_TRIES: u8 = 8;

/// A member that came back asks the others for the epoch they are fenced at.
#[derive(Clone, Copy, Debug)]
struct Rejoin {
    replies: u64,
    fence: u64,
    asked_at: Option<Nanos>,
}

/// A frame the election logic owes.
#[derive(Clone, Copy, Debug)]
enum Owed {
    Request { epoch: u64, forced: bool },
    Vote { to: SocketAddr, epoch: u64, granted: bool },
    NotLeader { to: SocketAddr, client: u32, request: u64, leader: u16 },
}

/// A candidate sends its VOTE_REQUEST again every election timeout
/// divided by this while votes are missing.
const REQUEST_RESEND_DIVISOR: u64 = 8;

/// Most election frames queued at once (a burst of vote requests or SUBMITs).
const OWED_MAX: usize = 64;

/// One member of a cluster: the [`Leader`] or a [`Follower`], and the
/// election that moves between them.
pub struct Member {
    config: Config,
    id: NodeId,
    role: Role,
    /// Highest epoch stood in, voted in or followed: votes for older epochs
    /// are refused.
    promised: u64,
    voted_for: Option<NodeId>,
    /// Highest epoch followed or voted in for another member: frames of
    /// older leaders are fenced off (while standing, `promised` fences too).
    fenced_below: u64,
    candidacy: Option<Candidacy>,
    /// Last frame from the leader followed (or when this member started).
    leader_at: Nanos,
    /// It has heard a leader since it started.
    heard_leader: bool,
    /// Last time it stood, lost, or granted a vote: the next automatic
    /// candidacy waits a timeout from whichever of the two is later.
    active_at: Nanos,
    /// When a fenced leader was last told of the newer epoch.
    noticed_at: Nanos,
    /// Coming back empty into a running cluster, it first asks the others
    /// which epoch they are in: it may have promised a newer epoch before it
    /// restarted, and must not help an older leader commit.
    rejoin: Option<Rejoin>,
    /// Extra random wait before standing, drawn anew after each election.
    jitter_ns: u64,
    /// Stand at this time even without silence (after a lost forced election).
    stand_at: Option<(Nanos, bool)>,
    /// A vote request that came while this member still heard its leader:
    /// answered when that stops, if within an election timeout of asking.
    deferred: Option<Deferred>,
    forced_tries: u8,
    rng: u64,
    /// As leader: the next sequence to hand this member's application.
    delivered_next: u64,
    /// With failover: who sent each event this member delivered, so that
    /// if it is elected it still knows a client's resent request.
    delivered: Option<Clients>,
    /// One past the last event it reported lost (0: none): it cannot know
    /// who sent those, and once elected treats their possible senders with care.
    lost_end: u64,
    lost_report: Option<(u64, u64)>,
    owed: VecDeque<Owed>,
    notices: VecDeque<Event<'static>>,
    stats: ElectionStats,
    rejects: Rejects,
}

impl core::fmt::Debug for Member {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Member")
            .field("id", &self.id)
            .field("leading", &self.is_leader())
            .field("epoch", &self.epoch())
            .field("promised", &self.promised)
            .finish_non_exhaustive()
    }
}

impl Member {
    /// Member `id` of a cluster starting now: the leader if `id` is
    /// `config.leader`, else a follower. With failover, `config.epoch` 0
    /// makes a follower that rejoins a running cluster (it learns the leader,
    /// and votes only once it holds what was committed when it came back).
    pub fn new(config: Config, id: NodeId, now: Nanos) -> Result<Member, ConfigError> {
        let role = if id == config.leader && config.epoch != 0 {
            Role::Leader(Box::new(Leader::new(config.clone(), now)?))
        } else {
            Role::Follower(Box::new(Follower::new(config.clone(), id, now)?))
        };
        let seed = (u64::from(id.0) << 48) ^ u64::from(config.cluster_id) ^ now ^ 0x9e37_79b9_7f4a_7c15;
        let mut member = Member {
            promised: config.epoch,
            voted_for: None,
            fenced_below: config.epoch,
            candidacy: None,
            leader_at: now,
            heard_leader: false,
            active_at: now,
            noticed_at: 0,
            rejoin: (config.failover != Failover::Off && config.epoch == 0).then_some(Rejoin {
                replies: 0,
                fence: 0,
                asked_at: None,
            }),
            jitter_ns: 0,
            stand_at: None,
            deferred: None,
            forced_tries: 0,
            rng: seed,
            delivered_next: 1,
            delivered: (config.failover != Failover::Off)
                .then(|| Clients::new(config.clients_max, config.client_pending_max, true)),
            lost_end: 0,
            lost_report: None,
            owed: VecDeque::with_capacity(OWED_MAX),
            notices: VecDeque::new(),
            stats: ElectionStats::default(),
            rejects: Rejects::default(),
            role,
            id,
            config,
        };
        member.jitter_ns = member.draw_jitter();
        Ok(member)
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
        match &self.role {
            Role::Leader(leader) => Some(leader),
            Role::Follower(_) => None,
        }
    }

    /// The follower, when this member follows.
    pub fn follower(&self) -> Option<&Follower> {
        match &self.role {
            Role::Leader(_) => None,
            Role::Follower(follower) => Some(follower),
        }
    }

    /// The epoch of the role: the one it leads, or the one it follows.
    pub fn epoch(&self) -> u64 {
        match &self.role {
            Role::Leader(leader) => leader.epoch(),
            Role::Follower(follower) => follower.epoch(),
        }
    }

    /// The highest epoch it stood in, voted in or followed: it never goes
    /// back (DESIGN §3.7), even when the member starts over.
    pub fn promised(&self) -> u64 {
        self.promised.max(self.epoch())
    }

    /// Failover counters.
    pub fn election_stats(&self) -> &ElectionStats {
        &self.stats
    }

    /// Frames dropped by the election logic (the roles count their own).
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    /// The leader's counters, if it leads.
    pub fn leader_stats(&self) -> Option<LeaderStats> {
        self.leader().map(|l| *l.stats())
    }

    /// The follower's counters, if it follows.
    pub fn follower_stats(&self) -> Option<FollowerStats> {
        self.follower().map(|f| *f.stats())
    }

    fn draw_jitter(&mut self) -> u64 {
        // SplitMix64: deterministic per member, so the simulator replays.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % self.config.election_timeout_ns.max(1)
    }

    /// The claim an election compares: (epoch of its log, last sequence).
    fn claim(&self) -> (u64, u64) {
        match &self.role {
            Role::Leader(leader) => (leader.epoch(), leader.seq_next() - 1),
            Role::Follower(follower) => follower.claim(),
        }
    }

    /// True when its log can be trusted in an election (a member that came
    /// back empty is not, until it holds what was committed when it did).
    pub fn may_vote(&self) -> bool {
        match &self.role {
            Role::Leader(_) => true,
            Role::Follower(follower) => follower.may_vote(),
        }
    }

    /// A follower may stand once its log is whole: not syncing, trusted.
    fn may_stand(&self) -> bool {
        match &self.role {
            Role::Leader(_) => false,
            Role::Follower(follower) => {
                let log_ok = !follower.syncing() || follower.can_restore();
                follower.may_vote() && log_ok && follower.epoch() != 0
            }
        }
    }

    /// True while the leader it follows (or it, leading) is known alive.
    fn hears_leader(&self, now: Nanos) -> bool {
        match &self.role {
            Role::Leader(_) => true,
            Role::Follower(f) => f.epoch() != 0 && now < self.leader_at + self.config.election_timeout_ns,
        }
    }

    fn owe(&mut self, owed: Owed) {
        if self.owed.len() < OWED_MAX {
            self.owed.push_back(owed);
        }
    }

    /// Asks this member to stand for election now (`seqcast promote`); its
    /// vote request is granted even by members that still hear a leader.
    /// Returns false if it cannot: it leads already, or its log is not whole.
    pub fn promote(&mut self, now: Nanos) -> bool {
        if self.config.failover == Failover::Off || !self.may_stand() {
            self.stats.promote_refused += u64::from(!self.is_leader());
            return self.is_leader();
        }
        self.stand(now, true);
        true
    }

    fn stand(&mut self, now: Nanos, forced: bool) {
        if let Role::Follower(follower) = &mut self.role {
            // Its new leader died before it synced: stand with the log it claims.
            follower.restore();
        }
        let epoch = self.promised.max(self.epoch()) + 1;
        (self.promised, self.voted_for) = (epoch, Some(self.id));
        self.jitter_ns = self.draw_jitter();
        let until = now + self.config.election_timeout_ns + self.jitter_ns;
        let tries = if forced { std::mem::take(&mut self.forced_tries) } else { 0 };
        self.candidacy =
            Some(Candidacy { epoch, granted: 1 << self.id.0, refused: 0, until, asked_at: now, forced, tries });
        self.active_at = now;
        self.stand_at = None;
        self.stats.stood += 1;
        self.owe(Owed::Request { epoch, forced });
    }

    /// Ends a candidacy that did not win; `timed_out` if too few answered.
    fn lose(&mut self, now: Nanos, timed_out: bool) {
        let Some(candidacy) = self.candidacy.take() else { return };
        self.stats.lost += 1;
        self.active_at = now;
        self.jitter_ns = self.draw_jitter();
        if candidacy.forced && candidacy.tries < FORCED_TRIES {
            // An operator asked: try again soon, whether votes went missing
            // or the leader refused while this member caught up with it.
            let pause = if timed_out { self.jitter_ns } else { self.config.election_timeout_ns / 8 };
            self.stand_at = Some((now + pause, true));
            self.forced_tries = candidacy.tries + 1;
        }
    }

    fn win(&mut self, now: Nanos) {
        let Some(candidacy) = self.candidacy.take() else { return };
        let Role::Follower(follower) = &self.role else { return };
        let Some(delivered) = &self.delivered else { return };
        let known = (delivered, self.lost_end);
        let leader = Leader::from_follower(self.config.clone(), self.id, candidacy.epoch, follower, known, now);
        let base = follower.seq_next_delivery();
        let first = leader.seq_oldest();
        if base < first {
            self.lost_report = Some((base, first));
        }
        self.delivered_next = base.max(first);
        self.role = Role::Leader(Box::new(leader));
        self.fenced_below = self.fenced_below.max(candidacy.epoch);
        self.stats.won += 1;
        let (commit, log_end) = match &self.role {
            Role::Leader(leader) => (leader.commit(), leader.seq_next() - 1),
            Role::Follower(_) => unreachable!("just elected"),
        };
        self.notices.push_back(Event::Elected { epoch: candidacy.epoch, commit, log_end });
    }

    /// Frames of leaders older than this are fenced off.
    fn fence(&self) -> u64 {
        if self.candidacy.is_some() { self.promised } else { self.fenced_below }
    }

    /// A leader of a newer `epoch` speaks: leading, step down; follow it.
    fn follow(&mut self, now: Nanos, epoch: u64, leader: NodeId) {
        self.step_down(now);
        if self.candidacy.is_some_and(|c| c.epoch <= epoch) {
            self.candidacy = None;
            self.stats.lost += 1;
        }
        self.forced_tries = 0;
        let Role::Follower(follower) = &mut self.role else { unreachable!("stepped down") };
        follower.join(epoch, leader);
        self.promised = self.promised.max(epoch);
        self.fenced_below = self.fenced_below.max(epoch);
        (self.leader_at, self.heard_leader) = (now, true);
        (self.stand_at, self.deferred) = (None, None);
        self.notices.push_back(Event::Following { epoch, leader });
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        if self.config.failover == Failover::Off || bytes.len() < size_of::<Header>() {
            return self.role_datagram(now, from, bytes);
        }
        // A look at kind, sender and epoch (checked for real below or by the role).
        let kind = Kind::from(bytes[3]);
        let sender = u16::from_le_bytes([bytes[6], bytes[7]]);
        if sender == self.id.0 {
            // Its own multicast, looped back to the group socket.
            return;
        }
        let epoch = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
        match kind {
            Kind::VoteRequest | Kind::Vote | Kind::Promote => self.election_datagram(now, from, bytes),
            Kind::Submit if !self.is_leader() => self.not_leader(now, from, bytes),
            Kind::Data | Kind::Heartbeat | Kind::Retransmit | Kind::Unrecoverable if sender != SENDER_CLIENT => {
                if self.rejoin.is_some() {
                    // Not before it knows which leaders are stale.
                    return;
                }
                if epoch < self.fence() {
                    // Fenced: a leader this member no longer follows. Tell it
                    // (once a timeout) that a newer epoch exists, or a leader
                    // that missed an election would keep it out forever.
                    self.rejects.wrong_epoch += 1;
                    // Only a promise to another (or a newer leader) deposes
                    // it: a candidate that may still lose must not.
                    if epoch < self.fenced_below && now >= self.noticed_at + self.config.election_timeout_ns {
                        self.noticed_at = now;
                        self.owe(Owed::Vote { to: from, epoch: self.fenced_below, granted: false });
                    }
                    return;
                }
                if epoch > self.epoch() || self.epoch() == 0 {
                    let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
                    let header = Header::new(Kind::Ack, self.id.0, self.config.cluster_id, epoch);
                    if accept(bytes, &header, peers, &mut self.rejects).is_none() {
                        return;
                    }
                    self.follow(now, epoch, NodeId(sender));
                }
                if let Role::Follower(follower) = &self.role
                    && follower.leader().0 == sender
                {
                    (self.leader_at, self.heard_leader) = (now, true);
                }
                self.role_datagram(now, from, bytes);
            }
            _ => self.role_datagram(now, from, bytes),
        }
    }

    fn role_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        match &mut self.role {
            Role::Leader(leader) => {
                leader.handle_datagram(now, from, bytes);
                if leader.foreign_history() {
                    self.start_over(now);
                }
            }
            Role::Follower(follower) => follower.handle_datagram(now, from, bytes),
        }
    }

    /// Leading a history the cluster does not have (it restarted without
    /// --rejoin, while the others ran on): start again as a member that
    /// comes back empty, which learns the epoch and the leader first.
    fn start_over(&mut self, now: Nanos) {
        let config = Config { epoch: 0, ..self.config.clone() };
        let (stats, promised, fenced_below) = (self.stats, self.promised, self.fenced_below);
        let fresh = Member::new(config, self.id, now).expect("the config was valid");
        // What it promised still binds it.
        let stats = ElectionStats { stepped_down: stats.stepped_down + 1, ..stats };
        *self = Member { stats, promised, fenced_below, ..fresh };
    }

    /// A SUBMIT reached a member that does not lead: say who does.
    fn not_leader(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let header = self.header(Kind::Busy, self.epoch());
        let Some(datagram) = accept(bytes, &header, Peers::Leader(self.id), &mut self.rejects) else { return };
        if let Frame::Submit(submit) = datagram.frame {
            self.stats.redirected += 1;
            let (client, request) = (submit.head.client.get(), submit.head.request.get());
            // Name the leader only while it is heard: a dead one sends the
            // client back to silence.
            let leader = match &self.role {
                Role::Follower(f) if self.hears_leader(now) && f.epoch() >= self.fence() => f.leader().0,
                _ => SENDER_CLIENT,
            };
            self.owe(Owed::NotLeader { to: from, client, request, leader });
        }
    }

    fn election_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let header = self.header(Kind::Vote, self.promised);
        let peers = Peers::Members { me: self.id, nodes: self.config.nodes };
        let datagram = match wire::parse(bytes) {
            // An operator's PROMOTE comes from outside the cluster.
            Ok(d) if matches!(d.frame, Frame::Promote(_)) && d.header.cluster == header.cluster => d,
            _ => match accept(bytes, &header, peers, &mut self.rejects) {
                Some(d) => d,
                None => return,
            },
        };
        let (sender, epoch) = (NodeId(datagram.header.sender.get()), datagram.header.epoch.get());
        match datagram.frame {
            Frame::Promote(&Promote { node, .. }) if node.get() == self.id.0 => {
                self.promote(now);
            }
            Frame::Promote(_) => {}
            Frame::VoteRequest(request) => {
                let forced = datagram.header.flags.get() & FLAG_FORCED != 0;
                let claim = (request.log_epoch.get(), request.log_seq.get());
                self.on_vote_request(now, from, sender, epoch, claim, forced);
            }
            Frame::Vote(vote) => self.on_vote(now, sender, epoch, vote.granted.get() == 1),
            _ => self.rejects.unexpected_kind += 1,
        }
    }

    fn on_vote_request(
        &mut self,
        now: Nanos,
        from: SocketAddr,
        candidate: NodeId,
        epoch: u64,
        claim: (u64, u64),
        forced: bool,
    ) {
        if epoch == 0 {
            // A member that came back asks where this one is fenced.
            let fence = self.fenced_below.max(self.epoch());
            return self.owe(Owed::Vote { to: from, epoch: fence, granted: false });
        }
        let granted = if epoch < self.promised {
            false
        } else if epoch == self.promised {
            // A repeated request: the same answer.
            self.voted_for == Some(candidate)
        } else if !forced && self.hears_leader(now) {
            // Its leader is alive: a member that lost touch must not depose
            // it. But this member may only have heard the leader's last
            // frame later than the candidate did (it read a backlog): if
            // the silence reaches it too, it answers then, while the
            // candidate still waits, rather than leave it to time out.
            self.stats.ignored += 1;
            if self.deferred.is_none_or(|d| d.epoch <= epoch) {
                self.deferred = Some(Deferred { at: now, from, candidate, epoch, claim });
            }
            return;
        } else if let Role::Leader(leader) = &mut self.role
            && claim < (leader.epoch(), leader.seq_next() - 1)
        {
            // Promoted, but behind this leader's log: stay, take no new
            // events for a while so it catches up, and let it ask again.
            leader.hold_intake(now + self.config.election_timeout_ns);
            self.stats.refused += 1;
            let epoch = leader.epoch();
            return self.owe(Owed::Vote { to: from, epoch, granted: false });
        } else {
            // Forced, if leading: step down, and follow whoever wins; if
            // nobody does, stand again (its log is the longest there was).
            if self.is_leader() {
                self.step_down(now);
                self.stand_at = Some((now + 2 * self.config.election_timeout_ns, true));
            }
            if self.candidacy.is_some() {
                self.lose(now, false);
            }
            self.promised = epoch;
            let granted = self.may_vote() && claim >= self.claim();
            self.voted_for = granted.then_some(candidate);
            if granted {
                // Fenced from the old leader: its later commits must not count us.
                self.fenced_below = epoch;
                // Give the candidate time to win before standing ourselves.
                self.active_at = now;
            }
            granted
        };
        self.stats.granted += u64::from(granted);
        self.stats.refused += u64::from(!granted);
        // A refusal names the epoch this member is at, so a candidate that
        // fell behind stands next time above it.
        let epoch = if granted { epoch } else { epoch.max(self.promised) };
        self.owe(Owed::Vote { to: from, epoch, granted });
    }

    /// A leader becomes a follower, keeping its log (history included) and
    /// its place in it.
    fn step_down(&mut self, now: Nanos) {
        let Role::Leader(old) = &self.role else { return };
        self.stats.stepped_down += 1;
        let first = old.seq_oldest();
        let records = (first..old.seq_next()).map_while(|seq| old.event(seq).map(|e| e.record));
        let log = (old.epoch(), old.commit(), self.delivered_next);
        let follower = Follower::from_log(self.config.clone(), self.id, now, log, first, records);
        self.role = Role::Follower(Box::new(follower));
        // It hears no leader now, and gives the one being elected time.
        (self.leader_at, self.active_at) = (0, now);
    }

    fn on_vote(&mut self, now: Nanos, voter: NodeId, epoch: u64, granted: bool) {
        if let Some(rejoin) = self.rejoin.as_mut() {
            rejoin.replies |= 1 << voter.0;
            rejoin.fence = rejoin.fence.max(epoch);
            // Enough answers to meet every electing set: the newest epoch
            // that may have committed anything is among them.
            let needed = usize::from(self.config.nodes) + 1 - self.config.election_quorum();
            if rejoin.replies.count_ones() as usize >= needed {
                let fence = rejoin.fence;
                self.rejoin = None;
                self.promised = self.promised.max(fence);
                self.fenced_below = self.fenced_below.max(fence);
                self.leader_at = now;
            }
            return;
        }
        if !granted {
            self.promised = self.promised.max(epoch);
            if self.is_leader() && epoch > self.epoch() {
                // A member is fenced off from this leader by a newer epoch:
                // it cannot count on that member's ACKs again. Step down, so
                // that an election brings everyone into one epoch.
                self.step_down(now);
                return;
            }
        }
        let ours = |c: &&mut Candidacy| c.epoch == epoch || (!granted && epoch > c.epoch);
        let Some(candidacy) = self.candidacy.as_mut().filter(ours) else { return };
        let bit = 1u64 << voter.0;
        if granted {
            candidacy.granted |= bit;
        } else {
            candidacy.refused |= bit;
        }
        let (yes, no) = (candidacy.granted.count_ones() as usize, candidacy.refused.count_ones() as usize);
        let needed = self.config.election_quorum();
        if yes >= needed {
            self.win(now);
        } else if no > usize::from(self.config.nodes) - needed {
            // Refused by too many: its log is behind, or the epoch is taken.
            self.lose(now, false);
        }
    }

    fn header(&self, kind: Kind, epoch: u64) -> Header {
        Header::new(kind, self.id.0, self.config.cluster_id, epoch)
    }

    /// Called when `poll_timeout` passes.
    pub fn handle_timeout(&mut self, now: Nanos) {
        if let Some(rejoin) = self.rejoin.as_mut()
            && rejoin.asked_at.is_none_or(|at| now >= at + self.config.election_timeout_ns)
        {
            rejoin.asked_at = Some(now);
            self.owe(Owed::Request { epoch: 0, forced: false });
        }
        if let Some(candidacy) = self.candidacy
            && now >= candidacy.until
        {
            self.lose(now, true);
        }
        let resend = self.request_resend_ns();
        if let Some(candidacy) = self.candidacy.as_mut()
            && !candidacy.forced
            && now >= candidacy.asked_at + resend
        {
            // A voter asked again says the same. (A forced candidacy has
            // its own retries, and asking a leader again would hold its
            // intake longer.)
            candidacy.asked_at = now;
            let epoch = candidacy.epoch;
            self.owe(Owed::Request { epoch, forced: false });
        }
        if let Some(d) = self.deferred
            && (now >= d.at + self.config.election_timeout_ns || !self.hears_leader(now))
        {
            self.deferred = None;
            if now < d.at + self.config.election_timeout_ns {
                self.on_vote_request(now, d.from, d.candidate, d.epoch, d.claim, false);
            }
        }
        if let Some((at, forced)) = self.stand_at
            && now >= at
        {
            self.stand_at = None;
            if self.may_stand() && (forced || !self.hears_leader(now)) {
                self.stand(now, forced);
            }
        }
        if self.stand_due(now) {
            self.stand(now, false);
        }
        match &mut self.role {
            Role::Leader(leader) => leader.handle_timeout(now),
            Role::Follower(follower) => follower.handle_timeout(now),
        }
    }

    fn request_resend_ns(&self) -> Nanos {
        (self.config.election_timeout_ns / REQUEST_RESEND_DIVISOR).max(1)
    }

    /// When an automatic candidacy would start, if the leader stays quiet.
    fn stand_time(&self) -> Option<Nanos> {
        let auto = self.config.failover == Failover::Auto && self.candidacy.is_none() && self.may_stand();
        // One that never heard a leader gives it time to start (a process
        // that pre-faults its buffers takes a while); one that lost events
        // waits longer, so that one knowing every client's requests wins.
        let wait = self.config.election_timeout_ns
            * if !self.heard_leader {
                10
            } else if self.lost_end == 0 {
                1
            } else {
                3
            };
        auto.then_some(self.leader_at.max(self.active_at) + wait + self.jitter_ns)
    }

    fn stand_due(&self, now: Nanos) -> bool {
        self.stand_time().is_some_and(|at| now >= at)
    }

    /// When the member next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let role = match &self.role {
            Role::Leader(leader) => leader.poll_timeout(),
            Role::Follower(follower) => follower.poll_timeout(),
        };
        let resend = self.request_resend_ns();
        let candidacy = self.candidacy.map(|c| if c.forced { c.until } else { c.until.min(c.asked_at + resend) });
        let stand_at = self.stand_at.map(|(at, _)| at);
        let rejoin = self.rejoin.map(|r| r.asked_at.map_or(0, |at| at + self.config.election_timeout_ns));
        // When the leader's silence (or the request's age) settles a deferred vote.
        let deferred = self.deferred.map(|d| {
            // A leader hears itself: only the request's age settles it.
            let silence = if self.is_leader() { Nanos::MAX } else { self.leader_at };
            d.at.min(silence) + self.config.election_timeout_ns
        });
        [role, candidacy, stand_at, self.stand_time(), rejoin, deferred].into_iter().flatten().min()
    }

    /// Writes the next datagram to send into `buf` (at least `mtu` bytes):
    /// election frames first, then the role's.
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(owed) = self.owed.pop_front() {
            return Some(self.transmit_owed(owed, buf));
        }
        match &mut self.role {
            Role::Leader(leader) => leader.poll_transmit(now, buf),
            Role::Follower(follower) => follower.poll_transmit(now, buf),
        }
    }

    fn transmit_owed(&self, owed: Owed, buf: &mut [u8]) -> Transmit {
        let (claim_epoch, claim_seq) = self.claim();
        match owed {
            Owed::Request { epoch, forced } => {
                let mut header = self.header(Kind::VoteRequest, epoch);
                header.flags = if forced { FLAG_FORCED } else { 0 }.into();
                let body = VoteRequest { log_epoch: claim_epoch.into(), log_seq: claim_seq.into() };
                let len = emit(buf, &header, Kind::VoteRequest, &body).expect("mtu holds a VOTE_REQUEST");
                Transmit { dest: Dest::Group, len }
            }
            Owed::Vote { to, epoch, granted } => {
                let body = Vote {
                    granted: u32::from(granted).into(),
                    reserved: 0.into(),
                    log_epoch: claim_epoch.into(),
                    log_seq: claim_seq.into(),
                };
                let len = emit(buf, &self.header(Kind::Vote, epoch), Kind::Vote, &body).expect("mtu holds a VOTE");
                Transmit { dest: Dest::Unicast(to), len }
            }
            Owed::NotLeader { to, client, request, leader } => {
                let body = Busy {
                    client: client.into(),
                    reason: u16::from(BusyReason::NotLeader).into(),
                    leader: leader.into(),
                    request: request.into(),
                    retry_ns: 0.into(),
                };
                let len = emit(buf, &self.header(Kind::Busy, self.epoch()), Kind::Busy, &body).expect("mtu holds BUSY");
                Transmit { dest: Dest::Unicast(to), len }
            }
        }
    }

    /// The next event for this member's application: what it is told of
    /// its role, then committed events in sequence order, whichever role.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        if let Some(notice) = self.notices.pop_front() {
            return Some(notice);
        }
        if let Some((first, end)) = self.lost_report.take() {
            self.lost_end = self.lost_end.max(end);
            return Some(Event::Lost { first, end });
        }
        let event = match &mut self.role {
            Role::Follower(follower) => follower.poll_event(),
            Role::Leader(leader) => {
                while leader.poll_event().is_some() {}
                let seq = self.delivered_next;
                if seq > leader.commit() {
                    return None;
                }
                self.delivered_next += 1;
                match leader.event(seq) {
                    Some(event) => Some(Event::Deliver(event)),
                    None => {
                        // Left the ring before this member delivered it.
                        let end = leader.seq_oldest().min(leader.commit() + 1).max(seq + 1);
                        self.delivered_next = end;
                        Some(Event::Lost { first: seq, end })
                    }
                }
            }
        };
        match event {
            Some(Event::Deliver(e)) => {
                if let Some(table) = self.delivered.as_mut() {
                    table.record(e.header.client.get(), e.header.request.get(), e.header.seq.get());
                }
                self.delivered_next = e.header.seq.get() + 1;
            }
            Some(Event::Lost { end, .. }) => {
                self.lost_end = self.lost_end.max(end);
                self.delivered_next = end;
            }
            _ => {}
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ack, Frame, parse};

    fn addr(node: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5000 + node))
    }

    fn request(from: u16, epoch: u64, claim: (u64, u64), forced: bool) -> Vec<u8> {
        let mut header = Header::new(Kind::VoteRequest, from, Config::default().cluster_id, epoch);
        header.flags = if forced { FLAG_FORCED } else { 0 }.into();
        let body = VoteRequest { log_epoch: claim.0.into(), log_seq: claim.1.into() };
        let mut buf = vec![0; 128];
        let len = emit(&mut buf, &header, Kind::VoteRequest, &body).unwrap();
        buf.truncate(len);
        buf
    }

    /// The VOTE a member answers `bytes` with: (epoch, granted).
    fn answer(member: &mut Member, now: Nanos, from: u16, bytes: &[u8]) -> Option<(u64, bool)> {
        member.handle_datagram(now, addr(from), bytes);
        let mut buf = vec![0; 1472];
        let transmit = member.poll_transmit(now, &mut buf)?;
        let datagram = parse(&buf[..transmit.len]).unwrap();
        match datagram.frame {
            Frame::Vote(vote) => Some((datagram.header.epoch.get(), vote.granted.get() == 1)),
            _ => None,
        }
    }

    #[test]
    fn one_vote_per_epoch_and_only_for_a_log_at_least_as_complete() {
        let config = Config { failover: Failover::Manual, ..Config::default() };
        let mut voter = Member::new(config, NodeId(1), 0).unwrap();
        // Its own claim is (1, 0): a new cluster, nothing held yet.
        assert_eq!(answer(&mut voter, 10, 2, &request(2, 2, (1, 0), true)), Some((2, true)), "an equal log wins it");
        assert_eq!(
            answer(&mut voter, 11, 2, &request(2, 2, (1, 0), true)),
            Some((2, true)),
            "asked again: same answer"
        );
        assert_eq!(answer(&mut voter, 12, 0, &request(0, 2, (1, 9), true)), Some((2, false)), "one vote in epoch 2");
        let (epoch, granted) = answer(&mut voter, 13, 0, &request(0, 3, (0, 9), true)).unwrap();
        assert!(!granted, "a log of an older epoch loses, however long");
        assert_eq!(epoch, 3);
        assert_eq!(
            answer(&mut voter, 14, 0, &request(0, 1, (9, 9), true)),
            Some((3, false)),
            "a stale epoch is refused"
        );
        assert_eq!(voter.election_stats().granted, 2);
    }

    #[test]
    fn a_leader_ignores_an_unforced_candidate_and_steps_down_when_told_of_a_newer_epoch() {
        let config = Config { failover: Failover::Auto, ..Config::default() };
        let mut leader = Member::new(config.clone(), NodeId(0), 0).unwrap();
        assert!(leader.is_leader());
        assert_eq!(answer(&mut leader, 10, 2, &request(2, 2, (1, 0), false)), None, "its own leader is alive");
        assert!(leader.is_leader());
        assert_eq!(leader.election_stats().ignored, 1);
        // A member fenced at epoch 5 says so (a refused vote naming epoch 5).
        let header = Header::new(Kind::Vote, 1, config.cluster_id, 5);
        let body = Vote { granted: 0.into(), reserved: 0.into(), log_epoch: 1.into(), log_seq: 0.into() };
        let mut buf = vec![0; 128];
        let len = emit(&mut buf, &header, Kind::Vote, &body).unwrap();
        leader.handle_datagram(20, addr(1), &buf[..len]);
        assert!(!leader.is_leader(), "a leader that cannot count on a member any more steps down");
        assert_eq!(leader.election_stats().stepped_down, 1);
    }

    /// Member 0 restarted without --rejoin: it leads epoch 1 again with an
    /// empty log while its followers hold 500 events of that epoch.
    #[test]
    fn a_leader_acked_beyond_its_log_starts_over_as_a_rejoining_member() {
        let config = Config { failover: Failover::Auto, ..Config::default() };
        let mut leader = Member::new(config.clone(), NodeId(0), 0).unwrap();
        let header = Header::new(Kind::Ack, 1, config.cluster_id, 1);
        let body = crate::wire::Ack { seq_held: 500.into(), echo_ns: 0.into(), echo_delay_ns: 0.into() };
        let mut buf = vec![0; 128];
        let len = emit(&mut buf, &header, Kind::Ack, &body).unwrap();
        leader.handle_datagram(10, addr(1), &buf[..len]);
        assert!(!leader.is_leader());
        assert_eq!(leader.epoch(), 0, "it learns the epoch again, from the others");
        assert!(!leader.may_vote(), "and does not vote before it holds what was committed");
        let mut out = vec![0; 1472];
        leader.handle_timeout(20);
        let transmit = leader.poll_transmit(20, &mut out).expect("it asks the others");
        let asked = parse(&out[..transmit.len]).unwrap();
        assert!(matches!(asked.frame, Frame::VoteRequest(_)) && asked.header.epoch.get() == 0);
    }

    /// What `member` sends at `now`, until it has nothing more: (kind, bytes).
    fn drain(member: &mut Member, now: Nanos) -> Vec<(Kind, Vec<u8>)> {
        let mut out = Vec::new();
        let mut buf = vec![0; 1472];
        while let Some(t) = member.poll_transmit(now, &mut buf) {
            out.push((Kind::from(buf[3]), buf[..t.len].to_vec()));
        }
        out
    }

    #[test]
    fn an_elected_leader_says_where_its_log_starts_until_every_member_acks_however_busy() {
        let config = Config { failover: Failover::Manual, ..Config::default() };
        // Node 0 leads epoch 1; members 1 and 2 hold its one event.
        let data = data_of_node_0(&config);
        let mut client = crate::core::Client::new(config.clone(), 8, addr(1)).unwrap();
        let mut buf = vec![0; 1472];
        let mut one = Member::new(config.clone(), NodeId(1), 0).unwrap();
        let mut two = Member::new(config.clone(), NodeId(2), 0).unwrap();
        one.handle_datagram(30, addr(0), &data);
        two.handle_datagram(30, addr(0), &data);
        drain(&mut one, 30);
        drain(&mut two, 30);
        // Member 1 is promoted; member 2's vote makes the majority.
        assert!(one.promote(40));
        for (_, request) in drain(&mut one, 40) {
            two.handle_datagram(50, addr(1), &request);
        }
        for (_, vote) in drain(&mut two, 50) {
            one.handle_datagram(60, addr(2), &vote);
        }
        assert!(one.is_leader());
        // Its first word is a HEARTBEAT (epoch_start), then the uncommitted event again.
        let kinds: Vec<Kind> = drain(&mut one, 70).into_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [Kind::Heartbeat, Kind::Data]);
        // Busy: a new event every 100 µs for 3 ms, and nobody ACKs. A HEARTBEAT
        // each millisecond all the same (an idle one would never come).
        let mut heartbeats = 0;
        for k in 1..=30u64 {
            let now = 70 + k * 100_000;
            client.submit(b"b").unwrap();
            let submit = client.poll_transmit(now, &mut buf).unwrap();
            one.handle_datagram(now, addr(99), &buf[..submit.len]);
            heartbeats += drain(&mut one, now).iter().filter(|(k, _)| *k == Kind::Heartbeat).count();
        }
        assert_eq!(heartbeats, 3);
        // Every other member ACKs: no more HEARTBEATs while DATA flows.
        for node in [0u16, 2] {
            let header = Header::new(Kind::Ack, node, config.cluster_id, 2);
            let body = Ack { seq_held: 1.into(), echo_ns: 0.into(), echo_delay_ns: 0.into() };
            let len = emit(&mut buf, &header, Kind::Ack, &body).unwrap();
            let ack = buf[..len].to_vec();
            one.handle_datagram(4_000_000, addr(node), &ack);
        }
        for k in 1..=30u64 {
            let now = 4_000_000 + k * 100_000;
            client.submit(b"c").unwrap();
            let submit = client.poll_transmit(now, &mut buf).unwrap();
            one.handle_datagram(now, addr(99), &buf[..submit.len]);
            let kinds: Vec<Kind> = drain(&mut one, now).into_iter().map(|(k, _)| k).collect();
            assert!(!kinds.contains(&Kind::Heartbeat), "at {now}: {kinds:?}");
        }
    }

    /// A DATA of node 0, epoch 1, with one event.
    fn data_of_node_0(config: &Config) -> Vec<u8> {
        let mut old = Leader::new(config.clone(), 0).unwrap();
        let mut client = crate::core::Client::new(config.clone(), 7, addr(0)).unwrap();
        let mut buf = vec![0; 1472];
        client.submit(b"a").unwrap();
        let submit = client.poll_transmit(0, &mut buf).unwrap();
        old.handle_datagram(10, addr(99), &buf[..submit.len]);
        let data = old.poll_transmit(20, &mut buf).unwrap();
        buf[..data.len].to_vec()
    }

    /// The VOTE `member` sends at `now`, if any: (epoch, granted).
    fn vote_sent(member: &mut Member, now: Nanos) -> Option<(u64, bool)> {
        drain(member, now).into_iter().find_map(|(kind, bytes)| {
            let datagram = parse(&bytes).unwrap();
            match datagram.frame {
                Frame::Vote(vote) if kind == Kind::Vote => Some((datagram.header.epoch.get(), vote.granted.get() == 1)),
                _ => None,
            }
        })
    }

    const MS: Nanos = 1_000_000;

    /// Automatic failover with a 20 ms election timeout.
    fn auto() -> Config {
        Config { failover: Failover::Auto, election_timeout_ns: 20 * MS, ..Config::default() }
    }

    /// Member 2 last hears leader 0 at 5 ms; member 1, which stopped hearing
    /// it earlier, asks for its vote at 21 ms, and gets no answer then.
    /// Member 2, and leader 0's DATA.
    fn asked_while_hearing_the_leader() -> (Member, Vec<u8>) {
        let config = auto();
        let data = data_of_node_0(&config);
        let mut two = Member::new(config, NodeId(2), 0).unwrap();
        two.handle_datagram(5 * MS, addr(0), &data);
        drain(&mut two, 5 * MS);
        two.handle_datagram(21 * MS, addr(1), &request(1, 2, (1, 1), false));
        assert_eq!(vote_sent(&mut two, 21 * MS), None, "its leader is still heard");
        (two, data)
    }

    #[test]
    fn a_vote_asked_while_the_leader_is_still_heard_is_given_once_the_silence_comes() {
        let (mut two, _) = asked_while_hearing_the_leader();
        // At 25 ms the silence reaches member 2: it answers then.
        assert!(two.poll_timeout().is_some_and(|at| at <= 25 * MS));
        two.handle_timeout(25 * MS);
        assert_eq!(vote_sent(&mut two, 25 * MS), Some((2, true)));
    }

    #[test]
    fn a_vote_put_off_while_the_leader_stays_heard_is_never_given() {
        let (mut two, data) = asked_while_hearing_the_leader();
        // The leader speaks again: alive, not to be deposed.
        two.handle_datagram(24 * MS, addr(0), &data);
        drain(&mut two, 24 * MS);
        for now in [25 * MS, 41 * MS, 44 * MS, 45 * MS] {
            two.handle_timeout(now);
            assert_eq!(vote_sent(&mut two, now), None, "at {now}");
        }
    }

    #[test]
    fn a_candidate_asks_again_while_votes_are_missing_and_stops_once_elected() {
        let config = auto();
        let data = data_of_node_0(&config);
        let mut one = Member::new(config.clone(), NodeId(1), 0).unwrap();
        let mut two = Member::new(config.clone(), NodeId(2), 0).unwrap();
        one.handle_datagram(MS, addr(0), &data);
        two.handle_datagram(MS, addr(0), &data);
        drain(&mut one, MS);
        drain(&mut two, MS);
        let requests = |out: Vec<(Kind, Vec<u8>)>| {
            out.into_iter().filter(|(k, _)| *k == Kind::VoteRequest).map(|(_, b)| b).collect::<Vec<_>>()
        };
        // Leader 0 falls silent; member 1 stands when its wait is over.
        let (mut at, mut first) = (MS, Vec::new());
        for _ in 0..100 {
            at = one.poll_timeout().unwrap();
            one.handle_timeout(at);
            first = requests(drain(&mut one, at));
            if !first.is_empty() {
                break;
            }
        }
        assert_eq!(first.len(), 1);
        assert!(at >= 21 * MS, "not before the election timeout");
        // That request is lost. An eighth of a timeout later it goes again.
        let again = at + 20 * MS / REQUEST_RESEND_DIVISOR;
        assert!(one.poll_timeout().is_some_and(|t| t <= again));
        one.handle_timeout(again);
        let second = requests(drain(&mut one, again));
        assert_eq!(second, first, "the same request");
        // This one arrives; the vote elects member 1, which asks no more.
        two.handle_datagram(again + 10, addr(1), &second[0]);
        for (_, vote) in drain(&mut two, again + 10) {
            one.handle_datagram(again + 20, addr(2), &vote);
        }
        assert!(one.is_leader());
        let later = again + 20 * MS / REQUEST_RESEND_DIVISOR;
        one.handle_timeout(later);
        assert!(requests(drain(&mut one, later)).is_empty());
    }
}
