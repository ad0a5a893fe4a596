//! The follower: takes DATA, RETRANSMIT and HEARTBEAT from the leader, NAKs
//! gaps, ACKs what it holds, and delivers events strictly in sequence order.

use std::net::SocketAddr;

use super::window::{Insert, NakLimits, Popped, Window};
use super::{Config, ConfigError, Deliver, Dest, Nanos, NodeId, Peers, Rejects, Transmit, accept};
use crate::wire::{Ack, Batch, EventRef, Frame, FrameWriter, Header, Kind, NAK_RANGES_MAX, SeqRange, emit};

/// Counters of every protocol path the follower runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FollowerStats {
    /// Events received and kept.
    pub events_received: u64,
    /// Events received twice (or after delivery), dropped.
    pub duplicates: u64,
    /// Events beyond the window, dropped (NAKed later).
    pub beyond_window: u64,
    /// Sequences found missing (each gap counts its length).
    pub gaps: u64,
    /// NAK datagrams sent.
    pub naks_sent: u64,
    /// Sequences asked for in NAKs (retries counted again).
    pub events_nakked: u64,
    /// ACK datagrams sent.
    pub acks_sent: u64,
    /// Events delivered to the application.
    pub delivered: u64,
    /// Sequences reported lost to the application.
    pub lost: u64,
    /// HEARTBEATs received.
    pub heartbeats: u64,
}

/// What a follower hands its application, in sequence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The next event, borrowed until the next call.
    Deliver(EventRef<'a>),
    /// Sequences `[first, end)` left the leader's ring before this follower
    /// got them: they are committed, but this follower cannot deliver them.
    Lost {
        /// First lost sequence.
        first: u64,
        /// One past the last.
        end: u64,
    },
    /// A leader of a newer epoch speaks, without this follower's history (a
    /// restarted leader starts empty). Reported once, after everything of the
    /// old epoch that could be delivered; nothing of the new epoch is taken.
    LeaderRestarted {
        /// The epoch this follower followed.
        old: u64,
        /// The epoch heard now.
        new: u64,
        /// Sequences `[first, end)` this follower holds past the last commit
        /// it heard: committed or not, nobody can now say (a client may have
        /// been told). Delivered already when delivering on receipt.
        in_doubt: Option<(u64, u64)>,
    },
}

/// The follower state machine.
#[derive(Debug)]
pub struct Follower {
    config: Config,
    header: Header,
    window: Window,
    leader_addr: Option<SocketAddr>,
    /// A newer epoch heard, not yet reported; then kept to refuse it.
    epoch_new: Option<u64>,
    epoch_reported: bool,
    commit: u64,
    seen: u64,
    rtt_ns: u64,
    ack_sent: u64,
    ack_at: Nanos,
    ack_due: bool,
    echo_ns: u64,
    echo_at: Nanos,
    stats: FollowerStats,
    rejects: Rejects,
}

impl Follower {
    /// Follower `id` of the cluster in `config`, starting empty at `now`.
    pub fn new(config: Config, id: NodeId, now: Nanos) -> Result<Follower, ConfigError> {
        config.validate()?;
        if id.0 >= config.nodes || id == config.leader {
            return Err(ConfigError::NotAFollower { id, nodes: config.nodes, leader: config.leader });
        }
        Ok(Follower {
            header: Header::new(Kind::Ack, id.0, config.cluster_id, config.epoch),
            window: Window::new(config.window_events, config.record_max()),
            leader_addr: None,
            epoch_new: None,
            epoch_reported: false,
            commit: 0,
            seen: 0,
            rtt_ns: config.rtt_initial_ns,
            ack_sent: 0,
            ack_at: now,
            ack_due: false,
            echo_ns: 0,
            echo_at: now,
            stats: FollowerStats::default(),
            rejects: Rejects::default(),
            config,
        })
    }

    /// Highest sequence held with nothing missing below it.
    pub fn seq_held(&self) -> u64 {
        self.window.held()
    }

    /// The next sequence to deliver.
    pub fn seq_next_delivery(&self) -> u64 {
        self.window.base()
    }

    /// Highest commit sequence heard from the leader.
    pub fn commit(&self) -> u64 {
        self.commit
    }

    /// Highest sequence known to exist.
    pub fn seq_seen(&self) -> u64 {
        self.seen
    }

    /// Protocol counters.
    pub fn stats(&self) -> &FollowerStats {
        &self.stats
    }

    /// Datagrams dropped on receipt, by reason.
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    fn first_nak_delay(&self) -> u64 {
        // DESIGN §2: the first NAK within about 2x RTT of the gap.
        self.rtt_ns.clamp(self.config.nak_delay_min_ns, self.config.nak_delay_max_ns)
    }

