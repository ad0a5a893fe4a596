//! Path counters: how often each protocol path ran, so a run of many seeds
//! shows it exercised every one.

use crate::core::Member;

/// How often each protocol path ran, summed over a run (or many).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paths {
    /// Sequences followers found missing.
    pub gaps: u64,
    /// NAKs followers sent.
    pub naks_sent: u64,
    /// Events the leader resent.
    pub retransmitted: u64,
    /// Duplicates dropped (by followers, and retried SUBMITs at the leader).
    pub duplicates: u64,
    /// BUSY replies.
    pub busy: u64,
    /// UNRECOVERABLE replies.
    pub unrecoverable: u64,
    /// Client resends after a timeout.
    pub client_retries: u64,
    /// Events delivered by members.
    pub delivered: u64,
    /// Events reported lost by members.
    pub lost: u64,
    /// Requests clients saw committed.
    pub committed: u64,
    /// Member crashes (leaders included).
    pub crashes: u64,
    /// Partitions made.
    pub partitions: u64,
    /// Datagrams the network dropped.
    pub dropped: u64,
    /// Datagrams the network duplicated.
    pub duplicated: u64,
    /// Elections won.
    pub elections_won: u64,
    /// Elections lost (refused, timed out, or beaten by another candidate).
    pub elections_lost: u64,
    /// Leaders that stepped down for a newer epoch (stale leaders fenced).
    pub stale_fenced: u64,
    /// Frames of an older epoch dropped by members.
    pub stale_frames: u64,
    /// Uncommitted events dropped by followers joining a new leader.
    pub suffix_dropped: u64,
    /// Clients that turned to another member.
    pub client_redirects: u64,
    /// Retried requests an elected leader could not place and reported in
    /// doubt (taken by an earlier leader, outside the log it holds).
    pub in_doubt: u64,
}

/// The names of the failover rows of [`Paths::rows`].
pub const FAILOVER_PATHS: [&str; 6] = [
    "elections_won",
    "elections_lost",
    "stale_leaders_fenced",
    "stale_frames_dropped",
    "suffix_dropped",
    "client_redirects",
];

impl Paths {
    /// Each counter with its name, in a fixed order.
    pub fn rows(&self) -> [(&'static str, u64); 21] {
        [
            ("gaps_seen", self.gaps),
            ("naks_sent", self.naks_sent),
            ("events_retransmitted", self.retransmitted),
            ("duplicates_dropped", self.duplicates),
            ("busy", self.busy),
            ("unrecoverable", self.unrecoverable),
            ("client_retries", self.client_retries),
            ("events_delivered", self.delivered),
            ("events_reported_lost", self.lost),
            ("requests_committed", self.committed),
            ("member_crashes", self.crashes),
            ("partitions", self.partitions),
            ("datagrams_dropped", self.dropped),
            ("datagrams_duplicated", self.duplicated),
            ("elections_won", self.elections_won),
            ("elections_lost", self.elections_lost),
            ("stale_leaders_fenced", self.stale_fenced),
            ("stale_frames_dropped", self.stale_frames),
            ("suffix_dropped", self.suffix_dropped),
            ("client_redirects", self.client_redirects),
            ("requests_in_doubt", self.in_doubt),
        ]
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Paths) {
        let fields = [
            (&mut self.gaps, other.gaps),
            (&mut self.naks_sent, other.naks_sent),
            (&mut self.retransmitted, other.retransmitted),
            (&mut self.duplicates, other.duplicates),
            (&mut self.busy, other.busy),
            (&mut self.unrecoverable, other.unrecoverable),
            (&mut self.client_retries, other.client_retries),
            (&mut self.delivered, other.delivered),
            (&mut self.lost, other.lost),
            (&mut self.committed, other.committed),
            (&mut self.crashes, other.crashes),
            (&mut self.partitions, other.partitions),
            (&mut self.dropped, other.dropped),
            (&mut self.duplicated, other.duplicated),
            (&mut self.elections_won, other.elections_won),
            (&mut self.elections_lost, other.elections_lost),
            (&mut self.stale_fenced, other.stale_fenced),
            (&mut self.stale_frames, other.stale_frames),
            (&mut self.suffix_dropped, other.suffix_dropped),
            (&mut self.client_redirects, other.client_redirects),
            (&mut self.in_doubt, other.in_doubt),
        ];
        for (mine, theirs) in fields {
            *mine += theirs;
        }
    }

    /// Adds what a member counted in the role it has now, and its elections.
    pub(super) fn add_member(&mut self, member: &Member) {
        if let Some(stats) = member.follower_stats() {
            self.gaps += stats.gaps;
            self.naks_sent += stats.naks_sent;
            self.duplicates += stats.duplicates;
            self.suffix_dropped += stats.suffix_dropped;
            self.delivered += stats.delivered;
            self.lost += stats.lost;
        }
        if let Some(stats) = member.leader_stats() {
            self.retransmitted += stats.events_retransmitted;
            self.duplicates += stats.duplicates;
            self.busy += stats.busy_sent;
            self.unrecoverable += stats.unrecoverable_sent;
            self.in_doubt += stats.in_doubt;
        }
        let elections = member.election_stats();
        self.elections_won += elections.won;
        self.elections_lost += elections.lost;
        self.stale_fenced += elections.stepped_down;
        self.stale_frames += member.rejects().wrong_epoch;
    }
}
