//! The leader's side of the journal (DESIGN §8): what it hands its driver
//! to append, what became durable, the ranges that left its ring for the
//! driver to serve from the journal, and resuming a log from a journal.

use std::net::SocketAddr;

use super::{Leader, Source};
use crate::core::clients::Clients;
use crate::core::{Append, Config, ConfigError, Epoch, JournalClaim, Nanos, Ring, Seq};
use crate::wire::{EventRef, FrameWriter, Kind, SeqRange, Unrecoverable, emit};

impl Leader {
    /// A leader of `config` (a new epoch, newer than its journal's) that
    /// resumes the log its journal kept from `first` (DESIGN §8): feed it
    /// every record with [`Resume::push`], then [`Resume::finish`]. Its
    /// ring keeps the newest `ring_events` of them, so `first` may be that
    /// many before the journal's last record: what is older is served from
    /// the journal.
    pub fn resume(config: Config, now: Nanos, first: Seq) -> Result<Resume, ConfigError> {
        let mut config = config;
        config.journal = true;
        config.validate()?;
        if config.epoch == Epoch::ZERO {
            return Err(ConfigError::Zero("epoch"));
        }
        let ring = Ring::starting_at(config.ring_events, config.record_max(), first.get().max(1), true);
        let clients = Clients::new(config.clients_max, config.client_pending_max, true);
        let slot_of = crate::core::prefaulted(config.ring_events);
        Ok(Resume {
            leader: Leader::with_ring(config.clone(), config.leader, config.epoch, (ring, clients, slot_of), now),
        })
    }

