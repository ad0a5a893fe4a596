//! The deterministic simulator: many seeds through loss, duplication,
//! reordering, crashes and partitions, each checked against DESIGN §3.

use std::net::SocketAddr;

use crate::core::{Append, Config, JournalClaim, Member, MemberEvent, Nanos, NodeId, Seq};
use crate::sim::{
    self, CROWD_PATH, DISK_FAIL_PATHS, FAILOVER_PATHS, JOURNAL_PATHS, LEADER_FAULT_PATHS, PORT_PATHS, Paths,
    REPLAY_PATHS, SLOW_APP_PATHS, SimConfig, SimNode, TAIL_PATHS,
};
use crate::wire;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `seeds` with `make`, fails on the first violation with the command
/// that replays it (`flag`: the profile's `seqcast sim` flag), and returns
/// the paths they ran, printed.
fn run_all(seeds: core::ops::Range<u64>, make: &(dyn Fn(u64) -> SimConfig + Sync), flag: &str) -> Paths {
    let mut paths = Paths::default();
    for outcome in sim::run_seeds(seeds, threads(), make) {
        if let Some(violation) = &outcome.violation {
            let seed = outcome.seed;
            panic!("seed {seed}: {violation}\nreplay: cargo run --release -- sim{flag} --seed {seed} --seeds 1");
        }
        paths.add(&outcome.paths);
    }
    for (name, count) in paths.rows() {
        println!("{name:>24} {count}");
    }
    paths
}

#[test]
fn a_thousand_mixed_seeds_hold_every_invariant_and_hit_every_path() {
    for (name, count) in run_all(0..1000, &SimConfig::mixed, "").rows() {
        let expected = !(FAILOVER_PATHS.contains(&name)
            || name == "requests_in_doubt"
            || name == "clients_told_unknown"
            || name == "client_epochs_lost"
            || JOURNAL_PATHS.contains(&name)
            || REPLAY_PATHS.contains(&name)
            || name == CROWD_PATH
            || SLOW_APP_PATHS.contains(&name)
            || DISK_FAIL_PATHS.contains(&name)
            || TAIL_PATHS.contains(&name)
            // Its faults hit followers only.
            || LEADER_FAULT_PATHS.contains(&name)
            // What went there were repairs drawn by the NAKs of a follower
            // restarted on another port, before its old address fell
            // silent; a NAK from elsewhere draws none now.
            || name == "datagrams_to_old_ports");
        assert!(count > 0 || !expected, "no seed exercised {name}");
    }
}

/// Journaled members (DESIGN §8): ACKs and the leader's own count wait for
/// the disk, and everything journaled is what was sequenced there; members
/// paused past the ring catch up from the leader's journal.
#[test]
fn journaled_seeds_hold_every_invariant_and_journal_what_was_sequenced() {
    let journaled = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        config.cluster_crashes = (seed % 3) as u32;
        config.pauses = (seed / 3 % 3) as u32;
        config.retain_events = 0;
        config
    };
    let paths = run_all(0..1000, &journaled, " --journal [--cluster-crashes, --pauses: 0 to 2 by seed; keeps all]");
    assert!(paths.journaled >= paths.delivered, "every member journals what it delivers");
    assert!(paths.history > 0 && paths.unrecoverable == 0, "what left the ring is served from the journal");
}

/// Retention (`--retain-events`): members keep their newest records, and
/// one behind (paused, crashed) is told UNRECOVERABLE for what no member
/// keeps. Every event a journaled member delivers is on its disk first,
/// also one it held inside a range it was told is gone (a soak found one
/// delivered and never journaled: with that bug 57 of these 1,000 seeds
/// fail), and retention never deletes a record its member had yet to hand
/// out. A member reports lost only what an UNRECOVERABLE it got named (a
/// follower that took everything it lacked below such a range for lost,
/// though repairs for it were still coming, fails 87 of them).
#[test]
fn journaled_seeds_with_retention_deliver_only_what_they_wrote() {
    let retained = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        (config.events, config.retain_events, config.pauses) = (2000, 300, 2);
        config
    };
    let paths = run_all(20_000..21_000, &retained, " --journal --retain-events 300 --events 2000 --pauses 2");
    assert!(paths.retained_away > 0 && paths.unrecoverable > 0 && paths.lost > 0, "{paths:?}");
}

/// Without failover a sequencer that crashes alone comes back from its
/// journal in a newer epoch while its followers carry on (DESIGN §8): its
/// journal holds every commit, followers drop what they held past theirs
/// and take its log. Not at `batch` with followers that deliver on receipt
/// (they refuse it: tests/epochs.rs), so those seeds run without it.
#[test]
fn a_sequencer_restarted_alone_from_its_journal_renumbers_nothing() {
    let restarts = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        config.core.journal_syncs = seed % 3 != 0;
        config.leader_crashes = 1 + (seed % 3) as u32;
        config.sync_jitter_ns = if seed % 2 == 0 { 1_000_000 } else { 0 };
        config
    };
    let paths = run_all(
        0..1000,
        &restarts,
        " --journal --leader-crashes N [--sync none: seeds divisible by 3; --sync-jitter-us 1000: even seeds]",
    );
    assert!(paths.leader_restarts > 1000 && paths.suffix_dropped > 0, "{paths:?}");
}

/// Without failover, a client whose sequencer restarted is replaced by one
/// of a fresh id that submits the rest of its events (the simulator's
/// clients once stopped for good, so nothing was sequenced after a
/// sequencer's restart): the restarted sequencer numbers new events after
/// its log, whole-cluster power losses and crashes among them, and every
/// invariant holds.
#[test]
fn clients_submit_again_to_a_restarted_sequencer() {
    let crashed = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        config.core.journal_syncs = seed % 2 == 0;
        config.core.deliver = crate::core::Deliver::OnCommit;
        (config.cluster_crashes, config.leader_crashes) = (1 + (seed % 2) as u32, (seed / 2 % 3) as u32);
        config
    };
    let flags = " --journal --deliver commit --cluster-crashes 1..=2 --leader-crashes 0..=2 [--sync none: odd seeds]";
    let paths = run_all(0..300, &crashed, flags);
    assert!(paths.clients_reconnected > 300 && paths.cluster_crashes > 0, "{paths:?}");
    // Helper 164: a lone client was never replaced (nothing else was due
    // to step the run), and its runs passed with the rest never submitted.
    let lone = |seed| SimConfig { clients: 1, ..crashed(seed) };
    let paths = run_all(0..100, &lone, &format!("{flags} --clients 1"));
    assert!(paths.clients_reconnected > 100, "{paths:?}");
}

/// Followers that deliver on receipt, through sequencer restarts (alone or
/// with everyone) whose power losses at `--sync batch` take events they
/// delivered: a follower once restarted with its sequencer took the new
/// log from its commit and handed its application other events at
/// sequences it had delivered, without a word (`seq 40 delivered as (1,
/// 17) and as (65538, 1)`, seed 502 of `--cluster-crashes 2`). Each now
/// refuses such a log, says what is in doubt, and follows once started
/// again (the simulator starts it); the checker holds every other delivery
/// on receipt to what committed there.
#[test]
fn followers_that_deliver_on_receipt_say_what_a_restarted_sequencer_lost() {
    let flags = " --journal --deliver receive --cluster-crashes 0..=2 --leader-crashes 1..=2 [--sync none: seeds \
                 divisible by 4; --followers-sync none: seeds 1 mod 4]";
    let paths = run_all(0..500, &receipt, flags);
    assert!(paths.withdrawn > 50 && paths.clients_reconnected > 500, "{paths:?}");
}

/// The same followers, each restart drawing whether it delivers on
/// receipt or on commit (an operator changing `--deliver`): one restarted
/// on commit once took a restarted sequencer's log from its commit, and
/// handed its application other events at sequences the life before had
/// handed it on receipt (with `handed_before_stop` switched off, 161 of
/// 2,000 seeds of `--journal --deliver receive --leader-crashes 2
/// --deliver-switch` fail: "member 3 delivered seq 116 as (2, 36), then as
/// (65537, 1) unsaid"). Its journal's `handed-out` file now keeps that
/// tail delivered. (Half the seeds start on commit: each member is held
/// to how it delivers in its own life.)
#[test]
fn followers_that_switch_to_delivering_on_commit_keep_what_they_handed_out_on_receipt() {
    let switching = |seed| {
        let mut config = receipt(seed);
        config.deliver_switch = true;
        if seed % 2 == 1 {
            config.core.deliver = crate::core::Deliver::OnCommit;
        }
        config
    };
    let flags = " --journal --deliver-switch --cluster-crashes 0..=2 --leader-crashes 1..=2 [--deliver receive: \
                 even seeds, commit: odd; --sync none: seeds divisible by 4; --followers-sync none: seeds 1 mod 4]";
    let paths = run_all(0..500, &switching, flags);
    assert!(paths.handed_on_commit > 50 && paths.withdrawn > 20, "{paths:?}");
}

/// Seed `seed` of the receipt profiles: journaled followers that deliver
/// on receipt, 0 to 2 whole-cluster crashes, 1 or 2 of the sequencer.
fn receipt(seed: u64) -> SimConfig {
    let mut config = SimConfig::mixed(seed);
    (config.core.journal, config.core.journal_syncs) = (true, !seed.is_multiple_of(4));
    config.core.deliver = crate::core::Deliver::OnReceive;
    (config.cluster_crashes, config.leader_crashes) = ((seed % 3) as u32, 1 + (seed / 3 % 2) as u32);
    // Followers that would infer commits by their own settings, of a
    // sequencer that syncs after it sends (the seed 38000003 of
    // `--followers-sync none`: a resumed tail taken for committed).
    config.followers_syncs = (seed % 4 == 1).then_some(false);
    config
}

