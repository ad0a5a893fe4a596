//! The leader's repairs (DESIGN §2): NAKed ranges, coalesced, capped,
//! lingering a while after they were sent, and resent from the ring (or
//! declared lost, or handed to the journal).

use std::net::SocketAddr;

use super::{Leader, REPAIR_BYTES_PER_FLUSH, Repair, Source};
use crate::core::{Dest, Failover, Nanos, NodeId, Seq, Transmit};
use crate::wire::{FrameWriter, Kind, Nak};

impl Leader {
    /// A NAK from `member` (`None`: an observer) that came from `from`,
    /// with the header's `token`. A member's repairs go where its ACKs come
    /// from, not to the NAK's source: a forged NAK must not turn the leader
    /// into a reflector. An observer's go to the NAK's source, so with keys
    /// (`client_tokens`) only a NAK carrying this leader's token for that
    /// address is answered: one replayed from elsewhere gets a hello no
    /// larger than itself (DESIGN §9).
    pub(super) fn on_nak(
        &mut self,
        now: Nanos,
        from: SocketAddr,
        (member, token): (Option<NodeId>, u32),
        nak: Nak<'_>,
    ) {
        self.stats.naks += 1;
        if member.is_none() && self.config.client_tokens {
            let window = now / super::HELLO_WINDOW_NS;
            let fresh = [window, window.saturating_sub(1)].iter().any(|&w| token == self.observer_token(from, w));
            // A hello (72 bytes with its tag) only for a NAK of a range at
            // least (as large): a replayed one reflects nothing larger.
            if !fresh {
                if !nak.ranges.is_empty()
                    && !self.observer_hellos.contains(&from)
                    && self.observer_hellos.len() < super::OBSERVER_HELLOS_MAX
                {
                    self.observer_hellos.push(from);
                    self.stats.observer_hellos_sent += 1;
                }
                return;
            }
        }
        if let Some(count) = member.and_then(|node| self.naks_by_member.get_mut(node.index())) {
            *count += 1;
        }
        self.expire_repairs(now);
        // Whether its ranges are answered at all (its nonce is, below).
        let mut answered = true;
        // Whether only its NAKs say it is at `from` (no ACK from there yet).
        let mut unproven = false;
        let dest = match member {
            None => from,
            Some(node) => {
                let i = node.index();
                // Its ACKs' address silent past two keepalives, as when it
                // restarted on another port (where its ACKs would move it).
                let acks_silent = now >= self.last_ack_ns[i] + 2 * crate::core::KEEPALIVE_NS;
                match (self.config.members.get(i), self.member_addr[i]) {
                    (Some(&configured), _) => configured,
                    (None, Some((acked, true))) if acked == from => acked,
                    // Asked from elsewhere than its ACKs come from, which
                    // have not fallen silent: a recording of its NAK, a
                    // second process with its id, or the member restarted
                    // there. Repairs sent where its ACKs come from answer
                    // none of them, and where a copy of an ACK the leader
                    // never heard moved them they fed the replayer.
                    (None, Some((acked, true))) if !acks_silent => {
                        answered = false;
                        acked
                    }
                    // Not ACKed yet: its NAKs say where it is. So once its
                    // ACKs fell silent: restarted on another port, it may ask
                    // before it ACKs (a journaled follower checks a restarted
                    // sequencer's record first), and its repairs, and that
                    // answer, follow its NAKs until it ACKs.
                    (None, before) => {
                        if let Some((acked, true)) = before {
                            self.stats.nak_moves += 1;
                            self.ack_source_change = Some((node, acked, from));
                            self.unacked += 1;
                        }
                        self.last_nak_ns[i] = now;
                        self.member_addr[i] = Some((from, false));
                        unproven = self.config.failover == Failover::Off;
                        from
                    }
                }
            }
        };
        // Sent where the member ACKs from, what it said it holds there is
        // waste, whoever asks: a second process run with its id, far
        // behind, would draw the whole log to the real one again and again.
        let mut held = 0;
        if let Some(node) = member.filter(|_| dest != from) {
            self.stats.naks_elsewhere += 1;
            self.nak_source = Some((node, from, dest));
            held = self.held_at_repairs[node.index()];
        }
        // An observer's only with keys, its token for its source shown
        // above: it proved it hears there.
        let asker = member.is_some() || self.config.client_tokens;
        if asker && nak.head.nonce.get() != 0 {
            self.owe_fresh(member, from, dest, nak.head.nonce.get());
        }
        if !answered {
            return;
        }
        let from = dest;
        let (oldest, next) = (self.ring.seq_first(), self.data_end());
        if unproven {
            self.stats.naks_unproven += 1;
        }
        for range in nak.ranges {
            let (first, mut end) = (range.first.get().max(held + 1), range.end.get().min(next));
            if first >= end {
                continue;
            }
            if unproven {
                // Where only its NAKs say it is, one event a NAK, the lowest
                // it asks (a range gone from the ring, without a journal, is
                // one UNRECOVERABLE however long): one of its NAKs, recorded
                // and replayed from a victim's address, draws a datagram
                // there, not `nak_events_max` events. A follower's NAK goes
                // with an ACK, and is answered whole once one arrives; one
                // checking a restarted sequencer's record first asks for
                // that record alone. (With failover a member syncing to a
                // new leader sends no ACK before it holds that leader's
                // starting log: one not named in the cluster file is
                // answered whole.)
                let lost = first < oldest && !self.config.journal;
                end = if lost { end.min(oldest) } else { first + 1 };
            }
            if first < oldest {
                let source = if self.config.journal { Source::History } else { Source::Lost };
                self.add_repair(from, (first, end.min(oldest)), source, unproven);
            }
            if end > oldest {
                self.add_repair(from, (first.max(oldest), end), Source::Ring, unproven);
            }
            if unproven {
                break;
            }
        }
    }

