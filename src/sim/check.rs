//! The invariant checker (DESIGN §3): records what clients submitted, what the
//! leader stamped, what each follower incarnation delivered and what clients
//! were told, and names the first invariant a run broke.

use core::fmt;
use std::collections::HashMap;

use crate::core::NodeId;

/// An invariant broken, with what showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's number in DESIGN §3 (1–9).
    pub invariant: u8,
    /// Virtual time it was seen at.
    pub at_ns: u64,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.invariant {
            1 => "agreement",
            2 => "gap-free in-order delivery",
            3 => "no duplicates",
            4 => "integrity",
            5 => "durability of commit",
            6 => "real-time order",
            7 => "fencing",
            8 => "liveness",
            _ => "no reflection",
        };
        write!(f, "invariant {} ({name}) broken at {} ns: {}", self.invariant, self.at_ns, self.detail)
    }
}

/// One life of a member: it starts empty and must deliver 1, 2, 3, …; or
/// a tail, which must deliver from its first sequence on.
#[derive(Clone, Copy, Debug)]
struct Incarnation {
    member: NodeId,
    next: u64,
    alive: bool,
    /// A tail's number, and the first and last sequences it delivers.
    tail: Option<(usize, u64, u64)>,
}

impl Incarnation {
    /// Whether it must deliver `seq` (if it exists).
    fn owes(&self, seq: u64) -> bool {
        self.tail.is_none_or(|(_, from, to)| (from..=to).contains(&seq))
    }

    /// Where it ends once it delivered what there is up to `seq_next`.
    fn end(&self, seq_next: u64) -> u64 {
        match self.tail {
            Some((_, from, to)) => seq_next.max(from).min(to.saturating_add(1)),
            None => seq_next,
        }
    }
}

impl fmt::Display for Incarnation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tail {
            Some((i, ..)) => write!(f, "tail {i}"),
            None => write!(f, "member {}", self.member),
        }
    }
}

/// Everything a run did that the invariants speak of.
#[derive(Debug, Default)]
pub struct History {
    submitted: HashMap<(u32, u64), (Vec<u8>, u64)>,
    /// What each leader put at each sequence, by (epoch, seq): a leader's log
    /// only grows, so this never changes within an epoch.
    stamped: HashMap<(u64, u64), (u32, u64)>,
    /// Where each leader put each request, by (epoch, origin).
    seq_in_epoch: HashMap<(u64, (u32, u64)), u64>,
    /// Every event any leader sent at a sequence (a failover may replace an
    /// uncommitted one).
    stamped_any: HashMap<u64, Vec<(u32, u64)>>,
    /// The event delivered at each sequence, by whoever delivered it first.
    delivered_at: HashMap<u64, (u32, u64)>,
    /// The sequence each request was delivered at.
    delivered_seq: HashMap<(u32, u64), u64>,
    /// Delivering on receipt: what each member handed out past the commit
    /// it knew, by (member, seq), until it says it is in doubt
    /// ([`withdrawn`](Self::withdrawn)); checked against what was
    /// delivered as committed at the end.
    on_receipt: HashMap<(NodeId, u64), (u32, u64)>,
    /// The member that led each epoch.
    leaders: HashMap<u64, usize>,
    commits_told: Vec<(u32, u64, u64)>,
    told_at: HashMap<u64, (u32, u64)>,
    commit_seen_max: u64,
    commit_announced: u64,
    incarnations: Vec<Incarnation>,
    violation: Option<Violation>,
}

