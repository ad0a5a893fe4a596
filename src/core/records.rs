//! Event records by slot, as the leader's ring and a follower's window keep
//! them.

/// The most bytes a record may have to sit in the dense array: an event of
/// up to 96 payload bytes.
const DENSE: usize = 128;

/// Records by slot index, each at most `slot_len` bytes. Those of at most
/// [`DENSE`] bytes sit at that stride, so a stream of small events walks
/// memory densely whatever the largest event allowed; longer ones go to a
/// second array at `slot_len`'s stride, whose pages are touched only once
/// used.
#[derive(Clone, Debug)]
pub(super) struct Records {
    dense: Vec<u8>,
    wide: Vec<u8>,
    /// One bit per slot: its record lies in `wide`.
    in_wide: Vec<u64>,
    stride: usize,
    slot_len: usize,
}

impl Records {
    /// Room for `capacity` records of at most `slot_len` bytes; `prefault`
    /// maps the dense array now rather than as it fills.
    pub(super) fn new(capacity: usize, slot_len: usize, prefault: bool) -> Records {
        let stride = slot_len.min(DENSE);
        let wide = if slot_len > stride { capacity * slot_len } else { 0 };
        Records {
            dense: super::zeroed(capacity * stride, prefault),
            wide: vec![0; wide],
            in_wide: vec![0; capacity.div_ceil(64)],
            stride,
            slot_len,
        }
    }

    /// The longest record a slot holds.
    pub(super) fn slot_len(&self) -> usize {
        self.slot_len
    }

    /// Copies `record` into slot `index`; returns it where it now lies.
    ///
    /// # Panics
    /// If `record` is longer than `slot_len`, or `index` out of range.
    pub(super) fn put(&mut self, index: usize, record: &[u8]) -> &mut [u8] {
        assert!(record.len() <= self.slot_len, "a {}-byte record in {}-byte slots", record.len(), self.slot_len);
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        let slot = if record.len() <= self.stride {
            self.in_wide[word] &= !bit;
            &mut self.dense[index * self.stride..][..record.len()]
        } else {
            self.in_wide[word] |= bit;
            &mut self.wide[index * self.slot_len..][..record.len()]
        };
        slot.copy_from_slice(record);
        slot
    }

    /// The bytes of slot `index`, starting with the record last put there.
    pub(super) fn get(&self, index: usize) -> &[u8] {
        if self.in_wide[index / 64] & (1 << (index % 64)) != 0 {
            &self.wide[index * self.slot_len..][..self.slot_len]
        } else {
            &self.dense[index * self.stride..][..self.stride]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_records_share_slots_and_read_back_whole() {
        let mut records = Records::new(130, 288, true);
        let (small, large) = (vec![7u8; 96], vec![9u8; 288]);
        assert_eq!(records.put(3, &small), &small[..]);
        assert_eq!(records.put(129, &large), &large[..]);
        assert_eq!(&records.get(3)[..96], &small[..]);
        assert_eq!(records.get(129), &large[..]);
        // A slot that held a large record and now a small one gives the small.
        records.put(129, &small);
        assert_eq!(&records.get(129)[..96], &small[..]);
        records.put(3, &large);
        assert_eq!(records.get(3), &large[..]);
    }

    #[test]
    fn slots_no_larger_than_the_dense_stride_need_no_second_array() {
        let records = Records::new(10, 96, false);
        assert!(records.wide.is_empty());
        assert_eq!(records.get(9).len(), 96);
    }

    #[test]
    #[should_panic(expected = "a 97-byte record in 96-byte slots")]
    fn a_record_longer_than_a_slot_panics() {
        Records::new(4, 96, false).put(0, &[0; 97]);
    }
}