    /// Owes `member` (`None`: an observer that showed its token for
    /// `from`) a HEARTBEAT answering `nonce`. A member named in the cluster
    /// file gets it at that address (`dest`), as its repairs; one that is
    /// not, at the NAK's source: restarted on another port, it sends no
    /// ACK from there before it follows an epoch, which it takes only from
    /// this answer, and a recording of its old ACKs, replayed from
    /// elsewhere while it was down, may hold its repairs' address. So a
    /// recorded ask replayed from a victim's address draws one HEARTBEAT
    /// there (96 bytes with its tag, for the NAK's 56), and only the
    /// newest ask of each member is owed.
    fn owe_fresh(&mut self, member: Option<NodeId>, from: SocketAddr, dest: SocketAddr, nonce: u32) {
        let to = match member {
            Some(node) if self.config.members.get(node.index()).is_none() => from,
            _ => dest,
        };
        let owed = match member {
            Some(_) => self.fresh_owed.iter().position(|&(who, _, _)| who == member),
            None => self.fresh_owed.iter().position(|&(who, at, _)| who.is_none() && at == to),
        };
        let observers = self.fresh_owed.iter().filter(|(who, _, _)| who.is_none()).count();
        match owed {
            Some(i) => self.fresh_owed[i] = (member, to, nonce),
            None if member.is_some() || observers < super::OBSERVER_HELLOS_MAX => {
                self.fresh_owed.push((member, to, nonce))
            }
            None => {}
        }
    }

    fn add_repair(&mut self, dest: SocketAddr, (first, end): (u64, u64), source: Source, unproven: bool) {
        // What one destination has in repair is bounded, however many
        // ranges its NAKs name.
        let unsent: u64 =
            self.repairs.iter().filter(|r| r.dest == dest && r.done_at.is_none()).map(|r| r.end - r.next).sum();
        // A repair pending or just sent to the same follower answers this
        // NAK too (one asked where only NAKs named a member, only such NAKs).
        let answers = |r: &Repair| r.dest == dest && r.first < end && first < r.end && (!r.unproven || unproven);
        if self.repairs.iter().any(answers) {
            self.stats.naks_coalesced += 1;
        } else if self.repairs.len() == self.repairs.capacity() {
            self.stats.repairs_overflow += 1;
        } else if unsent >= self.config.nak_events_max as u64 {
            self.stats.repairs_over_budget += 1;
        } else {
            self.repairs.push(Repair { dest, first, next: first, end, source, done_at: None, unproven });
        }
    }

    /// Forgets repairs sent longer ago than the linger.
    pub(super) fn expire_repairs(&mut self, now: Nanos) {
        self.repairs.retain(|r| r.done_at.is_none_or(|at| now < at + self.config.repair_linger_ns));
    }

    pub(super) fn transmit_repair(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        if self.repair_bytes >= REPAIR_BYTES_PER_FLUSH {
            return None;
        }
        let transmit = self.next_repair(now, buf)?;
        self.repair_bytes += transmit.len;
        Some(transmit)
    }

    fn next_repair(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        let oldest = self.ring.seq_first();
        let pending = |r: &&mut Repair| r.unsent();
        let mut repair = self.repairs.iter_mut().find(pending)?;
        while repair.source == Source::Ring && repair.next < oldest && self.config.journal {
            // Its head left the ring since it was asked for: the journal has it.
            let end = repair.end.min(oldest);
            if self.history.len() < self.config.repairs_max {
                self.history.push_back((repair.dest, repair.next, end));
            }
            repair.next = end;
            if repair.next < repair.end {
                break;
            }
            repair.done_at = Some(now);
            repair = self.repairs.iter_mut().find(pending)?;
        }
        let dest = Dest::Unicast(repair.dest);
        if repair.source == Source::Lost || repair.next < oldest {
            // The range (or its head) left the ring since it was asked for.
            let end = if repair.source == Source::Lost { repair.end } else { repair.end.min(oldest) };
            let first = std::mem::replace(&mut repair.next, end);
            if repair.next == repair.end {
                repair.done_at = Some(now);
            }
            let len = self.unrecoverable_frame(buf, Seq(first), Seq(end));
            return Some(Transmit { dest, len });
        }
        let mut writer = FrameWriter::batch(buf, &self.header, Kind::Retransmit, Seq(self.commit), now)
            .expect("mtu holds a batch head");
        while repair.next < repair.end {
            let event = self.ring.get(repair.next).expect("repairs within the ring");
            if !writer.push_record(event.record) {
                break;
            }
            repair.next += 1;
        }
        if repair.next == repair.end {
            repair.done_at = Some(now);
        }
        self.stats.retransmits_sent += 1;
        self.stats.events_retransmitted += u64::from(writer.count());
        Some(Transmit { dest, len: writer.finish() })
    }
}