/// A sequencer at `--sync batch` whose followers journal at `--sync none`
/// (only its disk syncs): it counts itself once its write is synced, after
/// its DATA went out, and its frames say so (`TOLD`), so its followers
/// deliver only what it says committed. Restarted alone from its journal,
/// sometimes short of what it sent (a loss of the power), it renumbers
/// nothing a follower delivered. Followers that infer commits by their own
/// settings deliver what its disk then lacks: the checker sees it.
#[test]
fn followers_at_sync_none_of_a_sequencer_at_batch_wait_for_its_commit() {
    let mixed = |seed| {
        let mut config = SimConfig::mixed(seed);
        (config.core.journal, config.core.journal_syncs, config.followers_syncs) = (true, true, Some(false));
        config.core.deliver = crate::core::Deliver::OnCommit;
        (config.leader_crashes, config.sync_jitter_ns) = (1 + (seed % 3) as u32, 1_000_000);
        config
    };
    let flags = " --journal --followers-sync none --deliver commit --leader-crashes N --sync-jitter-us 1000";
    let paths = run_all(0..300, &mixed, flags);
    assert!(paths.leader_restarts > 300, "{paths:?}");
    let caught = caught(Bug::IgnoresTold, 300, &mixed);
    let durability = caught.iter().filter(|v| matches!(v.invariant, 1 | 5)).count();
    println!("{} of 300 seeds caught, {durability} as lost or renumbered commits", caught.len());
    assert!(durability > 0, "{:?}", caught.iter().map(|v| v.invariant).collect::<Vec<_>>());
}

/// The reverse: a sequencer at `--sync none` (or with no journal) lets its
/// followers infer, and tells its clients of a commit with no HEARTBEAT
/// before. Followers at `--sync batch` infer too (its frames lack `TOLD`):
/// killed for good between two datagrams, it leaves no client told of an
/// event a follower holds and has not delivered. Followers that went by
/// their own settings (they waited to be told) leave such clients: the
/// checker sees it.
#[test]
fn followers_at_batch_of_a_sequencer_at_none_leave_no_client_ahead_when_it_dies() {
    let mixed = |seed| {
        let mut config = SimConfig { followers: 2, leader_killed: true, ..SimConfig::mixed(seed) };
        (config.core.journal, config.core.journal_syncs, config.followers_syncs) = (true, false, Some(true));
        config.core.deliver = crate::core::Deliver::OnCommit;
        config
    };
    let flags = " --kill-leader --followers 2 --journal --sync none --followers-sync batch --deliver commit";
    run_all(0..300, &mixed, flags);
    let caught = caught(Bug::AlwaysTold, 300, &mixed);
    let ahead = caught.iter().filter(|v| v.invariant == 5 && v.detail.contains("when the leader was killed")).count();
    println!("{} of 300 seeds caught, {ahead} as a client told of what a follower never delivered", caught.len());
    assert!(ahead > 0, "{:?}", caught.iter().map(|v| &v.detail).collect::<Vec<_>>());
}

/// A leader that counts itself for writes its disk has not synced lets a
/// commit pass what its journal holds: restarted alone, it numbers those
/// sequences again. The checker must see it.
#[test]
fn the_checker_catches_a_sequencer_restarted_without_what_it_committed() {
    let restarts = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        (config.leader_crashes, config.sync_jitter_ns) = (2, 1_000_000);
        config
    };
    let caught = caught_where_real_members_pass(Bug::CountBeforeDurable, 300, &restarts);
    let durability = caught.iter().filter(|v| matches!(v.invariant, 1 | 5)).count();
    println!("{} of 300 seeds caught, {durability} as lost or renumbered commits", caught.len());
    assert!(durability > 0, "{:?}", caught.iter().map(|v| v.invariant).collect::<Vec<_>>());
}

/// Journaled members at `--sync none` (a write is durable, and survives
/// the process): with quorum 2 and no failover followers infer commits
/// from what they hold, which holds only because each turn writes before
/// it sends; crashes, whole-cluster crashes and a leader killed for good.
#[test]
fn journaled_seeds_at_sync_none_hold_every_invariant() {
    let none = |seed| {
        let mut config = SimConfig::mixed(seed);
        (config.core.journal, config.core.journal_syncs) = (true, false);
        config.cluster_crashes = (seed % 3) as u32;
        config
    };
    let paths = run_all(0..1000, &none, " --journal --sync none");
    assert!(paths.journaled >= paths.delivered, "every member journals what it delivers");
    let killed = |seed| SimConfig { followers: 2, leader_killed: true, ..none(seed) };
    run_all(0..300, &killed, " --kill-leader --journal --sync none --followers 2");
}

/// Journaled members with failover: elections, crashes (a member resumes
/// its journal, and votes with it as far as its claim trusts it), whole
/// cluster crashes (every member comes back from its journal and they elect
/// the most complete one), partitions, pauses and promotions, with ACKs and
/// the leader's own count waiting for the disk, and truncations when
/// members follow a new leader. What a leader no longer has (retention)
/// is asked of the other members, and what they serve is checked to be
/// the committed event.
#[test]
fn journaled_failover_seeds_hold_every_invariant() {
    let journaled = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        config.cluster_crashes = (seed % 3) as u32;
        config
    };
    let paths = run_all(0..1000, &journaled, " --failover --journal");
    assert!(paths.journaled > 0 && paths.elections_won > 0);
    assert!(paths.cluster_crashes > 100 && paths.resumed_whole > 0, "{paths:?}");
    assert!(paths.served > 0 && paths.from_members > 0, "{paths:?}");
    assert!(paths.own_leaders_shown > 0, "{paths:?}");
}

/// Members killed and restarted without their claim file (one damaged and
/// moved aside, or a copy of another member's journal): each asks where
/// the others are fenced and votes once a leader gave it its log. One took
/// the leader of the epoch its records came in, whose log began before its
/// commit, for one elected short of it and stopped following (an operator
/// found it exit 3; here 598 of 2,000 seeds failed invariant 5).
#[test]
fn members_restarted_without_their_claim_hold_every_invariant() {
    let claimless = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        config.claim_losses = 2;
        config
    };
    let paths = run_all(0..1000, &claimless, " --failover --journal --claim-losses 2");
    assert!(paths.claims_lost > 500 && paths.resumed_unsure > 500, "{paths:?}");
}

/// Members back without their claim file whose retention deleted every
/// record up to past their commit, and damage every record past it: the
/// epoch of the first record past the commit names a log that holds it,
/// and that log's leader is asked for the record. Knowing no epoch, a
/// member refused the leader of its own (whose log, a cluster's first,
/// starts from nothing): seed 94005009 failed invariant 5. (Without
/// damage none is left: a truncation syncs the commit its records said.)
/// Such a resume is rare (about 1 of 5,000 seeds): the seeds run hold two.
#[test]
fn members_back_without_their_claim_past_a_trimmed_commit_follow_their_own_epochs_leader() {
    let trimmed = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        (config.claim_losses, config.damages, config.retain_events) = (3, 2, 3);
        config
    };
    let flags = " --failover --journal --claim-losses 3 --retain-events 3 --damages 2";
    run_all(94_005_009..94_005_010, &trimmed, flags);
    let damaged = run_all(94_041_500..94_042_000, &trimmed, flags);
    assert!(damaged.resumed_past_commit > 0, "{damaged:?}");
}

/// A member whose reach (how far its journal held before damage) outlived
/// the claim that released it, made whole in a newer epoch and written
/// first, came back taking the claim's epoch for the reach's log and
/// refused every candidate of that epoch short of the reach, its own log
/// among them: with the others back empty or unsure, no leader again
/// (seeds 99104912 and 94006342 failed liveness). The reach now goes
/// before such a claim is written whole.
#[test]
fn a_reach_outlived_by_a_newer_whole_claim_holds_back_no_candidate() {
    let profile = |(claim_losses, damages, retain_events, cluster_crashes)| {
        move |seed| {
            let mut config = SimConfig::failover(seed);
            config.core.journal = true;
            (config.claim_losses, config.damages) = (claim_losses, damages);
            (config.retain_events, config.cluster_crashes) = (retain_events, cluster_crashes);
            config
        }
    };
    let flags = " --failover --journal --cluster-crashes 2 --damages 2 --retain-events 4";
    run_all(99_104_900..99_105_000, &profile((0, 2, 4, 2)), flags);
    let flags = " --failover --journal --claim-losses 3 --retain-events 2 --damages 3 --cluster-crashes 1";
    run_all(94_006_300..94_006_400, &profile((3, 3, 2, 1)), flags);
}

