//! A newer leader's log, or a restarted sequencer's, checked against
//! what this follower keeps before it is taken (DESIGN §8): the record
//! asked of it, and the refusal of a log short of what it must hold.

use std::net::SocketAddr;

use super::Follower;
use crate::core::{Epoch, Failover, Nanos, Seq};
use crate::wire::{EventRef, Frame, Heartbeat};
#[cfg(test)]
use crate::wire::{FrameWriter, Header, Kind};

/// A sequencer that restarted in a newer epoch from a log short of what a
/// journaled follower (without failover) knows committed or delivered, or,
/// with failover, a leader elected on a log short of a commit a member knew:
/// refused for good (see [`Follower::short_leader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortLeader {
    /// The epoch it restarted in (or was elected in).
    pub epoch: Epoch,
    /// The last sequence of the log it started that epoch from (0: none).
    pub log_end: Seq,
    /// What that log had to reach: the follower's commit, or what it
    /// delivered if more (a subscriber's: what a leader told it was
    /// committed, or what it heard sent where followers infer commits).
    pub needed: Seq,
    /// The commit the follower knew (a subscriber's: what a leader told
    /// it). A follower's log that reaches it but not `needed` lacks only
    /// events delivered on receipt that never committed: its sequencer
    /// lost writes it had not synced.
    pub committed: Seq,
    /// With failover: the last sequence this member kept on joining, where
    /// the leader's log reaches it but holds another event (`log_end` is
    /// then the sequence before). Its log grew from a leader elected short
    /// of this member's commit, in an epoch the member missed.
    pub differs_at: Option<Seq>,
    /// Without failover: its log could not be checked (the sequencer no
    /// longer holds this follower's record at `needed`, or this follower
    /// holds none there), and this follower refused the log of a sequencer
    /// of this epoch before (see [`Follower::refused_log`]): the new log
    /// may have grown from that one (0: the epoch was unreadable).
    pub refused_before: Option<Epoch>,
    /// Without failover, delivering on receipt: the sequencer's log reaches
    /// `needed`, past `committed`, but no longer holds its event there
    /// (its retention deleted it), so what this follower delivered on
    /// receipt up to there cannot be checked against it.
    pub gone: bool,
}

/// What the refused leader's log lacks, for an operator: "from a log that
/// ends at seq 4, but this member knows seq 5..=10 committed", or "from a
/// log whose event at seq 10 is not this member's, ...".
impl core::fmt::Display for ShortLeader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let seqs = |first: Seq, last: Seq| match first == last {
            true => format!("seq {first}"),
            false => format!("seq {first}..={last}"),
        };
        if let Some(before) = self.refused_before {
            return write!(
                f,
                "from a log that could not be checked against this member's (its event at seq {} is gone), after \
                 this member refused epoch {before}'s log, from which it may have grown",
                self.needed
            );
        }
        if self.gone {
            return write!(
                f,
                "from a log that no longer holds its event at seq {} (its retention deleted it), which this \
                 member delivered on receipt past the commit it knew, seq {}",
                self.needed, self.committed
            );
        }
        match self.differs_at {
            Some(at) if self.committed == Seq::ZERO => write!(
                f,
                "from a log whose event at seq {at} is not this member's (the two histories part there or before)"
            ),
            Some(at) => write!(
                f,
                "from a log whose event at seq {at} is not this member's (the two histories part there or before), \
                 though this member knows {} committed",
                seqs(Seq(1), self.committed)
            ),
            None => write!(
                f,
                "from a log that ends at seq {}, but this member knows {} committed",
                self.log_end,
                seqs(self.log_end.next(), self.committed)
            ),
        }
    }
}