impl History {
    /// The first violation recorded, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// Records a broken invariant (the first one wins).
    pub fn fail(&mut self, invariant: u8, at_ns: u64, detail: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation { invariant, at_ns, detail });
        }
    }

    /// A client queued `payload` as `request`.
    pub fn submitted(&mut self, client: u32, request: u64, payload: &[u8]) {
        self.submitted.insert((client, request), (payload.to_vec(), self.commit_seen_max));
    }

    /// Member `node` sent a leader's frame in `epoch`: one leader per epoch.
    pub fn leads(&mut self, now: u64, epoch: u64, node: usize) {
        match self.leaders.insert(epoch, node) {
            Some(before) if before != node => {
                self.fail(7, now, format!("members {before} and {node} both led epoch {epoch}"))
            }
            _ => {}
        }
    }

    /// A leader announced `commit` (to followers or a client).
    pub fn announced(&mut self, commit: u64) {
        self.commit_announced = self.commit_announced.max(commit);
    }

    /// The highest commit any leader announced.
    pub fn commit_max(&self) -> u64 {
        self.commit_announced
    }

    /// The leader of `epoch` sent `seq` (in DATA or RETRANSMIT) as the event of (client, request).
    pub fn stamped(&mut self, now: u64, epoch: u64, seq: u64, client: u32, request: u64, payload: &[u8]) {
        let origin = (client, request);
        match self.stamped.insert((epoch, seq), origin) {
            Some(before) if before != origin => {
                self.fail(1, now, format!("leader of epoch {epoch} sent seq {seq} as {before:?} and as {origin:?}"))
            }
            _ => {}
        }
        match self.seq_in_epoch.insert((epoch, origin), seq) {
            Some(before) if before != seq => {
                self.fail(3, now, format!("{origin:?} sequenced twice in epoch {epoch}, as {before} and {seq}"))
            }
            _ => {}
        }
        let all = self.stamped_any.entry(seq).or_default();
        if !all.contains(&origin) {
            all.push(origin);
        }
        self.check_payload(now, origin, payload, "stamped");
    }

    /// Member `node`, following, served `origin` at `seq` from its journal
    /// to one its leader told the sequence was gone: only a committed
    /// event, which a leader sent there and any node delivered there.
    pub fn served(&mut self, now: u64, node: usize, seq: u64, origin: (u32, u64), payload: &[u8]) {
        let sent = self.stamped_any.get(&seq).is_some_and(|all| all.contains(&origin));
        let delivered = self.delivered_at.get(&seq).copied();
        if !sent || delivered.is_some_and(|d| d != origin) {
            let detail = format!("member {node} served seq {seq} as {origin:?}; delivered there: {delivered:?}");
            self.fail(1, now, detail);
        }
        self.check_payload(now, origin, payload, "served");
    }

    fn check_payload(&mut self, now: u64, origin: (u32, u64), payload: &[u8], what: &str) {
        match self.submitted.get(&origin) {
            Some((bytes, _)) if bytes == payload => {}
            Some(_) => self.fail(4, now, format!("{what} {origin:?} with bytes that differ from those submitted")),
            None => self.fail(4, now, format!("{what} {origin:?}, which no client submitted")),
        }
    }

    /// A member (re)started empty; returns its incarnation id.
    pub fn started(&mut self, member: NodeId) -> usize {
        self.incarnations.push(Incarnation { member, next: 1, alive: true, tail: None });
        self.incarnations.len() - 1
    }

    /// Tail `i` started to deliver from `from` to `to`; returns its
    /// incarnation id.
    pub fn tail_started(&mut self, i: usize, from: u64, to: u64) -> usize {
        let observer = NodeId(crate::wire::SENDER_OBSERVER);
        self.incarnations.push(Incarnation { member: observer, next: from, alive: true, tail: Some((i, from, to)) });
        self.incarnations.len() - 1
    }

    /// `incarnation` resumed a journal and delivers from `first` on (no
    /// further back than its records, which retention may have trimmed):
    /// an earlier life of it must have delivered what lies before.
    pub fn resumes_at(&mut self, now: u64, incarnation: usize, first: u64) {
        let member = self.incarnations[incarnation].member;
        let earlier = self.incarnations[..incarnation].iter().rev();
        let before = earlier.filter(|i| i.tail.is_none()).find(|i| i.member == member).map_or(1, |i| i.next);
        if first > before {
            let detail = format!(
                "member {member} resumed its journal delivering from seq {first}, but delivered only up to {} \
                 before: retention deleted records it never delivered",
                before - 1
            );
            self.fail(5, now, detail);
        }
        self.incarnations[incarnation].next = first;
    }

    /// The next sequence `incarnation` must deliver (or report lost).
    pub fn next_of(&self, incarnation: usize) -> u64 {
        self.incarnations[incarnation].next
    }

    /// An incarnation crashed.
    pub fn crashed(&mut self, incarnation: usize) {
        self.incarnations[incarnation].alive = false;
    }

    /// `[first, last]` comes next, and (a tail's) not past its last.
    fn in_order(&mut self, now: u64, incarnation: usize, (first, last): (u64, u64), what: &str) {
        let inc = self.incarnations[incarnation];
        if first != inc.next {
            let detail = format!("{inc} {what} seq {first} when {} was next", inc.next);
            self.fail(2, now, detail);
        }
        if let Some((.., to)) = inc.tail.filter(|&(.., to)| last > to) {
            self.fail(2, now, format!("{inc} {what} seq {last}, past its last, {to}"));
        }
    }

    /// Where `incarnation` ends once it delivered what there is up to `seq_next`.
    pub fn end_of(&self, incarnation: usize, seq_next: u64) -> u64 {
        self.incarnations[incarnation].end(seq_next)
    }

    /// Delivering on receipt, `incarnation` delivered `seq` as (client,
    /// request) with `payload`, past the commit its member knew: until it
    /// says the event is in doubt ([`withdrawn`](Self::withdrawn)), its
    /// member must hand out nothing else at `seq` in any life, and what
    /// was delivered there as committed must be it ([`finish`](Self::finish)).
    pub fn delivered_on_receipt(&mut self, now: u64, incarnation: usize, seq: u64, origin: (u32, u64), payload: &[u8]) {
        let member = self.handed_out(now, incarnation, seq, origin, payload);
        self.on_receipt.insert((member, seq), origin);
    }

    /// What every delivery by `incarnation` of `origin` at `seq` must be:
    /// the next in order, sent there by a leader, with the bytes submitted,
    /// and (its member having delivered another there on receipt) said in
    /// doubt first. Returns its member.
    fn handed_out(&mut self, now: u64, incarnation: usize, seq: u64, origin: (u32, u64), payload: &[u8]) -> NodeId {
        self.in_order(now, incarnation, (seq, seq), "delivered");
        let member = self.incarnations[incarnation].member;
        if let Some(&before) = self.on_receipt.get(&(member, seq)).filter(|&&before| before != origin) {
            let detail = format!("member {member} delivered seq {seq} as {before:?}, then as {origin:?} unsaid");
            self.fail(1, now, detail);
        }
        if !self.stamped_any.get(&seq).is_some_and(|all| all.contains(&origin)) {
            self.fail(1, now, format!("delivered seq {seq} as {origin:?}, no leader sent it there"));
        }
        self.check_payload(now, origin, payload, "delivered");
        self.incarnations[incarnation].next = seq + 1;
        member
    }

    /// What `incarnation`'s member delivered on receipt at `seq` and has not
    /// said is in doubt, if anything.
    pub fn delivered_on_receipt_at(&self, incarnation: usize, seq: u64) -> Option<(u32, u64)> {
        self.on_receipt.get(&(self.incarnations[incarnation].member, seq)).copied()
    }

    /// Delivering on receipt, `incarnation` told its application that
    /// `[first, end)`, which it delivered past the commit it knew, is in
    /// doubt (a sequencer restarted without it): its member may hand out
    /// other events there.
    pub fn withdrawn(&mut self, incarnation: usize, first: u64, end: u64) {
        let member = self.incarnations[incarnation].member;
        self.on_receipt.retain(|&(m, seq), _| m != member || !(first..end).contains(&seq));
    }

    /// What members delivered on receipt and never said was in doubt is
    /// what was delivered as committed there, or what clients were told.
    fn check_on_receipt(&mut self, now: u64) {
        let mut seen: HashMap<u64, (u32, u64)> = HashMap::new();
        let mut delivered: Vec<_> = self.on_receipt.iter().map(|(&(m, seq), &origin)| (seq, m, origin)).collect();
        delivered.sort_unstable();
        for (seq, member, origin) in delivered {
            let there = self.delivered_at.get(&seq).or(self.told_at.get(&seq)).copied();
            let there = there.unwrap_or(*seen.entry(seq).or_insert(origin));
            if there != origin {
                let detail =
                    format!("member {member} delivered seq {seq} as {origin:?} on receipt, unsaid; {there:?} is there");
                return self.fail(1, now, detail);
            }
        }
    }

    /// An incarnation delivered `seq` as (client, request) with `payload`.
    pub fn delivered(&mut self, now: u64, incarnation: usize, seq: u64, client: u32, request: u64, payload: &[u8]) {
        let origin = (client, request);
        self.handed_out(now, incarnation, seq, origin, payload);
        match self.delivered_at.insert(seq, origin) {
            Some(before) if before != origin => {
                self.fail(1, now, format!("seq {seq} delivered as {before:?} and as {origin:?}"))
            }
            _ => {}
        }
        match self.delivered_seq.insert(origin, seq) {
            Some(before) if before != seq => {
                self.fail(3, now, format!("{origin:?} delivered at seq {before} and at seq {seq}"))
            }
            _ => {}
        }
        match self.told_at.get(&seq) {
            Some(&told) if told != origin => {
                self.fail(5, now, format!("seq {seq} delivered as {origin:?}, a client was told {told:?}"))
            }
            _ => {}
        }
    }

    /// An incarnation's journal took `seq` as (client, request) with
    /// `payload`, knowing `commit`: a leader sent it there, the bytes are
    /// the client's, and if the member knew it committed and a client was
    /// told `seq` committed, it is that event. (A record past the commit may
    /// be another leader's, to be dropped when its member follows the next.)
    pub fn journaled(&mut self, now: u64, (seq, commit): (u64, u64), client: u32, request: u64, payload: &[u8]) {
        let origin = (client, request);
        if !self.stamped_any.get(&seq).is_some_and(|all| all.contains(&origin)) {
            self.fail(1, now, format!("journaled seq {seq} as {origin:?}, no leader sent it there"));
        }
        if let Some(&told) = self.told_at.get(&seq).filter(|_| seq <= commit)
            && told != origin
        {
            self.fail(5, now, format!("seq {seq} journaled as {origin:?}, a client was told {told:?}"));
        }
        self.check_payload(now, origin, payload, "journaled");
    }

    /// Whether a log holds every event known committed, `from` (1, or
    /// where retention left its first record) to the highest commit a
    /// leader announced: `origin_at` gives who sent its record at a
    /// sequence, where it has one, and `told_lost` whether it was told a
    /// sequence is gone (a hole its journal keeps: no lack). A commit no
    /// member delivered and no client was told of is held by a record any
    /// leader sent there. (By who sent it, not by the epoch it came in: a
    /// follower journals what another member served it in its own.)
    pub fn holds_every_commit(
        &self,
        from: u64,
        origin_at: impl Fn(u64) -> Option<(u32, u64)>,
        told_lost: impl Fn(u64) -> bool,
    ) -> bool {
        (from..=self.commit_announced).all(|seq| {
            let Some(held) = origin_at(seq) else { return told_lost(seq) };
            match self.told_at.get(&seq).or(self.delivered_at.get(&seq)) {
                Some(&committed) => held == committed,
                None => self.stamped_any.get(&seq).is_some_and(|all| all.contains(&held)),
            }
        })
    }

    /// An incarnation reported `[first, end)` lost while the highest commit announced was `commit`.
    pub fn lost(&mut self, now: u64, incarnation: usize, first: u64, end: u64, commit: u64) {
        self.in_order(now, incarnation, (first, end - 1), "reported lost from");
        if end - 1 > commit {
            self.fail(5, now, format!("[{first}, {end}) reported lost, beyond the commit {commit}"));
        }
        self.incarnations[incarnation].next = end;
    }

    /// A follower refused a leader of another epoch. A simulated sequencer
    /// restarts only from its journal, and an elected member's log holds
    /// every commit: one that began its epoch `short` of a commit its
    /// follower knew lost it; otherwise (without failover) this is a
    /// fencing failure.
    pub fn epoch_changed(&mut self, now: u64, old: u64, new: u64, short: Option<crate::core::ShortLeader>) {
        match short {
            Some(short) if short.log_end < short.committed => self.fail(
                5,
                now,
                format!(
                    "epoch {new} began from a log ending at {}, short of the commit {} a follower knew",
                    short.log_end, short.committed
                ),
            ),
            _ => self.fail(7, now, format!("a follower saw the epoch change from {old} to {new} with one leader")),
        }
    }

    /// A client was told (client, request) committed at `seq`.
    pub fn committed(&mut self, now: u64, client: u32, request: u64, seq: u64) {
        let origin = (client, request);
        if !self.stamped_any.get(&seq).is_some_and(|all| all.contains(&origin)) {
            self.fail(5, now, format!("client told {origin:?} committed at {seq}; no leader sent it there"));
        }
        if seq > self.commit_announced {
            self.fail(5, now, format!("client told seq {seq} committed; the commit is {}", self.commit_announced));
        }
        match self.delivered_at.get(&seq) {
            Some(&delivered) if delivered != origin => {
                self.fail(5, now, format!("client told {origin:?} committed at {seq}; {delivered:?} was delivered"))
            }
            _ => {}
        }
        match self.told_at.insert(seq, origin) {
            Some(before) if before != origin => {
                self.fail(5, now, format!("clients told {before:?} and {origin:?} committed at {seq}"))
            }
            _ => {}
        }
        self.commits_told.push((client, request, seq));
        self.commit_seen_max = self.commit_seen_max.max(seq);
    }

    /// Checks what can only be checked at the end: real-time order,
    /// durability of every told commit, and convergence (`converged`).
    pub fn finish(&mut self, now: u64, seq_next: u64, converged: Result<(), String>) {
        self.check_real_time(now);
        if let Err(detail) = converged {
            // Whatever was not delivered follows from not converging: say that.
            return self.fail(8, now, detail);
        }
        self.check_on_receipt(now);
        let live: Vec<Incarnation> = self.incarnations.iter().copied().filter(|i| i.alive).collect();
        for &(client, request, seq) in &self.commits_told {
            if let Some(i) = live.iter().find(|i| i.owes(seq) && i.next <= seq) {
                let detail = format!("{:?} committed at {seq}, never delivered by {i}", (client, request));
                self.violation.get_or_insert(Violation { invariant: 5, at_ns: now, detail });
            }
        }
        if let Some(i) = live.iter().find(|i| i.next != i.end(seq_next)) {
            self.fail(8, now, format!("{i} ended at {} of {seq_next}", i.next));
        }
    }

    /// The end of a run whose leader was killed for good (no failover):
    /// real-time order, and durability as far as each live member holds the
    /// log (`held`: incarnation, highest contiguous sequence). With no
    /// leader it can never get what it lacks, but a sequence it holds that
    /// a client was told is committed, it must have delivered.
    pub fn finish_leaderless(&mut self, now: u64, held: &[(usize, u64)]) {
        self.check_real_time(now);
        self.check_on_receipt(now);
        for &(client, request, seq) in &self.commits_told {
            let short = held
                .iter()
                .map(|&(i, held)| (self.incarnations[i], held))
                .find(|(i, held)| *held >= seq && i.next <= seq);
            if let Some((i, held)) = short {
                let detail = format!(
                    "{:?} committed at {seq}; {i} holds up to {held} but delivered only up to {} when the leader was killed",
                    (client, request),
                    i.next - 1
                );
                self.violation.get_or_insert(Violation { invariant: 5, at_ns: now, detail });
            }
        }
    }

    /// Invariant 6: no event got a sequence at or below one committed
    /// before it was submitted.
    fn check_real_time(&mut self, now: u64) {
        let mut late = self.submitted.iter().filter_map(|(origin, (_, seen))| {
            let seq = *self.delivered_seq.get(origin)?;
            (seq <= *seen).then_some((*origin, seq, *seen))
        });
        if let Some((origin, seq, seen)) = late.next() {
            self.fail(
                6,
                now,
                format!("{origin:?} got seq {seq}, but seq {seen} was committed before it was submitted"),
            );
        }
    }
}