/// Members killed and restarted with a record of their journal damaged,
/// and promotions that count the votes of members back without all of
/// their log (`seqcast promote --count-incomplete-votes`): a damaged
/// member grants no vote to a log shorter than its journal reached, so
/// nothing committed is lost. Not knowing how far it reached (its `reach`
/// file gone), it elects logs that lack what it had ACKed, and the checker
/// sees the loss.
#[test]
fn damaged_journals_lose_nothing_where_promotions_count_incomplete_votes() {
    let damaged = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        (config.damages, config.promotions, config.count_incomplete) = (2, 2, true);
        config
    };
    let flags = " --failover --journal --damages 2 --promotions 2 --count-incomplete";
    let paths = run_all(0..1000, &damaged, flags);
    assert!(paths.damaged > 1000 && paths.won_incomplete > 0, "{paths:?}");
    let forgetting = |seed| SimConfig { forgets_reach: true, ..damaged(seed) };
    let caught: Vec<_> =
        sim::run_seeds(0..1000, threads(), &forgetting).into_iter().filter_map(|o| o.violation).collect();
    println!("{} of 1000 seeds lost events without the reach: {caught:?}", caught.len());
    assert!(!caught.is_empty(), "the checker must see what forgetting the reach costs");
}

/// `seqcast sim --failover --journal --damages 2`, seed `seed`.
fn damaged(seed: u64) -> SimConfig {
    let mut config = SimConfig::failover(seed);
    config.core.journal = true;
    config.damages = 2;
    config
}

/// Seeds of damaged journals that once failed (`seqcast sim --failover
/// --journal --damages 2` and the flags below, `--seed N --seeds 1`): a
/// member back without a whole claim dropped records it had ACKed past its
/// commit, and voted for a log short of them (10018929); a member catching
/// up went on ACKing its leader after a vote an operator's candidate
/// counted (10001049, `--sync none`); and the simulator crashed a whole
/// cluster while a member down was to come back damaged, leaving two of
/// three back without all of their log (10000265, `--cluster-crashes 2`
/// without promotions: a liveness failure); a member whose damage left no
/// record (retention had taken those below) took itself for one holding
/// all it knew committed, and leading, told a client its commits were
/// lost (11005930, `--promotions 2 --retain-events 50`); damage at a
/// member's first record reached epoch 0, below every candidate's claim
/// (12003938, `--promotions 2 --count-incomplete`); and a member back
/// without a whole claim, just elected in epoch 3 from a log of epoch 1,
/// kept its reach in epoch 3 and refused every member holding that log
/// (13005839, with `--cluster-crashes 2`: a liveness failure).
#[test]
fn seeds_of_damaged_journals_that_once_failed_hold_every_invariant() {
    let counting = |seed| SimConfig { promotions: 2, count_incomplete: true, ..damaged(seed) };
    let none = SimConfig { core: Config { journal_syncs: false, ..counting(10_001_049).core }, ..counting(10_001_049) };
    let crashes = SimConfig { cluster_crashes: 2, ..damaged(10_000_265) };
    let retained = SimConfig { promotions: 2, retain_events: 50, ..damaged(11_005_930) };
    let crashed = SimConfig { cluster_crashes: 2, ..counting(13_005_839) };
    // Helper 157: a candidate whose log fell short of its own reach counted
    // itself a holder; and the fix's first form, which did not take a
    // newer leader's log for covering it, never converged on 10040770.
    let own_reach = SimConfig { cluster_crashes: 1, promotions: 2, ..damaged(13_019_018) };
    let first = [counting(10_018_929), none, crashes, retained, counting(12_003_938), crashed];
    for config in first.into_iter().chain([own_reach, counting(10_040_770)]) {
        assert_eq!(sim::run(&config).violation, None, "seed {}", config.seed);
    }
}

/// Two damaged members of three, the only holders of commits the third
/// lacked: the one that held them whole was damaged while the other's log
/// was still short of its reach (20895377, after the whole cluster's
/// crash, `--cluster-crashes 1`). Nobody is elected, as nobody should be,
/// and the run says why it ended without a leader.
#[test]
fn damaged_journals_that_held_the_only_whole_copies_elect_nobody() {
    let config = SimConfig { cluster_crashes: 1, ..damaged(20_895_377) };
    let report = sim::run(&config);
    assert_eq!(report.violation, None);
    assert_eq!((report.paths.no_whole_copy, report.paths.elections_won), (1, 0));
}

/// Applications slower than the events (`--slow-apps`): what a node
/// hands out waits for its application, which holds its node's thread
/// while it works; a leading member's clients are told BUSY while its
/// application is `in_flight_max` behind; a journal keeps what the
/// application has not taken. A leader that counts only
/// uncommitted events against `in_flight_max` lets its ring drop events
/// its application has not taken, which a member then reports lost: these
/// seeds catch it, where seeds whose applications keep up do not.
#[test]
fn seeds_of_slow_applications_hold_every_invariant() {
    for failover in [false, true] {
        let slow = |seed| {
            let mut config = if failover { SimConfig::failover(seed) } else { SimConfig::mixed(seed) };
            config.core.journal = seed % 2 == 0;
            config.slow_apps = 2;
            config
        };
        let flag = if failover {
            " --failover --slow-apps 2 [--journal: even seeds]"
        } else {
            " --slow-apps 2 [--journal: even seeds]"
        };
        let paths = run_all(0..1000, &slow, flag);
        // A sequencer (no failover) hands nothing to an application.
        assert!(paths.app_turns_behind > 0 && (paths.busy_behind_hand_out > 0) == failover, "{paths:?}");
        assert!(paths.app_turn_crashes > 0, "{paths:?}");
    }
    // Helper 184: a follower delivering on receipt dropped from its
    // journal (and from its handed-out file) what it had handed out past
    // its commit, in the turn it refused a sequencer restarted without it,
    // and was killed before that turn's hand-out told its application
    // those were in doubt: its restart handed another event there unsaid
    // (`--journal --deliver receive --deliver-switch --leader-crashes 2
    // --slow-apps 2`, as 7 of 10,000 seeds from 81,000,000 failed then).
    let receipt = |seed| {
        let mut config = SimConfig { leader_crashes: 2, slow_apps: 2, deliver_switch: true, ..SimConfig::mixed(seed) };
        (config.core.journal, config.core.deliver) = (true, crate::core::Deliver::OnReceive);
        config
    };
    let seed = 81_001_534;
    assert_eq!(sim::run(&receipt(seed)).violation, None, "seed {seed}");
}

/// Journals that fail (`--disk-fails`): a full disk stops a turn's
/// appends part of the way, or a sync fails (EIO), and the node
/// acknowledges nothing more (with failover a leader steps down; a
/// sequencer sends nothing its journal lacks) until its operator starts
/// it again. A driver that still reports durable what its failed journal
/// could not write lets a log begin short of a commit: 1,489 of 2,000
/// seeds of `--journal --disk-fails 2` caught it.
#[test]
fn seeds_of_failing_journals_hold_every_invariant() {
    for failover in [false, true] {
        let failing = |seed| {
            let mut config = if failover { SimConfig::failover(seed) } else { SimConfig::mixed(seed) };
            (config.core.journal, config.core.journal_syncs) = (true, seed % 2 == 0);
            config.disk_fails = 2;
            config
        };
        let flag = match failover {
            true => " --failover --journal --disk-fails 2 [--sync none: odd seeds]",
            false => " --journal --disk-fails 2 [--sync none: odd seeds]",
        };
        let paths = run_all(0..500, &failing, flag);
        assert!(paths.disks_full > 0 && paths.syncs_failed > 0 && paths.failed_restarted > 0, "{paths:?}");
        // Without failover the sequencer's own failures restart it in a
        // newer epoch; with it, a leader whose journal failed steps down.
        assert!(paths.leader_restarts > 0 || failover, "{paths:?}");
        assert!(paths.elections_won > 0 || !failover, "{paths:?}");
    }
}

#[test]
fn a_thousand_failover_seeds_hold_every_invariant_and_hit_every_failover_path() {
    for (name, count) in run_all(0..1000, &SimConfig::failover, " --failover").rows() {
        assert!(
            count > 0
                || (name == "requests_in_doubt"
                    || name == "clients_told_unknown"
                    || name == "client_epochs_lost"
                    || JOURNAL_PATHS.contains(&name)
                    || REPLAY_PATHS.contains(&name)
                    || name == CROWD_PATH
                    || SLOW_APP_PATHS.contains(&name)
                    || DISK_FAIL_PATHS.contains(&name)
                    || TAIL_PATHS.contains(&name)
                    || PORT_PATHS.contains(&name)),
            "no seed exercised {name}"
        );
    }
}

/// Issue 16: an attacker that records valid datagrams in flight and
/// replays them from its own address to random nodes and clients (all a
/// keyed cluster lets it do): every invariant holds, safety and liveness,
/// without and with failover, with and without a journal. The same with
/// failover where its replays come from their senders' addresses (a
/// forged source address, or a dead node's port bound again). And without
/// failover where it goes on replaying for good, after the faults heal:
/// no node is kept from catching up.
#[test]
fn replayed_valid_datagrams_break_no_invariant() {
    let replaying = |seed: u64, failover: bool| {
        let mut config = if failover { SimConfig::failover(seed) } else { SimConfig::mixed(seed) };
        config.replay = 0.05;
        config.core.journal = seed.is_multiple_of(2);
        config
    };
    let plain = run_all(0..1000, &|seed| replaying(seed, false), " --replay 0.05 [--journal: even seeds]");
    let failover = run_all(0..1000, &|seed| replaying(seed, true), " --failover --replay 0.05 [--journal: even seeds]");
    assert!(plain.replayed > 10_000 && failover.replayed > 10_000, "{} {}", plain.replayed, failover.replayed);
    let as_sender = |seed| SimConfig { replay_as_sender: true, ..replaying(seed, true) };
    let flags = " --failover --replay 0.05 --replay-as-sender [--journal: even seeds]";
    assert!(run_all(0..1000, &as_sender, flags).replayed > 10_000);
    let for_good = |seed| SimConfig { replay: 0.2, replay_after_faults: true, ..replaying(seed, false) };
    let flags = " --replay 0.2 --replay-after-faults [--journal: even seeds]";
    assert!(run_all(0..1000, &for_good, flags).replayed > 10_000);
}

