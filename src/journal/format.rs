//! The journal's bytes: a segment header, then records, each the wire's
//! event record behind a small header with its length, the epoch that
//! carried it and a CRC (DESIGN §8). Bytes only, as `wire` is.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::types::{Epoch, NodeId, Seq};
use crate::wire::{EventHeader, EventRef};

/// First four bytes of every segment file: `"SQJL"`.
pub const SEGMENT_MAGIC: u32 = u32::from_le_bytes(*b"SQJL");
/// The segment format this crate writes: 2 marks the first record of each
/// write ([`WRITE_START`]). It reads 1 too, whose records carry no marks.
pub const SEGMENT_VERSION: u16 = 2;
/// The segment format before [`WRITE_START`] marks.
const SEGMENT_VERSION_UNMARKED: u16 = 1;
/// The format of the `claim` and `commit` files beside the segments.
pub const SIDE_VERSION: u16 = 1;
/// Set in a record's epoch field (epochs stop at 2^48) on the first record
/// of each write a journal makes: recovery tells the part of a write that
/// a power loss left on disk (a torn tail) from damage to what an earlier
/// write put there (before the write that follows, at `--sync batch`,
/// everything before it was synced).
pub const WRITE_START: u64 = 1 << 63;

/// The 64-byte header at offset 0 of a segment file.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct SegmentHeader {
    /// [`SEGMENT_MAGIC`].
    pub magic: U32,
    /// [`SEGMENT_VERSION`].
    pub version: U16,
    /// Size of this header in bytes (64).
    pub header_len: U16,
    /// The cluster whose events these are.
    pub cluster: U32,
    /// The node that wrote the segment.
    pub node: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// Sequence of the segment's first record.
    pub first_seq: U64,
    /// Epoch of the segment's first record.
    pub epoch: U64,
    /// Bytes the file was preallocated to, header included.
    pub capacity: U64,
    /// The last sequence the journal held when this segment was started
    /// (0: none, or a journal written before this was recorded). A segment
    /// file gone from before this one leaves a gap that does not start
    /// after this sequence; sequences the node was told were lost leave
    /// one that does.
    pub after: U64,
    /// Reserved; zero.
    pub reserved2: U64,
    /// Reserved; zero.
    pub reserved3: U32,
    /// CRC-32 of the 60 bytes before it.
    pub crc: U32,
}
const _: () = assert!(size_of::<SegmentHeader>() == 64);

/// The 24 bytes in front of each event record in a segment.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct RecordHeader {
    /// Length of the event record that follows (a multiple of 8; 0 marks
    /// the end of what was written in a preallocated segment).
    pub len: U32,
    /// CRC-32 of the epoch and commit (16 bytes) and the event record.
    pub crc: U32,
    /// The epoch of the leader that sent (or, at the leader, stamped) it.
    pub epoch: U64,
    /// The commit the node knew when it wrote the record: at recovery,
    /// everything up to the highest of these is known committed.
    pub commit: U64,
}
const _: () = assert!(size_of::<RecordHeader>() == 24);

/// Bytes a journal record takes for an event record of `record_len` bytes.
pub const fn journal_len(record_len: usize) -> usize {
    size_of::<RecordHeader>() + record_len
}

impl SegmentHeader {
    /// The header of a segment of `capacity` bytes written by `node` of
    /// `cluster`, whose first record is `first` in `epoch`, started when
    /// the journal held up to `after`.
    pub fn new(cluster: u32, node: NodeId, (first, after): (Seq, Seq), epoch: Epoch, capacity: u64) -> SegmentHeader {
        let mut header = SegmentHeader {
            magic: SEGMENT_MAGIC.into(),
            version: SEGMENT_VERSION.into(),
            header_len: (size_of::<SegmentHeader>() as u16).into(),
            cluster: cluster.into(),
            node: node.0.into(),
            reserved: 0.into(),
            first_seq: first.get().into(),
            epoch: epoch.get().into(),
            capacity: capacity.into(),
            after: after.get().into(),
            reserved2: 0.into(),
            reserved3: 0.into(),
            crc: 0.into(),
        };
        header.crc = crc32fast::hash(&header.as_bytes()[..60]).into();
        header
    }