/// With failover: the record a member (or a tail) keeps at the end of what
/// it keeps on joining a leader of a newer epoch, asked of that leader
/// before its log is taken (DESIGN §8). A leader's log that starts past
/// the member's commit may still have grown from one elected short of it,
/// in an epoch the member missed (it was down, or cut off): its event
/// there is another.
#[derive(Clone, Debug)]
pub(super) struct Probe {
    pub(super) seq: u64,
    pub(super) record: Vec<u8>,
    /// When the NAK for it next goes.
    pub(super) due: Nanos,
    /// The leader's HEARTBEAT that showed its log reaches what it must,
    /// once one did: taken once the record is the same.
    pub(super) heard: Option<Heartbeat>,
    /// Without failover: the epoch of the sequencer that restarted and
    /// where it sent from, not yet followed (`None`: a leader joined).
    pub(super) resumed: Option<(Epoch, SocketAddr)>,
    /// NAKs sent for it: each waits twice as long as the one before, up to
    /// [`PROBE_RETRY_MAX_NS`], while nothing answers.
    pub(super) tries: u32,
    /// Having delivered on receipt (now, or before it restarted): the
    /// refusal of that sequencer's log for lacking what this follower
    /// delivered past its commit, waiting for
    /// its record at the commit (this probe's) to show that log holds what
    /// this follower knew committed (see `refuse_receipt`).
    pub(super) then: Option<ShortLeader>,
    /// With failover: the leader asked leads the epoch of this member's own
    /// log, which it resumed from its journal (see
    /// [`Follower::check_own_leader`]), and this is where that log ended.
    /// Nothing past it is journaled, delivered or acknowledged, and no
    /// commit of that leader's is taken, until its record is shown.
    pub(super) own: Option<u64>,
}

/// The longest a probe's NAK waits before it is sent again (see [`Probe`]).
pub(super) const PROBE_RETRY_MAX_NS: u64 = 100_000_000;

impl Probe {
    /// The restarted sequencer of `epoch` asked spoke again from `from`:
    /// asked there from now on, at once if that moved. A HEARTBEAT
    /// replayed from elsewhere diverts the NAK only until the sequencer's
    /// next, as it does a follower's ACKs.
    fn heard_from(&mut self, epoch: Epoch, from: SocketAddr) {
        if self.resumed != Some((epoch, from)) {
            (self.resumed, self.due) = (Some((epoch, from)), 0);
        }
    }
}

impl Follower {
    /// For tests: the RETRANSMIT the leader joined (`from`, of `epoch`,
    /// its commit `commit`) answers its probe with, holding the same record
    /// as this follower there (`None`: no probe asked).
    #[cfg(test)]
    pub(crate) fn probe_answer(&self, from: u16, epoch: Epoch, commit: u64) -> Option<Vec<u8>> {
        let probe = self.probe.as_ref()?;
        let header = Header::new(Kind::Retransmit, from, self.config.cluster_id, epoch);
        let mut buf = vec![0; self.config.mtu];
        let mut writer = FrameWriter::batch(&mut buf, &header, Kind::Retransmit, Seq(commit), 0).unwrap();
        assert!(writer.push_record(&probe.record));
        let len = writer.finish();
        Some(buf[..len].to_vec())
    }

    /// The record of its resumed journal at `seq`, if it holds it: at its
    /// commit, (having delivered on receipt before it stopped) at the
    /// last it handed out, and (a member without a claim whose journal
    /// starts past its commit) its first:
    /// compared with a newer leader's (or a restarted sequencer's) there
    /// before that log is taken (DESIGN §8).
    pub fn keep_anchor(&mut self, seq: Seq, record: Option<Vec<u8>>) {
        self.anchors.retain(|(at, _)| *at != seq.get());
        if let Some(record) = record {
            self.anchors.push((seq.get(), record));
        }
    }

    /// Asks the leader joined for its record at `seq`, the last this
    /// member keeps (see [`Probe`]); one already asking for it goes on.
    pub(super) fn probe_at(&mut self, seq: u64) {
        if let Some(probe) = self.probe.as_mut().filter(|probe| probe.seq == seq) {
            (probe.due, probe.heard) = (0, None);
            return;
        }
        self.probe = self.probe_of(seq, None);
        // None to compare: the log is taken on where it starts alone.
        self.stats.leaders_unchecked += u64::from(self.probe.is_none() && seq > 0);
    }

    /// A probe of its record at `seq` (see [`Probe`]), if it has one to
    /// compare (not: a journal whose commit file says more than its records).
    fn probe_of(&self, seq: u64, resumed: Option<(Epoch, SocketAddr)>) -> Option<Probe> {
        let kept = self.window.kept(seq).map(|slot| EventRef::split(slot).expect("a kept record parses").0.record);
        let anchor = self.anchors.iter().find(|(at, _)| *at == seq).map(|(_, record)| record.as_slice());
        match kept.or(anchor) {
            Some(record) if seq > 0 => Some(Probe {
                seq,
                record: record.to_vec(),
                due: 0,
                heard: None,
                resumed,
                tries: 0,
                then: None,
                own: None,
            }),
            _ => None,
        }
    }

