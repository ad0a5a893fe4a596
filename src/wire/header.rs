//! The common header every datagram starts with, the frame kinds, and sealing.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::Error;
use crate::types::{Epoch, NodeId};

/// First two bytes of every datagram: `"SQ"`.
pub const MAGIC: u16 = u16::from_le_bytes(*b"SQ");
/// The protocol version this crate speaks.
pub const VERSION: u8 = 3;
/// `sender` of frames that come from a client rather than a cluster member.
pub const SENDER_CLIENT: u16 = u16::MAX;
/// `sender` of frames from a read-only subscriber (`seqcast tail`): it may
/// only NAK, and only a leader takes that.
pub const SENDER_OBSERVER: u16 = u16::MAX - 1;

/// Byte offsets of the header fields that sealing writes after the body.
mod field {
    use core::ops::Range;
    pub const LEN: Range<usize> = 8..12;
    pub const CRC: Range<usize> = 12..16;
}

/// The 32-byte header at the start of every datagram (`docs/PROTOCOL.md`).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: U16,
    /// [`VERSION`].
    pub version: u8,
    /// A [`Kind`] code.
    pub kind: u8,
    /// Per-kind flags ([`FLAG_FORCED`](super::FLAG_FORCED),
    /// [`FLAG_COUNTING_INCOMPLETE`](super::FLAG_COUNTING_INCOMPLETE) and
    /// [`FLAG_LED`](super::FLAG_LED) on a VOTE_REQUEST,
    /// [`FLAG_RESENT`](super::FLAG_RESENT) and [`FLAG_OLDEST`](super::FLAG_OLDEST) on a SUBMIT,
    /// [`FLAG_SERVED`](super::FLAG_SERVED) on a NAK, RETRANSMIT or UNRECOVERABLE, a
    /// [`Durability`](crate::types::Durability) on an ACK,
    /// [`FLAG_TOLD`](super::FLAG_TOLD) on a leader's frames); zero otherwise.
    pub flags: U16,
    /// Node id of the sender, [`SENDER_CLIENT`] or [`SENDER_OBSERVER`].
    pub sender: U16,
    /// Length of the whole datagram in bytes.
    pub len: U32,
    /// CRC-32 (IEEE) of the whole datagram except these four bytes.
    pub crc: U32,
    /// Cluster id: frames of another cluster are dropped.
    pub cluster: U32,
    /// A client's admission token, on a SUBMIT and on a BUSY with
    /// [`BusyReason::Hello`](super::BusyReason::Hello); an observer's, on
    /// its NAK (and the BUSY with Hello answering it); on every frame a
    /// member sends to members, its cluster's shape
    /// ([`Config::shape`](crate::core::Config::shape)), which its other
    /// frames may carry too (a client or tail with failover takes nothing
    /// from a member of another node count); zero otherwise.
    pub token: U32,
    /// Leader epoch the sender is in (DESIGN §2, fencing).
    pub epoch: U64,
}
const _: () = assert!(size_of::<Header>() == 32);

impl Header {
    /// A header for `kind`; `len` and `crc` are filled in by sealing.
    pub fn new(kind: Kind, sender: u16, cluster: u32, epoch: Epoch) -> Header {
        Header {
            magic: MAGIC.into(),
            version: VERSION,
            kind: kind.into(),
            flags: 0.into(),
            sender: sender.into(),
            len: 0.into(),
            crc: 0.into(),
            cluster: cluster.into(),
            token: 0.into(),
            epoch: epoch.get().into(),
        }
    }

    /// The sender's epoch.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.epoch.get())
    }

    /// The member that sent the frame, or `None` for a client or an observer.
    pub fn member(&self) -> Option<NodeId> {
        let sender = self.sender.get();
        (sender != SENDER_CLIENT && sender != SENDER_OBSERVER).then_some(NodeId(sender))
    }

    /// True for a frame a sequencer sent: [`FLAG_NO_FAILOVER`](super::FLAG_NO_FAILOVER)
    /// on a kind a leader sends (DATA, HEARTBEAT, RETRANSMIT,
    /// UNRECOVERABLE, COMMIT, BUSY). On a VOTE_REQUEST the bit is
    /// [`FLAG_LED`](super::FLAG_LED); on other kinds it means nothing yet,
    /// and is not read.
    pub fn from_sequencer(&self) -> bool {
        let leader_sent = matches!(
            self.kind(),
            Kind::Data | Kind::Heartbeat | Kind::Retransmit | Kind::Unrecoverable | Kind::Commit | Kind::Busy
        );
        leader_sent && self.flags.get() & super::FLAG_NO_FAILOVER != 0
    }

    /// The same header for another kind of frame.
    pub fn with_kind(self, kind: Kind) -> Header {
        Header { kind: kind.into(), ..self }
    }

    /// The frame kind, which may be [`Kind::Unknown`].
    pub fn kind(&self) -> Kind {
        Kind::from(self.kind)
    }
}

