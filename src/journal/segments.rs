//! The journal's files: recovery at open, appends buffered for a turn and
//! written with one system call, the sync level, rolling to a new segment,
//! reading back, and retention by whole segments.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use zerocopy::{FromBytes, IntoBytes};

use super::JournalError;
use super::format::{
    self, ClaimFile, CommitFile, End, Entry, RecordHeader, Scan, SegmentHeader, encode_unsealed, journal_len,
    seal_records,
};
use crate::types::{Claim, Epoch, NodeId, Seq};
use crate::wire::EventHeader;

/// What a node's ACK waits for (`--sync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncLevel {
    /// Written to the page cache: survives the process, not the machine.
    None,
    /// Written and `fdatasync`ed, once per driver turn (group commit):
    /// survives power loss.
    Batch,
}

/// Where a journal lives and how it writes.
#[derive(Clone, Debug)]
pub struct JournalOptions {
    /// The directory (created if missing).
    pub dir: PathBuf,
    /// The cluster id, written in every segment header and checked at open.
    pub cluster: u32,
    /// This node's id, likewise.
    pub node: NodeId,
    /// The durability level.
    pub sync: SyncLevel,
    /// Bytes each segment file is preallocated to.
    pub segment_bytes: u64,
    /// The largest event record (`Config::record_max`).
    pub record_max: usize,
    /// Keep at most this many bytes of segments (whole segments go; the
    /// one being written stays).
    pub retain_bytes: Option<u64>,
    /// Keep at least the newest this many events: a whole old segment goes
    /// once the segments after it hold as many.
    pub retain_events: Option<u64>,
    /// Serve history read from this journal (to tails, and to followers
    /// behind the leader's ring) at most this many bytes a second, on
    /// average; `None`: as fast as a turn's budget allows.
    pub history_rate: Option<u64>,
    /// The cluster's shape ([`Config::shape`](crate::core::Config::shape):
    /// its node count and quorum), kept in a member's claim file and
    /// checked against the one kept there at open (0: not checked).
    pub shape: u32,
    /// Take a claim file kept in a cluster of another shape, and keep this
    /// shape from now on: the operator changed the cluster's node count or
    /// quorum, every member stopped first. Without it, open refuses such a
    /// journal ([`JournalError::Shape`]).
    pub reshape: bool,
}

impl JournalOptions {
    /// Default segment size: 64 MiB, about 559,000 events of 64 bytes.
    pub const SEGMENT_BYTES: u64 = 64 << 20;

    /// The journal of node `node` of `config`'s cluster in `dir` itself
    /// (the command line's `--journal DIR` keeps node N's in `DIR/node-N`,
    /// as `net::cluster::Cluster::journal_dir` names it): synced
    /// before every ACK ([`SyncLevel::Batch`]), segments of
    /// [`SEGMENT_BYTES`](Self::SEGMENT_BYTES), nothing deleted. Change the
    /// public fields for another level, size or retention; `cluster`,
    /// `node` and `record_max` must stay as `config` has them (a node
    /// refuses other ones).
    pub fn new(dir: impl Into<PathBuf>, config: &crate::core::Config, node: NodeId) -> JournalOptions {
        JournalOptions {
            dir: dir.into(),
            cluster: config.cluster_id,
            node,
            sync: SyncLevel::Batch,
            segment_bytes: JournalOptions::SEGMENT_BYTES,
            record_max: config.record_max(),
            retain_bytes: None,
            retain_events: None,
            history_rate: None,
            shape: config.shape(),
            reshape: false,
        }
    }
}

/// A member's claim as its file keeps it: the epoch, whether the journal
/// holds that leader's starting log, and the epoch it promised.
pub type Claimed = (Epoch, bool, Epoch);

/// What opening a journal found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Segments found.
    pub segments: usize,
    /// The first and last sequence recovered (`None`: empty).
    pub range: Option<(Seq, Seq)>,
    /// The epoch of the last record recovered.
    pub last_epoch: Epoch,
    /// The newest epoch of any record recovered (records of its own old
    /// log that a member takes back, `restore`, lie in their old epoch
    /// after newer ones).
    pub newest_epoch: Epoch,
    /// The highest commit any record was written knowing (never past the
    /// last record): every record up to it is committed.
    pub commit: Seq,
    /// A torn tail dropped: the file, the offset, and the bytes cleared.
    pub torn: Option<(PathBuf, u64, u64)>,
    /// A record corrupted in the middle: the file and its sequence. That
    /// record and every one after it are dropped, to be fetched again.
    pub corrupt: Option<(PathBuf, Seq)>,
    /// A segment file gone from the middle: the file after it, and the
    /// sequences it held, `[first, end)` (that file's header says where
    /// the journal was when it started). As with a corrupt record, the
    /// files from there on are untrusted until a truncation drops them.
    pub missing: Option<(PathBuf, Seq, Seq)>,
    /// Ranges `[first, end)` in no segment: sequences the node never held
    /// (reported lost to it), between the segments around them.
    pub gaps: Vec<(Seq, Seq)>,
    /// The newest segment, all zeros (its creation never wrote its
    /// header: a crash, or a full disk), or its header and no record (a
    /// crash before its first record was written), removed.
    pub empty_removed: Option<PathBuf>,
    /// A member's last claim (see [`Journal::write_claim`]): the epoch,
    /// whether the journal holds that leader's starting log, and the epoch
    /// the member promised.
    pub claim: Option<Claimed>,
    /// The shape the claim file was kept in, when
    /// [`JournalOptions::reshape`] took it for this node's (and wrote it
    /// again in this one).
    pub reshaped: Option<u32>,
    /// The commit file, present but torn or damaged: ignored (the commit is
    /// what the records show).
    pub commit_file_damaged: Option<PathBuf>,
    /// What the commit file says is committed, when that is past the last
    /// record: committed records are gone (a follower fetches them again;
    /// a leader's log must hold them), or a follower's truncation dropped
    /// them before the next log's records were durable (see
    /// [`Journal::truncate_knowing`]). The commit taken stops at the last
    /// record.
    pub commit_file_beyond: Option<Seq>,
    /// The epoch of the log the commit file's commit was learned in (0:
    /// none, or a file written before it was kept).
    pub commit_file_epoch: Epoch,
    /// How far the journal reached before damage dropped part of it: the
    /// epoch and sequence of the last good record past the damage (or,
    /// where none is, the damaged sequence with the epoch of the last
    /// record kept, or of the claim where newer), or what the `reach` file kept of an
    /// earlier start's ([`Journal::write_reach`]). A member grants no vote
    /// to a shorter log, as it would not had it kept its own.
    pub reach: Option<Claim>,
    /// The newest epoch a record [`reach`](Self::reach) stands for may be
    /// of (see [`Reach::records`](crate::core::Reach::records)): the
    /// damage's (its epoch, or its claim's where newer) and what the
    /// `reach-epoch` file kept beside the `reach` file
    /// ([`Journal::write_reach`]). `None` without a reach, or where the
    /// `reach` file has no `reach-epoch` file of its own (an earlier
    /// build's, one damaged, or one of another reach): its claim's epoch
    /// then bounds them.
    pub reach_records: Option<Epoch>,
    /// The `reach` file, present but torn or damaged: ignored.
    pub reach_file_damaged: Option<PathBuf>,
    /// A follower's (without failover): the epoch of the last sequencer
    /// whose log it refused for lacking what it knew committed, as the
    /// `refused-log` file keeps it ([`Journal::write_refused_log`]); 0
    /// where that file is damaged (a refusal all the same).
    pub refused_log: Option<Epoch>,
    /// A sequencer's: the newest epoch a sequencer started on this journal,
    /// as the `led-epoch` file keeps it ([`Journal::write_led_epoch`]),
    /// whether or not any record of it reached the disk. A later one must
    /// start a newer epoch. `None` where that file is absent or damaged.
    pub led_epoch: Option<Epoch>,
    /// The `led-epoch` file, present but damaged: ignored.
    pub led_epoch_damaged: Option<PathBuf>,
    /// A follower's (without failover): the last sequence its application
    /// may have been handed on receipt, past the commit it knew, as the
    /// `handed-out` file keeps it ([`Journal::write_handed_out`]); the
    /// largest sequence where that file is damaged, or where the follower
    /// ran delivering on receipt (every record it held it may have handed
    /// out). `None`: nothing past its commit went to its application, or
    /// a build older than the file wrote the journal.
    pub handed_out: Option<Seq>,
}

impl Recovery {
    /// A corrupt record or a segment file gone: the log ends before them,
    /// and the files from there on wait for a truncation.
    pub fn damaged(&self) -> bool {
        self.corrupt.is_some() || self.missing.is_some()
    }

    /// The claim, as a member may take it: not whole where the journal is
    /// damaged (what follows the damage is dropped). A commit file past the
    /// records does not void it, even beside no record at all: a member
    /// that holds nothing and learned a commit says as much, as does one
    /// whose records end in sequences it was told were lost, and voiding
    /// their claims cost clusters their only quorum in the simulator. A
    /// journal whose segment files were removed, its claim and commit files
    /// kept, looks the same: move a member's whole directory aside.
    pub fn member_claim(&self) -> Option<(Epoch, bool, Epoch)> {
        self.claim.map(|(epoch, whole, promised)| (epoch, whole && !self.damaged(), promised))
    }

    /// How far a member resumed on this journal held, which a log must
    /// cover for its vote ([`Reach`](crate::core::Reach)): [`reach`](Self::reach),
    /// or, without a whole claim ([`member_claim`](Self::member_claim)),
    /// its last record. Such a member keeps only what its records say was
    /// committed, though it may have ACKed records past that which a
    /// quorum committed with it (taken while catching up); were its vote
    /// counted without enough whole holders beside it (`seqcast promote
    /// --count-incomplete-votes`), a log short of them could win otherwise
    /// (the simulator's seed 10018929 of `--failover --journal --damages 2
    /// --promotions 2 --count-incomplete`).
    ///
    /// Its last record also where it is the commit (helper 151: back
    /// without a whole claim, its claim names epoch 0, and it granted a log
    /// of an older epoch than its records', lacking them). The highest
    /// epoch and sequence of both, taken apart (see `higher`).
    pub fn member_reach(&self) -> Option<Claim> {
        let whole = self.member_claim().is_some_and(|(_, whole, _)| whole);
        let last = self.range.filter(|_| !whole);
        higher(self.reach, last.map(|(_, last)| Claim { epoch: self.last_epoch, seq: last }))
    }

    /// The newest epoch a record [`member_reach`](Self::member_reach)
    /// stands for may be of (see
    /// [`Reach::records`](crate::core::Reach::records)): that of
    /// [`reach`](Self::reach)'s, and, without a whole claim, the newest of
    /// the records it holds. `None` without a reach, or where
    /// [`reach_records`](Self::reach_records) is not known.
    pub fn member_reach_records(&self) -> Option<Epoch> {
        let whole = self.member_claim().is_some_and(|(_, whole, _)| whole);
        let held = self.range.filter(|_| !whole).map(|_| self.newest_epoch);
        match (self.reach, self.reach_records) {
            (Some(_), None) => None,
            (_, records) => records.max(held),
        }
    }
}

/// Syncs directory `dir`: what was made, renamed or removed in it stays.
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| JournalError::Dir(dir.to_path_buf(), e))
}

/// One segment file on disk.
#[derive(Debug)]
struct Segment {
    path: PathBuf,
    first: Seq,
    /// One past its last record ([`Seq`] of the next).
    end: Seq,
    /// Offset just past its last record.
    len: u64,
    /// Offset past the last byte that may not be zero (beyond `len` only
    /// after a corrupt record): a truncation zeroes up to here.
    dirty: u64,
    capacity: u64,
    /// The offset of every [`INDEX_EVERY`]th record, from its first: a
    /// read starts at most that many records before what it wants.
    index: Vec<(Seq, u64)>,
    /// Its format marks the first record of each write
    /// ([`format::WRITE_START`]; not in a segment of the older format).
    marks: bool,
}

/// Records between two entries of the index of the segment being written.
const INDEX_EVERY: u64 = 256;

/// Records between two entries of the index of a closed segment: 16 bytes
/// of memory per 4,096 records on disk, so that a node's memory does not
/// grow with its journal; a read walks from an entry to where it starts
/// without checking CRCs.
const INDEX_EVERY_CLOSED: u64 = 16 * INDEX_EVERY;

/// Bytes a read takes from a segment file at a time.
const READ_CHUNK: usize = 256 << 10;

/// Bytes [`Journal::read_on`] reads at a time, at most.
const READ_CHUNK_RECORDS: usize = 64 << 10;

/// A node's journal: recovered at open, appended in order, read back.
#[derive(Debug)]
pub struct Journal {
    options: JournalOptions,
    segments: Vec<Segment>,
    /// The last segment, open for writing.
    file: Option<File>,
    /// The commit file, once written (see [`Journal::write_commit`]).
    commit_file: Option<File>,
    /// Records encoded this turn, not yet written: whole records from its
    /// first byte, their CRCs zero until `write_pending` seals them.
    pending: Vec<u8>,
    /// Segments after a corrupt record: not read, not written to, deleted
    /// by a truncation (a follower fetches what they held again).
    untrusted: Vec<PathBuf>,
    /// A `reach` file lies beside the segments ([`Journal::write_reach`]).
    reach_kept: bool,
    /// What the `refused-log` file keeps (see [`write_refused_log`](Self::write_refused_log)).
    refused_log: Option<Epoch>,
    /// What the `handed-out` file keeps (see [`write_handed_out`](Self::write_handed_out)).
    handed_out: Option<Seq>,
    /// The first sequence its node has not yet handed its application
    /// (see [`keep_unhanded`](Self::keep_unhanded)).
    unhanded: Seq,
    /// Retention could not delete a segment: it stops (the records are
    /// durable; only the space is not given back), and the error waits
    /// for [`take_retention_error`](Self::take_retention_error).
    retention: Result<(), Option<JournalError>>,
    /// Sequence the next append must have.
    next: Seq,
    durable: Seq,
    /// The highest commit its records say: retention deletes no segment
    /// with a record past it. A node restarted on the journal hands its
    /// application the records up to its commit and fetches only what lies
    /// past it: a record it had not delivered yet, deleted, would be
    /// skipped, or reported lost. Not the commit file's, which is never
    /// synced: after a power loss the records' commit is what is known.
    committed: Seq,
    /// The highest commit the commit file said (read at open, or written):
    /// a truncation rewrites the file with no less.
    commit_filed: Seq,
    /// The epoch the commit file gives with it.
    commit_epoch: Epoch,
    /// The epoch of the last record appended (or read back at open).
    last_epoch: Epoch,
    /// A test's crash: a truncation stops right after its cut.
    #[cfg(test)]
    crash_after_cut: bool,
    /// A test's full disk: the next write of a file beside the segments
    /// fails as it would with no space left.
    #[cfg(test)]
    disk_full: bool,
    /// A test's record of the side-file changes whose order matters.
    #[cfg(test)]
    pub(crate) sides_done: Vec<&'static str>,
    /// Counts truncations: a [`ReadPos`] of an older one may point into
    /// records written since.
    generation: u64,
    /// The directory's `lock` file, locked while this journal is open: two
    /// processes appending to one journal would interleave their records.
    _lock: File,
}

/// Where a [`Journal::read_on`] stopped: the record `seq` starts at
/// `offset` of the segment whose first sequence is `segment`. A read that
/// goes on from there starts at that offset, not at the index entry before
/// it (up to 4,095 records back in a closed segment). It keeps that
/// segment's file open and the buffer it read into, so that a catch-up
/// read a chunk at a time opens, allocates and zeroes nothing once started.
#[derive(Debug, Default)]
pub struct ReadPos {
    generation: u64,
    segment: Seq,
    seq: Seq,
    offset: u64,
    /// The file of `segment` in `generation`, open.
    file: Option<File>,
    buf: Vec<u8>,
}

pub(super) fn segment_name(first: Seq) -> String {
    format!("{:020}.journal", first.get())
}

/// Whether a file named `name` makes its directory one node's journal: a
/// segment (`*.journal`), or the lock, claim or commit file a node keeps
/// beside them (one opened and never written holds its lock at least).
pub fn is_journal_file(name: &str) -> bool {
    name.ends_with(".journal")
        || ["lock", "claim", "commit", "reach", REACH_EPOCH, REFUSED_LOG, LED_EPOCH, HANDED_OUT].contains(&name)
}

/// Refuses a segment file whose name (`named`, from [`list`]) gives another
/// first sequence than its header.
pub(super) fn check_name(path: &Path, named: Seq, header: &SegmentHeader) -> Result<(), JournalError> {
    match header.first_seq() {
        first if first != named => Err(JournalError::Misnamed { path: path.to_path_buf(), first }),
        _ => Ok(()),
    }
}

/// The segment files in `dir`, by the first sequence their names give (a
/// file whose name is not a segment's, 20 digits and `.journal`, is no
/// concern of the journal's: "+683.journal" or "683.journal", a copy under
/// another name, would otherwise sort before the segment it duplicates).
pub(super) fn list(dir: &Path) -> Result<Vec<(Seq, PathBuf)>, JournalError> {
    let entries = fs::read_dir(dir).map_err(|e| JournalError::Dir(dir.into(), e))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| JournalError::Dir(dir.into(), e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let digits = name.strip_suffix(".journal").filter(|n| n.len() == 20 && n.bytes().all(|b| b.is_ascii_digit()));
        if let Some(first) = digits.and_then(|n| n.parse::<u64>().ok()) {
            found.push((Seq(first), path));
        }
    }
    found.sort();
    Ok(found)
}