    /// With failover: its member resumed its journal and now follows the
    /// leader of the epoch its log came in (or, resumed without a whole
    /// claim, joins the leader of the epoch its commit came in, see
    /// [`join`](Self::join)). An epoch names one log only
    /// while members keep what they promised: a cluster's first epoch is
    /// led without an election, and members whose journals were wiped lead
    /// it again with another log (DESIGN §2). So that leader is asked for
    /// its record at the last one this member holds before anything of its
    /// log is taken (see [`Probe::own`]), or, where retention left none
    /// there, at the first its journal kept past it (an anchor, see
    /// [`keep_anchor`](Self::keep_anchor): that leader sent it too);
    /// another record there, and it is refused for good. Nothing to
    /// compare (it holds nothing): taken as it is.
    pub(in crate::core) fn check_own_leader(&mut self) {
        if self.observer || self.config.failover == Failover::Off {
            return;
        }
        let held = self.window.held();
        let past = || self.anchors.iter().map(|&(at, _)| at).filter(|&at| at > held).min();
        let at = if self.probe_of(held, None).is_some() { Some(held) } else { past() };
        self.probe = at.and_then(|at| self.probe_of(at, None)).map(|probe| Probe { own: Some(held), ..probe });
        self.stats.leaders_unchecked += u64::from(self.probe.is_none() && held > 0);
        // One past its log holds for that log only: asked once, it goes
        // (the probe keeps its record).
        self.anchors.retain(|&(at, _)| at <= held);
    }

    /// Its member voted for the leader joined, whose log claimed the same
    /// epoch as its own, an elected one (see `Election::vouched_for`,
    /// [`log_elected`](Self::log_elected)): that log holds its records,
    /// and is not asked for its record at its commit.
    pub(in crate::core) fn vouched(&mut self) {
        self.probe = None;
    }

    /// The leader of its log's epoch said that log started past nothing:
    /// that epoch was elected, and names no other log (DESIGN §2). A
    /// cluster's first epoch, led without an election, starts from nothing.
    pub(in crate::core) fn log_elected(&self) -> bool {
        self.log_start > 0
    }

    /// With failover: the sequence whose event it asks the leader of its
    /// log's epoch for before it takes that leader's log (its member
    /// resumed a journal of that epoch's log, DESIGN §2), and how many NAKs
    /// it sent for it with no answer yet.
    pub fn own_probe(&self) -> Option<(Seq, u32)> {
        self.probe.as_ref().filter(|probe| probe.own.is_some()).map(|probe| (Seq(probe.seq), probe.tries))
    }

    /// While it asks the leader of its log's epoch (see
    /// [`own_probe`](Self::own_probe)): that leader's last sequence, where
    /// its HEARTBEAT said its log ends before the one asked (it cannot
    /// answer before its log grows there).
    pub fn own_leader_shorter(&self) -> Option<Seq> {
        let probe = self.probe.as_ref().filter(|probe| probe.own.is_some())?;
        let last = probe.heard?.seq_next.get().saturating_sub(1);
        (last < probe.seq).then_some(Seq(last))
    }

    /// It no longer waits for the leader of its own log's epoch (see
    /// [`check_own_leader`](Self::check_own_leader)): a newer leader
    /// speaks. What that leader sent past its own log, never shown to be
    /// that log's, goes: its claim never counted it.
    pub(in crate::core) fn drop_own_probe(&mut self) {
        self.keep_only_own_log();
        if self.own_unshown().is_some() {
            self.probe = None;
        }
    }

    /// It stands while the leader of its own log's epoch is still asked
    /// (see [`check_own_leader`](Self::check_own_leader)): with its own
    /// log, as its claim says. What that leader sent past it goes; that
    /// leader is still asked before it is followed again.
    pub(in crate::core) fn keep_only_own_log(&mut self) {
        if let Some(own) = self.own_unshown() {
            self.window.truncate(own);
            self.seen = self.seen.min(own);
        }
    }

