//! A core machine and its journal (DESIGN §8): once per driver turn,
//! after the input, the timers and what they had to send, what the machine
//! handed out is appended and synced at the journal's level, and what
//! became durable is reported back, so the ACKs sent right after may say so.

use std::collections::VecDeque;
use std::net::SocketAddr;

use zerocopy::FromBytes;

use super::NetError;
use super::driver::Machine;
use crate::core::{
    Append, Claim, Config, Dest, Epoch, Follower, JournalClaim, Leader, Member, Nanos, NodeId, Seq, Transmit,
};
use crate::journal::format::Entry;
use crate::journal::{Journal, JournalError, JournalOptions, ReadPos, Recovery};
use crate::wire::{EventHeader, EventRef};

/// What a machine that journals offers its driver.
pub(super) trait Durable {
    /// The next record to append.
    fn poll_append(&mut self) -> Option<Append<'_>>;
    /// Everything up to `through` is durable.
    fn handle_durable(&mut self, through: Seq);
    /// Drop what was journaled after this sequence (a follower's).
    fn poll_truncate(&mut self) -> Option<Seq> {
        None
    }
    /// What it still knows committed past a truncation, for the commit
    /// file to keep (a follower of a sequencer's; see
    /// [`Follower::known_committed`]).
    fn known_committed(&self) -> Seq {
        Seq::ZERO
    }
    /// The epoch of the log it leads or follows (0: none yet), kept with
    /// the commit it learned there.
    fn log_epoch(&self) -> Epoch;
    /// What the journal may claim after a restart (a member's, with failover).
    fn journal_claim(&self) -> Option<JournalClaim> {
        None
    }
    /// It does not know what it promised (a member's, see
    /// [`Member::promise_unknown`]): no claim may stay beside its journal.
    fn promise_unknown(&self) -> bool {
        false
    }
    /// What it knows committed, to be kept beside its journal when no
    /// record says as much (a follower's, or a member's following; see
    /// [`Journal::write_commit`]).
    fn journal_commit(&self) -> Seq {
        Seq::ZERO
    }
    /// It refused the cluster's log, why (a member's: a leader elected on a
    /// log short of what it knows committed; see [`Journal::write_refused`]).
    fn refused(&self) -> Option<String> {
        None
    }
    /// The epoch of a sequencer whose log it refused, kept beside its
    /// journal (a follower's, see [`Follower::refused_log`]).
    fn refused_log(&self) -> Option<Epoch> {
        None
    }
    /// How far past its commit its application may have been handed
    /// events, kept beside its journal (a follower's, see
    /// [`Follower::handed_out`]); `None` removes the file.
    fn handed_out(&self) -> Option<Seq> {
        None
    }
    /// The next sequence it hands its application, if it has one (a
    /// follower's or a member's): retention keeps it and what follows
    /// (see [`Journal::keep_unhanded`]).
    fn next_to_hand(&self) -> Option<Seq> {
        None
    }
    /// It stops cleanly: a leader with failover hands its lead over
    /// (see [`Member::hand_over`]).
    fn hand_over(&mut self, _now: Nanos) {}
    /// What it knows committed, kept beside its journal at a clean stop:
    /// its last records carry only the commit known when they were written,
    /// and a leader's learns more with every quorum of ACKs after them.
    fn stop_commit(&self) -> Seq {
        self.journal_commit()
    }
    /// Whether it serves history as the leader: a range asked of it in
    /// one role is not served in the other (a member that stepped down
    /// would send its leader's askers `SERVED` frames they drop).
    fn leads(&self) -> bool {
        true
    }
    /// A range to serve from the journal (a leader's).
    fn poll_history(&mut self, _now: Nanos) -> Option<(SocketAddr, Seq, Seq)> {
        None
    }
    /// A RETRANSMIT of `records` (see [`Leader::history_frame`]).
    fn history_frame(&mut self, _now: Nanos, _buf: &mut [u8], _records: &[u8]) -> (usize, usize) {
        (0, 0)
    }
    /// An UNRECOVERABLE (see [`Leader::unrecoverable_frame`]).
    fn unrecoverable_frame(&mut self, _buf: &mut [u8], _first: Seq, _end: Seq) -> usize {
        0
    }
    /// How far its journal reached before records were dropped from it,
    /// while its log holds less (a member's: [`Member::damaged_reach`]);
    /// its `reach` file goes once this is `None`.
    fn damaged_reach(&self) -> Option<Claim> {
        None
    }
    /// The journal failed; returns what the node does about it beyond
    /// acknowledging nothing more, for the operator.
    fn journal_failed(&mut self, _now: Nanos) -> String {
        String::new()
    }
}

impl Durable for Leader {
    fn poll_append(&mut self) -> Option<Append<'_>> {
        Leader::poll_append(self)
    }
    fn log_epoch(&self) -> Epoch {
        self.epoch()
    }
    fn stop_commit(&self) -> Seq {
        Leader::journal_commit(self)
    }
    fn handle_durable(&mut self, through: Seq) {
        Leader::handle_durable(self, through)
    }
    fn poll_history(&mut self, now: Nanos) -> Option<(SocketAddr, Seq, Seq)> {
        Leader::poll_history(self, now)
    }
    fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        Leader::history_frame(self, now, buf, records)
    }
    fn unrecoverable_frame(&mut self, buf: &mut [u8], first: Seq, end: Seq) -> usize {
        Leader::unrecoverable_frame(self, buf, first, end)
    }
    fn journal_failed(&mut self, _now: Nanos) -> String {
        Leader::journal_failed(self);
        ", sends no event its journal lacks (nothing more commits; clients are answered BUSY once in_flight_max \
         is reached)"
            .to_string()
    }
}

impl Durable for Member {
    fn poll_append(&mut self) -> Option<Append<'_>> {
        Member::poll_append(self)
    }
    fn handle_durable(&mut self, through: Seq) {
        Member::handle_durable(self, through)
    }
    fn poll_truncate(&mut self) -> Option<Seq> {
        Member::poll_truncate(self)
    }
    fn known_committed(&self) -> Seq {
        Member::known_committed(self)
    }
    fn log_epoch(&self) -> Epoch {
        self.epoch()
    }
    fn journal_claim(&self) -> Option<JournalClaim> {
        Member::journal_claim(self)
    }
    fn promise_unknown(&self) -> bool {
        Member::promise_unknown(self)
    }
    fn journal_commit(&self) -> Seq {
        Member::turn_commit(self)
    }
    fn stop_commit(&self) -> Seq {
        Member::journal_commit(self)
    }
    fn hand_over(&mut self, now: Nanos) {
        Member::hand_over(self, now);
    }
    fn leads(&self) -> bool {
        self.is_leader()
    }
    fn poll_history(&mut self, now: Nanos) -> Option<(SocketAddr, Seq, Seq)> {
        Member::poll_history(self, now)
    }
    fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        Member::history_frame(self, now, buf, records)
    }
    fn unrecoverable_frame(&mut self, buf: &mut [u8], first: Seq, end: Seq) -> usize {
        Member::unrecoverable_frame(self, buf, first, end)
    }
    fn next_to_hand(&self) -> Option<Seq> {
        Some(self.seq_next_delivery())
    }
    fn refused(&self) -> Option<String> {
        let short = self.follower()?.short_leader()?;
        let leader = self.follower().and_then(|f| f.leader()).map_or("a member".to_string(), |l| format!("node {l}"));
        Some(format!("{leader} led epoch {} {short}", short.epoch))
    }
    fn damaged_reach(&self) -> Option<Claim> {
        Member::damaged_reach(self)
    }
    fn journal_failed(&mut self, now: Nanos) -> String {
        // Helper 143: a leader stepped down without a word of it.
        let led = self.is_leader().then(|| self.epoch());
        let handed = Member::journal_failed(self, now);
        let steps = match (led, handed) {
            (Some(epoch), Some(to)) => format!(
                ", and steps down from leading epoch {epoch}: the others elect a member whose journal works; it \
                 handed its lead to member {to}, which stands at once"
            ),
            (Some(epoch), None) => {
                format!(", and steps down from leading epoch {epoch}: the others elect a member whose journal works")
            }
            (None, _) => String::new(),
        };
        format!(", votes and stands in no election (what it promised could not be made durable){steps}")
    }
}

impl Durable for Follower {
    fn poll_append(&mut self) -> Option<Append<'_>> {
        Follower::poll_append(self)
    }
    fn handle_durable(&mut self, through: Seq) {
        Follower::handle_durable(self, through)
    }
    fn poll_truncate(&mut self) -> Option<Seq> {
        Follower::poll_truncate(self)
    }
    fn known_committed(&self) -> Seq {
        Follower::known_committed(self)
    }
    fn log_epoch(&self) -> Epoch {
        self.epoch()
    }
    fn journal_commit(&self) -> Seq {
        Follower::journal_commit(self)
    }
    fn refused_log(&self) -> Option<Epoch> {
        Follower::refused_log(self)
    }
    fn handed_out(&self) -> Option<Seq> {
        Follower::handed_out(self)
    }
    fn next_to_hand(&self) -> Option<Seq> {
        Some(self.seq_next_delivery())
    }
    fn journal_failed(&mut self, _now: Nanos) -> String {
        Follower::journal_failed(self);
        String::new()
    }
}

/// History bytes a node sends per driver turn at most, after the turn's
/// live frames: catch-up never starves the live stream (DESIGN §8).
const HISTORY_BYTES_PER_TURN: usize = 64 << 10;

/// A cap on the history a node serves, in bytes a second on average
/// (`JournalOptions::history_rate`): a token bucket holding at most a
/// turn's budget, which a frame may overdraw (the next waits for the debt).
#[derive(Clone, Copy, Debug)]
struct Pace {
    rate: u64,
    /// Bytes that may go now; below zero, owed.
    tokens: i64,
    /// When `tokens` was last brought up to date.
    at: Nanos,
}

impl Pace {
    fn new(rate: u64, now: Nanos) -> Pace {
        Pace { rate: rate.max(1), tokens: HISTORY_BYTES_PER_TURN as i64, at: now }
    }

    /// Adds what `now` earned since the last refill, up to a turn's budget;
    /// returns the bytes that may go.
    fn refill(&mut self, now: Nanos) -> usize {
        let cap = HISTORY_BYTES_PER_TURN as i64;
        let elapsed = now.saturating_sub(self.at);
        let earned = u128::from(elapsed) * u128::from(self.rate) / 1_000_000_000;
        // What fills the bucket, a debt paid first (tokens never exceed the cap).
        if earned >= (cap - self.tokens) as u128 {
            (self.tokens, self.at) = (cap, now);
        } else {
            // Only the time the whole bytes earned took: no fraction lost.
            self.tokens += earned as i64;
            self.at += (earned * 1_000_000_000 / u128::from(self.rate)) as Nanos;
        }
        self.tokens.max(0) as usize
    }

    fn spend(&mut self, bytes: usize) {
        self.tokens -= bytes as i64;
    }

