//! The event record: a fixed header the leader stamps in place, then the
//! payload padded to 8 bytes. The same bytes travel in DATA, sit in the
//! leader's ring and (later) in the journal, so a repair is a copy.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::Error;
use crate::types::{ClientId, Seq};

/// Records are padded so each header starts 8-byte aligned in a frame.
pub const RECORD_ALIGN: usize = 8;

/// The 32-byte header of one event record.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct EventHeader {
    /// Sequence number; 0 until the leader stamps it.
    pub seq: U64,
    /// Leader clock when stamped, in nanoseconds; 0 until stamped.
    pub stamp_ns: U64,
    /// The client's request number (dedup key with `client`).
    pub request: U64,
    /// Id of the client that submitted the event.
    pub client: U32,
    /// Payload length in bytes (padding excluded).
    pub len: U16,
    /// Reserved; zero.
    pub reserved: U16,
}
const _: () = assert!(size_of::<EventHeader>() == 32);

impl EventHeader {
    /// Header of an event not yet stamped by the leader.
    pub fn unstamped(client: ClientId, request: u64, len: u16) -> EventHeader {
        EventHeader {
            seq: 0.into(),
            stamp_ns: 0.into(),
            request: request.into(),
            client: client.get().into(),
            len: len.into(),
            reserved: 0.into(),
        }
    }

    /// The sequence the leader stamped ([`Seq::ZERO`] until then).
    pub fn seq(&self) -> Seq {
        Seq(self.seq.get())
    }

    /// The client that submitted the event.
    pub fn client(&self) -> ClientId {
        ClientId(self.client.get())
    }
}

/// The record of an event stamped with `seq`, from `client`'s request
/// `seq`, carrying `payload`: for tests.
#[cfg(test)]
pub(crate) fn test_record(client: u32, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut header = EventHeader::unstamped(ClientId(client), seq, payload.len() as u16);
    header.seq = seq.into();
    let mut record = zerocopy::IntoBytes::as_bytes(&header).to_vec();
    record.extend_from_slice(payload);
    record.resize(record_len(payload.len()), 0);
    record
}

/// Bytes one record takes: header plus payload rounded up to [`RECORD_ALIGN`].
pub const fn record_len(payload_len: usize) -> usize {
    size_of::<EventHeader>() + payload_len.div_ceil(RECORD_ALIGN) * RECORD_ALIGN
}

/// One event borrowed from a frame (or a ring slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The record's fixed header.
    pub header: &'a EventHeader,
    /// The payload, without padding.
    pub payload: &'a [u8],
    /// The whole record, padding included: what a copy moves.
    pub record: &'a [u8],
}

impl<'a> EventRef<'a> {
    /// Splits the first record off `bytes`.
    pub fn split(bytes: &'a [u8]) -> Result<(EventRef<'a>, &'a [u8]), Error> {
        let (header, _) = EventHeader::ref_from_prefix(bytes).map_err(|_| Error::BadEventLength)?;
        let payload_len = usize::from(header.len.get());
        let (record, rest) = bytes.split_at_checked(record_len(payload_len)).ok_or(Error::BadEventLength)?;
        let payload = &record[size_of::<EventHeader>()..][..payload_len];
        Ok((EventRef { header, payload, record }, rest))
    }
}

/// The records of a batch frame, in order; checked at parse, so it never fails.
#[derive(Clone, Debug)]
pub struct Events<'a> {
    rest: &'a [u8],
}

impl<'a> Events<'a> {
    /// Validates `count` records filling `bytes` exactly, each accepted by
    /// `accept(index, header)`, and returns an iterator over them.
    pub(super) fn check(
        bytes: &'a [u8],
        count: u16,
        mut accept: impl FnMut(u64, &EventHeader) -> bool,
    ) -> Result<Events<'a>, Error> {
        if count == 0 {
            return Err(Error::BadEventCount);
        }
        let mut rest = bytes;
        for index in 0..u64::from(count) {
            if rest.is_empty() {
                return Err(Error::BadEventCount);
            }
            let (event, tail) = EventRef::split(rest)?;
            if !accept(index, event.header) {
                return Err(Error::EventMismatch);
            }
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(Error::BadEventCount);
        }
        Ok(Events { rest: bytes })
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = EventRef<'a>;

    fn next(&mut self) -> Option<EventRef<'a>> {
        let (event, rest) = EventRef::split(self.rest).ok()?;
        self.rest = rest;
        Some(event)
    }
}