impl Journal {
    /// Opens (or creates) the journal in `options.dir`: checks every
    /// segment, drops a torn tail (zeroing it), stops at a corrupt record
    /// (what follows stays on disk, untrusted, until [`truncate`](Self::truncate)
    /// drops it; appends are refused until then), and refuses segments of
    /// another cluster or node, with a bad header, or with events longer
    /// than `options.record_max` (written under a larger payload_max),
    /// naming the file and changing nothing. A member's claim file kept in
    /// another cluster shape than `options.shape` is refused the same way,
    /// unless `options.reshape` (it is then written again in this shape, as
    /// is one kept before shapes were); `reshape` with no claim, or with one
    /// of this shape already, is refused too. Refused, it leaves no
    /// directory it made (and no lock file in one).
    pub fn open(options: JournalOptions) -> Result<(Journal, Recovery), JournalError> {
        let dir = &options.dir;
        if dir.exists() && !dir.is_dir() {
            let e = io::Error::new(io::ErrorKind::AlreadyExists, "a file is there, not a directory");
            return Err(JournalError::Dir(dir.clone(), e));
        }
        // Directories made now, deepest first: at `batch` each is synced in
        // its parent, or a power loss could take a journal that ACKed.
        let made: Vec<PathBuf> =
            dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).map(Path::to_path_buf).collect();
        fs::create_dir_all(dir).map_err(|e| JournalError::Dir(dir.clone(), e))?;
        let opened = Journal::open_made(options.clone(), &made);
        if opened.is_err() && !made.is_empty() {
            // A refusal at first start (`--reshape` with nothing to reshape,
            // a bad option) left an empty journal behind (helper 149).
            // Emptied only of the lock it made: anything else keeps it.
            let _ = fs::remove_file(options.dir.join("lock"));
            for made in &made {
                let _ = fs::remove_dir(made);
            }
        }
        opened
    }

    /// [`open`](Self::open), in its directory, `made` the directories it
    /// made for it.
    fn open_made(options: JournalOptions, made: &[PathBuf]) -> Result<(Journal, Recovery), JournalError> {
        let dir = &options.dir;
        if options.sync == SyncLevel::Batch {
            for made in made {
                let parent = made.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                sync_dir(parent)?;
            }
        }
        // Which call failed, where a bare "Operation not permitted" left an
        // operator to strace it (helper 143: an immutable directory).
        let failed = |what: &str, path: &Path, e: io::Error| {
            let said = format!("cannot {what} ({}): {e}", path.display());
            JournalError::Dir(dir.clone(), io::Error::new(e.kind(), said))
        };
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| failed("make or open its lock file", &lock_path, e))?;
        // `seqcast journal verify` holds a shared lock for a moment to see
        // whether a node runs there: a node starting then waits it out.
        let mut tries = 0;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if tries < 20 => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                Err(fs::TryLockError::WouldBlock) => return Err(JournalError::InUse(lock_path)),
                Err(fs::TryLockError::Error(e)) => return Err(JournalError::Dir(dir.clone(), e)),
            }
            tries += 1;
        }
        // A member that refused the cluster's log (see `write_refused`):
        // nothing of this journal is taken, nor changed, until an operator chose.
        if let Some(why) = read_refused(dir)? {
            return Err(JournalError::Refused(dir.join(REFUSED), why));
        }
        // Only the node holding the lock probes: two starting at once in
        // one directory removed each other's probe ("no such file").
        let probe = dir.join(".seqcast-write-test");
        fs::write(&probe, b"")
            .and_then(|()| fs::remove_file(&probe))
            .map_err(|e| failed("make and remove a file in it", &probe, e))?;
        let mut journal = Journal {
            _lock: lock,
            segments: Vec::new(),
            file: None,
            commit_file: None,
            pending: Vec::with_capacity(1 << 20),
            next: Seq::ZERO,
            durable: Seq::ZERO,
            committed: Seq::ZERO,
            commit_filed: Seq::ZERO,
            commit_epoch: Epoch::ZERO,
            last_epoch: Epoch::ZERO,
            #[cfg(test)]
            crash_after_cut: false,
            #[cfg(test)]
            disk_full: false,
            #[cfg(test)]
            sides_done: Vec::new(),
            generation: 1,
            untrusted: Vec::new(),
            reach_kept: false,
            refused_log: None,
            handed_out: None,
            unhanded: Seq(u64::MAX),
            retention: Ok(()),
            options,
        };
        let mut recovery = Recovery::default();
        // The files beside the segments are checked before any segment is
        // written to (a torn tail cleared, an empty newest one removed): a
        // refusal leaves the journal as it found it.
        let claim = journal.read_claim()?;
        recovery.claim = claim.map(|(claim, _)| claim);
        let (given, reshape) = (journal.options.shape, journal.options.reshape);
        // The claim written again in this shape, after the checks of the
        // segments and the commit file (what the node checks after open may
        // still refuse it): reshaped, or kept before shapes were (0: taken as
        // it is, and stamped so that a stale file is caught from now on).
        let restamp = match claim {
            Some((claim, kept)) if given != 0 => match (kept, reshape) {
                (0, _) => Some(claim),
                (kept, false) if kept != given => {
                    return Err(JournalError::Shape { path: journal.claim_path(), kept, given });
                }
                (kept, true) if kept == given => {
                    return Err(JournalError::Reshape { dir: journal.options.dir.clone(), kept: Some(kept) });
                }
                (_, false) => None,
                (_, true) => Some(claim),
            },
            None if given != 0 && reshape => {
                return Err(JournalError::Reshape { dir: journal.options.dir.clone(), kept: None });
            }
            _ => None,
        };
        let commit_file = journal.read_commit(&mut recovery)?;
        let found = list(&journal.options.dir)?;
        recovery.segments = found.len();
        let last_index = found.len().saturating_sub(1);
        for (index, (named, path)) in found.into_iter().enumerate() {
            if recovery.damaged() {
                // Nothing after a corrupt record is trusted; the caller
                // decides (a truncation deletes it). Another node's or
                // cluster's file, one that is no segment, or one under
                // another name, is refused here as anywhere, never deleted.
                journal.check_owner(&path, named, index == last_index)?;
                journal.untrusted.push(path);
                continue;
            }
            journal.recover_segment(path, named, index == last_index, &mut recovery)?;
        }
        if reshape && let Some((_, kept)) = claim {
            recovery.reshaped = Some(kept);
        }
        if recovery.damaged() {
            let damaged = match (&recovery.corrupt, &recovery.missing) {
                (Some((_, seq)), _) => Some(*seq),
                (None, Some((_, _, end))) => Some(end.prev()),
                (None, None) => None,
            };
            let damaged_at = match &recovery.corrupt {
                Some((path, seq)) => {
                    journal.segments.last().filter(|s| &s.path == path).map(|s| (&**path, s.len, *seq))
                }
                None => None,
            };
            let claim = claim.map(|((epoch, _, promised), _)| (epoch, promised));
            recovery.reach = damage_reach(damaged_at, &journal.untrusted, damaged, recovery.last_epoch, claim);
            // A damaged record's epoch may read lower than it was (see
            // `damage_reach`); the log the claim names holds none newer.
            let log_epoch = claim.map_or(Epoch::ZERO, |(epoch, _)| epoch);
            recovery.reach_records = recovery.reach.map(|reach| reach.epoch.max(log_epoch));
        }
        let kept = journal.read_reach(&mut recovery)?;
        journal.reach_kept = kept.is_some();
        if let Some(kept) = kept {
            let records = journal.read_reach_epoch(kept)?;
            recovery.reach_records = records.map(|records| records.max(recovery.reach_records.unwrap_or(Epoch::ZERO)));
        }
        let mut refused_damaged = None;
        let refused = journal.read_commit_layout(journal.options.dir.join(REFUSED_LOG), &mut refused_damaged)?;
        recovery.refused_log = refused.map(|file| file.epoch()).or(refused_damaged.map(|_| Epoch::ZERO));
        journal.refused_log = recovery.refused_log;
        let mut led_damaged = None;
        let led = journal.read_commit_layout(journal.options.dir.join(LED_EPOCH), &mut led_damaged)?;
        (recovery.led_epoch, recovery.led_epoch_damaged) = (led.map(|file| file.epoch()), led_damaged);
        let mut handed_damaged = None;
        let handed = journal.read_commit_layout(journal.options.dir.join(HANDED_OUT), &mut handed_damaged)?;
        recovery.handed_out = handed.map(|file| Seq(file.commit.get())).or(handed_damaged.map(|_| Seq(u64::MAX)));
        journal.handed_out = recovery.handed_out;
        recovery.reach = higher(recovery.reach, kept);
        if let (Some(first), Some(last)) = (journal.segments.first(), journal.segments.last())
            && last.end > first.first
        {
            recovery.range = Some((first.first, last.end.prev()));
        }
        journal.committed = recovery.commit;
        journal.last_epoch = recovery.last_epoch;
        // Never past the last record kept (the rest is fetched again).
        if let Some((commit, epoch)) = commit_file {
            let last = recovery.range.map_or(Seq::ZERO, |(_, last)| last);
            recovery.commit = recovery.commit.max(commit.min(last));
            recovery.commit_file_beyond = (commit > last).then_some(commit);
            recovery.commit_file_epoch = epoch;
            // Past the records without its epoch (an older build's file),
            // it is knowledge no node takes: the next write brings the file
            // down to the records, as those builds did.
            let kept = if commit > last && epoch == Epoch::ZERO { last } else { commit };
            (journal.commit_filed, journal.commit_epoch) = (kept, epoch);
        }
        if let Some((epoch, whole, promised)) = restamp {
            journal.write_claim(epoch, whole, promised)?;
        }
        if let Some(last) = journal.segments.last() {
            journal.next = last.end;
            journal.durable = last.end.prev();
            let file =
                OpenOptions::new().write(true).open(&last.path).map_err(|e| JournalError::Io(last.path.clone(), e))?;
            if journal.options.sync == SyncLevel::Batch {
                // What it reads back is durable from now on: records a
                // process killed before its fdatasync left in the page
                // cache. Older segments too: a roll at `batch` synced
                // them, but the run before may have been at `none`.
                for segment in &journal.segments {
                    let io = |e| JournalError::Io(segment.path.clone(), e);
                    match segment.path == last.path {
                        true => file.sync_data().map_err(io)?,
                        false => File::open(&segment.path).and_then(|f| f.sync_data()).map_err(io)?,
                    }
                }
            }
            journal.file = Some(file);
        }
        if journal.options.sync == SyncLevel::Batch {
            // And a claim renamed before its directory was synced, with or
            // without records beside it.
            sync_dir(&journal.options.dir)?;
        }
        Ok((journal, recovery))
    }

    /// Refuses a segment after a corrupt record that is not this node's:
    /// a bad header, or another cluster's or node's (the newest, all
    /// zeros, is this node's unfinished one).
    fn check_owner(&self, path: &Path, named: Seq, last: bool) -> Result<(), JournalError> {
        let io = |e| JournalError::Io(path.to_path_buf(), e);
        let file = File::open(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        if last && unfinished(&file, file_len).map_err(io)? {
            return Ok(());
        }
        check_name(path, named, &self.header_of(path, &file, file_len)?)
    }

    /// The header of the segment `file` at `path`, if it is one of this
    /// node's.
    fn header_of(&self, path: &Path, file: &File, file_len: u64) -> Result<SegmentHeader, JournalError> {
        let head = read_head(file, file_len).map_err(|e| JournalError::Io(path.to_path_buf(), e))?;
        let header = *SegmentHeader::parse(&head).map_err(|e| JournalError::Header(path.to_path_buf(), e))?;
        self.owned(path, header.cluster.get(), header.node.get())?;
        Ok(header)
    }

    /// Refuses a file (`path`) of another cluster or node.
    fn owned(&self, path: &Path, cluster: u32, node: u16) -> Result<(), JournalError> {
        let mine = (self.options.cluster, self.options.node.0);
        if (cluster, node) != mine {
            return Err(JournalError::Foreign { path: path.to_path_buf(), cluster, node, mine });
        }
        Ok(())
    }

    fn recover_segment(
        &mut self,
        path: PathBuf,
        named: Seq,
        last: bool,
        recovery: &mut Recovery,
    ) -> Result<(), JournalError> {
        let io = |e| JournalError::Io(path.clone(), e);
        let file = File::open(&path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        if last && unfinished(&file, file_len).map_err(io)? {
            // The newest segment, never written: its creation stopped before
            // its header (a crash, or a disk that filled). It holds nothing.
            fs::remove_file(&path).map_err(io)?;
            recovery.empty_removed = Some(path);
            return Ok(());
        }
        let header = self.header_of(&path, &file, file_len)?;
        check_name(&path, named, &header)?;
        let first = header.first_seq();
        let (mut end, mut index) = (first, Vec::new());
        let every = if last { INDEX_EVERY } else { INDEX_EVERY_CLOSED };
        // Checked against the largest record of any configuration: a record
        // longer than this node's (a smaller payload_max than it was written
        // with) is no damage, and is refused below, never truncated.
        let (record_max, mut too_long) = (self.options.record_max, None);
        let (mut last_epoch, mut newest, mut commit) = (None, Epoch::ZERO, Seq::ZERO);
        let scanned = scan_segment(&file, &header, super::RECORD_MAX, last, |entry| {
            if entry.event.record.len() > record_max {
                // The first such event, and the largest payload of the segment.
                let (_, payload) = too_long.get_or_insert((entry.seq(), 0));
                *payload = (*payload).max(entry.event.payload.len());
            }
            if (entry.seq() - first).is_multiple_of(every) {
                index.push((entry.seq(), entry.offset as u64));
            }
            end = entry.seq().next();
            last_epoch = Some(entry.epoch);
            newest = newest.max(entry.epoch);
            commit = commit.max(entry.commit.min(entry.seq()));
            true
        })
        .map_err(io)?;
        if let Some((seq, payload)) = too_long {
            return Err(JournalError::TooLong { path, seq, payload, record_max });
        }
        let empty = end == first && !matches!(scanned.end, End::Corrupt { .. });
        let after = Seq(header.after.get());
        if let Some(before) = self.segments.last() {
            // An empty newest segment is removed below, whatever its name.
            if first < before.end && !(empty && last) {
                return Err(JournalError::Overlap { path, expected: before.end, found: first });
            }
            // Records that follow on leave no room for a file gone, whatever
            // the header says.
            if first > before.end && after != Seq::ZERO && after.next() != before.end {
                // Its header says the journal held `after` when it began,
                // but the segments before it end elsewhere: a file gone.
                recovery.missing = Some((path.clone(), before.end, after.next().max(before.end)));
                self.untrusted.push(path);
                return Ok(());
            }
        } else if empty && last && after != Seq::ZERO {
            // The only segment, no record, and its header says the journal
            // held up to `after` when it began: the files before it are gone
            // (or retention deleted them, and the power took this one's
            // records at `--sync none`). Removed, it would leave a journal of
            // nothing, and a sequencer would number a new log from 1.
            recovery.missing = Some((path.clone(), Seq::FIRST, after.next()));
            self.untrusted.push(path);
            return Ok(());
        }
        if empty && last {
            // The newest segment, its header and no record: a roll that a
            // crash cut short (the header goes to disk first, the record in
            // the writes after it). It holds nothing.
            if let End::Torn { offset } = scanned.end {
                recovery.torn = Some((path.clone(), offset as u64, scanned.dirty - offset as u64));
            }
            fs::remove_file(&path).map_err(io)?;
            recovery.empty_removed = Some(path);
            return Ok(());
        }
        if let Some(before) = self.segments.last()
            && first > before.end
        {
            recovery.gaps.push((before.end, first));
        }
        if empty {
            // Not the newest, and no record: no roll leaves one, but a
            // power loss at `--sync none` can keep its header and lose its
            // records (or it was made by hand). Damage where its first
            // record should be: nothing after it is trusted.
            recovery.corrupt = Some((path.clone(), first));
        }
        if let Some(epoch) = last_epoch {
            recovery.last_epoch = epoch;
        }
        recovery.newest_epoch = recovery.newest_epoch.max(newest);
        recovery.commit = recovery.commit.max(commit);
        // Written to only now, once every check passed: a refusal leaves
        // the journal as it found it.
        let (good, mut dirty) = (scanned.good, scanned.dirty);
        match scanned.end {
            End::Torn { offset } => {
                // The write in progress when the node stopped: clear it, so
                // the preallocated zeros mark the end again.
                let torn = dirty - offset as u64;
                let file = OpenOptions::new().write(true).open(&path).map_err(io)?;
                write_zeros(&file, offset as u64, dirty).map_err(io)?;
                file.sync_data().map_err(io)?;
                recovery.torn = Some((path.clone(), offset as u64, torn));
                dirty = good;
            }
            End::Corrupt { .. } => recovery.corrupt = Some((path.clone(), end)),
            End::Clean => {}
        }
        let capacity = header.capacity.get().max(file_len);
        let marks = header.marks_writes();
        self.segments.push(Segment { path, first, end, len: good, dirty, capacity, index, marks });
        Ok(())
    }

    fn commit_path(&self) -> PathBuf {
        self.options.dir.join("commit")
    }

    /// The commit file's commit and its epoch: `None` if there is none, or it is torn
    /// or damaged (it only ever adds to what the records say: noted in
    /// `recovery`); one of another cluster or node is refused, as a segment
    /// would be.
    fn read_commit(&self, recovery: &mut Recovery) -> Result<Option<(Seq, Epoch)>, JournalError> {
        let file = self.read_commit_layout(self.commit_path(), &mut recovery.commit_file_damaged)?;
        Ok(file.map(|file| (Seq(file.commit.get()), file.epoch())))
    }

    /// A file of the commit file's layout at `path` (`commit`, `reach`):
    /// `None` if there is none, or it is torn or damaged (its path noted in
    /// `damaged`); one of another cluster or node is refused.
    fn read_commit_layout(
        &self,
        path: PathBuf,
        damaged: &mut Option<PathBuf>,
    ) -> Result<Option<CommitFile>, JournalError> {
        let bytes = match read_side_file(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(JournalError::Io(path, e)),
        };
        let Ok(file) = CommitFile::parse(&bytes) else {
            *damaged = Some(path);
            return Ok(None);
        };
        self.owned(&path, file.cluster.get(), file.node.get())?;
        Ok(Some(*file))
    }

    /// Records that everything up to `commit` is committed (any node's,
    /// DESIGN §8), learned in a log of `epoch` (0: not known), when no
    /// record it wrote says so: rewritten in place in the page cache, not
    /// synced (see [`CommitFile`]).
    pub fn write_commit(&mut self, commit: Seq, epoch: Epoch) -> Result<(), JournalError> {
        let path = self.commit_path();
        let io = |e| JournalError::Io(path.clone(), e);
        // Never less than the file said: a resumed node knows only what its
        // records hold until it has them again (only a truncation takes
        // back what the records it drops said).
        if commit > self.commit_filed {
            (self.commit_filed, self.commit_epoch) = (commit, epoch);
        }
        let record = CommitFile::new(self.options.cluster, self.options.node, self.commit_filed, self.commit_epoch);
        if let Some(file) = &self.commit_file {
            return self.write_side(file, &record).map_err(io);
        }
        let file = match OpenOptions::new().write(true).open(&path) {
            Ok(file) => {
                self.write_side(&file, &record).map_err(io)?;
                file
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Made whole aside and renamed: a first write that fails
                // (a full disk) leaves no empty file for the next start to
                // call damaged. Synced writes to it (a truncation's) need
                // its name on disk.
                let path = self.place_side("commit", &record, false)?;
                if self.options.sync == SyncLevel::Batch {
                    sync_dir(&self.options.dir)?;
                }
                OpenOptions::new().write(true).open(&path).map_err(|e| JournalError::Io(path, e))?
            }
            Err(e) => return Err(io(e)),
        };
        self.commit_file = Some(file);
        Ok(())
    }

    /// The commit file replaced whole by what `commit_filed` and
    /// `commit_epoch` say, at a truncation: written aside, synced and
    /// renamed (the records that said it are going, and a file torn by a
    /// power loss would fail its CRC and leave nothing). At `none` too: the
    /// cut is synced there as well, and retention may have deleted records
    /// up to that commit, which a power loss taking the file would leave a
    /// hole below the records kept (the log a member's claim names then
    /// no longer held).
    fn replace_commit(&mut self) -> Result<(), JournalError> {
        let record = CommitFile::new(self.options.cluster, self.options.node, self.commit_filed, self.commit_epoch);
        let path = self.replace_synced("commit", &record)?;
        #[cfg(test)]
        self.sides_done.push("commit replaced, synced");
        // Later turns write in place to the file renamed there.
        self.commit_file = Some(OpenOptions::new().write(true).open(&path).map_err(|e| JournalError::Io(path, e))?);
        Ok(())
    }

    /// Makes what [`write_commit`](Self::write_commit) wrote durable (a
    /// copy of a journal, done with it), or what an earlier run wrote
    /// there, which may still be in the page cache alone.
    pub fn sync_commit(&mut self) -> Result<(), JournalError> {
        #[cfg(test)]
        self.sides_done.push("commit synced");
        let io = |e| JournalError::Io(self.commit_path(), e);
        match &self.commit_file {
            Some(file) => file.sync_data().map_err(io),
            None => match File::open(self.commit_path()) {
                Ok(file) => file.sync_data().map_err(io),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(e)),
            },
        }
    }

    fn claim_path(&self) -> PathBuf {
        self.options.dir.join("claim")
    }

    /// Whether a `reach` file lies beside the segments.
    pub fn keeps_reach(&self) -> bool {
        self.reach_kept
    }

    fn reach_path(&self) -> PathBuf {
        self.options.dir.join("reach")
    }

    /// What the `reach` file says (see [`Recovery::reach`]): `None` if
    /// there is none, or it is damaged (torn as it was written: then the
    /// damage it was written for is still on disk, or was dropped with the
    /// file synced before). One of another node is refused.
    fn read_reach(&self, recovery: &mut Recovery) -> Result<Option<Claim>, JournalError> {
        let file = self.read_commit_layout(self.reach_path(), &mut recovery.reach_file_damaged)?;
        Ok(file.map(|file| Claim { epoch: file.epoch(), seq: Seq(file.commit.get()) }))
    }

    /// What the `reach-epoch` file beside the `reach` file of `reach` says
    /// (see [`Recovery::reach_records`]): `None` if there is none, it is
    /// damaged, or it was written for another reach (its sequence not the
    /// reach's: a crash between the two files).
    fn read_reach_epoch(&self, reach: Claim) -> Result<Option<Epoch>, JournalError> {
        let file = self.read_commit_layout(self.options.dir.join(REACH_EPOCH), &mut None)?;
        Ok(file.filter(|file| file.commit.get() == reach.seq.get()).map(|file| file.epoch()))
    }

    /// Keeps `reach` (see [`Recovery::reach`]) in the `reach` file, in the
    /// commit file's layout, written aside, synced and renamed: before a
    /// member drops what lay past damage, so that a restart still knows
    /// how far its journal reached. `records`, the newest epoch its
    /// records may be of ([`Recovery::reach_records`]), goes first to the
    /// `reach-epoch` file, naming the reach's sequence. `None` removes both
    /// (the member holds as much again), the `reach` file first.
    pub fn write_reach(&mut self, reach: Option<Claim>, records: Option<Epoch>) -> Result<(), JournalError> {
        #[cfg(test)]
        self.sides_done.push(if reach.is_some() { "reach written" } else { "reach removed" });
        self.reach_kept = reach.is_some();
        let Some(reach) = reach else {
            self.keep_side("reach", None)?;
            return self.keep_side(REACH_EPOCH, None);
        };
        self.keep_side(REACH_EPOCH, records.map(|records| (reach.seq, records)))?;
        self.keep_side("reach", Some((reach.seq, reach.epoch)))
    }

    /// What the `refused-log` file keeps (see [`write_refused_log`](Self::write_refused_log)).
    pub fn refused_log(&self) -> Option<Epoch> {
        self.refused_log
    }

    /// A follower's (without failover): keeps `epoch`, that of a sequencer
    /// whose log it refused for lacking what it knew committed, in the
    /// `refused-log` file (the commit file's layout), written aside, synced
    /// and renamed, so that a restart still refuses a later sequencer whose
    /// log it cannot check (see `Follower::refused_log`). `None` removes it.
    pub fn write_refused_log(&mut self, epoch: Option<Epoch>) -> Result<(), JournalError> {
        self.refused_log = epoch;
        self.keep_side(REFUSED_LOG, epoch.map(|epoch| (Seq::ZERO, epoch)))
    }

    /// What the `handed-out` file keeps (see [`write_handed_out`](Self::write_handed_out)).
    pub fn handed_out(&self) -> Option<Seq> {
        self.handed_out
    }

    /// A follower's (without failover): keeps `last`, the last sequence its
    /// application may have been handed on receipt past the commit it
    /// knew (the largest sequence: any record it holds), in the
    /// `handed-out` file (the commit file's layout), written aside, synced
    /// and renamed, so that a restart delivering on commit still counts
    /// those records delivered and refuses a sequencer's log without them
    /// (see `Follower::handed_out`). `None` removes it.
    pub fn write_handed_out(&mut self, last: Option<Seq>) -> Result<(), JournalError> {
        self.handed_out = last;
        #[cfg(test)]
        self.sides_done.push(if last.is_some() { "handed-out written" } else { "handed-out removed" });
        self.keep_side(HANDED_OUT, last.map(|last| (last, Epoch::ZERO)))
    }

    /// A sequencer's: keeps `epoch`, the one it starts, in the `led-epoch`
    /// file (the commit file's layout), written aside, synced and renamed
    /// before it sends anything, so that a later sequencer on this journal
    /// refuses to start that epoch again (a run whose records never reached
    /// the disk leaves followers holding that epoch's events all the same).
    pub fn write_led_epoch(&mut self, epoch: Epoch) -> Result<(), JournalError> {
        self.keep_side(LED_EPOCH, Some((Seq::ZERO, epoch)))
    }

    /// The file `name` beside the segments, in the commit file's layout,
    /// replaced whole by a sequence and an epoch (see
    /// [`replace_synced`](Self::replace_synced)); `None` removes it.
    fn keep_side(&self, name: &str, kept: Option<(Seq, Epoch)>) -> Result<(), JournalError> {
        let path = self.options.dir.join(name);
        let Some((seq, epoch)) = kept else { return self.remove_side(&path) };
        let record = CommitFile::new(self.options.cluster, self.options.node, seq, epoch);
        self.replace_synced(name, &record).map(drop)
    }

    /// Removes the file at `path` beside the segments, if there is one.
    fn remove_side(&self, path: &Path) -> Result<(), JournalError> {
        match fs::remove_file(path) {
            Ok(()) => sync_dir(&self.options.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(JournalError::Io(path.to_path_buf(), e)),
        }
    }

    /// The file `name` beside the segments replaced whole by `record`:
    /// written as `name.new`, synced, renamed, the directory synced (a
    /// file torn by a power loss would fail its CRC and say nothing).
    /// Returns its path.
    fn replace_synced(&self, name: &str, record: &CommitFile) -> Result<PathBuf, JournalError> {
        let path = self.place_side(name, record, true)?;
        sync_dir(&self.options.dir)?;
        Ok(path)
    }

    /// The file `name` beside the segments replaced whole by `record`,
    /// written as `name.new` (synced if `sync`) and renamed; the directory
    /// is left to the caller. An aside file that could not be written is
    /// removed. Returns its path.
    fn place_side(&self, name: &str, record: &CommitFile, sync: bool) -> Result<PathBuf, JournalError> {
        let (path, aside) = (self.options.dir.join(name), self.options.dir.join(format!("{name}.new")));
        let io = |e| JournalError::Io(aside.clone(), e);
        let file = File::create(&aside).map_err(io)?;
        let written = self.write_side(&file, record);
        if let Err(e) = written.and_then(|()| if sync { file.sync_data() } else { Ok(()) }) {
            // Best effort: a leftover aside file is only ever replaced.
            let _ = fs::remove_file(&aside);
            return Err(io(e));
        }
        fs::rename(&aside, &path).map_err(io)?;
        Ok(path)
    }

    /// Writes `record` at the start of `file`, a file beside the segments.
    fn write_side(&self, file: &File, record: &CommitFile) -> io::Result<()> {
        #[cfg(test)]
        if self.disk_full {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        file.write_all_at(zerocopy::IntoBytes::as_bytes(record), 0)
    }

    /// The claim, and the shape it was kept in (0: unknown).
    fn read_claim(&self) -> Result<Option<(Claimed, u32)>, JournalError> {
        let path = self.claim_path();
        let bytes = match read_side_file(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(JournalError::Io(path, e)),
        };
        let claim = ClaimFile::parse(&bytes).map_err(|e| JournalError::Claim(path.clone(), e))?;
        self.owned(&path, claim.cluster.get(), claim.node.get())?;
        Ok(Some(((claim.log_epoch(), claim.whole == 1, claim.promised()), claim.shape())))
    }

    /// Removes a member's claim (one it can no longer vouch for: see
    /// [`Member::promise_unknown`](crate::core::Member::promise_unknown)),
    /// synced as the level says. A restart then asks the others where they
    /// are fenced, as one without a claim file does.
    pub fn remove_claim(&mut self) -> Result<(), JournalError> {
        let path = self.claim_path();
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(JournalError::Io(path, e)),
        }
        if self.options.sync == SyncLevel::Batch {
            sync_dir(&self.options.dir)?;
        }
        Ok(())
    }

    /// Replaces a member's claim (DESIGN §8): what its journal's log may
    /// claim in an election after a restart, and the epoch it `promised`.
    /// Written aside and renamed over the old one, synced as the level
    /// says, before returning.
    pub fn write_claim(&mut self, epoch: Epoch, whole: bool, promised: Epoch) -> Result<(), JournalError> {
        #[cfg(test)]
        self.sides_done.push(if whole { "claim written whole" } else { "claim written" });
        let (path, aside) = (self.claim_path(), self.options.dir.join("claim.new"));
        let (cluster, node, shape) = (self.options.cluster, self.options.node, self.options.shape);
        let claim = ClaimFile::new(cluster, node, epoch, whole, promised, shape);
        let io = |e| JournalError::Io(aside.clone(), e);
        let file = File::create(&aside).map_err(io)?;
        file.write_all_at(zerocopy::IntoBytes::as_bytes(&claim), 0).map_err(io)?;
        if self.options.sync == SyncLevel::Batch {
            file.sync_data().map_err(io)?;
        }
        fs::rename(&aside, &path).map_err(io)?;
        if self.options.sync == SyncLevel::Batch {
            let dir = &self.options.dir;
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| JournalError::Dir(dir.clone(), e))?;
        }
        Ok(())
    }

    /// A member refused the cluster's log (its leader was elected on a log
    /// short of what this journal holds committed, DESIGN §8): `why`, kept
    /// in a text file beside the segments, synced whatever the level, and
    /// [`open`](Self::open) refuses the journal from then on, until an
    /// operator removes the file. In memory a member refuses that leader
    /// and every later one (whose log grew from it); after a restart it
    /// could tell a later one from a whole log only by its start, which
    /// such a log may pass.
    pub fn write_refused(&mut self, why: &str) -> Result<(), JournalError> {
        let (path, aside) = (self.options.dir.join(REFUSED), self.options.dir.join("refused.new"));
        let io = |e| JournalError::Io(aside.clone(), e);
        let file = File::create(&aside).map_err(io)?;
        file.write_all_at(format!("{why}\n").as_bytes(), 0).map_err(io)?;
        file.sync_data().map_err(io)?;
        fs::rename(&aside, &path).map_err(io)?;
        sync_dir(&self.options.dir)
    }

    /// The epoch of its last record (0: none).
    pub fn last_epoch(&self) -> Epoch {
        self.last_epoch
    }

    /// The sequence the next append must have ([`Seq::ZERO`]: any, the
    /// journal is empty).
    pub fn next(&self) -> Seq {
        self.next
    }

    /// The last sequence written and synced at the configured level.
    pub fn durable(&self) -> Seq {
        self.durable
    }

    /// The options it was opened with.
    pub fn options(&self) -> &JournalOptions {
        &self.options
    }

    /// The oldest sequence still kept ([`Seq::ZERO`]: none).
    pub fn first(&self) -> Seq {
        self.segments.iter().find(|s| s.end > s.first).map_or(Seq::ZERO, |s| s.first)
    }

    /// Where the segment after `seq` starts, if `seq` lies between two
    /// segments: sequences this node never held (it was told they were
    /// lost), or a segment file that went missing. None when a segment
    /// holds it, or it is below the first or past the last.
    pub fn gap_at(&self, seq: Seq) -> Option<Seq> {
        if seq < self.first() {
            return None;
        }
        let after = self.segments.iter().find(|s| s.end > s.first && s.end > seq)?;
        (after.first > seq).then_some(after.first)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.options.dir
    }

    /// The durability level.
    pub fn sync_level(&self) -> SyncLevel {
        self.options.sync
    }

    /// Queues the event record `record` of `epoch`, written knowing
    /// `commit`, for the next [`flush`](Self::flush). Sequences only go up;
    /// one past a gap (what the node was told is lost) starts a new segment.
    pub fn append(&mut self, epoch: Epoch, commit: Seq, record: &[u8]) -> Result<(), JournalError> {
        let seq = EventHeader::ref_from_prefix(record).map(|(h, _)| h.seq()).unwrap_or(Seq::ZERO);
        // Past a corrupt record in the newest segment lie bytes of old
        // records, which records written at its place would leave behind.
        let damaged_tail = self.segments.last().filter(|s| s.dirty > s.len).map(|s| &s.path);
        if let Some(path) = self.untrusted.first().or(damaged_tail) {
            return Err(JournalError::Io(path.clone(), io::Error::other("damaged journal: truncate it first")));
        }
        if seq == Seq::ZERO || seq < self.next {
            return Err(JournalError::OutOfOrder { expected: self.next, found: seq });
        }
        let fits = self.next == seq
            && self
                .segments
                .last()
                .is_some_and(|s| s.len + (self.pending.len() + journal_len(record.len())) as u64 <= s.capacity);
        if !fits {
            self.write_pending()?;
            self.roll(seq, epoch)?;
        }
        if let Some(segment) = self.segments.last_mut()
            && (seq - segment.first).is_multiple_of(INDEX_EVERY)
        {
            segment.index.push((seq, segment.len + self.pending.len() as u64));
        }
        encode_unsealed(&mut self.pending, epoch, commit, record);
        self.next = seq.next();
        self.committed = self.committed.max(commit);
        self.last_epoch = epoch;
        Ok(())
    }

    /// Writes what was appended so far (to the page cache), syncing nothing.
    pub fn write(&mut self) -> Result<(), JournalError> {
        self.write_pending()
    }

    /// True when the journal syncs what it writes (`--sync batch`).
    pub fn syncs(&self) -> bool {
        self.options.sync == SyncLevel::Batch
    }

    /// Writes what was appended since the last flush and syncs what was
    /// written since the last as the level says; returns the last durable
    /// sequence.
    pub fn flush(&mut self) -> Result<Seq, JournalError> {
        self.write_pending()?;
        if self.durable == self.next.prev() {
            return Ok(self.durable);
        }
        if self.options.sync == SyncLevel::Batch
            && let (Some(file), Some(segment)) = (&self.file, self.segments.last())
        {
            file.sync_data().map_err(|e| JournalError::Io(segment.path.clone(), e))?;
        }
        self.durable = self.next.prev();
        self.retain();
        Ok(self.durable)
    }

    fn write_pending(&mut self) -> Result<(), JournalError> {
        let (Some(file), Some(segment)) = (&self.file, self.segments.last_mut()) else { return Ok(()) };
        if self.pending.is_empty() {
            return Ok(());
        }
        if segment.marks {
            format::mark_write_start(&mut self.pending);
        }
        seal_records(&mut self.pending);
        file.write_all_at(&self.pending, segment.len).map_err(|e| JournalError::Io(segment.path.clone(), e))?;
        segment.len += self.pending.len() as u64;
        segment.dirty = segment.dirty.max(segment.len);
        segment.end = self.next;
        self.pending.clear();
        Ok(())
    }

    /// Starts a new segment whose first record is `first`, in `epoch`.
    fn roll(&mut self, first: Seq, epoch: Epoch) -> Result<(), JournalError> {
        if let Some(closed) = self.segments.last_mut() {
            let start = closed.first;
            closed.index.retain(|&(seq, _)| (seq - start).is_multiple_of(INDEX_EVERY_CLOSED));
            closed.index.shrink_to_fit();
        }
        // At `batch` what the old segment holds is durable before the new
        // one is used, and the new file and its name survive a power loss.
        // At `none` the page cache is the promise: no sync holds the turn up.
        let batch = self.options.sync == SyncLevel::Batch;
        if batch && let (Some(file), Some(segment)) = (&self.file, self.segments.last()) {
            file.sync_data().map_err(|e| JournalError::Io(segment.path.clone(), e))?;
        }
        let path = self.options.dir.join(segment_name(first));
        let io = |e| JournalError::Io(path.clone(), e);
        let capacity = self.options.segment_bytes.max(4096);
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(&path).map_err(io)?;
        let after = self.segments.last().map_or(Seq::ZERO, |s| Seq(s.end.get().saturating_sub(1)));
        let header = SegmentHeader::new(self.options.cluster, self.options.node, (first, after), epoch, capacity);
        let made = crate::sys::preallocate(&file, capacity).and_then(|()| file.write_all_at(header.as_bytes(), 0));
        if let Err(e) = made {
            // A full disk: the file holds nothing, and left there it would
            // stop the restart that follows freeing space.
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(io(e));
        }
        if batch {
            file.sync_data().map_err(io)?;
            File::open(&self.options.dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        let len = size_of::<SegmentHeader>() as u64;
        let (index, marks) = (Vec::new(), true);
        self.segments.push(Segment { path, first, end: first, len, dirty: len, capacity, index, marks });
        self.file = Some(file);
        Ok(())
    }

    /// Deletes the oldest whole segments while the journal holds more than
    /// the retention allows (never the segment being written, nor one with
    /// a record past what is known committed).
    /// Why retention stopped, once: the node says so and goes on (what it
    /// could not delete holds records already durable).
    pub fn take_retention_error(&mut self) -> Option<JournalError> {
        self.retention.as_mut().err().and_then(Option::take)
    }

    /// Retention keeps the segments that hold `next` or later: the node
    /// has not yet handed them to its application, which a crash would
    /// otherwise leave without them (a restart replays from the first
    /// record kept). Unset, retention goes by the commit alone.
    pub fn keep_unhanded(&mut self, next: Seq) {
        self.unhanded = next;
    }

    /// Deletes old segments as the retention options say: after each
    /// flush, and when a node takes the journal it opened (helper 143:
    /// restarted with a tighter retention on a full disk, it needed the
    /// room before its first new segment). A delete that fails stops
    /// retention ([`take_retention_error`](Self::take_retention_error))
    /// rather than the journal.
    pub fn retain(&mut self) {
        if self.retention.is_ok()
            && let Err(e) = self.retain_segments()
        {
            self.retention = Err(Some(e));
        }
    }

    fn retain_segments(&mut self) -> Result<(), JournalError> {
        let bytes = |segments: &[Segment]| segments.iter().map(|s| s.len).sum::<u64>();
        let events = |segments: &[Segment]| segments.iter().map(|s| s.end - s.first).sum::<u64>();
        // The newest committed record stays: it says where the log and its
        // commit reach should a truncation drop every record after it.
        while self.segments.len() > 1
            && self.segments[0].end <= self.committed.next().min(self.unhanded)
            && self.segments[1].first <= self.committed
        {
            let (after_bytes, after_events) = (bytes(&self.segments[1..]), events(&self.segments[1..]));
            let over_bytes =
                self.options.retain_bytes.is_some_and(|max| bytes(&self.segments) > max && after_bytes > 0);
            let over_events = self.options.retain_events.is_some_and(|max| after_events >= max);
            if !over_bytes && !over_events {
                break;
            }
            let oldest = &self.segments[0];
            fs::remove_file(&oldest.path).map_err(|e| JournalError::Io(oldest.path.clone(), e))?;
            self.segments.remove(0);
            if self.options.sync == SyncLevel::Batch {
                // Or a power loss could bring back one deleted segment of
                // several, as a hole before the next.
                sync_dir(&self.options.dir)?;
            }
        }
        Ok(())
    }

    /// Drops every record after `last` (a follower taking a new leader's
    /// log drops what it held past the commit): later segments are
    /// deleted, and the bytes in the segment that holds `last` are zeroed
    /// and synced, so recovery never mistakes them for records.
    pub fn truncate(&mut self, last: Seq) -> Result<(), JournalError> {
        self.truncate_knowing(last, (Seq::ZERO, Epoch::ZERO))
    }

    /// [`truncate`](Self::truncate), the commit file then saying at least
    /// `known.0`, though past `last`, learned in the log of epoch `known.1`:
    /// what the node still knows committed of the records it drops, which
    /// the log it takes reaches (a follower of a sequencer). Recovery
    /// reports it as [`Recovery::commit_file_beyond`] until records reach
    /// it again; without it, a power loss (or a crash) before the next
    /// log's records are durable would leave the journal knowing only `last`.
    pub fn truncate_knowing(&mut self, last: Seq, known: (Seq, Epoch)) -> Result<(), JournalError> {
        // First, what the records about to go say of it goes into the
        // commit file (synced), or a crash or a power loss
        // between the cut and the file's write below would leave it
        // knowing neither. No more than they say, and no further than
        // what is kept or known (what the file keeps after the cut): until
        // they go, the file's commit at or below their last is read as theirs.
        // In their epoch: until the cut, what a restart reads is their log,
        // not yet the one taken (whose check then runs again).
        let said = self.committed.max(self.commit_filed).min(known.0.max(last));
        if said > self.commit_filed {
            (self.commit_filed, self.commit_epoch) = (said, self.last_epoch);
            self.replace_commit()?;
        }
        self.generation += 1;
        self.write_pending()?;
        let mut removed = !self.untrusted.is_empty();
        for path in self.untrusted.drain(..) {
            fs::remove_file(&path).map_err(|e| JournalError::Io(path.clone(), e))?;
        }
        while self.segments.last().is_some_and(|s| s.first > last) {
            let gone = self.segments.pop().expect("checked");
            fs::remove_file(&gone.path).map_err(|e| JournalError::Io(gone.path.clone(), e))?;
            (self.file, removed) = (None, true);
        }
        if removed && self.options.sync == SyncLevel::Batch {
            // Or a power loss could bring a segment of the dropped records
            // back beside the records written in their place.
            sync_dir(&self.options.dir)?;
        }
        match self.segments.last_mut() {
            Some(_) => self.cut_newest(last)?,
            None => (self.next, self.durable) = (Seq::ZERO, Seq::ZERO),
        }
        #[cfg(test)]
        if self.crash_after_cut {
            return Err(JournalError::Io(self.commit_path(), io::Error::other("crashed after the cut")));
        }
        // The records dropped may have been all that said how far the
        // commit reached, and retention may have gone by it: the commit
        // file says it now, synced, or after a power loss the
        // records left would show a hole above their commit.
        // A commit past `last` came with records of another log (a member
        // that took a new leader's, then stood with its own again): it
        // goes with them, from what retention keeps and from the file.
        let committed = self.committed.max(self.commit_filed).min(last);
        let (known, epoch) = known;
        let filed = committed.max(known);
        if filed > Seq::ZERO || self.commit_filed > Seq::ZERO {
            // Its epoch, where what is known is what the file keeps.
            let epoch = if known >= committed { epoch } else { self.commit_epoch };
            (self.commit_filed, self.commit_epoch) = (filed, epoch);
            self.replace_commit()?;
        }
        (self.committed, self.commit_filed) = (committed, filed);
        Ok(())
    }

    /// Drops the records after `last` from the newest segment, which holds
    /// `last` (see [`truncate_knowing`](Self::truncate_knowing)).
    fn cut_newest(&mut self, last: Seq) -> Result<(), JournalError> {
        let segment = self.segments.last_mut().expect("a segment");
        let io = |e| JournalError::Io(segment.path.clone(), e);
        if segment.end > last.next() || segment.dirty > segment.len {
            let cut = match segment.end > last.next() {
                true => offset_of(segment, last.next(), self.options.record_max)?,
                false => segment.len,
            };
            let file = OpenOptions::new().write(true).open(&segment.path).map_err(io)?;
            write_zeros(&file, cut, segment.dirty.max(segment.len)).map_err(io)?;
            file.sync_data().map_err(io)?;
            (segment.len, segment.dirty, segment.end) = (cut, cut, segment.end.min(last.next()));
            segment.index.retain(|&(seq, _)| seq <= last);
        }
        if self.file.is_none() {
            self.file = Some(OpenOptions::new().write(true).open(&segment.path).map_err(io)?);
        }
        self.next = segment.end;
        self.durable = self.durable.min(segment.end.prev());
        Ok(())
    }

    /// Calls `visit` for each record from `from` (or the oldest kept) up to
    /// `end` (exclusive), at most `max` of them, in order; returns the
    /// sequence after the last one visited. It reads only the part of each
    /// segment it needs, a chunk at a time, from its index.
    pub fn read(&self, from: Seq, end: Seq, max: usize, visit: impl FnMut(Entry<'_>)) -> Result<Seq, JournalError> {
        self.read_on(&mut ReadPos::default(), from, end, (max, usize::MAX), visit)
    }

    /// As [`read`](Self::read), at most `max.0` records and, once one is
    /// visited, no more once `max.1` bytes of records were; where `pos` says
    /// the last read stopped at `from`, it starts there, and it leaves in
    /// `pos` where it stopped: a catch-up served a few hundred records a
    /// turn reads each record once.
    pub fn read_on(
        &self,
        pos: &mut ReadPos,
        from: Seq,
        end: Seq,
        max: (usize, usize),
        mut visit: impl FnMut(Entry<'_>),
    ) -> Result<Seq, JournalError> {
        let mut next = from.max(self.first());
        let (mut left, mut bytes_left) = max;
        let one = journal_len(self.options.record_max);
        // Records are often far shorter than the largest: a chunk at a time,
        // so that little is read past the last one wanted.
        let wanted = max.0.saturating_mul(one).min(max.1.saturating_add(one));
        let chunk = wanted.clamp(2 * one, READ_CHUNK_RECORDS.max(2 * one));
        for segment in &self.segments {
            if left == 0 || next >= end || segment.first >= end {
                break;
            }
            if segment.end <= next {
                continue;
            }
            let io = |e| JournalError::Io(segment.path.clone(), e);
            let same = pos.generation == self.generation && pos.segment == segment.first;
            let file = match pos.file.take().filter(|_| same) {
                Some(file) => file,
                None => File::open(&segment.path).map_err(io)?,
            };
            let at = segment.index.partition_point(|&(seq, _)| seq <= next);
            let (mut seq, mut offset) = if same && pos.seq == next && pos.offset <= segment.len {
                (pos.seq, pos.offset)
            } else {
                at.checked_sub(1).map_or((segment.first, size_of::<SegmentHeader>() as u64), |i| segment.index[i])
            };
            let mut buf = std::mem::take(&mut pos.buf);
            while left > 0 && next < end && offset < segment.len {
                let len = chunk.min((segment.len - offset) as usize);
                if buf.len() < len {
                    buf.resize(len, 0);
                }
                let buf = &mut buf[..len];
                file.read_exact_at(buf, offset).map_err(io)?;
                let mut scan = Scan::from(buf, 0, seq, self.options.record_max);
                scan.skip_before(next);
                seq = scan.next_seq();
                for entry in scan.by_ref() {
                    seq = entry.seq().next();
                    if entry.seq() >= next && entry.seq() < end && left > 0 {
                        next = seq;
                        bytes_left = bytes_left.saturating_sub(entry.event.record.len());
                        left = if bytes_left == 0 { 0 } else { left - 1 };
                        visit(entry);
                    }
                    if left == 0 || seq >= end {
                        // What the chunk holds beyond is not checked for nothing.
                        break;
                    }
                }
                if scan.good_len() == 0 {
                    if left > 0 && next < end {
                        // Neither the limit nor the range stopped the scan
                        // short of the segment's end: a record fails its
                        // CRC, and nothing is skipped without a word. Its
                        // length cannot be trusted either: reads resume at
                        // the next record the index places, or the next
                        // segment.
                        let indexed = segment.index.iter().find(|&&(at, _)| at > seq).map(|&(at, _)| at);
                        let next_segment = self.segments.iter().find(|s| s.first > seq).map(|s| s.first);
                        let resumes = indexed.or(next_segment).unwrap_or(self.next);
                        return Err(JournalError::Damaged { path: segment.path.clone(), seq, resumes });
                    }
                    break;
                }
                offset += scan.good_len() as u64;
                // The record of `seq` (not yet visited) starts at `offset`.
                (pos.generation, pos.segment, pos.seq, pos.offset) = (self.generation, segment.first, seq, offset);
            }
            pos.buf = buf;
            if pos.generation == self.generation && pos.segment == segment.first {
                pos.file = Some(file);
            }
        }
        Ok(next)
    }
}

/// The offset of `seq`'s record in `segment` (its end if none).
fn offset_of(segment: &Segment, seq: Seq, record_max: usize) -> Result<u64, JournalError> {
    let io = |e| JournalError::Io(segment.path.clone(), e);
    let file = File::open(&segment.path).map_err(io)?;
    let at = segment.index.partition_point(|&(s, _)| s <= seq);
    let (mut next, mut offset) =
        at.checked_sub(1).map_or((segment.first, size_of::<SegmentHeader>() as u64), |i| segment.index[i]);
    let mut buf = Vec::new();
    while offset < segment.len {
        buf.resize(READ_CHUNK.max(2 * journal_len(record_max)).min((segment.len - offset) as usize), 0);
        file.read_exact_at(&mut buf, offset).map_err(io)?;
        let mut scan = Scan::from(&buf, 0, next, record_max);
        scan.skip_before(seq);
        next = scan.next_seq();
        for entry in scan.by_ref() {
            if entry.seq() == seq {
                return Ok(offset + entry.offset as u64);
            }
            next = entry.seq().next();
        }
        if scan.good_len() == 0 {
            break;
        }
        offset += scan.good_len() as u64;
    }
    // The segment holds `seq` (its callers ask only for such), yet the scan
    // stopped short of it: a record before it, or it, is damaged. Cutting
    // nowhere would leave what follows `seq` in place, and new records
    // written after it would be lost behind the damage at the next open.
    Err(JournalError::Damaged { path: segment.path.clone(), seq: next, resumes: seq })
}

/// How far past a record's start [`Scan`] may look to judge it: the record,
/// and the next two records' worth for one valid after a bad one.
fn lookahead(record_max: usize) -> usize {
    3 * journal_len(record_max) + 8
}

/// What [`scan_segment`] found in one segment file.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scanned {
    /// How its records ended, offsets in the file.
    pub end: End,
    /// Offset just past its last good record.
    pub good: u64,
    /// The sequence after its last good record.
    pub next: Seq,
    /// Offset just past the last byte that is not zero (at least `good`).
    pub dirty: u64,
}

/// Checks every record of the segment `file` from the one of `first` (just
/// after the header) as [`Scan`] does over the whole file, a chunk at a
/// time into one buffer, calling `visit` for each good one (its offset in
/// the file) until it returns false: a journal of gigabytes is checked at
/// the speed the files read, without holding a whole 64 MiB segment in
/// memory. Where a scan stops near the end of a chunk, the next chunk
/// starts at that record, so that the judgement (clean end, torn record,
/// corrupt one) sees what follows it. Stopped by `visit`, it reports a
/// clean end after the last record visited.
///
/// Zeros where a record should start end the records cleanly only if
/// nothing but zeros follows: records after them make it damage in the
/// middle (a zeroed range), anything else a torn tail. In a segment that
/// is not the `last`, records stopped short of its end by a bad one are
/// damage in the middle too: the next segment was started after them.
/// In the last, when its format marks writes, damage with records after
/// it is a torn tail if it is what a power loss leaves of the last write:
/// a sector of the damaged record never written (it reads as before: zeros
/// from where the write began), and no record after it that starts a
/// write. Only a later write shows that what lay before it was on disk:
/// at `--sync batch` each write follows the sync of the one before.
pub(super) fn scan_segment(
    file: &File,
    header: &SegmentHeader,
    record_max: usize,
    last: bool,
    mut visit: impl FnMut(Entry<'_>) -> bool,
) -> io::Result<Scanned> {
    let first = header.first_seq();
    let file_len = file.metadata()?.len();
    let ahead = lookahead(record_max);
    let mut buf = vec![0; READ_CHUNK.max(4 * ahead)];
    let (mut offset, mut next) = (size_of::<SegmentHeader>() as u64, first);
    let (end, good) = loop {
        let n = (buf.len() as u64).min(file_len.saturating_sub(offset)) as usize;
        file.read_exact_at(&mut buf[..n], offset)?;
        let mut scan = Scan::from(&buf[..n], 0, next, record_max);
        for entry in scan.by_ref() {
            if !visit(Entry { offset: offset as usize + entry.offset, ..entry }) {
                let (good, next) = (offset + (entry.offset + entry.len()) as u64, entry.seq().next());
                return Ok(Scanned { end: End::Clean, good, next, dirty: good });
            }
        }
        let good = scan.good_len();
        next = scan.next_seq();
        if offset + (n as u64) < file_len && n - good < ahead {
            offset += good as u64;
            continue;
        }
        let end = match scan.end().unwrap_or(End::Clean) {
            End::Clean => End::Clean,
            End::Torn { offset: at } => End::Torn { offset: offset as usize + at },
            End::Corrupt { offset: at, seq } => End::Corrupt { offset: offset as usize + at, seq },
        };
        break (end, offset + good as u64);
    };
    let dirty = last_nonzero(file, good, file_len)?;
    let end = match end {
        End::Clean if dirty > good => match record_within(file, (good, dirty), record_max, next, false)? {
            Some(_) => End::Corrupt { offset: good as usize, seq: next },
            None => End::Torn { offset: good as usize },
        },
        end => end,
    };
    let end = match end {
        End::Torn { offset } if !last => End::Corrupt { offset, seq: next },
        // Bytes that are no record, longer than the scan looks past, with
        // a record after them: damage in the middle, as zeros are.
        End::Torn { offset } if record_within(file, (good + 8, dirty), record_max, next, false)?.is_some() => {
            End::Corrupt { offset, seq: next }
        }
        end => end,
    };
    let end = match end {
        // Records after the damage, none of them a write's first: all in
        // the write the damage is in, the last, which a power loss cut.
        End::Corrupt { offset, seq } if last && header.marks_writes() => {
            let at = offset as u64;
            let lost = match record_within(file, (at + 8, dirty), record_max, seq, false)? {
                Some(after) => sector_never_written(file, at, after)?,
                None => false,
            };
            match lost && record_within(file, (at + 8, dirty), record_max, seq, true)?.is_none() {
                true => End::Torn { offset },
                false => End::Corrupt { offset, seq },
            }
        }
        end => end,
    };
    Ok(Scanned { end, good, next, dirty })
}

/// The file a member that refused the cluster's log leaves beside its
/// journal (see [`Journal::write_refused`]).
pub const REFUSED: &str = "refused";

/// The file where a follower keeps the epoch of a sequencer whose log it
/// refused (see [`Journal::write_refused_log`]).
pub const REFUSED_LOG: &str = "refused-log";

/// The file beside a `reach` file that keeps the newest epoch of the
/// records it stands for ([`Journal::write_reach`]).
pub const REACH_EPOCH: &str = "reach-epoch";

/// The file where a sequencer keeps the epoch it started (see
/// [`Journal::write_led_epoch`]).
pub const LED_EPOCH: &str = "led-epoch";

/// The file where a follower that delivers on receipt keeps how far its
/// application may have been handed events past its commit (see
/// [`Journal::write_handed_out`]).
pub const HANDED_OUT: &str = "handed-out";

/// What the `refused` file in `dir` says, if there is one (see
/// [`Journal::write_refused`]).
pub(super) fn read_refused(dir: &Path) -> Result<Option<String>, JournalError> {
    let path = dir.join(REFUSED);
    match read_side_file(&path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).trim().to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JournalError::Io(path, e)),
    }
}

/// The bytes of a file beside the segments (`claim`, `commit`): no more
/// than a few times its size, however large the file (it is input, and
/// one longer than its layout is damaged whatever follows).
pub(super) fn read_side_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(4096).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Writes zeros over `file`'s bytes `[from, to)`, a chunk at a time (a
/// damaged range can be as long as the file).
fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    let zeros = vec![0; READ_CHUNK];
    let mut at = from;
    while at < to {
        let n = (to - at).min(READ_CHUNK as u64) as usize;
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// The unit a disk writes whole, or not at all.
const SECTOR: u64 = 512;

/// Whether the damaged record at `at` lost its head with a sector the
/// write never put on disk: one that reads as it did before (a
/// preallocated segment holds zeros past the last record written; a
/// sector is written whole or not at all). Either the sector it starts
/// in reads zero from it on (its header lost), or its event header, all
/// of it, lies in the next sector, which reads zero throughout. A synced
/// record's head never reads zero, nor does it after one flipped bit: its
/// length is at least 32 and its CRC is there, and its event header holds
/// a sequence and a stamp, neither 0. Zeros anywhere else prove nothing
/// (a payload may hold them), so a power loss that took only a sector
/// past a record's head is reported as damage in the middle.
fn sector_never_written(file: &File, at: u64, after: u64) -> io::Result<bool> {
    let next = at - at % SECTOR + SECTOR;
    // No more than the two sectors looked at: `after` may lie far on.
    let mut bytes = vec![0; (after.min(next + SECTOR) - at) as usize];
    file.read_exact_at(&mut bytes, at)?;
    let zero =
        |from: u64, to: u64| to <= after && bytes[(from - at) as usize..(to - at) as usize].iter().all(|&b| b == 0);
    let event_header = at + size_of::<RecordHeader>() as u64;
    Ok(zero(at, next) || (next <= event_header && zero(next, next + SECTOR)))
}

/// Where the first whole record of sequence `at_least` or later that
/// passes its CRC (with `write_start`, one that starts a write) starts in
/// `file` between `from` and `end`, at an 8-byte step.
fn record_within(
    file: &File,
    (from, end): (u64, u64),
    record_max: usize,
    at_least: Seq,
    write_start: bool,
) -> io::Result<Option<u64>> {
    let one = journal_len(record_max);
    let mut buf = vec![0; READ_CHUNK.max(4 * one)];
    let file_len = file.metadata()?.len();
    let mut offset = from & !7;
    while offset < end {
        let n = (buf.len() as u64).min(file_len - offset) as usize;
        file.read_exact_at(&mut buf[..n], offset)?;
        // A record that starts near the chunk's end is looked at whole in
        // the next, which starts at an 8-byte step as records do.
        let limit = if offset + (n as u64) < file_len { (n - one) & !7 } else { n };
        let limit = limit.min((end - offset) as usize);
        if let Some(at) = format::valid_record_within(&buf[..n], (0, limit), record_max, at_least, write_start) {
            return Ok(Some(offset + at as u64));
        }
        offset += limit as u64;
    }
    Ok(None)
}

/// How far a journal damaged in the middle reached (see
/// [`Recovery::reach`]), read without changing it (`seqcast journal
/// verify` says it before a member starts): the last good record past the
/// damage, in its segment (`damaged`: its file, and the offset and sequence
/// of the bad record) and in the `untrusted` segments after it; where none
/// lies past it, the damaged sequence `at`, in the epoch of its claim where
/// that is newer than `last_epoch`, the last record kept's: the damaged
/// record's own is unknown, and its log was that leader's, as a whole
/// member's claim would say (the simulator's seed 12003938 of `--failover
/// --journal --damages 2 --promotions 2 --count-incomplete`: damage at
/// sequence 1 reached epoch 0, below any candidate's log). Where records
/// are found past it, their epochs, not that bound's: the claim's epoch
/// refused for good every member holding a log a new leader took before
/// it sequenced anything (seed 13005839, see [`Reach::covered_by`]). So
/// a record of an older epoch inside the last record's payload, a
/// client's, with that record damaged, passes for the last (helper 155):
/// the one way a client's bytes can lower a reach, and only its epoch.
/// `claim`: the claim file's log epoch and the newest epoch it promised,
/// if there is one.
///
/// [`Reach::covered_by`]: crate::core::Reach::covered_by
pub fn damage_reach(
    damaged: Option<(&Path, u64, Seq)>,
    untrusted: &[PathBuf],
    at: Option<Seq>,
    last_epoch: Epoch,
    claim: Option<(Epoch, Epoch)>,
) -> Option<Claim> {
    let log_epoch = claim.map_or(Epoch::ZERO, |(epoch, _)| epoch);
    let bound = at.map(|seq| Claim { epoch: last_epoch.max(log_epoch), seq });
    // No record past it is older than the last kept, nor newer than the
    // newest epoch the member promised (where it kept a claim).
    let epochs = (last_epoch, claim.map_or(Epoch::MAX, |(_, promised)| promised));
    // Records as long as any build writes, as recovery reads them (a
    // payload_max lowered since must not hide them).
    let record_max = super::RECORD_MAX;
    let mut reach = None;
    if let Some((path, offset, seq)) = damaged
        && let Ok(file) = File::open(path)
    {
        reach = higher(reach, reach_past(&file, (offset, seq), epochs, record_max));
    }
    for path in untrusted {
        reach = higher(reach, segment_reach(path, epochs, record_max));
    }
    reach.or(bound)
}

/// How far the records of the segment `file` reach from `from`, where the
/// record of `seq` starts (a damaged one, or a damaged segment's first):
/// the highest epoch and the highest sequence of its good records from
/// there on. Records are read one after another as a scan reads them;
/// where they stop (damage, which may span several records or lie in more
/// than one place), the next is looked for at 8-byte steps, from that
/// place on, as [`record_within`] finds one.
/// Never one of an epoch outside `epochs` (the last kept record's, and
/// the newest the member promised), nor one of a sequence no record at its
/// place can have (one inside an event's payload, a client's bytes that
/// may look like records: helper 148): each record before it takes at
/// least a record of an empty event. A record of a client's making that
/// passes both raises the reach (the member then grants less), never
/// lowers it: the highest epoch and sequence are taken apart.
fn reach_past(file: &File, (from, seq): (u64, Seq), epochs: (Epoch, Epoch), record_max: usize) -> Option<Claim> {
    let mut reach = None;
    // An I/O error keeps what was found before it.
    let _ = walk_past(file, (from, seq), epochs, record_max, &mut reach);
    reach
}

/// [`reach_past`]'s walk, raising `reach` for each record it takes.
fn walk_past(
    file: &File,
    (from, seq): (u64, Seq),
    epochs: (Epoch, Epoch),
    record_max: usize,
    reach: &mut Option<Claim>,
) -> io::Result<()> {
    const LEAST: u64 = journal_len(size_of::<EventHeader>()) as u64;
    let file_len = file.metadata()?.len();
    let dirty = last_nonzero(file, from, file_len)?;
    let highest = |at: u64| Seq(seq.get().saturating_add((at - from) / LEAST));
    let ahead = lookahead(record_max);
    let mut buf = vec![0; READ_CHUNK.max(4 * ahead)];
    let (mut at, mut next) = (from, seq);
    loop {
        // The records that follow one another from `at`.
        let mut offset = at;
        let good = loop {
            let n = (buf.len() as u64).min(file_len.saturating_sub(offset)) as usize;
            file.read_exact_at(&mut buf[..n], offset)?;
            let mut scan = Scan::from(&buf[..n], 0, next, record_max);
            let mut stopped = None;
            for entry in scan.by_ref() {
                if entry.epoch < epochs.0 || entry.epoch > epochs.1 {
                    stopped = Some(offset + entry.offset as u64);
                    break;
                }
                *reach = higher(*reach, Some(Claim { epoch: entry.epoch, seq: entry.seq() }));
            }
            if let Some(stopped) = stopped {
                break stopped;
            }
            let good = scan.good_len();
            next = scan.next_seq();
            // As scan_segment: on past a record the chunk's end cut.
            if good == 0 || offset + (n as u64) >= file_len || n - good >= ahead {
                break offset + good as u64;
            }
            offset += good as u64;
        };
        // Where they stop, or past it, the next good record of a later
        // sequence than the first looked for, and one its place allows.
        // Where they stop first: a record of another sequence there may be
        // the journal's, after one inside a payload that passed for it
        // (helper 153).
        let mut look = if good > at { good } else { at + 8 };
        let found = loop {
            let Some(found) = record_within(file, (look, dirty), record_max, seq.next(), false)? else {
                return Ok(());
            };
            let mut head = [0; size_of::<RecordHeader>() + size_of::<EventHeader>()];
            file.read_exact_at(&mut head, found)?;
            let found_seq =
                EventHeader::ref_from_prefix(&head[size_of::<RecordHeader>()..]).map_or(Seq::ZERO, |e| e.0.seq());
            if found_seq <= highest(found) {
                break (found, found_seq);
            }
            look = found + 8;
        };
        (at, next) = found;
    }
}

/// The highest epoch and the highest sequence of two reaches, taken apart:
/// past damage, a record inside an event's payload may pass for the
/// journal's, and either may be its (helper 153: the derived order, epoch
/// first, took a forged record's newer epoch at a lower sequence). So
/// wherever a reach meets another: the walk's, the bound's, the `reach`
/// file's and the last record's (helper 155).
fn higher(a: Option<Claim>, b: Option<Claim>) -> Option<Claim> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.highest(b)),
        (a, b) => a.or(b),
    }
}