/// Seeds of replayed valid datagrams that once failed. Without failover,
/// a follower took a restarted sequencer's HEARTBEAT replayed from the
/// attacker's address for that sequencer's, and asked the attacker for
/// its record for good: it never followed the new epoch (a liveness
/// failure; 42 of 4,000 seeds of `--replay 0.1 --journal --leader-crashes
/// 2` from 100,400,000, 100400026 the first). And an old epoch's HEARTBEAT
/// replayed while a follower compared a restarted sequencer's record took
/// the place of that sequencer's, whose log then read as starting at 0,
/// short of the commit (100403277, the same with `--replay-as-sender`).
/// And a tail asking a restarted sequencer for its record took that
/// sequencer's hello (its token) only from the address of the leader it
/// followed, which a replay had moved: its NAKs went unanswered for good
/// (964 of 3,000 seeds of `--replay 0.1 --tails 2 --journal
/// --leader-crashes 2` from 100,500,000, 100500002 the first). And a
/// follower that delivered on receipt past its commit, waiting for a
/// restarted sequencer's record at its commit, heard a replayed frame of
/// its old epoch show all it delivered committed, then refused that
/// sequencer for what it had delivered with nothing in doubt
/// (invariant 7: 100501011 of `--replay 0.2 --journal --leader-crashes 2
/// --deliver receive`, 1 of 3,000; 100501586 with `--replay 0.1
/// --deliver-switch`, 2 of 3,000). And a member back empty took what it
/// must hold before it votes from a HEARTBEAT replayed from its leader's
/// address, which said less than that leader had (100400311 of `--failover
/// --replay 0.3 --pauses 2 --promotions 2 --replay-as-sender`, 1 of 2,000).
/// And a restarted sequencer took a follower's ACK replayed from
/// elsewhere, its first, for where that follower was, which then asked it
/// for a record from its own address for good (100911943 of `--journal
/// --disk-fails 2 --leader-crashes 1 --replay 0.1`, 1 of 2,000). And a
/// follower crashed without a journal, whose ACKs replayed from elsewhere
/// while it was down moved its repairs' address there, came back asking
/// for a HEARTBEAT answering its nonce and was answered there, never
/// taking an epoch (101900057 and 101900592 of `--replay 0.2`, 2 of
/// 2,000, once followers without failover start in no epoch). And with
/// replays for good, a follower restarted on another port whose repairs
/// stayed at the replaying address once a copy of an ACK heard already
/// moved them there (102800022 of `--replay 0.2 --replay-after-faults`,
/// 3 of 300; 102800013 with `--replay 0.9`; 102800079 with `--replay 0.9
/// --crashes 3`); two partial fixes failed 102800029 (`--replay 0.9`: a
/// replayed ACK confirmed where a replayed NAK had moved them) and
/// 102800163 (`--crashes 3` too: copies of older ACKs kept them where a
/// copy of one never heard had moved them). And a follower restarted on
/// another port while a copy of an ACK of its, never heard, held its
/// repairs' address at the replayer drew its repairs there with its NAKs
/// until that address fell silent (invariant 9: 104000367 of `--replay
/// 0.2 --crashes 3`, 17 of 20,000). And a follower restarted with its
/// journal, whose restarted sequencer left its NAKs unanswered until its
/// old port's ACKs fell silent, followed a HEARTBEAT of its journal's
/// epoch replayed from the attacker's address, and ACKed what it held
/// past its commit there every millisecond, half a second (invariant 9:
/// 104906071 of `--journal --crashes 3 --leader-crashes 2 --replay 0.2`,
/// 104909943 of `--journal --disk-fails 2 --leader-crashes 1 --replay
/// 0.1`, 1 of 20,000 each).
#[test]
fn seeds_of_replays_that_once_failed_hold_every_invariant() {
    let replaying = |seed, as_sender| {
        let mut config =
            SimConfig { replay: 0.1, leader_crashes: 2, replay_as_sender: as_sender, ..SimConfig::mixed(seed) };
        config.core.journal = true;
        config
    };
    let tails = SimConfig { tails: 2, ..replaying(100_500_002, false) };
    let receipt = |seed, replay, deliver_switch| {
        let mut config = SimConfig { replay, deliver_switch, ..replaying(seed, false) };
        config.core.deliver = crate::core::Deliver::OnReceive;
        config
    };
    let (receipt, switched) = (receipt(100_501_011, 0.2, false), receipt(100_501_586, 0.1, true));
    let (replay, pauses, promotions, replay_as_sender) = (0.3, 2, 2, true);
    let back_empty = SimConfig { replay, pauses, promotions, replay_as_sender, ..SimConfig::failover(100_400_311) };
    let before = [replaying(100_400_026, false), replaying(100_403_277, true), tails, receipt, switched];
    let disk_fails = SimConfig { disk_fails: 2, leader_crashes: 1, ..replaying(100_911_943, false) };
    let answered_elsewhere = [101_900_057, 101_900_592].map(|seed| SimConfig { replay: 0.2, ..SimConfig::mixed(seed) });
    let for_good = |seed, replay| SimConfig { replay, replay_after_faults: true, ..SimConfig::mixed(seed) };
    let crashes_3 = |seed| SimConfig { crashes: 3, ..for_good(seed, 0.9) };
    let held_elsewhere = [
        for_good(102_800_022, 0.2),
        for_good(102_800_013, 0.9),
        crashes_3(102_800_079),
        for_good(102_800_029, 0.9),
        crashes_3(102_800_163),
    ];
    let fed_the_replayer = SimConfig { crashes: 3, replay: 0.2, ..SimConfig::mixed(104_000_367) };
    let after_faults = answered_elsewhere.into_iter().chain(held_elsewhere).chain([fed_the_replayer]);
    let acked_there = [
        SimConfig { crashes: 3, replay: 0.2, ..replaying(104_906_071, false) },
        SimConfig { disk_fails: 2, leader_crashes: 1, ..replaying(104_909_943, false) },
    ];
    let faults = [back_empty, disk_fails].into_iter().chain(after_faults).chain(acked_there);
    for config in before.into_iter().chain(faults) {
        assert_eq!(sim::run(&config).violation, None, "seed {}", config.seed);
    }
}

/// Followers without failover restart on another port every other time
/// (as `seqcast follower` without `--listen` does). A journaled one
/// resumed on a log of an older epoch than its restarted sequencer's asks
/// for that sequencer's record before it ACKs; the answer went where its
/// ACKs had come from, its old port, for good (invariant 8, liveness:
/// 102400007 of `--journal --disk-fails 2 --leader-crashes 1`, 102400136
/// of `--journal --sync none --cluster-crashes 2`; 21 to 188 of 2,000 in
/// each of 5 journaled families). Its NAK now moves its repairs once its
/// ACKs fell silent.
#[test]
fn seeds_of_followers_restarted_on_another_port_hold_every_invariant() {
    let journaled = |seed, syncs| {
        let mut config = SimConfig::mixed(seed);
        (config.core.journal, config.core.journal_syncs) = (true, syncs);
        config
    };
    let disk_fails = SimConfig { disk_fails: 2, leader_crashes: 1, ..journaled(102_400_007, true) };
    let cluster_crashes = SimConfig { cluster_crashes: 2, ..journaled(102_400_136, false) };
    for config in [disk_fails, cluster_crashes] {
        let outcome = sim::run(&config);
        assert_eq!(outcome.violation, None, "seed {}", config.seed);
        assert!(outcome.paths.port_moves > 0, "seed {}: no follower moved port", config.seed);
    }
}

/// With failover, followers that took what they held as committed once
/// their own ACK made a quorum (safe only without failover) broke agreement
/// on these seeds: a follower delivered an event whose ACK never reached the
/// leader, then it and the leader restarted empty, and the next leader gave
/// the sequence to another event.
#[test]
fn seeds_that_caught_commits_inferred_with_failover_hold() {
    for seed in [11_001_869, 11_007_338] {
        let outcome = sim::run(&SimConfig { followers: 2, ..SimConfig::failover(seed) });
        assert_eq!(outcome.violation, None, "seed {seed}");
    }
}

