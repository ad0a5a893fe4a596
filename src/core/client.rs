//! A client: numbers its requests, sends them in SUBMITs, resends what is not
//! committed after a timeout (same numbers, so exactly once), honours BUSY,
//! and reports each request's commit with its sequence.

use core::fmt;
use std::net::SocketAddr;

use super::{Config, ConfigError, Dest, Nanos, Peers, Rejects, Transmit, accept};
use crate::wire::{BusyReason, Commit, EventHeader, Frame, FrameWriter, Header, Kind, SENDER_CLIENT};

/// Counters of the client's protocol paths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests accepted by `submit`.
    pub submitted: u64,
    /// SUBMIT datagrams sent.
    pub submits_sent: u64,
    /// Times the client went back to resend uncommitted requests.
    pub retries: u64,
    /// BUSY replies received.
    pub busy: u64,
    /// Requests reported committed.
    pub committed: u64,
}

/// A request the leader committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The client's request number (from 1).
    pub request: u64,
    /// The sequence the leader gave it.
    pub seq: u64,
}

/// Why `submit` refused a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// `client_pending_max` requests are uncommitted: wait for commits.
    Full,
    /// The payload exceeds `payload_max`.
    TooLarge {
        /// The payload's length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full => f.write_str("too many requests uncommitted"),
            SubmitError::TooLarge { len, max } => write!(f, "payload of {len} bytes exceeds payload_max {max}"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// The client state machine. Its id must be unique per incarnation: the
/// leader deduplicates by (client id, request number), numbers from 1.
#[derive(Debug)]
pub struct Client {
    config: Config,
    id: u32,
    leader: SocketAddr,
    header: Header,
    payloads: Vec<u8>,
    lens: Vec<u16>,
    seqs: Vec<u64>,
    sent_at: Vec<Nanos>,
    request_next: u64,
    request_oldest: u64,
    request_send: u64,
    paused_until: Nanos,
    leader_restarted: Option<(u64, u64)>,
    stats: ClientStats,
    rejects: Rejects,
}

impl Client {
    /// Client `id` of the cluster in `config`, sending to the leader at `leader`.
    pub fn new(config: Config, id: u32, leader: SocketAddr) -> Result<Client, ConfigError> {
        config.validate()?;
        let slots = config.client_pending_max;
        Ok(Client {
            header: Header::new(Kind::Submit, SENDER_CLIENT, config.cluster_id, config.epoch),
            payloads: super::prefaulted(slots * config.payload_max),
            lens: vec![0; slots],
            seqs: vec![0; slots],
            sent_at: vec![0; slots],
            id,
            leader,
            request_next: 1,
            request_oldest: 1,
            request_send: 1,
            paused_until: 0,
            leader_restarted: None,
            stats: ClientStats::default(),
            rejects: Rejects::default(),
            config,
        })
    }

    /// This client's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// `(old, new)` epochs once a leader of another epoch answered: the leader
    /// this client knew is gone, and its pending requests are in doubt.
    pub fn leader_restarted(&self) -> Option<(u64, u64)> {
        self.leader_restarted
    }

    /// Requests submitted and not yet reported committed.
    pub fn pending(&self) -> usize {
        (self.request_next - self.request_oldest) as usize
    }

    /// Protocol counters.
    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// Datagrams dropped on receipt, by reason.
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    fn slot(&self, request: u64) -> usize {
        (request % self.config.client_pending_max as u64) as usize
    }

    /// Queues `payload` as the next request and returns its number.
    pub fn submit(&mut self, payload: &[u8]) -> Result<u64, SubmitError> {
        let max = self.config.payload_max;
        if payload.len() > max {
            return Err(SubmitError::TooLarge { len: payload.len(), max });
        }
        if self.pending() == self.config.client_pending_max {
            return Err(SubmitError::Full);
        }
        let request = self.request_next;
        let slot = self.slot(request);
        self.payloads[slot * max..][..payload.len()].copy_from_slice(payload);
        self.lens[slot] = payload.len() as u16;
        self.seqs[slot] = 0;
        self.request_next += 1;
        self.stats.submitted += 1;
        Ok(request)
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, _from: SocketAddr, bytes: &[u8]) {
        let Some(datagram) = accept(bytes, &self.header, Peers::Leader(self.config.leader), &mut self.rejects) else {
            return;
        };
        let (mine, epoch) = (self.header.epoch.get(), datagram.header.epoch.get());
        if mine == 0 {
            self.header.epoch = epoch.into();
        } else if epoch != mine {
            // The leader this client spoke to is gone: what it did not
            // confirm may or may not have committed there.
            self.leader_restarted.get_or_insert((mine, epoch));
            self.rejects.wrong_epoch += 1;
            return;
        }
        match datagram.frame {
            Frame::Commit(commit) if commit.head.client.get() == self.id => self.on_commit(commit),
            Frame::Busy(busy) if busy.client.get() == self.id && busy.reason() == BusyReason::EpochChanged => {
                self.leader_restarted.get_or_insert((mine, epoch));
            }
            Frame::Busy(busy) if busy.client.get() == self.id => {
                self.stats.busy += 1;
                self.paused_until = now + busy.retry_ns.get();
                self.request_send = self.request_send.min(busy.request.get().max(self.request_oldest));
            }
            _ => self.rejects.unexpected_kind += 1,
        }
    }

    fn on_commit(&mut self, commit: Commit<'_>) {
        for run in commit.runs {
            let (request, seq, count) = (run.request.get(), run.seq.get(), u64::from(run.count.get()));
            // Only the part of the run that is still pending here.
            let first = request.max(self.request_oldest);
            let end = request.saturating_add(count).min(self.request_next);
            for request_done in first..end {
                let slot = self.slot(request_done);
                self.seqs[slot] = seq + (request_done - request);
            }
        }
    }

    /// The oldest request sent and not yet committed.
    fn oldest_unresolved(&self) -> Option<u64> {
        (self.request_oldest..self.request_send).find(|&r| self.seqs[self.slot(r)] == 0)
    }

    /// Called when `poll_timeout` passes.
    pub fn handle_timeout(&mut self, now: Nanos) {
        let Some(oldest) = self.oldest_unresolved() else { return };
        if now >= self.paused_until && now >= self.sent_at[self.slot(oldest)] + self.config.client_retry_ns {
            // Go back: resend everything uncommitted from the oldest on.
            self.request_send = oldest;
            self.stats.retries += 1;
        }
    }

    /// When the client next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let retry = self.oldest_unresolved().map(|r| self.sent_at[self.slot(r)] + self.config.client_retry_ns);
        match retry {
            Some(at) => Some(at.max(self.paused_until)),
            None if self.request_send < self.request_next => Some(self.paused_until),
            None => None,
        }
    }

    /// Writes the next SUBMIT into `buf` (at least `mtu` bytes), packing as
    /// many unsent requests as fit.
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        if now < self.paused_until {
            return None;
        }
        while self.request_send < self.request_next && self.seqs[self.slot(self.request_send)] != 0 {
            self.request_send += 1;
        }
        if self.request_send == self.request_next {
            return None;
        }
        let buf = &mut buf[..self.config.mtu];
        let mut writer = FrameWriter::submit(buf, &self.header, self.id, self.request_send).expect("mtu holds a head");
        let max = self.config.payload_max;
        while self.request_send < self.request_next {
            let slot = self.slot(self.request_send);
            let len = self.lens[slot];
            let header = EventHeader::unstamped(self.id, self.request_send, len);
            if self.seqs[slot] != 0 || !writer.push_event(&header, &self.payloads[slot * max..][..usize::from(len)]) {
                break;
            }
            self.sent_at[slot] = now;
            self.request_send += 1;
        }
        self.stats.submits_sent += 1;
        Some(Transmit { dest: Dest::Unicast(self.leader), len: writer.finish() })
    }

    /// The next committed request, in request order.
    pub fn poll_event(&mut self) -> Option<Committed> {
        if self.request_oldest == self.request_next {
            return None;
        }
        let slot = self.slot(self.request_oldest);
        let seq = std::mem::take(&mut self.seqs[slot]);
        if seq == 0 {
            return None;
        }
        let request = self.request_oldest;
        self.request_oldest += 1;
        self.request_send = self.request_send.max(self.request_oldest);
        self.stats.committed += 1;
        Some(Committed { request, seq })
    }
}
