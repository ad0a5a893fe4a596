//! Path counters: how often each protocol path ran, so a run of many seeds
//! shows it exercised every one.

use crate::core::Member;

/// Defines [`Paths`] from one list of (field, printed name): the struct,
/// [`Paths::rows`] and [`Paths::add`] cannot disagree.
macro_rules! paths {
    ($($(#[doc = $doc:literal])+ $field:ident => $name:literal,)+) => {
        /// How often each protocol path ran, summed over a run (or many).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Paths {
            $($(#[doc = $doc])+ pub $field: u64,)+
        }

        impl Paths {
            /// Each counter with its name, in a fixed order.
            pub fn rows(&self) -> Vec<(&'static str, u64)> {
                vec![$(($name, self.$field)),+]
            }

            /// Adds `other` into `self`.
            pub fn add(&mut self, other: &Paths) {
                $(self.$field += other.$field;)+
            }
        }
    };
}

paths! {
    /// Sequences followers found missing.
    gaps => "gaps_seen",
    /// NAKs followers sent.
    naks_sent => "naks_sent",
    /// Events the leader resent.
    retransmitted => "events_retransmitted",
    /// Duplicates dropped (by followers, and retried SUBMITs at the leader).
    duplicates => "duplicates_dropped",
    /// BUSY replies.
    busy => "busy",
    /// UNRECOVERABLE replies.
    unrecoverable => "unrecoverable",
    /// Client resends after a timeout.
    client_retries => "client_retries",
    /// Events delivered by members.
    delivered => "events_delivered",
    /// Events reported lost by members.
    lost => "events_reported_lost",
    /// Requests clients saw committed.
    committed => "requests_committed",
    /// Member crashes (leaders included).
    crashes => "member_crashes",
    /// Partitions made.
    partitions => "partitions",
    /// Datagrams the network dropped.
    dropped => "datagrams_dropped",
    /// Datagrams the network duplicated.
    duplicated => "datagrams_duplicated",
    /// Faults that hit the leader (a crash, a stop, a pause, a cut, a
    /// failed disk, a whole-cluster crash) followed by a commit a client
    /// saw past the leader's commit then: the cluster led again. Faults
    /// before that commit count with the first.
    leader_faults => "leader_faults_recovered",
    /// Of those, the virtual microseconds from each fault to that commit,
    /// summed (divided by the faults: the mean time to lead again).
    fault_to_commit_us => "us_leader_fault_to_commit",
    /// Elections won.
    elections_won => "elections_won",
    /// Elections lost (refused, timed out, or beaten by another candidate).
    elections_lost => "elections_lost",
    /// Candidacies given up for a candidate in the same epoch with a more
    /// complete log (or as complete, with a lower id): a vote not split.
    elections_yielded => "elections_yielded",
    /// Candidacies in an epoch raised to the floor of the member's start
    /// (`Member::stand_above`: the milliseconds of its start).
    elections_floored => "elections_floored",
    /// Leaders that stepped down for a newer epoch (stale leaders fenced).
    stale_fenced => "stale_leaders_fenced",
    /// Votes of members that may have lost a log (new ones holding nothing,
    /// for a log of a newer epoch; ones back empty, not yet caught up),
    /// counted only beside enough holders' (`Ballot::GrantedEmpty`).
    granted_empty => "votes_granted_empty",
    /// Epochs past a leader's that clients named while its quorum went on
    /// acknowledging it (a violation here but with `--claim-losses`:
    /// nothing else loses a promise).
    clients_ahead => "client_epochs_lost",
    /// ACKs members withheld from the leader they followed, fenced off
    /// from its epoch by a vote in a newer one.
    acks_fenced => "acks_fenced",
    /// Events of a leader joined that members skipped: at or below the
    /// commit they knew, before its HEARTBEAT showed its log reaches it.
    unproven => "unproven_skipped",
    /// Frames of an older epoch dropped by members.
    stale_frames => "stale_frames_dropped",
    /// Uncommitted events dropped by followers joining a new leader.
    suffix_dropped => "suffix_dropped",
    /// Clients that turned to another member.
    client_redirects => "client_redirects",
    /// Retried requests an elected leader could not place and reported in
    /// doubt (taken by an earlier leader, outside the log it holds).
    in_doubt => "requests_in_doubt",
    /// Of those, SUBMITs from clients told of commits the leader had no
    /// record of, its table having forgotten no client: the cluster lost
    /// committed events (a violation here: nothing loses them).
    told_unknown => "clients_told_unknown",
    /// Clients a full table moved out for a new one (idle ones; each keeps
    /// a record of where it stopped).
    clients_evicted => "clients_evicted",
    /// Records members journaled (with `--journal`).
    journaled => "events_journaled",
    /// Ranges that had left a leader's ring, served from its journal.
    history => "history_ranges_served",
    /// Whole-cluster crashes (with `--journal`).
    cluster_crashes => "cluster_crashes",
    /// Leaders crashed without failover (with `--journal`), to restart
    /// from their journals in a newer epoch.
    leader_restarts => "leader_restarts",
    /// Members restarted without their claim file (`--claim-losses`).
    claims_lost => "claims_lost",
    /// Members restarted with a record of their journal damaged (`--damages`).
    damaged => "journals_damaged",
    /// Runs whose lost records left no whole journal holding every
    /// commit: they end with no leader, as they must.
    no_whole_copy => "runs_left_without_a_whole_copy",
    /// Elections won by counting votes of members back without all of
    /// their log, as a promotion asked (`--count-incomplete`).
    won_incomplete => "won_counting_incomplete",
    /// Leaders of the epoch of a log a member resumed from its journal,
    /// followed once their event at its last sequence was its own.
    own_leaders_shown => "own_epoch_leaders_shown",
    /// Members with failover back from a journal that claims enough to vote.
    resumed_whole => "members_resumed_voting",
    /// Members with failover back from a journal that does not (they vote
    /// outright once they hold again what a leader says it has sequenced;
    /// until then, with their claim, only beside enough holders).
    resumed_unsure => "members_resumed_unsure",
    /// Members with failover back without a claim file, holding no record
    /// at or below their commit (retention deleted those, and damage the
    /// records that said it): the epoch of their first record past it
    /// (which damage may drop) names a log that holds the commit, whose
    /// leader they ask for that record.
    resumed_past_commit => "claimless_resumes_past_commit",
    /// Unsynced records (`--sync batch`) a member killed rather than
    /// powered off kept in the page cache, read back at its restart.
    kept_by_kills => "unsynced_kept_by_kills",
    /// Members stopped cleanly (SIGTERM), alone or all at once.
    stops => "clean_stops",
    /// Leaders stopped cleanly, or whose journal failed, that handed their
    /// lead to a member.
    handed_over => "leads_handed_over",
    /// Restarts whose commit file said more was committed than their
    /// records did.
    commit_file => "commit_file_said_more",
    /// Clients replaced by one of a fresh id after their sequencer
    /// restarted (without failover).
    clients_reconnected => "clients_reconnected",
    /// Without failover, delivering on receipt: followers that refused a
    /// restarted sequencer whose log lacks what they delivered past their
    /// commit, told their application it was in doubt, and were started
    /// again.
    withdrawn => "deliveries_withdrawn",
    /// With `--deliver-switch`: followers restarted delivering on commit
    /// after a life that delivered on receipt past its commit, which count
    /// that tail delivered (their `handed-out` file).
    handed_on_commit => "receipt_tails_kept_on_commit",
    /// Turns in which a slow application (`--slow-apps`) took as many
    /// events as it could (more may have waited in its node).
    app_turns_behind => "app_turns_behind",
    /// Members crashed between a turn's write-ahead and its hand-out to a
    /// slow application (`--slow-apps`).
    app_turn_crashes => "crashes_in_app_turns",
    /// BUSY replies of leaders whose application had not taken
    /// `in_flight_max` of the events they sequenced (`--slow-apps`).
    busy_behind_hand_out => "busy_behind_hand_out",
    /// Journals that failed on a full disk, at an append (`--disk-fails`).
    disks_full => "journals_failed_full",
    /// Journals that failed at a sync (EIO; `--disk-fails`).
    syncs_failed => "journals_failed_sync",
    /// Members whose journal failed, started again by their operator
    /// (`--disk-fails`).
    failed_restarted => "failed_journals_restarted",
    /// Recorded valid datagrams the attacker replayed.
    replayed => "datagrams_replayed",
    /// Bytes of them it replayed from its own address to nodes.
    replayed_bytes => "bytes_replayed_to_nodes",
    /// Bytes nodes sent to the attacker's address (DESIGN §3, 9: at most
    /// three times the bytes it sent them).
    drawn_bytes => "bytes_nodes_sent_the_attacker",
    /// Followers without failover restarted on another port (as without
    /// `--listen`).
    port_moves => "followers_moved_port",
    /// Datagrams sent to a port a follower had before.
    to_old_port => "datagrams_to_old_ports",
    /// Records members' retention deleted (with `--retain-events`).
    retained_away => "records_retention_deleted",
    /// Events members sent, while following, to one whose leader no
    /// longer had them (with failover and `--journal`).
    served => "events_served_by_followers",
    /// Events members got that way.
    from_members => "events_from_other_members",
    /// Events read-only subscribers delivered (with `--tails`).
    tail_delivered => "tail_events_delivered",
    /// Events they reported lost.
    tail_lost => "tail_events_reported_lost",
    /// NAKs they sent.
    tail_naks => "tail_naks_sent",
    /// Events they got from members that do not lead (with failover).
    tail_from_members => "tail_events_from_members",
    /// Newer epochs they went on in: an elected leader (with failover), or
    /// a sequencer restarted from its journal.
    tail_epochs_followed => "tail_epochs_followed",
    /// Uncommitted events they dropped, following a newer leader.
    tail_suffix_dropped => "tail_suffix_dropped",
}

/// The names of the journal's rows of [`Paths::rows`] (0 without one).
pub const JOURNAL_PATHS: [&str; 22] = [
    "events_journaled",
    "history_ranges_served",
    "cluster_crashes",
    "leader_restarts",
    "members_resumed_voting",
    "members_resumed_unsure",
    "claimless_resumes_past_commit",
    "unsynced_kept_by_kills",
    "clean_stops",
    "leads_handed_over",
    "commit_file_said_more",
    "clients_reconnected",
    "deliveries_withdrawn",
    "receipt_tails_kept_on_commit",
    "records_retention_deleted",
    "claims_lost",
    "journals_damaged",
    "runs_left_without_a_whole_copy",
    "won_counting_incomplete",
    "own_epoch_leaders_shown",
    "events_served_by_followers",
    "events_from_other_members",
];

/// The names of the read-only subscribers' rows of [`Paths::rows`] (0
/// without `--tails`).
pub const TAIL_PATHS: [&str; 6] = [
    "tail_events_delivered",
    "tail_events_reported_lost",
    "tail_naks_sent",
    "tail_events_from_members",
    "tail_epochs_followed",
    "tail_suffix_dropped",
];

/// The names of the rows of slow applications (0 without `--slow-apps`).
pub const SLOW_APP_PATHS: [&str; 3] = ["app_turns_behind", "crashes_in_app_turns", "busy_behind_hand_out"];

/// The names of the rows of failed journals (0 without `--disk-fails`).
pub const DISK_FAIL_PATHS: [&str; 3] = ["journals_failed_full", "journals_failed_sync", "failed_journals_restarted"];

/// The names of the replaying attacker's rows of [`Paths::rows`] (0 without one).
pub const REPLAY_PATHS: [&str; 3] = ["datagrams_replayed", "bytes_replayed_to_nodes", "bytes_nodes_sent_the_attacker"];

/// The names of the rows of followers restarted on another port (0 with
/// failover, whose members keep their `node.N` addresses).
pub const PORT_PATHS: [&str; 2] = ["followers_moved_port", "datagrams_to_old_ports"];

/// The name of the row of a client table with fewer places than clients
/// (0 otherwise: no other profile fills it).
pub const CROWD_PATH: &str = "clients_evicted";

/// The names of the rows of faults that hit the leader (0 where none do:
/// [`SimConfig::mixed`](super::SimConfig::mixed)'s hit followers only).
pub const LEADER_FAULT_PATHS: [&str; 2] = ["leader_faults_recovered", "us_leader_fault_to_commit"];

/// The names of the failover rows of [`Paths::rows`].
pub const FAILOVER_PATHS: [&str; 11] = [
    "elections_won",
    "elections_lost",
    "elections_yielded",
    "elections_floored",
    "stale_leaders_fenced",
    "votes_granted_empty",
    "acks_fenced",
    "unproven_skipped",
    "stale_frames_dropped",
    "suffix_dropped",
    "client_redirects",
];

impl Paths {
    /// Adds what a member counted in the role it has now, and its elections.
    pub(super) fn add_member(&mut self, member: &Member) {
        if let Some(stats) = member.follower_stats() {
            self.gaps += stats.gaps;
            self.naks_sent += stats.naks_sent;
            self.duplicates += stats.duplicates;
            self.suffix_dropped += stats.suffix_dropped;
            self.acks_fenced += stats.acks_fenced;
            self.unproven += stats.unproven;
            self.own_leaders_shown += stats.own_leaders_shown;
            self.served += stats.events_served;
            self.from_members += stats.events_from_members;
            self.delivered += stats.delivered;
            self.lost += stats.lost;
        }
        if let Some(stats) = member.leader_stats() {
            self.retransmitted += stats.events_retransmitted;
            self.duplicates += stats.duplicates;
            self.busy += stats.busy_sent;
            self.busy_behind_hand_out += stats.behind_hand_out;
            self.unrecoverable += stats.unrecoverable_sent;
            self.in_doubt += stats.in_doubt;
            self.clients_evicted += stats.clients_evicted;
            self.history += stats.history_requests;
        }
        // Kept across its roles: a leader that stepped down counted them too.
        let (told_unknown, clients_ahead) = member.losses_shown();
        self.told_unknown += told_unknown;
        self.clients_ahead += clients_ahead;
        let elections = member.election_stats();
        self.elections_won += elections.won;
        self.elections_lost += elections.lost;
        self.elections_yielded += elections.yielded;
        self.elections_floored += elections.floored;
        self.stale_fenced += elections.stepped_down;
        self.granted_empty += elections.granted_empty;
        self.won_incomplete += elections.won_counting_incomplete;
        self.stale_frames += member.rejects().wrong_epoch;
    }
}
