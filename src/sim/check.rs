//! The invariant checker (DESIGN §3): records what clients submitted, what the
//! leader stamped, what each follower incarnation delivered and what clients
//! were told, and names the first invariant a run broke.

use core::fmt;
use std::collections::HashMap;

use crate::core::NodeId;

/// An invariant broken, with what showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's number in DESIGN §3 (1–8).
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
            _ => "liveness",
        };
        write!(f, "invariant {} ({name}) broken at {} ns: {}", self.invariant, self.at_ns, self.detail)
    }
}

/// One life of a follower: it starts empty and must deliver 1, 2, 3, …
#[derive(Clone, Copy, Debug)]
struct Incarnation {
    follower: NodeId,
    next: u64,
    alive: bool,
}

/// Everything a run did that the invariants speak of.
#[derive(Debug, Default)]
pub struct History {
    submitted: HashMap<(u32, u64), (Vec<u8>, u64)>,
    stamped: HashMap<u64, (u32, u64)>,
    seq_of: HashMap<(u32, u64), u64>,
    commits_told: Vec<(u32, u64, u64)>,
    commit_seen_max: u64,
    incarnations: Vec<Incarnation>,
    violation: Option<Violation>,
}

impl History {
    /// The first violation recorded, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    fn fail(&mut self, invariant: u8, at_ns: u64, detail: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation { invariant, at_ns, detail });
        }
    }

    /// A client queued `payload` as `request`.
    pub fn submitted(&mut self, client: u32, request: u64, payload: &[u8]) {
        self.submitted.insert((client, request), (payload.to_vec(), self.commit_seen_max));
    }

    /// The leader sent `seq` (in DATA or RETRANSMIT) as the event of (client, request).
    pub fn stamped(&mut self, now: u64, seq: u64, client: u32, request: u64, payload: &[u8]) {
        let origin = (client, request);
        match self.stamped.insert(seq, origin) {
            Some(before) if before != origin => {
                self.fail(1, now, format!("leader sent seq {seq} as {before:?} and as {origin:?}"))
            }
            _ => {}
        }
        match self.seq_of.insert(origin, seq) {
            Some(before) if before != seq => {
                self.fail(3, now, format!("{origin:?} sequenced twice, as {before} and {seq}"))
            }
            _ => {}
        }
        self.check_payload(now, origin, payload, "stamped");
    }

    fn check_payload(&mut self, now: u64, origin: (u32, u64), payload: &[u8], what: &str) {
        match self.submitted.get(&origin) {
            Some((bytes, _)) if bytes == payload => {}
            Some(_) => self.fail(4, now, format!("{what} {origin:?} with bytes that differ from those submitted")),
            None => self.fail(4, now, format!("{what} {origin:?}, which no client submitted")),
        }
    }

    /// A follower (re)started empty; returns its incarnation id.
    pub fn started(&mut self, follower: NodeId) -> usize {
        self.incarnations.push(Incarnation { follower, next: 1, alive: true });
        self.incarnations.len() - 1
    }

    /// The next sequence `incarnation` must deliver (or report lost).
    pub fn next_of(&self, incarnation: usize) -> u64 {
        self.incarnations[incarnation].next
    }

    /// An incarnation crashed.
    pub fn crashed(&mut self, incarnation: usize) {
        self.incarnations[incarnation].alive = false;
    }

    fn in_order(&mut self, now: u64, incarnation: usize, first: u64, what: &str) {
        let inc = self.incarnations[incarnation];
        if first != inc.next {
            let detail = format!("follower {} {what} seq {first} when {} was next", inc.follower, inc.next);
            self.fail(2, now, detail);
        }
    }

    /// An incarnation delivered `seq` as (client, request) with `payload`.
    pub fn delivered(&mut self, now: u64, incarnation: usize, seq: u64, client: u32, request: u64, payload: &[u8]) {
        self.in_order(now, incarnation, seq, "delivered");
        match self.stamped.get(&seq) {
            Some(&origin) if origin == (client, request) => {}
            other => {
                let detail = format!("delivered seq {seq} as {:?}, leader stamped {other:?}", (client, request));
                self.fail(1, now, detail);
            }
        }
        self.check_payload(now, (client, request), payload, "delivered");
        self.incarnations[incarnation].next = seq + 1;
    }

    /// An incarnation reported `[first, end)` lost while the leader's commit was `commit`.
    pub fn lost(&mut self, now: u64, incarnation: usize, first: u64, end: u64, commit: u64) {
        self.in_order(now, incarnation, first, "reported lost from");
        if end - 1 > commit {
            self.fail(5, now, format!("[{first}, {end}) reported lost, beyond the commit {commit}"));
        }
        self.incarnations[incarnation].next = end;
    }

    /// A follower heard a leader of another epoch; the simulated leader never
    /// changes epoch, so this is a fencing failure.
    pub fn epoch_changed(&mut self, now: u64, old: u64, new: u64) {
        self.fail(7, now, format!("a follower saw the epoch change from {old} to {new} with one leader"));
    }

    /// A client was told (client, request) committed at `seq`; the leader's commit was `commit`.
    pub fn committed(&mut self, now: u64, client: u32, request: u64, seq: u64, commit: u64) {
        if self.seq_of.get(&(client, request)) != Some(&seq) {
            let stamped = self.seq_of.get(&(client, request));
            self.fail(5, now, format!("client told {:?} committed at {seq}; stamped {stamped:?}", (client, request)));
        }
        if seq > commit {
            self.fail(5, now, format!("client told seq {seq} committed; the commit is {commit}"));
        }
        self.commits_told.push((client, request, seq));
        self.commit_seen_max = self.commit_seen_max.max(seq);
    }

    /// Checks what can only be checked at the end: real-time order,
    /// durability of every told commit, and convergence (`converged`).
    pub fn finish(&mut self, now: u64, seq_next: u64, converged: Result<(), String>) {
        let mut late = self.submitted.iter().filter_map(|(origin, (_, seen))| {
            let seq = *self.seq_of.get(origin)?;
            (seq <= *seen).then_some((*origin, seq, *seen))
        });
        if let Some((origin, seq, seen)) = late.next() {
            self.fail(
                6,
                now,
                format!("{origin:?} got seq {seq}, but seq {seen} was committed before it was submitted"),
            );
        }
        let live: Vec<Incarnation> = self.incarnations.iter().copied().filter(|i| i.alive).collect();
        for &(client, request, seq) in &self.commits_told {
            if let Some(i) = live.iter().find(|i| i.next <= seq) {
                let detail =
                    format!("{:?} committed at {seq}, never delivered by follower {}", (client, request), i.follower);
                self.violation.get_or_insert(Violation { invariant: 5, at_ns: now, detail });
            }
        }
        if let Err(detail) = converged {
            self.fail(8, now, detail);
        } else if let Some(i) = live.iter().find(|i| i.next != seq_next) {
            self.fail(8, now, format!("follower {} ended at {} of {seq_next}", i.follower, i.next));
        }
    }
}