/// The checker itself: each invariant it checks fails on a history that
/// breaks it, and a history that breaks none passes. (Simulator runs with
/// broken members in `sim/tests.rs` show it wired to what members do.)
#[cfg(test)]
mod tests {
    use super::*;

    /// Client 1's request `request`, its payload one byte.
    fn submit(history: &mut History, request: u64) -> (u32, u64) {
        history.submitted(1, request, &[request as u8]);
        (1, request)
    }

    /// The leader of `epoch` sent `origin` at `seq`; member 1's first life
    /// delivered it there.
    fn stamp_and_deliver(history: &mut History, epoch: u64, seq: u64, origin: (u32, u64)) {
        let payload = [origin.1 as u8];
        history.stamped(seq, epoch, seq, origin.0, origin.1, &payload);
        history.delivered(seq, 0, seq, origin.0, origin.1, &payload);
    }

    fn broken(history: &History) -> Option<u8> {
        history.violation().map(|v| v.invariant)
    }

    /// Two events sequenced, delivered, committed and told: member 1
    /// delivered both, leader 0 led epoch 1.
    fn clean() -> History {
        let mut history = History::default();
        history.started(NodeId(1));
        history.leads(0, 1, 0);
        for seq in 1..=2 {
            let origin = submit(&mut history, seq);
            stamp_and_deliver(&mut history, 1, seq, origin);
            history.announced(seq);
            history.committed(seq, origin.0, origin.1, seq);
        }
        history
    }

