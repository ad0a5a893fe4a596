//! The leader's table of clients: for each, the requests taken so far and the
//! sequence each got (deduplication and commit notices). A member with
//! failover keeps one of what it delivered, so that it can lead.
//!
//! The table has a fixed size. When it is full, a new client takes the
//! place of one idle for `client_idle_ns` with nothing uncommitted or
//! untold (the leader), or of the one whose newest event is oldest (a
//! member's record of its log). What a client gives its place up with, its
//! next request and newest sequence, is kept in a tombstone, so that it
//! resumes where it stopped when it comes back: its old requests stay
//! duplicates, never sequenced twice.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::{ClientId, Nanos};

#[derive(Clone, Copy, Debug)]
pub(super) struct ClientEntry {
    pub(super) id: ClientId,
    /// Unknown for a client found in a log taken over (an elected or
    /// resumed leader's) until it speaks.
    pub(super) addr: Option<SocketAddr>,
    pub(super) request_next: u64,
    pub(super) notified_next: u64,
    /// Requests below this were taken by an earlier leader, outside the log
    /// this one holds: their sequences are unknown here.
    pub(super) known_from: u64,
    /// The highest sequence of its events known here: recorded from a log
    /// (what a member delivered, or held when elected) or stamped by this
    /// leader.
    pub(super) last_seq: u64,
    pub(super) dirty: bool,
    /// When the leader last heard a SUBMIT of it (0: never, here).
    pub(super) last_heard: Nanos,
    /// Its events this leader stamped that are not committed yet.
    pub(super) in_flight: u32,
    /// When the client was last asked to resend from `request_next`: one ask
    /// per round trip, or every SUBMIT behind a loss would trigger a resend.
    pub(super) gap_asked_at: Option<Nanos>,
    /// Asks in a row for a request it skipped, none taken between.
    pub(super) gap_asks: u8,
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
    /// Clients that gave their place up, oldest first, at most `tombstones_max`.
    tombstones: VecDeque<Tombstone>,
    tombstones_max: usize,
    /// Places given up so far.
    pub(super) evicted: u64,
    /// Clients with events in flight (`in_flight > 0`).
    pub(super) active: usize,
    /// A tombstone was dropped: a client unknown here may have events in
    /// the log.
    pub(super) forgot: bool,
}

/// What is kept of a client that gave its place up.
#[derive(Clone, Copy, Debug)]
struct Tombstone {
    id: ClientId,
    request_next: u64,
    last_seq: u64,
}

/// Tombstones kept per place in the table.
const TOMBSTONES_PER_CLIENT: usize = 4;

/// Records of clients that gave their place up a client table keeps per
/// place ([`Config::clients_max`](super::Config::clients_max)): it
/// remembers `clients_max` × (1 + this) clients at most, and takes one
/// forgotten for a new client (docs/PROTOCOL.md, the limit of the leader's
/// bounded memory).
pub const RECORDS_PER_CLIENT_PLACE: usize = TOMBSTONES_PER_CLIENT;

