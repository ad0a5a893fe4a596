//! A member's side of the journal (DESIGN §8): what its role hands the
//! driver, and a member resuming the log its journal kept.

use std::net::SocketAddr;

use super::{Member, Role};
use crate::core::clients::Clients;
use crate::core::{Append, Config, ConfigError, Epoch, Failover, Follower, JournalClaim, Leader, Nanos, NodeId, Seq};
use crate::wire::EventRef;

impl Member {
    /// Member `id` resuming the log its journal kept, without failover
    /// (DESIGN §8): the leader (`config.leader`) resumes all of `log` (from
    /// `first`, in order) in `config.epoch`, which must be newer than the
    /// journal's; a follower keeps it up to `commit`, and what `log` holds
    /// past it until it follows a leader (see [`Follower::keep_journal_tail`]),
    /// its last record sent in `log_epoch` (see [`Follower::resume`]).
    /// Either delivers from `commit + 1` (a follower that delivers on
    /// receipt, from past its journal's tail; one that delivers on commit,
    /// from past `handed_out`, what its journal says it handed out on
    /// receipt before, see [`Follower::handed_before_stop`]): what came
    /// before is the journal's to replay.
    pub fn resume<'r>(
        config: Config,
        id: NodeId,
        now: Nanos,
        (first, commit): (Seq, Seq),
        (log_epoch, handed_out): (Epoch, Option<Seq>),
        log: impl Iterator<Item = EventRef<'r>>,
    ) -> Result<Member, ConfigError> {
        if config.failover != Failover::Off {
            return Err(ConfigError::FailoverNeeds("its members to resume with Member::resume_member"));
        }
        let role = if id == config.leader {
            let mut resume = Leader::resume(config.clone(), now, first)?;
            for event in log {
                if !resume.push(event) {
                    break;
                }
            }
            Role::Leader(Box::new(resume.finish(commit)))
        } else {
            let mut follower = Follower::resume(config.clone(), id, now, commit, log_epoch)?;
            let (mut last, mut at_commit, mut at_handed) = (None, None, None);
            for event in log {
                if event.header.seq() == commit {
                    at_commit = Some(event.record.to_vec());
                }
                if Some(event.header.seq()) == handed_out {
                    at_handed = Some(event.record.to_vec());
                }
                last = Some((event.header.seq(), event.record));
            }
            if let Some((last, _)) = last {
                follower.keep_journal_tail(last);
            }
            if let Some(handed) = handed_out {
                follower.handed_before_stop(handed);
            }
            // Its record at its commit, and at the last it handed out
            // where that is past it (delivered on receipt: its tail, or as
            // far as `handed_out` says).
            follower.keep_anchor(commit, at_commit);
            let handed = follower.seq_next_delivery().prev();
            if handed > commit {
                let record = match last {
                    Some((seq, record)) if seq == handed => Some(record.to_vec()),
                    _ => at_handed,
                };
                follower.keep_anchor(handed, record);
            }
            Role::Follower(Box::new(follower))
        };
        let delivered_next = match &role {
            Role::Follower(follower) => follower.seq_next_delivery(),
            Role::Leader(_) => commit.next(),
        };
        Ok(Member::with_role(config, id, now, role, delivered_next))
    }

    /// Member `id` of a cluster with failover resuming its journal after a
    /// restart (DESIGN §8): feed it every record with
    /// [`MemberResume::push`], from `first`, then [`MemberResume::finish`].
    /// The journal's records say everything up to `commit` is committed,
    /// and the driver last persisted `claim` beside it. The member comes
    /// back as a follower of nobody, bound by the epoch the claim says it
    /// promised: it first asks the others where they are fenced, then
    /// votes, and stands, with what its journal holds, so that a whole
    /// cluster restarted elects the most complete journal. Without a whole
    /// claim (it stopped while taking a new leader's log, or its journal
    /// lost records past the commit) it keeps only the committed part, asks
    /// the driver to drop the rest, and votes only once it holds again what
    /// a leader says it has sequenced, as a member that restarts empty does.
    /// It delivers from `commit + 1`: what came before is the journal's to
    /// replay.
    pub fn resume_member(
        config: Config,
        id: NodeId,
        now: Nanos,
        claim: Option<JournalClaim>,
        (first, commit): (Seq, Seq),
    ) -> Result<MemberResume, ConfigError> {
        if config.failover == Failover::Off {
            return Err(ConfigError::FailoverNeeds("a member to resume as one (without it: Member::resume)"));
        }
        let config = Config { epoch: Epoch::ZERO, journal: true, ..config };
        config.validate()?;
        if id.0 >= config.nodes {
            return Err(ConfigError::NotAFollower { id, nodes: config.nodes, leader: config.leader });
        }
        let delivered = Clients::new(config.clients_max, config.client_pending_max, true);
        let lost_end = if first > Seq::FIRST { first } else { Seq::ZERO };
        let whole = claim.is_some_and(|c| c.whole);
        Ok(MemberResume {
            config,
            id,
            now,
            claim,
            commit,
            delivered,
            tail: Vec::new(),
            at_commit: None,
            commit_epoch: Epoch::ZERO,
            past_epoch: Epoch::ZERO,
            newest_epoch: Epoch::ZERO,
            first,
            last: first.prev(),
            lost_end,
            hole: false,
            whole,
        })
    }

    /// With failover and a journal: what the journal may claim after a
    /// restart, and the epoch this member promised, for the driver to
    /// persist beside it when it changes (see [`JournalClaim`]).
    pub fn journal_claim(&self) -> Option<JournalClaim> {
        if self.config.failover == Failover::Off || !self.config.journal {
            return None;
        }
        if self.election.promise_unknown() {
            // Nothing to keep until it knows: without a claim a restart
            // asks the others again.
            return None;
        }
        let claim = match &self.role {
            Role::Leader(leader) => leader.journal_claim(),
            Role::Follower(follower) => follower.journal_claim(),
        };
        Some(JournalClaim { promised: self.promised(), ..claim })
    }

    /// With failover and a journal: it rejoins not knowing what it promised
    /// before (see [`journal_claim`](Self::journal_claim)). A claim kept
    /// from before (it led, then started over) must go: it would read as
    /// known, and whole over records about to be dropped.
    pub fn promise_unknown(&self) -> bool {
        self.config.failover != Failover::Off && self.config.journal && self.election.promise_unknown()
    }

    /// With a journal: the role's next event to append (see
    /// [`Leader::poll_append`], [`Follower::poll_append`]).
    pub fn poll_append(&mut self) -> Option<Append<'_>> {
        match &mut self.role {
            Role::Leader(leader) => leader.poll_append(),
            Role::Follower(follower) => follower.poll_append(),
        }
    }

    /// With a journal: the next range to serve from it (see
    /// [`Leader::poll_history`]; following, what another member or a tail
    /// asked after its leader said it no longer had it, DESIGN §8).
    pub fn poll_history(&mut self, now: Nanos) -> Option<(SocketAddr, Seq, Seq)> {
        match &mut self.role {
            Role::Leader(leader) => leader.poll_history(now),
            Role::Follower(follower) => follower.poll_history(),
        }
    }

    /// With a journal: the sequence after which the driver must drop what
    /// was journaled (see [`Follower::poll_truncate`]).
    pub fn poll_truncate(&mut self) -> Option<Seq> {
        match &mut self.role {
            Role::Leader(_) => None,
            Role::Follower(follower) => follower.poll_truncate(),
        }
    }

    /// With a journal, without failover, following: what it knows
    /// committed (see [`Follower::known_committed`]).
    pub fn known_committed(&self) -> Seq {
        match &self.role {
            Role::Leader(_) => Seq::ZERO,
            Role::Follower(follower) => follower.known_committed(),
        }
    }

    /// A follower of a sequencer resumed from a journal whose commit file
    /// says more than its records (see [`Follower::knows_committed`]).
    pub fn knows_committed(&mut self, commit: Seq, epoch: Epoch) {
        if let Role::Follower(follower) = &mut self.role {
            follower.knows_committed(commit, epoch);
        }
    }

    /// With a journal: what its role knows committed of what it appended
    /// (see [`Leader::journal_commit`], [`Follower::journal_commit`]).
    pub fn journal_commit(&self) -> Seq {
        match &self.role {
            Role::Leader(leader) => leader.journal_commit(),
            Role::Follower(follower) => follower.journal_commit(),
        }
    }

    /// With a journal: what to keep beside it after each turn's records
    /// (the commit file, DESIGN §8): what it knows committed while it
    /// follows. A leader's commit moves with every quorum of ACKs, and a
    /// file write each time would sit on its commit path: it keeps its
    /// [`journal_commit`](Self::journal_commit) at a clean stop instead.
    pub fn turn_commit(&self) -> Seq {
        match &self.role {
            Role::Leader(_) => Seq::ZERO,
            Role::Follower(follower) => follower.journal_commit(),
        }
    }

    /// The driver made everything up to `through` durable.
    pub fn handle_durable(&mut self, through: Seq) {
        match &mut self.role {
            Role::Leader(leader) => leader.handle_durable(through),
            Role::Follower(follower) => follower.handle_durable(through),
        }
    }
}