    /// When a byte may go again: now if one may, else once the debt is paid.
    fn ready_at(&self) -> Nanos {
        if self.tokens > 0 {
            return 0;
        }
        let owed = u128::from(self.tokens.unsigned_abs() + 1);
        self.at + (owed * 1_000_000_000).div_ceil(u128::from(self.rate)) as Nanos
    }
}

/// Ranges a node serves from its journal at once; more wait for a NAK again.
const HISTORY_JOBS_MAX: usize = 64;

/// Records read from the journal for one job at a time. Under a
/// `--history-rate` cap with several jobs, a read holds at most each job's
/// share of a second's bytes (at least one record): one reader's turn never
/// keeps the others waiting much past a second, where an asker waits for an
/// answer 10 s before it asks elsewhere (PROTOCOL).
const HISTORY_READ_RECORDS: usize = 1024;

/// A range one follower asked for, served from the journal over turns.
#[derive(Debug)]
struct Job {
    dest: SocketAddr,
    next: Seq,
    end: Seq,
    /// Where the journal's last read for it stopped.
    pos: ReadPos,
    /// A read for it was served since it last came to the front: once
    /// that is sent, it goes behind the others.
    served: bool,
}

/// A machine, and the journal it appends to if it has one.
#[derive(Debug)]
pub(super) struct Stored<M> {
    pub(super) machine: M,
    journal: Option<Journal>,
    /// The journal failed (a full disk, an I/O error): nothing more is
    /// written, so nothing more is acknowledged.
    failed: bool,
    /// When the turn's journal work began (its write-ahead, which the
    /// driver calls just after it reads `now`; its sync follows in the
    /// same turn): a write or a sync that fails may have hung first, and
    /// the machine is told of it at the time it returned, not at the
    /// turn's start (a leader hands its lead over only if it was heard
    /// lately). One clock read a turn.
    io_since: Option<std::time::Instant>,
    /// The claim last written beside the journal.
    claimed: Option<JournalClaim>,
    /// The highest commit a record written, or the commit file, says.
    commit_kept: Seq,
    /// Ranges being served from the journal, oldest request first.
    jobs: VecDeque<Job>,
    /// Whether the machine led when they were asked (see [`Durable::leads`]).
    jobs_leading: bool,
    /// Records read for the first job, and how far they were sent.
    records: Vec<u8>,
    records_at: usize,
    /// Where the journal read after `records` ends.
    records_next: Seq,
    /// History bytes this turn may still send.
    budget: usize,
    /// The cap on history bytes a second, if the journal's options set one.
    pace: Option<Pace>,
    /// The last reason history could not be served, said once.
    history_error: Option<String>,
    /// The machine's refusal of the cluster's log is beside the journal.
    refusal_kept: bool,
    /// Its node has yet to replay the journal to its application: nothing
    /// of it may go before (see [`replayed`](Self::replayed)).
    replaying: bool,
}

/// Where a read met a damaged record: its sequence, and where reads
/// resume (the next record its segment's index places).
fn damage(error: &JournalError) -> Option<(Seq, Seq)> {
    match *error {
        JournalError::Damaged { seq, resumes, .. } => Some((seq, resumes)),
        _ => None,
    }
}

/// Says on stderr why history could not be served, once for each new
/// reason (a follower asks again and again).
fn warn_history(last: &mut Option<String>, error: &JournalError) {
    let text = error.to_string();
    if last.as_deref() != Some(text.as_str()) {
        let then = match damage(error) {
            Some(_) => "told lost (UNRECOVERABLE) to whoever asks for them",
            None => "whoever asked asks again",
        };
        eprintln!("error: serving history from the journal: {text}; {then}");
        *last = Some(text);
    }
}

/// Keeps beside `journal` how far past its commit a follower's
/// application may have been handed events (see [`Follower::handed_out`]),
/// where that changed. The file goes once those events are known committed
/// (or withdrawn, already on disk, and the application told): a commit only an idle leader's
/// HEARTBEAT said is in the commit file alone, which is not synced each
/// turn (nor, at start, what an earlier run left there): synced first, or a
/// power loss could take both.
pub(super) fn keep_handed_out(journal: &mut Journal, handed_out: Option<Seq>) -> Result<(), JournalError> {
    if handed_out == journal.handed_out() {
        return Ok(());
    }
    if handed_out.is_none() {
        journal.sync_commit()?;
    }
    journal.write_handed_out(handed_out)
}

/// A journal opened with nothing to resume: the journal, and its recovery
/// only if that has something to say (an empty segment removed, or
/// damage before its first good record: all of it dropped).
pub(super) fn nothing_resumed(opened: Option<(Journal, Recovery)>) -> (Option<Journal>, Option<Recovery>) {
    match opened {
        Some((journal, recovery)) => {
            let says = recovery.empty_removed.is_some() || recovery.damaged();
            (Some(journal), says.then_some(recovery))
        }
        None => (None, None),
    }
}

/// Opens the journal node `id` of `config`'s cluster starts with,
/// recovering what it holds; options of another cluster, node or record
/// size than `config`'s are refused before anything is opened.
pub(super) fn open(
    options: Option<&JournalOptions>,
    config: &Config,
    id: NodeId,
) -> Result<Option<(Journal, Recovery)>, NetError> {
    let Some(options) = options else { return Ok(None) };
    let theirs = (options.cluster, options.node, options.record_max, options.shape);
    let ours = (config.cluster_id, id, config.record_max(), config.shape());
    if theirs != ours {
        return Err(NetError::Setting(
            "journal",
            format!(
                "its options say cluster {}, node {}, record_max {}, {}; this node is cluster {}, node {}, \
                 record_max {}, {} (JournalOptions::new fills them in from the node's Config)",
                theirs.0,
                theirs.1,
                theirs.2,
                crate::core::shape_text(theirs.3),
                ours.0,
                ours.1,
                ours.2,
                crate::core::shape_text(ours.3)
            ),
        ));
    }
    Ok(Some(Journal::open(options.clone()).map_err(NetError::Journal)?))
}

/// A follower's journal that holds a corrupt record (DESIGN §8): what
/// follows its last good record is dropped (the segments after it deleted,
/// the rest of its own cleared), to be fetched again from the leader.
pub(super) fn drop_damaged(journal: &mut Journal, recovery: &Recovery) -> Result<(), NetError> {
    if recovery.damaged() {
        // What its commit file knew past the records kept stays known
        // (with the epoch it was learned in; without, it is not taken).
        let known = match recovery.commit_file_epoch {
            Epoch::ZERO => (Seq::ZERO, Epoch::ZERO),
            epoch => (recovery.commit_file_beyond.unwrap_or(Seq::ZERO), epoch),
        };
        let last = recovery.range.map_or(Seq::ZERO, |(_, last)| last);
        journal.truncate_knowing(last, known).map_err(NetError::Journal)?;
    }
    Ok(())
}

/// A sequencer starting `epoch` on `journal`: refused unless it is newer
/// than the last one started there ([`Recovery::led_epoch`]), records of it
/// on disk or not. One started again with the same `--epoch` after a run
/// that left no record would be taken by followers for that run's leader,
/// and its events for the ones they hold at those sequences.
pub(super) fn newer_than_led(epoch: Epoch, journal: &Journal, recovery: &Recovery) -> Result<(), NetError> {
    if let Some(path) = &recovery.led_epoch_damaged {
        // Not ignored: the epoch it named could be led again.
        return Err(NetError::JournalResume(format!(
            "journal {}: its led-epoch file ({}) is damaged: the epoch an earlier sequencer started on it is not \
             known, and a sequencer must start a newer one. Remove the file once sure that this epoch ({epoch}) is \
             newer than any started there (the default, the clock in ms, is, unless the clock went back), and \
             start it again",
            journal.dir().display(),
            path.display()
        )));
    }
    match recovery.led_epoch {
        Some(led) if epoch <= led => Err(NetError::JournalResume(format!(
            "journal {}: a sequencer started epoch {led} on it before (its led-epoch file says so, though no \
             record of that epoch need have reached the disk); lead a newer one (--epoch; in a program, \
             net::fresh_epoch())",
            journal.dir().display()
        ))),
        _ => Ok(()),
    }
}

/// A leader from its journal (DESIGN §8): the log it kept, resumed in
/// `config.epoch`, which must be newer; a journal with a gap or a corrupt
/// record is refused (a leader's log must be whole: it holds every commit).
pub(super) fn resume_leader(
    config: Config,
    now: Nanos,
    journal: &Journal,
    recovery: &Recovery,
) -> Result<Leader, NetError> {
    let dir = journal.dir().display();
    let refuse = |why: String| Err(NetError::JournalResume(format!("journal {dir}: {why}")));
    // What an operator can do about it, said where the refusal is.
    let copy = "a leader resumes only a whole log: start it on a copy of a follower's journal that holds it \
                (`seqcast journal copy FROM TO`, FROM a follower's DIR/node-ID, TO this node's), keeping this one aside";
    if let Some((path, seq)) = &recovery.corrupt {
        return refuse(format!("sequence {seq} is corrupt in {}; {copy}", path.display()));
    }
    if let Some((path, first, end)) = &recovery.missing {
        return refuse(format!(
            "sequences {first}..={} are missing: a segment file before {} is gone, or they were lost with the \
             power at --sync none; {copy}",
            end.prev(),
            path.display()
        ));
    }
    if let Some((first, end)) = recovery.gaps.first() {
        return refuse(format!("sequences {first}..={} are missing; {copy}", end.prev()));
    }
    if let Some(commit) = recovery.commit_file_beyond {
        let held = recovery.range.map_or("no record".to_string(), |(_, last)| format!("records up to {last}"));
        return refuse(format!(
            "its commit file says {commit} was committed, but it holds {held}: committed records are gone (a \
             segment file removed, or writes lost with the power at --sync none); {copy}"
        ));
    }
    if config.epoch <= recovery.last_epoch {
        return refuse(format!(
            "its last epoch is {}; lead a newer one (--epoch; in a program, net::fresh_epoch())",
            recovery.last_epoch
        ));
    }
    // The ring keeps the newest `ring_events` records, the journal serves
    // the older ones: only those are read again (recovery checked them all).
    let start = match recovery.range {
        Some((_, last)) => journal.first().max(Seq((last.get() + 1).saturating_sub(config.ring_events as u64))),
        None => journal.first(),
    };
    let mut resume = Leader::resume(config, now, start)?;
    let mut whole = true;
    journal
        .read(start, Seq(u64::MAX), usize::MAX, |entry| whole &= resume.push(entry.event))
        .map_err(NetError::Journal)?;
    if !whole {
        return refuse("its records do not follow one another".into());
    }
    Ok(resume.finish(recovery.commit))
}

/// The epoch a commit it knows is kept with: of the log it leads or
/// follows, else (following nobody yet: resumed, or a member before an
/// election) of its journal's last record, which says that commit. Never
/// 0 while there is one: a file of epoch 0 reads as an older build's.
fn epoch_of(machine: &impl Durable, journal: &Journal) -> Epoch {
    match machine.log_epoch() {
        Epoch::ZERO => journal.last_epoch(),
        epoch => epoch,
    }
}