    /// The header at the start of `bytes`, if its magic, version, length
    /// and CRC are right.
    pub fn parse(bytes: &[u8]) -> Result<&SegmentHeader, HeaderError> {
        let (header, _) = SegmentHeader::ref_from_prefix(bytes).map_err(|_| HeaderError::Short)?;
        if header.magic.get() != SEGMENT_MAGIC {
            return Err(HeaderError::Magic);
        }
        if ![SEGMENT_VERSION, SEGMENT_VERSION_UNMARKED].contains(&header.version.get()) {
            return Err(HeaderError::Version(header.version.get()));
        }
        if usize::from(header.header_len.get()) != size_of::<Self>() {
            return Err(HeaderError::Field("header length"));
        }
        if crc32fast::hash(&bytes[..60]) != header.crc.get() {
            return Err(HeaderError::Crc);
        }
        // Sequences start at 1, and a segment starts after what the
        // journal held before it.
        if header.first_seq.get() == 0 {
            return Err(HeaderError::Field("first sequence"));
        }
        if header.after.get() >= header.first_seq.get() {
            return Err(HeaderError::Field("after"));
        }
        // Nothing sequences so far (2^63 events: 29,000 years at 10 M a
        // second), and a sequence near the end of u64 would wrap.
        if header.first_seq.get() > SEQ_MAX {
            return Err(HeaderError::Field("first sequence"));
        }
        if header.epoch.get() > Epoch::MAX.get() {
            return Err(HeaderError::Field("epoch"));
        }
        Ok(header)
    }

    /// Sequence of the segment's first record.
    pub fn first_seq(&self) -> Seq {
        Seq(self.first_seq.get())
    }

    /// Whether its records mark where each write started ([`WRITE_START`]).
    pub fn marks_writes(&self) -> bool {
        self.version.get() >= SEGMENT_VERSION
    }
}

/// Why a segment header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The file is shorter than a header.
    Short,
    /// Not a seqcast journal segment.
    Magic,
    /// A segment format this version does not read.
    Version(u16),
    /// A field holds a value no writer gives it (its name): damage.
    Field(&'static str),
    /// The header's CRC does not match.
    Crc,
}

impl HeaderError {
    /// Why the 32-byte file `name` beside the segments (`claim`, `commit`)
    /// could not be read.
    pub fn side_file_text(&self, name: &str) -> String {
        match self {
            HeaderError::Short => format!("not the 32 bytes of a {name} file"),
            HeaderError::Magic => format!("not a seqcast {name} file (bad magic)"),
            HeaderError::Version(v) => format!("{name} format version {v}, this build reads {SIDE_VERSION}"),
            HeaderError::Field(field) => format!("its {field} field holds a value no writer gives it: damaged"),
            HeaderError::Crc => "CRC mismatch".to_string(),
        }
    }
}

impl core::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HeaderError::Short => f.write_str("shorter than a segment header"),
            HeaderError::Magic => f.write_str("not a seqcast journal segment (bad magic)"),
            HeaderError::Version(v) => {
                write!(
                    f,
                    "segment format version {v}, this build reads {SEGMENT_VERSION_UNMARKED} and {SEGMENT_VERSION}"
                )
            }
            HeaderError::Field(name) => write!(f, "its {name} field holds a value no writer gives it: damaged"),
            HeaderError::Crc => f.write_str("segment header CRC mismatch"),
        }
    }
}

/// First four bytes of the claim file: `"SQCL"`.
pub const CLAIM_MAGIC: u32 = u32::from_le_bytes(*b"SQCL");

/// The file `claim` beside a member's segments (DESIGN §8): the epoch whose
/// leader's log the journal is a prefix of, whether it holds all that
/// leader started its epoch with, the epoch the member promised, and the
/// shape of the cluster it promised in. Replaced whole (written aside,
/// renamed).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct ClaimFile {
    /// [`CLAIM_MAGIC`].
    pub magic: U32,
    /// [`SIDE_VERSION`].
    pub version: U16,
    /// 1: the journal holds that leader's starting log; 0: it may not.
    pub whole: u8,
    /// The cluster's quorum when it was written (0 in files written
    /// before it was kept: unknown).
    pub quorum: u8,
    /// The cluster.
    pub cluster: U32,
    /// The node.
    pub node: U16,
    /// The cluster's node count when it was written (0: unknown).
    pub nodes: U16,
    /// The epoch, in its low 49 bits (epochs stop at 2^48); above them,
    /// bits 32 and up of how far past it the promise is (0 in files of
    /// earlier builds, which read a file with them set as damaged: they
    /// kept such a claim as one not whole, see `promised_ahead`). Read it
    /// with [`log_epoch`](Self::log_epoch).
    pub epoch: U64,
    /// How far past the epoch the epoch the member promised is, its low 32
    /// bits (0 in files written before the promise was kept: it is then
    /// the epoch); read it with [`promised`](Self::promised). A claim whose
    /// promise runs more than [`PROMISE_AHEAD_MAX`] past its log's epoch
    /// keeps the promise as its epoch, not whole, and 0 here (earlier
    /// builds kept so every claim whose promise ran 2^32 or more ahead).
    ///
    /// [`PROMISE_AHEAD_MAX`]: crate::core::PROMISE_AHEAD_MAX
    pub promised_ahead: U32,
    /// CRC-32 of the 28 bytes before it.
    pub crc: U32,
}
const _: () = assert!(size_of::<ClaimFile>() == 32);