/// Without failover, a leader killed for good — before any datagram of a
/// turn or between two — leaves no client ahead of a follower: each live
/// follower delivered every sequence it holds that a client was told is
/// committed. With quorum 2 the followers infer the commit, through loss
/// and partitions too; with a larger quorum the leader's commit HEARTBEAT
/// goes before the COMMIT, which a lost HEARTBEAT defeats (the gap the
/// docs/TESTING.md names), so those runs have no loss and no partitions.
#[test]
fn a_leader_killed_for_good_leaves_no_client_ahead_of_a_follower() {
    let quorum_2 = |seed| SimConfig { followers: 2, leader_killed: true, ..SimConfig::mixed(seed) };
    let larger = |seed: u64| SimConfig {
        followers: 3 + (seed % 2) as u16,
        loss: 0.0,
        partitions: 0,
        leader_killed: true,
        ..SimConfig::mixed(seed)
    };
    let profiles: [(&str, &(dyn Fn(u64) -> SimConfig + Sync)); 2] =
        [("", &quorum_2), (" --loss 0 --partitions 0", &larger)];
    for (flags, make) in profiles {
        for outcome in sim::run_seeds(0..500, threads(), make) {
            if let Some(violation) = outcome.violation {
                let (seed, followers) = (outcome.seed, make(outcome.seed).followers);
                panic!(
                    "seed {seed}: {violation}\nreplay: cargo run --release -- sim --kill-leader --followers {followers}{flags} --seed {seed} --seeds 1"
                );
            }
        }
    }
}

#[test]
fn a_clean_network_needs_no_repair() {
    let outcome = sim::run(&SimConfig::new(3));
    assert_eq!(outcome.violation, None);
    let paths = outcome.paths;
    assert_eq!((paths.naks_sent, paths.retransmitted, paths.unrecoverable, paths.lost), (0, 0, 0, 0));
    assert_eq!(paths.committed, 300);
    assert_eq!(paths.delivered, 600, "both followers deliver every event");

    let outcome = sim::run(&SimConfig {
        core: Config { failover: crate::core::Failover::Auto, ..SimConfig::new(3).core },
        ..SimConfig::new(3)
    });
    assert_eq!(outcome.violation, None);
    let paths = outcome.paths;
    assert_eq!(
        (paths.elections_won, paths.naks_sent, paths.client_redirects),
        (0, 0, 0),
        "a healthy leader keeps its place"
    );
}

#[test]
fn a_seed_replays_exactly() {
    let config = SimConfig { loss: 0.1, dup: 0.05, reorder: 0.2, crashes: 2, partitions: 2, ..SimConfig::new(99) };
    let (a, b) = (sim::run(&config), sim::run(&config));
    assert_eq!((a.paths, a.end_ns), (b.paths, b.end_ns));
    assert_ne!(sim::run(&SimConfig { seed: 100, ..config }).paths, a.paths);
}

#[test]
fn twenty_percent_loss_with_crashes_and_partitions_converges() {
    let make =
        |seed| SimConfig { loss: 0.2, dup: 0.05, reorder: 0.2, crashes: 2, partitions: 2, ..SimConfig::mixed(seed) };
    for outcome in sim::run_seeds(5000..5100, threads(), &make) {
        assert_eq!(outcome.violation, None, "seed {}", outcome.seed);
    }
}

/// A member with a bug the checker must see.
struct Broken {
    inner: Member,
    bug: Bug,
    /// The last sequence handed to the disk.
    appended: Seq,
}

#[derive(Clone, Copy)]
enum Bug {
    /// Skips the delivery of one sequence, as a follower that jumped a gap would.
    SkipSeq(u64),
    /// Flips a payload byte of every DATA it receives (CRC recomputed).
    CorruptPayload,
    /// Grants its vote to any candidate, however incomplete its log (it
    /// reads every vote request as claiming the longest log there is).
    GrantToAnyLog,
    /// Takes what it handed its journal as durable before the disk synced
    /// it: ACKs it, and a leader counts itself for it.
    AckBeforeDurable,
    /// The same, only while it leads: a sequencer that counts itself for
    /// its writes before its disk synced them.
    CountBeforeDurable,
    /// Claims beside its journal the epoch it is in as a whole log, always:
    /// also while it takes a new leader's log (its journal cut back to the
    /// commit), and before what it holds is durable.
    ClaimAlwaysWhole,
    /// Keeps in its commit file everything it appended as committed, each
    /// turn and at a clean stop, as a driver that wrote its last record's
    /// sequence there would.
    KeepsHeldAsCommitted,
    /// Reads every UNRECOVERABLE as starting at sequence 1: takes all it
    /// lacks below the range's end for lost, also what is still coming.
    LostBelowUnrecoverable,
    /// Labels the first event of each RETRANSMIT it serves while it
    /// follows with the next sequence, as a member reading its journal one
    /// record off would.
    ServesNextSeq,
    /// Sends no ACK: nothing it holds counts toward a commit.
    SendsNoAck,
    /// Reads no `TOLD` in its leader's frames: infers commits by its own
    /// settings, as every follower did before leaders said so.
    IgnoresTold,
    /// Reads `TOLD` in every frame of its leader: infers no commit, as a
    /// follower at `--sync batch` did by its own settings.
    AlwaysTold,
    /// Leading, answers a NAK of committed events it could repair from its
    /// ring with an UNRECOVERABLE of the events it would have resent.
    DeclaresHeldLost,
}

impl SimNode for Broken {
    fn member(&self) -> &Member {
        &self.inner
    }
    fn member_mut(&mut self) -> &mut Member {
        &mut self.inner
    }
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let mut bytes = bytes.to_vec();
        let kind = wire::parse(&bytes).map(|d| d.header.kind());
        // The first payload byte of the first record: header, batch head, event header.
        let payload_at = 32 + 24 + 32;
        match self.bug {
            Bug::CorruptPayload
                if kind == Ok(wire::Kind::Data) && bytes.len() > payload_at && bytes[payload_at - 4] != 0 =>
            {
                bytes[payload_at] ^= 0xff;
                wire::seal(&mut bytes);
            }
            Bug::IgnoresTold
                if matches!(
                    kind,
                    Ok(wire::Kind::Data | wire::Kind::Heartbeat | wire::Kind::Retransmit | wire::Kind::Unrecoverable)
                ) && bytes[4] & wire::FLAG_TOLD as u8 != 0 =>
            {
                bytes[4] &= !(wire::FLAG_TOLD as u8);
                wire::seal(&mut bytes);
            }
            Bug::AlwaysTold
                if matches!(
                    kind,
                    Ok(wire::Kind::Data | wire::Kind::Heartbeat | wire::Kind::Retransmit | wire::Kind::Unrecoverable)
                ) =>
            {
                bytes[4] |= wire::FLAG_TOLD as u8;
                wire::seal(&mut bytes);
            }
            Bug::LostBelowUnrecoverable if kind == Ok(wire::Kind::Unrecoverable) => {
                // The range's first sequence follows the 32-byte header.
                bytes[32..40].copy_from_slice(&1u64.to_le_bytes());
                wire::seal(&mut bytes);
            }
            Bug::GrantToAnyLog if kind == Ok(wire::Kind::VoteRequest) => {
                // The claim (epoch, last sequence) follows the 32-byte header:
                // the newest epoch the wire takes, the longest log.
                bytes[32..40].copy_from_slice(&crate::types::Epoch::MAX.get().to_le_bytes());
                bytes[40..48].fill(0xff);
                wire::seal(&mut bytes);
            }
            _ => {}
        }
        self.inner.handle_datagram(now, from, &bytes)
    }
    fn poll_append(&mut self) -> Option<Append<'_>> {
        let append = self.inner.poll_append();
        if let Some(a) = &append {
            self.appended = a.event.header.seq();
        }
        append
    }
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<crate::core::Transmit> {
        let leads = self.inner.is_leader();
        if (matches!(self.bug, Bug::AckBeforeDurable) || matches!(self.bug, Bug::CountBeforeDurable) && leads)
            && self.appended > Seq::ZERO
        {
            self.inner.handle_durable(self.appended);
        }
        loop {
            let transmit = self.inner.poll_transmit(now, buf)?;
            let ack = wire::parse(&buf[..transmit.len]).is_ok_and(|d| d.header.kind() == wire::Kind::Ack);
            if matches!(self.bug, Bug::DeclaresHeldLost) && leads {
                let commit = self.inner.leader().map_or(Seq::ZERO, |l| l.commit());
                let resent = wire::parse(&buf[..transmit.len]).ok().and_then(|d| match d.frame {
                    wire::Frame::Retransmit(batch) if d.header.flags.get() & wire::FLAG_SERVED == 0 => {
                        let end = batch.events.clone().last().map(|e| e.header.seq().next())?;
                        (end.prev() <= commit).then(|| (*d.header, wire::SeqRange::new(batch.first_seq(), end)))
                    }
                    _ => None,
                });
                if let Some((header, range)) = resent {
                    let body = wire::Unrecoverable { range };
                    let len = wire::emit(buf, &header, wire::Kind::Unrecoverable, &body).expect("fits");
                    return Some(crate::core::Transmit { dest: transmit.dest, len });
                }
            }
            if !(ack && matches!(self.bug, Bug::SendsNoAck)) {
                return Some(transmit);
            }
        }
    }
    fn journal_claim(&self) -> Option<JournalClaim> {
        let claim = self.inner.journal_claim();
        match self.bug {
            Bug::ClaimAlwaysWhole => claim.map(|c| JournalClaim { epoch: self.inner.epoch(), whole: true, ..c }),
            _ => claim,
        }
    }
    fn turn_commit(&self) -> Seq {
        match self.bug {
            Bug::KeepsHeldAsCommitted => self.inner.turn_commit().max(self.appended),
            _ => self.inner.turn_commit(),
        }
    }
    fn stop_commit(&self) -> Seq {
        match self.bug {
            Bug::KeepsHeldAsCommitted => self.inner.journal_commit().max(self.appended),
            _ => self.inner.journal_commit(),
        }
    }
    fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        let (len, taken) = self.inner.history_frame(now, buf, records);
        let served = wire::parse(&buf[..len]).is_ok_and(|d| d.header.flags.get() & wire::FLAG_SERVED != 0);
        if matches!(self.bug, Bug::ServesNextSeq) && len > 0 && served {
            // The first event's sequence follows the header and the batch head.
            let seq = u64::from_le_bytes(buf[56..64].try_into().unwrap());
            buf[56..64].copy_from_slice(&(seq + 1).to_le_bytes());
            wire::seal(&mut buf[..len]);
        }
        (len, taken)
    }
    fn poll_event(&mut self) -> Option<MemberEvent<'_>> {
        if let Bug::SkipSeq(seq) = self.bug
            && self.inner.follower().is_some_and(|f| f.seq_next_delivery() == Seq(seq))
        {
            let _ = self.inner.poll_event();
        }
        self.inner.poll_event()
    }
}