/// A member resuming its journal (see [`Member::resume_member`]).
#[derive(Debug)]
pub struct MemberResume {
    config: Config,
    id: NodeId,
    now: Nanos,
    claim: Option<JournalClaim>,
    commit: Seq,
    /// Who sent what it delivered (an elected member answers a resent
    /// request with its sequence).
    delivered: Clients,
    /// The records past the commit.
    tail: Vec<Vec<u8>>,
    /// The record at the commit: what a leader of a newer epoch must hold
    /// there before its log is taken (see [`Follower`]'s probe).
    at_commit: Option<Vec<u8>>,
    /// The epoch the record at the commit was journaled in.
    commit_epoch: Epoch,
    /// With a commit but no record at or below it (retention deleted
    /// them, or they were told lost), the epoch the first record past it,
    /// at `first`, was journaled in (with damage past it, the driver
    /// pushes that record though the journal drops it).
    past_epoch: Epoch,
    /// The newest epoch any record was journaled in.
    newest_epoch: Epoch,
    /// The journal's first record (or where it would be).
    first: Seq,
    last: Seq,
    lost_end: Seq,
    /// A hole: sequences it was told were lost.
    hole: bool,
    whole: bool,
}

impl MemberResume {
    /// The journal's next record, in sequence order, and the epoch it was
    /// journaled in.
    pub fn push(&mut self, epoch: Epoch, event: EventRef<'_>) {
        let seq = event.header.seq();
        self.newest_epoch = self.newest_epoch.max(epoch);
        if seq != self.last.next() {
            // Sequences it was told were lost: below its commit only.
            self.whole &= seq <= self.commit;
            (self.lost_end, self.hole) = (self.lost_end.max(seq), true);
        }
        if seq <= self.commit {
            self.delivered.record(event.header.client(), event.header.request.get(), seq.get());
            self.commit_epoch = epoch;
            if seq == self.commit {
                self.at_commit = Some(event.record.to_vec());
            }
        } else {
            if self.tail.is_empty() && self.first > self.commit && self.commit > Seq::ZERO {
                self.past_epoch = epoch;
            }
            self.tail.push(event.record.to_vec());
        }
        self.last = seq;
    }