/// The bits of a claim file's `epoch` field that hold the epoch (one past
/// [`Epoch::MAX`]'s); those above hold the promise's gap past 2^32.
const CLAIM_EPOCH_BITS: u32 = 49;
const _: () = assert!(Epoch::MAX.get() < 1 << CLAIM_EPOCH_BITS);
const _: () = assert!(crate::core::PROMISE_AHEAD_MAX >> 32 < 1 << (64 - CLAIM_EPOCH_BITS));

impl ClaimFile {
    /// The claim of `node` of `cluster`, of `shape`
    /// ([`Config::shape`](crate::core::Config::shape)), which promised
    /// `promised`. A shape whose quorum a byte cannot hold (no member's:
    /// failover takes at most 64 nodes) is kept as unknown.
    pub fn new(cluster: u32, node: NodeId, epoch: Epoch, whole: bool, promised: Epoch, shape: u32) -> ClaimFile {
        // See `JournalClaim::as_kept`: what a restart reads back.
        let kept = crate::core::JournalClaim { epoch, whole, promised }.as_kept();
        let (epoch, whole) = (kept.epoch, kept.whole);
        let ahead = kept.promised.get() - epoch.get();
        assert!(ahead <= crate::core::PROMISE_AHEAD_MAX, "kept in epoch when too far");
        // An epoch no frame carries (a member started with `--epoch` past
        // it) is kept so that it reads back as damaged: its high bits would
        // read as the promise's.
        let epoch_field = match epoch.get() > Epoch::MAX.get() {
            true => u64::MAX,
            false => epoch.get() | ((ahead >> 32) << CLAIM_EPOCH_BITS),
        };
        let (nodes, quorum) = match u8::try_from(shape & 0xffff) {
            Ok(quorum) => ((shape >> 16) as u16, quorum),
            Err(_) => (0, 0),
        };
        let mut claim = ClaimFile {
            magic: CLAIM_MAGIC.into(),
            version: SIDE_VERSION.into(),
            whole: u8::from(whole),
            quorum,
            cluster: cluster.into(),
            node: node.0.into(),
            nodes: nodes.into(),
            epoch: epoch_field.into(),
            promised_ahead: (ahead as u32).into(),
            crc: 0.into(),
        };
        claim.crc = side_file_crc(claim.as_bytes()).into();
        claim
    }

    /// The claim in `bytes`, if it is exactly one with the right magic,
    /// version and CRC.
    pub fn parse(bytes: &[u8]) -> Result<&ClaimFile, HeaderError> {
        let claim = ClaimFile::ref_from_bytes(bytes).map_err(|_| HeaderError::Short)?;
        side_file_checks(bytes, (claim.magic.get(), CLAIM_MAGIC), claim.version.get(), claim.crc.get())?;
        if claim.whole > 1 {
            return Err(HeaderError::Field("whole"));
        }
        // No frame carries an epoch past Epoch::MAX, nor may a promise run there.
        if claim.log_epoch() > Epoch::MAX {
            return Err(HeaderError::Field("epoch"));
        }
        if claim.promised() > Epoch::MAX {
            return Err(HeaderError::Field("promised epoch"));
        }
        Ok(claim)
    }

    /// The epoch of the leader whose log the journal's is a prefix of.
    pub fn log_epoch(&self) -> Epoch {
        Epoch(self.epoch.get() & ((1 << CLAIM_EPOCH_BITS) - 1))
    }

    /// The epoch the member promised.
    pub fn promised(&self) -> Epoch {
        let ahead = ((self.epoch.get() >> CLAIM_EPOCH_BITS) << 32) | u64::from(self.promised_ahead.get());
        Epoch(self.log_epoch().get().saturating_add(ahead))
    }