/// Writes `claim` beside the journal if it differs from what was written.
fn persist_claim(
    journal: &mut Journal,
    claimed: &mut Option<JournalClaim>,
    claim: Option<JournalClaim>,
    unknown: bool,
) -> Result<(), JournalError> {
    if unknown && claimed.take().is_some() {
        // Kept from before it lost track of its promise: gone, before
        // anything it was not taken for (a truncation).
        journal.remove_claim()?;
    }
    if let Some(claim) = claim.filter(|&c| *claimed != Some(c)) {
        journal.write_claim(claim.epoch, claim.whole, claim.promised)?;
        *claimed = Some(claim);
    }
    Ok(())
}

/// What may go to the claim file of `claim` while the journal keeps a
/// `reach` file: a whole claim only where the member still holds that
/// reach. One whose log released it (it holds as much again, or whole a
/// newer leader's starting log) goes whole only once `sync` removed the
/// reach, when all it wrote is durable; until then not whole, its promise
/// kept. Left beside the reach by a crash, a whole claim would be read at
/// the restart as naming the log the reach was of, and the reach held
/// against every log of its epoch short of it, the member's own among them
/// (the simulator's seed 99104912 of `--failover --journal
/// --cluster-crashes 2 --damages 2 --retain-events 4`: none was elected).
fn claim_beside_reach(journal: &Journal, machine: &impl Durable, claim: Option<JournalClaim>) -> Option<JournalClaim> {
    let released = journal.keeps_reach() && machine.damaged_reach().is_none();
    claim.map(|c| JournalClaim { whole: c.whole && !released, ..c })
}

/// A member with failover from its journal (DESIGN §8; see
/// [`Member::resume_member`]). A corrupt record voids the claim: what
/// follows it is dropped and fetched again. A commit file past the last
/// record does not: a journal that ends in sequences it was told were lost
/// (UNRECOVERABLE: never records) says so too, as a member that knew them
/// committed leaves it, and voiding its claim for that cost a cluster its
/// only quorum in the simulator (see [`Recovery::member_claim`]).
pub(super) fn resume_member(
    config: Config,
    id: NodeId,
    now: Nanos,
    journal: &mut Journal,
    recovery: &Recovery,
) -> Result<Member, NetError> {
    let claim = recovery.member_claim().map(|(epoch, whole, promised)| JournalClaim { epoch, whole, promised });
    if let Some(c) = claim.filter(|c| !c.whole && recovery.claim.is_some_and(|(_, whole, _)| whole)) {
        // Its log claims nothing now (see `Recovery::member_claim`); what
        // it promised still binds it. A claim that is not whole goes to
        // disk before a truncation, as in a turn: a crash between must not
        // leave a whole claim over a shortened log.
        journal.write_claim(c.epoch, false, c.promised).map_err(NetError::Journal)?;
    }
    let (reach, records) = (recovery.member_reach(), recovery.member_reach_records());
    if reach != recovery.reach || records != recovery.reach_records || recovery.damaged() {
        // How far it reached, kept before what lies past the commit goes
        // (here after damage; in its first turn without a whole claim): a
        // restart must still know it (see `Recovery::member_reach`), and
        // the epochs of what it stands for, which its claim may no longer
        // bound once it follows a newer leader.
        journal.write_reach(reach, records).map_err(NetError::Journal)?;
    }
    // Without a claim, and with no record at or below the commit
    // (retention took them), the first record past it names the epoch
    // whose leader holds the commit (see `MemberResume`): the cut below
    // drops it, so it is read first.
    let journal_first = journal.first();
    let mut past = None;
    if recovery.damaged() && claim.is_none() && journal_first > recovery.commit {
        let keep = |entry: Entry<'_>| past = Some((entry.epoch, entry.event.record.to_vec()));
        journal.read(journal_first, journal_first.next(), 1, keep).map_err(NetError::Journal)?;
    }
    if recovery.damaged() {
        journal.truncate(recovery.commit).map_err(NetError::Journal)?;
    }
    // Damage may leave no record (retention took those below it): it then
    // holds none of what it knew committed, and says so.
    let first = match journal.first() {
        _ if past.is_some() => journal_first,
        Seq::ZERO => recovery.commit.next(),
        first => first,
    };
    let mut resume = Member::resume_member(config, id, now, claim, (first, recovery.commit))?;
    journal
        .read(journal.first(), Seq(u64::MAX), usize::MAX, |entry| resume.push(entry.epoch, entry.event))
        .map_err(NetError::Journal)?;
    if let Some((epoch, record)) = &past
        && let Ok((event, _)) = EventRef::split(record)
    {
        resume.push(*epoch, event);
    }
    let mut member = resume.finish();
    if let Some(reach) = reach {
        let log_epoch = recovery.claim.map(|(epoch, ..)| epoch);
        member.reached_before_damage(reach, log_epoch, records);
    }
    Ok(member)
}

impl<M: Machine + Durable> Stored<M> {
    /// The journal, if the machine keeps one.
    pub(super) fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// The first sequence its journal keeps, if it keeps one with records.
    pub(super) fn journal_first(&self) -> Option<Seq> {
        self.journal.as_ref().map(Journal::first).filter(|&first| first != Seq::ZERO)
    }

    /// Where its journal lies, if it keeps one.
    pub(super) fn journal_dir(&self) -> Option<&std::path::Path> {
        self.journal.as_ref().map(Journal::dir)
    }

    /// The machine and the journal it was resumed from (or none): the
    /// journal's retention applies now (see [`Journal::retain`]), or, for
    /// a machine that hands events to an application, once the node has
    /// replayed what the journal holds ([`replayed`](Self::replayed)).
    pub(super) fn new(machine: M, mut journal: Option<Journal>) -> Stored<M> {
        let replaying = journal.is_some() && machine.next_to_hand().is_some();
        if let Some(journal) = journal.as_mut() {
            match replaying {
                true => journal.keep_unhanded(journal.first().max(Seq::FIRST)),
                false => journal.retain(),
            }
        }
        let pace = journal.as_ref().and_then(|j| j.options().history_rate).map(|rate| Pace::new(rate, 0));
        Stored {
            jobs_leading: machine.leads(),
            machine,
            journal,
            failed: false,
            io_since: None,
            claimed: None,
            commit_kept: Seq::ZERO,
            jobs: VecDeque::new(),
            records: Vec::new(),
            records_at: 0,
            records_next: Seq::ZERO,
            budget: 0,
            pace,
            history_error: None,
            refusal_kept: false,
            replaying,
        }
    }

    /// What the claim file beside the journal holds, as recovered.
    pub(super) fn claimed_on_disk(&mut self, claim: Option<(Epoch, bool, Epoch)>) {
        self.claimed = claim.map(|(epoch, whole, promised)| JournalClaim { epoch, whole, promised });
    }

    /// Queues a range to serve; one that overlaps a job for the same
    /// follower extends it (a NAK repeated while it is being served), and
    /// what it asks again below where that job got to (its frames lost on
    /// the way) is a job of its own.
    fn enqueue(&mut self, dest: SocketAddr, first: Seq, end: Seq) {
        if let Some(job) = self.jobs.iter_mut().find(|j| j.dest == dest && first <= j.end && j.next < end) {
            job.end = job.end.max(end);
            let sent = job.next;
            if first < sent && self.jobs.len() < HISTORY_JOBS_MAX {
                self.jobs.push_back(Job { dest, next: first, end: sent, pos: ReadPos::default(), served: false });
            }
        } else if self.jobs.len() < HISTORY_JOBS_MAX {
            self.jobs.push_back(Job { dest, next: first, end, pos: ReadPos::default(), served: false });
        }
    }

    /// The next frame of the first job, within the turn's budget. Jobs
    /// take turns, a read (`HISTORY_READ_RECORDS`) each: a follower behind
    /// does not wait for a long replay to end, under a `--history-rate`
    /// cap for minutes.
    fn transmit_history(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        self.end_jobs_of_another_role();
        // Each job's share of a second under the cap, when it has company.
        let share = match self.pace {
            Some(pace) if self.jobs.len() > 1 => (pace.rate / self.jobs.len() as u64).max(1) as usize,
            _ => usize::MAX,
        };
        loop {
            let journal = self.journal.as_ref()?;
            if self.budget == 0 {
                return None;
            }
            if self.records_at == self.records.len() && self.jobs.len() > 1 && self.jobs[0].served {
                self.jobs[0].served = false;
                self.jobs.rotate_left(1);
            }
            let job = self.jobs.front_mut()?;
            let kept = journal.first();
            // Retention deleted it, or it lies between two segments (told
            // lost, or a segment file gone), or the journal holds nothing
            // from there on (its records trimmed, and those past them
            // dropped on following a leader): say so, with its range. Not
            // while records read before go out: they follow on from
            // `job.next`, whatever the journal has deleted since.
            let gone = if self.records_at < self.records.len() {
                None
            } else if kept == Seq::ZERO || job.next >= journal.next() {
                Some(job.end)
            } else if job.next < kept {
                Some(kept)
            } else {
                journal.gap_at(job.next)
            };
            if let Some(resumes) = gone.filter(|_| job.next < job.end) {
                let (dest, end) = (job.dest, job.end.min(resumes));
                let len = self.machine.unrecoverable_frame(buf, job.next, end);
                job.next = end;
                return self.sent(Transmit { dest: Dest::Unicast(dest), len });
            }
            if self.records_at == self.records.len() && job.next < job.end {
                job.served = true;
                self.records.clear();
                self.records_at = 0;
                let (records, mut follows) = (&mut self.records, job.next);
                let read = journal.read_on(&mut job.pos, job.next, job.end, (HISTORY_READ_RECORDS, share), |e| {
                    // A read runs on across a gap between two segments: what
                    // lies past it waits, so that the gap is said first (one
                    // RETRANSMIT holds only sequences that follow on).
                    if e.seq() == follows {
                        records.extend(e.event.record);
                        follows = follows.next();
                    }
                });
                self.records_next = match read {
                    Ok(next) => next.min(follows),
                    Err(error) => {
                        warn_history(&mut self.history_error, &error);
                        match (damage(&error), self.records.is_empty()) {
                            // What was read before the damage goes first;
                            // the damage is told once it is reached.
                            (Some((seq, _)), false) => seq.min(follows),
                            // Records it cannot trust are lost to the
                            // asker, who reports them and goes on, where
                            // it would ask again for ever.
                            (Some((_, resumes)), true) => {
                                let (dest, end) = (job.dest, job.end.min(resumes));
                                let len = self.machine.unrecoverable_frame(buf, job.next, end);
                                job.next = end;
                                return self.sent(Transmit { dest: Dest::Unicast(dest), len });
                            }
                            // An I/O error ends the job after what was
                            // read (the asker asks again).
                            (None, _) => job.end,
                        }
                    }
                };
            }
            if self.records_at == self.records.len() {
                // Done, or nothing more in the journal: the next job.
                self.jobs.pop_front();
                continue;
            }
            let (dest, records) = (job.dest, &self.records[self.records_at..]);
            let (len, taken) = self.machine.history_frame(now, buf, records);
            self.records_at += taken;
            let next = EventHeader::ref_from_prefix(&self.records[self.records_at..]).map(|(h, _)| h.seq());
            job.next = next.unwrap_or(self.records_next);
            return self.sent(Transmit { dest: Dest::Unicast(dest), len });
        }
    }