    fn mark_missing(&mut self, now: Nanos) {
        self.stats.gaps += self.window.mark_missing(self.seen, now + self.first_nak_delay());
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let Some(datagram) = accept(bytes, &self.header, Peers::Leader(self.config.leader), &mut self.rejects) else {
            return;
        };
        if !self.same_epoch(datagram.header.epoch.get()) {
            self.rejects.wrong_epoch += 1;
            return;
        }
        self.leader_addr = Some(from);
        match datagram.frame {
            Frame::Data(batch) | Frame::Retransmit(batch) => self.on_batch(now, batch),
            Frame::Heartbeat(heartbeat) => {
                self.stats.heartbeats += 1;
                self.echo(now, heartbeat.sent_ns.get());
                if heartbeat.rtt_ns.get() != 0 {
                    self.rtt_ns = heartbeat.rtt_ns.get();
                }
                self.commit = self.commit.max(heartbeat.commit.get());
                self.seen = self.seen.max(heartbeat.seq_next.get().saturating_sub(1));
                // The leader may have missed our last ACK.
                self.ack_due |= heartbeat.commit.get() < self.window.held();
            }
            Frame::Unrecoverable(lost) => {
                let end = lost.range.end.get();
                self.window.mark_lost(end);
                // Only committed events leave the ring.
                self.commit = self.commit.max(end - 1);
                self.seen = self.seen.max(end - 1);
            }
            _ => self.rejects.unexpected_kind += 1,
        }
        self.mark_missing(now);
        self.ack_due |= self.window.held() > self.ack_sent;
    }

    /// Learns the epoch from the first frame; afterwards an older epoch is
    /// fenced off and a newer one is noted for the application.
    fn same_epoch(&mut self, epoch: u64) -> bool {
        let mine = self.header.epoch.get();
        if mine == 0 {
            self.header.epoch = epoch.into();
            return true;
        }
        if epoch > mine && self.epoch_new.is_none() {
            self.epoch_new = Some(epoch);
        }
        epoch == mine
    }

    /// The epoch this follower follows (0 until it has heard the leader).
    pub fn epoch(&self) -> u64 {
        self.header.epoch.get()
    }

    fn echo(&mut self, now: Nanos, sent_ns: u64) {
        self.echo_ns = sent_ns;
        self.echo_at = now;
    }

    fn on_batch(&mut self, now: Nanos, batch: Batch<'_>) {
        self.echo(now, batch.head.sent_ns.get());
        self.commit = self.commit.max(batch.head.commit.get());
        for event in batch.events {
            let seq = event.header.seq.get();
            self.seen = self.seen.max(seq);
            match self.window.insert(seq, event.record) {
                Insert::Stored => self.stats.events_received += 1,
                Insert::Duplicate => self.stats.duplicates += 1,
                Insert::Beyond => self.stats.beyond_window += 1,
            }
        }
    }

    /// Called when `poll_timeout` passes.
    pub fn handle_timeout(&mut self, now: Nanos) {
        self.mark_missing(now);
    }

    /// When the follower next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let ack = (self.window.held() > self.commit).then_some(self.ack_at + self.config.ack_interval_ns);
        match (ack, self.window.nak_due()) {
            (Some(a), Some(n)) => Some(a.min(n)),
            (a, n) => a.or(n),
        }
    }

    /// Writes the next datagram to send into `buf` (at least `mtu` bytes): an
    /// ACK when there is progress to report, else a NAK when one is due.
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        let leader = Dest::Unicast(self.leader_addr?);
        let buf = &mut buf[..self.config.mtu];
        let held = self.window.held();
        let ack_timer = held > self.commit && now >= self.ack_at + self.config.ack_interval_ns;
        if self.ack_due || ack_timer {
            let body =
                Ack { seq_held: held.into(), echo_ns: self.echo_ns.into(), echo_delay_ns: (now - self.echo_at).into() };
            (self.ack_sent, self.ack_at, self.ack_due) = (held, now, false);
            self.stats.acks_sent += 1;
            let len = emit(buf, &self.header, Kind::Ack, &body).expect("mtu holds an ACK");
            return Some(Transmit { dest: leader, len });
        }
        if self.window.nak_due()? > now {
            return None;
        }
        let mut writer = FrameWriter::nak(buf, &self.header).expect("mtu holds a NAK head");
        let limits = NakLimits {
            ranges_max: NAK_RANGES_MAX,
            events_max: self.config.nak_events_max,
            pace_ns: self.first_nak_delay(),
            per_event_ns: self.config.nak_retry_per_event_ns,
        };
        let (rtt_ns, min_ns, max_ns) = (self.rtt_ns, self.config.nak_delay_min_ns, self.config.nak_delay_max_ns);
        // Retries back off from 2x RTT, doubling, up to nak_delay_max_ns.
        let retry_ns = |tries: u8| (2 * rtt_ns).saturating_mul(1 << tries.min(20)).clamp(min_ns, max_ns);
        let mut events = 0;
        self.window.collect_naks(now, limits, retry_ns, |first, end| {
            events += end - first;
            writer.push_range(&SeqRange::new(first, end));
        });
        if writer.count() == 0 {
            return None;
        }
        self.stats.naks_sent += 1;
        self.stats.events_nakked += events;
        Some(Transmit { dest: leader, len: writer.finish() })
    }

    /// The next event for the application, in sequence order: when committed
    /// (the default) or when received, as `config.deliver` says.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        let upto = match self.config.deliver {
            Deliver::OnCommit => self.commit,
            Deliver::OnReceive => u64::MAX,
        };
        if !self.window.can_pop(upto) {
            let new = self.epoch_new.filter(|_| !self.epoch_reported)?;
            self.epoch_reported = true;
            let held = self.window.held();
            let in_doubt = (held > self.commit).then_some((self.commit + 1, held + 1));
            return Some(Event::LeaderRestarted { old: self.epoch(), new, in_doubt });
        }
        match self.window.pop(upto)? {
            Popped::Event(event) => {
                self.stats.delivered += 1;
                Some(Event::Deliver(event))
            }
            Popped::Lost { first, end } => {
                self.stats.lost += end - first;
                Some(Event::Lost { first, end })
            }
        }
    }
}
