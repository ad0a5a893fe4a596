//! The protocol's vocabulary: sequences, epochs, ids, log claims and sets of
//! members, as newtypes so that a sequence cannot be passed for an epoch, a
//! count or a request number (TigerBeetle's habit). [`wire`](crate::wire)
//! returns them from its getters and [`core`](crate::core) speaks only them.

use core::fmt;

/// Prints each newtype as its bare number.
macro_rules! display_as_number {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

display_as_number!(Seq, Epoch, NodeId, ClientId);

/// A sequence number: the place of an event in the one total order. Events
/// are numbered from 1; [`Seq::ZERO`] means "none" (nothing held, nothing
/// committed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub u64);

impl Seq {
    /// No event: what a node holds or has committed before the first.
    pub const ZERO: Seq = Seq(0);
    /// The first event of a log.
    pub const FIRST: Seq = Seq(1);

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The sequence after this one.
    pub const fn next(self) -> Seq {
        Seq(self.0 + 1)
    }

    /// The sequence before this one ([`Seq::ZERO`] stays zero).
    pub const fn prev(self) -> Seq {
        Seq(self.0.saturating_sub(1))
    }
}

/// `n` sequences later.
impl core::ops::Add<u64> for Seq {
    type Output = Seq;
    fn add(self, n: u64) -> Seq {
        Seq(self.0 + n)
    }
}

/// `n` sequences earlier.
///
/// # Panics
/// In debug builds, below zero.
impl core::ops::Sub<u64> for Seq {
    type Output = Seq;
    fn sub(self, n: u64) -> Seq {
        Seq(self.0 - n)
    }
}

/// How many sequences lie in `[other, self)`: a count, not a sequence.
///
/// # Panics
/// In debug builds, if `other` is after `self`.
impl core::ops::Sub<Seq> for Seq {
    type Output = u64;
    fn sub(self, other: Seq) -> u64 {
        self.0 - other.0
    }
}

/// A leader's term (DESIGN §2): each leader numbers its frames with one, and
/// frames of an older epoch change nothing (fencing, DESIGN §3.7).
/// [`Epoch::ZERO`] means "not known yet" (a node that rejoins learns it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(pub u64);

impl Epoch {
    /// Not known yet.
    pub const ZERO: Epoch = Epoch(0);

    /// The newest epoch a frame may carry (2^48: an election a millisecond
    /// for 8,900 years). The wire refuses any beyond it, so that
    /// [`Epoch::next`] of an epoch heard never overflows.
    pub const MAX: Epoch = Epoch(1 << 48);

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The epoch after this one: what a candidate stands for.
    pub const fn next(self) -> Epoch {
        Epoch(self.0 + 1)
    }
}

/// What a node's ACK promises of the events it holds (DESIGN §8), carried
/// in the low two bits of the ACK's header `flags`. Ordered from the
/// weakest promise to the strongest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Durability {
    /// No journal: held in memory, lost with the process.
    #[default]
    Memory = 0,
    /// Written to the journal, not synced (`--sync none`): survives the
    /// process, not a power loss.
    Written = 1,
    /// Synced to disk (`--sync batch`): survives a power loss.
    Synced = 2,
}

impl Durability {
    /// The bits of an ACK's `flags` that carry it.
    pub const FLAGS_MASK: u16 = 3;

    /// From an ACK's `flags`; the code 3, not defined, reads as the
    /// strongest (a newer node's promise is not called weak here).
    pub fn from_flags(flags: u16) -> Durability {
        match flags & Self::FLAGS_MASK {
            0 => Durability::Memory,
            1 => Durability::Written,
            _ => Durability::Synced,
        }
    }

    /// How an operator reads it.
    pub fn describe(self) -> &'static str {
        match self {
            Durability::Memory => "in memory only (no journal)",
            Durability::Written => "written to its journal, not synced (--sync none)",
            Durability::Synced => "synced to disk (--sync batch)",
        }
    }
}

/// A member of the cluster: ids run `0..nodes`, leader included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u16);

