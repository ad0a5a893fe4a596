//! `seqcast member` (a member of a cluster with failover: it leads or
//! follows as elections decide) and `seqcast promote` (ask one to stand).

use std::net::{SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::args::{ClusterArgs, JournalArgs, OutputArgs, TuningArgs};
use super::fail;
use super::nodes::{LostSpan, rejects_text, write_histogram};
use seqcast::core::{Epoch, Event, Failover, MemberEvent, NodeId, NodeSet, Seq, StepDown};
use seqcast::journal::JournalOptions;
use seqcast::net::report;
use seqcast::net::{self, Clock, MemberNode};
use seqcast::wire::{Header, Kind, Promote, SENDER_CLIENT, emit};

/// `--failover`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailoverArg {
    /// A member that hears no leader for --election-timeout-ms (plus a
    /// random delay up to as much again) stands for election.
    Auto,
    /// Only `seqcast promote` starts an election.
    Manual,
}

/// `seqcast member`.
#[derive(Clone, Debug, Args)]
pub struct MemberArgs {
    /// This member's node id (0 .. nodes-1).
    #[arg(long)]
    id: u16,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Address clients, members and `seqcast promote` send to [default: this
    /// node's address in the cluster file, which clients need to find it].
    #[arg(long, value_name = "HOST:PORT", value_parser = super::args::host_port)]
    listen: Option<SocketAddrV4>,
    /// How a new leader is chosen when the leader fails.
    #[arg(long, value_enum, default_value_t = FailoverArg::Auto)]
    failover: FailoverArg,
    /// Silence from the leader, in milliseconds, before a member stands
    /// (plus a random jitter of up to one more, so that members rarely
    /// stand at once); a candidate waits as long for votes. The leader
    /// heartbeats every millisecond when idle. Clients with failover turn
    /// from a silent member after as long: give it to them all as
    /// `election_timeout_ms` in the cluster file [default: the cluster
    /// file's, else 20].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=net::cluster::ELECTION_TIMEOUT_MS_MAX))]
    election_timeout_ms: Option<u64>,
    /// This member joins a running cluster: it asks the others which epoch
    /// they are in, follows the leader, and votes once it holds what that
    /// leader had sequenced when it came. Give it to a member that lost its
    /// state and to a member new to a running cluster (one added as the
    /// cluster grew): without it a member starts a new cluster with the
    /// others, and empty members that are a quorum could elect an empty
    /// leader among themselves. (One started without it that holds nothing
    /// and first hears a leader of an epoch past --epoch votes, as with
    /// --rejoin, only once it holds what that leader had sequenced.) A member
    /// whose --journal holds anything needs neither: it resumes it, rejoins,
    /// and votes with what its journal holds.
    #[arg(long)]
    rejoin: bool,
    /// The cluster's node count or quorum changed, every member stopped
    /// first: take this member's journal, kept in a cluster of the old
    /// shape, and keep the new one from now on. Without it a member whose
    /// journal was kept in a cluster of another shape than its cluster
    /// file's refuses to start (a stale file on one host would let two
    /// groups of different shapes each commit). Needs a journal.
    #[arg(long)]
    reshape: bool,
    /// The epoch a new cluster starts in (the first leader is --leader-id,
    /// leading it without an election; at most 2^48, the largest a frame
    /// carries); a member stands for election only in epochs above the
    /// milliseconds of its start.
    #[arg(long, default_value_t = 1, conflicts_with = "rejoin", value_parser = clap::value_parser!(u64).range(1..=1 << 48))]
    epoch: u64,
    /// Events a leader keeps for repair; at least --window-events, and
    /// more than --in-flight-max [default: 65536]. A member elected from
    /// following starts with what its window held (--window-events at
    /// most, and its journal behind that); its ring fills from there.
    /// Without a journal, a member further behind than that is told the
    /// rest is gone.
    #[arg(long, value_name = "N")]
    ring_events: Option<usize>,
    /// Uncommitted events a leader accepts before clients are told to back
    /// off [default: 16384].
    #[arg(long, value_name = "N")]
    in_flight_max: Option<usize>,
    /// Events buffered ahead of delivery [default: 32768].
    #[arg(long, value_name = "N")]
    window_events: Option<usize>,
    /// A client silent this long with nothing uncommitted may give its
    /// place in the full client table (256 clients) to a new one; it
    /// resumes where it stopped when it comes back, unless 1,024 others
    /// gave theirs up meanwhile (docs/PROTOCOL.md) [default: 10000].
    #[arg(long, value_name = "MS")]
    client_idle_ms: Option<u64>,
    #[command(flatten)]
    journal: JournalArgs,
    #[command(flatten)]
    tuning: TuningArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// `seqcast promote`.
#[derive(Clone, Debug, Args)]
// Cluster settings a PROMOTE does not use are hidden from its --help
// (still accepted, so one command line serves every subcommand).
#[command(
    mut_arg("quorum", |a| a.hide(true)),
    mut_arg("leader_id", |a| a.hide(true)),
    mut_arg("ttl", |a| a.hide(true)),
    mut_arg("mtu", |a| a.hide(true)),
    mut_arg("payload_max", |a| a.hide(true))
)]
pub struct PromoteArgs {
    /// The member that should stand for election.
    #[arg(long)]
    node: u16,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// That member's address [default: its address in the cluster file].
    #[arg(long, value_name = "HOST:PORT", value_parser = super::args::host_port)]
    to: Option<SocketAddrV4>,
    /// How long to wait to hear it lead (its HEARTBEAT or DATA on the
    /// group) before exiting 1.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    wait_ms: u64,
    /// Also count the votes of members that came back without all of their
    /// log (a damaged or lost journal), which otherwise count only beside
    /// enough votes of members holding theirs: for a cluster that lost more
    /// journals than it can tell apart from lost commits (two damaged of
    /// three), where the member that holds its whole log is told that
    /// fewer such members granted it. Promote the member whose log goes
    /// furthest (`seqcast journal verify` on each member's journal, and
    /// the damaged members' `resumed:` lines): any commit its log lacks is
    /// lost.
    #[arg(long)]
    count_incomplete_votes: bool,
}

/// Now, for people and for scripts: `21:00:22.975Z = 1796071222975123456 ns`
/// (the wall clock in ns since the epoch ends the line, to diff across hosts).
fn when() -> String {
    format!("{} = {} ns", super::args::clock_time(), Clock::Realtime.now())
}

/// How long `--reshape` listens on the group for members still running, at
/// least.
const RESHAPE_LISTEN: Duration = Duration::from_millis(300);

