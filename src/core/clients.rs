//! The leader's table of clients: for each, the requests taken so far and the
//! sequence each got (deduplication and commit notices). A member with
//! failover keeps one of what it delivered, so that it can lead.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::{ClientId, Nanos};

#[derive(Clone, Copy, Debug)]
pub(super) struct ClientEntry {
    pub(super) id: ClientId,
    /// Unknown for a client found in a promoted follower's log until it speaks.
    pub(super) addr: Option<SocketAddr>,
    pub(super) request_next: u64,
    pub(super) notified_next: u64,
    /// Requests below this were taken by an earlier leader, outside the log
    /// this one holds: their sequences are unknown here.
    pub(super) known_from: u64,
    /// The highest sequence of its events recorded from a log (what a member
    /// delivered, or held when elected); a leader's own stamping leaves it.
    pub(super) last_seq: u64,
    pub(super) dirty: bool,
    /// When the client was last asked to resend from `request_next`: one ask
    /// per round trip, or every SUBMIT behind a loss would trigger a resend.
    pub(super) gap_asked_at: Option<Nanos>,
}

/// Clients by id, with the sequence of each recent request (for dedup and
/// commit notices); sized once from `clients_max × client_pending_max`.
#[derive(Debug)]
pub(super) struct Clients {
    pub(super) index: HashMap<ClientId, usize>,
    pub(super) entries: Vec<ClientEntry>,
    /// [request, seq] by `seq_index`: the request number says whose the slot is.
    pub(super) seqs: Vec<[u64; 2]>,
    pub(super) pending_max: usize,
    pub(super) dirty: VecDeque<usize>,
}

impl Clients {
    /// A table for `clients_max` clients; `prefault` maps its memory now.
    pub(super) fn new(clients_max: usize, pending_max: usize, prefault: bool) -> Clients {
        Clients {
            index: HashMap::with_capacity(clients_max),
            entries: Vec::with_capacity(clients_max),
            seqs: super::zeroed(clients_max * pending_max, prefault),
            pending_max,
            dirty: VecDeque::with_capacity(clients_max),
        }
    }

    /// The slot of client `id`, added with `request_next` if it is new.
    pub(super) fn find_or_add(&mut self, id: ClientId, addr: Option<SocketAddr>, request_next: u64) -> Option<usize> {
        if let Some(&slot) = self.index.get(&id) {
            if addr.is_some() {
                self.entries[slot].addr = addr;
            }
            return Some(slot);
        }
        if self.entries.len() == self.entries.capacity() {
            return None;
        }
        self.entries.push(ClientEntry {
            id,
            addr,
            request_next,
            notified_next: request_next,
            known_from: request_next,
            last_seq: 0,
            dirty: false,
            gap_asked_at: None,
        });
        self.index.insert(id, self.entries.len() - 1);
        Some(self.entries.len() - 1)
    }

    fn seq_index(&self, slot: usize, request: u64) -> usize {
        slot * self.pending_max + (request % self.pending_max as u64) as usize
    }

    /// The sequence `request` of the client in `slot` got, if known here.
    pub(super) fn seq_of(&self, slot: usize, request: u64) -> Option<u64> {
        let [stored, seq] = self.seqs[self.seq_index(slot, request)];
        (stored == request && seq != 0).then_some(seq)
    }

    /// Notes that the request got `seq`.
    pub(super) fn set_seq(&mut self, slot: usize, request: u64, seq: u64) {
        let index = self.seq_index(slot, request);
        self.seqs[index] = [request, seq];
    }

    pub(super) fn mark_dirty(&mut self, slot: usize) {
        if !self.entries[slot].dirty {
            self.entries[slot].dirty = true;
            self.dirty.push_back(slot);
        }
    }

    /// Notes that (client `id`, `request`) is the event at `seq`, taken by
    /// some leader: what an elected member knows of who sent what.
    pub(super) fn record(&mut self, id: ClientId, request: u64, seq: u64) {
        let Some(slot) = self.find_or_add(id, None, request) else { return };
        self.set_seq(slot, request, seq);
        let entry = &mut self.entries[slot];
        entry.last_seq = entry.last_seq.max(seq);
        entry.request_next = entry.request_next.max(request + 1);
        entry.notified_next = entry.request_next;
    }

    /// A copy with room for `clients_max` clients, for a member taking the
    /// lead: only the slots of known clients are copied, into memory mapped
    /// as it is written (an election must not wait on page faults).
    pub(super) fn copy(&self, clients_max: usize) -> Clients {
        let mut copy = Clients::new(clients_max, self.pending_max, false);
        copy.entries.extend(self.entries.iter().map(|e| ClientEntry {
            addr: None,
            dirty: false,
            gap_asked_at: None,
            ..*e
        }));
        copy.index.clone_from(&self.index);
        let used = self.entries.len() * self.pending_max;
        copy.seqs[..used].copy_from_slice(&self.seqs[..used]);
        copy
    }
}
