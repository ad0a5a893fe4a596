//! Emitting: a header and a body written straight into the caller's buffer,
//! then sealed with the length and the CRC.

use zerocopy::{Immutable, IntoBytes};

use super::batch::{BatchHead, SubmitHead};
use super::client::{CommitHead, CommitRun};
use super::control::{NAK_RANGES_MAX, NakHead, SeqRange};
use super::event::{EventHeader, record_len};
use super::header::{Header, Kind, seal};
use crate::types::{ClientId, Seq};

/// Writes a fixed-size frame (`body` after `header`, whose kind is set to
/// `kind`) into `buf`. Returns its length, or `None` if `buf` is too small.
pub fn emit<B: IntoBytes + Immutable>(buf: &mut [u8], header: &Header, kind: Kind, body: &B) -> Option<usize> {
    let len = size_of::<Header>() + size_of_val(body);
    let out = buf.get_mut(..len)?;
    let mut header = *header;
    header.kind = kind.into();
    out[..size_of::<Header>()].copy_from_slice(header.as_bytes());
    out[size_of::<Header>()..].copy_from_slice(body.as_bytes());
    seal(out);
    Some(len)
}

/// Builds a frame with a list of items (event records, NAK ranges, commit
/// runs) in a caller's buffer, appending until it is full; allocates nothing.
#[derive(Debug)]
pub struct FrameWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    count: u16,
    count_max: u16,
    count_at: usize,
}

impl<'a> FrameWriter<'a> {
    fn start<B: IntoBytes + Immutable>(
        buf: &'a mut [u8],
        header: &Header,
        kind: Kind,
        head: &B,
        count_offset: usize,
        count_max: u16,
    ) -> Option<FrameWriter<'a>> {
        let len = emit(buf, header, kind, head)?;
        let count_at = size_of::<Header>() + count_offset;
        Some(FrameWriter { buf, len, count: 0, count_max, count_at })
    }

    /// A SUBMIT of events from `client`, the first with request number `request`.
    pub fn submit(buf: &'a mut [u8], header: &Header, client: ClientId, request: u64) -> Option<FrameWriter<'a>> {
        let head =
            SubmitHead { client: client.get().into(), count: 0.into(), reserved: 0.into(), request: request.into() };
        Self::start(buf, header, Kind::Submit, &head, SubmitHead::COUNT_OFFSET, u16::MAX)
    }

    /// A DATA (or, with `kind` [`Kind::Retransmit`], a repair) batch.
    pub fn batch(buf: &'a mut [u8], header: &Header, kind: Kind, commit: Seq, sent_ns: u64) -> Option<FrameWriter<'a>> {
        debug_assert!(matches!(kind, Kind::Data | Kind::Retransmit));
        let head = BatchHead {
            commit: commit.get().into(),
            sent_ns: sent_ns.into(),
            count: 0.into(),
            reserved: 0.into(),
            reserved2: 0.into(),
        };
        Self::start(buf, header, kind, &head, BatchHead::COUNT_OFFSET, u16::MAX)
    }

    /// A NAK; push at most [`NAK_RANGES_MAX`] ranges with [`push_range`](Self::push_range).
    pub fn nak(buf: &'a mut [u8], header: &Header) -> Option<FrameWriter<'a>> {
        Self::nak_asking(buf, header, 0)
    }

    /// A NAK that also asks for a HEARTBEAT answering `nonce` (0: none);
    /// ranges as [`nak`](Self::nak)'s.
    pub fn nak_asking(buf: &'a mut [u8], header: &Header, nonce: u32) -> Option<FrameWriter<'a>> {
        let head = NakHead { count: 0.into(), reserved: 0.into(), nonce: nonce.into() };
        Self::start(buf, header, Kind::Nak, &head, NakHead::COUNT_OFFSET, NAK_RANGES_MAX as u16)
    }

    /// A COMMIT to `client`, stating the leader's `commit` sequence.
    pub fn commit(buf: &'a mut [u8], header: &Header, client: ClientId, commit: Seq) -> Option<FrameWriter<'a>> {
        let head = CommitHead {
            client: client.get().into(),
            count: 0.into(),
            reserved: 0.into(),
            commit: commit.get().into(),
        };
        Self::start(buf, header, Kind::Commit, &head, CommitHead::COUNT_OFFSET, u16::MAX)
    }

    fn push_bytes(&mut self, parts: &[&[u8]], len: usize) -> bool {
        if self.count == self.count_max || self.room() < len {
            return false;
        }
        let out = &mut self.buf[self.len..self.len + len];
        out.fill(0);
        let mut at = 0;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        self.len += len;
        self.count += 1;
        true
    }

    /// Appends a whole event record (as found in a frame or a ring slot).
    /// Returns false, writing nothing, if it does not fit.
    pub fn push_record(&mut self, record: &[u8]) -> bool {
        self.push_bytes(&[record], record.len())
    }

    /// Appends an event built from its header and payload, zero-padded.
    /// Returns false, writing nothing, if it does not fit.
    pub fn push_event(&mut self, header: &EventHeader, payload: &[u8]) -> bool {
        debug_assert_eq!(usize::from(header.len.get()), payload.len());
        self.push_bytes(&[header.as_bytes(), payload], record_len(payload.len()))
    }

    /// Appends a NAK range. Returns false if it does not fit.
    pub fn push_range(&mut self, range: &SeqRange) -> bool {
        self.push_bytes(&[range.as_bytes()], size_of::<SeqRange>())
    }

    /// Appends a commit run. Returns false if it does not fit.
    pub fn push_run(&mut self, run: &CommitRun) -> bool {
        self.push_bytes(&[run.as_bytes()], size_of::<CommitRun>())
    }

    /// Bytes still free in the buffer.
    pub fn room(&self) -> usize {
        self.buf.len() - self.len
    }

    /// Items appended so far.
    pub fn count(&self) -> u16 {
        self.count
    }

    /// Writes the count, length and CRC; returns the datagram's length.
    pub fn finish(self) -> usize {
        self.buf[self.count_at..self.count_at + 2].copy_from_slice(&self.count.to_le_bytes());
        seal(&mut self.buf[..self.len]);
        self.len
    }
}