/// Why `--reshape` must not go on: a member heard on the group, leading,
/// standing or rejoining, whose file gives another shape than `config`'s
/// (an operator's trial started two members with --reshape on a stale file
/// while the cluster ran, and split it). A member of the new shape is one
/// restarted before this member. Members with `--failover manual` and no
/// leader send nothing to hear.
fn running_in_another_shape(
    config: &seqcast::core::Config,
    multicast: &net::Multicast,
    keys: Option<&seqcast::auth::Keys>,
) -> Option<String> {
    let shape = config.shape();
    // Members without a leader stand after ten election timeouts of silence.
    let listen = RESHAPE_LISTEN.max(Duration::from_nanos(config.election_timeout_ns.saturating_mul(11)));
    let Some((heard, unopened)) = net::members_heard(config, multicast, keys, listen) else {
        return Some(format!(
            "--reshape: cannot join the group {} to check that no member of another shape still runs",
            multicast.group
        ));
    };
    if unopened > 0 {
        // Forged, or a member run with other keys (rotated with the
        // reshape?), whose shape this check cannot read.
        eprintln!(
            "warning: --reshape: {unopened} datagram(s) of cluster {} on the group did not open with this key file: \
             a member run with other keys may still lead there, and this check cannot see its shape",
            config.cluster_id
        );
    }
    // Token 0: an older build, which every member restarted here is not.
    let seen = heard.into_iter().find(|seen| seen.shape != shape)?;
    let theirs = match seen.shape {
        0 => "an unknown shape (an older build)".to_string(),
        theirs => seqcast::core::shape_text(theirs),
    };
    let (node, epoch) = (seen.node, seen.epoch);
    let runs = match seen.leads {
        true => format!("node {node} leads epoch {epoch}"),
        false if epoch == Epoch::ZERO => format!("node {node} runs, rejoining"),
        false => format!("node {node} runs without a leader (it stands in epoch {epoch})"),
    };
    Some(format!(
        "--reshape: {runs} on this cluster's group in a cluster of {theirs}, and this \
         member's file gives {}: every member of the old shape must be stopped first. If this host's file is the \
         stale one, give it the cluster's and start the member again (it asks for --reshape only if its journal \
         still keeps the old shape)",
        seqcast::core::shape_text(shape)
    ))
}