    /// The end of its own log while the leader of its epoch is asked for
    /// its record there (see [`check_own_leader`](Self::check_own_leader)).
    pub(super) fn own_unshown(&self) -> Option<u64> {
        self.probe.as_ref().and_then(|probe| probe.own)
    }

    /// A HEARTBEAT of the leader asked for its record at the end of this
    /// member's own log (see [`check_own_leader`](Self::check_own_leader))
    /// says its log ends before there: it would never answer. Asked at its
    /// last record instead, where this member holds one to compare (the
    /// leader of its epoch holds all this member holds, so a log that ends
    /// before is another, unless the HEARTBEAT was an old one, replayed:
    /// then the record is the same). Where it holds none there, it waits
    /// for that log to grow past its own, never taking it: a HEARTBEAT
    /// alone refuses nothing.
    pub(super) fn own_probe_heard(&mut self, heartbeat: Heartbeat) {
        let Some(probe) = self.probe.as_ref().filter(|probe| probe.own.is_some()) else { return };
        let last = heartbeat.seq_next.get().saturating_sub(1);
        // Asked past its own log (see `check_own_leader`), what it holds
        // between is that leader's, nothing to compare with.
        if last >= probe.seq || last == 0 || probe.own.is_some_and(|own| last > own) {
            return;
        }
        let (own, tries) = (probe.own, probe.tries);
        if let Some(asked) = self.probe_of(last, None) {
            self.probe = Some(Probe { own, tries, heard: Some(heartbeat), ..asked });
        }
    }

    /// Without failover: a sequencer restarted in `epoch` (from `from`)
    /// whose HEARTBEAT showed its log starts past what this follower must
    /// hold is not followed before its record at the last sequence this
    /// follower keeps is shown to be this follower's own (a sequencer
    /// refused for a short start, restarted later on the log it began
    /// then, starts past it too). A tail asks the same of what it
    /// delivered: its help says it goes on only on a log that holds that.
    /// True while that waits.
    pub(super) fn probe_resumed(&mut self, epoch: Epoch, heartbeat: Heartbeat, from: SocketAddr) -> bool {
        if let Some(probe) = self.probe.as_mut().filter(|p| p.resumed.is_some_and(|(e, _)| e == epoch)) {
            probe.heard_from(epoch, from);
            probe.heard = Some(heartbeat);
            return true;
        }
        let keep = self.window.held().min(self.commit.max(self.window.base() - 1));
        self.probe = self.probe_of(keep, Some((epoch, from)));
        match self.probe.as_mut() {
            Some(probe) => {
                probe.heard = Some(heartbeat);
                true
            }
            None if keep > 0
                && let Some(before) = self.refused_log =>
            {
                self.refuse_unchecked(epoch, keep, before);
                true
            }
            None => {
                // Taken on where it starts alone.
                self.stats.leaders_unchecked += u64::from(keep > 0);
                false
            }
        }
    }

    /// Without failover: refuses a sequencer of `epoch` whose log could not
    /// be checked at `seq` (see [`ShortLeader::refused_before`]), this
    /// follower having refused epoch `before`'s log; this one is the last
    /// it refused now.
    fn refuse_unchecked(&mut self, epoch: Epoch, seq: u64, before: Epoch) {
        let (needed, committed, refused_before) = (Seq(seq), Seq(self.known_commit()), Some(before));
        self.refuse_resumed(ShortLeader {
            epoch,
            log_end: Seq::ZERO,
            needed,
            committed,
            differs_at: None,
            refused_before,
            gone: false,
        });
        self.probe = None;
    }

    /// Without failover: refuses a sequencer of `epoch` that restarted from
    /// a log short of what this follower must hold, or another; kept beside
    /// the journal where that log lacks what it knows committed (see
    /// [`refused_log`](Self::refused_log)).
    fn refuse_resumed(&mut self, short: ShortLeader) {
        if self.config.journal && !self.observer && short.log_end < short.committed {
            self.refused_log = Some(short.epoch);
        }
        (self.short_leader, self.epoch_new) = (Some(short), Some(short.epoch));
        if self.receipt_short(short) {
            self.withdraw_delivered();
        }
    }

    /// With a journal, having delivered on receipt (now, or before it
    /// stopped): `short` holds all this follower knew committed, but not
    /// what it delivered past that.
    fn receipt_short(&self, short: ShortLeader) -> bool {
        self.config.journal
            && !self.observer
            && short.log_end >= short.committed
            && self.window.base() - 1 > self.known_commit()
    }

