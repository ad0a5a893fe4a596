//! The leader's ring of recent events, from which NAKs are repaired.

use zerocopy::FromBytes;

use super::records::Records;
use crate::wire::{EventHeader, EventRef};

/// A fixed ring of event records indexed by sequence; the oldest is evicted
/// when a new one needs its slot. Allocated once, at start.
#[derive(Debug)]
pub(super) struct Ring {
    records: Records,
    capacity: usize,
    seq_first: u64,
    seq_next: u64,
}

impl Ring {
    /// A ring of `capacity` slots of `slot_len` bytes each; sequences start at 1.
    ///
    /// # Panics
    /// If `capacity` is 0 or `slot_len` cannot hold an event header.
    pub(super) fn new(capacity: usize, slot_len: usize) -> Ring {
        Ring::starting_at(capacity, slot_len, 1, true)
    }

    /// An empty ring whose first push gets sequence `seq_next` (a promoted
    /// follower's log starts where its history does); `prefault` maps its
    /// memory now rather than as it fills.
    ///
    /// # Panics
    /// As [`new`](Self::new), or if `seq_next` is 0.
    pub(super) fn starting_at(capacity: usize, slot_len: usize, seq_next: u64, prefault: bool) -> Ring {
        assert!(capacity > 0 && slot_len >= size_of::<EventHeader>() && seq_next > 0);
        let records = Records::new(capacity, slot_len, prefault);
        Ring { records, capacity, seq_first: seq_next, seq_next }
    }

    /// The oldest sequence still held.
    pub(super) fn seq_first(&self) -> u64 {
        self.seq_first
    }

    /// The sequence the next push gets.
    pub(super) fn seq_next(&self) -> u64 {
        self.seq_next
    }

    /// Events held.
    pub(super) fn len(&self) -> usize {
        (self.seq_next - self.seq_first) as usize
    }

    fn slot(&self, seq: u64) -> usize {
        (seq % self.capacity as u64) as usize
    }

    /// Copies `record` in, stamping its sequence and `stamp_ns` in place, and
    /// returns the sequence; evicts the oldest event if the ring is full.
    ///
    /// # Panics
    /// If `record` is longer than a slot or shorter than an event header.
    pub(super) fn push(&mut self, record: &[u8], stamp_ns: u64) -> u64 {
        let seq = self.seq_next;
        if self.len() == self.capacity {
            self.seq_first += 1;
        }
        let slot = self.records.put(self.slot(seq), record);
        let (header, rest) = EventHeader::mut_from_prefix(slot).expect("record holds an event header");
        header.seq = seq.into();
        header.stamp_ns = stamp_ns.into();
        // Reserved bytes and padding go out as zero, whatever the client sent.
        header.reserved = 0.into();
        let payload = usize::from(header.len.get()).min(rest.len());
        rest[payload..].fill(0);
        self.seq_next += 1;
        seq
    }

    /// The event with sequence `seq`, if the ring still holds it.
    pub(super) fn get(&self, seq: u64) -> Option<EventRef<'_>> {
        if seq < self.seq_first || seq >= self.seq_next {
            return None;
        }
        EventRef::split(self.records.get(self.slot(seq))).ok().map(|(event, _)| event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ClientId;
    use crate::wire::record_len;
    use zerocopy::IntoBytes;

    fn record(request: u64, payload: &[u8]) -> Vec<u8> {
        let mut bytes = EventHeader::unstamped(ClientId(9), request, payload.len() as u16).as_bytes().to_vec();
        bytes.extend_from_slice(payload);
        bytes.resize(record_len(payload.len()), 0);
        bytes
    }

    #[test]
    fn stamps_in_place_and_reads_back() {
        let mut ring = Ring::new(4, record_len(16));
        assert_eq!(ring.len(), 0);
        assert_eq!(ring.push(&record(5, b"abc"), 777), 1);
        let event = ring.get(1).unwrap();
        assert_eq!((event.header.seq.get(), event.header.stamp_ns.get()), (1, 777));
        assert_eq!((event.header.request.get(), event.payload), (5, &b"abc"[..]));
        assert_eq!(event.record.len(), record_len(3));
        assert!(ring.get(0).is_none() && ring.get(2).is_none());
    }

    #[test]
    fn evicts_the_oldest_at_capacity() {
        let mut ring = Ring::new(3, record_len(16));
        for request in 0..5 {
            ring.push(&record(request, &[request as u8; 16]), 0);
        }
        assert_eq!((ring.seq_first(), ring.seq_next(), ring.len()), (3, 6, 3));
        assert!(ring.get(2).is_none());
        for seq in 3..6 {
            let event = ring.get(seq).unwrap();
            assert_eq!(event.header.seq.get(), seq);
            assert_eq!(event.payload, &[(seq - 1) as u8; 16]);
        }
    }

    #[test]
    #[should_panic]
    fn a_record_larger_than_a_slot_panics() {
        Ring::new(2, record_len(8)).push(&record(1, &[0; 9]), 0);
    }
}