/// How far the records of the segment file at `path` reach (see
/// [`reach_past`]), if its header can be read.
fn segment_reach(path: &Path, epochs: (Epoch, Epoch), record_max: usize) -> Option<Claim> {
    let file = File::open(path).ok()?;
    let head = read_head(&file, file.metadata().ok()?.len()).ok()?;
    let first = SegmentHeader::parse(&head).ok()?.first_seq();
    reach_past(&file, (size_of::<SegmentHeader>() as u64, first), epochs, record_max)
}

/// A segment file's first bytes: as many as its header takes, fewer if the
/// file is shorter.
pub(super) fn read_head(file: &File, file_len: u64) -> io::Result<Vec<u8>> {
    let mut head = vec![0; (size_of::<SegmentHeader>() as u64).min(file_len) as usize];
    file.read_exact_at(&mut head, 0)?;
    Ok(head)
}

/// Whether a segment file holds nothing but zeros (or nothing): its
/// creation stopped before its header (a crash, or a disk that filled).
pub(super) fn unfinished(file: &File, file_len: u64) -> io::Result<bool> {
    Ok(read_head(file, file_len)?.iter().all(|&b| b == 0) && last_nonzero(file, 0, file_len)? == 0)
}

/// The offset just past the last byte of `file` from `from` on that is not
/// zero (`from` if none).
pub(super) fn last_nonzero(file: &File, from: u64, file_len: u64) -> io::Result<u64> {
    let mut buf = vec![0; READ_CHUNK];
    let (mut offset, mut last) = (from, from);
    while offset < file_len {
        let n = (READ_CHUNK as u64).min(file_len - offset) as usize;
        file.read_exact_at(&mut buf[..n], offset)?;
        if let Some(at) = buf[..n].iter().rposition(|&b| b != 0) {
            last = offset + at as u64 + 1;
        }
        offset += n as u64;
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::format::{HeaderError, encode};
    use crate::wire::record_len;

    fn event(seq: u64) -> Vec<u8> {
        crate::wire::test_record(1, seq, &seq.to_le_bytes())
    }

    fn options(dir: &Path) -> JournalOptions {
        JournalOptions {
            dir: dir.to_path_buf(),
            cluster: 5,
            node: NodeId(2),
            sync: SyncLevel::Batch,
            segment_bytes: 4096,
            record_max: record_len(64),
            retain_bytes: None,
            retain_events: None,
            history_rate: None,
            shape: 0,
            reshape: false,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("seqcast-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn seqs(journal: &Journal) -> Vec<u64> {
        let mut out = Vec::new();
        journal.read(Seq::ZERO, Seq(u64::MAX), usize::MAX, |e| out.push(e.seq().get())).unwrap();
        out
    }

    fn write(journal: &mut Journal, range: std::ops::RangeInclusive<u64>) {
        for seq in range {
            journal.append(Epoch(3), Seq(seq - 1), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
    }

    /// Appends event `seq` (epoch 3) whose payload is a sealed journal
    /// record of `inner`'s epoch and sequence: a client's bytes that pass
    /// for a record.
    fn append_carrying(journal: &mut Journal, seq: u64, inner: (Epoch, u64)) {
        let mut record = Vec::new();
        encode(&mut record, inner.0, Seq(10), &event(inner.1));
        journal.append(Epoch(3), Seq(seq - 1), &crate::wire::test_record(1, seq, &record)).unwrap();
    }

    /// A journal of events 1..=`last` under `options`, event `carrier`'s
    /// payload a sealed record of `inner`'s epoch and sequence (see
    /// [`append_carrying`]). Returns its first segment's path.
    fn journal_carrying(options: &JournalOptions, carrier: u64, inner: (Epoch, u64), last: u64) -> PathBuf {
        let (mut journal, _) = Journal::open(options.clone()).unwrap();
        write(&mut journal, 1..=carrier - 1);
        append_carrying(&mut journal, carrier, inner);
        write(&mut journal, carrier + 1..=last);
        options.dir.join(segment_name(Seq(1)))
    }

    /// Where record `seq` starts in a first segment's `bytes` of records
    /// up to `record_max` bytes.
    fn record_at(bytes: &[u8], record_max: usize, seq: u64) -> usize {
        Scan::new(bytes, Seq(1), record_max).find(|e| e.seq() == Seq(seq)).unwrap().offset
    }

    /// Reads `from..end` a few records at a time, going on from each stop.
    fn read_in_steps(journal: &Journal, pos: &mut ReadPos, from: u64, end: u64, step: usize) -> Vec<Vec<u8>> {
        let (mut out, mut next) = (Vec::new(), Seq(from));
        while next < Seq(end) {
            let before = out.len();
            next = journal
                .read_on(pos, next, Seq(end), (step, usize::MAX), |e| out.push(e.event.record.to_vec()))
                .unwrap();
            assert!(out.len() > before, "a read from {next} gave nothing");
        }
        out
    }

    /// Recovery and `journal verify` read a segment a chunk at a time: what
    /// they find is what one scan over the whole file finds, wherever the
    /// damage lies against the chunks' edges.
    #[test]
    fn a_segment_scanned_chunk_by_chunk_ends_as_one_scanned_whole() {
        let dir = temp_dir("chunks");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("segment");
        let record_max = record_len(64);
        let capacity = READ_CHUNK + (64 << 10);
        let mut whole =
            SegmentHeader::new(5, NodeId(2), (Seq(1), Seq::ZERO), Epoch(3), capacity as u64).as_bytes().to_vec();
        let mut seq = 1;
        while whole.len() < READ_CHUNK + (40 << 10) {
            let payload = vec![seq as u8; (seq * 7 % 65) as usize];
            encode(&mut whole, Epoch(3), Seq(seq - 1), &crate::wire::test_record(1, seq, &payload));
            seq += 1;
        }
        whole.resize(capacity, 0);
        let edge = size_of::<SegmentHeader>() + READ_CHUNK;
        let near = (edge - 2 * lookahead(record_max)..edge + 600).step_by(4);
        let elsewhere = [70, 1000, 150_000, READ_CHUNK + (40 << 10) - 30];
        fs::write(&path, &whole).unwrap();
        let file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
        let mut bytes = whole.clone();
        for at in near.chain(elsewhere) {
            for (how, end) in [("flipped", at + 1), ("hole", at + 8), ("cut", capacity)] {
                match how {
                    "flipped" => bytes[at] ^= 0x20,
                    _ => bytes[at..end].fill(0),
                }
                file.write_all_at(&bytes[at..end], at as u64).unwrap();
                let mut scan = Scan::new(&bytes, Seq(1), record_max);
                let want: Vec<(Seq, usize)> = scan.by_ref().map(|e| (e.seq(), e.offset)).collect();
                let want_end = (scan.end(), scan.good_len() as u64, scan.next_seq());
                let mut got = Vec::new();
                // Judged as one scan judges: by the format that marks no writes.
                let unmarked = SegmentHeader { version: 1.into(), ..header_of(&whole) };
                let scanned = scan_segment(&file, &unmarked, record_max, true, |e| {
                    got.push((e.seq(), e.offset));
                    true
                })
                .unwrap();
                assert!(got == want, "{how} at {at}: {} records, {} in one scan", got.len(), want.len());
                assert_eq!((Some(scanned.end), scanned.good, scanned.next), want_end, "{how} at {at}");
                bytes[at..end].copy_from_slice(&whole[at..end]);
                file.write_all_at(&bytes[at..end], at as u64).unwrap();
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }

    /// A reviewer: "+683.journal" and "683.journal" (copies under another
    /// name) were listed as segments, sorted before the real one, which a
    /// node then blamed. Only a segment's own name counts.
    #[test]
    fn only_a_segments_own_name_is_listed() {
        let dir = temp_dir("names");
        fs::create_dir_all(&dir).unwrap();
        for name in ["+683.journal", "683.journal", "00000000000000000683.journal", "00000000000000000001.bak"] {
            fs::write(dir.join(name), b"").unwrap();
        }
        assert_eq!(list(&dir).unwrap(), [(Seq(683), dir.join("00000000000000000683.journal"))]);
        let _ = fs::remove_dir_all(&dir);
    }

    /// A reviewer: a journal whose only segment held its header and no
    /// record, starting at 500, was taken to hold 1..=499 durably: a
    /// follower ACKed what it never wrote, and a sequencer sent empty DATA
    /// for ever. Refusing such a journal was wrong (the next reviewer): a
    /// roll writes the header before the record, and a follower killed
    /// between, joining where retention had deleted the history before it,
    /// could not restart. The newest segment with a header and no record
    /// holds nothing: removed, as one of zeros is, alone or after others.
    #[test]
    fn a_newest_segment_of_a_header_and_no_record_is_removed() {
        let dir = temp_dir("no-records");
        fs::create_dir_all(&dir).unwrap();
        let header_only = |first: u64, after: u64| {
            let path = dir.join(segment_name(Seq(first)));
            let header = SegmentHeader::new(5, NodeId(2), (Seq(first), Seq(after)), Epoch(3), 4096);
            let mut bytes = header.as_bytes().to_vec();
            bytes.resize(4096, 0);
            fs::write(&path, &bytes).unwrap();
            path
        };
        for first in [500, 1] {
            let path = header_only(first, 0);
            let (journal, recovery) = Journal::open(options(&dir)).unwrap();
            assert_eq!((recovery.range, recovery.empty_removed), (None, Some(path.clone())), "first {first}");
            assert_eq!((journal.durable(), path.exists()), (Seq::ZERO, false), "first {first}");
        }
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=10 {
            journal.append(Epoch(3), Seq(seq), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        let path = header_only(11, 10);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range, recovery.empty_removed), (Some((Seq(1), Seq(10))), Some(path.clone())));
        assert_eq!((journal.next(), journal.durable()), (Seq(11), Seq(10)));
        let _ = fs::remove_dir_all(&dir);
    }

    /// A segment file of `capacity` bytes holding events 1..=`count`: its
    /// bytes, where each record starts, and where the records end.
    fn segment_of(count: u64, capacity: usize) -> (Vec<u8>, Vec<usize>, usize) {
        let mut whole =
            SegmentHeader::new(5, NodeId(2), (Seq(1), Seq::ZERO), Epoch(3), capacity as u64).as_bytes().to_vec();
        let mut offsets = Vec::new();
        for seq in 1..=count {
            offsets.push(whole.len());
            // Written ten records a write, as a journal marks them.
            format::encode_unsealed(&mut whole, Epoch(3), Seq(seq - 1), &event(seq));
            let at = *offsets.last().unwrap();
            if seq % 10 == 1 {
                format::mark_write_start(&mut whole[at..]);
            }
            format::seal_records(&mut whole[at..]);
        }
        let written = whole.len();
        whole.resize(capacity, 0);
        (whole, offsets, written)
    }

    fn header_of(segment: &[u8]) -> SegmentHeader {
        *SegmentHeader::parse(segment).unwrap()
    }

    /// A reviewer: with records up to 65,507 bytes, zeros longer than about
    /// 192 KiB in the newest segment, or garbage longer than two records,
    /// with intact records after them, were taken for a torn tail, and a
    /// sequencer cleared those records (the search for one after the
    /// zeros stepped off the 8-byte grid after its first chunk; garbage was
    /// looked past only two records ahead). Both are damage in the middle.
    #[test]
    fn long_damage_with_records_after_it_is_in_the_middle_however_large_records_may_be() {
        let dir = temp_dir("long-damage");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("segment");
        let record_max = crate::journal::RECORD_MAX;
        let (whole, offsets, _) = segment_of(8000, 4 * READ_CHUNK);
        let (from, to) = (offsets[1000], offsets[6000]);
        assert!(to - from > READ_CHUNK, "longer than a chunk");
        let corrupt = (End::Corrupt { offset: from, seq: Seq(1001) }, from as u64, Seq(1001));
        for fill in [0, 0xa5] {
            let mut damaged = whole.clone();
            damaged[from..to].fill(fill);
            fs::write(&path, &damaged).unwrap();
            let scanned =
                scan_segment(&File::open(&path).unwrap(), &header_of(&whole), record_max, true, |_| true).unwrap();
            assert_eq!((scanned.end, scanned.good, scanned.next), corrupt, "filled with {fill:#x}");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    /// Zeros where a record should start end a segment cleanly only with
    /// nothing but zeros after them; a segment that is not the last ends
    /// early only by damage.
    #[test]
    fn zeros_with_records_after_them_are_damage_in_the_middle() {
        let dir = temp_dir("holes");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("segment");
        let record_max = record_len(64);
        let (whole, offsets, written) = segment_of(4000, 2 * READ_CHUNK);
        let scan = |bytes: &[u8], last: bool| {
            fs::write(&path, bytes).unwrap();
            let scanned =
                scan_segment(&File::open(&path).unwrap(), &header_of(&whole), record_max, last, |_| true).unwrap();
            (scanned.end, scanned.good, scanned.next)
        };
        assert_eq!(scan(&whole, true), (End::Clean, written as u64, Seq(4001)));
        // Records 1001..=3000 zeroed, more than a chunk: 3001.. still follow.
        let mut holed = whole.clone();
        holed[offsets[1000]..offsets[3000]].fill(0);
        let corrupt = End::Corrupt { offset: offsets[1000], seq: Seq(1001) };
        assert_eq!(scan(&holed, true), (corrupt, offsets[1000] as u64, Seq(1001)));
        // Zeros, then bytes that are no record: a torn tail.
        let mut garbage = whole.clone();
        garbage[offsets[1000]..].fill(0);
        garbage[offsets[2000] + 4..offsets[2000] + 60].fill(0xa5);
        assert_eq!(scan(&garbage, true), (End::Torn { offset: offsets[1000] }, offsets[1000] as u64, Seq(1001)));
        // The same in a segment another was started after: damage in the middle.
        let corrupt = End::Corrupt { offset: offsets[1000], seq: Seq(1001) };
        assert_eq!(scan(&garbage, false), (corrupt, offsets[1000] as u64, Seq(1001)));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_that_go_on_from_where_the_last_stopped_give_every_record_once() {
        let dir = temp_dir("read-on");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        let whole: Vec<Vec<u8>> = (1..=200).map(event).collect();
        for step in [1, 7, 64, 1000] {
            let mut pos = ReadPos::default();
            assert_eq!(read_in_steps(&journal, &mut pos, 1, 201, step), whole, "{step} at a time, across 4 segments");
        }
        // A truncation invalidates a position: records rewritten at the same
        // sequences with other lengths lie at other offsets.
        let mut pos = ReadPos::default();
        assert_eq!(read_in_steps(&journal, &mut pos, 150, 171, 20).len(), 21);
        journal.truncate(Seq(160)).unwrap();
        for seq in 161..=200 {
            let record = crate::wire::test_record(1, seq, &[seq as u8; 40]);
            journal.append(Epoch(4), Seq(150), &record).unwrap();
        }
        journal.flush().unwrap();
        let got = read_in_steps(&journal, &mut pos, 171, 201, 5);
        let want: Vec<Vec<u8>> = (171..=200).map(|seq| crate::wire::test_record(1, seq, &[seq as u8; 40])).collect();
        assert_eq!(got, want);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn appends_roll_across_segments_and_survive_a_reopen() {
        let dir = temp_dir("roll");
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery, Recovery::default());
        write(&mut journal, 1..=200);
        assert_eq!(journal.durable(), Seq(200));
        assert_eq!(journal.segments.len(), 4, "4 KiB segments hold 63 records of 64 bytes");
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range, recovery.last_epoch, recovery.torn), (Some((Seq(1), Seq(200))), Epoch(3), None));
        assert_eq!(seqs(&journal), (1..=200).collect::<Vec<_>>());
        assert_eq!(journal.next(), Seq(201));
        let mut some = Vec::new();
        journal.read(Seq(70), Seq(75), 3, |e| some.push(e.seq().get())).unwrap();
        assert_eq!(some, [70, 71, 72]);
        let mut across = Vec::new();
        let next = journal.read(Seq(140), Seq(150), 100, |e| across.push(e.seq().get())).unwrap();
        assert_eq!((across, next), ((140..150).collect::<Vec<_>>(), Seq(150)), "across two segments");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Records written under a larger payload_max than a restart gives: the
    /// first was taken for a torn tail and every record after it cleared
    /// (a sequencer restarted with a smaller --payload-max came back with
    /// nothing). Now the open is refused, naming the payload needed, and
    /// the journal is left as it was.
    #[test]
    fn records_longer_than_the_restart_allows_are_refused_not_truncated() {
        let dir = temp_dir("too-long");
        let wide = JournalOptions { record_max: record_len(180), segment_bytes: 8192, ..options(&dir) };
        let (mut journal, _) = Journal::open(wide.clone()).unwrap();
        write(&mut journal, 1..=3);
        journal.append(Epoch(3), Seq(3), &crate::wire::test_record(1, 4, &[7; 150])).unwrap();
        journal.append(Epoch(3), Seq(3), &crate::wire::test_record(1, 5, &[8; 180])).unwrap();
        write(&mut journal, 6..=7);
        drop(journal);
        let bytes = |dir: &Path| list(dir).unwrap().iter().map(|(_, p)| fs::read(p).unwrap()).collect::<Vec<_>>();
        let before = bytes(&dir);
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains("events from 4 on with payloads of up to 180 bytes"), "{error}");
        assert!(error.contains("--payload-max 180"), "{error}");
        assert_eq!(bytes(&dir), before, "left untouched");
        let (journal, recovery) = Journal::open(wide).unwrap();
        assert_eq!((seqs(&journal), recovery.torn), ((1..=7).collect(), None));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Two processes once appended to one journal (a second follower of the
    /// same id on another port) until one failed on a segment the other made.
    #[test]
    fn a_journal_open_elsewhere_is_refused_until_it_closes() {
        let dir = temp_dir("locked");
        let (journal, _) = Journal::open(options(&dir)).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains("is in use by another process") && error.contains("lock"), "{error}");
        drop(journal);
        assert!(Journal::open(options(&dir)).is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A disk that filled while a segment was created left it empty, and
    /// the restart after space was freed refused that file ("shorter than a
    /// segment header"). The newest segment, all zeros, is removed now.
    #[test]
    fn an_empty_newest_segment_is_removed_and_reported() {
        let dir = temp_dir("empty-newest");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=10);
        drop(journal);
        for empty in [0, 4096] {
            let path = dir.join(segment_name(Seq(11)));
            fs::write(&path, vec![0; empty]).unwrap();
            let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
            assert_eq!((recovery.range, recovery.empty_removed), (Some((Seq(1), Seq(10))), Some(path.clone())));
            assert!(!path.exists());
            write(&mut journal, 11..=12);
            drop(journal);
            let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
            assert_eq!((recovery.range, recovery.empty_removed), (Some((Seq(1), Seq(12))), None));
            assert_eq!(seqs(&journal).len(), 12);
            journal.truncate(Seq(10)).unwrap();
        }
        // One before another is no such thing: refused, left in place.
        let middle = dir.join(segment_name(Seq(0)));
        fs::write(&middle, b"").unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains("shorter than a segment header") && middle.exists(), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A reviewer of the journal: at `--sync batch` a power loss during
    /// the last write can put any of its sectors on disk and not others.
    /// A sector never written, with records of the same write after it,
    /// was taken for damage in the middle: a follower fetched again, a
    /// member voted for nobody, and a sequencer refused to start until an
    /// operator copied a follower's journal over its own. It is a torn
    /// tail. The same sector in a write that another followed (synced
    /// before that one began), a flipped bit or length, or a segment of
    /// the format that marks no writes, is still damage in the middle.
    #[test]
    fn a_sector_of_the_last_write_never_written_is_a_torn_tail() {
        let dir = temp_dir("lost-sector");
        let opts = || JournalOptions { segment_bytes: 1 << 20, ..options(&dir) };
        let (mut journal, _) = Journal::open(opts()).unwrap();
        write(&mut journal, 1..=100);
        write(&mut journal, 101..=200);
        let segment = journal.segments.last().unwrap();
        let path = segment.path.clone();
        let at = |seq| offset_of(segment, Seq(seq), journal.options.record_max).unwrap();
        let (in_last, in_first) = (at(150), at(50));
        let offsets: Vec<u64> = (1..=200).map(at).collect();
        drop(journal);
        let whole = fs::read(&path).unwrap();
        let damaged = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = whole.clone();
            edit(&mut bytes);
            fs::write(&path, &bytes).unwrap();
            let (_, recovery) = Journal::open(opts()).unwrap();
            fs::write(&path, &whole).unwrap();
            recovery
        };
        let lose = |bytes: &mut Vec<u8>, sector: u64| bytes[sector as usize..(sector + SECTOR) as usize].fill(0);
        let sector = in_last - in_last % SECTOR + SECTOR;
        assert!(offsets[199] > sector + SECTOR, "records of the same write follow it");
        // The first record the lost sector holds part of: the first that ends past its start.
        let hit = offsets.windows(2).position(|w| w[1] > sector).unwrap();
        let recovery = damaged(&|b| lose(b, sector));
        assert_eq!(recovery.corrupt, None);
        assert_eq!(recovery.range, Some((Seq(1), Seq(hit as u64))));
        assert_eq!(recovery.torn.map(|t| t.1), Some(offsets[hit]));
        // The sector the last write began in, lost: it reads as before,
        // the first write's last records, then zeros.
        let start = offsets[100];
        let recovery = damaged(&|b| b[start as usize..(start - start % SECTOR + SECTOR) as usize].fill(0));
        assert_eq!((recovery.corrupt, recovery.range), (None, Some((Seq(1), Seq(100)))));
        assert_eq!(recovery.torn.map(|t| t.1), Some(start));
        // A length flipped in the last write, reaching past what was
        // written (zeros, there): damage in the middle.
        let record = offsets[197] as usize;
        let recovery = damaged(&|b| b[record..record + 4].copy_from_slice(&2088u32.to_le_bytes()));
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        // In the first write, which the second followed: damage in the middle.
        let sector = in_first - in_first % SECTOR + SECTOR;
        let recovery = damaged(&|b| lose(b, sector));
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        // A bit flipped in the last write: damage in the middle.
        let recovery = damaged(&|b| b[in_last as usize + 30] ^= 0x20);
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        // A segment of the older format, which marks no writes: as before.
        let unmarked = |b: &mut Vec<u8>| {
            let mut header = SegmentHeader { version: 1.into(), ..*SegmentHeader::parse(b).unwrap() };
            header.crc = crc32fast::hash(&header.as_bytes()[..60]).into();
            b[..64].copy_from_slice(header.as_bytes());
        };
        let sector = in_last - in_last % SECTOR + SECTOR;
        let recovery = damaged(&|b| {
            unmarked(b);
            lose(b, sector);
        });
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        let (journal, recovery) = {
            let mut bytes = whole.clone();
            unmarked(&mut bytes);
            fs::write(&path, &bytes).unwrap();
            Journal::open(opts()).unwrap()
        };
        assert_eq!((recovery.range, seqs(&journal).len()), (Some((Seq(1), Seq(200))), 200), "the older format reads");
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A reviewer of the lost-sector rule: damage to a record already
    /// synced, with a sector of zeros near it, was taken for a torn tail,
    /// and records acknowledged were cleared at the open: a bit flipped in
    /// a record whose payload holds whole sectors of zeros, and a bit
    /// flipped in the last record of a synced write that ends on a sector
    /// boundary, the next write's first sector lost; and (later reviews)
    /// that record's length flipped so that its end fell in its own
    /// zeros, or its last sector's zeros left as a later write lost its
    /// first. All are damage in the middle, as is now any lost sector
    /// past a record's head; a record whose head a lost sector took is
    /// still a torn tail.
    #[test]
    fn zeros_a_synced_record_holds_or_a_later_write_lost_make_no_torn_tail() {
        let dir = temp_dir("not-torn");
        let opts = || JournalOptions { segment_bytes: 1 << 20, record_max: record_len(2048), ..options(&dir) };
        let append = |journal: &mut Journal, seq: u64, payload: &[u8]| {
            journal.append(Epoch(3), Seq(seq - 1), &crate::wire::test_record(1, seq, payload)).unwrap();
        };
        // Records 1..=10, then 11, of the length (a sector or more if
        // `long`) that ends it `back` bytes before a sector's bounds: where
        // 11 starts, and its record's length.
        let eleven = |journal: &mut Journal, back: usize, long: bool| {
            write(journal, 1..=10);
            let (len, sector) = (journal.segments.last().unwrap().len as usize, SECTOR as usize);
            let fill = (2 * sector - len % sector - 24 - back) % sector + if long { sector } else { 0 };
            let payload = (0..2048).find(|&p| record_len(p) == fill).expect("a payload of that length");
            append(journal, 11, &vec![7; payload]);
            (len, fill)
        };
        // The same, with 12..=40 in 11's write, the last: its path, where
        // 11 starts, and its record's length.
        let one_write = |back: usize, long: bool| {
            let (mut journal, _) = Journal::open(opts()).unwrap();
            let (len, fill) = eleven(&mut journal, back, long);
            for seq in 12..=40 {
                append(&mut journal, seq, b"12345678");
            }
            journal.flush().unwrap();
            (journal.segments.last().unwrap().path.clone(), len, fill)
        };
        let open_damaged = |path: &Path, edit: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = fs::read(path).unwrap();
            edit(&mut bytes);
            fs::write(path, &bytes).unwrap();
            Journal::open(opts()).unwrap().1
        };
        // A record of 1,500 zero bytes in the last write, a bit flipped in it.
        let (mut journal, _) = Journal::open(opts()).unwrap();
        write(&mut journal, 1..=10);
        for seq in 11..=20 {
            append(&mut journal, seq, if seq == 15 { &[0; 1500] } else { b"12345678" });
        }
        journal.flush().unwrap();
        let segment = journal.segments.last().unwrap();
        let (path, zeros) = (segment.path.clone(), offset_of(segment, Seq(15), 2048 + 64).unwrap() as usize);
        drop(journal);
        let recovery = open_damaged(&path, &|b| b[zeros + 24 + 40 + 3] ^= 0x01);
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        // Its length's bit 9 flipped back and forth (1,536 to 1,024, no CRC
        // over it): the end it says lies in those zeros.
        let recovery = open_damaged(&path, &|b| {
            b[zeros + 24 + 40 + 3] ^= 0x01;
            b[zeros + 1] ^= 0x02;
        });
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
        // A synced write that ends on a sector's bounds, its last record
        // damaged; the next write's first sector lost, the rest on disk.
        let (mut journal, _) = Journal::open(opts()).unwrap();
        eleven(&mut journal, 0, true);
        journal.flush().unwrap();
        let boundary = journal.segments.last().unwrap().len as usize;
        assert_eq!(boundary % SECTOR as usize, 0);
        write(&mut journal, 12..=40);
        let path = journal.segments.last().unwrap().path.clone();
        drop(journal);
        let recovery = open_damaged(&path, &|b| {
            b[boundary - 10] ^= 0x01;
            b[boundary..boundary + SECTOR as usize].fill(0);
        });
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        // Without the flipped bit: the lost sector was the last write's own.
        let (_, recovery) = {
            let mut bytes = fs::read(&path).unwrap();
            bytes[boundary - 10] ^= 0x01;
            fs::write(&path, &bytes).unwrap();
            Journal::open(opts()).unwrap()
        };
        assert_eq!((recovery.corrupt, recovery.range.map(|r| r.1)), (None, Some(Seq(11))));
        fs::remove_dir_all(&dir).unwrap();
        // In the last write, a record longer than a sector that ends on a
        // sector's bounds: its last sector lost, and the next (the next
        // record's start) with it. Its head is whole: damage in the middle
        // (zeros past a record's head may be its payload's).
        let (path, len, fill) = one_write(0, true);
        let end = len + 24 + fill;
        assert!(len + 24 + 32 <= end - SECTOR as usize, "11's head lies before the sectors lost");
        let recovery = open_damaged(&path, &|b| b[end - SECTOR as usize..end + SECTOR as usize].fill(0));
        assert!(recovery.corrupt.is_some() && recovery.torn.is_none(), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
        // In the last write, a record whose header ends a sector and whose
        // event header starts the next, that sector lost: a torn tail.
        let (path, len, fill) = one_write(24, false);
        let next = len + 24 + fill + 24;
        assert_eq!(next % SECTOR as usize, 0);
        let recovery = open_damaged(&path, &|b| b[next..next + SECTOR as usize].fill(0));
        assert_eq!((recovery.corrupt.clone(), recovery.range.map(|r| r.1)), (None, Some(Seq(11))), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_torn_tail_is_cleared_and_reported_and_appends_go_on_after_it() {
        let dir = temp_dir("torn");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=10);
        let segment = journal.segments.last().unwrap();
        let (path, at) = (segment.path.clone(), segment.len);
        drop(journal);
        // Half of record 11 reached the disk before the process died.
        let mut half = Vec::new();
        encode(&mut half, Epoch(3), Seq::ZERO, &event(11));
        half.truncate(30);
        OpenOptions::new().write(true).open(&path).unwrap().write_all_at(&half, at).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.range, Some((Seq(1), Seq(10))));
        // What is cleared runs to the last byte that is not zero.
        let dirty = half.iter().rposition(|&b| b != 0).unwrap() as u64 + 1;
        assert_eq!(recovery.torn, Some((path, at, dirty)));
        write(&mut journal, 11..=12);
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range, recovery.torn), (Some((Seq(1), Seq(12))), None));
        assert_eq!(seqs(&journal).len(), 12);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_record_ends_the_log_there_and_what_follows_stays_until_truncated() {
        let dir = temp_dir("corrupt");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        let first = journal.segments[0].path.clone();
        drop(journal);
        // A flipped bit in record 20's payload, in the first segment.
        let mut bytes = fs::read(&first).unwrap();
        let offset = 64 + 19 * journal_len(40) + 24 + 32;
        bytes[offset] ^= 1;
        fs::write(&first, &bytes).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.range, Some((Seq(1), Seq(19))));
        assert_eq!(recovery.corrupt, Some((first.clone(), Seq(20))));
        assert_eq!(list(&dir).unwrap().len(), 4, "nothing deleted at open");
        assert!(journal.append(Epoch(3), Seq::ZERO, &event(20)).is_err(), "no append on a damaged journal");
        // A follower drops what it cannot trust, and fetches it again.
        journal.truncate(Seq(19)).unwrap();
        assert_eq!(list(&dir).unwrap().len(), 1, "the segments after it are gone");
        write(&mut journal, 20..=21);
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range, recovery.corrupt), (Some((Seq(1), Seq(21))), None));
        assert_eq!(journal.next(), Seq(22));
        drop(journal);
        // A reader of DESIGN §8: a file after the corrupt record was set
        // aside unread, and the truncation deleted it, another node's too.
        // It is refused at the open, and left as it is.
        let (mut other, _) =
            Journal::open(JournalOptions { node: NodeId(4), ..options(&temp_dir("corrupt-4")) }).unwrap();
        write(&mut other, 100..=101);
        let foreign = other.segments[0].path.clone();
        drop(other);
        let moved = dir.join(foreign.file_name().unwrap());
        fs::rename(&foreign, &moved).unwrap();
        bytes = fs::read(&first).unwrap();
        bytes[offset - 19 * journal_len(40) + 5 * journal_len(40)] ^= 1;
        fs::write(&first, &bytes).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains("belongs to cluster 5, node 4"), "{error}");
        assert!(moved.exists(), "left as it is");
        fs::remove_dir_all(&dir).unwrap();
        fs::remove_dir_all(temp_dir("corrupt-4")).ok();
    }

    /// Helper 138: a node started with a typo in its cluster id was told to
    /// move its own journal aside, as if copied from another node.
    #[test]
    fn another_clusters_or_nodes_journal_says_which_setting_may_be_wrong() {
        let foreign = |cluster, node| {
            let path = PathBuf::from("/j/node-1/claim");
            JournalError::Foreign { path, cluster, node, mine: (139, 1) }.to_string()
        };
        let cluster = foreign(138, 1);
        assert!(cluster.contains("If this node is of cluster 138, its cluster id is wrong here"), "{cluster}");
        let node = foreign(139, 2);
        assert!(node.contains("If this node is node 2, its id is wrong here (--id)"), "{node}");
        assert!(foreign(138, 2).contains("Another cluster's node's journal"));
    }

    /// Helper 113: a corrupt record in the newest segment left nothing
    /// untrusted, and an append was taken at its place, the old records
    /// after it left in the file (read back as this log's if they lined up).
    #[test]
    fn a_corrupt_record_in_the_newest_segment_takes_no_append_until_truncated() {
        let dir = temp_dir("corrupt-newest");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        let (newest, first) = journal.segments.last().map(|s| (s.path.clone(), s.first)).unwrap();
        drop(journal);
        let mut bytes = fs::read(&newest).unwrap();
        bytes[64 + 2 * journal_len(40) + 24 + 32] ^= 1;
        fs::write(&newest, &bytes).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.corrupt, Some((newest.clone(), Seq(first.get() + 2))));
        assert!(journal.append(Epoch(3), Seq::ZERO, &event(first.get() + 2)).is_err(), "no append past the damage");
        journal.truncate(Seq(first.get() + 1)).unwrap();
        write(&mut journal, first.get() + 2..=first.get() + 3);
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range, recovery.corrupt), (Some((Seq(1), Seq(first.get() + 3))), None));
        assert_eq!(journal.next(), Seq(first.get() + 4));
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_journal_of_another_node_or_a_bad_header_is_refused_and_left_alone() {
        let dir = temp_dir("foreign");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=3);
        let path = journal.segments[0].path.clone();
        drop(journal);
        let other = JournalOptions { node: NodeId(4), ..options(&dir) };
        let error = Journal::open(other).unwrap_err().to_string();
        assert!(error.contains("belongs to cluster 5, node 2") && error.contains("left untouched"), "{error}");
        let before = fs::read(&path).unwrap();
        let mut bad = before.clone();
        bad[2] ^= 0xff;
        fs::write(&path, &bad).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains(&path.display().to_string()) && error.contains("bad magic"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), bad, "not overwritten");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// An operator trial: a segment renamed (its header says 1905, its name
    /// 100) was ordered by its name, so recovery found "a segment file gone"
    /// after it and deleted the 14 good segments that followed. A segment
    /// copied under the next one's name was ordered twice. Each is refused
    /// at the open, naming the file, and every file is left as it was.
    #[test]
    fn a_segment_under_another_name_than_its_header_gives_is_refused_and_nothing_deleted() {
        let dir = temp_dir("misnamed");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        let paths: Vec<PathBuf> = journal.segments.iter().map(|s| s.path.clone()).collect();
        drop(journal);
        assert!(paths.len() >= 4, "{paths:?}");
        let before = |dir: &Path| list(dir).unwrap().len();
        let renamed = dir.join(segment_name(Seq(2)));
        fs::rename(paths.last().unwrap(), &renamed).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains(&renamed.display().to_string()) && error.contains("left untouched"), "{error}");
        assert_eq!(before(&dir), paths.len(), "nothing deleted");
        assert!(crate::journal::inspect(&dir).is_err_and(|e| e.to_string() == error), "verify says the same");
        fs::rename(&renamed, paths.last().unwrap()).unwrap();
        // The second segment copied under a name of its own, past its first.
        let copied =
            dir.join(segment_name(Seq(paths[2].file_stem().unwrap().to_str().unwrap().parse::<u64>().unwrap() - 1)));
        fs::copy(&paths[1], &copied).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains(&copied.display().to_string()), "{error}");
        assert!(crate::journal::entries(&dir, Seq::ZERO, Seq(u64::MAX), |_| ()).is_err(), "dump refuses it too");
        fs::remove_file(&copied).unwrap();
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((journal.first(), journal.next(), recovery.damaged()), (Seq(1), Seq(201), false));
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_members_claim_survives_a_reopen_and_a_bad_or_foreign_one_is_refused() {
        let dir = temp_dir("claim");
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.claim, None);
        journal.write_claim(Epoch::ZERO, false, Epoch(1 << 40)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        let far = recovery.claim.map(|(_, whole, promised)| (whole, promised));
        assert_eq!(far, Some((false, Epoch(1 << 40))), "a promise far past the log's epoch, whole");
        journal.write_claim(Epoch(4), false, Epoch(4)).unwrap();
        journal.write_claim(Epoch(7), true, Epoch(9)).unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.claim, Some((Epoch(7), true, Epoch(9))), "the last one written");
        assert!(!dir.join("claim.new").exists());
        let other = JournalOptions { node: NodeId(4), ..options(&dir) };
        let error = Journal::open(other).unwrap_err().to_string();
        assert!(error.contains("claim") && error.contains("belongs to cluster 5, node 2"), "{error}");
        let path = dir.join("claim");
        let mut bad = fs::read(&path).unwrap();
        bad[20] ^= 1;
        fs::write(&path, &bad).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains("journal claim file") && error.contains("CRC mismatch"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), bad, "not overwritten");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A claim keeps the shape of the cluster it was written in: a reopen
    /// in another refuses it, naming both, unless told the shape changed
    /// (it then keeps the new one); one written before shapes were kept
    /// (0) is taken in any.
    #[test]
    fn a_claim_kept_in_a_cluster_of_another_shape_is_refused_unless_reshaped() {
        let dir = temp_dir("shape");
        let three = (3 << 16) | 2;
        let five = (5 << 16) | 3;
        let shaped = |shape, reshape| JournalOptions { shape, reshape, ..options(&dir) };
        let (mut journal, _) = Journal::open(shaped(three, false)).unwrap();
        journal.write_claim(Epoch(4), true, Epoch(4)).unwrap();
        drop(journal);
        let error = Journal::open(shaped(five, false)).unwrap_err().to_string();
        let both = "written in a cluster of 3 nodes, quorum 2; this member's configuration (its cluster file, --nodes, --quorum) gives 5 nodes, quorum 3";
        assert!(error.contains(both) && error.contains("--reshape"), "{error}");
        let (_, recovery) = Journal::open(shaped(three, false)).unwrap();
        assert_eq!((recovery.claim, recovery.reshaped), (Some((Epoch(4), true, Epoch(4))), None));
        let (_, recovery) = Journal::open(shaped(five, true)).unwrap();
        assert_eq!((recovery.claim, recovery.reshaped), (Some((Epoch(4), true, Epoch(4))), Some(three)));
        let (_, recovery) = Journal::open(shaped(five, false)).unwrap();
        assert_eq!(recovery.reshaped, None, "the new shape kept");
        assert!(Journal::open(shaped(three, false)).is_err(), "the old one refused now");
        // Told to reshape to the shape it has (a stale file given the flag
        // by a unit file or a script): refused, and nothing changes.
        let error = Journal::open(shaped(five, true)).unwrap_err().to_string();
        assert!(error.contains("kept in a cluster of 5 nodes, quorum 3 already"), "{error}");
        assert!(Journal::open(shaped(three, false)).is_err(), "still the new shape");
        // A claim of an older build: no shape, taken as it is, and stamped.
        let path = dir.join("claim");
        let mut old = fs::read(&path).unwrap();
        old[7] = 0;
        old[14..16].fill(0);
        let crc = crc32fast::hash(&old[..28]);
        old[28..].copy_from_slice(&crc.to_le_bytes());
        fs::write(&path, &old).unwrap();
        let (_, recovery) = Journal::open(shaped(three, false)).unwrap();
        assert_eq!(recovery.reshaped, None);
        assert!(Journal::open(shaped(five, false)).is_err(), "stamped with the shape it was opened in");
        // Nothing to reshape: no claim.
        fs::remove_file(&path).unwrap();
        let error = Journal::open(shaped(five, true)).unwrap_err().to_string();
        assert!(error.contains("keeps no claim file: nothing to reshape"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
        // Nor in a journal that is not there yet (helper 149: the refusal
        // left its directories, and a lock file, behind).
        let new = JournalOptions { dir: dir.join("cluster").join("node-1"), ..shaped(five, true) };
        let error = Journal::open(new).unwrap_err().to_string();
        assert!(error.contains("nothing to reshape") && !dir.exists(), "{error}");
    }

    /// A reader of DESIGN §8: a commit heard after the last record was in
    /// no record, so a restart forgot it. The commit file keeps it: read
    /// back at the next open, never past the last record, a torn one not
    /// read, another node's refused.
    #[test]
    fn the_commit_file_adds_what_no_record_says_and_a_torn_one_is_not_read() {
        let dir = temp_dir("commit");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=10);
        journal.write_commit(Seq(10), Epoch(3)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.commit, Seq(10), "the records said 9");
        journal.write_commit(Seq(40), Epoch(3)).unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.commit, Seq(10), "never past the last record");
        let path = dir.join("commit");
        let mut torn = fs::read(&path).unwrap();
        torn[16] ^= 1;
        fs::write(&path, &torn).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.commit, Seq(9), "a torn commit file is not read: the records' 9");
        // Node 2's commit file alone in a directory node 4 opens.
        let alone = temp_dir("commit-alone");
        fs::create_dir_all(&alone).unwrap();
        fs::copy(&path, alone.join("commit")).unwrap();
        let (mut journal, _) = Journal::open(options(&alone)).unwrap();
        journal.write_commit(Seq(10), Epoch(3)).unwrap();
        drop(journal);
        let other = JournalOptions { node: NodeId(4), ..options(&alone) };
        let error = Journal::open(other).unwrap_err().to_string();
        assert!(error.contains("commit") && error.contains("belongs to cluster 5, node 2"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
        fs::remove_dir_all(&alone).unwrap();
    }

    /// Helper 187, a restart on a full disk at `none`: the commit file was
    /// made and its first write failed, and the next start called the
    /// empty file damaged. A first write that fails leaves no file; one
    /// written later is read back.
    #[test]
    fn a_commit_file_whose_first_write_fails_is_not_left_empty() {
        for sync in [SyncLevel::None, SyncLevel::Batch] {
            let dir = temp_dir("commit-full");
            let options = || JournalOptions { sync, ..options(&dir) };
            let (mut journal, _) = Journal::open(options()).unwrap();
            write(&mut journal, 1..=10);
            journal.disk_full = true;
            let error = journal.write_commit(Seq(10), Epoch(3)).unwrap_err().to_string();
            assert!(error.contains("commit.new") && error.contains("No space left"), "{error}");
            assert!(!dir.join("commit").exists() && !dir.join("commit.new").exists(), "{sync:?}");
            drop(journal);
            let (mut journal, recovery) = Journal::open(options()).unwrap();
            assert_eq!((recovery.commit, recovery.commit_file_damaged), (Seq(9), None), "{sync:?}");
            journal.write_commit(Seq(10), Epoch(3)).unwrap();
            journal.write_commit(Seq(10), Epoch(3)).unwrap();
            drop(journal);
            let (_, recovery) = Journal::open(options()).unwrap();
            assert_eq!((recovery.commit, recovery.commit_file_damaged), (Seq(10), None), "{sync:?}");
            fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A reader of DESIGN §8: a record damaged after recovery checked it
    /// ended the read of its segment without a word, and the read went on
    /// in the next one, so the leader served around the damage and the
    /// follower asked for it again for ever. The read gives what came
    /// before, then says where the damage is and where trust resumes.
    /// From a review: a truncation whose first dropped record (or one
    /// before it in its segment) was damaged after the open cut nothing and
    /// went on, so new records went after the old ones past the damage,
    /// and the next open dropped them, ACKed and durable. It fails now: the
    /// node stops, and its restart reports the damage and truncates there.
    #[test]
    fn a_truncation_that_cannot_find_where_to_cut_fails() {
        let dir = temp_dir("uncut");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        let last = journal.segments.last().unwrap();
        let damaged = last.first.get() + 2;
        let at = offset_of(last, Seq(damaged), journal.options.record_max).unwrap();
        OpenOptions::new().write(true).open(&last.path).unwrap().write_all_at(&[0xff], at + 30).unwrap();
        match journal.truncate(Seq(damaged + 1)) {
            Err(JournalError::Damaged { seq, .. }) => assert_eq!(seq, Seq(damaged)),
            other => panic!("{other:?}"),
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_record_damaged_after_the_open_stops_a_read_with_its_sequence() {
        let dir = temp_dir("damaged");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        let (second, third) = (&journal.segments[1], journal.segments[2].first);
        let damaged = second.first.get() + 3;
        let at = offset_of(second, Seq(damaged), journal.options.record_max).unwrap();
        let file = OpenOptions::new().write(true).open(&second.path).unwrap();
        file.write_all_at(&[0xff], at + 30).unwrap();
        let mut got = Vec::new();
        let error = journal.read(Seq(1), Seq(u64::MAX), usize::MAX, |e| got.push(e.seq().get())).unwrap_err();
        assert_eq!(got, (1..damaged).collect::<Vec<u64>>(), "what came before the damage");
        match error {
            JournalError::Damaged { seq, resumes, .. } => {
                assert_eq!((seq, resumes), (Seq(damaged), third), "its index has one entry: the next segment")
            }
            other => panic!("{other}"),
        }
        got.clear();
        journal.read(third, Seq(u64::MAX), usize::MAX, |e| got.push(e.seq().get())).unwrap();
        assert_eq!(got, (third.get()..=200).collect::<Vec<u64>>(), "from the next segment on");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_read_deep_in_a_large_segment_starts_from_its_index() {
        let dir = temp_dir("index");
        let (mut journal, _) = Journal::open(JournalOptions { segment_bytes: 1 << 20, ..options(&dir) }).unwrap();
        write(&mut journal, 1..=5000);
        let mut got = Vec::new();
        journal.read(Seq(4321), Seq(u64::MAX), 5, |e| got.push(e.seq().get())).unwrap();
        assert_eq!(got, [4321, 4322, 4323, 4324, 4325]);
        drop(journal);
        let (journal, _) = Journal::open(JournalOptions { segment_bytes: 1 << 20, ..options(&dir) }).unwrap();
        got.clear();
        journal.read(Seq(1000), Seq(1002), 5, |e| got.push(e.seq().get())).unwrap();
        assert_eq!(got, [1000, 1001], "the index rebuilt at open");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Closed segments keep an index entry every 4,096 records: a read
    /// anywhere in them still starts at the right record, before and after
    /// a reopen, and a truncation in one still cuts at the right place.
    #[test]
    fn reads_in_closed_segments_start_where_asked_with_a_sparser_index() {
        let dir = temp_dir("sparse");
        let opts = || JournalOptions { segment_bytes: 1 << 20, ..options(&dir) };
        let (mut journal, _) = Journal::open(opts()).unwrap();
        write(&mut journal, 1..=30_000);
        assert!(journal.segments.len() >= 2, "{} segments", journal.segments.len());
        let closed = &journal.segments[0];
        assert!(closed.index.len() <= (closed.end - closed.first).div_ceil(INDEX_EVERY_CLOSED) as usize);
        let reads = |journal: &Journal| {
            let mut all = Vec::new();
            for from in [1, 2, 4095, 4097, 5000, 8193, 9999, 12_345, 29_999] {
                let mut got = Vec::new();
                journal.read(Seq(from), Seq(u64::MAX), 3, |e| got.push(e.seq().get())).unwrap();
                all.push((from, got));
            }
            all
        };
        let want: Vec<(u64, Vec<u64>)> = [1, 2, 4095, 4097, 5000, 8193, 9999, 12_345, 29_999]
            .map(|f| (f, (f..(f + 3).min(30_001)).collect()))
            .into();
        assert_eq!(reads(&journal), want);
        drop(journal);
        let (mut journal, _) = Journal::open(opts()).unwrap();
        assert_eq!(reads(&journal), want, "after a reopen");
        journal.truncate(Seq(5000)).unwrap();
        assert_eq!(seqs(&journal).last(), Some(&5000));
        write(&mut journal, 5001..=5003);
        assert_eq!(seqs(&journal).len(), 5003);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_gap_starts_a_new_segment_and_is_reported_at_open() {
        let dir = temp_dir("gap");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=5);
        write(&mut journal, 9..=10);
        assert!(journal.append(Epoch(3), Seq::ZERO, &event(10)).is_err(), "sequences only go up");
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.gaps, recovery.missing), (vec![(Seq(6), Seq(9))], None));
        assert_eq!(seqs(&journal), [1, 2, 3, 4, 5, 9, 10]);
        // A reader learns where the gap ends (a leader answers it UNRECOVERABLE).
        let gap_at = |seq| journal.gap_at(Seq(seq)).map(Seq::get);
        assert_eq!([gap_at(5), gap_at(6), gap_at(8), gap_at(9), gap_at(11)], [None, Some(9), Some(9), None, None]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A segment file gone from the middle once read as sequences the node
    /// was told were lost: a follower reported committed events lost, and
    /// a member could be elected on a log with a hole. Its neighbour's
    /// header says where the journal was when it began.
    #[test]
    fn a_segment_file_gone_from_the_middle_is_no_gap_but_damage() {
        let dir = temp_dir("missing");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        drop(journal);
        let files = list(&dir).unwrap();
        assert!(files.len() >= 4, "{files:?}");
        let ((gone, gone_path), (next, next_path)) = (files[1].clone(), files[2].clone());
        fs::remove_file(&gone_path).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.missing, Some((next_path, gone, next)));
        assert!(recovery.gaps.is_empty() && recovery.damaged());
        assert_eq!(recovery.range, Some((Seq(1), gone.prev())));
        assert!(journal.append(Epoch(3), Seq::ZERO, &event(gone.get())).is_err(), "a truncation first");
        journal.truncate(gone.prev()).unwrap();
        write(&mut journal, gone.get()..=gone.get() + 5);
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.missing, recovery.gaps.len()), (None, 0));
        assert_eq!(seqs(&journal), (1..=gone.get() + 5).collect::<Vec<_>>());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_truncated_journal_forgets_what_it_dropped_even_after_a_reopen() {
        let dir = temp_dir("truncate");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        journal.truncate(Seq(100)).unwrap();
        assert_eq!((journal.next(), journal.durable()), (Seq(101), Seq(100)));
        write(&mut journal, 101..=110);
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.range, Some((Seq(1), Seq(110))));
        assert_eq!(seqs(&journal), (1..=110).collect::<Vec<_>>());
        journal.truncate(Seq::ZERO).unwrap();
        assert_eq!(seqs(&journal), Vec::<u64>::new());
        write(&mut journal, 7..=8);
        drop(journal);
        let (journal, _) = Journal::open(options(&dir)).unwrap();
        assert_eq!(seqs(&journal), [7, 8]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 143: a node restarted with a tighter retention on a full
    /// disk failed to make its next segment before retention ran. Opening
    /// deletes nothing (a node may yet refuse the journal); `retain`
    /// applies it.
    #[test]
    fn a_journal_reopened_applies_its_retention_when_asked() {
        let dir = temp_dir("retain-open");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=400);
        drop(journal);
        let segments = || list(&dir).unwrap().len();
        let before = segments();
        let (mut journal, recovery) =
            Journal::open(JournalOptions { retain_events: Some(100), ..options(&dir) }).unwrap();
        assert_eq!(recovery.range, Some((Seq(1), Seq(400))), "what it found");
        assert_eq!(segments(), before, "opening deletes nothing");
        journal.retain();
        let kept = seqs(&journal);
        assert!(kept.len() >= 100 && kept.len() < 200 && kept.last() == Some(&400), "kept {}", kept.len());
        assert!(segments() < before, "{} of {before} segments", segments());
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn retention_deletes_whole_old_segments_only() {
        let dir = temp_dir("retain");
        let (mut journal, _) = Journal::open(JournalOptions { retain_events: Some(100), ..options(&dir) }).unwrap();
        write(&mut journal, 1..=400);
        let kept = seqs(&journal);
        assert_eq!(*kept.last().unwrap(), 400);
        assert!(kept.len() >= 100 && kept.len() < 200, "kept {}", kept.len());
        assert_eq!(journal.first(), Seq(kept[0]));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 161: retention deleted committed records its node had not
    /// yet handed its application (a slow one, up to a window behind); a
    /// crash then, and the restart's replay began past them. A segment
    /// holding what is not yet handed out now stays.
    #[test]
    fn retention_keeps_what_the_node_has_not_handed_out() {
        let dir = temp_dir("retain-unhanded");
        let (mut journal, _) = Journal::open(JournalOptions { retain_events: Some(100), ..options(&dir) }).unwrap();
        journal.keep_unhanded(Seq(150));
        write(&mut journal, 1..=400);
        let kept = seqs(&journal);
        assert!(kept[0] <= 150 && kept.last() == Some(&400), "kept {}..={:?}", kept[0], kept.last());
        journal.keep_unhanded(Seq(401));
        journal.retain();
        let kept = seqs(&journal);
        assert!(kept.len() >= 100 && kept.len() < 200, "kept {}", kept.len());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// `--retain-bytes`: the oldest whole segments go while the records
    /// kept pass the budget, the newest stay, and the log stays whole.
    #[test]
    fn retention_by_bytes_keeps_the_newest_segments_within_the_budget() {
        let dir = temp_dir("retain-bytes");
        let budget = 16_384;
        let (mut journal, _) = Journal::open(JournalOptions { retain_bytes: Some(budget), ..options(&dir) }).unwrap();
        write(&mut journal, 1..=2000);
        let kept = seqs(&journal);
        assert_eq!((kept.first(), kept.last()), (Some(&journal.first().get()), Some(&2000)));
        assert!(kept.windows(2).all(|w| w[1] == w[0] + 1), "a whole log");
        let files: Vec<u64> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "journal"))
            .map(|p| fs::metadata(p).unwrap().len())
            .collect();
        let on_disk: u64 = files.iter().sum();
        // Each segment is 4,096 bytes: the budget, and at most one more
        // (the oldest goes only when what follows it is over budget too).
        assert!(on_disk <= budget + 4096 && on_disk >= budget - 4096, "{} segments, {on_disk} bytes", files.len());
        assert!(journal.first() > Seq(1000), "first kept {}", journal.first());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The simulator with retention: a node whose journal deleted records
    /// it had not yet delivered (past its commit) skipped them, or
    /// reported them lost, when it restarted on it.
    #[test]
    fn retention_keeps_every_record_past_the_commit() {
        let dir = temp_dir("retain-commit");
        let (mut journal, _) = Journal::open(JournalOptions { retain_events: Some(100), ..options(&dir) }).unwrap();
        for seq in 1..=400 {
            journal.append(Epoch(3), Seq(50), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        assert_eq!(journal.first(), Seq(1), "the segment of 1..=50 holds records past the commit too");
        // A commit file is not synced: a power loss can take it.
        journal.write_commit(Seq(390), Epoch(3)).unwrap();
        journal.append(Epoch(3), Seq(50), &event(401)).unwrap();
        journal.flush().unwrap();
        assert_eq!(journal.first(), Seq(1), "what only the commit file says committed is kept");
        journal.append(Epoch(3), Seq(390), &event(402)).unwrap();
        journal.flush().unwrap();
        let kept = seqs(&journal);
        assert!(kept.len() >= 100 && kept.len() < 200, "kept {}", kept.len());
        drop(journal);
        // Known committed again at open (its records say so).
        let (mut journal, recovery) =
            Journal::open(JournalOptions { retain_events: Some(10), ..options(&dir) }).unwrap();
        assert_eq!(recovery.commit, Seq(390));
        journal.append(Epoch(3), Seq(390), &event(403)).unwrap();
        journal.flush().unwrap();
        assert!(journal.first() <= Seq(391), "nothing past 390 deleted: first {}", journal.first());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A reviewer of the driver: a segment retention could not delete
    /// failed the flush, and the node acknowledged nothing more, though
    /// every record was durable. Retention stops instead, and says why once.
    #[test]
    fn a_segment_retention_cannot_delete_stops_retention_not_the_journal() {
        let dir = temp_dir("retain-fails");
        let (mut journal, _) = Journal::open(JournalOptions { retain_events: Some(1), ..options(&dir) }).unwrap();
        write(&mut journal, 1..=100);
        let oldest = journal.segments[0].path.clone();
        fs::remove_file(&oldest).unwrap();
        write(&mut journal, 101..=300);
        assert_eq!(journal.durable(), Seq(300), "appends go on and are durable");
        let error = journal.take_retention_error().expect("said").to_string();
        assert!(error.contains(&oldest.display().to_string()), "{error}");
        assert!(journal.take_retention_error().is_none(), "said once");
        write(&mut journal, 301..=400);
        assert!(list(&dir).unwrap().len() > 3, "nothing more deleted");
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A reviewer of the driver: with the commit at the end of a segment,
    /// retention deleted every committed record, and a member that then
    /// followed a new leader truncated to its commit, deleting the rest:
    /// an empty journal, restarted knowing no commit and no log end (its
    /// claim still "whole"). The newest committed record is kept.
    #[test]
    fn retention_keeps_the_newest_committed_record_for_a_truncation() {
        let dir = temp_dir("retain-newest");
        let (mut journal, _) = Journal::open(JournalOptions { retain_events: Some(1), ..options(&dir) }).unwrap();
        for seq in 1..=150 {
            journal.append(Epoch(3), Seq::ZERO, &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        assert!(journal.segments.len() >= 3, "{:?}", journal.segments.len());
        let boundary = journal.segments[1].end.prev();
        journal.append(Epoch(3), boundary, &event(151)).unwrap();
        journal.flush().unwrap();
        assert!(journal.first() <= boundary, "first {} past the commit {boundary}", journal.first());
        journal.truncate(boundary).unwrap();
        assert_eq!(journal.next(), boundary.next());
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range.map(|r| r.1), recovery.commit), (Some(boundary), boundary));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The simulator with retention: a member that led a deposed epoch
    /// dropped the records that said how far the commit reached when it
    /// followed the new leader, and after a power loss knew less than it
    /// had let retention delete: a hole above its commit, so no vote.
    #[test]
    fn a_truncation_keeps_in_the_commit_file_what_the_dropped_records_said() {
        let dir = temp_dir("truncate-commit");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=300 {
            journal.append(Epoch(3), Seq(50), &event(seq)).unwrap();
        }
        for seq in 301..=400 {
            journal.append(Epoch(3), Seq(290), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        journal.truncate(Seq(300)).unwrap();
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(*seqs(&journal).last().unwrap(), 300);
        assert_eq!(recovery.commit, Seq(290));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The simulator, at `--sync none` with retention: a member resumed
    /// from damage cut the records that said 109 was committed (retention
    /// had deleted 108), and a power loss took the commit file that kept it
    /// in their place: back with record 109 and commit 107, its whole claim
    /// was unheld, and with the other two back empty no leader was elected.
    #[test]
    fn a_truncation_syncs_what_the_dropped_records_said_at_every_level() {
        for sync in [SyncLevel::None, SyncLevel::Batch] {
            let dir = temp_dir("truncate-commit-synced");
            let (mut journal, _) = Journal::open(JournalOptions { sync, ..options(&dir) }).unwrap();
            for seq in 1..=20 {
                journal.append(Epoch(3), Seq(seq.min(12) - 1), &event(seq)).unwrap();
            }
            journal.flush().unwrap();
            journal.truncate(Seq(11)).unwrap();
            assert!(journal.sides_done.contains(&"commit replaced, synced"), "{sync:?}: {:?}", journal.sides_done);
            drop(journal);
            assert_eq!(Journal::open(options(&dir)).unwrap().1.commit, Seq(11), "{sync:?}");
            fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A reviewer of the journal: a member that joined a new leader took
    /// its records and its commit (149 here), then stood with its old log
    /// again (its new leader gone before it synced): the records went, cut
    /// back to 30, but their commit stayed the journal's, and retention
    /// deleted the old log's records past 30, never committed, that the
    /// member holds and claims. What the dropped records said goes with them.
    #[test]
    fn a_truncation_takes_back_the_commit_its_dropped_records_said() {
        let dir = temp_dir("truncate-lowers");
        let (mut journal, _) = Journal::open(JournalOptions { retain_events: Some(1), ..options(&dir) }).unwrap();
        for seq in 1..=30 {
            journal.append(Epoch(3), Seq::ZERO, &event(seq)).unwrap();
        }
        for seq in 31..=150 {
            journal.append(Epoch(4), Seq(149), &event(seq)).unwrap();
        }
        journal.write_commit(Seq(149), Epoch(3)).unwrap();
        journal.truncate(Seq(30)).unwrap();
        for seq in 31..=150 {
            journal.append(Epoch(3), Seq(30), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        assert!(journal.first() <= Seq(31), "the old log past its commit is kept: first {}", journal.first());
        journal.truncate(Seq(60)).unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.commit, Seq(30), "no commit of the records dropped");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A review: records 96..=110 written knowing commit 95, then an idle
    /// HEARTBEAT's commit 100 in the commit file; a truncation to 100 (a
    /// sequencer resumed in a new epoch) wrote 95 over it, synced, and a
    /// crash then left a follower that had delivered 100 knowing 95.
    #[test]
    fn a_truncation_never_lowers_what_the_commit_file_said() {
        let dir = temp_dir("truncate-commit-file");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=110 {
            journal.append(Epoch(3), Seq(seq.min(96) - 1), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        journal.write_commit(Seq(100), Epoch(3)).unwrap();
        journal.truncate(Seq(100)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(*seqs(&journal).last().unwrap(), 100);
        assert_eq!(recovery.commit, Seq(100));
        // Read back at start, it holds against a truncation then too.
        journal.truncate(Seq(100)).unwrap();
        drop(journal);
        assert_eq!(Journal::open(options(&dir)).unwrap().1.commit, Seq(100));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A header-only segment file at `dir`, of `first` after `after`, in `epoch`.
    fn header_only(dir: &Path, (first, after): (u64, u64), epoch: u64) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        let path = dir.join(segment_name(Seq(first)));
        let mut header = SegmentHeader::new(5, NodeId(2), (Seq(first), Seq(after)), Epoch(3), 4096);
        if epoch != 3 {
            header.epoch = epoch.into();
            header.crc = crc32fast::hash(&header.as_bytes()[..60]).into();
        }
        let mut bytes = header.as_bytes().to_vec();
        bytes.resize(4096, 0);
        fs::write(&path, &bytes).unwrap();
        path
    }

    /// A review of recovery on crafted files: a header-only segment that
    /// is not the newest (1000, then a header-only 2000 that recovery
    /// removed) opened as a journal of no record whose next sequence was
    /// 1000. The sequencer's first append failed, it reported 999 durable
    /// of the 0 it had handed out, and sent empty DATA for ever, deaf to
    /// SIGTERM. No roll leaves such a segment, but a power loss at `--sync
    /// none` can keep its header and lose its records (the next review:
    /// refusing it stopped a follower that could fetch them again): it is
    /// damage where its first record should be, which a sequencer refuses
    /// and a follower drops with what follows.
    #[test]
    fn a_segment_of_no_record_before_another_is_damage_where_its_first_record_should_be() {
        let dir = temp_dir("empty-middle");
        let empty = header_only(&dir, (1000, 0), 3);
        let newest = header_only(&dir, (2000, 0), 3);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.corrupt, Some((empty, Seq(1000))));
        assert_eq!(recovery.range, None);
        assert!(newest.exists(), "the rest is not trusted, and left for the truncation that drops it");
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The same review: an empty newest segment named inside the range of
    /// the one before (a node removes it when it starts, `journal verify`
    /// said) was refused as an overlap, and one after a hole recorded the
    /// hole though it was then removed. It says nothing of where the
    /// segments before it end: removed, and nothing more.
    #[test]
    fn an_empty_newest_segment_is_removed_before_it_is_compared_with_the_one_before() {
        for (first, after) in [(20, 0), (51, 30)] {
            let dir = temp_dir("empty-newest-after");
            let (mut journal, _) = Journal::open(options(&dir)).unwrap();
            write(&mut journal, 1..=30);
            drop(journal);
            let path = header_only(&dir, (first, after), 3);
            let (journal, recovery) = Journal::open(options(&dir)).unwrap();
            assert_eq!(recovery.empty_removed, Some(path), "{first}");
            assert_eq!((recovery.gaps.len(), recovery.missing.is_none()), (0, true), "{first}");
            assert_eq!((recovery.range, journal.next()), (Some((Seq(1), Seq(30))), Seq(31)), "{first}");
            fs::remove_dir_all(&dir).unwrap();
        }
        // The next review: one whose header says the journal held 50 when
        // it began, after segments that end at 30, tells of a file gone
        // (a sequencer must refuse), empty or not.
        let dir = temp_dir("empty-newest-gone");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=30);
        drop(journal);
        let path = header_only(&dir, (51, 50), 3);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.missing, recovery.empty_removed), (Some((path.clone(), Seq(31), Seq(51))), None));
        assert!(path.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 128: the same, the only segment (the segments before it
    /// deleted by retention, its records lost with the power at `--sync
    /// none`) was removed as a roll a crash cut short: a journal of
    /// nothing, on which a sequencer numbered a new log from 1.
    #[test]
    fn an_empty_only_segment_that_says_the_journal_held_more_is_a_file_gone() {
        let dir = temp_dir("empty-only-gone");
        let path = header_only(&dir, (51, 50), 3);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.missing, recovery.empty_removed), (Some((path.clone(), Seq(1), Seq(51))), None));
        assert_eq!(recovery.range, None);
        assert!(path.exists(), "kept aside, for the truncation that drops it");
        drop(journal);
        fs::remove_dir_all(&dir).unwrap();
        // One of a journal that held nothing is a roll a crash cut short.
        let dir = temp_dir("empty-only");
        let path = header_only(&dir, (1, 0), 3);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.missing, recovery.empty_removed), (None, Some(path.clone())));
        assert!(!path.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The same review: a torn tail beside another node's commit file was
    /// cleared, then the journal refused as not this node's, "left
    /// untouched". The files beside the segments are checked first now.
    #[test]
    fn a_refused_journal_is_left_as_it_was_found() {
        let dir = temp_dir("refused-untouched");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=5);
        drop(journal);
        let segment = dir.join(segment_name(Seq(1)));
        let mut bytes = fs::read(&segment).unwrap();
        let end = size_of::<SegmentHeader>() + 5 * journal_len(event(1).len());
        bytes[end..end + 20].fill(0xAB);
        fs::write(&segment, &bytes).unwrap();
        let foreign = CommitFile::new(5, NodeId(3), Seq(4), Epoch(3));
        fs::write(dir.join("commit"), foreign.as_bytes()).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err();
        assert!(matches!(error, JournalError::Foreign { node: 3, .. }), "{error}");
        assert_eq!(fs::read(&segment).unwrap(), bytes, "the torn tail is still there");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 145: a damaged journal's recovery says how far it reached
    /// past the damage (its last good record), the `reach` file keeps that
    /// across the truncation, and removing it forgets it.
    #[test]
    fn a_damaged_journal_says_how_far_it_reached_and_the_reach_file_keeps_it() {
        let reach = Claim { epoch: Epoch(3), seq: Seq(200) };
        // In its only segment (helper 146: it read as reaching the damage).
        let dir = temp_dir("reach-one");
        let one = JournalOptions { segment_bytes: 1 << 20, ..options(&dir) };
        let (mut journal, _) = Journal::open(one.clone()).unwrap();
        write(&mut journal, 1..=200);
        drop(journal);
        let only = dir.join(segment_name(Seq(1)));
        let mut bytes = fs::read(&only).unwrap();
        bytes[200] ^= 0x40;
        fs::write(&only, &bytes).unwrap();
        let (_, recovery) = Journal::open(one).unwrap();
        assert!(recovery.corrupt.is_some() && recovery.reach == Some(reach), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
        // In an early segment of several.
        let dir = temp_dir("reach");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        drop(journal);
        let oldest = dir.join(segment_name(Seq(1)));
        let mut bytes = fs::read(&oldest).unwrap();
        bytes[200] ^= 0x40;
        fs::write(&oldest, &bytes).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert!(recovery.corrupt.is_some() && recovery.reach == Some(reach), "{recovery:?}");
        assert_eq!(recovery.reach_records, Some(Epoch(3)), "no claim: the epoch of the records past the damage");
        assert!(!journal.keeps_reach());
        // The newest epoch of what it stands for goes beside it.
        journal.write_reach(recovery.reach, Some(Epoch(5))).unwrap();
        journal.truncate(Seq(1)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        let kept = (recovery.corrupt, recovery.reach, recovery.reach_records, journal.keeps_reach());
        assert_eq!(kept, (None, Some(reach), Some(Epoch(5)), true));
        // A `reach-epoch` file of another reach (a crash between the two
        // files) says nothing of this one's records.
        let reach_file = fs::read(dir.join("reach")).unwrap();
        journal.write_reach(Some(Claim { epoch: Epoch(3), seq: Seq(250) }), Some(Epoch(1))).unwrap();
        drop(journal);
        fs::write(dir.join("reach"), reach_file).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.reach, recovery.reach_records), (Some(reach), None));
        journal.write_reach(None, None).unwrap();
        drop(journal);
        assert!(!dir.join(REACH_EPOCH).exists());
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.reach, recovery.reach_records), (None, None));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A sequencer's started epoch is kept across restarts whether or not
    /// a record of it was written; a damaged file is ignored and said.
    #[test]
    fn a_sequencers_started_epoch_is_kept_beside_its_journal() {
        let dir = temp_dir("led-epoch");
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.led_epoch, None);
        journal.write_led_epoch(Epoch(7)).unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.range, recovery.led_epoch, recovery.led_epoch_damaged), (None, Some(Epoch(7)), None));
        assert!(is_journal_file(LED_EPOCH), "verify and the directory checks know it");
        let path = dir.join(LED_EPOCH);
        let mut bytes = fs::read(&path).unwrap();
        bytes[20] ^= 0x40;
        fs::write(&path, &bytes).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.led_epoch, recovery.led_epoch_damaged), (None, Some(path)));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 161: a follower's refusal of a sequencer's log is kept across
    /// restarts (`Follower::refused_log`); a damaged file still reads as a
    /// refusal (epoch 0), and `None` removes it.
    #[test]
    fn a_followers_refused_log_is_kept_across_restarts_until_removed() {
        let dir = temp_dir("refused-log");
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.refused_log, journal.refused_log()), (None, None));
        write(&mut journal, 1..=20);
        journal.write_refused_log(Some(Epoch(9))).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.refused_log, journal.refused_log()), (Some(Epoch(9)), Some(Epoch(9))));
        assert!(is_journal_file(REFUSED_LOG), "verify and the directory checks know it");
        journal.write_refused_log(None).unwrap();
        drop(journal);
        assert!(!dir.join(REFUSED_LOG).exists());
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.refused_log, None);
        fs::write(dir.join(REFUSED_LOG), [7u8; 32]).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.refused_log, Some(Epoch::ZERO), "damaged: a refusal all the same");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// What a follower handed out on receipt past its commit is kept across
    /// restarts until removed; a damaged file reads as every record.
    #[test]
    fn what_a_follower_handed_out_on_receipt_is_kept_across_restarts_until_removed() {
        let dir = temp_dir("handed-out");
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.handed_out, journal.handed_out()), (None, None));
        write(&mut journal, 1..=20);
        journal.write_handed_out(Some(Seq(u64::MAX))).unwrap();
        journal.write_handed_out(Some(Seq(20))).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.handed_out, journal.handed_out()), (Some(Seq(20)), Some(Seq(20))));
        assert!(is_journal_file(HANDED_OUT), "verify and the directory checks know it");
        journal.write_handed_out(None).unwrap();
        drop(journal);
        assert!(!dir.join(HANDED_OUT).exists());
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.handed_out, None);
        fs::write(dir.join(HANDED_OUT), [7u8; 32]).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.handed_out, Some(Seq(u64::MAX)), "damaged: every record may have gone out");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 148: the reach was looked for from the segment's start, at
    /// 8-byte steps, so a record inside an event's payload (a client's
    /// bytes) passed for the journal's, of any sequence: the member then
    /// refused every candidate. Only the records that follow the damaged
    /// one, one after another, count.
    #[test]
    fn a_record_inside_a_payload_is_not_taken_for_the_reach() {
        let dir = temp_dir("reach-payload");
        let wide = JournalOptions { segment_bytes: 1 << 20, record_max: record_len(256), ..options(&dir) };
        // Event 11, before the damage, carries as its payload a sealed
        // journal record of sequence 1,000,000.
        let only = journal_carrying(&wide, 11, (Epoch(3), 1_000_000), 20);
        let mut bytes = fs::read(&only).unwrap();
        let at = record_at(&bytes, record_len(256), 15);
        bytes[at + 40] ^= 0x40;
        fs::write(&only, &bytes).unwrap();
        let (_, recovery) = Journal::open(wide).unwrap();
        assert_eq!(recovery.reach, Some(Claim { epoch: Epoch(3), seq: Seq(20) }), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A sector lost in the middle of a segment takes several records with
    /// it, and damage may lie in more than one place: the reach was looked
    /// for only in the records that follow the first damaged one, one
    /// after another, so it fell to the damaged sequence. It is the last
    /// good record past all of it, and a record inside a damaged event's
    /// payload, of a sequence no record at its place can have, is not taken.
    #[test]
    fn the_reach_is_found_past_damage_that_spans_several_records() {
        let dir = temp_dir("reach-span");
        let wide = JournalOptions { segment_bytes: 1 << 20, record_max: record_len(256), ..options(&dir) };
        let only = journal_carrying(&wide, 11, (Epoch(3), 1_000_000), 200);
        let pristine = fs::read(&only).unwrap();
        let offset = |seq| record_at(&pristine, record_len(256), seq);
        let reach = Some(Claim { epoch: Epoch(3), seq: Seq(200) });
        let damages: [&[(usize, usize)]; 3] = [
            // Records 50 to 53 zeroed, as a sector never written reads.
            &[(offset(50), offset(54))],
            // Two records flipped, far apart.
            &[(offset(60) + 40, offset(60) + 41), (offset(120) + 40, offset(120) + 41)],
            // The head of the record whose payload holds another's.
            &[(offset(11), offset(11) + 8)],
        ];
        for spans in damages {
            let mut bytes = pristine.clone();
            for &(from, to) in spans {
                match to - from {
                    1 => bytes[from] ^= 0x40,
                    _ => bytes[from..to].fill(0),
                }
            }
            fs::write(&only, &bytes).unwrap();
            let (_, recovery) = Journal::open(wide.clone()).unwrap();
            assert!(recovery.corrupt.is_some() && recovery.reach == reach, "{spans:?}: {recovery:?}");
        }
        // Records past the damage longer than a payload_max lowered since
        // (helper 153): recovery reads them, and so does the walk.
        fs::write(&only, &pristine).unwrap();
        let (mut journal, _) = Journal::open(wide.clone()).unwrap();
        for seq in 201..=210 {
            journal.append(Epoch(3), Seq(seq - 1), &crate::wire::test_record(1, seq, &[7; 200])).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        let mut bytes = fs::read(&only).unwrap();
        bytes[offset(60) + 40] ^= 0x40;
        fs::write(&only, &bytes).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.reach, Some(Claim { epoch: Epoch(3), seq: Seq(210) }), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 153: a record inside a damaged event's payload that its place
    /// allows, ending where a record of another sequence starts, hid that
    /// one (the walk looked on past it), and across segments the derived
    /// order took a forged record's newer epoch at a lower sequence. Both
    /// lowered the reach; a forged record may only raise it.
    #[test]
    fn a_record_inside_a_damaged_payload_never_lowers_the_reach() {
        let dir = temp_dir("reach-forged");
        let wide = JournalOptions { segment_bytes: 1 << 20, record_max: record_len(256), ..options(&dir) };
        // Event 197's payload ends in a sealed record of sequence 195.
        let only = journal_carrying(&wide, 197, (Epoch(3), 195), 198);
        let mut bytes = fs::read(&only).unwrap();
        let (from, to) = (record_at(&bytes, record_len(256), 194), record_at(&bytes, record_len(256), 197) + 8);
        bytes[from..to].fill(0);
        fs::write(&only, &bytes).unwrap();
        let (_, recovery) = Journal::open(wide).unwrap();
        assert_eq!(recovery.reach, Some(Claim { epoch: Epoch(3), seq: Seq(198) }), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
        // Event 11's payload holds a record of epoch 9 (no claim bounds
        // it), in the first of several segments.
        let dir = temp_dir("reach-forged-epoch");
        let first = journal_carrying(&options(&dir), 11, (Epoch(9), 12), 200);
        let mut bytes = fs::read(&first).unwrap();
        let at = record_at(&bytes, record_len(64), 11);
        bytes[at..at + 8].fill(0);
        fs::write(&first, &bytes).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.reach, Some(Claim { epoch: Epoch(9), seq: Seq(200) }), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 155: where the walk's reach met another, the derived order
    /// (epoch first) let a record inside a damaged payload lower it: a
    /// forged (4, 57) beat the `reach` file's (3, 200), and a reach file
    /// raised to (9, 62) dropped a last record of 300 from a member's reach.
    #[test]
    fn a_forged_record_never_lowers_a_kept_reach_or_the_last_record() {
        let dir = temp_dir("reach-kept");
        let wide = JournalOptions { segment_bytes: 1 << 20, ..options(&dir) };
        let only = journal_carrying(&wide, 56, (Epoch(4), 57), 60);
        let (mut journal, _) = Journal::open(wide.clone()).unwrap();
        journal.write_reach(Some(Claim { epoch: Epoch(3), seq: Seq(200) }), None).unwrap();
        drop(journal);
        let mut bytes = fs::read(&only).unwrap();
        let at = record_at(&bytes, record_len(64), 56);
        bytes[at..at + 8].fill(0);
        fs::write(&only, &bytes).unwrap();
        let (_, recovery) = Journal::open(wide).unwrap();
        assert_eq!(recovery.reach, Some(Claim { epoch: Epoch(4), seq: Seq(200) }), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
        let raised = Recovery {
            reach: Some(Claim { epoch: Epoch(9), seq: Seq(62) }),
            range: Some((Seq(1), Seq(300))),
            last_epoch: Epoch(3),
            ..Recovery::default()
        };
        assert_eq!(raised.member_reach(), Some(Claim { epoch: Epoch(9), seq: Seq(300) }));
    }

    /// Helper 143: a segment whose header is damaged stopped the node with
    /// only the error; it says what to do, and doing it (a middle segment
    /// moved aside) opens the journal with that segment's records missing,
    /// to be fetched again.
    #[test]
    fn a_damaged_segment_header_says_to_move_the_file_aside() {
        let dir = temp_dir("bad-header");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=200);
        drop(journal);
        let mut names: Vec<PathBuf> = list(&dir).unwrap().into_iter().map(|(_, path)| path).collect();
        names.sort();
        assert!(names.len() >= 3, "{names:?}");
        let middle = &names[1];
        let mut bytes = fs::read(middle).unwrap();
        bytes[8] ^= 0x40;
        fs::write(middle, &bytes).unwrap();
        let error = Journal::open(options(&dir)).unwrap_err().to_string();
        assert!(error.contains("segment header CRC mismatch; left untouched. If a later segment follows"), "{error}");
        fs::rename(middle, dir.join("aside")).unwrap();
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert!(recovery.missing.is_some(), "{recovery:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The same review: epochs past Epoch::MAX (2^48, the most a frame
    /// carries) and sequences near the end of u64 were read as any other:
    /// a sequencer told to lead past 2^62, a member's promise wrapping to
    /// 0, a segment at u64::MAX - 1 read as empty. They are damage.
    #[test]
    fn epochs_and_sequences_no_writer_gives_are_damage() {
        let dir = temp_dir("epoch-max");
        header_only(&dir, (1, 0), (1 << 48) + 1);
        let error = Journal::open(options(&dir)).unwrap_err();
        assert!(matches!(error, JournalError::Header(_, HeaderError::Field("epoch"))), "{error}");
        fs::remove_dir_all(&dir).unwrap();
        header_only(&dir, (u64::MAX - 1, 0), 3);
        let error = Journal::open(options(&dir)).unwrap_err();
        assert!(matches!(error, JournalError::Header(_, HeaderError::Field("first sequence"))), "{error}");
        fs::remove_dir_all(&dir).unwrap();
        // A record of a later epoch than any is no record: a corrupt one.
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=3);
        journal.append(Epoch((1 << 48) + 1), Seq(3), &event(4)).unwrap();
        journal.append(Epoch(3), Seq(3), &event(5)).unwrap();
        journal.flush().unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.corrupt.map(|c| c.1), Some(Seq(4)));
        fs::remove_dir_all(&dir).unwrap();
        // (Helper 180: an epoch of 2^49 + 5 read back as a claim of epoch 5.)
        let beyond = [(1 << 48) + 1, 1 << 48, 1 << 49, (1 << 49) + 5, u64::MAX];
        for (epoch, promised) in beyond.map(|epoch| (epoch, epoch.max((1 << 48) + 1))) {
            let claim = ClaimFile::new(5, NodeId(2), Epoch(epoch), true, Epoch(promised), 0);
            assert!(ClaimFile::parse(claim.as_bytes()).is_err(), "{epoch} {promised}");
        }
        let claim = ClaimFile::new(5, NodeId(2), Epoch(1 << 48), true, Epoch(1 << 48), 0);
        assert!(ClaimFile::parse(claim.as_bytes()).is_ok());
    }

    /// Two reviews: a follower taking a resumed sequencer's log truncates
    /// its journal to the commit it was told, though it knew more (it had
    /// inferred it): the commit file, synced, said only the told commit
    /// until the new log's records were durable, and a power loss between
    /// left it knowing less. It says what the follower knows, past the
    /// records left, and a later write of less (the follower resumed on it
    /// knows only what its records hold until it has them again) keeps it.
    #[test]
    fn a_truncation_keeps_in_the_commit_file_what_the_node_knows_past_it() {
        let dir = temp_dir("truncate-knowing");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=110 {
            journal.append(Epoch(3), Seq(seq.min(91) - 1), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        journal.truncate_knowing(Seq(90), (Seq(105), Epoch(4))).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(*seqs(&journal).last().unwrap(), 90);
        assert_eq!((recovery.commit, recovery.commit_file_beyond), (Seq(90), Some(Seq(105))));
        assert_eq!(recovery.commit_file_epoch, Epoch(4), "the epoch of the log it takes");
        journal.write_commit(Seq(90), Epoch(4)).unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.commit_file_beyond, recovery.commit_file_epoch), (Some(Seq(105)), Epoch(4)));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A review of the above: the cut synced its zeros before the commit
    /// file said anything, and a crash between (or a power loss before the
    /// file's sync) left a follower that had inferred every record it
    /// dropped knowing only what it kept. What they say goes into the file
    /// before the cut.
    #[test]
    fn a_crash_right_after_a_truncation_cut_leaves_the_commit_the_dropped_records_said() {
        let dir = temp_dir("truncate-crash");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=110 {
            // As an inferring follower writes them: each committed as far as itself.
            journal.append(Epoch(3), Seq(seq), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        journal.crash_after_cut = true;
        assert!(journal.truncate_knowing(Seq(90), (Seq(110), Epoch(4))).is_err());
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(*seqs(&journal).last().unwrap(), 90);
        // In the epoch of the records that said it, not yet the log taken
        // (a third review): a restart checks that log again.
        assert_eq!((recovery.commit_file_beyond, recovery.commit_file_epoch), (Some(Seq(110)), Epoch(3)));
        assert!(!dir.join("commit.new").exists(), "replaced whole at batch");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 113: a plain truncation (a member taking a new leader's log)
    /// wrote nothing before its cut, and a crash between the cut and the
    /// file's write left the commit that only the dropped records said.
    #[test]
    fn a_crash_right_after_a_plain_truncation_cut_keeps_the_commit_up_to_what_it_kept() {
        let dir = temp_dir("truncate-crash-plain");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=110 {
            journal.append(Epoch(3), Seq(if seq <= 100 { (seq - 1).min(95) } else { 100 }), &event(seq)).unwrap();
        }
        journal.flush().unwrap();
        journal.crash_after_cut = true;
        assert!(journal.truncate(Seq(100)).is_err());
        drop(journal);
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(*seqs(&journal).last().unwrap(), 100);
        assert_eq!((recovery.commit, recovery.commit_file_beyond), (Seq(100), None));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The same review: a commit file of an older build (no epoch) past
    /// the records, which no node takes, was never written down again, and
    /// read later beside another log's records as their commit.
    #[test]
    fn a_commit_file_past_the_records_without_an_epoch_comes_down_to_them() {
        let dir = temp_dir("commit-no-epoch");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        write(&mut journal, 1..=10);
        drop(journal);
        fs::write(dir.join("commit"), CommitFile::new(5, NodeId(2), Seq(20), Epoch::ZERO).as_bytes()).unwrap();
        let (mut journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.commit_file_beyond, recovery.commit_file_epoch), (Some(Seq(20)), Epoch::ZERO));
        journal.write_commit(Seq(5), Epoch(6)).unwrap();
        drop(journal);
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((recovery.commit_file_beyond, recovery.commit), (None, Seq(10)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_directory_is_an_error_at_open() {
        let file = temp_dir("notadir");
        fs::write(&file, b"x").unwrap();
        let error = Journal::open(options(&file.join("sub"))).unwrap_err();
        assert!(matches!(error, JournalError::Dir(..)), "{error}");
        fs::remove_file(&file).unwrap();
    }
}