/// Runs `seqcast member`.
pub fn member(args: &MemberArgs) -> ExitCode {
    let id = NodeId(args.id);
    let mut resolved = match args.cluster.resolve(Some(id)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    // Failover, the other members' addresses, and with --rejoin epoch 0.
    resolved.config = resolved.member_config(args.rejoin);
    let config = &mut resolved.config;
    config.failover = match args.failover {
        FailoverArg::Auto => Failover::Auto,
        FailoverArg::Manual => Failover::Manual,
    };
    if let Some(ms) = args.election_timeout_ms {
        // Helper 140: a member given another than the file's passed
        // silently; clients with failover read the file's.
        let file_ms = config.election_timeout_ns / 1_000_000;
        let file = args.cluster.cluster.as_ref().and_then(|path| net::cluster::ClusterFile::read(path).ok());
        if let Some(file) = file.filter(|_| ms != file_ms) {
            let theirs = match file.settings.election_timeout_ms {
                Some(_) => format!("the cluster file's {file_ms} ms"),
                None => format!("the default {file_ms} ms (the cluster file sets none)"),
            };
            eprintln!(
                "note: --election-timeout-ms {ms} overrides {theirs} for this member only: give every member the \
                 same, as election_timeout_ms in the cluster file, which clients with failover read too"
            );
        }
        config.election_timeout_ns = ms * 1_000_000;
    }
    if !args.rejoin {
        config.epoch = Epoch(args.epoch);
    }
    config.ring_events = args.ring_events.unwrap_or(config.ring_events);
    config.in_flight_max = args.in_flight_max.unwrap_or(config.in_flight_max);
    config.window_events = args.window_events.unwrap_or(config.window_events);
    config.client_idle_ns = args.client_idle_ms.map_or(config.client_idle_ns, |ms| ms.saturating_mul(1_000_000));
    if let Err(e) = config.validate() {
        return fail(super::args::config_error(&e));
    }
    if id.0 >= config.nodes {
        return fail(format!(
            "member id {id} is not in a {}-node cluster (ids 0 to {})",
            config.nodes,
            config.nodes - 1
        ));
    }
    let Some(listen) = args.listen.or(resolved.node(id)) else {
        return fail("a member needs an address others know: give --listen, or a cluster file with node.N = IP:PORT");
    };
    if let Some(known) = resolved.node(id).filter(|&known| known != listen) {
        return fail(format!(
            "--listen {listen} is not node.{id} = {known} of the cluster file: the others send there (votes, repairs)"
        ));
    }
    let tuning = match super::nodes::start_node(
        &args.tuning,
        &args.cluster,
        &resolved,
        Some(*listen.ip()),
        Some(&args.output),
    ) {
        Ok(tuning) => tuning,
        Err(e) => return fail(e),
    };
    let journal = match args.journal.options(&resolved, id) {
        Ok(Some(journal)) => Some(JournalOptions { reshape: args.reshape, ..journal }),
        Ok(None) if args.reshape => {
            return fail(
                "--reshape takes a journal kept in a cluster of another shape, but there is no journal: give \
                 --journal DIR (or `journal = DIR` in the cluster file)",
            );
        }
        Ok(None) => None,
        Err(e) => return fail(e),
    };
    if args.reshape
        && let Some(why) = running_in_another_shape(&resolved.config, &resolved.multicast, tuning.keys.as_ref())
    {
        return fail(why);
    }
    let metrics = match super::metrics::serve_node(args.output.metrics) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let made = super::nodes::journal_made(journal.as_ref());
    let mut node =
        match MemberNode::bind(resolved.config.clone(), id, listen, &resolved.multicast, &tuning, journal.as_ref()) {
            Ok(node) => node,
            // It refused the cluster's log when it last ran: the same exit.
            Err(e @ net::NetError::Journal(seqcast::journal::JournalError::Refused(..))) => {
                fail(e);
                return ExitCode::from(3);
            }
            Err(e) => return fail(e),
        };
    let (config, m) = (&resolved.config, &resolved.multicast);
    // It starts a new cluster's log: empty, not rejoining.
    // A journal with a claim file and no records (a member that voted and
    // never held an event), or a damaged one, is resumed too.
    let resumed = node.recovery().is_some_and(|r| r.range.is_some() || r.claim.is_some() || r.damaged());
    let new_cluster = !args.rejoin && !resumed;
    let start_epoch = config.epoch;
    println!(
        "seqcast member: node {id} of {} in cluster {}, {}, listening on {}, group {} via {} ttl {}, quorum {}, failover {} after {} ms",
        config.nodes,
        config.cluster_id,
        if resumed {
            "resuming its journal".to_string()
        } else if args.rejoin {
            "rejoining".to_string()
        } else if journal.is_some() {
            // A wiped journal looks the same: say what the other case needs.
            format!(
                "new cluster in epoch {} (its journal is empty: a member that ran before and lost it, or one new \
                 to a running cluster, is started with --rejoin)",
                config.epoch
            )
        } else {
            format!("new cluster in epoch {}", config.epoch)
        },
        node.local_addr().map_or_else(|_| listen.to_string(), |a| a.to_string()),
        m.group,
        m.interface,
        m.ttl,
        config.quorum(),
        super::args::spelt(&args.failover),
        config.election_timeout_ns / 1_000_000
    );
    println!("{}", super::nodes::journal_text(journal.as_ref()));
    let (auth, warn) = super::nodes::auth_text(&resolved, tuning.keys.is_some(), *listen.ip());
    println!("{auth}");
    let then = match node.recovery().and_then(|r| r.member_claim()) {
        Some((epoch, true, _)) => format!("replayed to the application; it votes with its log (epoch {epoch})"),
        Some(_) => {
            "replayed to the application; it votes once it holds what a leader says it has sequenced".to_string()
        }
        None => "replayed to the application; its journal has no claim file (one removed, or a journal a member \
                 never ran on), so it asks the others which epoch they are fenced at and votes once it holds what a \
                 leader says it has sequenced"
            .to_string(),
    };
    if let Some(text) = super::nodes::recovery_text(node.recovery(), &then, super::nodes::Resumer::Member) {
        println!("{text}");
    }
    if args.rejoin
        && let Some(dir) = journal.as_ref().filter(|_| resumed)
    {
        // An operator's trial: the journal of a group split off by a stale
        // file, put back and started with --rejoin, was resumed silently.
        eprintln!(
            "{} warning: --rejoin changes nothing for a member whose journal holds events or a claim: it resumes \
             its journal and votes with what it holds. To rejoin empty instead (a journal you no longer trust, as one \
             of a group split off by a stale cluster file), stop it, move {} aside and start it again with --rejoin",
            super::args::clock_time(),
            dir.dir.display()
        );
    }
    if let Some(kept) = node.recovery().and_then(|r| r.reshaped) {
        let kept = match kept {
            0 => "an unknown shape (written by an older build)".to_string(),
            kept => seqcast::core::shape_text(kept),
        };
        println!(
            "reshaped: its journal's claim was kept in a cluster of {kept}; it keeps {} from now on (--reshape)",
            seqcast::core::shape_text(config.shape())
        );
    }
    if let Some(text) = super::nodes::empty_journal_text(journal.as_ref(), node.recovery(), made, false) {
        println!("{text}");
    }
    let quiet = args.output.quiet;
    super::metrics::note_node(&metrics, (config.cluster_id, m.group), id, seqcast::net::metrics::NodeKind::Member);
    let mut reject_watch = super::nodes::RejectWatch::new(config.shape());
    let mut unanswered = super::nodes::Unanswered::default();
    let mut ack_watch = super::nodes::AckWatch::default();
    // The first commit of an epoch this member won, to print when it comes.
    let mut first_commit_after: Option<(Epoch, Seq)> = None;
    // When it was last elected, and in which epoch.
    let mut elected_at: Option<(Epoch, std::time::Instant)> = None;
    // Promotions refused so far (each said, once a turn).
    let (mut promote_refused, mut promote_stale) = (0, 0);
    let (mut own_probe_seen, mut own_probe_said) = (None, false);
    // A candidacy since it last led or followed was said.
    let mut standing_said = false;
    // It stepped down (for a promoted member: true) and neither leads nor follows since.
    let mut stepped_down: Option<bool> = None;
    let election_timeout_ms = resolved.config.election_timeout_ns / 1_000_000;
    // Sequences a leader reported lost (not gaps its journal replays), and
    // how many the last warning covered.
    let lost = std::cell::Cell::new(LostSpan::default());
    let mut lost_warned = 0;
    let manual = resolved.config.failover == Failover::Manual;
    let mut leaderless = Leaderless::new(&resolved.config, manual);
    // Events handed to the application in this run, whatever the role (a
    // role's own counters start again at each change) and the journal's
    // replay included: what the digest covers, less what was lost.
    let delivered = std::cell::Cell::new(0u64);
    // Of those, replayed from its journal at start (handed out at time 0).
    let replayed = std::cell::Cell::new(0u64);
    // A leader elected on a log short of a commit this member knew: it stops.
    let refused = std::cell::Cell::new(false);
    let too_long = std::cell::Cell::new(None);
    // Each node and address another member's frames came from wrongly, said once.
    let mut elsewhere_warned = std::collections::HashSet::new();
    let stop = || net::stop_requested() || refused.get() || too_long.get().is_some();
    let mut on_event = |event: &MemberEvent<'_>, now: seqcast::core::Nanos| match *event {
        MemberEvent::Elected { epoch, commit, log_end, counted_incomplete } => {
            println!("elected: leading epoch {epoch} with log up to {log_end}, commit {commit}, at {}", when());
            if counted_incomplete {
                eprintln!(
                    "{} warning: member {id} was elected counting votes of members that came back without all \
                     of their log, as `seqcast promote --count-incomplete-votes` asked: any commit its log \
                     lacks is lost",
                    super::args::clock_time()
                );
            }
            first_commit_after = Some((epoch, commit));
            elected_at = Some((epoch, std::time::Instant::now()));
            (standing_said, stepped_down) = (false, None);
        }
        MemberEvent::Following { epoch, leader } => {
            println!("following: node {leader} leads epoch {epoch}, at {}", when());
            // What it delivers now, another leader committed.
            first_commit_after = None;
            (standing_said, stepped_down) = (false, None);
        }
        // The first candidacy since it last led or followed: the ones
        // after, lost, the "no leader" warning counts.
        MemberEvent::Standing { epoch, forced, silent_ns, handed_over_by }
            if !std::mem::replace(&mut standing_said, true) =>
        {
            let why = match (forced, silent_ns) {
                _ if let Some(by) = handed_over_by => {
                    format!("node {by} handed it the lead (stopping, or its journal failed)")
                }
                (true, _) if stepped_down == Some(true) => {
                    "nobody elected the promoted member it stepped down for".to_string()
                }
                (true, _) => "promoted (`seqcast promote`)".to_string(),
                (false, Some(ns)) => format!(
                    "its leader silent for {:.1} ms (election timeout {election_timeout_ms} ms)",
                    ns as f64 / 1e6
                ),
                (false, None) if stepped_down.is_some() => "no leader heard since it stepped down".to_string(),
                (false, None) => "no leader heard since it started".to_string(),
            };
            println!("standing: for epoch {epoch}, {why}, at {}", when());
        }
        MemberEvent::SteppedDown { epoch, by, newer, cause } => {
            stepped_down = Some(cause == StepDown::Promoted);
            let why = match cause {
                StepDown::Promoted => format!("node {by} stands in epoch {newer}, promoted (`seqcast promote`)"),
                StepDown::Fenced => format!(
                    "node {by} refused a vote in epoch {newer}: it is fenced from this leader, whose commits \
                     cannot count it, so an election brings every member into one epoch"
                ),
                StepDown::Superseded if new_cluster && epoch == start_epoch && delivered.get() == 0 => format!(
                    "node {by} leads epoch {newer}: the cluster ran without this member, which started \
                     empty as a new cluster's leader; it takes that leader's log (a member that ran \
                     before is started on its own journal, one new to a running cluster with --rejoin)"
                ),
                // Helper 162: elected within a timeout of another
                // member's own candidacy, this one blamed a pause. A
                // leader the others elected past is one they did not
                // hear for a timeout, or more, since it was elected
                // (helper 164: two were too many, a pause passed).
                StepDown::Superseded
                    if elected_at.is_some_and(|(led, at)| {
                        led == epoch && at.elapsed() < Duration::from_millis(election_timeout_ms)
                    }) =>
                {
                    format!(
                        "node {by} leads epoch {newer}, elected as this member was in epoch {epoch} (two \
                         members stood at once; nothing is lost)"
                    )
                }
                StepDown::Superseded => format!(
                    "node {by} leads epoch {newer}, elected while this leader was not heard (the process \
                     paused, or cut off from the others)"
                ),
            };
            println!("stepped down: led epoch {epoch}; {why}, at {}", when());
        }
        MemberEvent::JoinedEmpty { epoch } => {
            println!(
                "joined empty: this member holds nothing and follows a leader of epoch {epoch}, newer than the \
                 one it started in: it cannot tell that from having lost its state (restarted without its \
                 journal, when it would hold less than it acknowledged), so, as with --rejoin, it votes once it \
                 holds what that leader had sequenced, at {}",
                when()
            );
        }
        MemberEvent::Log(Event::Deliver(e)) => {
            delivered.set(delivered.get() + 1);
            replayed.set(replayed.get() + u64::from(now == 0));
            if let Some((epoch, commit)) = first_commit_after
                && e.header.seq() > commit
            {
                println!("first commit in epoch {epoch}: seq {} at {}", e.header.seq.get(), when());
                first_commit_after = None;
            }
        }
        MemberEvent::Log(Event::LeaderRestarted { .. }) => refused.set(true),
        MemberEvent::Log(Event::Lost { first, end }) if now > 0 => {
            let mut span = lost.get();
            span.note(first, end);
            lost.set(span);
        }
        _ => {}
    };
    // Its retention waits for the replay: what it deleted then, said.
    if let Err(e) = node.replay_journal(&stop, &mut on_event) {
        return fail(e);
    }
    if let Some(text) = super::nodes::retained_at_start_text(node.recovery(), node.journal_first(), true) {
        println!("{text}");
    }
    let result = node.run(
        &stop,
        &mut on_event,
        |member, driver| {
            too_long.set(too_long.get().or(member.follower().and_then(|f| f.too_long())));
            let asked = member.follower().is_some_and(|f| f.stats().events_asked_of_members > 0);
            lost_warned = lost.get().warn_since(&format!("member {id}"), lost_warned, asked);
            reject_watch.tick(&format!("member {id}"), &member.rejects_all(), driver);
            match member.leader() {
                Some(l) => ack_watch.tick(l, usize::from(id.0), driver.now()),
                // Each term is watched afresh: what was said of the last
                // one's followers is not said again, or undone, in the next.
                None => ack_watch = Default::default(),
            }
            leaderless.tick(member, driver, &format!("member {id}"));
            if let Some((node, from, configured)) = member.heard_elsewhere()
                && elsewhere_warned.insert((node, from))
            {
                eprintln!(
                    "{} warning: member {id}: frames of node {node} come from {from}, but this member's cluster \
                     file says node.{node} = {configured}: what it sends node {node} (votes, answers, repairs) goes \
                     where node {node} does not listen. Do the members' cluster files differ (a typo in one)? A \
                     frame replayed from another address looks the same",
                    super::args::clock_time(),
                    node = node.0
                );
            }
            let refused = member.election_stats().promote_refused;
            if refused > std::mem::replace(&mut promote_refused, refused) {
                promote_refused_text(member, id);
            }
            let stale = member.election_stats().promote_stale;
            if stale > std::mem::replace(&mut promote_stale, stale) {
                eprintln!(
                    "{} warning: member {id}: ignored a `seqcast promote` that named an epoch this member is not in \
                     (epoch {} now: the lead moved since promote looked, or the promote was replayed); ask again",
                    super::args::clock_time(),
                    member.epoch()
                );
            }
            // Said once, the second second it waits on a leader of this
            // epoch whose log ends before this member's: it cannot answer.
            let own_probe = member.follower().and_then(|f| f.own_probe().zip(f.leader()).zip(f.own_leader_shorter()));
            if let Some((((seq, tries), leader), last)) = own_probe
                && own_probe_seen == Some(seq)
                && !std::mem::replace(&mut own_probe_said, true)
            {
                eprintln!(
                    "{} member {id}: waiting for node {leader}, which leads epoch {} (the epoch of the log this \
                     member resumed) with a log that ends at seq {last}, to send its event at seq {seq} ({tries} NAKs \
                     unanswered): this member compares it with its own before it takes that leader's log, or \
                     refuses it. The leader of that epoch holds all of this member's log: this one leads that epoch \
                     with another log (members whose journals were wiped, started as a new cluster), and is refused \
                     once its log reaches there",
                    super::args::clock_time(),
                    member.epoch()
                );
            }
            own_probe_seen = own_probe.map(|(((seq, _), _), _)| seq);
            match member.follower() {
                Some(f) => unanswered.tick(f, driver.now(), &format!("member {id}")),
                // Leading or standing: what it said as a follower is over.
                None => unanswered = Default::default(),
            }
            metrics.publish_member(id, member, driver, delivered.get());
            if quiet {
                return;
            }
            let e = member.election_stats();
            match (member.leader(), member.follower()) {
                (Some(l), _) => println!(
                    "{warn}[member {id} leads epoch {}] stamped {} up to {} commit {} in_flight {} naks {} elections won {} lost {} at {}",
                    l.epoch(),
                    l.stats().events_stamped,
                    l.seq_next().prev(),
                    l.commit(),
                    l.in_flight(),
                    l.stats().naks,
                    e.won,
                    e.lost,
                    super::args::clock_time()
                ),
                (_, Some(f)) => println!(
                    "{warn}[member {id} follows {} in epoch {}{}] delivered {} (events lost {}) held {} commit {} naks {} elections won {} lost {} at {}",
                    // Epoch 0: no leader heard yet (a rejoining member, or one standing).
                    f.leader().filter(|_| f.epoch() != Epoch::ZERO).map_or("nobody".to_string(), |l| l.to_string()),
                    f.epoch(),
                    match (f.syncing(), member.is_journal_failed()) {
                        (_, true) => ", journal failed".to_string(),
                        // Not heard for a second: it may be down (a stale
                        // "follows" would hide that there is no leader).
                        _ if f.epoch() != Epoch::ZERO && f.leader_heard_ns_ago(driver.now()) >= super::nodes::LEADER_SILENT_NS => {
                            format!(", silent {:.1} s", f.leader_heard_ns_ago(driver.now()) as f64 / 1e9)
                        }
                        (true, false) => ", syncing".to_string(),
                        (false, false) => String::new(),
                    },
                    delivered.get(),
                    lost.get().count,
                    f.seq_held(),
                    f.commit(),
                    f.stats().naks_sent,
                    e.won,
                    e.lost,
                    super::args::clock_time()
                ),
                _ => {}
            }
        },
    );
    if let Err(e) = result {
        return fail(e);
    }
    let member = node.member();
    let e = member.election_stats();
    println!(
        "stopped: {} in epoch {}; delivered {} (replayed {} from its journal); elections stood {} won {} lost {}{}, votes granted {} refused {}, stepped down {}, clients redirected {}",
        match (member.is_leader(), member.follower().and_then(|f| f.leader())) {
            (true, _) => "leading".to_string(),
            // Refused (said below): it took nothing of that leader's log.
            (false, Some(leader)) if member.follower().is_some_and(|f| f.short_leader().is_some()) => {
                format!("refusing node {leader}'s log")
            }
            // Nobody since it started, or since its leader stepped down.
            (false, Some(leader)) if member.has_heard_leader() => format!("following node {leader}"),
            (false, _) => "following nobody".to_string(),
        },
        member.epoch(),
        delivered.get(),
        replayed.get(),
        e.stood,
        e.won,
        e.lost,
        // Stood and neither won nor lost: a candidacy still open, which a
        // member following the leader of an older epoch may have.
        if e.stood > e.won + e.lost { " (one still open as it stopped)" } else { "" },
        e.granted,
        e.refused,
        e.stepped_down,
        e.redirected
    );
    if let Some(s) = member.follower().map(|f| f.stats()).filter(|s| s.naks_served + s.events_asked_of_members > 0) {
        println!(
            "history: answered {} NAKs of others whose leader no longer had what they asked, serving {} events; \
             asked others for {} such events, took {}",
            s.naks_served, s.events_served, s.events_asked_of_members, s.events_from_members
        );
    }
    if let Some(n) = member.follower().map(|f| f.stats().leaders_unchecked).filter(|&n| n > 0) {
        eprintln!(
            "note: took the log of {n} leader(s) (of a newer epoch, or of the epoch of the log it resumed) without \
             comparing its event at the last sequence this member kept with its own: that leader no longer held \
             it (retention, or a ring without a journal), or this member did not (a commit file past its \
             journal's records)"
        );
    }
    println!("rejects: {}", rejects_text(&member.rejects_all(), node.driver().stats()));
    println!("io: {}", super::nodes::io_text(node.driver()));
    println!("digest: {}", node.digest());
    println!("{}", report::table_header());
    println!("{}", report::table_row("delivery (stamp → deliver)", node.delivery()));
    super::nodes::caught_up_line(node.caught_up());
    write_histogram(&args.output, &format!("member-{id}-delivery"), node.delivery());
    // A refusal is said even if its journal failed (writing the file that
    // keeps it, perhaps): the events the cluster lost matter more.
    if let Some(short) = member.follower().and_then(|f| f.short_leader()) {
        let leader = member.follower().and_then(|f| f.leader()).map_or("a member".to_string(), |l| format!("node {l}"));
        eprintln!(
            "error: {leader} leads epoch {} {short} (its journal, or the leader it followed, said so): the cluster \
             elected a leader without committed events (in this epoch, or in one this member missed, whose log \
             this one grew from), or started again as a new cluster whose first epoch is the one this member's \
             log came in. Either takes members that lost them from their logs (a member restarted without \
             its journal and without --rejoin, a wiped journal, writes a power loss took at --sync none, or \
             members new to a running cluster, as it grew, started without --rejoin). In the cluster's log those \
             sequences carry other events, or will once it takes new ones. This member took nothing of that log and \
             stops{}",
            short.epoch,
            match journal.as_ref() {
                Some(journal) if journal.dir.join("refused").is_file() => format!(
                    "; its journal keeps every event it held, up to seq {} (`seqcast journal dump`), those the \
                     cluster lost among them, and a file {} beside them: this member does not start on that journal \
                     again. To follow the cluster, move the journal aside and start the member with --rejoin",
                    member.follower().map_or(short.committed, |f| f.claim().seq.max(short.committed)),
                    journal.dir.join("refused").display()
                ),
                // Its journal failed before it could write that file.
                Some(journal) => format!(
                    "; its journal keeps the events it made durable, up to seq {} at most (`seqcast journal \
                     dump`), those the cluster lost among them, but its journal failed (said above) and the file \
                     {} that keeps this member from starting on that journal again was not written: do not start \
                     it on that journal again; move the journal aside and start the member with --rejoin",
                    member.follower().map_or(short.committed, |f| f.claim().seq.max(short.committed)),
                    journal.dir.join("refused").display()
                ),
                None => ". Without a journal, it held them in memory only: start it with --rejoin to follow the \
                         cluster"
                    .to_string(),
            }
        );
        return ExitCode::from(3);
    }
    if member.is_journal_failed() {
        return super::nodes::journal_failed_exit(&format!("member {id}"));
    }
    if let Some(first) = too_long.get() {
        return super::nodes::too_long_exit(&format!("member {id}"), first, resolved.config.payload_max);
    }
    ExitCode::SUCCESS
}