    /// The member, once every record was pushed.
    pub fn finish(self) -> Member {
        let MemberResume {
            config,
            id,
            now,
            claim,
            commit,
            delivered,
            tail,
            at_commit,
            commit_epoch,
            past_epoch,
            newest_epoch,
            first,
            last,
            lost_end,
            hole,
            whole,
        } = self;
        let resumed = claim.filter(|_| whole).and_then(|claim| {
            let log = (claim.epoch, commit, commit.next());
            let records = tail.iter().map(Vec::as_slice);
            let mut follower = Follower::from_log(config.clone(), id, now, log, commit.next(), records);
            follower.keep_journaled(last, last, Seq::ZERO);
            // It all fits in its window, or the claim would say more than it holds.
            (follower.seq_held() == last.max(commit)).then_some(follower)
        });
        let mut follower = resumed.unwrap_or_else(|| {
            // The epoch its claim names: a leader of that epoch holds the
            // commit it knew (its log is that leader's, or the one it was
            // joining when it stopped, once that showed its log reaches
            // it). The epoch the record at the commit came in, if newer:
            // that leader sent (or stamped) it after all before it, so its
            // log holds the commit too (a claim not yet renamed into place
            // when the power went at `--sync none`, its records kept).
            // Without a claim (moved aside, lost with the power, or a copy
            // of another node's journal), that epoch alone; with none at or
            // below the commit (retention, or damage dropping those past
            // it: the driver pushes the first past it all the same), that
            // of the first record after it, whose leader sent all before
            // it, the commit among them (unless it was journaled from an
            // old log taken back: then fences keep that leader out, but
            // for lost promises). That leader is asked for it before its
            // log is taken (see `check_own_leader`): an epoch may name
            // another log. With no epoch, its own epoch's leader would
            // have to show a log reaching the commit, which a cluster's
            // first epoch, started from nothing, never does.
            let epoch = claim.map_or(commit_epoch.max(past_epoch), |claim| claim.epoch.max(commit_epoch));
            let mut follower = Follower::resume(config.clone(), id, now, commit, epoch).expect("validated");
            if claim.is_none() && past_epoch != Epoch::ZERO {
                follower.keep_anchor(first, tail.first().cloned());
            }
            follower.drop_journal_tail(last);
            if claim.is_some() {
                follower.resumed_from_unsure_claim();
            }
            follower
        });
        follower.keep_anchor(commit, at_commit);
        let mut member = Member::with_role(config, id, now, Role::Follower(Box::new(follower)), commit.next());
        (member.delivered, member.lost_end, member.reported_lost) = (Some(delivered), lost_end, hole);
        member.life_first = member.life_first.min(first);
        // What it promised binds it whatever its log: with every member
        // restarted at once, nobody else remembers it.
        if let Some(claim) = claim {
            member.election.restore_promise(now, claim.promised);
        }
        // Its records came from leaders it followed (or from its own lead).
        member.election.resumed_log_of(newest_epoch.max(claim.map_or(Epoch::ZERO, |c| c.epoch)));
        member
    }
}