    /// The shape of the cluster it was written in, as
    /// [`Config::shape`](crate::core::Config::shape) gives it; 0: unknown.
    pub fn shape(&self) -> u32 {
        match (self.nodes.get(), self.quorum) {
            (0, _) | (_, 0) => 0,
            (nodes, quorum) => (u32::from(nodes) << 16) | u32::from(quorum),
        }
    }
}

/// The CRC of a 32-byte file beside the segments (`claim`, `commit`): of
/// the 28 bytes before its own.
fn side_file_crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(&bytes[..28])
}

/// A side file's magic (found, expected), version and CRC checked.
fn side_file_checks(bytes: &[u8], (magic, expected): (u32, u32), version: u16, crc: u32) -> Result<(), HeaderError> {
    if magic != expected {
        return Err(HeaderError::Magic);
    }
    if version != SIDE_VERSION {
        return Err(HeaderError::Version(version));
    }
    if side_file_crc(bytes) != crc {
        return Err(HeaderError::Crc);
    }
    Ok(())
}

/// The last sequence a segment may start at (2^63).
pub const SEQ_MAX: u64 = 1 << 63;

/// First four bytes of the commit file: `"SQCM"`.
pub const COMMIT_MAGIC: u32 = u32::from_le_bytes(*b"SQCM");

/// The file `commit` beside a node's segments (DESIGN §8): the highest
/// sequence it knew committed when no record it wrote said so (each record
/// carries the commit known when it was written; one the leader announced
/// after the last record, in a HEARTBEAT, would otherwise be forgotten at a
/// restart; a leader's, learned from ACKs after its last records, is written
/// when it stops cleanly; and a truncation writes the commit the records
/// it dropped said, or what a follower of a sequencer still knows), and the
/// epoch of the log it learned it in. Rewritten in place, and made anew
/// and synced at a truncation: otherwise it survives a process crash, and
/// one torn by a power loss fails its CRC and is not read.
///
/// The epoch (up to 2^48) lies in the three words the first layout kept
/// reserved and zero: a file written before it was kept reads as epoch 0,
/// unknown, and builds before it read this one as they read theirs.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct CommitFile {
    /// [`COMMIT_MAGIC`].
    pub magic: U32,
    /// [`SIDE_VERSION`].
    pub version: U16,
    /// Bits 48..64 of the epoch.
    pub epoch_high: U16,
    /// The cluster.
    pub cluster: U32,
    /// The node.
    pub node: U16,
    /// Bits 32..48 of the epoch.
    pub epoch_mid: U16,
    /// The commit.
    pub commit: U64,
    /// Bits 0..32 of the epoch.
    pub epoch_low: U32,
    /// CRC-32 of the 28 bytes before it.
    pub crc: U32,
}
const _: () = assert!(size_of::<CommitFile>() == 32);

impl CommitFile {
    /// `node` of `cluster` knew everything up to `commit` committed, in a
    /// log of `epoch` (0: not known).
    pub fn new(cluster: u32, node: NodeId, commit: Seq, epoch: Epoch) -> CommitFile {
        let epoch = epoch.get();
        let mut file = CommitFile {
            magic: COMMIT_MAGIC.into(),
            version: SIDE_VERSION.into(),
            epoch_high: ((epoch >> 48) as u16).into(),
            cluster: cluster.into(),
            node: node.0.into(),
            epoch_mid: ((epoch >> 32) as u16).into(),
            commit: commit.get().into(),
            epoch_low: (epoch as u32).into(),
            crc: 0.into(),
        };
        file.crc = side_file_crc(file.as_bytes()).into();
        file
    }

    /// The epoch of the log the commit was learned in (0: not known).
    pub fn epoch(&self) -> Epoch {
        let (high, mid, low) =
            (u64::from(self.epoch_high.get()), u64::from(self.epoch_mid.get()), self.epoch_low.get());
        Epoch((high << 48) | (mid << 32) | u64::from(low))
    }

    /// The commit file in `bytes`, if it is exactly one with the right
    /// magic, version and CRC.
    pub fn parse(bytes: &[u8]) -> Result<&CommitFile, HeaderError> {
        let file = CommitFile::ref_from_bytes(bytes).map_err(|_| HeaderError::Short)?;
        side_file_checks(bytes, (file.magic.get(), COMMIT_MAGIC), file.version.get(), file.crc.get())?;
        if file.epoch() > Epoch::MAX {
            return Err(HeaderError::Field("epoch"));
        }
        Ok(file)
    }
}