/// How long `seqcast promote` listens for the leader before it asks.
const LISTEN_FOR_LEADER_MS: u64 = 200;

/// What `seqcast promote` heard on the group and could not take as a
/// leader's frame.
#[derive(Default)]
struct Unheard {
    /// Datagrams of the cluster it could not read (keys, or a bad frame).
    unread: u64,
    /// A leader without failover (a `seqcast sequencer` started with the
    /// members' cluster file): its node id. Members take nothing of it.
    sequencer: Option<NodeId>,
    /// A leader's frames of another cluster id on the group (theirs, and
    /// the one promote was given): the members drop its request.
    other_cluster: Option<(u32, u32)>,
}

/// The sender and epoch of the next leader frame (HEARTBEAT or DATA) of
/// `cluster` on the group, if one is there to read now; a datagram of the
/// cluster that does not open with `keys` (none, or other keys than its
/// members') or does not parse, or a leader's without failover, is noted
/// in `unheard`.
fn leader_frame(
    group: &UdpSocket,
    buf: &mut [u8],
    keys: Option<&seqcast::auth::Keys>,
    (cluster, unheard): (u32, &mut Unheard),
) -> Option<(NodeId, Epoch)> {
    let n = group.recv(buf).ok()?;
    let ours = <seqcast::wire::Header as zerocopy::FromBytes>::ref_from_prefix(&buf[..n])
        .is_ok_and(|(h, _)| h.cluster.get() == cluster);
    let opened = match keys {
        Some(keys) => keys.open(&buf[..n]).ok(),
        None => Some(&buf[..n]),
    };
    let Some(datagram) = opened.and_then(|bytes| seqcast::wire::parse(bytes).ok()) else {
        unheard.unread += u64::from(ours);
        return None;
    };
    let leads = matches!(datagram.frame, seqcast::wire::Frame::Heartbeat(_) | seqcast::wire::Frame::Data(_));
    let theirs = datagram.header.cluster.get();
    if leads && theirs != cluster {
        unheard.other_cluster = Some((theirs, cluster));
        return None;
    }
    let sender = datagram.header.member().filter(|_| leads)?;
    // Its epoch, of its wall clock, would pass for the newest.
    if datagram.header.from_sequencer() {
        unheard.sequencer = Some(sender);
        return None;
    }
    Some((sender, datagram.header.epoch()))
}