    /// Ends every job.
    fn end_jobs(&mut self) {
        self.jobs.clear();
        (self.records_at, self.records_next) = (0, Seq::ZERO);
        self.records.clear();
    }

    /// Ends the jobs taken while the machine led if it follows now, or the
    /// reverse.
    fn end_jobs_of_another_role(&mut self) {
        let leading = self.machine.leads();
        if leading != self.jobs_leading {
            self.jobs_leading = leading;
            self.end_jobs();
        }
    }

    /// Accounts for a history frame; none (a member that leads no more)
    /// ends every job.
    fn sent(&mut self, transmit: Transmit) -> Option<Transmit> {
        if transmit.len == 0 {
            self.end_jobs();
            return None;
        }
        self.budget = self.budget.saturating_sub(transmit.len);
        if let Some(pace) = self.pace.as_mut() {
            pace.spend(transmit.len);
        }
        if self.jobs.front().is_some_and(|j| j.next >= j.end) {
            self.jobs.pop_front();
            self.records.clear();
            self.records_at = 0;
        }
        Some(transmit)
    }

    /// Its node replayed all of the journal to its application (not one
    /// stopped before the end): retention goes by what it hands out from
    /// now on.
    pub(super) fn replayed(&mut self) {
        self.replaying = false;
        if let Some(journal) = self.journal.as_mut() {
            journal.keep_unhanded(self.machine.next_to_hand().unwrap_or(Seq(u64::MAX)));
            journal.retain();
        }
    }

    /// Syncs what was written as the level says, and tells the machine what
    /// is durable now.
    fn sync(&mut self) -> Result<(), JournalError> {
        let Some(journal) = self.journal.as_mut() else { return Ok(()) };
        if !self.replaying
            && let Some(next) = self.machine.next_to_hand()
        {
            journal.keep_unhanded(next);
        }
        let durable = journal.flush()?;
        if let Some(e) = journal.take_retention_error() {
            eprintln!(
                "warning: journal retention: {e}: no more old segments are deleted until this node restarts (what \
                 they hold is durable; the journal grows)"
            );
        }
        self.machine.handle_durable(durable);
        if journal.keeps_reach() && self.machine.damaged_reach().is_none() {
            // It holds as much again: the damage is behind it. Before the
            // claim that may say so (see `claim_beside_reach`).
            journal.write_reach(None, None)?;
        }
        let claim = claim_beside_reach(journal, &self.machine, self.machine.journal_claim());
        persist_claim(journal, &mut self.claimed, claim, self.machine.promise_unknown())?;
        if !self.refusal_kept
            && let Some(why) = self.machine.refused()
        {
            journal.write_refused(&why)?;
            self.refusal_kept = true;
        }
        if self.machine.refused_log() != journal.refused_log() {
            journal.write_refused_log(self.machine.refused_log())?;
        }
        keep_handed_out(journal, self.machine.handed_out())
    }

    fn fail(&mut self, now: Nanos, error: JournalError) {
        let hung = self.io_since.map_or(0, |since| since.elapsed().as_nanos() as u64);
        let also = self.machine.journal_failed(now + hung);
        // After a failed write-back the kernel keeps the pages, marked clean:
        // a restart on the same boot would read them back as records the
        // disk may not hold.
        let restart = match &error {
            JournalError::Io(_, e) if e.raw_os_error() == Some(libc::EIO) => {
                "restart it once the disk is fixed and the host rebooted, not before: the page cache may hold records \
                 the disk does not"
            }
            _ => "restart it once the journal is fixed",
        };
        eprintln!("error: {error}: this node acknowledges nothing more{also} ({restart})");
        self.failed = true;
    }
}