/// Where the bytes a record's CRC covers start in the record: its epoch,
/// its commit and the event record follow one another from there.
const CRC_FROM: usize = 8;

/// The CRC of a journal record, `bytes` being the whole of it (header and
/// event record): one pass over the contiguous epoch, commit and record.
fn record_crc(bytes: &[u8]) -> u32 {
    let mut hasher = crate::wire::crc_hasher();
    hasher.update(&bytes[CRC_FROM..]);
    hasher.finalize()
}

/// Appends the journal record of `record` (an event record, as on the wire)
/// in `epoch`, written knowing `commit`, to `out`.
pub fn encode(out: &mut Vec<u8>, epoch: Epoch, commit: Seq, record: &[u8]) {
    let start = out.len();
    encode_unsealed(out, epoch, commit, record);
    seal_records(&mut out[start..]);
}

/// As [`encode`], its CRC left to [`seal_records`].
pub fn encode_unsealed(out: &mut Vec<u8>, epoch: Epoch, commit: Seq, record: &[u8]) {
    let header = RecordHeader {
        len: (record.len() as u32).into(),
        crc: 0.into(),
        epoch: epoch.get().into(),
        commit: commit.get().into(),
    };
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(record);
}

/// Writes the CRC of each record in `records`, whole records one after
/// another as [`encode_unsealed`] left them. A journal seals a turn's
/// records in one pass just before it writes them, which costs less than
/// taking each CRC as its record is copied in.
///
/// # Panics
/// If `records` ends inside a record (a bug in the caller).
pub fn seal_records(records: &mut [u8]) {
    let mut at = 0;
    while at < records.len() {
        let (header, _) = RecordHeader::ref_from_prefix(&records[at..]).expect("a whole record header");
        let end = at + journal_len(header.len.get() as usize);
        let crc = record_crc(&records[at..end]);
        records[at + 4..at + CRC_FROM].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
}

/// Marks the first record of `records` (whole records, unsealed) as the
/// start of a write ([`WRITE_START`]).
pub fn mark_write_start(records: &mut [u8]) {
    let (header, _) = RecordHeader::mut_from_prefix(records).expect("a whole record header");
    header.epoch = (header.epoch.get() | WRITE_START).into();
}

/// One record read back from a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Its epoch.
    pub epoch: Epoch,
    /// The commit known when it was written.
    pub commit: Seq,
    /// The event, borrowed from the segment's bytes.
    pub event: EventRef<'a>,
    /// Offset of its record header in the segment.
    pub offset: usize,
}

impl Entry<'_> {
    /// Its sequence.
    pub fn seq(&self) -> Seq {
        self.event.header.seq()
    }

    /// Bytes it takes in the segment.
    pub fn len(&self) -> usize {
        journal_len(self.event.record.len())
    }

    /// Never true: a record holds at least an event header.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// How a segment's records end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// At the preallocated zeros (or exactly at the end of the file).
    Clean,
    /// A record that was being written when the writer stopped: its header
    /// or bytes are incomplete or its CRC fails, and nothing valid follows.
    /// Recovery truncates here.
    Torn {
        /// Offset of the torn record.
        offset: usize,
    },
    /// A record whose CRC fails (or whose sequence breaks the run) with a
    /// valid record after it: the disk corrupted a record in the middle.
    /// What follows is not trusted either.
    Corrupt {
        /// Offset of the bad record.
        offset: usize,
        /// The sequence it should have had.
        seq: Seq,
    },
}

/// The records of one segment, in order, checked one by one; stops at the
/// first that fails and says how the segment ended ([`Scan::end`]).
#[derive(Clone, Debug)]
pub struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    next_seq: Seq,
    end: Option<End>,
    record_max: usize,
}