/// What `seqcast promote` adds where it heard the group but could not
/// read it (the key file is the likely cause, not the member), or heard a
/// sequencer among the members.
fn unheard_text(unheard: &Unheard) -> String {
    let mut said = String::new();
    if unheard.unread > 0 {
        said += &format!(
            "; {} datagram(s) of the cluster on its group could not be read here: without the cluster's key file \
             (key_file in the cluster file, or --key-file), or with another, promote hears no leader and no member \
             takes its request",
            unheard.unread
        );
    }
    if let Some((theirs, ours)) = unheard.other_cluster {
        said += &format!(
            "; a leader of cluster {theirs} speaks on its group, not of cluster {ours} (--cluster-id, or the \
             cluster file's cluster_id, names another?): members of cluster {theirs} drop a request of {ours}"
        );
    }
    if let Some(node) = unheard.sequencer {
        said += &format!(
            "; node {node} leads without failover on this group (a `seqcast sequencer` started with this cluster's \
             file, by mistake?): members take nothing of it; stop it"
        );
    }
    said
}

/// Runs `seqcast promote`.
pub fn promote(args: &PromoteArgs) -> ExitCode {
    let node = NodeId(args.node);
    let resolved = match args.cluster.resolve(None) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if node.0 >= resolved.config.nodes {
        return fail(format!("node {node} is not in a {}-node cluster", resolved.config.nodes));
    }
    let Some(to) = args.to.or(resolved.node(node)) else {
        return fail(format!("no address for node {node}: give --to, or a cluster file with node.{node} = IP:PORT"));
    };
    let keys = match args.cluster.keys(&resolved, None) {
        Ok(keys) => keys,
        Err(e) => return fail(e),
    };
    // The PROMOTE of the epoch the operator saw led, sealed if keyed.
    let promote = |led: Epoch| {
        let mut header = Header::new(Kind::Promote, SENDER_CLIENT, resolved.config.cluster_id, led);
        if args.count_incomplete_votes {
            header.flags = seqcast::wire::FLAG_COUNT_INCOMPLETE.into();
        }
        let body = Promote { node: node.0.into(), reserved: 0.into(), reserved2: 0.into() };
        let mut frame = [0u8; 64];
        let len = emit(&mut frame, &header, Kind::Promote, &body).expect("64 bytes hold a PROMOTE");
        let len = match &keys {
            Some(keys) => keys.seal(&mut frame, len)?,
            None => len,
        };
        Some(frame[..len].to_vec())
    };
    if promote(Epoch::ZERO).is_none() {
        return fail("a PROMOTE needs the member key: give a key file with `member` and `clients`");
    }
    let socket = match UdpSocket::bind(SocketAddrV4::new(resolved.multicast.interface, 0)) {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot bind {}: {e}", resolved.multicast.interface)),
    };
    // Listening before asking: the first frames of the new leader count.
    let group = match net::group_receiver(&resolved.multicast, 1 << 20) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    let mut buf = vec![0u8; 65536];
    // The PROMOTE names the epoch led now (a leader heartbeats every
    // millisecond), so that a replay of it after this change moves nothing;
    // 0 if none is heard: then only a member that hears no leader stands.
    let listen_until = std::time::Instant::now() + Duration::from_millis(LISTEN_FOR_LEADER_MS.min(args.wait_ms));
    let (mut led, mut leader, mut unheard) = (Epoch::ZERO, None, Unheard::default());
    let cluster = resolved.config.cluster_id;
    while std::time::Instant::now() < listen_until {
        match leader_frame(&group, &mut buf, keys.as_ref(), (cluster, &mut unheard)) {
            Some((sender, epoch)) if epoch >= led => (led, leader) = (epoch, Some(sender)),
            Some(_) => {}
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    if leader == Some(node) {
        let sequencer = unheard_text(&Unheard { unread: 0, ..unheard });
        println!("node {node} already leads epoch {led}: nothing to do{sequencer}");
        return ExitCode::SUCCESS;
    }
    let frame = promote(led).expect("sealed above");
    let counting = match args.count_incomplete_votes {
        true => ", counting the votes of members that came back without all of their log",
        false => "",
    };
    // Three copies a few milliseconds apart: a lost datagram is no answer.
    for _ in 0..3 {
        if let Err(e) = socket.send_to(&frame, to) {
            return fail(format!("cannot send to {to}: {e}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    match led {
        Epoch::ZERO => println!(
            "asked node {node} at {to} to stand for election{counting} (no leader heard{})",
            unheard_text(&unheard)
        ),
        led => println!(
            "asked node {node} at {to} to stand for election{counting} (epoch {led} leads now{})",
            unheard_text(&Unheard { unread: 0, ..unheard })
        ),
    }
    let deadline = std::time::Instant::now() + Duration::from_millis(args.wait_ms);
    // Another member that took the lead in a newer epoch meanwhile.
    let mut other: Option<(NodeId, Epoch)> = None;
    while std::time::Instant::now() < deadline {
        match leader_frame(&group, &mut buf, keys.as_ref(), (cluster, &mut unheard)) {
            Some((sender, epoch)) if sender == node && epoch > led => {
                println!("node {node} leads epoch {epoch}");
                return ExitCode::SUCCESS;
            }
            // Helper 164: with no leader heard before the request, the
            // leader it knew may be one that was only paused.
            Some((sender, epoch)) if led > Epoch::ZERO && epoch > led && other.is_none_or(|(_, seen)| epoch > seen) => {
                other = Some((sender, epoch))
            }
            Some(_) => {}
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    if let Some((sender, epoch)) = other {
        // Helper 162: a member whose leader went silent stood on its own
        // as the promoted one did, and won the newer epoch; the promote
        // blamed the node it asked.
        return fail(format!(
            "node {node} did not take the lead within {} ms: node {sender} leads epoch {epoch}, elected meanwhile \
             (a member whose leader goes silent stands on its own; node {node}'s output says whether it stood, \
             and lost). Promote node {node} again if it must lead{}",
            args.wait_ms,
            unheard_text(&unheard)
        ));
    }
    fail(format!(
        "node {node} did not take the lead within {} ms: is it running, and does it hold every committed event \
         (a refusal of the request is said in its output; a candidacy that members with a longer log refused, \
         in its no-leader warning)? A member stopped or starved meanwhile may still stand when it reads the \
         request: see `seqcast stat` before promoting another{}",
        args.wait_ms,
        unheard_text(&unheard)
    ))
}

/// Seconds a member may go without a leader before it says why.
const LEADERLESS_WARN_S: u32 = 3;
/// Then again every this many seconds while it lasts, or sooner (after
/// [`LEADERLESS_WARN_S`]) when a member newly refuses its candidacy, or it
/// refuses one for its damaged journal's reach: a `seqcast promote` that
/// elected nobody points at this warning (helper 156: it was said once,
/// before the promote, and never again).
const LEADERLESS_REPEAT_S: u32 = 30;

/// Says on stderr why this member did not stand when `seqcast promote`
/// asked it (the promote's own error points here).
fn promote_refused_text(member: &seqcast::core::Member, id: NodeId) {
    let why = if member.is_journal_failed() {
        "its journal failed (said above)".to_string()
    } else if let Some((have, need)) = member.rejoin_answers() {
        format!("it rejoins and has {have} of the {need} answers it needs (where each member is fenced) first")
    } else if let Some(reach) = member.damaged_reach() {
        // Helper 147: it said it had learnt no epoch.
        format!(
            "its journal dropped records at its start (its resumed: line), and it stands only once it holds what \
             the journal reached before (sequence {}), which a leader must give it back",
            reach.seq
        )
    } else if member.epoch() == Epoch::ZERO {
        "it has learnt no epoch yet (it waits to hear a leader or the others' answers)".to_string()
    } else if !member.may_vote() {
        "it came back without all of its log and does not stand before it holds what its leader had sequenced"
            .to_string()
    } else {
        "it takes a new leader's log and has not all of it yet (a moment after an election)".to_string()
    };
    eprintln!(
        "{} warning: member {id}: refused a `seqcast promote`: {why}; promote a member that holds the whole log, or \
         ask again",
        super::args::clock_time()
    );
}

/// Says on stderr, once each time, why a member has had no leader for a
/// while (it stands and loses; it cannot vote yet; it rejoins and too few
/// members answer, or, empty, its votes count only beside those of
/// members holding a log).
/// Who answered a member's last lost candidacy, and the last one an
/// operator promoted (granted, refused; see `ElectionStats::last_lost`),
/// for its leaderless warning: `, the last granted by members 1, 2,
/// refused by none, unanswered by member 0`.
fn ballots_text(nodes: u16, e: &seqcast::core::ElectionStats) -> String {
    let text = |last: Option<(NodeSet, NodeSet)>| last.map(|last| ballots(nodes, last));
    let last = text(e.last_lost).map_or(String::new(), |t| format!(", the last {t}"));
    match text(e.last_promoted_lost) {
        Some(promoted) => format!("{last}; the last an operator promoted {promoted}"),
        None => last,
    }
}

/// `granted by members 1, 2, refused by none, unanswered by member 0`.
fn ballots(nodes: u16, (granted, refused): (NodeSet, NodeSet)) -> String {
    let list = |has: &dyn Fn(NodeId) -> bool| {
        let ids: Vec<String> = (0..nodes).map(NodeId).filter(|&id| has(id)).map(|id| id.0.to_string()).collect();
        match ids.len() {
            0 => "none".to_string(),
            1 => format!("member {}", ids[0]),
            _ => format!("members {}", ids.join(", ")),
        }
    };
    format!(
        "granted by {}, refused by {}, unanswered by {}",
        list(&|id| granted.contains(id)),
        list(&|id| refused.contains(id)),
        list(&|id| !granted.contains(id) && !refused.contains(id))
    )
}

struct Leaderless {
    seconds: u32,
    /// `granted_empty` and `refused_empty` when it last had a leader.
    granted_empty_seen: u64,
    refused_empty_seen: u64,
    /// `lost_for_holders` when it last had a leader.
    lost_for_holders_seen: u64,
    /// `refused_for_reach` when it last had a leader or said them.
    refused_for_reach_seen: u64,
    /// Votes a candidate needs, members in all, and ACKs that commit.
    quorum: usize,
    nodes: u16,
    commit_quorum: usize,
    /// `--failover manual`: nobody stands until an operator promotes one.
    manual: bool,
    /// What it received and dropped, when it last had a leader.
    heard_seen: Heard,
    /// Its leaderless second of the last warning, and who had refused its
    /// last lost candidacy then.
    warned_at: u32,
    refused_said: NodeSet,
}

/// What a member received, and dropped for reasons that say it and the
/// others do not hear each other: counts since it started.
#[derive(Clone, Copy, Default)]
struct Heard {
    /// Frames of a member whose file gives another node count or quorum.
    other_shape: u64,
    /// Datagrams that failed authentication (another key file).
    auth: u64,
    /// Datagrams longer or shorter than they say: a keyed cluster's, at a
    /// node without keys.
    length: u64,
    /// Datagrams of another cluster id.
    foreign: u64,
    /// Frames of a leader without failover.
    no_failover: u64,
}

impl Heard {
    fn now(member: &seqcast::core::Member, io: &seqcast::net::DriverStats) -> Heard {
        let rejects = member.rejects_all();
        let length = rejects.by_reason().into_iter().find(|r| r.0 == "length_mismatch").map_or(0, |r| r.1);
        Heard {
            other_shape: rejects.other_shape,
            auth: io.auth_failed.iter().sum(),
            length,
            foreign: rejects.foreign_cluster,
            no_failover: rejects.no_failover,
        }
    }

    /// What grew since `before`, as a clause of the "no leader" warning.
    fn text(&self, before: &Heard) -> String {
        let mut said = String::new();
        if self.other_shape > before.other_shape {
            said.push_str(
                "; also, frames of a member whose cluster file gives another node count or quorum were dropped \
                 meanwhile (the other_shape warning above): members of different shapes count each other for \
                 nothing, so give every member the same cluster file",
            );
        }
        if self.auth > before.auth {
            said.push_str(&format!(
                "; also, {} datagrams failed authentication meanwhile: this member's key file is not the others' \
                 (key_file in the cluster file, --key-file), and it takes none of their frames",
                self.auth - before.auth
            ));
        }
        if self.length > before.length {
            said.push_str(&format!(
                "; also, {} datagrams were dropped as longer than they say (length_mismatch): the others seal \
                 theirs with keys and this member has none? Give it the cluster's key file",
                self.length - before.length
            ));
        }
        if self.no_failover > before.no_failover {
            said.push_str(&format!(
                "; also, {} frames of a leader without failover were dropped meanwhile (a `seqcast sequencer` \
                 started with this cluster's file?): members do not elect it; stop it",
                self.no_failover - before.no_failover
            ));
        }
        if self.foreign > before.foreign {
            said.push_str(&format!(
                "; also, {} datagrams of another cluster id came on its group: if the others are they, the \
                 cluster files differ in cluster_id",
                self.foreign - before.foreign
            ));
        }
        said
    }
}

impl Leaderless {
    fn new(config: &seqcast::core::Config, manual: bool) -> Leaderless {
        let (quorum, nodes, commit_quorum) = (config.election_quorum(), config.nodes, config.quorum());
        Leaderless {
            seconds: 0,
            granted_empty_seen: 0,
            refused_empty_seen: 0,
            lost_for_holders_seen: 0,
            refused_for_reach_seen: 0,
            quorum,
            nodes,
            commit_quorum,
            manual,
            heard_seen: Heard::default(),
            warned_at: 0,
            refused_said: NodeSet::new(),
        }
    }

    /// The vote requests it refused, since it last said so, only because
    /// they were short of how far its damaged journal reached: the
    /// candidate's own warning names it among those that refused, not why
    /// (helper 156). `; it refused 2 vote requests so, the last member
    /// 0's, whose log reaches sequence 90 in epoch 3`, or nothing.
    fn reach_refusals(&mut self, member: &seqcast::core::Member) -> String {
        let e = member.election_stats();
        let refused = e.refused_for_reach - self.refused_for_reach_seen.min(e.refused_for_reach);
        let Some((id, claim)) = e.last_refused_for_reach.filter(|_| refused > 0) else { return String::new() };
        self.refused_for_reach_seen = e.refused_for_reach;
        format!(
            "; it refused {refused} vote request{} so, the last member {id}'s, whose log reaches sequence {} in \
             epoch {}",
            if refused == 1 { "" } else { "s" },
            claim.seq,
            claim.epoch
        )
    }

    fn tick(&mut self, member: &seqcast::core::Member, driver: &seqcast::net::Driver, who: &str) {
        let (now, heard) = (driver.now(), Heard::now(member, driver.stats()));
        // A follower whose leader went silent a second ago or more, or that
        // follows nobody (rejoining, or resumed and waiting for a leader).
        let silent = member.follower().is_some_and(|f| {
            f.epoch() == Epoch::ZERO
                || f.leader().is_none()
                || f.leader_heard_ns_ago(now) >= super::nodes::LEADER_SILENT_NS
        });
        if !silent {
            (self.seconds, self.warned_at, self.refused_said) = (0, 0, NodeSet::new());
            self.heard_seen = heard;
            let e = member.election_stats();
            (self.granted_empty_seen, self.refused_empty_seen) = (e.granted_empty, e.refused_empty);
            self.lost_for_holders_seen = e.lost_for_holders;
            self.refused_for_reach_seen = e.refused_for_reach;
            return;
        }
        self.seconds += 1;
        // Who refused what an operator last promoted: new refusals are news.
        // So are the candidacies it refused for its damaged journal's reach.
        let e = member.election_stats();
        let refused = e.last_promoted_lost.map_or(NodeSet::new(), |(_, refused)| refused);
        let news = refused != self.refused_said || e.refused_for_reach > self.refused_for_reach_seen;
        let since = self.seconds - self.warned_at;
        let due = match self.seconds.cmp(&LEADERLESS_WARN_S) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Greater => since >= LEADERLESS_REPEAT_S || (news && since >= LEADERLESS_WARN_S),
        };
        if !due {
            return;
        }
        (self.warned_at, self.refused_said) = (self.seconds, refused);
        let refusals = self.reach_refusals(member);
        let at = super::args::clock_time();
        // What it dropped while it had no leader that says it and the
        // others do not hear each other (helper 138: a member given another
        // key file was told to start members that were running).
        // What it dropped comes first (helper 140: a member given another
        // key file was told to start members that were down, and only last
        // that it dropped their frames); then why it would not lead anyway.
        let dropped = heard.text(&self.heard_seen);
        let first = |why: &str| match dropped.strip_prefix("; also, ") {
            Some(dropped) => format!("{}. Besides: {why}", dropped.replace("; also, ", "; ")),
            None => why.to_string(),
        };
        if member.epoch() != Epoch::ZERO {
            let elects = "the cluster elects once enough members that hold its log run: start those that are down";
            let why = if member.is_journal_failed() {
                format!(
                    "its journal failed (said above), so it neither votes nor stands; {elects} with a journal that \
                     works, and restart this one once its journal is fixed"
                )
            } else if e.answers == 0 && !member.has_heard_leader() && e.stood > 0 {
                format!(
                    "it has heard no leader since it started and no member answered its vote requests (it stood {} \
                     times): the others are down, or they and this member do not hear each other (another group \
                     or port, cluster id or key file than theirs; see any `dropping datagrams` warning above)",
                    e.stood
                )
            } else if self.manual && e.stood == 0 {
                "failover is manual: `seqcast promote` a member that holds the whole log".to_string()
            } else if e.granted_empty > self.granted_empty_seen
                && usize::from(self.nodes) + 1 - self.commit_quorum < self.quorum
            {
                let why = match member.follower().is_some_and(|f| f.catching_up_to_vote()) {
                    true => {
                        "it came back empty (or started late, or resumed a journal whose claim is not whole) and \
                             has not caught up with what its leader had sequenced (or heard it say)"
                    }
                    false => "it holds nothing and has followed no leader since it started as a new cluster's",
                };
                format!(
                    "{why}, so it cannot tell whether it lost a log of its own (a wiped journal): its votes count \
                     only beside votes granted by {} members that hold a log, the candidate among them; {elects}",
                    usize::from(self.nodes) + 1 - self.commit_quorum
                )
            } else if e.refused_empty > self.refused_empty_seen {
                format!(
                    "it refuses its vote: it cannot tell whether it lost a log of its own (new, it holds nothing \
                     and never followed a leader; or it came back empty and has not caught up with its leader), \
                     and with a commit quorum of {} above a majority its vote cannot be counted only beside \
                     members that hold a log; {elects}",
                    self.commit_quorum
                )
            } else if e.lost_for_holders > self.lost_for_holders_seen {
                // Helper 143: two members of three resumed damaged
                // journals; the whole one was told to start those down.
                format!(
                    "it stood {} times and lost {}{}, though enough members granted it: votes of members that came \
                     back without all of their log (a damaged journal, a lost one, or started anew) count only \
                     beside those of {} members that hold their log, itself included, and fewer did. The cluster \
                     elects once that many members holding their whole log run; where no more can (in a cluster \
                     of three, two damaged journals), none can tell that this member's log holds every commit: see \
                     `Damaged journals` in OPERATIONS",
                    e.stood,
                    e.lost,
                    ballots_text(self.nodes, e),
                    usize::from(self.nodes) + 1 - self.commit_quorum
                )
            } else if member.may_vote() {
                format!(
                    "it stood {} times and lost {}{} (a candidate needs {} of the {} members' votes; those with a \
                     longer log refuse it, those down, rejoining or with a failed journal give none); {elects}",
                    e.stood,
                    e.lost,
                    ballots_text(self.nodes, e),
                    self.quorum,
                    self.nodes
                )
            } else {
                format!(
                    "it does not stand, nor vote as one that holds a log, before it holds what its leader had \
                     sequenced when it came back (it came back without all of its log); {elects}"
                )
            };
            let why = match member.damaged_reach() {
                Some(reach) if !refusals.is_empty() => format!(
                    "{why}. Also, its journal reached sequence {} (epoch {}) before the records its `resumed:` line \
                     names were dropped, and it votes for no log that does not reach as far{refusals}: a member \
                     whose log does can be elected; where none can, see `Damaged journals` in OPERATIONS",
                    reach.seq, reach.epoch
                ),
                _ => why,
            };
            eprintln!(
                "{at} warning: {who} has had no leader for {} s in epoch {}: {}",
                self.seconds,
                member.epoch(),
                first(&why)
            );
            return;
        }
        let why = match (member.rejoin_answers(), member.promised()) {
            (Some((have, need)), _) => format!(
                "it rejoins, and has {have} of the {need} answers it needs (each member says where it is fenced; \
                 one back without its log says so, and counts for nothing) before it follows a leader: the others \
                 are down (one that refused to start on a journal of another cluster shape needs --reshape), do \
                 not hear it, or lost their log too. Then no answer can show which epoch those that \
                 lost it voted in. If every member restarted without its journal, the log is gone: start them \
                 anew, without --rejoin. If a member still leads with the whole log and you know no newer leader \
                 was elected while they ran, restart them without --rejoin: they follow it"
            ),
            (None, fence) if let Some(reach) = member.damaged_reach() => format!(
                "the others are fenced at epoch {fence}, but no leader speaks: it waits for one. Its journal \
                 reached sequence {} (epoch {}) before the records its `resumed:` line names were dropped, and it \
                 votes for no shorter log{refusals}: a member whose log reaches as far can be elected; where none \
                 can, see `Damaged journals` in OPERATIONS",
                reach.seq, reach.epoch
            ),
            (None, fence) if member.election_stats().granted_empty > self.granted_empty_seen => format!(
                "the others are fenced at epoch {fence}, but no leader speaks: it waits for one. It came back \
                 without all of its log (its `resumed:` line above says why), so the votes it grants count only \
                 beside those of {} members that hold their whole log, the candidate among them; where no more \
                 run (in a cluster of three, two damaged journals), see `Damaged journals` in OPERATIONS",
                usize::from(self.nodes) + 1 - self.commit_quorum
            ),
            (None, fence) => format!(
                "the others are fenced at epoch {fence}, but no leader speaks: it waits for one (it cannot vote \
                 before it holds what the leader sequenced)"
            ),
        };
        eprintln!("{at} warning: {who} follows nobody: {}", first(&why));
    }
}