    #[test]
    fn a_history_that_breaks_nothing_passes() {
        let mut history = clean();
        history.finish(10, 3, Ok(()));
        assert_eq!(history.violation(), None);
    }

    #[test]
    fn a_request_sequenced_twice_in_an_epoch_breaks_no_duplicates() {
        let mut history = clean();
        history.stamped(5, 1, 3, 1, 2, &[2]);
        assert_eq!(broken(&history), Some(3), "{:?}", history.violation());
    }

    /// Two leaders may each sequence an uncommitted request (a failover),
    /// but no member delivers it twice.
    #[test]
    fn a_request_delivered_at_two_sequences_breaks_no_duplicates() {
        let mut history = clean();
        history.stamped(5, 2, 3, 1, 2, &[2]);
        assert_eq!(broken(&history), None, "sent again by the next leader: no delivery yet");
        history.delivered(6, 0, 3, 1, 2, &[2]);
        assert_eq!(broken(&history), Some(3), "{:?}", history.violation());
    }

    /// An event submitted after a client was told seq 5 committed, put
    /// at seq 3 (a leader that kept a free sequence below its commit).
    #[test]
    fn an_event_sequenced_below_a_commit_older_than_it_breaks_real_time_order() {
        let mut history = clean();
        let told = submit(&mut history, 5);
        history.stamped(5, 1, 5, told.0, told.1, &[5]);
        history.announced(5);
        history.committed(6, told.0, told.1, 5);
        let late = submit(&mut history, 3);
        stamp_and_deliver(&mut history, 1, 3, late);
        assert_eq!(broken(&history), None, "seen only once the run ends");
        history.finish(10, 6, Ok(()));
        assert_eq!(broken(&history), Some(6), "{:?}", history.violation());
    }