    /// Refuses `short`, the log of a sequencer (sending from `from`) that
    /// restarted without what this follower delivered on receipt past its
    /// commit, or with other events there. Those it withdraws (see
    /// `withdraw_delivered`) only once that log shows its record at the
    /// commit: a log of another history (a sequencer started on another
    /// journal) is refused as such, its records left as they are. Where it
    /// has no record there to compare (nothing committed, or its window
    /// no longer has it), it withdraws them at once, as a restart would
    /// take such a log unchecked.
    pub(super) fn refuse_receipt(&mut self, short: ShortLeader, from: SocketAddr) {
        if !self.receipt_short(short) {
            return self.refuse_resumed(short);
        }
        let waiting = |p: &&mut Probe| p.then.is_some() && p.resumed.is_some_and(|(e, _)| e == short.epoch);
        if let Some(probe) = self.probe.as_mut().filter(waiting) {
            probe.heard_from(short.epoch, from);
            return;
        }
        match self.probe_of(short.committed.get(), Some((short.epoch, from))) {
            Some(probe) => self.probe = Some(Probe { then: Some(short), ..probe }),
            None => {
                self.probe = None;
                self.refuse_resumed(short);
            }
        }
    }

    /// With a journal, having delivered on receipt (now, or before it
    /// restarted): it refused a sequencer's log that holds all it knew
    /// committed but not what it delivered past that (a sequencer that
    /// lost power at `--sync batch` lost what it had not synced, which
    /// never committed). Those events are in doubt for its application
    /// (told by [`Event::LeaderRestarted`]), and go from its journal once
    /// its application took that notice (see
    /// [`poll_truncate`](Follower::poll_truncate)), so that a restart takes
    /// that log from its commit on rather than refusing it again. Nothing more is appended (nor, not durable,
    /// delivered). Only where [`receipt_short`](Self::receipt_short) says so.
    ///
    /// [`Event::LeaderRestarted`]: crate::core::Event::LeaderRestarted
    pub(super) fn withdraw_delivered(&mut self) {
        self.drop_journaled_past(self.known_commit());
        self.withdrew = true;
    }

    /// Without failover, with a journal: the epoch of the last sequencer
    /// whose log this follower refused for lacking what it knows committed
    /// (it started without its journal, or on another), kept beside the
    /// journal by the driver while it is `Some`. A later sequencer whose
    /// log cannot be checked against this follower's (retention deleted
    /// its record at this follower's commit) may have grown from that
    /// log, where nothing but that record could tell: it is refused too.
    /// Cleared once a sequencer's log shows this follower's record there.
    pub fn refused_log(&self) -> Option<Epoch> {
        self.refused_log
    }

    /// Without failover: the restarted sequencer of the epoch returned (at
    /// the address returned), not yet followed, whose event at the sequence
    /// returned this follower asks for before it takes (or refuses) its
    /// log, and how many NAKs it sent for it with no answer yet.
    pub fn resumed_probe(&self) -> Option<(Epoch, SocketAddr, Seq, u32)> {
        let probe = self.probe.as_ref()?;
        let (epoch, from) = probe.resumed?;
        Some((epoch, from, Seq(probe.seq), probe.tries))
    }

    /// A resumed follower whose journal says it refused the log of a
    /// sequencer of `epoch` when it last ran (see [`refused_log`](Self::refused_log)).
    pub fn refused_before(&mut self, epoch: Epoch) {
        self.refused_log = Some(epoch);
    }