fn broken(bug: Bug) -> impl Fn(Config, NodeId, Nanos) -> Box<dyn SimNode> {
    move |config: Config, id: NodeId, now: Nanos| -> Box<dyn SimNode> {
        Box::new(Broken { inner: Member::new(config, id, now).unwrap(), bug, appended: Seq::ZERO })
    }
}

/// The violations members with `bug` make in `seeds` runs of `make`.
fn caught(bug: Bug, seeds: u64, make: &(dyn Fn(u64) -> SimConfig + Sync)) -> Vec<sim::Violation> {
    let factory = broken(bug);
    (0..seeds).filter_map(|seed| sim::run_with(&make(seed), &factory).violation).collect()
}

/// The violations members with `bug` make in `seeds` runs of `make`; the
/// first 300 of the same runs with the real members hold every invariant.
fn caught_where_real_members_pass(
    bug: Bug,
    seeds: u64,
    make: &(dyn Fn(u64) -> SimConfig + Sync),
) -> Vec<sim::Violation> {
    let caught = caught(bug, seeds, make);
    for seed in 0..300 {
        assert_eq!(sim::run(&make(seed)).violation, None, "seed {seed} with the real members");
    }
    caught
}

fn run_broken(bug: Bug) -> Option<sim::Violation> {
    let config = SimConfig { loss: 0.05, reorder: 0.1, ..SimConfig::new(7) };
    sim::run_with(&config, &broken(bug)).violation
}

#[test]
fn the_checker_catches_a_follower_that_skips_an_event() {
    let violation = run_broken(Bug::SkipSeq(10)).expect("a skipped event must be caught");
    assert_eq!(violation.invariant, 2, "{violation}");
    assert!(violation.detail.contains("seq 11 when 10 was next"), "{violation}");
}

#[test]
fn the_checker_catches_a_follower_that_corrupts_payloads() {
    let violation = run_broken(Bug::CorruptPayload).expect("corruption must be caught");
    assert_eq!(violation.invariant, 4, "{violation}");
}

/// Seeds the simulator once failed, rerun as they were found (`seqcast sim
/// --seed N --seeds 1` with the flags below): a whole cluster killed a
/// microsecond after an election, when promises lived only in memory (two
/// leaders of one epoch); and a follower whose NAK scan stopped at a gap
/// refilled below what it had asked a dead leader for (it never caught up).
#[test]
fn seeds_that_once_failed_hold_every_invariant() {
    // --failover --journal --cluster-crashes 1
    let mut promised = SimConfig::failover(920_922);
    (promised.core.journal, promised.core.journal_syncs, promised.cluster_crashes) = (true, true, 1);
    // --failover --loss 0.1 --followers 4 --partitions 2 --leader-crashes 1 --journal
    let mut starved = SimConfig::failover(1_502_092);
    (starved.loss, starved.followers, starved.partitions, starved.leader_crashes) = (0.1, 4, 2, 1);
    (starved.core.journal, starved.core.journal_syncs) = (true, true);
    // --failover --leader-crashes 3 --promotions 2 --journal: a member that
    // stood with its old log kept the dead leader's commit over it, and its
    // ACK timer came due again at once, forever.
    let mut spinning = SimConfig::failover(7_801_963);
    (spinning.leader_crashes, spinning.promotions) = (3, 2);
    (spinning.core.journal, spinning.core.journal_syncs) = (true, true);
    // --failover --leader-crashes 3 --promotions 2: member 2 ACKed 1..=2,
    // crashed, rejoined empty and, its first HEARTBEAT saying commit 0,
    // voted; the leader, paused meanwhile, read that ACK and committed them;
    // member 2 then elected a member lacking them.
    let mut late_ack = SimConfig::failover(8_000_831);
    (late_ack.leader_crashes, late_ack.promotions) = (3, 2);
    // --failover --followers 4 --leader-crashes 2 --promotions 2 --journal
    // --sync none: member 3 resumed a journal of epoch 3's log (commit 38)
    // and took epoch 3's leader, which began at 0, for a short one.
    let mut same_epoch = SimConfig::failover(8_204_851);
    (same_epoch.followers, same_epoch.leader_crashes, same_epoch.promotions) = (4, 2, 2);
    (same_epoch.core.journal, same_epoch.core.journal_syncs) = (true, false);
    // --failover --crashes 2 --leader-crashes 2 --pauses 2 --journal: member
    // 0, killed twice (its unsynced writes read back), wrote its claim of
    // epoch 2 that was not whole as of epoch 0, and resumed on it took
    // epoch 2's leader for one elected short of the commit it had from it.
    let mut twice = SimConfig::failover(17_000_024);
    (twice.crashes, twice.leader_crashes, twice.pauses) = (2, 2, 2);
    (twice.core.journal, twice.core.journal_syncs) = (true, true);
    // --failover --promotions 3: the leader killed before its first
    // HEARTBEAT, member 1 cut off meanwhile (empty, it never heard a leader,
    // so it vouches for no log of a newer epoch), then members 0 and 2 lost
    // their memory: the simulator counted member 1 as able to vote and took
    // a third member, and no candidate could ever be elected.
    let mut unvouched = SimConfig::failover(63_207);
    unvouched.promotions = 3;
    // --failover --replay 0.05 --partitions 2 --leader-crashes 1
    // --promotions 2: member 0 led epoch 1 stamping nothing and heard no
    // leader, and was cut off; the simulator counted it as able to vote
    // and took epoch 2's leader, which rejoined empty. Deposed, member 0
    // vouched for no log of epoch 2, and no candidate was elected again.
    let mut led_empty = SimConfig::failover(3_401_369);
    (led_empty.replay, led_empty.partitions, led_empty.leader_crashes, led_empty.promotions) = (0.05, 2, 1, 2);
    // --failover --reorder 0.3 --replay 0.1 --followers 2 --crashes 5: a
    // member back empty whose first HEARTBEAT was an attacker's replay of
    // an old one took that HEARTBEAT's low sequence for what it had to
    // hold before it voted, and elected a log short of a commit its own
    // ACKs had made (2 seeds of 40,000).
    let replayed_heartbeat = |seed| {
        let mut config = SimConfig::failover(seed);
        (config.reorder, config.replay, config.followers, config.crashes) = (0.3, 0.1, 2, 5);
        config
    };
    // --failover: member 0, behind a gap at 7 in epoch 2 (it had stamped
    // 7 itself as epoch 1's leader), voted in epoch 3 for member 1, claim
    // (2, 42), holding 8..=46 past the gap. A member serving history then
    // told it 7 was gone; its held jumped to 46 and it ACKed epoch 2's
    // leader, fenced off as it was: seq 43 committed in epoch 2 and again,
    // another event, in epoch 3 (1 seed of 100,000).
    let fenced_ack = SimConfig::failover(100_060_103);
    // --failover --partitions 2 --pauses 2 --promotions 2 --late-members 1:
    // member 0, told 18..38 lost by epoch 2's leader (no member had them),
    // took its old log back (to 16) to stand, then followed epoch 6's
    // leader and reported 17..38 lost, which that leader never said.
    let mut lost_mark = SimConfig::failover(113_008_743);
    (lost_mark.partitions, lost_mark.pauses, lost_mark.promotions, lost_mark.late_members) = (2, 2, 2, 1);
    // --failover --followers 3 --partitions 2 --leader-crashes 2
    // --promotions 2 --late-members 2: members 1 and 2, late, joined epoch
    // 4's leader empty, whose HEARTBEAT never reached them before it was
    // deposed; they refused every candidate, and members 0 and 3, holding
    // the log, could not make three votes of four.
    let mut unheard = SimConfig::failover(113_005_033);
    (unheard.followers, unheard.partitions, unheard.leader_crashes) = (3, 2, 2);
    (unheard.promotions, unheard.late_members) = (2, 2);
    // --failover --journal --followers 3 --late-members 2 --cluster-stops 2
    // (and --cluster-crashes 2): the whole cluster restarted, two members
    // of four resumed claims that were not whole (they were catching up)
    // and refused every candidate; the two holding the log made two votes
    // of three, for good (helper 119; the simulator skipped such restarts).
    let unsure = |seed, stops, crashes| {
        let mut config = SimConfig::failover(seed);
        (config.followers, config.late_members, config.cluster_stops, config.cluster_crashes) = (3, 2, stops, crashes);
        (config.core.journal, config.core.journal_syncs) = (true, true);
        config
    };
    // --failover --crashes 3 --partitions 2 --pauses 2 --replay 0.3
    // --replay-as-sender: epoch 1 committed nothing, and members 0, 2, 3
    // and 4, new, joined epoch 2's leader empty. Once that leader was
    // deposed, only it (holding the whole log) and member 4 had caught up;
    // the other three, short of what their leader had said it sequenced
    // (or never told), gave votes that count only beside three holders',
    // and nobody was elected again.
    let mut catching_up = SimConfig::failover(105_516_509);
    (catching_up.crashes, catching_up.partitions, catching_up.pauses) = (3, 2, 2);
    (catching_up.replay, catching_up.replay_as_sender) = (0.3, true);
    // --failover --crashes 3 --promotions 2 --pauses 2 --replay 0.3
    // --replay-as-sender: nothing committed; epoch 2's leader, deposed
    // before its HEARTBEAT answered anyone, stood with its log of epoch 2
    // and had one vote besides its own of the three it needed: the two
    // members that joined it empty and heard no bound gave votes that
    // count only beside holders'.
    let mut unbound = SimConfig::failover(105_917_448);
    (unbound.crashes, unbound.promotions, unbound.pauses) = (3, 2, 2);
    (unbound.replay, unbound.replay_as_sender) = (0.3, true);
    let seeds = [
        ("105917448", unbound),
        ("105516509", catching_up),
        ("122000013", unsure(122_000_013, 2, 0)),
        ("122000054", unsure(122_000_054, 0, 2)),
        ("113005033", unheard),
        ("113008743", lost_mark),
        ("100060103", fenced_ack),
        ("50029037", replayed_heartbeat(50_029_037)),
        ("50031760", replayed_heartbeat(50_031_760)),
        ("920922", promised),
        ("1502092", starved),
        ("7801963", spinning),
        ("8000831", late_ack),
        ("8204851", same_epoch),
        ("17000024", twice),
        ("63207", unvouched),
        ("3401369", led_empty),
    ];
    for (name, config) in seeds {
        assert_eq!(sim::run(&config).violation, None, "seed {name}");
    }
}