/// What a datagram carries. Codes 16–31 are the failover frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Client → leader: events to sequence.
    Submit,
    /// Leader → group: a batch of sequenced events.
    Data,
    /// Leader → group: next sequence and commit when idle.
    Heartbeat,
    /// Follower → leader: highest contiguous sequence held.
    Ack,
    /// Follower → leader: ranges it misses.
    Nak,
    /// Leader → follower: events resent in answer to a NAK.
    Retransmit,
    /// Leader → client: which requests committed, with their sequences.
    Commit,
    /// Leader → client: back off, the request was not taken.
    Busy,
    /// Leader → follower: a NAKed range that left the ring.
    Unrecoverable,
    /// Candidate → group: vote for me in the header's epoch.
    VoteRequest,
    /// Member → candidate: the vote.
    Vote,
    /// Operator → member: stand for election now.
    Promote,
    /// A code this version does not know.
    Unknown(u8),
}

impl From<u8> for Kind {
    fn from(code: u8) -> Kind {
        match code {
            1 => Kind::Submit,
            2 => Kind::Data,
            3 => Kind::Heartbeat,
            4 => Kind::Ack,
            5 => Kind::Nak,
            6 => Kind::Retransmit,
            7 => Kind::Commit,
            8 => Kind::Busy,
            9 => Kind::Unrecoverable,
            16 => Kind::VoteRequest,
            17 => Kind::Vote,
            18 => Kind::Promote,
            other => Kind::Unknown(other),
        }
    }
}

impl From<Kind> for u8 {
    fn from(kind: Kind) -> u8 {
        match kind {
            Kind::Submit => 1,
            Kind::Data => 2,
            Kind::Heartbeat => 3,
            Kind::Ack => 4,
            Kind::Nak => 5,
            Kind::Retransmit => 6,
            Kind::Commit => 7,
            Kind::Busy => 8,
            Kind::Unrecoverable => 9,
            Kind::VoteRequest => 16,
            Kind::Vote => 17,
            Kind::Promote => 18,
            Kind::Unknown(code) => code,
        }
    }
}

/// A CRC-32 hasher, copied from one made once: `crc32fast::Hasher::new`
/// asks the CPU what it offers at each call, a tenth of a short input's CRC.
pub(crate) fn crc_hasher() -> crc32fast::Hasher {
    static HASHER: std::sync::LazyLock<crc32fast::Hasher> = std::sync::LazyLock::new(crc32fast::Hasher::new);
    HASHER.clone()
}

/// CRC-32 of `datagram` without its CRC field (skipping the four bytes,
/// rather than hashing them as zeros, saves a small update per datagram).
fn crc_of(datagram: &[u8]) -> u32 {
    let mut hasher = crc_hasher();
    hasher.update(&datagram[..field::CRC.start]);
    hasher.update(&datagram[field::CRC.end..]);
    hasher.finalize()
}

/// Writes the length and CRC of a datagram whose header and body are in place.
///
/// # Panics
/// If `datagram` is shorter than a header (a bug in the emitting code).
pub fn seal(datagram: &mut [u8]) {
    assert!(datagram.len() >= size_of::<Header>());
    let len = u32::try_from(datagram.len()).expect("datagram length fits u32");
    datagram[field::LEN].copy_from_slice(&len.to_le_bytes());
    let crc = crc_of(datagram);
    datagram[field::CRC].copy_from_slice(&crc.to_le_bytes());
}

/// Checks, in DESIGN §2 order, everything that needs no state: length, magic,
/// version, declared length, CRC. Returns the header and the body.
pub fn check(datagram: &[u8]) -> Result<(&Header, &[u8]), Error> {
    let (header, body) = Header::ref_from_prefix(datagram).map_err(|_| Error::Truncated)?;
    if header.magic.get() != MAGIC {
        return Err(Error::BadMagic);
    }
    if header.version != VERSION {
        return Err(Error::BadVersion(header.version));
    }
    if usize::try_from(header.len.get()) != Ok(datagram.len()) {
        return Err(Error::LengthMismatch);
    }
    if header.crc.get() != crc_of(datagram) {
        return Err(Error::BadCrc);
    }
    if header.epoch() > Epoch::MAX {
        return Err(Error::EpochOutOfRange);
    }
    Ok((header, body))
}