impl<M: Machine + Durable> Machine for Stored<M> {
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        self.machine.handle_datagram(now, from, bytes);
    }

    fn rejected(&self) -> u64 {
        self.machine.rejected()
    }

    fn handle_timeout(&mut self, now: Nanos) {
        self.machine.handle_timeout(now);
    }

    fn write_ahead(&mut self, now: Nanos) {
        let Some(journal) = self.journal.as_mut().filter(|_| !self.failed) else { return };
        self.io_since = Some(std::time::Instant::now());
        // A claim that is not whole goes to disk before what it was taken
        // for (a truncation); one that is, after what made it so.
        let (claim, truncation) = (self.machine.journal_claim(), self.machine.poll_truncate());
        invariant!(
            truncation.is_none() || claim.is_none_or(|c| !c.whole),
            "a whole claim {claim:?} would reach the disk before the truncation to {truncation:?}"
        );
        let claim = claim_beside_reach(journal, &self.machine, claim);
        let mut result = persist_claim(journal, &mut self.claimed, claim, self.machine.promise_unknown());
        if result.is_ok()
            && let Some(last) = truncation
        {
            // What it knows committed stays in the commit file: the next
            // log's records say it only once they are durable.
            let known = self.machine.known_committed();
            result = journal.truncate_knowing(last, (known, self.machine.log_epoch()));
            // A commit past `last` went with the records of another log.
            self.commit_kept = self.commit_kept.min(last).max(known);
        }
        while result.is_ok()
            && let Some(append) = self.machine.poll_append()
        {
            self.commit_kept = self.commit_kept.max(append.commit);
            result = journal.append(append.epoch, append.commit, append.event.record);
        }
        // Written before anything of this turn is sent: no follower holds an
        // event its leader's journal lacks. At `none` that is durable too.
        result = result.and_then(|()| journal.write());
        // A commit heard after the last record (an idle leader's HEARTBEAT)
        // is in no record: a restarted follower would not know it, and
        // could take a sequencer restarted without its journal for one
        // that resumed it (DESIGN §8).
        let known = self.machine.journal_commit();
        if result.is_ok() && known > self.commit_kept {
            self.commit_kept = known;
            result = journal.write_commit(known, epoch_of(&self.machine, journal));
        }
        if result.is_ok() && !journal.syncs() {
            result = self.sync();
        }
        if let Err(error) = result {
            self.fail(now, error);
        }
    }

    fn stopped(&mut self, now: Nanos) {
        self.machine.hand_over(now);
        // What its last hand-out let go to disk (a truncation that waited
        // for the application to take its notice, see
        // `Follower::poll_truncate`) goes before the node ends.
        self.write_ahead(now);
        // (At `--sync none` its write-ahead synced already.)
        if self.journal.as_ref().is_some_and(|journal| journal.syncs())
            && !self.failed
            && let Err(error) = self.sync()
        {
            self.fail(now, error);
        }
        let Some(journal) = self.journal.as_mut().filter(|_| !self.failed) else { return };
        let known = self.machine.stop_commit();
        if known > self.commit_kept {
            self.commit_kept = known;
            if let Err(error) = journal.write_commit(known, epoch_of(&self.machine, journal)) {
                self.fail(now, error);
            }
        }
    }

    fn store(&mut self, now: Nanos) -> bool {
        self.end_jobs_of_another_role();
        while let Some((dest, first, end)) = self.machine.poll_history(now) {
            self.enqueue(dest, first, end);
        }
        self.budget = match self.pace.as_mut() {
            Some(pace) => pace.refill(now).min(HISTORY_BYTES_PER_TURN),
            None => HISTORY_BYTES_PER_TURN,
        };
        if self.journal.is_none() || self.failed {
            return !self.jobs.is_empty();
        }
        if let Err(error) = self.sync() {
            self.fail(now, error);
        }
        true
    }

    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        // The live frames first; history after them, within its budget.
        self.machine.poll_transmit(now, buf).or_else(|| self.transmit_history(now, buf))
    }

    fn poll_timeout(&self) -> Option<Nanos> {
        // History left to serve: the next turn comes at once, or when its
        // pace lets it.
        if self.jobs.is_empty() {
            return self.machine.poll_timeout();
        }
        let ready = self.pace.map_or(0, |pace| pace.ready_at());
        Some(self.machine.poll_timeout().map_or(ready, |at| at.min(ready)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves 1472-byte frames for `seconds` under a cap of `rate` bytes a
    /// second, as the driver does: a turn whenever `poll_timeout` says, or
    /// every `turn_ns` when history may go at once (the live turns between).
    fn served(rate: u64, seconds: u64, turn_ns: Nanos) -> u64 {
        let mut pace = Pace::new(rate, 0);
        let (mut now, mut sent) = (0, 0u64);
        while now < seconds * 1_000_000_000 {
            let mut budget = pace.refill(now);
            while budget > 0 {
                pace.spend(1472);
                (budget, sent) = (budget.saturating_sub(1472), sent + 1472);
            }
            now = pace.ready_at().max(now + turn_ns);
        }
        sent
    }

    /// Member 1 of three with failover: a journal of events 1..=`records`
    /// of `epoch`, each written knowing `commit_of(seq)` committed, beside
    /// a whole claim of that epoch.
    fn member_journal(
        name: &str,
        epoch: Epoch,
        records: u64,
        commit_of: impl Fn(u64) -> u64,
    ) -> (std::path::PathBuf, Config, JournalOptions, Journal) {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { failover: crate::core::Failover::Auto, nodes: 3, ..Config::default() };
        let options = JournalOptions::new(&dir, &config, NodeId(1));
        let (mut journal, _) = Journal::open(options.clone()).unwrap();
        for seq in 1..=records {
            journal.append(epoch, Seq(commit_of(seq)), &crate::wire::test_record(7, seq, b"event")).unwrap();
        }
        journal.flush().unwrap();
        journal.write_claim(epoch, true, epoch).unwrap();
        (dir, config, options, journal)
    }

    /// A review of recovery asked that a member whose commit file says
    /// more than its records hold lose its whole claim, as after damage.
    /// The simulator then lost liveness (seed 97101289 of `--failover
    /// --crashes 2 --cluster-stops 1 --claim-losses 3 --journal --sync
    /// none`): a journal that ends in sequences it was told were lost says
    /// so too, and such a member is the quorum's. It keeps its claim.
    #[test]
    fn a_member_whose_commit_file_passes_its_records_keeps_its_claim() {
        let (dir, config, options, mut journal) = member_journal("beyond", Epoch(4), 3, |seq| seq - 1);
        journal.write_commit(Seq(9), Epoch(4)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options).unwrap();
        assert_eq!(recovery.commit_file_beyond, Some(Seq(9)));
        let member = resume_member(config, NodeId(1), 0, &mut journal, &recovery).unwrap();
        assert!(member.may_vote());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The simulator's seed 10018929 of `--failover --journal --damages 2
    /// --promotions 2 --count-incomplete`: a member back without a whole
    /// claim keeps only what its records say was committed, though it may
    /// have ACKed the rest; how far they reached goes to its `reach` file
    /// before anything is dropped, and it grants no vote below that. A
    /// whole claim keeps no such file.
    #[test]
    fn a_member_back_without_a_whole_claim_keeps_how_far_its_journal_reached() {
        let reached = crate::core::Claim { epoch: Epoch(4), seq: Seq(10) };
        let (dir, config, options, mut journal) = member_journal("dropped", Epoch(4), 10, |seq| seq.min(6));
        journal.write_claim(Epoch(4), false, Epoch(4)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options.clone()).unwrap();
        assert_eq!((recovery.commit, recovery.reach, recovery.member_reach()), (Seq(6), None, Some(reached)));
        let member = resume_member(config.clone(), NodeId(1), 0, &mut journal, &recovery).unwrap();
        assert_eq!(member.damaged_reach(), Some(reached));
        drop(journal);
        let (_, recovery) = Journal::open(options.clone()).unwrap();
        assert_eq!(recovery.reach, Some(reached), "kept in the reach file");
        std::fs::remove_dir_all(&dir).unwrap();
        let (dir, _, options, journal) = member_journal("whole", Epoch(4), 10, |seq| seq.min(6));
        drop(journal);
        let (_, recovery) = Journal::open(options).unwrap();
        assert_eq!(recovery.member_reach(), None);
        std::fs::remove_dir_all(&dir).unwrap();
        // Helper 151: its records ending at its commit, it still holds them
        // (its claim names epoch 0 when it comes back), and a log of an
        // older epoch than theirs must not pass for one holding them.
        let (dir, config, options, mut journal) = member_journal("at-commit", Epoch(4), 10, |seq| seq);
        journal.write_claim(Epoch(4), false, Epoch(4)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options).unwrap();
        assert_eq!((recovery.commit, recovery.member_reach()), (Seq(10), Some(reached)));
        let member = resume_member(config, NodeId(1), 0, &mut journal, &recovery).unwrap();
        assert_eq!(member.damaged_reach(), Some(reached));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 194: beside its `reach` file a member keeps the newest epoch
    /// of the records it stands for. Once it claims a newer leader's
    /// epoch, not whole (it takes that leader's log), a restart still knows
    /// them older than that leader, whose starting log, whole, holds every
    /// commit of theirs (see `Reach::released_by`).
    #[test]
    fn a_reach_keeps_the_epoch_of_its_records_when_the_claim_moves_on() {
        let reached = crate::core::Claim { epoch: Epoch(3), seq: Seq(10) };
        let (dir, config, options, mut journal) = member_journal("reach-epoch", Epoch(3), 10, |seq| seq.min(6));
        journal.write_claim(Epoch(3), false, Epoch(3)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options.clone()).unwrap();
        assert_eq!((recovery.member_reach(), recovery.member_reach_records()), (Some(reached), Some(Epoch(3))));
        resume_member(config.clone(), NodeId(1), 0, &mut journal, &recovery).unwrap();
        // Its first turn drops what lay past its commit; it then takes the
        // log of epoch 4's leader.
        journal.truncate(Seq(6)).unwrap();
        journal.write_claim(Epoch(4), false, Epoch(4)).unwrap();
        drop(journal);
        let (mut journal, recovery) = Journal::open(options).unwrap();
        assert_eq!((recovery.reach, recovery.reach_records), (Some(reached), Some(Epoch(3))));
        assert_eq!((recovery.member_reach(), recovery.member_reach_records()), (Some(reached), Some(Epoch(3))));
        let member = resume_member(config, NodeId(1), 0, &mut journal, &recovery).unwrap();
        assert_eq!(member.damaged_reach(), Some(reached));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A member's journal of records 7..=10, each journaled in epoch 4
    /// knowing 6 committed (retention took those below), its record at 9
    /// damaged, with a whole claim or none: opened.
    fn damaged_past_its_commit(name: &str, claim: bool) -> (std::path::PathBuf, Config, Journal, Recovery) {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { failover: crate::core::Failover::Auto, nodes: 3, ..Config::default() };
        let options = JournalOptions::new(&dir, &config, NodeId(1));
        let (mut journal, _) = Journal::open(options.clone()).unwrap();
        for seq in 7..=10 {
            journal.append(Epoch(4), Seq(6), &crate::wire::test_record(7, seq, b"event")).unwrap();
        }
        journal.flush().unwrap();
        if claim {
            journal.write_claim(Epoch(4), true, Epoch(4)).unwrap();
        }
        drop(journal);
        let mut files = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path());
        let segment = files.find(|p| p.extension().is_some_and(|e| e == "journal")).unwrap();
        let mut bytes = std::fs::read(&segment).unwrap();
        let ninth = crate::wire::test_record(7, 9, b"event");
        let at = bytes.windows(ninth.len()).position(|w| w == ninth).unwrap();
        bytes[at + ninth.len() - 1] ^= 0x40;
        std::fs::write(&segment, &bytes).unwrap();
        let (journal, recovery) = Journal::open(options).unwrap();
        assert_eq!((recovery.damaged(), recovery.commit, recovery.claim.is_some()), (true, Seq(6), claim));
        (dir, config, journal, recovery)
    }

    /// The simulator's seed 11005930 of `--failover --journal --damages 2
    /// --promotions 2 --retain-events 50`: damage in a journal whose
    /// records all lay past the commit they knew (retention had taken
    /// those below) left it no record; the member took itself for one
    /// holding everything it knew committed, forgot none of the clients in
    /// its table, and once elected told a client its commits were lost. It
    /// knows it holds none of them.
    #[test]
    fn a_member_that_damage_leaves_no_record_knows_it_holds_none_of_its_commit() {
        let (dir, config, mut journal, recovery) = damaged_past_its_commit("emptied", true);
        let member = resume_member(config, NodeId(1), 0, &mut journal, &recovery).unwrap();
        assert_eq!(member.lost_end(), Seq(7), "it holds nothing below 7");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The same without a claim file (helper 191): the first record past
    /// its commit, which damage drops, names the epoch whose leader holds
    /// the commit, and that leader is asked for it before its log is
    /// taken. Without it, the member took the leader of that very epoch
    /// for one elected short of its commit, and refused it for good.
    #[test]
    fn a_member_without_a_claim_that_damage_leaves_no_record_asks_its_first_records_leader_for_it() {
        use crate::wire::{Ballot, Heartbeat, Kind, Vote};
        let (dir, config, mut journal, recovery) = damaged_past_its_commit("claimless", false);
        let mut member = resume_member(config.clone(), NodeId(1), 0, &mut journal, &recovery).unwrap();
        let from = |node: u16| SocketAddr::from(([127, 0, 0, 1], 5000 + node));
        let fenced = Vote::new(NodeId(1), Ballot::Refused, Claim { epoch: Epoch(1), seq: Seq(0) });
        for node in [0, 2] {
            let vote = crate::core::test_frame(&config, (Kind::Vote, node, Epoch(4)), &fenced);
            member.handle_datagram(1, from(node), &vote);
        }
        let (seq_next, commit, sent_ns, rtt_ns, epoch_start) = (12.into(), 10.into(), 0.into(), 0.into(), 0.into());
        let heartbeat =
            Heartbeat { seq_next, commit, sent_ns, rtt_ns, epoch_start, nonce: 0.into(), reserved: 0.into() };
        let heartbeat = crate::core::test_frame(&config, (Kind::Heartbeat, 0, Epoch(4)), &heartbeat);
        member.handle_datagram(2, from(0), &heartbeat);
        let follower = member.follower().unwrap();
        assert_eq!((follower.own_probe().map(|(seq, _)| seq), follower.short_leader()), (Some(Seq(7)), None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 161: a node applied its retention as it started, before it
    /// replayed its journal to its application: a restart with a tighter
    /// retention (or after a crash with events not yet handed out) began
    /// its replay past events the application never had. A follower's now
    /// waits for the replay, and then keeps what is not yet handed out.
    #[test]
    fn a_followers_retention_waits_for_its_replay() {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-replay-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { nodes: 3, journal: true, ..Config::default() };
        let options = JournalOptions { segment_bytes: 4096, ..JournalOptions::new(&dir, &config, NodeId(1)) };
        let (mut journal, _) = Journal::open(options.clone()).unwrap();
        for seq in 1..=400 {
            journal.append(Epoch(1), Seq(seq), &crate::wire::test_record(7, seq, b"event")).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        let (journal, recovery) = Journal::open(JournalOptions { retain_events: Some(100), ..options }).unwrap();
        assert_eq!(recovery.range, Some((Seq(1), Seq(400))));
        let follower = Follower::resume(config, NodeId(1), 0, recovery.commit, recovery.last_epoch).unwrap();
        let mut stored = Stored::new(follower, Some(journal));
        assert_eq!(stored.journal_first(), Some(Seq(1)), "all of it kept for the replay");
        stored.replayed();
        assert!(stored.journal_first().is_some_and(|first| first > Seq(200)), "{:?}", stored.journal_first());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 127: a member that refused a leader elected short of its
    /// commit (exit 3) kept nothing of that refusal but its claim; restarted
    /// (`Restart=on-failure`), it can tell a later leader, whose log grew
    /// from the short one, from a whole log only by where that log starts,
    /// which it may pass. The refusal goes beside the journal in the turn
    /// it happens, and the journal is refused from then on.
    #[test]
    fn a_member_that_refuses_the_clusters_log_leaves_its_journal_refused() {
        use crate::core::Claim;
        use crate::wire::{Ballot, Heartbeat, Kind, Vote};
        let (dir, config, options, journal) = member_journal("refused", Epoch(1), 10, |seq| seq);
        drop(journal);
        let (mut journal, recovery) = Journal::open(options.clone()).unwrap();
        let member = resume_member(config.clone(), NodeId(1), 0, &mut journal, &recovery).unwrap();
        let mut stored = Stored::new(member, Some(journal));
        let addr = |node: u16| SocketAddr::from(([127, 0, 0, 1], 5000 + node));
        let fenced = Vote::new(NodeId(1), Ballot::Refused, Claim { epoch: Epoch(1), seq: Seq(0) });
        stored.handle_datagram(1, addr(2), &crate::core::test_frame(&config, (Kind::Vote, 2, Epoch(1)), &fenced));
        let short = Heartbeat {
            seq_next: 12.into(),
            commit: 5.into(),
            sent_ns: 0.into(),
            rtt_ns: 0.into(),
            epoch_start: 4.into(),
            nonce: 0.into(),
            reserved: 0.into(),
        };
        stored.handle_datagram(2, addr(0), &crate::core::test_frame(&config, (Kind::Heartbeat, 0, Epoch(3)), &short));
        assert!(stored.machine.follower().unwrap().short_leader().is_some());
        stored.write_ahead(2);
        stored.store(2);
        let kept = std::fs::read_to_string(dir.join("refused")).unwrap();
        assert!(
            kept.contains("epoch 3 from a log that ends at seq 4, but this member knows seq 5..=10 committed"),
            "{kept}"
        );
        drop(stored);
        match Journal::open(options) {
            Err(JournalError::Refused(path, why)) => assert_eq!((path, why), (dir.join("refused"), kept.trim().into())),
            other => panic!("{other:?}"),
        }
        assert_eq!(crate::journal::refused_file(&dir).unwrap(), Some(kept.trim().to_string()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn history_goes_at_its_cap_on_average_after_one_turns_budget() {
        let burst = HISTORY_BYTES_PER_TURN as u64;
        for (rate, turn_ns) in [(1_000_000, 10_000), (65_536, 1_000), (50_000_000, 3_000), (1_000_000, 700_000)] {
            let sent = served(rate, 2, turn_ns);
            let expected = 2 * rate + burst;
            // Whole frames: the last may overdraw by one, or not have gone yet.
            assert!(sent.abs_diff(expected) <= 2 * 1472, "cap {rate}/s, a turn every {turn_ns} ns: {sent} B");
        }
    }

    /// A reviewer: a member that led, then started over (its leader's
    /// history the cluster lacked), no longer knows what it promised before
    /// and persists no claim; the whole claim it wrote while it led stayed
    /// beside the records its start-over truncated, and a restart took it
    /// for known. It goes first now.
    #[test]
    fn a_claim_kept_goes_once_the_promise_is_unknown() {
        let (mut journal, dir) = journal_of("claim-unknown", 3);
        let led = JournalClaim { epoch: Epoch(4), whole: true, promised: Epoch(4) };
        let mut claimed = None;
        persist_claim(&mut journal, &mut claimed, Some(led), false).unwrap();
        assert!(dir.join("claim").exists());
        persist_claim(&mut journal, &mut claimed, None, true).unwrap();
        assert_eq!(claimed, None);
        assert!(!dir.join("claim").exists(), "removed");
        persist_claim(&mut journal, &mut claimed, None, true).unwrap();
        drop(journal);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A leader over a journal in a fresh directory named `name`, holding
    /// sequences 1..=`records`.
    fn leader_with_journal(name: &str, records: u64) -> (Stored<Leader>, std::path::PathBuf) {
        let (journal, dir) = journal_of(name, records);
        (Stored::new(Leader::new(Config { journal: true, ..Config::default() }, 0).unwrap(), Some(journal)), dir)
    }

    /// A journal of node 0 holding `records` events from sequence 1.
    fn journal_of(name: &str, records: u64) -> (Journal, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { journal: true, ..Config::default() };
        let options =
            JournalOptions { sync: crate::journal::SyncLevel::None, ..JournalOptions::new(&dir, &config, NodeId(0)) };
        let (mut journal, _) = Journal::open(options).unwrap();
        for seq in 1..=records {
            journal.append(config.epoch, Seq(seq), &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        journal.flush().unwrap();
        (journal, dir)
    }

    /// A machine that serves history in the role a test gives it, one
    /// byte a frame.
    #[derive(Debug, Default)]
    struct Role {
        leads: bool,
        /// A truncation it asks for once, and what it knows committed (as
        /// a member that stands with its old log again).
        truncate: Option<Seq>,
        commit: Seq,
        /// The epoch of the log it follows (0: none yet).
        epoch: Epoch,
        /// How far past its commit its application may have been handed events.
        handed_out: Option<Seq>,
        /// What its journal may claim (a member's).
        claim: Option<JournalClaim>,
        /// How far its journal reached before damage, while its log holds less.
        reach: Option<Claim>,
    }

    impl Machine for Role {
        fn handle_datagram(&mut self, _: Nanos, _: SocketAddr, _: &[u8]) {}
        fn handle_timeout(&mut self, _: Nanos) {}
        fn poll_transmit(&mut self, _: Nanos, _: &mut [u8]) -> Option<Transmit> {
            None
        }
        fn poll_timeout(&self) -> Option<Nanos> {
            None
        }
    }

    impl Durable for Role {
        fn poll_append(&mut self) -> Option<Append<'_>> {
            None
        }
        fn journal_claim(&self) -> Option<JournalClaim> {
            self.claim
        }
        fn damaged_reach(&self) -> Option<Claim> {
            self.reach
        }
        fn handle_durable(&mut self, _: Seq) {}
        fn poll_truncate(&mut self) -> Option<Seq> {
            self.truncate.take()
        }
        fn journal_commit(&self) -> Seq {
            self.commit
        }
        fn log_epoch(&self) -> Epoch {
            self.epoch
        }
        fn leads(&self) -> bool {
            self.leads
        }
        fn handed_out(&self) -> Option<Seq> {
            self.handed_out
        }
        fn history_frame(&mut self, _: Nanos, _: &mut [u8], records: &[u8]) -> (usize, usize) {
            (1, records.len().min(crate::wire::test_record(1, 1, b"12345678").len()))
        }
        fn unrecoverable_frame(&mut self, _: &mut [u8], _: Seq, _: Seq) -> usize {
            1
        }
    }

    /// A third review: a node that follows nobody yet (resumed, or a
    /// member before an election) kept its commit with epoch 0, which reads
    /// as an older build's file, whose commit past the records no node
    /// takes. It keeps the epoch of its last record, which says that commit.
    #[test]
    fn a_commit_learned_before_any_leader_is_kept_with_its_records_epoch() {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-epoch-of-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { journal: true, ..Config::default() };
        let options = JournalOptions::new(&dir, &config, NodeId(0));
        let (mut journal, _) = Journal::open(options.clone()).unwrap();
        for seq in 1..=5 {
            journal.append(Epoch(7), Seq(seq - 1), &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        journal.flush().unwrap();
        let mut stored = Stored::new(Role { commit: Seq(5), ..Role::default() }, Some(journal));
        stored.write_ahead(0);
        drop(stored);
        let (_, recovery) = Journal::open(options).unwrap();
        assert_eq!((recovery.commit, recovery.commit_file_epoch), (Seq(5), Epoch(7)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A member back from damage keeps a `reach` file until its log holds
    /// as much again, or whole a newer leader's starting log. The claim
    /// that says so went to disk first, whole, and a crash before the reach
    /// went left both: the restart read the reach as of the claim's log and
    /// refused every log of that epoch short of it, its own among them (the
    /// simulator's seed 99104912 of `--failover --journal --cluster-crashes
    /// 2 --damages 2 --retain-events 4`). The reach goes first, in the sync;
    /// the claim before it goes not whole, with its promise. A reach still
    /// held stays beside a whole claim.
    #[test]
    fn a_claim_goes_whole_beside_a_reach_only_once_the_reach_it_released_is_gone() {
        let whole = JournalClaim { epoch: Epoch(10), whole: true, promised: Epoch(10) };
        let reach = Claim { epoch: Epoch(1), seq: Seq(12) };
        for (held, sides) in [
            (None, &["claim written", "reach removed", "claim written whole"][..]),
            (Some(reach), &["claim written whole"][..]),
        ] {
            let (mut journal, dir) = journal_of("reach-claim", 8);
            journal.write_claim(Epoch(1), false, Epoch(1)).unwrap();
            journal.write_reach(Some(reach), Some(reach.epoch)).unwrap();
            journal.sides_done.clear();
            let mut stored = Stored::new(Role { claim: Some(whole), reach: held, ..Role::default() }, Some(journal));
            stored.write_ahead(0);
            stored.sync().unwrap();
            let journal = stored.journal.as_ref().unwrap();
            assert_eq!(journal.sides_done, sides, "reach held: {held:?}");
            assert_eq!(dir.join("reach").exists(), held.is_some());
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A follower that delivered on receipt keeps a `handed-out` file until
    /// what it handed out is known committed. A commit an idle sequencer's
    /// HEARTBEAT told it is only in its commit file, which is not synced
    /// each turn: were the `handed-out` file removed first, a power loss
    /// could leave neither, and a restart on commit would take a log
    /// without those events. The commit file is synced before it goes (at
    /// start too: [`keep_handed_out`] serves both).
    #[test]
    fn what_a_follower_handed_out_is_forgotten_only_after_its_commit_is_synced() {
        let (mut journal, dir) = journal_of("handed-out", 8);
        journal.write_handed_out(Some(Seq(8))).unwrap();
        let mut stored =
            Stored::new(Role { commit: Seq(8), handed_out: Some(Seq(8)), ..Role::default() }, Some(journal));
        stored.write_ahead(0);
        stored.sync().unwrap();
        assert_eq!(stored.journal.as_ref().unwrap().sides_done, ["handed-out written"], "nothing to change");
        // The commit of 8 heard: the file may go.
        stored.machine.handed_out = None;
        stored.write_ahead(1);
        stored.sync().unwrap();
        let journal = stored.journal.as_ref().unwrap();
        assert_eq!(journal.sides_done, ["handed-out written", "commit synced", "handed-out removed"]);
        assert!(!dir.join("handed-out").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 185: a follower that withdrew what it handed out on receipt
    /// lets its journal drop it only once its application took the notice,
    /// and its node stops right after that hand-out (`LeaderRestarted`):
    /// the stop writes the truncation, and the `handed-out` file goes, at
    /// either sync level, or its restart refuses the sequencer again.
    #[test]
    fn a_stop_writes_what_the_last_hand_out_let_go() {
        for sync in [crate::journal::SyncLevel::None, crate::journal::SyncLevel::Batch] {
            let (journal, dir) = journal_of("stop-writes", 8);
            let options = journal.options().clone();
            drop(journal);
            let (mut journal, _) = Journal::open(JournalOptions { sync, ..options.clone() }).unwrap();
            journal.write_handed_out(Some(Seq(8))).unwrap();
            let role = Role { commit: Seq(3), truncate: Some(Seq(3)), ..Role::default() };
            let mut stored = Stored::new(role, Some(journal));
            stored.stopped(0);
            drop(stored);
            let (_, recovery) = Journal::open(options).unwrap();
            assert_eq!(recovery.range.map(|(_, last)| last), Some(Seq(3)), "{sync:?}");
            assert!(!dir.join("handed-out").exists(), "{sync:?}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// Helper 143, and a review: a node restarted with a tighter retention
    /// applies it once it takes its journal, not when the journal is
    /// opened (a sequencer may yet refuse it, and deleted what it refused).
    #[test]
    fn a_journal_taken_by_a_node_applies_its_retention() {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-retain-taken-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { journal: true, ..Config::default() };
        let mut options = JournalOptions { segment_bytes: 4096, ..JournalOptions::new(&dir, &config, NodeId(0)) };
        let (mut journal, _) = Journal::open(options.clone()).unwrap();
        for seq in 1..=2000 {
            journal.append(config.epoch, Seq(seq), &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        options.retain_events = Some(100);
        let (journal, _) = Journal::open(options).unwrap();
        assert_eq!(journal.first(), Seq(1), "opening deletes nothing");
        let stored = Stored::new(Role { commit: Seq(2000), ..Role::default() }, Some(journal));
        let first = stored.journal.as_ref().unwrap().first();
        assert!(first > Seq(1) && first <= Seq(1901), "first kept {first}");
        drop(stored);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Found on a reread: a member that stepped down went on serving
    /// what it was asked as the leader, as `SERVED` frames its askers drop
    /// (a tail's replay from 1: its whole history, at full rate).
    #[test]
    fn history_asked_in_one_role_is_not_served_in_the_other() {
        let (journal, dir) = journal_of("roles", 100);
        let mut stored = Stored::new(Role { leads: true, ..Role::default() }, Some(journal));
        let mut buf = vec![0; Config::default().mtu];
        let asker = SocketAddr::from(([127, 0, 0, 1], 1));
        stored.enqueue(asker, Seq(1), Seq(101));
        stored.budget = usize::MAX;
        assert!(stored.transmit_history(0, &mut buf).is_some());
        stored.machine.leads = false;
        assert!(stored.transmit_history(0, &mut buf).is_none(), "served as it follows now");
        assert!(stored.jobs.is_empty() && stored.records.is_empty());
        // Asked again in the role it has: served.
        stored.enqueue(asker, Seq(1), Seq(101));
        assert_eq!(std::iter::from_fn(|| stored.transmit_history(0, &mut buf)).count(), 100);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What the history jobs send, in order: each sequence resent, and each
    /// range said UNRECOVERABLE (as `first..end`, negated), by destination.
    fn history_sent(stored: &mut Stored<Leader>) -> Vec<(SocketAddr, i64)> {
        let mut buf = vec![0; Config::default().mtu];
        let mut order = Vec::new();
        loop {
            stored.budget = usize::MAX;
            let Some(transmit) = stored.transmit_history(0, &mut buf) else { break };
            let Dest::Unicast(to) = transmit.dest else { panic!("{transmit:?}") };
            match crate::wire::parse(&buf[..transmit.len]).unwrap().frame {
                crate::wire::Frame::Retransmit(batch) => {
                    order.extend(batch.events.map(|event| (to, event.header.seq.get() as i64)));
                }
                crate::wire::Frame::Unrecoverable(gone) => {
                    order.extend((gone.range.first.get()..gone.range.end.get()).map(|seq| (to, -(seq as i64))));
                }
                frame => panic!("{frame:?}"),
            }
        }
        order
    }

    /// An operator trial: behind a long replay from the journal (a tail
    /// from sequence 1, capped by --history-rate), a follower's catch-up,
    /// or a short tail, got nothing until the replay ended. Jobs now take
    /// turns a read each.
    #[test]
    fn history_jobs_take_turns_a_read_each() {
        let (mut stored, dir) = leader_with_journal("turns", 5000);
        let (long, short) = (SocketAddr::from(([127, 0, 0, 1], 1)), SocketAddr::from(([127, 0, 0, 1], 2)));
        stored.enqueue(long, Seq(1), Seq(5001));
        stored.enqueue(short, Seq(100), Seq(200));
        let order = history_sent(&mut stored);
        let of = |to| order.iter().filter(|o| o.0 == to).map(|o| o.1).collect::<Vec<_>>();
        assert_eq!((of(long), of(short)), ((1..=5000).collect(), (100..200).collect()));
        // The short job's events all went after one read of the long one's.
        let last_short = order.iter().rposition(|o| o.0 == short).unwrap();
        let long_before = order[..last_short].iter().filter(|o| o.0 == long).count();
        assert_eq!(long_before, HISTORY_READ_RECORDS);
        // Counted as resent, and as read from the journal.
        let stats = stored.machine.stats();
        assert_eq!((stats.events_from_journal, stats.events_retransmitted), (5100, 5100));
        assert_eq!(stats.journal_retransmits_sent, stats.retransmits_sent);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 113: a NAK repeated while its range was being served, asking
    /// again for some of what had gone (lost on the way), only extended the
    /// job, which went on from where it was: what it asked below waited for
    /// the whole job to end, and the asker's retry.
    #[test]
    fn history_asked_again_below_where_its_job_got_goes_again() {
        let (mut stored, dir) = leader_with_journal("again", 5000);
        let to = SocketAddr::from(([127, 0, 0, 1], 1));
        stored.enqueue(to, Seq(1), Seq(3001));
        let mut buf = vec![0; Config::default().mtu];
        while stored.jobs[0].next < Seq(2000) {
            stored.budget = usize::MAX;
            stored.transmit_history(0, &mut buf).unwrap();
        }
        let got = stored.jobs[0].next.get() as i64;
        stored.enqueue(to, Seq(100), Seq(5001));
        let sent: Vec<i64> = history_sent(&mut stored).into_iter().map(|(_, seq)| seq).collect();
        let mut again: Vec<i64> = sent.iter().copied().filter(|&seq| seq < got).collect();
        again.sort();
        let asked = (100..got).collect::<Vec<_>>();
        assert!(again == asked, "sent again below {got}: {} of {} asked", again.len(), asked.len());
        assert_eq!(sent.iter().filter(|&&seq| seq >= got).count() as i64, 5001 - got, "the rest once");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// An operator trial: an archive member under `--history-rate 65536`
    /// read 1,024 records for each tail in turn, ~1.3 s of its cap each, so
    /// with eight tails from 1 each waited ~9 s between answers, and all
    /// eight reported the rest lost. Under a cap a read holds a job's share
    /// of a second's bytes.
    #[test]
    fn under_a_cap_jobs_take_turns_a_share_of_a_second_each() {
        let (mut stored, dir) = leader_with_journal("shares", 300);
        let record = crate::wire::test_record(1, 1, b"12345678").len() as u64;
        let to = |port| SocketAddr::from(([127, 0, 0, 1], port));
        for port in 1..=3 {
            stored.enqueue(to(port), Seq(1), Seq(101));
        }
        stored.pace = Some(Pace::new(3 * 10 * record, 0));
        let order = history_sent(&mut stored);
        let runs = order.chunk_by(|a, b| a.0 == b.0).map(|run| (run[0].0, run.len())).collect::<Vec<_>>();
        let turns = (0..30).map(|turn| (to(1 + turn % 3), 10)).collect::<Vec<_>>();
        assert_eq!(runs, turns);
        // Alone under the cap, a job is served whole; without a cap, each
        // job's read holds it whole (1,024 records) before the next's turn.
        stored.enqueue(to(1), Seq(1), Seq(301));
        assert_eq!(history_sent(&mut stored).len(), 300);
        stored.pace = None;
        for port in 1..=2 {
            stored.enqueue(to(port), Seq(1), Seq(101));
        }
        let order = history_sent(&mut stored);
        assert_eq!(order.chunk_by(|a, b| a.0 == b.0).map(<[_]>::len).collect::<Vec<_>>(), [100, 100]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A leader asked for history past its journal's last record (its
    /// records trimmed, and those past them dropped on following another
    /// leader), or with a journal that holds nothing, says the range is
    /// gone: an asker told nothing would wait for ever.
    #[test]
    fn history_past_the_journal_is_answered_unrecoverable() {
        let (past, across) = (SocketAddr::from(([127, 0, 0, 1], 1)), SocketAddr::from(([127, 0, 0, 1], 2)));
        let (mut stored, dir) = leader_with_journal("past", 100);
        stored.enqueue(past, Seq(150), Seq(160));
        stored.enqueue(across, Seq(95), Seq(105));
        let order = history_sent(&mut stored);
        let of = |to| order.iter().filter(|o| o.0 == to).map(|o| o.1).collect::<Vec<_>>();
        assert_eq!(of(past), (150..160).map(|s| -s).collect::<Vec<_>>());
        assert_eq!(of(across), [95, 96, 97, 98, 99, 100, -101, -102, -103, -104]);
        std::fs::remove_dir_all(&dir).unwrap();

        let (mut stored, dir) = leader_with_journal("empty", 0);
        stored.enqueue(past, Seq(1), Seq(4));
        assert_eq!(history_sent(&mut stored), [(past, -1), (past, -2), (past, -3)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A journal with a gap (sequences its node was told were lost): a
    /// read across it once put the records on both sides in one
    /// RETRANSMIT, which every receiver drops (its sequences do not follow
    /// on), and the gap was never said: the asker asked again for ever.
    #[test]
    fn history_across_a_gap_in_the_journal_says_the_gap_between_its_two_sides() {
        let (mut journal, dir) = journal_of("gap", 100);
        for seq in 150..=200 {
            journal.append(Config::default().epoch, Seq(seq), &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        journal.flush().unwrap();
        let mut stored =
            Stored::new(Leader::new(Config { journal: true, ..Config::default() }, 0).unwrap(), Some(journal));
        let to = SocketAddr::from(([127, 0, 0, 1], 1));
        stored.enqueue(to, Seq(95), Seq(160));
        let sent: Vec<i64> = history_sent(&mut stored).into_iter().map(|(_, seq)| seq).collect();
        assert_eq!(sent, (95..=100).chain((101..150).map(|s| -s)).chain(150..160).collect::<Vec<_>>());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// From a review: retention that deleted a segment while a job still
    /// held records read from it said them UNRECOVERABLE, then sent them
    /// all the same: the asker reported lost what it then got.
    #[test]
    fn records_read_before_retention_deleted_their_segment_still_go_and_are_not_said_lost() {
        let dir = std::env::temp_dir().join(format!("seqcast-storage-retained-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config { journal: true, ..Config::default() };
        let options = JournalOptions {
            sync: crate::journal::SyncLevel::None,
            segment_bytes: 4096,
            retain_events: Some(100),
            ..JournalOptions::new(&dir, &config, NodeId(0))
        };
        let (mut journal, _) = Journal::open(options).unwrap();
        // Nothing known committed: retention keeps every record.
        for seq in 1..=300 {
            journal.append(config.epoch, Seq::ZERO, &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        journal.flush().unwrap();
        let mut stored = Stored::new(Leader::new(config.clone(), 0).unwrap(), Some(journal));
        let to = SocketAddr::from(([127, 0, 0, 1], 1));
        stored.enqueue(to, Seq(1), Seq(301));
        let mut buf = vec![0; config.mtu];
        stored.budget = usize::MAX;
        assert!(stored.transmit_history(0, &mut buf).is_some(), "one frame of what one read took");
        let journal = stored.journal.as_mut().unwrap();
        for seq in 301..=400 {
            journal.append(config.epoch, Seq(400), &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        journal.flush().unwrap();
        assert!(journal.first() > Seq(200), "retention deleted the first segments: {}", journal.first());
        let sent: Vec<i64> = history_sent(&mut stored).into_iter().map(|(_, seq)| seq).collect();
        assert!(sent.iter().all(|&seq| seq > 0), "nothing said lost: {sent:?}");
        assert_eq!(*sent.last().unwrap(), 300);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A leader serving history from its journal, and what the model of
    /// `history_from_the_journal_is_what_was_appended_and_all_that_was_asked`
    /// knows of it: every record appended (sequences told lost never are),
    /// and each asker's requests not yet answered whole.
    struct HistoryModel {
        seed: u64,
        stored: Stored<Leader>,
        /// Every record appended, by sequence.
        appended: std::collections::BTreeMap<u64, Vec<u8>>,
        /// The next sequence appended would have, and the commit it says.
        next: u64,
        commit: u64,
        /// The first sequence the journal keeps, as retention left it.
        kept: u64,
        /// Open requests: the asker, the first sequence, and which of the
        /// range's sequences were answered since it was made.
        open: Vec<(SocketAddr, u64, Vec<bool>)>,
        /// Every request made, to be made again.
        made: Vec<(SocketAddr, u64, u64)>,
        /// How often each asker asked for each sequence, and was answered.
        times: std::collections::HashMap<(SocketAddr, u64), (u32, u32)>,
        now: Nanos,
        buf: Vec<u8>,
    }

    impl HistoryModel {
        /// Appends a run of events, some after sequences told lost, each
        /// saying the commit the run started with (which may pass what
        /// came before, letting retention delete), and flushes them.
        fn append(&mut self, rng: &mut crate::sim::Rng) {
            if rng.chance(0.4) {
                self.commit = self.next - 1;
            }
            let journal = self.stored.journal.as_mut().unwrap();
            for _ in 0..rng.range(1, 30) {
                if rng.chance(0.03) {
                    self.next += rng.range(1, 40);
                }
                let payload: Vec<u8> = (0..rng.range(0, 121)).map(|_| rng.next_u64() as u8).collect();
                let record = crate::wire::test_record(rng.range(1, 5) as u32, self.next, &payload);
                journal.append(Epoch(1), Seq(self.commit), &record).unwrap();
                self.appended.insert(self.next, record);
                self.next += 1;
            }
            journal.flush().unwrap();
            // Retention deletes only whole segments, oldest first, none past
            // the commit.
            let (kept, oldest) = (journal.first().get(), *self.appended.keys().next().unwrap());
            let whole = kept >= self.kept && self.appended.contains_key(&kept);
            assert!(whole && (kept == oldest || kept <= self.commit), "seed {}: kept from {kept}", self.seed);
            self.kept = kept;
        }

        /// An asker asks for a range: anywhere from 1 to past the end, or
        /// one it asked before, or one that overlaps it (not while 64 jobs
        /// wait: a node drops what is asked past them).
        fn ask(&mut self, rng: &mut crate::sim::Rng, askers: &[SocketAddr]) {
            if self.stored.jobs.len() >= HISTORY_JOBS_MAX {
                return;
            }
            let to = rng.pick(askers);
            let before: Vec<_> = self.made.iter().filter(|m| m.0 == to).map(|m| (m.1, m.2)).collect();
            let (first, end) = match rng.range(0, 10) {
                0..2 if !before.is_empty() => rng.pick(&before),
                2..4 if !before.is_empty() => {
                    let (first, end) = rng.pick(&before);
                    let first = (first + rng.range(0, 100)).saturating_sub(50).max(1);
                    (first, (end + rng.range(0, 100)).saturating_sub(50).max(first + 1))
                }
                _ => {
                    let first = rng.range(1, self.next + 40);
                    (first, first + rng.range(1, 200))
                }
            };
            self.stored.enqueue(to, Seq(first), Seq(end));
            self.open.push((to, first, vec![false; (end - first) as usize]));
            self.made.push((to, first, end));
            for seq in first..end {
                self.times.entry((to, seq)).or_default().0 += 1;
            }
        }

        /// A driver turn: a turn's budget (under the cap, what it earned),
        /// and the frames it sends, checked; returns how many it sent.
        fn turn(&mut self) -> usize {
            self.stored.budget = match self.stored.pace.as_mut() {
                Some(pace) => pace.refill(self.now).min(HISTORY_BYTES_PER_TURN),
                None => HISTORY_BYTES_PER_TURN,
            };
            let mut frames = 0;
            while let Some(transmit) = self.stored.transmit_history(self.now, &mut self.buf) {
                self.check(transmit);
                frames += 1;
            }
            self.now = self.stored.pace.map_or(0, |pace| pace.ready_at()).max(self.now + 100_000);
            frames
        }

        /// A RETRANSMIT holds records appended at its sequences, byte for
        /// byte, that follow on; an UNRECOVERABLE names no sequence the
        /// journal holds; either answers only what its asker awaits.
        fn check(&mut self, transmit: Transmit) {
            let seed = self.seed;
            let Dest::Unicast(to) = transmit.dest else { panic!("seed {seed}: {transmit:?}") };
            let parsed = crate::wire::parse(&self.buf[..transmit.len]);
            let answered: Vec<u64> = match parsed.map(|d| d.frame) {
                Ok(crate::wire::Frame::Retransmit(batch)) => {
                    let mut seqs: Vec<u64> = Vec::new();
                    for event in batch.events {
                        let seq = event.header.seq.get();
                        assert!(
                            seqs.last().is_none_or(|&last| seq == last + 1),
                            "seed {seed}: a RETRANSMIT to {to} holds {seq} after {seqs:?}"
                        );
                        assert!(
                            self.appended.get(&seq).is_some_and(|record| record == event.record),
                            "seed {seed}: {seq} resent to {to} is not the record appended there"
                        );
                        seqs.push(seq);
                    }
                    assert!(!seqs.is_empty(), "seed {seed}: an empty RETRANSMIT to {to}");
                    seqs
                }
                Ok(crate::wire::Frame::Unrecoverable(gone)) => {
                    let (first, end) = (gone.range.first.get(), gone.range.end.get());
                    let held = self.appended.range(first.max(self.kept)..end.max(self.kept)).next();
                    assert!(
                        held.is_none(),
                        "seed {seed}: {to} told {first}..{end} lost; the journal holds {:?} (kept from {})",
                        held.map(|h| h.0),
                        self.kept
                    );
                    (first..end).collect()
                }
                other => panic!("seed {seed}: a history frame to {to} is no RETRANSMIT or UNRECOVERABLE: {other:?}"),
            };
            for seq in answered {
                let (asked, answers) = self.times.entry((to, seq)).or_default();
                *answers += 1;
                assert!(*answers <= *asked, "seed {seed}: {seq} answered {to} {answers} times; it asked {asked}");
                for (_, first, done) in self.open.iter_mut().filter(|r| r.0 == to) {
                    if let Some(done) = seq.checked_sub(*first).and_then(|at| done.get_mut(at as usize)) {
                        *done = true;
                    }
                }
            }
            self.open.retain(|r| r.2.contains(&false));
        }
    }

    /// The journal's history path against a model, a few hundred seeds: a
    /// journal of 4 KiB segments takes runs of events with holes between
    /// (sequences told lost), its retention (by events, by bytes, or both)
    /// deleting segments as the commit passes them, while four askers ask
    /// for ranges (again, overlapping, below what is kept, past the end)
    /// and turns of history go out, some under a `--history-rate` cap.
    /// Each record resent is the one appended at its sequence, in a
    /// RETRANSMIT of sequences that follow on; an UNRECOVERABLE names only
    /// sequences the journal does not hold as it goes; an asker is answered
    /// a sequence no more often than it asked for it; and once the asking
    /// stops, every sequence of every request is answered, in no more
    /// frames than two for each record appended in the ranges left open,
    /// and one for each job.
    #[test]
    fn history_from_the_journal_is_what_was_appended_and_all_that_was_asked() {
        let askers: Vec<_> = (1..=4).map(|port| SocketAddr::from(([127, 0, 0, 1], port))).collect();
        for seed in 0..256 {
            let mut rng = crate::sim::Rng::new(seed);
            let (journal, dir) = journal_of("history-model", 0);
            let options = JournalOptions {
                segment_bytes: 4096,
                retain_events: rng.chance(0.7).then(|| rng.range(5, 100)),
                retain_bytes: rng.chance(0.5).then(|| rng.range(4 << 10, 20 << 10)),
                history_rate: rng.chance(0.4).then(|| rng.range(20_000, 1_000_000)),
                ..journal.options().clone()
            };
            drop(journal);
            let config = Config { journal: true, ..Config::default() };
            let mut stored =
                Stored::new(Leader::new(config.clone(), 0).unwrap(), Some(Journal::open(options).unwrap().0));
            if let Some(pace) = stored.pace.as_mut() {
                // A turn's worth just served: frames go as the cap earns them.
                pace.spend(HISTORY_BYTES_PER_TURN);
            }
            let next = rng.range(1, 4);
            let mut model = HistoryModel {
                seed,
                stored,
                appended: Default::default(),
                next,
                commit: 0,
                kept: 0,
                open: Vec::new(),
                made: Vec::new(),
                times: Default::default(),
                now: 0,
                buf: vec![0; config.mtu],
            };
            for _ in 0..30 {
                match rng.range(0, 10) {
                    0..4 => model.append(&mut rng),
                    4..7 => (0..rng.range(1, 4)).for_each(|_| model.ask(&mut rng, &askers)),
                    _ => (0..rng.range(1, 4)).for_each(|_| {
                        model.turn();
                    }),
                }
            }
            let records = |(_, first, done): &(SocketAddr, u64, Vec<bool>)| {
                model.appended.range(*first..*first + done.len() as u64).count()
            };
            let bound = 2 * model.open.iter().map(records).sum::<usize>() + model.stored.jobs.len();
            let (mut frames, mut turns) = (0, 0);
            while !model.stored.jobs.is_empty() {
                frames += model.turn();
                turns += 1;
                assert!(frames <= bound && turns <= bound + 1, "seed {seed}: {frames} frames in {turns} turns");
            }
            let left: Vec<_> = model.open.iter().map(|(to, first, done)| (to, first, done.len())).collect();
            assert!(left.is_empty(), "seed {seed}: requests (asker, first, length) never answered whole: {left:?}");
            drop(model);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn an_idle_pace_saves_no_more_than_one_turns_budget() {
        let mut pace = Pace::new(1_000_000, 0);
        assert_eq!(pace.refill(0), HISTORY_BYTES_PER_TURN);
        pace.spend(HISTORY_BYTES_PER_TURN + 1000);
        // 1,000 bytes owed: the next may go once 1,001 are earned.
        assert_eq!(pace.ready_at(), 1_001_000);
        assert_eq!(pace.refill(1_000_000), 0);
        assert_eq!(pace.refill(1_001_000), 1);
        assert_eq!(pace.refill(3_600_000_000_000), HISTORY_BYTES_PER_TURN, "an hour idle");
        assert_eq!(pace.ready_at(), 0);
        // Idle for an hour while in debt: still one turn's budget, not an
        // hour's worth of bytes at once.
        pace.spend(HISTORY_BYTES_PER_TURN + 1000);
        assert_eq!(pace.refill(7_200_000_000_000), HISTORY_BYTES_PER_TURN, "an hour idle, in debt");
    }

    /// A reviewer of the journal: a member kept a new leader's commit (100)
    /// beside its journal, then cut back to 30 and stood with its old log;
    /// the commit it learned next (50, of that log) never reached the
    /// commit file, which the driver took for holding 100 still.
    #[test]
    fn a_commit_learned_after_a_truncation_below_it_is_kept() {
        let (journal, dir) = journal_of("cut-commit", 100);
        let mut stored = Stored::new(Role { commit: Seq(100), ..Role::default() }, Some(journal));
        stored.write_ahead(0);
        (stored.machine.truncate, stored.machine.commit) = (Some(Seq(30)), Seq(30));
        stored.write_ahead(1);
        let journal = stored.journal.as_mut().unwrap();
        for seq in 31..=60 {
            journal.append(Epoch(1), Seq(30), &crate::wire::test_record(1, seq, b"12345678")).unwrap();
        }
        stored.machine.commit = Seq(50);
        stored.write_ahead(2);
        let options = stored.journal.take().unwrap().options().clone();
        let (_, recovery) = Journal::open(options).unwrap();
        assert_eq!(recovery.commit, Seq(50));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