/// Followers that never ACK commit nothing: the clients wait for good,
/// and the run ends unconverged (the same seeds pass with the real members).
#[test]
fn the_checker_catches_a_cluster_that_commits_nothing() {
    let factory = broken(Bug::SendsNoAck);
    for seed in 0..20 {
        assert_eq!(sim::run(&SimConfig::mixed(seed)).violation, None, "seed {seed} with the real members");
        let violation = sim::run_with(&SimConfig::mixed(seed), &factory).violation;
        assert_eq!(violation.as_ref().map(|v| v.invariant), Some(8), "seed {seed}: {violation:?}");
    }
}

/// Careless voters elect leaders that lack commits: some seeds then lose
/// a commit or deliver conflicting events. Seeds run until the first such
/// one (at most 2,000); most others are caught too, as a cluster that
/// never converges.
#[test]
fn the_checker_catches_votes_granted_to_a_less_complete_log() {
    let factory = broken(Bug::GrantToAnyLog);
    let mut caught = Vec::new();
    let safety = (0..2000).find_map(|seed| {
        let violation = sim::run_with(&SimConfig::failover(seed), &factory).violation?;
        let costly = matches!(violation.invariant, 1 | 3 | 5);
        caught.push(violation.invariant);
        costly.then_some((seed, violation))
    });
    let (seed, violation) =
        safety.unwrap_or_else(|| panic!("no careless vote cost a commit in 2,000 seeds: {caught:?}"));
    println!("seed {seed}, after {} caught: {violation}", caught.len());
}

/// A journal that acknowledges writes before its disk made them durable
/// loses committed events when the whole cluster crashes: the checker
/// must see it (the same seeds pass with the real members above).
#[test]
fn the_checker_catches_a_journal_that_acks_before_its_write_is_durable() {
    let crashing = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        config.cluster_crashes = 2;
        config
    };
    let caught = caught_where_real_members_pass(Bug::AckBeforeDurable, 300, &crashing);
    assert!(!caught.is_empty(), "300 seeds acknowledging unsynced writes, whole-cluster crashes, nothing caught");
    let durability = caught.iter().filter(|v| matches!(v.invariant, 1 | 5)).count();
    println!("{} of 300 seeds caught, {durability} as lost or renumbered commits; first: {}", caught.len(), caught[0]);
    assert!(durability > 0, "{:?}", caught.iter().map(|v| v.invariant).collect::<Vec<_>>());
}

/// A follower missing two ranges that is told the higher one is gone
/// while repairs for the lower one are still coming must not report the
/// lower one lost: the checker compares every loss a member reports with
/// the ranges the UNRECOVERABLEs it got named (the same seeds pass with
/// the real members).
#[test]
fn the_checker_catches_a_follower_that_reports_lost_what_it_was_not_told() {
    let retained = |seed| {
        let mut config = SimConfig::mixed(seed);
        config.core.journal = true;
        (config.events, config.retain_events, config.pauses, config.loss) = (1000, 30, 2, 0.05);
        config
    };
    let caught = caught_where_real_members_pass(Bug::LostBelowUnrecoverable, 300, &retained);
    assert!(!caught.is_empty(), "300 seeds of followers taking too much for lost, nothing caught");
    let untold = caught.iter().filter(|v| v.invariant == 5 && v.detail.contains("no UNRECOVERABLE it got named"));
    assert!(untold.count() > 0, "{:?}", caught.iter().map(|v| &v.detail).collect::<Vec<_>>());
}

/// A helper's review of the checker: a leader that declared lost events
/// its ring still held (a repair range cut one past the ring's oldest)
/// passed every seed; losses are routine under loss, and a reported loss
/// counts as progress. What a leader declares lost is checked against
/// its ring.
#[test]
fn the_checker_catches_a_leader_declaring_lost_what_its_ring_holds() {
    let lossy = |seed| SimConfig { loss: 0.05, reorder: 0.1, ..SimConfig::new(seed) };
    let caught = caught_where_real_members_pass(Bug::DeclaresHeldLost, 50, &lossy);
    let held = caught.iter().filter(|v| v.invariant == 5 && v.detail.contains("its ring holding"));
    assert!(held.count() > 0, "{:?}", caught.iter().map(|v| &v.detail).collect::<Vec<_>>());
}

/// A member that serves what its leader no longer has from its journal
/// one record off: the checker compares each event a member serves with
/// the event stamped and delivered at that sequence (the same seeds pass
/// with the real members).
#[test]
fn the_checker_catches_a_member_that_serves_another_event_than_the_one_asked() {
    let archived = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        (config.retain_events, config.archive) = (30, Some(1));
        config
    };
    let caught = caught_where_real_members_pass(Bug::ServesNextSeq, 300, &archived);
    let served = caught.iter().filter(|v| v.invariant == 1 && v.detail.contains("served seq"));
    assert!(served.count() > 0, "{:?}", caught.iter().map(|v| &v.detail).collect::<Vec<_>>());
}

/// A member whose journal claims more than it holds (the epoch it is in,
/// even while it takes that leader's log and its journal holds only the
/// commit) is trusted with that claim when it comes back, and a whole
/// cluster restarted can elect it without events the others committed
/// (seed 373 of 3 members: member 0, holding 1..=38 and claiming epoch 3,
/// is elected over one holding 1..=72 of epoch 2 while 33..=52 were
/// committed). The members that hold more then ACK beyond its log and it
/// starts over, so most such runs end well; the checker must still see the
/// ones that do not (with 5 members: clients left waiting for good). The
/// same seeds pass with the real members.
#[test]
fn the_checker_catches_a_member_journal_that_claims_more_than_it_holds() {
    let crashing = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        config.cluster_crashes = 3;
        config.followers = 4;
        config
    };
    let caught = caught_where_real_members_pass(Bug::ClaimAlwaysWhole, 2000, &crashing);
    assert!(!caught.is_empty(), "2000 seeds claiming whole logs they lack, whole-cluster crashes, nothing caught");
    println!("{} of 2000 seeds caught; first: {}", caught.len(), caught[0]);
}

/// Members stopped cleanly, alone or all at once (a deploy), keep what
/// they know committed in their commit file and come back from their
/// journals knowing it, without failover and with it, at both levels.
#[test]
fn journaled_seeds_stopped_cleanly_hold_every_invariant() {
    let stopping = |seed: u64| {
        let mut config = if seed.is_multiple_of(2) { SimConfig::failover(seed) } else { SimConfig::mixed(seed) };
        config.core.journal = true;
        config.core.journal_syncs = seed % 4 < 2;
        (config.stops, config.cluster_stops) = (2, 1);
        config
    };
    let paths = run_all(
        0..1000,
        &stopping,
        " [--failover: even seeds] --journal [--sync none: seeds 2, 3 mod 4] --stops 2 --cluster-stops 1",
    );
    assert!(paths.stops > 1000 && paths.commit_file > 1000 && paths.handed_over > 100, "{paths:?}");
}