    #[test]
    fn two_leaders_of_one_epoch_break_fencing() {
        let mut history = clean();
        history.leads(5, 1, 0);
        assert_eq!(broken(&history), None, "the same leader again");
        history.leads(6, 1, 2);
        assert_eq!(broken(&history), Some(7), "{:?}", history.violation());
    }

    #[test]
    fn a_follower_refusing_a_leader_that_lost_nothing_breaks_fencing() {
        let mut history = clean();
        history.epoch_changed(5, 1, 2, None);
        assert_eq!(broken(&history), Some(7), "{:?}", history.violation());
    }

    #[test]
    fn a_run_that_never_converges_or_a_member_left_behind_breaks_liveness() {
        let mut history = clean();
        history.finish(10, 3, Err("clients still waiting".into()));
        assert_eq!(broken(&history), Some(8), "{:?}", history.violation());
        let mut history = clean();
        history.finish(10, 4, Ok(()));
        assert_eq!(broken(&history), Some(8), "member 1 ended at 3 of 4: {:?}", history.violation());
    }

    /// Delivering on receipt, member 1 handed out seq 3 as request 3 past
    /// its commit; a restarted sequencer then put request 4 there, which
    /// a second life of member 1 delivers as committed.
    fn delivered_3_on_receipt_then_4_there(withdrawn: bool) -> History {
        let mut history = clean();
        let (before, after) = (submit(&mut history, 3), submit(&mut history, 4));
        history.stamped(3, 1, 3, before.0, before.1, &[3]);
        history.delivered_on_receipt(3, 0, 3, before, &[3]);
        if withdrawn {
            history.withdrawn(0, 3, 4);
        }
        history.crashed(0);
        let again = history.started(NodeId(1));
        history.resumes_at(5, again, 3);
        history.stamped(6, 2, 3, after.0, after.1, &[4]);
        history.delivered(7, again, 3, after.0, after.1, &[4]);
        history
    }