impl NodeId {
    /// The id as an index into per-node tables.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A client: the leader deduplicates by (client id, request number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u32);

impl ClientId {
    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// An id unlikely to be in use, for one incarnation of a client: a
    /// leader that still remembers an id takes a new incarnation's request
    /// N for a duplicate of the old one's, tells it committed at the old
    /// sequence, and sequences nothing of it. A process draws a base from
    /// its id and the wall clock, mixed, the first time, and counts on from
    /// it (so no two of its ids are equal); never 0. (A process id alone
    /// repeats: a container's first process, a restart after ids wrapped.)
    pub fn fresh() -> ClientId {
        static BASE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
        static DRAWN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let base = *BASE.get_or_init(|| {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            ClientId::base(nanos, std::process::id())
        });
        loop {
            let id = base.wrapping_add(DRAWN.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            if id != 0 {
                return ClientId(id);
            }
        }
    }

    /// A process's first fresh id, from the wall clock and its process id
    /// mixed.
    fn base(nanos: u128, pid: u32) -> u32 {
        mix64((nanos as u64) ^ (u64::from(pid) << 32)) as u32
    }
}

/// SplitMix64's finaliser: every bit of `x` moves every bit of the result.
pub(crate) fn mix64(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// What an election compares (DESIGN §2, failover): the epoch of the leader
/// whose log this log is a prefix of, then the last sequence it holds. The
/// derived order is exactly that (epoch first): a voter grants only to a
/// claim at least its own, so the winner holds every committed event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Claim {
    /// Epoch of the leader whose log this one is a prefix of.
    pub epoch: Epoch,
    /// Last sequence of the log.
    pub seq: Seq,
}

impl Claim {
    /// The highest epoch and the highest sequence of both, taken apart: at
    /// least each of them in both. How a damaged journal's reaches combine,
    /// where any may come from a record inside a client's payload that
    /// passed for the journal's: it may raise the reach, never lower it.
    pub fn highest(self, other: Claim) -> Claim {
        Claim { epoch: self.epoch.max(other.epoch), seq: self.seq.max(other.seq) }
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch, self.seq)
    }
}

/// A set of members, one bit each: votes granted or refused, members that
/// answered or ACKed. Clusters with failover have at most 64 members
/// ([`NodeSet::CAPACITY`]); an id beyond that is never a member of a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeSet(u64);

impl NodeSet {
    /// Most members a set can hold.
    pub const CAPACITY: u16 = 64;

    /// The empty set.
    pub const fn new() -> NodeSet {
        NodeSet(0)
    }

    /// The set of members `0..nodes` (all of them, for `nodes` ≥ 64).
    pub fn all(nodes: u16) -> NodeSet {
        NodeSet(u64::MAX >> (64 - u32::from(nodes.clamp(1, Self::CAPACITY))))
    }

    /// The set holding only `node`.
    pub fn of(node: NodeId) -> NodeSet {
        let mut set = NodeSet::new();
        set.insert(node);
        set
    }

    fn bit(node: NodeId) -> u64 {
        1u64.checked_shl(u32::from(node.0)).unwrap_or(0)
    }

    /// Adds `node`; returns true if it was not there already.
    pub fn insert(&mut self, node: NodeId) -> bool {
        let before = self.0;
        self.0 |= Self::bit(node);
        self.0 != before
    }

    /// True if `node` is in the set.
    pub fn contains(self, node: NodeId) -> bool {
        self.0 & Self::bit(node) != 0
    }

    /// Members in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// True when nobody is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members of both sets.
    pub fn union(self, other: NodeSet) -> NodeSet {
        NodeSet(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reviewer embedding the library followed the example's
    /// `ClientId(std::process::id())`: a second run with the same id was
    /// told its requests committed at the first run's sequences, and its
    /// payloads were never sequenced. Fresh ids differ, within a process
    /// and from one draw to the next, and are never 0.
    #[test]
    fn fresh_client_ids_differ_and_are_never_zero() {
        let ids: std::collections::HashSet<ClientId> = (0..10_000).map(|_| ClientId::fresh()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(!ids.contains(&ClientId(0)));
        // Another run: the same process id a moment later (a container's
        // first process, restarted), or another one at the same moment.
        let at = 1_796_094_547_387_000_000u128;
        let bases: std::collections::HashSet<u32> =
            (0..1000).flat_map(|i| [ClientId::base(at + i * 1000, 1), ClientId::base(at, 2 + i as u32)]).collect();
        assert_eq!(bases.len(), 2000);
    }

    #[test]
    fn a_claim_orders_by_epoch_first_then_sequence() {
        let claim = |epoch, seq| Claim { epoch: Epoch(epoch), seq: Seq(seq) };
        assert!(claim(1, 9) < claim(2, 0), "a newer epoch wins however short");
        assert!(claim(2, 3) < claim(2, 4));
    }

    #[test]
    fn a_node_set_counts_each_member_once_and_ignores_ids_beyond_its_capacity() {
        let mut set = NodeSet::new();
        assert!(set.insert(NodeId(0)) && set.insert(NodeId(63)));
        assert!(!set.insert(NodeId(0)), "already there");
        assert!(!set.insert(NodeId(64)) && !set.contains(NodeId(64)));
        assert_eq!(set.len(), 2);
        assert_eq!(NodeSet::all(3).len(), 3);
        assert_eq!(NodeSet::all(64).len(), 64);
        assert_eq!(NodeSet::all(200).len(), 64);
        assert_eq!(NodeSet::of(NodeId(1)).union(NodeSet::of(NodeId(2))).len(), 2);
    }

    #[test]
    fn sequences_step_and_zero_stays_zero() {
        assert_eq!(Seq::ZERO.next(), Seq::FIRST);
        assert_eq!(Seq::ZERO.prev(), Seq::ZERO);
        assert_eq!(Seq(5).prev(), Seq(4));
        assert_eq!(Epoch(1).next(), Epoch(2));
    }
}