    /// A frame of the sequencer asked (see [`probe_resumed`](Self::probe_resumed)):
    /// `Some(true)` once its record is this follower's (or it no longer
    /// holds it): followed from now on; `Some(false)`: another, refused for
    /// good; `None`: no answer in it.
    pub(super) fn resumed_answer(&mut self, epoch: Epoch, frame: &Frame<'_>, needed: u64) -> Option<bool> {
        let probe = self.probe.as_ref().filter(|p| p.resumed.is_some_and(|(e, _)| e == epoch))?;
        let (seq, heard, then, from) = (probe.seq, probe.heard, probe.then, probe.resumed.map(|(_, from)| from)?);
        // A frame of the epoch followed (a replay) may since have shown
        // committed all it delivered on receipt: nothing is in doubt any
        // more, and the log is checked at its commit as any other.
        let then = then.filter(|&short| self.receipt_short(short));
        let same = match frame {
            Frame::Retransmit(batch) => {
                let record = batch.events.clone().find(|event| event.header.seq.get() == seq)?.record;
                record == probe.record
            }
            Frame::Unrecoverable(lost) if (lost.range.first.get()..lost.range.end.get()).contains(&seq) => {
                if let Some(before) = self.refused_log {
                    self.refuse_unchecked(epoch, seq, before);
                    return Some(false);
                }
                if let Some(short) = then {
                    // Its commit's record gone too: withdrawn unchecked.
                    self.probe = None;
                    self.refuse_resumed(short);
                    return Some(false);
                }
                if seq > self.known_commit() {
                    // What it delivered on receipt cannot be checked.
                    let start = heard.map_or(Seq(seq), |heartbeat| Seq(heartbeat.epoch_start.get()));
                    let (needed, committed) = (Seq(seq), Seq(self.known_commit()));
                    let (differs_at, refused_before) = (None, None);
                    self.probe = None;
                    let short = ShortLeader {
                        epoch,
                        log_end: start,
                        needed,
                        committed,
                        differs_at,
                        refused_before,
                        gone: true,
                    };
                    self.refuse_receipt(short, from);
                    return Some(false);
                }
                self.stats.leaders_unchecked += 1;
                true
            }
            _ => return None,
        };
        let probe = self.probe.take()?;
        if let Some(short) = then.filter(|_| same) {
            // It holds what this follower knew committed: only what it
            // delivered past that is missing.
            self.refuse_resumed(short);
            return Some(false);
        }
        if same {
            let start = probe.heard.map(|heartbeat| heartbeat.epoch_start.get());
            self.follow_resumed(epoch, start);
            // Its record shown (or gone, with no refusal kept): nothing to keep.
            self.refused_log = None;
            return Some(true);
        }
        let committed = Seq(self.known_commit());
        let (log_end, needed, differs_at) = (Seq(seq - 1), Seq(needed), Some(Seq(seq)));
        let short = ShortLeader { epoch, log_end, needed, committed, differs_at, refused_before: None, gone: false };
        match then {
            // Another event at its commit: another history.
            Some(_) => self.refuse_resumed(short),
            None => self.refuse_receipt(short, from),
        }
        Some(false)
    }

    /// The leader joined sent its record at the probe's sequence: the
    /// same as this member's (its HEARTBEAT that came meanwhile is taken
    /// now), or another (refused for good, see [`ShortLeader`]).
    pub(super) fn probe_answered(&mut self, now: Nanos, record: &[u8]) {
        let Some(probe) = self.probe.take() else { return };
        if record == probe.record {
            self.stats.own_leaders_shown += u64::from(probe.own.is_some());
            if let Some(heartbeat) = probe.heard {
                self.on_heartbeat(now, heartbeat, true);
            }
            return;
        }
        let needed = self.unshown.map_or(self.commit, |(needed, _)| needed);
        // The leader of its own log's epoch (joined, where its claim was
        // not whole, with nothing older to check) differs from what it
        // knew committed.
        let needed = Seq(if probe.own.is_some() { needed.max(self.commit) } else { needed });
        let (at, log_end) = (Seq(probe.seq), Seq(probe.seq - 1));
        let differs_at = Some(at);
        let short = ShortLeader {
            epoch: self.epoch(),
            log_end,
            needed,
            committed: needed,
            differs_at,
            refused_before: None,
            gone: false,
        };
        self.refuse(short, probe.own);
    }

    /// Refuses the leader joined for good (see [`short_leader`](Self::short_leader)):
    /// nothing of its log is taken, and what its DATA brought before this
    /// goes, from the window and the journal. Its own log, where it
    /// refuses the leader of that log's epoch, stays as it was (`own`: up
    /// to there).
    pub(super) fn refuse(&mut self, short: ShortLeader, own: Option<u64>) {
        self.short_leader = Some(short);
        self.epoch_new = Some(short.epoch);
        self.probe = None;
        let keep = own.unwrap_or(self.commit.max(self.window.base() - 1));
        self.window.truncate(keep);
        self.drop_journaled_past(keep);
        self.seen = keep;
    }
}