    /// A member that delivered on receipt an event a restarted sequencer
    /// lacks hands out another there only once it said the first was in
    /// doubt; unsaid, that breaks agreement at once.
    #[test]
    fn an_event_delivered_on_receipt_is_replaced_only_once_said_in_doubt() {
        let mut history = delivered_3_on_receipt_then_4_there(true);
        history.finish(10, 4, Ok(()));
        assert_eq!(history.violation(), None);
        let history = delivered_3_on_receipt_then_4_there(false);
        assert_eq!(broken(&history), Some(1), "{:?}", history.violation());
    }

    /// Member 2 delivered on receipt at seq 3 what member 1 delivered as
    /// committed there never was, and never said so: seen at the end.
    #[test]
    fn an_event_delivered_on_receipt_that_did_not_commit_there_breaks_agreement_at_the_end() {
        let mut history = clean();
        let (theirs, committed) = (submit(&mut history, 3), submit(&mut history, 4));
        history.stamped(3, 1, 3, theirs.0, theirs.1, &[3]);
        let two = history.started(NodeId(2));
        for seq in 1..=2 {
            history.delivered(3, two, seq, 1, seq, &[seq as u8]);
        }
        history.delivered_on_receipt(4, two, 3, theirs, &[3]);
        history.stamped(6, 2, 3, committed.0, committed.1, &[4]);
        history.delivered(7, 0, 3, committed.0, committed.1, &[4]);
        assert_eq!(broken(&history), None, "not said yet, and member 2 may still say it");
        history.finish(10, 4, Ok(()));
        assert_eq!(broken(&history), Some(1), "{:?}", history.violation());
    }

    #[test]
    fn a_log_holds_every_commit_only_with_each_committed_event_in_place() {
        let mut history = clean();
        let none = |_| false;
        let held = |seq| (seq <= 2).then_some((1, seq));
        assert!(history.holds_every_commit(1, held, none));
        assert!(!history.holds_every_commit(1, |seq| (seq == 1).then_some((1, 1)), none), "it lacks seq 2");
        assert!(history.holds_every_commit(2, |seq| (seq == 2).then_some((1, 2)), none), "retention took seq 1");
        assert!(history.holds_every_commit(1, |seq| (seq == 1).then_some((1, 1)), |seq| seq == 2), "told 2 is gone");
        // Epoch 2 put another event at seq 2, never committed there.
        let other = submit(&mut history, 3);
        history.stamped(20, 2, 2, other.0, other.1, &[3]);
        assert!(!history.holds_every_commit(1, |seq| Some(if seq == 2 { other } else { (1, seq) }), none));
    }
}