/// A commit file that says more than was committed (a driver that kept its
/// last record's sequence there) makes a member stopped cleanly deliver,
/// at its restart, events the cluster never committed: the checker must
/// see it (the same seeds pass with the real members above).
#[test]
fn the_checker_catches_a_commit_file_that_says_more_than_was_committed() {
    let stopping = |seed| {
        let mut config = SimConfig::failover(seed);
        config.core.journal = true;
        (config.stops, config.cluster_stops) = (2, 1);
        config
    };
    let caught = caught_where_real_members_pass(Bug::KeepsHeldAsCommitted, 1000, &stopping);
    assert!(!caught.is_empty(), "1000 seeds keeping held events as committed, clean stops, nothing caught");
    let safety = caught.iter().filter(|v| matches!(v.invariant, 1 | 3 | 5)).count();
    println!("{} of 1000 seeds caught, {safety} as lost or conflicting commits; first: {}", caught.len(), caught[0]);
    assert!(safety > 0, "{:?}", caught.iter().map(|v| v.invariant).collect::<Vec<_>>());
}

/// The machines' invariant checks (window bounds, commit within a quorum,
/// fencing monotone, claims that only grow) are the simulator's second
/// checker: they must be compiled into these runs, `--release` or not.
#[test]
fn the_invariant_checks_are_on_in_the_simulator() {
    let two = std::hint::black_box(2);
    let caught = std::panic::catch_unwind(|| invariant!(two == 3, "checked"));
    assert!(caught.is_err(), "invariant! is compiled out: the machines' invariants go unchecked");
}

/// More clients than the leader has places for, each idle a moment between
/// its events: a full table moves idle clients out for new ones (each
/// keeps a record of where it stopped, and takes its place back from it),
/// without failover and with it, with journals and without. With 1 to 3
/// clients for 8 places no other seed ever filled the table.
#[test]
fn more_clients_than_places_take_turns_and_hold_every_invariant() {
    let crowded = |seed, failover| {
        let mut config = if failover { SimConfig::failover(seed) } else { SimConfig::mixed(seed) };
        (config.clients, config.core.clients_max, config.core.client_idle_ns) = (6, 2, 500_000);
        config.core.journal = seed.is_multiple_of(2);
        config
    };
    let plain = run_all(
        0..300,
        &|seed| crowded(seed, false),
        " --clients 6 --client-places 2 --client-idle-us 500 [--journal: even seeds]",
    );
    let failover = run_all(
        0..300,
        &|seed| crowded(seed, true),
        " --failover --clients 6 --client-places 2 --client-idle-us 500 [--journal: even seeds]",
    );
    assert!(plain.clients_evicted > 1000 && failover.clients_evicted > 1000, "{plain:?}\n{failover:?}");
}

/// Read-only subscribers (`seqcast tail`), started late from sequence 1 or
/// further on, half of them stopped for a while: each delivers in order
/// from its start what was committed, reports lost only what it was told,
/// and reaches the leader's end, through every fault of each profile.
#[test]
fn tails_started_late_hold_every_invariant() {
    let mixed = run_all(0..1000, &|seed| SimConfig { tails: 2, ..SimConfig::mixed(seed) }, " --tails 2");
    assert!(mixed.tail_delivered > 0 && mixed.tail_naks > 0, "tails replayed what they missed");
    assert!(mixed.tail_lost > 0, "a tail behind a small ring, without a journal, was told of losses");
    let failover =
        run_all(0..1000, &|seed| SimConfig { tails: 2, ..SimConfig::failover(seed) }, " --failover --tails 2");
    assert!(failover.tail_epochs_followed > 0, "tails followed the newest leader");
    assert!(failover.tail_suffix_dropped > 0, "tails dropped what a deposed leader sent past the commit");
    let archived = |seed| {
        let mut config = SimConfig { tails: 2, ..SimConfig::failover(seed) };
        config.core.journal = true;
        (config.retain_events, config.archive) = (30, Some(seed as usize % 3));
        config
    };
    let archived = run_all(0..500, &archived, " --failover --journal --retain-events 30 --archive N --tails 2");
    assert!(archived.tail_from_members > 0, "what the leader no longer kept, an archive member served a tail");
    let restarts = |seed| {
        let mut config = SimConfig { tails: 2, cluster_crashes: 1, leader_crashes: 1, ..SimConfig::mixed(seed) };
        config.core.journal = true;
        config
    };
    let restarts = run_all(0..500, &restarts, " --journal --cluster-crashes 1 --leader-crashes 1 --tails 2");
    assert!(restarts.tail_epochs_followed > 0, "tails went on with a sequencer restarted from its journal");
}

/// A tail with a bug the checker must see.
struct BrokenTail {
    inner: crate::core::Follower,
    bug: TailBug,
}

#[derive(Clone, Copy)]
enum TailBug {
    /// Skips the delivery of the second sequence it would deliver.
    SkipsOne,
    /// Reports an event it holds as lost, as one that gave up waiting would.
    ReportsHeldLost,
    /// Delivers what it receives, committed or not.
    DeliversOnReceive,
    /// Takes no more datagrams once it delivered 50 events, as one whose
    /// socket broke would.
    GoesDeaf,
    /// Delivers past the last sequence it was given (`seqcast tail --to`).
    IgnoresTo,
}

impl sim::SimTail for BrokenTail {
    fn follower(&self) -> &crate::core::Follower {
        &self.inner
    }
    fn follower_mut(&mut self) -> &mut crate::core::Follower {
        &mut self.inner
    }
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        if !matches!(self.bug, TailBug::GoesDeaf) || self.inner.stats().delivered < 50 {
            self.inner.handle_datagram(now, from, bytes);
        }
    }
    fn deliver_until(&mut self, last: Seq) {
        if !matches!(self.bug, TailBug::IgnoresTo) {
            self.inner.deliver_until(last);
        }
    }
    fn poll_event(&mut self) -> Option<crate::core::Event<'_>> {
        let second = self.inner.stats().delivered == 1;
        match self.bug {
            TailBug::SkipsOne if second => {
                let _ = self.inner.poll_event();
                self.inner.poll_event()
            }
            TailBug::ReportsHeldLost if second => match self.inner.poll_event()? {
                crate::core::Event::Deliver(e) => {
                    let seq = e.header.seq.get();
                    Some(crate::core::Event::Lost { first: Seq(seq), end: Seq(seq + 1) })
                }
                other => Some(other),
            },
            _ => self.inner.poll_event(),
        }
    }
}

/// The violations tails with `bug` make in 100 runs of the default
/// profile with one tail, and (but for one delivering on receipt, which
/// failover refuses) in 100 of the failover profile with two (the same
/// runs pass with real tails).
fn caught_tail(bug: TailBug) -> Vec<sim::Violation> {
    let mut caught =
        caught_tail_in(bug, &|seed| SimConfig { tails: 1, loss: 0.05, reorder: 0.1, ..SimConfig::new(seed) });
    if !matches!(bug, TailBug::DeliversOnReceive) {
        let failover = caught_tail_in(bug, &|seed| SimConfig { tails: 2, ..SimConfig::failover(seed) });
        assert!(!failover.is_empty(), "100 failover seeds of a broken tail, nothing caught");
        caught.extend(failover);
    }
    caught
}

fn caught_tail_in(bug: TailBug, make: &dyn Fn(u64) -> SimConfig) -> Vec<sim::Violation> {
    let factory = move |config: Config, now: Nanos, from: Seq| -> Box<dyn sim::SimTail> {
        let config = match bug {
            TailBug::DeliversOnReceive => Config { deliver: crate::core::Deliver::OnReceive, ..config },
            _ => config,
        };
        Box::new(BrokenTail { inner: crate::core::Follower::observe(config, now, from).unwrap(), bug })
    };
    let mut caught = Vec::new();
    for seed in 0..100 {
        assert_eq!(sim::run(&make(seed)).violation, None, "seed {seed} with a real tail");
        caught.extend(sim::run_with_tails(&make(seed), &sim::node::real_member, &factory).violation);
    }
    caught
}

#[test]
fn the_checker_catches_a_tail_that_skips_an_event() {
    let caught = caught_tail(TailBug::SkipsOne);
    assert!(!caught.is_empty() && caught.iter().all(|v| v.invariant == 2), "{caught:?}");
    assert!(caught[0].detail.starts_with("tail "), "{}", caught[0]);
}

#[test]
fn the_checker_catches_a_tail_that_reports_lost_what_it_was_not_told() {
    let caught = caught_tail(TailBug::ReportsHeldLost);
    assert!(!caught.is_empty(), "100 seeds of a tail reporting held events lost, nothing caught");
    assert!(caught.iter().all(|v| v.detail.contains("no UNRECOVERABLE it got named")), "{caught:?}");
}

#[test]
fn the_checker_catches_a_tail_that_delivers_what_is_not_committed() {
    let caught = caught_tail(TailBug::DeliversOnReceive);
    assert!(!caught.is_empty(), "100 seeds of a tail delivering on receipt, nothing caught");
    assert!(caught.iter().all(|v| v.detail.contains("no leader having said more than")), "{caught:?}");
}

#[test]
fn the_checker_catches_a_tail_that_delivers_past_its_last() {
    let caught = caught_tail(TailBug::IgnoresTo);
    assert!(!caught.is_empty() && caught.iter().all(|v| v.invariant == 2), "{caught:?}");
    assert!(caught.iter().all(|v| v.detail.contains("past its last")), "{caught:?}");
}

#[test]
fn the_checker_catches_a_tail_that_stops_taking_datagrams() {
    let caught = caught_tail(TailBug::GoesDeaf);
    assert!(!caught.is_empty() && caught.iter().all(|v| v.invariant == 8), "{caught:?}");
    assert!(caught.iter().any(|v| v.detail.contains("tail 0 delivered up to")), "{caught:?}");
}