impl<'a> Scan<'a> {
    /// Scans `bytes`, a whole segment whose header was checked, expecting
    /// `first` as its first sequence; records longer than `record_max` are
    /// taken as damage.
    pub fn new(bytes: &'a [u8], first: Seq, record_max: usize) -> Scan<'a> {
        Scan::from(bytes, size_of::<SegmentHeader>(), first, record_max)
    }

    /// Scans `bytes` from offset `at`, where the record of `seq` starts
    /// (a part of a segment read back; it may end inside a record).
    pub fn from(bytes: &'a [u8], at: usize, seq: Seq, record_max: usize) -> Scan<'a> {
        Scan { bytes, at, next_seq: seq, end: None, record_max }
    }

    /// Passes over the records before `seq` without checking their CRC: a
    /// read that starts between two entries of a segment's index hands them
    /// out to nobody (recovery checked them all at open). It stops at the
    /// first thing that does not look like the next record, which
    /// [`next`](Iterator::next) then judges.
    pub fn skip_before(&mut self, seq: Seq) {
        while self.end.is_none() && self.next_seq < seq {
            let Ok((header, rest)) = RecordHeader::ref_from_prefix(&self.bytes[self.at.min(self.bytes.len())..]) else {
                return;
            };
            let len = header.len.get() as usize;
            if !self.fits(len, rest.len()) {
                return;
            }
            match EventRef::split(&rest[..len]) {
                Ok((event, _)) if event.header.seq() == self.next_seq => {}
                _ => return,
            }
            self.at += journal_len(len);
            self.next_seq = self.next_seq.next();
        }
    }

    /// Whether a record header's `len` is one a record can have, with
    /// `room` bytes after the header.
    fn fits(&self, len: usize, room: usize) -> bool {
        len >= size_of::<EventHeader>() && len <= self.record_max && len.is_multiple_of(8) && len <= room
    }

    /// The sequence the next record must have.
    pub fn next_seq(&self) -> Seq {
        self.next_seq
    }

    /// How the records ended, once the scan has.
    pub fn end(&self) -> Option<End> {
        self.end
    }

    /// Offset just past the last good record.
    pub fn good_len(&self) -> usize {
        self.at
    }

    /// The record at `at` if it is whole, checks, and has sequence `seq`.
    fn record_at(&self, at: usize, seq: Seq) -> Result<Option<Entry<'a>>, ()> {
        let Ok((header, rest)) = RecordHeader::ref_from_prefix(&self.bytes[at.min(self.bytes.len())..]) else {
            // Less than a record header left: zeros are the clean end of a file.
            return if self.bytes[at.min(self.bytes.len())..].iter().all(|&b| b == 0) { Ok(None) } else { Err(()) };
        };
        let len = header.len.get() as usize;
        if len == 0 && header.crc.get() == 0 && header.epoch.get() == 0 && header.commit.get() == 0 {
            return Ok(None);
        }
        if !self.fits(len, rest.len()) {
            return Err(());
        }
        let record = &rest[..len];
        let (epoch, commit) = (Epoch(header.epoch.get() & !WRITE_START), Seq(header.commit.get()));
        if record_crc(&self.bytes[at..at + journal_len(len)]) != header.crc.get() || epoch > Epoch::MAX {
            return Err(());
        }
        let (event, _) = EventRef::split(record).map_err(|_| ())?;
        if event.record.len() != len || event.header.seq() != seq {
            return Err(());
        }
        Ok(Some(Entry { epoch, commit, event, offset: at }))
    }

    /// After a bad record at `at`, whether a valid record of a later
    /// sequence follows within the next two largest records: then the
    /// damage is in the middle, not a torn tail.
    fn valid_after(&self, at: usize) -> bool {
        let limit = at + 2 * journal_len(self.record_max);
        valid_record_within(self.bytes, (at + 8, limit), self.record_max, self.next_seq.next(), false).is_some()
    }
}

/// Where the first whole record that passes its CRC, of sequence
/// `at_least` or later, starts at an 8-byte step in `bytes[from..limit)`:
/// records after damage, which make it damage in the middle rather than a
/// torn tail. With `write_start`, only a record that starts a write counts.
pub fn valid_record_within(
    bytes: &[u8],
    (from, limit): (usize, usize),
    record_max: usize,
    at_least: Seq,
    write_start: bool,
) -> Option<usize> {
    (from..limit.min(bytes.len())).step_by(8).find(|&candidate| {
        let Ok((header, rest)) = RecordHeader::ref_from_prefix(&bytes[candidate..]) else { return false };
        let len = header.len.get() as usize;
        if len < size_of::<EventHeader>() || len > record_max.min(rest.len()) {
            return false;
        }
        if write_start && header.epoch.get() & WRITE_START == 0 {
            return false;
        }
        let seq = EventRef::split(&rest[..len]).map(|(e, _)| e.header.seq()).unwrap_or(Seq::ZERO);
        record_crc(&bytes[candidate..candidate + journal_len(len)]) == header.crc.get() && seq >= at_least
    })
}

impl<'a> Iterator for Scan<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.end.is_some() {
            return None;
        }
        match self.record_at(self.at, self.next_seq) {
            Ok(Some(entry)) => {
                self.at += entry.len();
                self.next_seq = self.next_seq.next();
                Some(entry)
            }
            Ok(None) => {
                self.end = Some(End::Clean);
                None
            }
            Err(()) => {
                let (offset, seq) = (self.at, self.next_seq);
                self.end =
                    Some(if self.valid_after(offset) { End::Corrupt { offset, seq } } else { End::Torn { offset } });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::record_len;

    const RECORD_MAX: usize = record_len(64);

    fn event(seq: u64, payload: &[u8]) -> Vec<u8> {
        crate::wire::test_record(3, seq, payload)
    }

    /// A preallocated segment of `capacity` bytes holding events 1..=n.
    fn segment(n: u64, capacity: usize) -> Vec<u8> {
        let mut bytes =
            SegmentHeader::new(7, NodeId(1), (Seq(1), Seq::ZERO), Epoch(2), capacity as u64).as_bytes().to_vec();
        for seq in 1..=n {
            encode(&mut bytes, Epoch(2), Seq(seq / 2), &event(seq, &seq.to_le_bytes()[..(seq % 9) as usize]));
        }
        bytes.resize(capacity, 0);
        bytes
    }

    /// Records of many lengths sealed in one pass each carry the CRC of
    /// their own epoch, commit and event record, and scan back whole.
    #[test]
    fn records_sealed_together_each_get_their_own_crc() {
        let mut bytes = SegmentHeader::new(7, NodeId(1), (Seq(1), Seq::ZERO), Epoch(2), 4096).as_bytes().to_vec();
        let start = bytes.len();
        for seq in 1..=20u64 {
            encode_unsealed(&mut bytes, Epoch(2), Seq(seq - 1), &event(seq, &vec![seq as u8; (seq * 5 % 64) as usize]));
        }
        seal_records(&mut bytes[start..]);
        let mut at = start;
        while at < bytes.len() {
            let len = journal_len(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize);
            let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
            assert_eq!(crc, crc32fast::hash(&bytes[at + 8..at + len]), "record at {at}");
            at += len;
        }
        bytes.resize(4096, 0);
        assert_eq!(scan(&bytes), ((1..=20).collect(), Some(End::Clean), at));
    }

    /// A promise kept in a claim file reads back as it was, however far it
    /// runs past the log's epoch (it once saturated 2^32 - 1 past it).
    #[test]
    fn a_claims_promise_is_never_cut_short() {
        let kept = |epoch: u64, whole: bool, promised: u64| {
            let file = ClaimFile::new(7, NodeId(1), Epoch(epoch), whole, Epoch(promised), 0);
            let claim = ClaimFile::parse(file.as_bytes()).unwrap();
            (claim.log_epoch().get(), claim.whole == 1, claim.promised().get())
        };
        let far = 1 + (1u64 << 47);
        assert_eq!(kept(1, true, far), (far, false, far), "too far ahead: kept whole as a claim that is not");
        // An elected epoch (a wall clock in ms) promised from a log of
        // epoch 1: kept whole (given up, a cluster stopped leader first
        // could elect nobody after).
        let elected = 1_796_571_590_034;
        assert_eq!(kept(1, true, elected), (1, true, elected));
        assert_eq!(kept(1_796_000_000_000, true, elected), (1_796_000_000_000, true, elected));
        let near = 1 + u64::from(u32::MAX);
        assert_eq!(kept(1, true, near), (1, true, near));
        assert_eq!(kept(1, true, far - 1), (1, true, far - 1));
        assert_eq!(kept(5, false, 3), (5, false, 5));
        // Helper 127: not whole, it still names the epoch of its log.
        assert_eq!(kept(1, false, 3), (1, false, 3));
    }

    fn scan(bytes: &[u8]) -> (Vec<u64>, Option<End>, usize) {
        let mut scan = Scan::new(bytes, Seq(1), RECORD_MAX);
        let seqs = scan.by_ref().map(|e| e.seq().get()).collect();
        (seqs, scan.end(), scan.good_len())
    }

    #[test]
    fn a_whole_segment_reads_back_in_order_and_ends_clean() {
        let bytes = segment(20, 4096);
        let header = SegmentHeader::parse(&bytes).unwrap();
        assert_eq!((header.first_seq(), header.cluster.get(), header.node.get()), (Seq(1), 7, 1));
        let (seqs, end, _) = scan(&bytes);
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
        assert_eq!(end, Some(End::Clean));
        let entry = Scan::new(&bytes, Seq(1), RECORD_MAX).nth(4).unwrap();
        assert_eq!((entry.epoch, entry.event.payload), (Epoch(2), &5u64.to_le_bytes()[..5]));
    }

    #[test]
    fn a_file_cut_short_ends_clean_at_a_record_boundary_and_torn_inside_one() {
        let bytes = segment(10, 4096);
        let (_, _, good) = scan(&bytes);
        let (seqs, end, _) = scan(&bytes[..good]);
        assert_eq!((seqs.len(), end), (10, Some(End::Clean)), "cut exactly after the last record");
        let (seqs, end, at) = scan(&bytes[..good - 3]);
        assert_eq!(seqs.len(), 9, "the last record lost three bytes");
        assert_eq!(end, Some(End::Torn { offset: at }));
    }

    #[test]
    fn a_torn_last_write_is_a_torn_tail() {
        let mut bytes = segment(10, 4096);
        let (_, _, good) = scan(&bytes);
        // Half of an eleventh record made it to disk: its header, not all of its bytes.
        let mut eleventh = Vec::new();
        encode(&mut eleventh, Epoch(2), Seq(5), &event(11, b"abcdefgh"));
        bytes[good..good + eleventh.len() / 2].copy_from_slice(&eleventh[..eleventh.len() / 2]);
        let (seqs, end, at) = scan(&bytes);
        assert_eq!((seqs.len(), end, at), (10, Some(End::Torn { offset: good }), good));
    }

    /// The format's CRC: over the epoch and commit (little-endian) and the
    /// event record, in that order; files written before are read the same.
    #[test]
    fn a_records_crc_covers_its_epoch_commit_and_event_in_order() {
        let record = event(9, b"payload");
        let mut bytes = Vec::new();
        encode(&mut bytes, Epoch(5), Seq(8), &record);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&5u64.to_le_bytes());
        hasher.update(&8u64.to_le_bytes());
        hasher.update(&record);
        let (header, _) = RecordHeader::ref_from_prefix(&bytes).unwrap();
        assert_eq!(header.crc.get(), hasher.finalize());
    }

    #[test]
    fn a_flipped_bit_in_the_middle_is_corruption_not_a_torn_tail() {
        let mut bytes = segment(10, 4096);
        let fifth = Scan::new(&bytes, Seq(1), RECORD_MAX).nth(4).unwrap().offset;
        bytes[fifth + 24 + 33] ^= 0x04;
        let (seqs, end, _) = scan(&bytes);
        assert_eq!(seqs, [1, 2, 3, 4]);
        assert_eq!(end, Some(End::Corrupt { offset: fifth, seq: Seq(5) }));
    }

    #[test]
    fn a_bad_segment_header_is_refused_by_reason() {
        let bytes = segment(1, 1024);
        assert_eq!(SegmentHeader::parse(&bytes[..10]).unwrap_err(), HeaderError::Short);
        let mut other = bytes.clone();
        other[0] = b'X';
        assert_eq!(SegmentHeader::parse(&other).unwrap_err(), HeaderError::Magic);
        let mut flipped = bytes.clone();
        flipped[20] ^= 1;
        assert_eq!(SegmentHeader::parse(&flipped).unwrap_err(), HeaderError::Crc);
        // A flipped header length once read "segment format version 1, this build reads 1".
        let mut long = bytes.clone();
        long[6] ^= 1;
        let error = SegmentHeader::parse(&long).unwrap_err();
        assert_eq!(error, HeaderError::Field("header length"));
        assert_eq!(error.to_string(), "its header length field holds a value no writer gives it: damaged");
        // A reviewer: a segment for sequence 0 was taken, and a follower
        // delivered an event numbered 0; and nothing stopped an `after` at
        // or past the segment's own first sequence.
        let header = |first: u64, after: u64| {
            SegmentHeader::new(5, NodeId(2), (Seq(first), Seq(after)), Epoch(3), 1024).as_bytes().to_vec()
        };
        assert_eq!(SegmentHeader::parse(&header(0, 0)).unwrap_err(), HeaderError::Field("first sequence"));
        assert_eq!(SegmentHeader::parse(&header(100, 100)).unwrap_err(), HeaderError::Field("after"));
        assert!(SegmentHeader::parse(&header(100, 99)).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_scanner() {
        let mut state = 0x1234_5678_u64;
        for _ in 0..200 {
            let mut bytes = segment(5, 512);
            for _ in 0..8 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let at = (state >> 33) as usize % bytes.len();
                bytes[at] = (state >> 20) as u8;
            }
            let _ = scan(&bytes);
        }
    }
}