    /// With a journal: the next event to append, with the epoch that
    /// stamped it, in sequence order; each is handed out once. The driver
    /// appends it, syncs as its level says, and reports what became durable
    /// with [`handle_durable`](Self::handle_durable).
    pub fn poll_append(&mut self) -> Option<Append<'_>> {
        if !self.config.journal {
            return None;
        }
        let event = self.ring.get(self.appended + 1)?;
        self.appended += 1;
        Some(Append { epoch: self.header.epoch(), commit: Seq(self.commit), event })
    }

    /// With a journal: what it knows committed of what it appended, for the
    /// driver to keep beside the journal at a clean stop (its last records
    /// carry the commit known when they were written, before their ACKs).
    pub fn journal_commit(&self) -> Seq {
        if !self.config.journal {
            return Seq::ZERO;
        }
        Seq(self.commit.min(self.appended))
    }

    /// The driver made everything up to `through` durable: the leader now
    /// counts itself as holding it.
    pub fn handle_durable(&mut self, through: Seq) {
        invariant!(through.get() <= self.appended, "durable {through} beyond appended {}", self.appended);
        // Never past what it handed out, whatever a driver says: what goes
        // out after a failed journal ends there (`data_end`).
        let through = through.get().min(self.appended);
        if through > self.durable {
            self.durable = through;
            self.update_commit();
        }
    }

    /// Its journal failed (a full disk, an I/O error; the driver says):
    /// no follower may hold an event its leader's journal lacks (DESIGN
    /// §8), so nothing past what the journal made durable goes out (DATA,
    /// a HEARTBEAT's `seq_next`, a repair), and nothing more commits. It
    /// takes SUBMITs until `in_flight_max`, then answers BUSY.
    pub fn journal_failed(&mut self) {
        self.journal_failed = true;
        // Repairs queued before it failed end there too.
        let end = self.data_end();
        self.repairs.retain_mut(|r| {
            r.end = r.end.min(end);
            r.next < r.end
        });
    }

    /// True once its journal failed (see [`journal_failed`](Self::journal_failed)).
    pub fn is_journal_failed(&self) -> bool {
        self.journal_failed
    }

    /// When it last multicast (DATA or a HEARTBEAT): its followers stand
    /// once it has been silent an election timeout (0: a HEARTBEAT is due
    /// at once).
    pub(in crate::core) fn multicast_at(&self) -> Nanos {
        self.multicast_at
    }

    /// One past the last sequence that may go out: all it stamped, or
    /// what its journal made durable before it failed.
    pub(in crate::core) fn data_end(&self) -> u64 {
        let next = self.ring.seq_next();
        if self.journal_failed { (self.durable + 1).min(next) } else { next }
    }

    /// The last sequence handed to the driver to append (with a journal).
    pub fn seq_appended(&self) -> Seq {
        Seq(self.appended)
    }

    /// The last sequence the driver reported durable (with a journal).
    pub fn seq_durable(&self) -> Seq {
        Seq(self.durable)
    }

    /// What its journal may claim after a restart (DESIGN §8): its epoch,
    /// `whole` once the log it started the epoch with is durable.
    pub fn journal_claim(&self) -> JournalClaim {
        JournalClaim { epoch: self.epoch(), whole: self.durable >= self.epoch_start, promised: self.epoch() }
    }

    /// With a journal: the next range a follower asked for that has left
    /// the ring, for the driver to serve from the journal (DESIGN §8), as
    /// RETRANSMITs it writes with [`history_frame`](Self::history_frame),
    /// and UNRECOVERABLE (with [`unrecoverable_frame`](Self::unrecoverable_frame))
    /// for what the journal no longer keeps. Each range is handed out once;
    /// NAKs that overlap it within the linger are answered by it.
    pub fn poll_history(&mut self, now: Nanos) -> Option<(SocketAddr, Seq, Seq)> {
        let (dest, first, end) = match self.history.pop_front() {
            Some(range) => range,
            None => {
                let repair = self.repairs.iter_mut().find(|r| r.done_at.is_none() && r.source == Source::History)?;
                let range = (repair.dest, repair.next, repair.end);
                (repair.next, repair.done_at) = (repair.end, Some(now));
                range
            }
        };
        self.stats.history_requests += 1;
        Some((dest, Seq(first), Seq(end)))
    }

    /// Writes into `buf` a RETRANSMIT of as many of `records` (whole event
    /// records back to back, in sequence order, as a journal gives them) as
    /// fit, counted as sent; returns its length and the bytes of `records`
    /// it took.
    pub fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        let buf = &mut buf[..self.config.mtu];
        let mut writer = FrameWriter::batch(buf, &self.header, Kind::Retransmit, Seq(self.commit), now)
            .expect("mtu holds a batch head");
        let mut taken = 0;
        while let Ok((event, _)) = EventRef::split(&records[taken..]) {
            if !writer.push_record(event.record) {
                break;
            }
            taken += event.record.len();
        }
        let events = u64::from(writer.count());
        self.stats.retransmits_sent += 1;
        self.stats.journal_retransmits_sent += 1;
        self.stats.events_retransmitted += events;
        self.stats.events_from_journal += events;
        (writer.finish(), taken)
    }

    /// Writes into `buf` an UNRECOVERABLE for `[first, end)`: sequences out
    /// of the ring that the journal no longer keeps (retention), or that no
    /// journal keeps; counts them; returns its length.
    pub fn unrecoverable_frame(&mut self, buf: &mut [u8], first: Seq, end: Seq) -> usize {
        self.stats.unrecoverable_sent += 1;
        self.stats.events_unrecoverable += end.get() - first.get();
        let (low, high) = self.unrecoverable_span.unwrap_or((first.get(), end.get()));
        self.unrecoverable_span = Some((low.min(first.get()), high.max(end.get())));
        let body = Unrecoverable { range: SeqRange::new(first, end) };
        emit(buf, &self.header, Kind::Unrecoverable, &body).expect("mtu holds an UNRECOVERABLE")
    }
}

/// A leader being resumed from its journal: see [`Leader::resume`].
#[derive(Debug)]
pub struct Resume {
    leader: Leader,
}

impl Resume {
    /// The next record the journal kept, in order. Returns false, taking
    /// nothing, if it does not follow the one before (a gap: a leader's
    /// journal has none, so the journal is damaged).
    pub fn push(&mut self, event: EventRef<'_>) -> bool {
        let ring = &mut self.leader.ring;
        if event.header.seq().get() != ring.seq_next() {
            return false;
        }
        ring.push(event.record, event.header.stamp_ns.get());
        true
    }

    /// The resumed leader, knowing that its journal's records were
    /// committed up to `commit`. Its epoch starts with the log it kept
    /// (followers drop what they hold past their commit and take this log);
    /// the uncommitted part goes out again at once.
    pub fn finish(self, commit: Seq) -> Leader {
        let mut leader = self.leader;
        let last = leader.ring.seq_next() - 1;
        leader.promoted = true;
        leader.commit = commit.get().min(last);
        (leader.commit_sent, leader.epoch_start, leader.seq_sent) = (leader.commit, last, leader.commit + 1);
        (leader.appended, leader.durable) = (last, last);
        leader.know_clients(0);
        // The ring holds the journal's newest records: who sent the older
        // is unknown here, as for an elected leader that lost them.
        let first = leader.ring.seq_first();
        leader.lost_end = if first > 1 { first } else { 0 };
        leader
    }
}