/// How a full table makes room for a new client.
#[derive(Clone, Copy, Debug)]
pub(super) enum Room {
    /// The leader: a client idle since before this time, with nothing
    /// untold and no event past this commit (one found uncommitted in a
    /// log taken over is untold too), may give its place up.
    IdleBefore(Nanos, u64),
    /// A member's record: the client whose newest event is oldest.
    Oldest,
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
            tombstones: VecDeque::with_capacity(clients_max * TOMBSTONES_PER_CLIENT),
            tombstones_max: clients_max * TOMBSTONES_PER_CLIENT,
            evicted: 0,
            active: 0,
            forgot: false,
        }
    }

    /// The newest sequence known of client `id`'s events, in the table or
    /// its tombstone.
    pub(super) fn last_seq(&self, id: ClientId) -> Option<u64> {
        match self.index.get(&id) {
            Some(&slot) => Some(self.entries[slot].last_seq),
            None => self.tombstones.iter().rev().find(|t| t.id == id).map(|t| t.last_seq),
        }
    }

    /// The slot of client `id`, if it has one.
    pub(super) fn slot(&self, id: ClientId) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// The slot of client `id`, added with `request_next` if it is new (or
    /// where it stopped, if it gave its place up), making `room` if the
    /// table is full; `None` if there is none.
    pub(super) fn find_or_add(
        &mut self,
        id: ClientId,
        addr: Option<SocketAddr>,
        request_next: u64,
        room: Room,
    ) -> Option<usize> {
        if let Some(&slot) = self.index.get(&id) {
            if addr.is_some() {
                self.entries[slot].addr = addr;
            }
            return Some(slot);
        }
        let mut entry = ClientEntry {
            id,
            addr,
            request_next,
            notified_next: request_next,
            known_from: request_next,
            last_seq: 0,
            dirty: false,
            last_heard: 0,
            in_flight: 0,
            gap_asked_at: None,
            gap_asks: 0,
        };
        // A place first: a client turned away keeps the record of where it
        // stopped, or it would come back as a new client.
        let full = self.entries.len() == self.entries.capacity();
        let slot = if full { Some(self.victim(room)?) } else { None };
        if let Some(i) = self.tombstones.iter().rposition(|t| t.id == id) {
            let t = self.tombstones.remove(i).expect("found");
            (entry.request_next, entry.notified_next, entry.known_from) =
                (t.request_next, t.request_next, t.request_next);
            entry.last_seq = t.last_seq;
        }
        let Some(slot) = slot else {
            self.entries.push(entry);
            self.index.insert(id, self.entries.len() - 1);
            return Some(self.entries.len() - 1);
        };
        let gone = self.entries[slot];
        self.index.remove(&gone.id);
        if self.tombstones.len() == self.tombstones_max {
            self.tombstones.pop_front();
            self.forgot = true;
        }
        self.tombstones.push_back(Tombstone { id: gone.id, request_next: gone.request_next, last_seq: gone.last_seq });
        self.evicted += 1;
        let seqs = slot * self.pending_max..(slot + 1) * self.pending_max;
        self.seqs[seqs].fill([0, 0]);
        self.entries[slot] = entry;
        self.index.insert(id, slot);
        Some(slot)
    }

    /// The place a new client may take in a full table, if any.
    fn victim(&self, room: Room) -> Option<usize> {
        let settled = |e: &ClientEntry| !e.dirty && e.notified_next == e.request_next;
        let slots = self.entries.iter().enumerate();
        match room {
            Room::IdleBefore(before, commit) => slots
                .filter(|(_, e)| settled(e) && e.last_heard < before && e.last_seq <= commit)
                // Heard alike (a table taken over says only who sent what):
                // the one whose last event is oldest.
                .min_by_key(|(_, e)| (e.last_heard, e.last_seq))
                .map(|(slot, _)| slot),
            Room::Oldest => slots.filter(|(_, e)| !e.dirty).min_by_key(|(_, e)| e.last_seq).map(|(slot, _)| slot),
        }
    }

    fn seq_index(&self, slot: usize, request: u64) -> usize {
        slot * self.pending_max + (request % self.pending_max as u64) as usize
    }

    /// The oldest request of the client in `slot` whose sequence the table
    /// keeps: its newest `pending_max` (a client never resends further back).
    pub(super) fn remembered_from(&self, slot: usize) -> u64 {
        self.entries[slot].request_next.saturating_sub(self.pending_max as u64)
    }

    /// The sequence `request` of the client in `slot` got, if known here.
    pub(super) fn seq_of(&self, slot: usize, request: u64) -> Option<u64> {
        let [stored, seq] = self.seqs[self.seq_index(slot, request)];
        (stored == request && seq != 0).then_some(seq)
    }

    /// Notes that the request got `seq`: the newest event of its client
    /// known, if newer.
    pub(super) fn set_seq(&mut self, slot: usize, request: u64, seq: u64) {
        let index = self.seq_index(slot, request);
        self.seqs[index] = [request, seq];
        let entry = &mut self.entries[slot];
        entry.last_seq = entry.last_seq.max(seq);
    }

    /// One more event of the client in `slot` is in flight.
    pub(super) fn stamped(&mut self, slot: usize) {
        let entry = &mut self.entries[slot];
        self.active += usize::from(entry.in_flight == 0);
        entry.in_flight += 1;
    }

    /// One event of the client in `slot` that this leader stamped committed.
    pub(super) fn committed(&mut self, slot: usize) {
        let entry = &mut self.entries[slot];
        if entry.in_flight > 0 {
            entry.in_flight -= 1;
            self.active -= usize::from(entry.in_flight == 0);
        }
    }

    /// The most events one client may have in flight now, of a window of
    /// `window`: an equal share among the clients with events in flight and
    /// one more, so that a newcomer always finds room however greedy the
    /// others are. A client already past its share waits for its commits.
    pub(super) fn share(&self, slot: usize, window: usize) -> usize {
        let active = self.active + usize::from(self.entries[slot].in_flight == 0);
        (window / (active + 1)).max(1)
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
        let Some(slot) = self.find_or_add(id, None, request, Room::Oldest) else { return };
        self.set_seq(slot, request, seq);
        let entry = &mut self.entries[slot];
        entry.request_next = entry.request_next.max(request.saturating_add(1));
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
            in_flight: 0,
            gap_asked_at: None,
            gap_asks: 0,
            ..*e
        }));
        copy.index.clone_from(&self.index);
        copy.tombstones.clone_from(&self.tombstones);
        copy.forgot = self.forgot;
        let used = self.entries.len() * self.pending_max;
        copy.seqs[..used].copy_from_slice(&self.seqs[..used]);
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A review: a client that gave its place up and came back to a full
    /// table lost its record when it was turned away, and was taken as a
    /// new client once a place freed (a resent request 1, committed before,
    /// would have been sequenced again). It keeps it.
    #[test]
    fn a_client_turned_away_from_a_full_table_keeps_the_record_of_where_it_stopped() {
        let mut clients = Clients::new(1, 4, false);
        let one = clients.find_or_add(ClientId(1), None, 1, Room::Oldest).unwrap();
        (clients.entries[one].request_next, clients.entries[one].last_seq) = (6, 40);
        clients.entries[one].notified_next = 6;
        // Client 2 takes its place; client 2 is busy (dirty), so client 1
        // coming back finds no room.
        let two = clients.find_or_add(ClientId(2), None, 1, Room::Oldest).unwrap();
        clients.entries[two].dirty = true;
        assert_eq!(clients.find_or_add(ClientId(1), None, 1, Room::Oldest), None);
        clients.entries[two].dirty = false;
        let back = clients.find_or_add(ClientId(1), None, 1, Room::Oldest).unwrap();
        assert_eq!((clients.entries[back].request_next, clients.entries[back].last_seq), (6, 40));
        assert!(!clients.forgot);
    }

    /// Each place given up leaves a record; the oldest record dropped is a
    /// client forgotten, which the leader's checks must know of.
    #[test]
    fn dropping_the_oldest_record_marks_the_table_as_forgetting() {
        let mut clients = Clients::new(1, 4, false);
        for id in 1..=1 + TOMBSTONES_PER_CLIENT as u32 {
            clients.find_or_add(ClientId(id), None, 1, Room::Oldest).unwrap();
            assert!(!clients.forgot, "{id}: every record kept");
        }
        clients.find_or_add(ClientId(100), None, 1, Room::Oldest).unwrap();
        assert!(clients.forgot);
        assert_eq!(clients.last_seq(ClientId(1)), None, "client 1 forgotten");
        assert!(clients.copy(1).forgot, "a copy knows it too");
    }

    /// A table taken over says only who sent what, not when each was last
    /// heard: of clients idle alike, the place that goes is the one whose
    /// last event is oldest (the first in the table once was).
    #[test]
    fn of_clients_idle_alike_the_one_whose_last_event_is_oldest_gives_its_place_up() {
        let mut clients = Clients::new(2, 4, false);
        for (id, last_seq) in [(1, 50), (2, 30)] {
            let slot = clients.find_or_add(ClientId(id), None, 1, Room::Oldest).unwrap();
            clients.entries[slot].last_seq = last_seq;
        }
        clients.find_or_add(ClientId(3), None, 1, Room::IdleBefore(10, 100)).unwrap();
        assert_eq!((clients.slot(ClientId(1)).is_some(), clients.slot(ClientId(2))), (true, None));
    }
}
