//! `seqcast sequencer` and `seqcast follower`: long-running nodes with a
//! status line each second, a clean stop on Ctrl-C or SIGTERM, a summary,
//! and latency histograms written on exit.

use std::cell::Cell;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::ExitCode;

use clap::Args;

use super::args::{ClusterArgs, DeliverArg, JournalArgs, OutputArgs, TuningArgs};
use super::fail;
use seqcast::core::{Epoch, Event, Failover, Follower, FollowerStats, LeaderStats, Nanos, NodeId, Rejects, Seq};
use seqcast::net::report;
use seqcast::net::{self, Driver, DriverStats, FollowerNode, LeaderNode};

/// `seqcast sequencer`.
#[derive(Clone, Debug, Args)]
pub struct SequencerArgs {
    #[command(flatten)]
    pub(super) cluster: ClusterArgs,
    /// This node's id: the same as --leader-id.
    #[arg(long, value_name = "ID", conflicts_with = "leader_id")]
    id: Option<u16>,
    /// Address clients and followers send to [default: the leader's address
    /// in the cluster file, else the interface on port 7401].
    #[arg(long, value_name = "HOST:PORT", value_parser = super::args::host_port)]
    listen: Option<SocketAddrV4>,
    /// Epoch to lead, at most 2^48 (the largest a frame carries) [default:
    /// the wall clock in milliseconds, so a restarted leader always takes a
    /// newer epoch than the one before it].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1 << 48))]
    epoch: Option<u64>,
    /// Events kept for repair; a follower that falls further behind is told
    /// what it lost; more than --in-flight-max [default: 65536].
    #[arg(long, value_name = "N")]
    ring_events: Option<usize>,
    /// Uncommitted events accepted before clients are told to back off
    /// (must be below --ring-events) [default: 16384].
    #[arg(long, value_name = "N")]
    in_flight_max: Option<usize>,
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

/// `seqcast follower`.
#[derive(Clone, Debug, Args)]
// A follower serves no history: `--history-rate` is refused, with a
// reason, and left out of its --help.
#[command(mut_arg("history_rate", |a| a.hide(true)))]
pub struct FollowerArgs {
    /// This follower's node id (1 .. nodes-1 when the leader is node 0).
    #[arg(long)]
    id: u16,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Address repairs are sent to [default: this node's address in the
    /// cluster file, else the interface with a port the system picks].
    #[arg(long, value_name = "HOST:PORT", value_parser = super::args::host_port)]
    listen: Option<SocketAddrV4>,
    /// When to deliver events to the application.
    #[arg(long, value_enum, default_value_t = DeliverArg::Commit)]
    deliver: DeliverArg,
    /// Events buffered ahead of delivery; at least the leader's
    /// --in-flight-max [default: 32768].
    #[arg(long, value_name = "N")]
    window_events: Option<usize>,
    #[command(flatten)]
    journal: JournalArgs,
    #[command(flatten)]
    tuning: TuningArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// A node whose journal failed ran on, acknowledging nothing more: at its
/// stop it says so again and exits 1, so that a supervisor that restarts
/// on failure sees one.
pub(super) fn journal_failed_exit(who: &str) -> ExitCode {
    eprintln!(
        "error: {who} stopped with its journal failed (said when it happened): it acknowledged nothing it could \
         not journal after that; fix the journal's disk and restart it"
    );
    ExitCode::FAILURE
}

/// What every node command does before it binds: its tuning with the
/// cluster's keys (or the refusal of a keyless non-loopback interface),
/// Ctrl-C and SIGTERM caught, the thread pinned, and the output directory
/// checked writable now rather than at exit.
pub(super) fn start_node(
    tuning: &TuningArgs,
    cluster: &super::args::ClusterArgs,
    resolved: &seqcast::net::cluster::Cluster,
    listen: Option<std::net::Ipv4Addr>,
    output: Option<&OutputArgs>,
) -> Result<net::Tuning, String> {
    let tuning = net::Tuning { keys: cluster.member_keys(resolved, listen)?, ..tuning.tuning() };
    net::catch_stop_signals().map_err(|e| e.to_string())?;
    tuning.apply_to_thread().map_err(|e| match tuning.pin_cpu {
        Some(_) => format!("--pin: {e}"),
        None => e.to_string(),
    })?;
    if let Some(output) = output {
        super::args::check_out_dir(&output.out)?;
    }
    Ok(tuning)
}

/// `count` over the time since `since` as a rate a second; `since` moves to now.
fn per_second(count: u64, since: &mut std::time::Instant) -> u64 {
    let now = std::time::Instant::now();
    let seconds = (now - *since).as_secs_f64().max(1e-3);
    *since = now;
    (count as f64 / seconds).round() as u64
}

/// Says on stderr when a follower stops hearing its leader, and when it
/// hears it again, or that it has heard none since it started: checked
/// each second from the frames it counted.
pub(super) struct Silence {
    heard: u64,
    last_change: Option<std::time::Instant>,
    warned: bool,
    never_warned: bool,
    /// The longest time since the leader's last frame seen in this silence.
    longest: std::time::Duration,
    /// Hearing no leader it takes yet, since when it has asked one to
    /// answer its nonce, unanswered; and whether it said so.
    asked_since: Option<std::time::Instant>,
    asked_warned: bool,
}

/// How long a node that has heard no leader since it started waits before
/// it says so.
const NEVER_HEARD_WARN: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a new node's asks to a leader to answer its nonce go
/// unanswered before it says so (a leader answers within a round trip).
const ASKED_WARN: std::time::Duration = std::time::Duration::from_secs(1);

impl Silence {
    /// Counted from now: the node starts running (a warning that no leader
    /// was heard comes [`NEVER_HEARD_WARN`] after it, not after the first tick).
    pub(super) fn starting() -> Silence {
        let last_change = Some(std::time::Instant::now());
        let longest = std::time::Duration::ZERO;
        let (asked_since, asked_warned) = (None, false);
        Silence { heard: 0, last_change, warned: false, never_warned: false, longest, asked_since, asked_warned }
    }

    /// `heard`: the leader's frames counted so far; `ago`: how long ago the
    /// core last took a leader's frame (its clock, finer than this
    /// once-a-second tick's); `hint` ends the warning. `asked`: hearing a
    /// leader whose answer to its nonce it waits for before it takes that
    /// leader's epoch ([`first_epoch_hint`]), what it says of it once it
    /// has waited a second, from [`NEVER_HEARD_WARN`] after it started on
    /// (said once: it may hear that leader only later).
    pub(super) fn tick(&mut self, heard: u64, ago: std::time::Duration, who: &str, hint: &str, asked: Option<&str>) {
        let now = std::time::Instant::now();
        let last = *self.last_change.get_or_insert(now);
        if asked.is_none() {
            self.asked_since = None;
        }
        if heard != self.heard {
            let at = super::args::clock_time();
            if self.warned {
                let silent = self.longest.as_millis();
                eprintln!("{at} {who}: leader heard again after {silent} ms or more of silence");
            } else if self.never_warned && self.heard == 0 {
                // The warning that none was heard is over too.
                eprintln!("{at} {who}: a leader heard at last, {} s after it started", (now - last).as_secs());
            }
            (self.heard, self.last_change, self.warned) = (heard, Some(now), false);
            self.longest = std::time::Duration::ZERO;
        } else if heard == 0
            && let Some(asked) = asked
        {
            let since = *self.asked_since.get_or_insert(now);
            if !self.asked_warned && now - last >= NEVER_HEARD_WARN && now - since >= ASKED_WARN {
                let at = super::args::clock_time();
                eprintln!(
                    "{at} warning: {who}: follows no leader yet, {} s since it started: {asked}",
                    (now - last).as_secs()
                );
                (self.asked_warned, self.never_warned) = (true, true);
            }
        } else if heard == 0 && !self.never_warned && now - last >= NEVER_HEARD_WARN {
            eprintln!(
                "{} warning: {who}: no frame of a leader accepted in {} s since it started (no DATA, HEARTBEAT or \
                 repair): is the cluster running, with this cluster id and group, and the same key file? Dropped \
                 datagrams, if any, are said above{hint}",
                super::args::clock_time(),
                (now - last).as_secs()
            );
            self.never_warned = true;
        } else if heard > 0 {
            // Both are at most the silence: the last frame counted came
            // before the tick that saw the count change, and no later than
            // the last the core took from a leader (which may be another
            // member's, dropped uncounted; a member's repair may be counted
            // without being taken as the leader's, which only makes the
            // silence end at the next tick).
            let silent = ago.max(now - last);
            self.longest = self.longest.max(silent);
            if !self.warned && silent >= std::time::Duration::from_millis(900) {
                eprintln!(
                    "{} warning: {who}: leader silent for {} ms (no DATA, HEARTBEAT or repair){hint}",
                    super::args::clock_time(),
                    silent.as_millis()
                );
                self.warned = true;
            }
        }
    }

    /// What a status line adds while the leader is silent: `leader silent 3.2 s `.
    fn status(&self) -> String {
        match self.warned {
            true => format!("leader silent {:.1} s ", self.longest.as_secs_f64()),
            false => String::new(),
        }
    }

    /// Now, between ticks (`heard` and `ago` as for [`tick`](Self::tick)):
    /// how long the leader has been silent, at least, if it was heard, is
    /// not heard since the last tick, and has been silent for long enough
    /// to warn of.
    pub(super) fn silent_now(&self, heard: u64, ago: std::time::Duration) -> Option<std::time::Duration> {
        if heard == 0 || heard != self.heard {
            return None;
        }
        let since_tick = self.last_change.map_or(std::time::Duration::ZERO, |last| last.elapsed());
        let silent = self.longest.max(since_tick).max(ago);
        (silent >= std::time::Duration::from_millis(900)).then_some(silent)
    }
}

/// Sequences reported lost to the application: how many, and the span
/// from the first to the last.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LostSpan {
    pub(super) count: u64,
    pub(super) span: Option<(Seq, Seq)>,
}

impl LostSpan {
    /// `[first, end)` reported lost.
    pub(super) fn note(&mut self, first: Seq, end: Seq) {
        self.count += end - first;
        self.span = Some((self.span.map_or(first, |(low, _)| low), end.prev()));
    }

    /// Says on stderr what more `who` was told is lost since `told` were
    /// said, if any; returns how many are said now. `members`: it asked
    /// the other members for what the leader no longer had.
    pub(super) fn warn_since(&self, who: &str, told: u64, members: bool) -> u64 {
        if self.count > told {
            self.warn(who, self.count - told, members);
        }
        self.count.max(told)
    }

    /// Says on stderr that `who` was told of `new` more lost, once a tick.
    pub(super) fn warn(&self, who: &str, new: u64, members: bool) {
        let within = self.span.map_or(String::new(), |(a, b)| format!(", all within {a}..={b}"));
        // The first time, the count so far is the news (a trial read
        // "1238 events are gone …, 1238 in all" as a repeat).
        let so_far = if new == self.count { String::new() } else { format!(", {} in all", self.count) };
        // The leader is not the only one to ask: an operator looks at the
        // member that declined them or went silent too.
        // Helper 159: an archive member down longer than the others keep
        // was told so, and nothing said why or what to keep.
        // Helper 160: not always retention (a leader keeping no journal).
        let (members, why) = match members {
            true => (
                " and no other member served them",
                "every member that had them lost them (retention deleted them, or it keeps no journal) or did not \
                 answer",
            ),
            false => (
                "",
                "they left the leader's ring, and its journal deleted them by retention, lacks them, or it keeps none",
            ),
        };
        eprintln!(
            "{} warning: {who}: the leader says {new} events are gone (UNRECOVERABLE){members}{so_far}{within}: \
             reported lost, never delivered ({why}; a node down or behind gets them only while one still holds \
             them)",
            super::args::clock_time(),
        );
    }
}

/// What a new `kind` ("follower", "tail") that waits for a leader to
/// answer its nonce before it takes an epoch says it waits for
/// ([`Follower::first_epoch_asked`]), for [`Silence::tick`].
pub(super) fn first_epoch_hint(follower: &Follower, kind: &str) -> Option<String> {
    let (epoch, from, tries) = follower.first_epoch_asked()?;
    Some(format!(
        "it hears a leader of epoch {epoch} at {from}, and asked it {tries} times to answer its nonce (with keys, a \
         new {kind} takes an epoch only from a leader that answers it: a recording of an older one is no leader), \
         unanswered: that leader is not receiving from this node, or its answers do not reach this node, or it is a \
         recording"
    ))
}

/// Says on stderr when a follower's NAKs have gone unanswered for a second
/// while it still NAKs and hears the group (the leader does not hear it:
/// unicast from it to the leader is lost or blocked; or the leader does
/// not serve it; or the member asked for what the leader no longer has
/// sends nothing), and when one is answered again.
#[derive(Default)]
pub(super) struct Unanswered {
    /// NAKs it had sent at the last tick.
    naks: u64,
    /// Who was said not to answer (the leader, or a member), and the
    /// sequences reported lost then.
    warned: Option<(String, u64)>,
}

impl Unanswered {
    pub(super) fn tick(&mut self, follower: &Follower, now: Nanos, who: &str) {
        let at = super::args::clock_time();
        let naks = follower.stats().naks_sent;
        let nakked = std::mem::replace(&mut self.naks, naks) < naks;
        let unanswered_ns = follower.naks_unanswered_ns(now).filter(|&ns| ns >= 1_000_000_000);
        match unanswered_ns {
            // Only while it hears the leader: a silent one is said as such.
            Some(ns) if nakked && self.warned.is_none() && follower.leader_heard_ns_ago(now) < 1_000_000_000 => {
                let ms = ns / 1_000_000;
                let blamed = match follower.member_awaited() {
                    Some((member, addr)) => {
                        eprintln!(
                            "{at} warning: {who}: no repair has answered its NAKs for {ms} ms: what the leader no \
                             longer has is asked of member {member} ({addr}), which sends nothing of it (paused, down, \
                             not receiving from this node, or serving its readers in turn under --history-rate)"
                        );
                        format!("member {member}")
                    }
                    None => {
                        let leader = follower.leader_addr().map_or("?".into(), |a| a.to_string());
                        eprintln!(
                            "{at} warning: {who}: no repair has answered its NAKs for {ms} ms, though it hears the \
                             group: the leader ({leader}) is not receiving from this node, or not serving its repairs"
                        );
                        "the leader".into()
                    }
                };
                self.warned = Some((blamed, follower.stats().lost));
            }
            None => match self.warned.take() {
                // Nothing waits any more because what was asked is lost.
                Some((blamed, lost)) if follower.stats().lost > lost => {
                    eprintln!("{at} {who}: no longer waits for {blamed}: what it asked of it was reported lost")
                }
                Some((blamed, _)) => eprintln!("{at} {who}: {blamed} answers its NAKs again"),
                None => {}
            },
            _ => {}
        }
    }
}

/// Says on stderr the first time each reason to drop a datagram appears
/// (a wrong cluster id, a bad tag, …), rather than only in the count.
#[derive(Default)]
pub(super) struct RejectWatch {
    seen: Vec<&'static str>,
    /// Each reason's count at the last tick.
    counts: Vec<(&'static str, u64)>,
    /// This node's cluster shape (`Config::shape`; 0 for a tail).
    shape: u32,
    /// A tail's: the nodes its cluster file lists, and without
    /// `--failover` the one leader id whose frames it takes.
    tail: Option<(u16, Option<seqcast::core::NodeId>)>,
}

impl RejectWatch {
    /// For a member of a cluster of `shape` (`Config::shape`).
    pub(super) fn new(shape: u32) -> RejectWatch {
        RejectWatch { seen: Vec::new(), counts: Vec::new(), shape, tail: None }
    }

    /// For a tail whose cluster file lists `nodes`, taking only the frames
    /// of leader id `only` (without `--failover`).
    pub(super) fn tail(nodes: u16, only: Option<seqcast::core::NodeId>) -> RejectWatch {
        RejectWatch { tail: Some((nodes, only)), ..RejectWatch::default() }
    }

    /// Warns of each reason seen for the first time, among the machine's
    /// `rejects` and the datagrams `driver` could not open, naming where
    /// the latest dropped datagram came from.
    pub(super) fn tick(&mut self, who: &str, rejects: &Rejects, driver: &Driver) {
        let stats = driver.stats();
        let core = rejects.by_reason().into_iter().map(|(reason, count)| (reason, count, "rejects:"));
        let all: Vec<_> = core.chain(stats.unopened().map(|(reason, count)| (reason, count, "io:"))).collect();
        // The driver knows where the latest dropped datagram came from,
        // not why: it is given as this reason's only when no other grew
        // since the last tick (one trial named a member under `not_member`
        // for a tail's, and told to fix the cluster files).
        let before = |reason| self.counts.iter().find(|c| c.0 == reason).map_or(0, |c| c.1);
        let grew = all.iter().filter(|&&(reason, count, _)| count > before(reason)).count();
        self.counts = all.iter().map(|&(reason, count, _)| (reason, count)).collect();
        for (reason, count, line) in all {
            if count > 0 && !self.seen.contains(&reason) {
                self.seen.push(reason);
                let at = super::args::clock_time();
                let from = match stats.last_rejected_from {
                    Some(a) if grew == 1 => format!(", latest from {a}"),
                    Some(a) => format!(", the latest dropped for this or another reason from {a}"),
                    None => String::new(),
                };
                // Frames of an older epoch still in flight are routine
                // around an election or a restart; they matter only if
                // they go on.
                let only = self.tail.and_then(|(_, only)| only);
                let only_text;
                let (kind, routine) = match reason {
                    // A tail without --failover drops every other
                    // member's leader frames, for as long as it leads.
                    "not_leader" if let Some(id) = only => {
                        only_text = format!(
                            "; without --failover this tail takes only node {id}'s leader frames, and these are \
                             another member's (a leader's, or an election's): in a cluster of `seqcast member`s \
                             run tail with --failover"
                        );
                        ("note", only_text.as_str())
                    }
                    // So are another member's frames this role no longer
                    // takes, late VOTEs and a `seqcast promote` sent again.
                    "wrong_epoch" | "not_leader" | "election" => (
                        "note",
                        "; expected for a moment around an election or a restart, and, with keys, while a new \
                             follower or tail waits for its leader to answer its nonce",
                    ),
                    // A keyed cluster's datagrams end in a tag this node does not strip.
                    "length_mismatch" if !driver.keyed() => (
                        "warning",
                        "; a cluster with keys ends every datagram in a tag: if it has them, give this node its \
                         key file",
                    ),
                    // A member id outside this node's cluster: two cluster
                    // files that list different nodes.
                    "not_member" => (
                        "warning",
                        "; if it comes from a member of this cluster, its cluster file and this node's list \
                         different nodes (node.N lines, --nodes): give every member the same file",
                    ),
                    "foreign_cluster" => (
                        "warning",
                        "; datagrams of another cluster id on this group and port: another cluster shares them \
                         (give it its own group or port), or the cluster files differ in cluster_id \
                         (--cluster-id): give every node of a cluster the same file",
                    ),
                    "oversize" => (
                        "warning",
                        "; longer than this node's mtu: its sender runs with a larger --mtu (mtu in the cluster \
                         file) than this node: give every node of the cluster the same",
                    ),
                    "too_long" => (
                        "warning",
                        "; its sender runs with a larger payload_max (--payload-max) than this node, whose slots \
                         cannot hold the events it sends: give every node of the cluster the same",
                    ),
                    "elsewhere" => (
                        "warning",
                        "; a leader's frames from another address than its node.N in the cluster file: recorded \
                         and replayed by someone on the LAN, or the cluster files differ in that line",
                    ),
                    _ => ("warning", ""),
                };
                let from = match (reason, rejects.foreign_cluster_seen, rejects.bad_version_seen) {
                    ("foreign_cluster", Some(id), _) => format!("{from}, of cluster {id}"),
                    ("bad_version", _, Some(version)) => format!(
                        "{from}, of wire version {version} where this build speaks {}: every node, client and \
                         tail of a cluster runs one wire version, so upgrade a cluster whole \
                         (docs/OPERATIONS.md, upgrades)",
                        seqcast::wire::VERSION
                    ),
                    _ => from,
                };
                let shape = match (reason, rejects.other_shape_seen, self.tail) {
                    // A sequencer among members: one started with their
                    // cluster file by mistake.
                    ("no_failover", _, Some(_)) => format!(
                        "; node {} leads without failover (a `seqcast sequencer`): a tail with --failover follows \
                         the members of a cluster that elects its leader; to follow a sequencer, run it without \
                         --failover",
                        rejects.no_failover_seen.map_or("?".to_string(), |n| n.to_string())
                    ),
                    ("no_failover", _, None) => format!(
                        "; node {} leads without failover (a `seqcast sequencer` started with this cluster's \
                         file, by mistake?): members take nothing of it, nor do clients with failover. Stop it: \
                         members do not elect a sequencer",
                        rejects.no_failover_seen.map_or("?".to_string(), |n| n.to_string())
                    ),
                    ("other_shape", Some((node, theirs)), Some((nodes, _))) => format!(
                        "; node {node} runs with {}, and this tail's cluster file lists {nodes} nodes: it takes \
                         none of that leader's frames. Give the tail the members' cluster file (if theirs differ \
                         from each other, see docs/OPERATIONS.md, changing the node count)",
                        seqcast::core::shape_text(theirs),
                    ),
                    ("other_shape", Some((node, theirs)), None) => format!(
                        "; node {node} runs with {}, this node with {}: their cluster files differ (node.N lines, \
                         quorum, --nodes, --quorum). Neither takes the other's frames, so each group may elect its \
                         own leader and commit its own events under the same sequences: stop the members whose file \
                         is wrong now (what they committed apart is another history: docs/OPERATIONS.md, changing \
                         the node count)",
                        seqcast::core::shape_text(theirs),
                        seqcast::core::shape_text(self.shape)
                    ),
                    _ => String::new(),
                };
                eprintln!(
                    "{at} {kind}: {who}: dropping datagrams: {reason} ({count} so far{from}; see the {line} \
                     line){routine}{shape}"
                );
            }
        }
    }
}

/// At a leader: says on stderr when a follower falls silent (no ACK for
/// [`SILENT_NS`]: an idle follower still ACKs a HEARTBEAT every
/// `KEEPALIVE_NS`) or, still heard, holds nothing more while the leader has
/// events it lacks, and when it is back; when one id ACKs from two
/// addresses; and when followers are told events they asked for are gone.
#[derive(Default)]
pub(super) struct AckWatch {
    /// By node id.
    followers: Vec<Watched>,
    /// When it last ticked: seconds between two ticks are this process
    /// stopped or starved (SIGSTOP, a paused VM), not its followers silent.
    last_tick: seqcast::core::Nanos,
    source_changes: u64,
    clash_warned: bool,
    /// ACK moves the leader refused, as last seen; ticks in a row with
    /// more of them and no move; whether said.
    moves_refused: u64,
    refused_ticks: u32,
    refused_warned: bool,
    naks_elsewhere: u64,
    events_unrecoverable: u64,
    unrecoverable_sent: u64,
    /// Fewer nodes than the quorum were heard: said once, until they are.
    below_quorum: bool,
    ids_in_use: u64,
    told_unknown: u64,
    /// The newest lost epoch clients named that was said.
    clients_ahead: Option<seqcast::core::Epoch>,
}

/// What [`AckWatch`] knows of one follower since the last tick.
#[derive(Clone, Copy, Default)]
struct Watched {
    /// What it held then.
    held: u64,
    /// Ticks in a row it held nothing more while the leader had more.
    stalled: u64,
    /// Its stall was said.
    warned: bool,
    /// Its silence was said.
    silent: bool,
    /// The promise weaker than the leader's its ACKs were said to make.
    weaker: Option<seqcast::core::Durability>,
    /// Its NAKs counted at the tick before (see `naks_by_member`).
    naks: u64,
}

impl Watched {
    /// A follower whose ACKs promise less than the leader's own count
    /// (another `--journal` or `--sync`) weakens every commit its ACK
    /// completes: said once, and again once it promises as much.
    fn durability(
        &mut self,
        id: usize,
        acked: Option<seqcast::core::Durability>,
        own: seqcast::core::Durability,
        at: &str,
    ) {
        let Some(acked) = acked else { return };
        if acked < own && self.weaker != Some(acked) {
            eprintln!(
                "{at} warning: leader: follower {id} acknowledges what it holds {}, while this leader counts only \
                 what is {}: a commit its ACK completes survives only what that promises (give every node the \
                 same --journal and --sync)",
                acked.describe(),
                own.describe()
            );
            self.weaker = Some(acked);
        } else if acked >= own && self.weaker.is_some() {
            eprintln!("{at} leader: follower {id} now acknowledges only what is {}", acked.describe());
            self.weaker = None;
        }
    }
}

/// A follower not heard for this long is reported silent.
const SILENT_NS: u64 = 2_000_000_000;

/// Ticks (once a second) this far apart are the leader's own process
/// stopped or starved: the silence it then finds is its own. Below
/// `SILENT_NS` by more than an idle follower's ACK interval (250 ms), so
/// a stall that makes followers look silent always counts as one.
const STALLED_NS: u64 = 1_500_000_000;

impl AckWatch {
    pub(super) fn tick(&mut self, leader: &seqcast::core::Leader, me: usize, now: seqcast::core::Nanos) {
        let stalled = self.last_tick != 0 && now.saturating_sub(self.last_tick) >= STALLED_NS;
        self.last_tick = now;
        if stalled {
            // The ACKs that came meanwhile are read from now on.
            return;
        }
        self.sources(leader);
        self.clients(leader);
        self.nak_sources(leader);
        self.gone(leader);
        let held = leader.held();
        // What it may send: after its journal failed, no more than that
        // made durable (the rest waits, and is no follower's to hold).
        let newest = match leader.is_journal_failed() {
            true => leader.seq_next().prev().get().min(leader.seq_durable().get()),
            false => leader.seq_next().prev().get(),
        };
        self.followers.resize(held.len(), Watched::default());
        let at = super::args::clock_time();
        let own = leader.config().durability();
        for (id, (&h, &heard)) in held.iter().zip(leader.last_ack_ns()).enumerate().filter(|&(id, _)| id != me) {
            let f = &mut self.followers[id];
            f.durability(id, leader.ack_durability()[id], own, &at);
            // NAKs since the tick before: alive now, not once (helper 148).
            let naks = leader.naks_by_member().get(id).copied().unwrap_or(0);
            let nak_lately = naks.saturating_sub(std::mem::replace(&mut f.naks, naks));
            let since = now.saturating_sub(if heard == 0 { leader.started_ns() } else { heard });
            if since >= SILENT_NS {
                if !f.silent {
                    // Never heard: what it holds is unknown here, not 0.
                    let secs = since as f64 / 1e9;
                    // A member with failover drops every frame of a
                    // sequencer (its file's, started by mistake): silent.
                    let running = match leader.config().failover {
                        Failover::Off => {
                            "is it running, as `seqcast follower`? a `seqcast member` takes nothing \
                                          from a sequencer;"
                        }
                        _ => "is it running?",
                    };
                    // Helper 147: one taking back a log it lost NAKs, and
                    // ACKs once it holds what it must.
                    let running = match nak_lately {
                        0 => running.to_string(),
                        n => format!("it sent {n} NAKs in the last second: running, and catching up before it ACKs;"),
                    };
                    match heard {
                        0 => eprintln!(
                            "{at} warning: leader: no ACK from follower {id} in the {secs:.1} s since this leader \
                             started ({running} the leader is at {newest})"
                        ),
                        _ => eprintln!(
                            "{at} warning: leader: follower {id} silent for {secs:.1} s (no ACK; it holds up to {h}, \
                             the leader is at {newest})"
                        ),
                    }
                    f.silent = true;
                }
                continue;
            }
            if f.silent {
                // A follower restarted without its journal comes back empty.
                let holds = if h == 0 { "nothing yet".to_string() } else { format!("up to {h}") };
                eprintln!("{at} leader: follower {id} heard again (it holds {holds}; the leader is at {newest})");
                f.silent = false;
            }
            if since >= SILENT_NS / 2 {
                // Falling silent, perhaps: that is said above, not as a stall.
                continue;
            }
            if h < newest && h == f.held {
                f.stalled += 1;
                if f.stalled >= 2 && !f.warned {
                    eprintln!(
                        "{at} warning: leader: follower {id} acknowledged nothing new for {} s (it holds up to {h}, \
                         the leader is at {newest}; heard, so alive: a journal that failed, or a disk slower than \
                         the load? its own output or `seqcast stat` says)",
                        f.stalled
                    );
                    f.warned = true;
                }
            } else {
                if f.warned {
                    eprintln!("{at} leader: follower {id} acknowledges again (up to {h})");
                }
                (f.stalled, f.warned) = (0, false);
            }
            f.held = h;
        }
        self.quorum(leader, me, now);
    }

    /// Fewer nodes than its quorum heard (itself counted), the leader
    /// commits nothing: the followers' own lines say which are silent, this
    /// one what that means for the clients. With a journal, followers that
    /// refuse a sequencer restarted without its own journal stop (exit 3),
    /// and it would otherwise run on taking events it can never commit.
    fn quorum(&mut self, leader: &seqcast::core::Leader, me: usize, now: seqcast::core::Nanos) {
        let config = leader.config();
        let (nodes, quorum) = (config.nodes, config.quorum());
        // One never heard counts for its first seconds, as in its own line.
        let since = |at: u64| now.saturating_sub(if at == 0 { leader.started_ns() } else { at });
        let heard = leader.last_ack_ns().iter().enumerate().filter(|&(id, &at)| id == me || since(at) < SILENT_NS);
        let heard = heard.count();
        let (at, commit) = (super::args::clock_time(), leader.commit());
        if heard < quorum && !self.below_quorum {
            eprintln!(
                "{at} warning: leader: {heard} of {nodes} nodes heard in the last {} s (this one counted), below the \
                 quorum of {quorum}: nothing commits past {commit} until more followers acknowledge; no client is \
                 told of a commit meanwhile (once the in-flight bound fills, they are told BUSY)",
                SILENT_NS / 1_000_000_000
            );
        } else if heard >= quorum && self.below_quorum {
            eprintln!("{at} leader: {heard} of {nodes} nodes heard again, a quorum: commits go on from {commit}");
        }
        self.below_quorum = heard < quorum;
    }

    /// SUBMITs that can only be another process's under a client's id,
    /// said once a second while they come.
    fn clients(&mut self, leader: &seqcast::core::Leader) {
        let count = leader.stats().ids_in_use;
        let new = count.saturating_sub(std::mem::replace(&mut self.ids_in_use, count));
        if new > 0 {
            eprintln!(
                "{} warning: leader: {new} SUBMITs named requests of a client id whose events came from another \
                 process (two clients given one id, or one restarted under its old id): told so (BUSY reason 8), \
                 nothing of them taken",
                super::args::clock_time()
            );
        }
        if let Some(lost) = leader.clients_ahead().filter(|&lost| self.clients_ahead.is_none_or(|said| lost > said)) {
            self.clients_ahead = Some(lost);
            eprintln!(
                "{} warning: leader: clients name epoch {lost}, newer than this leader's {}, though a quorum still \
                 acknowledges it: members lost epochs they had promised (journals wiped, or restarted without them \
                 and without --rejoin), and with them, maybe, events that epoch's leader told its clients were \
                 committed; such clients are answered in their epoch",
                super::args::clock_time(),
                leader.epoch()
            );
        }
        let count = leader.stats().told_unknown;
        let new = count.saturating_sub(std::mem::replace(&mut self.told_unknown, count));
        if let Some((client, first, end)) = leader.told_unknown_last().filter(|_| new > 0) {
            eprintln!(
                "{} warning: leader: {new} SUBMITs came from clients told of commits this leader has no record of \
                 (the latest, client {client}: requests {}): the cluster lost events it had said were committed \
                 (journals wiped, or members restarted without theirs and without --rejoin); answered in doubt (BUSY \
                 reason 4). A member that kept its journal still holds them (`seqcast journal dump`), and refuses \
                 this leader's log (exit 3)",
                super::args::clock_time(),
                if end - first == 1 { first.to_string() } else { format!("{first}..={}", end - 1) }
            );
        }
    }

    /// One node's id ACKing from one address, then another, is a restart
    /// on a new port; from two addresses in turn, two nodes given one id.
    /// ACKs of one id from elsewhere that move nothing, a second after
    /// another, are another process with that id, or a replay (a follower
    /// restarted on a new port is refused only until its old address has
    /// been silent for two keepalives, and then moves).
    fn sources(&mut self, leader: &seqcast::core::Leader) {
        let changes = leader.stats().ack_source_changes;
        let new = changes.saturating_sub(std::mem::replace(&mut self.source_changes, changes));
        let refused = leader.stats().ack_moves_refused;
        let grew = refused > std::mem::replace(&mut self.moves_refused, refused);
        self.refused_ticks = if grew && new == 0 { self.refused_ticks + 1 } else { 0 };
        if self.refused_ticks >= 2
            && !std::mem::replace(&mut self.refused_warned, true)
            && let Some((id, at_addr, from)) = leader.ack_source_changed()
        {
            eprintln!(
                "{} warning: leader: ACKs of follower {id} come from {from} while it acknowledges from {at_addr}; \
                 its repairs stay at {at_addr}: another node running with --id {id}, or its ACKs recorded and \
                 replayed from elsewhere (counted in ack_moves_refused)",
                super::args::clock_time()
            );
        }
        let Some((id, before, after)) = leader.ack_source_changed().filter(|_| new > 0) else { return };
        let at = super::args::clock_time();
        if new == 1 {
            eprintln!("{at} leader: follower {id} now acknowledges from {after} (before: {before})");
        } else if !self.clash_warned {
            self.clash_warned = true;
            eprintln!(
                "{at} warning: leader: follower {id} acknowledges from {before} and {after} in turn ({new} changes \
                 in a second): are two nodes running with --id {id}?"
            );
        }
    }

    /// A member's NAKs from another address than its repairs go to, said
    /// once: the repairs do not reach whoever sent them.
    fn nak_sources(&mut self, leader: &seqcast::core::Leader) {
        let count = leader.stats().naks_elsewhere;
        if self.naks_elsewhere != 0 || count == 0 {
            return;
        }
        self.naks_elsewhere = count;
        let Some((id, from, dest)) = leader.nak_source_differs() else { return };
        eprintln!(
            "{} warning: leader: NAKs in follower {id}'s name come from {from}, but its repairs go to {dest} (its \
             address in the cluster file, or where its ACKs come from): is another process running with --id \
             {id}, or does node {id} send from an address other than the file's?",
            super::args::clock_time()
        );
    }

    /// UNRECOVERABLEs sent since the last tick, with the span of all so far.
    fn gone(&mut self, leader: &seqcast::core::Leader) {
        let (events, sent) = (leader.stats().events_unrecoverable, leader.stats().unrecoverable_sent);
        // A member elected again leads with counts from 0.
        let new = events.saturating_sub(std::mem::replace(&mut self.events_unrecoverable, events));
        let replies = sent.saturating_sub(std::mem::replace(&mut self.unrecoverable_sent, sent));
        if let Some((first, end)) = leader.unrecoverable_span().filter(|_| new > 0) {
            // A reader asking again is told again: the count is of
            // sequences named in replies, the span of what is gone.
            // With failover the reader asks the other members next, and
            // only it knows whether they had them (helper 159: with an
            // archive member every late reader raised this as a loss).
            let who = match leader.config().failover {
                seqcast::core::Failover::Off => "",
                _ => {
                    "; a member, or a tail run with --failover, asks the other members for them next (one that \
                     keeps more, an archive, serves them) and says itself if none has them"
                }
            };
            eprintln!(
                "{} warning: leader: told a follower or a tail that sequences it asked for are gone from it ({replies} \
                 UNRECOVERABLE(s) naming {new} sequences, repeats counted; all gone so far within {first}..={}): out \
                 of the ring, and not in the journal (none, or retention deleted them){who}",
                super::args::clock_time(),
                end - 1
            );
        }
    }
}

/// The banner's authentication line, and what every status line starts
/// with: a warning where a node runs keyless off loopback (`--insecure`;
/// see [`off_loopback`](super::args::off_loopback)).
pub(super) fn auth_text(
    resolved: &seqcast::net::cluster::Cluster,
    keyed: bool,
    listen: Ipv4Addr,
) -> (String, &'static str) {
    match (&resolved.key_file, keyed) {
        (Some(path), true) => (format!("authentication: every datagram tagged, keys from {}", path.display()), ""),
        _ if super::args::off_loopback(resolved.multicast.interface, Some(listen)).is_none() => {
            ("authentication: none (loopback only; --key-file FILE adds it)".into(), "")
        }
        _ => ("authentication: NONE (--insecure): anyone on the LAN can forge frames".into(), "INSECURE "),
    }
}

/// The banner's journal line.
pub(super) fn journal_text(journal: Option<&seqcast::journal::JournalOptions>) -> String {
    match journal {
        Some(j) => {
            // What retention keeps: history older than that is gone for a
            // follower or a tail that asks (UNRECOVERABLE).
            // Given both, a segment goes once either says so (helper 159:
            // "at least N events and at most B bytes" kept fewer events).
            let kept = match (j.retain_events, j.retain_bytes) {
                (Some(n), None) => Some(format!("at least the newest {n} events")),
                (None, Some(b)) => Some(format!("at most {b} bytes")),
                (Some(n), Some(b)) => {
                    Some(format!("the newest {n} events, or fewer where they take more than {b} bytes"))
                }
                (None, None) => None,
            };
            let mut retention = match kept {
                Some(kept) => format!("; retention: keeps {kept}, whole segments deleted"),
                None => String::new(),
            };
            if let Some(rate) = j.history_rate {
                retention.push_str(&format!("; history served from it at most {rate} bytes/s"));
            }
            // Each segment takes its whole size on disk from the start.
            let segment = match j.segment_bytes {
                n if n.is_multiple_of(1 << 20) => format!("{} MiB", n >> 20),
                n if n.is_multiple_of(1 << 10) => format!("{} KiB", n >> 10),
                n => format!("{n} bytes"),
            };
            format!(
                "journal: {} (sync {}; ACKs wait for it; segments of {segment} each, preallocated{retention})",
                j.dir.display(),
                match j.sync {
                    seqcast::journal::SyncLevel::None => "none: survives a crash of this process, not of the machine",
                    seqcast::journal::SyncLevel::Batch => "batch: fdatasync once per turn, survives power loss",
                }
            )
        }
        None => "journal: none (the log is in memory only; --journal DIR keeps it on disk)".to_string(),
    }
}

/// A leader not heard for this long is silent: a member says so in its
/// status line (and counts the seconds towards its leaderless warning), and
/// a tail leaves a stalled commit to the silence warning.
pub(super) const LEADER_SILENT_NS: u64 = 1_000_000_000;

/// Whether `journal`'s directory is yet to be made (checked before the
/// node opens it): a mistyped `--journal` starts an empty log.
pub(super) fn journal_made(journal: Option<&seqcast::journal::JournalOptions>) -> bool {
    journal.is_some_and(|j| !j.dir.exists())
}

/// The banner's line on a journal that held nothing at start: its
/// directory was `made` now, and what an empty log means for a `sequencer`.
pub(super) fn empty_journal_text(
    journal: Option<&seqcast::journal::JournalOptions>,
    recovery: Option<&seqcast::journal::Recovery>,
    made: bool,
    sequencer: bool,
) -> Option<String> {
    if journal.is_none() || recovery.is_some_and(|r| r.range.is_some()) {
        return None;
    }
    let what = if made { "its directory did not exist and was made now" } else { "it holds no events" };
    let then = if sequencer {
        ": a new log from sequence 1. A sequencer that ran before is restarted on its own journal (check \
         --journal): followers that hold more of the old log refuse this one and stop (exit 3)"
    } else {
        ": this node starts empty (check --journal if it ran before)"
    };
    (made || sequencer).then(|| format!("journal: {what}{then}"))
}

/// What a follower that refused a sequencer's log keeps of it (see
/// `Follower::refused_log`), for its error line.
fn refusal_kept(follower: &seqcast::core::Follower) -> &'static str {
    match follower.refused_log() {
        Some(_) => {
            "; a refused-log file beside them keeps this refusal: a later sequencer whose log it cannot check \
             against its own (retention deleted its event at this follower's commit) is refused too, until one \
             shows it"
        }
        None => "",
    }
}

/// Where retention deleted old segments as the node started, after its
/// `resumed:` line (helper 159: that line named sequences the node then
/// deleted, and nothing said otherwise). A follower or a member
/// (`replayed`) replays its journal to its application first (helper 170:
/// then nothing said it).
pub(super) fn retained_at_start_text(
    recovery: Option<&seqcast::journal::Recovery>,
    now: Option<Seq>,
    replayed: bool,
) -> Option<String> {
    let (first, _) = recovery?.range?;
    let now = now.filter(|&now| now > first)?;
    let when = if replayed { "once it had replayed them to its application" } else { "as it started" };
    Some(format!(
        "retention: deleted sequences {first}..={} {when} (whole segments, as the journal line says): its \
         records begin at {now}",
        now.prev()
    ))
}

/// The banner's line on what a journal held at start; `member`: a
/// member's, which keeps only what it knew committed of a damaged journal.
/// A follower that refused a newer epoch's sequencer (or stopped at its
/// restart), where that one sent from another address than the sequencer
/// it followed, heard shortly before: helper 170 started a second
/// sequencer by mistake beside a running one, and every follower said "the
/// sequencer restarted" and stopped. They must (epochs fence: a follower
/// staying with the older one while another took the newer would let both
/// commit); the line says what else it may be.
fn second_sequencer_hint(follower: &seqcast::core::Follower, now: seqcast::core::Nanos) -> String {
    let (Some(newer), Some(followed)) = (follower.newer_from(), follower.leader_addr()) else { return String::new() };
    let ago = std::time::Duration::from_nanos(follower.leader_heard_ns_ago(now));
    if newer == followed || ago > std::time::Duration::from_secs(2) {
        return String::new();
    }
    format!(
        ". The newer sequencer sent from {newer}; the one this follower followed, at {followed}, was heard {} ms \
         before: if it still runs, the newer one is a second sequencer started by mistake (a restart takes the \
         address it had): stop the one that should not run, then start this follower again",
        ago.as_millis()
    )
}

/// The commit a follower knew, for a refusal: "seq 1..=5", or "none".
fn knew_committed(committed: Seq) -> String {
    match committed {
        Seq::ZERO => "none".to_string(),
        c => format!("seq 1..={c}"),
    }
}

/// What a follower that delivered on receipt and withdrew it does when
/// restarted (see [`knew_committed`]).
fn receipt_restart(committed: Seq) -> String {
    match committed {
        Seq::ZERO => "it knew nothing committed, and takes the sequencer's log from seq 1".to_string(),
        c => format!("it keeps what it knew committed (up to seq {c}) and takes the rest from the sequencer"),
    }
}

/// The last record a resumed follower handed its application before it
/// stopped, by how it delivers now and what its journal says it did then.
fn handed_before(r: &seqcast::journal::Recovery, who: Resumer) -> Option<Seq> {
    let (_, last) = r.range?;
    match who {
        Resumer::OnReceipt => Some(last),
        Resumer::OnCommit => r.handed_out.map(|handed| handed.min(last)),
        Resumer::Node | Resumer::Member => None,
    }
}

/// Who resumes a journal, as [`recovery_text`] tells it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Resumer {
    /// A sequencer.
    Node,
    /// A follower that delivers on commit: it handed out its records past
    /// its commit before it stopped only as far as its journal's
    /// `handed-out` file says (it delivered on receipt then).
    OnCommit,
    /// A follower that delivers on receipt: it handed out its records past
    /// its commit before it stopped.
    OnReceipt,
    /// A member (with failover).
    Member,
}

pub(super) fn recovery_text(recovery: Option<&seqcast::journal::Recovery>, then: &str, who: Resumer) -> Option<String> {
    let r = recovery?;
    let member = who == Resumer::Member;
    let removed = r.empty_removed.as_ref().map(|path| {
        format!(
            "the newest segment, {}, held no record (its creation, or its first write, did not finish) and was \
             removed",
            path.display()
        )
    });
    let mut text = match r.range {
        Some((first, last)) => {
            // A record knows the commit of when it was written: the last
            // ones were committed later, as far as anyone told this node.
            let unconfirmed = match r.commit.next().max(first) {
                // Truncated at start to its commit (see `storage::resume_member`).
                next if next <= last && member && r.damaged() => format!(
                    " by what its records show ({next}..={last} were dropped with the damage below: a member keeps \
                     only what it knew committed, and fetches the rest again)"
                ),
                next if next <= last && member && !r.member_claim().is_some_and(|(_, whole, _)| whole) => format!(
                    " by what its records show ({next}..={last} are dropped: without a whole claim a member keeps \
                     only what it knew committed, and fetches the rest again)"
                ),
                next if let Some(handed) = handed_before(r, who).filter(|&handed| handed >= next) => format!(
                    " by what its records show ({next}..={handed} it delivered on receipt before it stopped: replayed \
                     too, and it follows only a log that holds them{})",
                    match handed < last {
                        true => format!("; {}..={last} wait to be confirmed again", handed.next()),
                        false => String::new(),
                    }
                ),
                next if next <= last => {
                    format!(" by what its records show ({next}..={last} wait to be confirmed again)")
                }
                _ => String::new(),
            };
            let mut text = format!(
                "resumed: journal held sequences {first}..={last}, committed up to {}{unconfirmed}: {then}",
                r.commit
            );
            if let Some(removed) = &removed {
                text.push_str(&format!("; {removed}"));
            }
            text
        }
        // Damage before its first good record: every segment was dropped.
        None if r.damaged() => format!(
            "journal: no good record before the damage below: all its {} segment(s) held was dropped, and the node \
             starts empty{}",
            r.segments,
            removed.as_ref().map_or(String::new(), |removed| format!("; {removed}"))
        ),
        // Its segment files removed, the commit file beside them kept.
        None if let Some(commit) = r.commit_file_beyond => format!(
            "journal: no record, though its commit file says sequences up to {commit} were committed: it starts \
             empty{}{}",
            if member && r.claim.is_some_and(|(_, whole, _)| whole) {
                " and votes with its claim, as a member that never held an event (were its segment files removed? \
                 then stop it, move its whole directory aside, and start it with --rejoin)"
            } else {
                ""
            },
            removed.as_ref().map_or(String::new(), |removed| format!("; {removed}"))
        ),
        // Truncated to nothing at an earlier start on damage: what it
        // reached is all it says (helper 148: it said nothing).
        None if let Some(reach) = r.reach.filter(|_| member) => format!(
            "journal: no record; before an earlier start dropped records, its journal reached sequence {} (epoch \
             {}): it votes for no shorter log until it holds as much again (its `reach` file keeps that)",
            reach.seq, reach.epoch
        ),
        None => return removed.map(|text| format!("journal: {text}")),
    };
    if let Some((path, at, bytes)) = &r.torn {
        let plural = if *bytes == 1 { "" } else { "s" };
        text.push_str(&format!(
            "; the torn last write at byte {at} of {} was cleared ({bytes} byte{plural}, up to its last one not zero)",
            path.display()
        ));
    }
    if let Some(path) = &r.commit_file_damaged {
        text.push_str(&format!(
            "; its commit file, {}, is damaged and was ignored (the commit is what the records show)",
            path.display()
        ));
    }
    if let Some((path, seq)) = &r.corrupt {
        text.push_str(&format!(
            "; sequence {seq} was corrupt in {}, it and what followed are fetched again",
            path.display()
        ));
    }
    if let Some((path, first, end)) = &r.missing {
        text.push_str(&format!(
            "; sequences {first}..={} were in a segment file that is gone (before {}), or lost with the power at \
             --sync none: they and what followed are fetched again",
            end.prev(),
            path.display()
        ));
    }
    for (first, end) in &r.gaps {
        text.push_str(&format!(
            "; sequences {first}..={} are in no segment (never held, or a segment file gone): reported lost",
            end.prev()
        ));
    }
    if let Some(path) = r.reach_file_damaged.as_ref().filter(|_| member) {
        text.push_str(&format!(
            "; its reach file, {}, is damaged and was ignored (how far the journal reached before an earlier start \
             dropped records is not known: it votes as its records and claim say)",
            path.display()
        ));
    }
    if let Some(reach) = r.member_reach().filter(|_| member && (r.range.is_some() || r.damaged())) {
        // Helper 145: what a damaged member held is what an operator must
        // compare before `seqcast promote --count-incomplete-votes`.
        // Helper 170: a journal copied for a new member (no claim, every
        // record committed) dropped nothing, and was told it had.
        let reached = match reach.seq > r.commit || r.damaged() || r.reach.is_some() {
            true => "before records were dropped its journal reached",
            false => "without a whole claim (a copy, or its claim file removed) its journal reaches",
        };
        text.push_str(&format!(
            "; {reached} sequence {} (epoch {}): it votes for no shorter log until it holds as much again (its \
             `reach` file keeps that)",
            reach.seq, reach.epoch
        ));
    }
    Some(text)
}

/// How many system calls carried the datagrams (UDP GSO and GRO batch them).
pub fn io_text(driver: &Driver) -> String {
    let s = driver.stats();
    let [short, no_key, bad_tag] = s.auth_failed;
    format!(
        "sent {} datagrams in {} system calls ({} refused: buffer full), received {} in {} messages, {} turns, \
         timer armed {} times; failed authentication {} (short {short}, no key {no_key}, bad tag {bad_tag}){}",
        s.datagrams_out,
        s.send_calls,
        s.send_would_block,
        s.datagrams_in,
        s.messages_in,
        s.turns,
        s.timer_arms,
        short + no_key + bad_tag,
        match (s.send_errors, s.recv_errors) {
            (0, 0) => String::new(),
            (send, recv) => format!("; socket errors: send {send}, receive {recv}"),
        },
    ) + &match s.oversize {
        0 => String::new(),
        n => format!("; longer than the mtu {n}"),
    }
}

/// The non-zero reject counters, by name: those the driver dropped
/// unopened first, as the metrics count them (helper 149: a node with the
/// wrong key said `rejects 0` while `seqcast stat` showed 3,824).
pub fn rejects_text(rejects: &Rejects, io: &DriverStats) -> String {
    let parts: Vec<String> = io
        .unopened()
        .into_iter()
        .chain(rejects.by_reason())
        .filter(|r| r.1 > 0)
        .map(|(name, count)| format!("{name}={count}"))
        .collect();
    let total = rejects_total(rejects, io);
    format!("{total} ({})", if parts.is_empty() { "none".into() } else { parts.join(" ") })
}

/// Datagrams dropped on receipt, the driver's and the role's.
pub fn rejects_total(rejects: &Rejects, io: &DriverStats) -> u64 {
    rejects.total() + io.unopened().iter().map(|r| r.1).sum::<u64>()
}

pub(super) fn write_histogram(output: &OutputArgs, name: &str, histogram: &hdrhistogram::Histogram<u64>) {
    let path = output.out.join(format!("{name}.hdr"));
    // One name a node: a restart (or a second process with its id) writes
    // over the last run's.
    let replaced = if path.exists() { " (replacing the one there: --out DIR keeps runs apart)" } else { "" };
    match report::save(&path, histogram) {
        Ok(()) => println!("histogram written to {}{replaced}", path.display()),
        Err(e) => eprintln!("warning: could not write {}: {e}", path.display()),
    }
}

/// Refuses, before it is opened, a journal that holds a member's claim
/// file: it was kept by `seqcast member` (a cluster with failover). A
/// sequencer would append its own log to it, in an epoch of its wall clock
/// that no member elected, and a member later started on it would stand
/// with that log (an operator's trial ran a sequencer on a stopped
/// member's journal, its host's: the two running members refused its log,
/// exited 3 and wrote their `refused` files). Looked at before the journal
/// is opened, which may truncate a torn tail; a claim with no record yet
/// (a member that voted before any event) counts too. `who` is the node
/// ("sequencer", "follower 1").
fn member_journal_refused(journal: Option<&seqcast::journal::JournalOptions>, who: &str) -> Option<String> {
    let journal = journal.filter(|j| j.dir.join("claim").is_file())?;
    Some(format!(
        "{who}: the journal {} holds a member's claim file: `seqcast member` kept it, in a cluster with failover \
         (was `seqcast member` meant, or another --journal?). Resumed here, without failover, its log would go on \
         under a sequencer in an epoch no member elected: it stops here, having opened nothing. To run this log \
         without failover from now on, stop every member and move each one's claim file ({}) aside",
        journal.dir.display(),
        journal.dir.join("claim").display()
    ))
}

/// The least `--window-events` a follower takes: a few datagrams' events.
const WINDOW_EVENTS_MIN: usize = 64;

/// A node stopped by an event longer than its `payload_max` lets it hold
/// ([`Follower::too_long`](seqcast::core::Follower::too_long)): nothing
/// from there on can be delivered, so it says why and exits 1.
pub(super) fn too_long_exit(who: &str, (seq, payload): (Seq, usize), payload_max: usize) -> ExitCode {
    eprintln!(
        "error: {who}: sequence {seq} holds a {payload}-byte event, more than this node's payload_max \
         ({payload_max}) lets it hold: it could deliver nothing from there on, and stops. Every node of a \
         cluster needs the same payload_max (--payload-max, or payload_max in the cluster file)"
    );
    ExitCode::from(1)
}

/// After the delivery row: the events it delivered that its leader had
/// sequenced before this node heard it, which that row leaves out.
pub(super) fn caught_up_line(caught_up: u64) {
    if caught_up > 0 {
        println!(
            "caught up: {caught_up} events sequenced before this node first heard a leader, or led (it started \
             late or restarted), not in the delivery row: their stamp → delivery time is how far behind it \
             started"
        );
    }
}

/// The cluster as the sequencer runs it: as the leader's node (the cluster
/// file's `leader`, or `--leader-id`/`--id`), its multicast interface that
/// node's address.
fn sequencer_cluster(args: &SequencerArgs) -> Result<seqcast::net::cluster::Cluster, String> {
    let cluster = ClusterArgs { leader_id: args.cluster.leader_id.or(args.id), ..args.cluster.clone() };
    cluster.resolve(Some(cluster.leader()?))
}

/// Runs `seqcast sequencer`.
pub fn sequencer(args: &SequencerArgs) -> ExitCode {
    let mut resolved = match sequencer_cluster(args) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    resolved.config.epoch = args.epoch.map_or_else(net::fresh_epoch, Epoch);
    let config = &mut resolved.config;
    config.ring_events = args.ring_events.unwrap_or(config.ring_events);
    config.in_flight_max = args.in_flight_max.unwrap_or(config.in_flight_max);
    config.client_idle_ns = args.client_idle_ms.map_or(config.client_idle_ns, |ms| ms.saturating_mul(1_000_000));
    if let Err(e) = config.validate() {
        return fail(super::args::config_error(&e));
    }
    let listen = args.listen.unwrap_or_else(|| resolved.leader_addr());
    let tuning = match start_node(&args.tuning, &args.cluster, &resolved, Some(*listen.ip()), Some(&args.output)) {
        Ok(tuning) => tuning,
        Err(e) => return fail(e),
    };
    let journal = match args.journal.options(&resolved, resolved.config.leader) {
        Ok(journal) => journal,
        Err(e) => return fail(e),
    };
    if let Some(refused) = member_journal_refused(journal.as_ref(), "sequencer") {
        return fail(refused);
    }
    let metrics = match super::metrics::serve_node(args.output.metrics) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let made = journal_made(journal.as_ref());
    let mut node =
        match LeaderNode::bind(resolved.config.clone(), listen, &resolved.multicast, &tuning, journal.as_ref()) {
            Ok(node) => node,
            Err(e) => return fail(e),
        };
    let config = &resolved.config;
    let m = &resolved.multicast;
    println!(
        "seqcast sequencer: node {} of {} in cluster {} epoch {}, listening on {}, group {} via {} ttl {}, quorum {}, idle {}",
        config.leader,
        config.nodes,
        config.cluster_id,
        config.epoch,
        node.local_addr().map_or_else(|_| listen.to_string(), |a| a.to_string()),
        m.group,
        m.interface,
        m.ttl,
        config.quorum(),
        tuning.idle
    );
    println!("{}", journal_text(journal.as_ref()));
    let (auth, warn) = auth_text(&resolved, tuning.keys.is_some(), *listen.ip());
    println!("{auth}");
    if let Some(text) = recovery_text(node.recovery(), "the leader's log, resumed in the new epoch", Resumer::Node) {
        println!("{text}");
    }
    if let Some(text) = retained_at_start_text(node.recovery(), node.journal_first(), false) {
        println!("{text}");
    }
    if let Some(text) = empty_journal_text(journal.as_ref(), node.recovery(), made, true) {
        println!("{text}");
    }
    let (mut last, mut last_at) = (LeaderStats::default(), std::time::Instant::now());
    let quiet = args.output.quiet;
    super::metrics::note_node(
        &metrics,
        (config.cluster_id, m.group),
        config.leader,
        seqcast::net::metrics::NodeKind::Sequencer,
    );
    let me = config.leader.0;
    let (mut reject_watch, mut ack_watch) = (RejectWatch::new(config.shape()), AckWatch::default());
    let result = node.run(&net::stop_requested, |leader, driver| {
        reject_watch.tick("leader", leader.rejects(), driver);
        ack_watch.tick(leader, usize::from(me), driver.now());
        metrics.publish(seqcast::net::metrics::leader_page(config.leader, leader, driver));
        if !quiet {
            let s = leader.stats();
            println!(
                "{warn}[leader{}] stamped {} (+{}/s) up to {} commit {} in_flight {} naks {} retransmitted {} busy {} srtt {:.1} µs rejects {} at {}",
                if leader.is_journal_failed() { ", journal failed" } else { "" },
                s.events_stamped,
                per_second(s.events_stamped - last.events_stamped, &mut last_at),
                leader.seq_next().prev(),
                leader.commit(),
                leader.in_flight(),
                s.naks,
                s.events_retransmitted,
                s.busy_sent,
                leader.srtt_ns() as f64 / 1000.0,
                rejects_total(leader.rejects(), driver.stats()),
                super::args::clock_time()
            );
            last = *s;
        }
    });
    if let Err(e) = result {
        return fail(e);
    }
    let leader = node.leader();
    let s = leader.stats();
    println!(
        "stopped: stamped {} (up to {}), committed {}, duplicates {}, naks {}, retransmitted {}, of which from the \
         journal {}, unrecoverable {} (naming {} sequences), busy {}, client ids in use {}",
        s.events_stamped,
        leader.seq_next().prev(),
        leader.commit(),
        s.duplicates,
        s.naks,
        s.events_retransmitted,
        s.events_from_journal,
        s.unrecoverable_sent,
        s.events_unrecoverable,
        s.busy_sent,
        s.ids_in_use
    );
    println!(
        "sent: DATA {} ({:.1} events each), HEARTBEAT {}, COMMIT {}, RETRANSMIT {}, BUSY {}; received ACK {}, NAK {}",
        s.data_sent,
        s.events_sent as f64 / s.data_sent.max(1) as f64,
        s.heartbeats_sent,
        s.commits_sent,
        s.retransmits_sent,
        s.busy_sent,
        s.acks,
        s.naks
    );
    println!("rejects: {}", rejects_text(leader.rejects(), node.driver().stats()));
    println!(
        "limits: repairs over budget {}, repairs overflowed {}, implausible round trips {}, clients evicted {}",
        s.repairs_over_budget, s.repairs_overflow, s.rtt_samples_implausible, s.clients_evicted
    );
    println!("io: {}", io_text(node.driver()));
    println!("clock: {}", tuning.clock.name());
    println!("{}", report::table_header());
    println!("{}", report::table_row("ack round trip", node.ack_rtt()));
    write_histogram(&args.output, &format!("leader-{}-ack-rtt", config.leader), node.ack_rtt());
    let Some((follower, held, newest)) = leader.foreign_ack() else {
        return if leader.is_journal_failed() { journal_failed_exit("the sequencer") } else { ExitCode::SUCCESS };
    };
    eprintln!(
        "error: follower {follower} acknowledged sequence {held}, beyond the {newest} this sequencer has sequenced \
         in epoch {}: the cluster holds a history this sequencer lacks (was it started without its journal, or \
         with another's?). It committed nothing after that ACK and stops, rather than give sequences the cluster \
         may have committed to new events. Start it again on its own journal (--journal); to begin a new log \
         instead, move every node's journal aside",
        config.epoch
    );
    ExitCode::from(3)
}

/// Runs `seqcast follower`.
pub fn follower(args: &FollowerArgs) -> ExitCode {
    let id = NodeId(args.id);
    let mut resolved = match args.cluster.resolve(Some(id)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    resolved.config.deliver = args.deliver.into();
    resolved.config.window_events = args.window_events.unwrap_or(resolved.config.window_events);
    // A follower has no in-flight bound of its own, and cannot know its
    // leader's (helper 140: --window-events 8192 behind a leader of 4096 in
    // flight was refused as below 16384, the default): its window is what
    // the help asks of the operator, at least the leader's.
    if resolved.config.window_events < WINDOW_EVENTS_MIN {
        return fail(format!(
            "--window-events {} is below {WINDOW_EVENTS_MIN}: give at least the leader's --in-flight-max (16384 \
             by default)",
            resolved.config.window_events
        ));
    }
    resolved.config.in_flight_max = resolved.config.in_flight_max.min(resolved.config.window_events);
    // Learned from the leader's first frame.
    resolved.config.epoch = Epoch::ZERO;
    if let Err(e) = resolved.config.validate() {
        return fail(super::args::config_error(&e));
    }
    let listen = args.listen.or(resolved.node(id)).unwrap_or(SocketAddrV4::new(resolved.multicast.interface, 0));
    let tuning = match start_node(&args.tuning, &args.cluster, &resolved, Some(*listen.ip()), Some(&args.output)) {
        Ok(tuning) => tuning,
        Err(e) => return fail(e),
    };
    if args.journal.history_rate.is_some() {
        // A follower serves nobody history: only a leader does.
        return fail(
            "--history-rate caps the history a leader serves; a follower serves none (give it to the \
                     sequencer, or to every member)",
        );
    }
    let journal = match args.journal.options(&resolved, id) {
        Ok(journal) => journal,
        Err(e) => return fail(e),
    };
    if let Some(refused) = member_journal_refused(journal.as_ref(), &format!("follower {id}")) {
        return fail(refused);
    }
    let metrics = match super::metrics::serve_node(args.output.metrics) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let made = journal_made(journal.as_ref());
    let mut node =
        match FollowerNode::bind(resolved.config.clone(), id, listen, &resolved.multicast, &tuning, journal.as_ref()) {
            Ok(node) => node,
            Err(e) => return fail(e),
        };
    let m = &resolved.multicast;
    println!(
        "seqcast follower: node {} of {} in cluster {}, group {} via {} (repairs to {}), deliver on {}, idle {}",
        id,
        resolved.config.nodes,
        resolved.config.cluster_id,
        m.group,
        m.interface,
        node.local_addr().map_or_else(|_| listen.to_string(), |a| a.to_string()),
        super::args::spelt(&args.deliver),
        tuning.idle
    );
    println!("{}", journal_text(journal.as_ref()));
    let (auth, warn) = auth_text(&resolved, tuning.keys.is_some(), *listen.ip());
    println!("{auth}");
    let who = match resolved.config.deliver {
        seqcast::core::Deliver::OnReceive => Resumer::OnReceipt,
        seqcast::core::Deliver::OnCommit => Resumer::OnCommit,
    };
    if let Some(text) = recovery_text(node.recovery(), "replayed to the application, then the leader's log", who) {
        println!("{text}");
    }
    if let Some(text) = empty_journal_text(journal.as_ref(), node.recovery(), made, false) {
        println!("{text}");
    }
    let quiet = args.output.quiet;
    let (mut last, mut last_at) = (FollowerStats::default(), std::time::Instant::now());
    let restarted = Cell::new(None);
    let lost = Cell::new(LostSpan::default());
    // Handed to the application, what the journal replayed at start
    // included (as a member counts them): what `seqcast stat` shows.
    let delivered = Cell::new(0u64);
    let mut silence = Silence::starting();
    let mut unanswered = Unanswered::default();
    let mut reject_watch = RejectWatch::new(resolved.config.shape());
    super::metrics::note_node(
        &metrics,
        (resolved.config.cluster_id, resolved.multicast.group),
        id,
        seqcast::net::metrics::NodeKind::Follower,
    );
    let too_long = Cell::new(None);
    let older_said = Cell::new(false);
    // A restarted sequencer asked for its event at a sequence, seen at the
    // last tick, and whether the wait was said.
    let (mut probe_seen, mut probe_said) = (None, false);
    let epoch_seen = Cell::new(seqcast::core::Epoch::ZERO);
    let stop = || net::stop_requested() || restarted.get().is_some() || too_long.get().is_some();
    let mut on_event = |event: &Event<'_>| match event {
        Event::LeaderRestarted { old, new, in_doubt } => restarted.set(Some((*old, *new, *in_doubt))),
        Event::Lost { first, end } => {
            let mut span = lost.get();
            span.note(*first, *end);
            lost.set(span);
        }
        Event::Deliver(_) => delivered.set(delivered.get() + 1),
    };
    // Its retention waits for the replay: what it deleted then, said.
    if let Err(e) = node.replay_journal(&stop, &mut on_event) {
        return fail(e);
    }
    if let Some(text) = retained_at_start_text(node.recovery(), node.journal_first(), true) {
        println!("{text}");
    }
    let result = node.run(
        &stop,
        &mut on_event,
        |follower, driver| {
            too_long.set(follower.too_long());
            let s = follower.stats();
            let ago = std::time::Duration::from_nanos(follower.leader_heard_ns_ago(driver.now()));
            let asked = first_epoch_hint(follower, "follower");
            silence.tick(s.leader_frames(), ago, &format!("follower {id}"), "", asked.as_deref());
            unanswered.tick(follower, driver.now(), &format!("follower {id}"));
            if s.lost > last.lost {
                lost.get().warn(&format!("follower {id}"), s.lost - last.lost, s.events_asked_of_members > 0);
            }
            reject_watch.tick(&format!("follower {id}"), follower.rejects(), driver);
            // A sequencer restarted in a new epoch on its journal: followed
            // on, which its status line alone would not say.
            let (epoch, was) = (follower.epoch(), epoch_seen.replace(follower.epoch()));
            if s.leaders_unchecked > last.leaders_unchecked {
                // Helper 161: taken without a word but a loss warning.
                eprintln!(
                    "{} warning: follower {id}: follows the sequencer's epoch {epoch} on where its log starts alone, \
                     without comparing its event at the last sequence this follower kept with its own: the \
                     sequencer no longer holds it (retention deleted it), or this follower does not (a commit file \
                     past its journal's records). If that sequencer ever ran on another journal than the one this \
                     follower's history came from, the two histories differ from there",
                    super::args::clock_time()
                );
            } else if epoch != was && was != seqcast::core::Epoch::ZERO && epoch != seqcast::core::Epoch::ZERO {
                eprintln!(
                    "{} follower {id}: follows the sequencer's new epoch {epoch} (it was {was}): it restarted and \
                     resumed its log, which reaches all this follower knew committed",
                    super::args::clock_time()
                );
            }
            // Said once: its frames count as wrong_epoch meanwhile, which
            // alone would read as a cluster that does not run.
            let probe = follower.resumed_probe();
            if let Some((epoch, from, seq, tries)) = probe
                && probe_seen == Some((epoch, seq))
                && !std::mem::replace(&mut probe_said, true)
            {
                eprintln!(
                    "{} follower {id}: waiting for the sequencer of epoch {epoch} at {from} to send its event at \
                     seq {seq} ({tries} NAKs unanswered): this follower compares it with its own before it takes \
                     that sequencer's log, or refuses it",
                    super::args::clock_time()
                );
            }
            probe_seen = probe.map(|(epoch, _, seq, _)| (epoch, seq));
            if let Some((older, journal)) = follower.older_refused().filter(|_| !older_said.get()) {
                older_said.set(true);
                eprintln!(
                    "{} warning: follower {id}: a sequencer of epoch {older} is older than this journal's last record \
                     (epoch {journal}) and is refused: a sequencer's epoch is its host's clock when it starts, so \
                     its host's clock runs behind this one's, or it was given a lower --epoch (or it is a stale \
                     sequencer still running)",
                    super::args::clock_time()
                );
            }
            if s.submits_redirected > 0 && last.submits_redirected == 0 {
                eprintln!(
                    "{} warning: follower {id}: clients send their events here: it answers each that it does not \
                     lead{} (point them at the sequencer)",
                    super::args::clock_time(),
                    follower.leader().map_or(String::new(), |l| format!(" and that node {} does", l.0))
                );
            }
            metrics.publish(seqcast::net::metrics::follower_page(id, follower, driver, delivered.get()));
            if !quiet {
                println!(
                    "{warn}[follower {id}{}] {}delivered {} (+{}/s){} held {} commit {} lag {} gaps {} naks {} lost {} rejects {} at {}",
                    if follower.is_journal_failed() { ", journal failed" } else { "" },
                    silence.status(),
                    s.delivered,
                    per_second(s.delivered - last.delivered, &mut last_at),
                    // What `seqcast stat` counts beside (as its summary does).
                    match delivered.get().saturating_sub(s.delivered) {
                        0 => String::new(),
                        replayed => format!(" replayed {replayed}"),
                    },
                    follower.seq_held(),
                    follower.commit(),
                    follower.seq_seen().get().saturating_sub(follower.seq_next_delivery().prev().get()),
                    s.gaps,
                    s.naks_sent,
                    s.lost,
                    rejects_total(follower.rejects(), driver.stats()),
                    super::args::clock_time()
                );
            }
            last = *s;
        },
    );
    if let Err(e) = result {
        return fail(e);
    }
    let s = node.follower().stats();
    println!(
        "stopped: delivered {}, replayed {}, received {}, duplicates {}, gaps {}, naks {}, lost {}, acks {} ({} not \
         sent, covered by a commit)",
        s.delivered,
        node.replayed(),
        s.events_received,
        s.duplicates,
        s.gaps,
        s.naks_sent,
        s.lost,
        s.acks_sent,
        s.acks_covered
    );
    if s.submits_redirected > 0 {
        println!("clients redirected: {} (SUBMITs answered that this follower does not lead)", s.submits_redirected);
    }
    println!("rejects: {}", rejects_text(node.follower().rejects(), node.driver().stats()));
    println!("io: {}", io_text(node.driver()));
    println!("digest: {}", node.digest());
    println!("clock: {}", tuning.clock.name());
    println!("{}", report::table_header());
    println!("{}", report::table_row("delivery (stamp → deliver)", node.delivery()));
    caught_up_line(node.caught_up());
    write_histogram(&args.output, &format!("follower-{id}-delivery"), node.delivery());
    if let Some(short) = node.follower().short_leader() {
        let (epoch, last, needed) = (short.epoch, short.log_end, short.needed);
        if let Some(before) = short.refused_before {
            let before = match before {
                seqcast::core::Epoch::ZERO => "a sequencer's log (its file refused-log is damaged)".to_string(),
                before => format!("the log of epoch {before}'s sequencer"),
            };
            eprintln!(
                "error: the sequencer restarted in epoch {epoch}, and its log cannot be checked against this \
                 follower's: it no longer holds seq {needed} (its retention deleted it), or this follower holds no \
                 record there. This follower refused {before} before, for lacking events it knows committed (seq \
                 1..={}), and this log may have grown from that one. This follower took nothing of it and stops, \
                 its records untouched. If the sequencer now runs on its own journal (or a copy of this \
                 follower's), remove refused-log from this follower's journal directory and start it again; to \
                 follow the sequencer's log as it is, move this journal aside and start the follower on an empty \
                 one",
                short.committed
            );
        } else if short.gone {
            eprintln!(
                "error: the sequencer restarted in epoch {epoch}, and no longer holds seq {needed} (its retention \
                 deleted it), which this follower delivered on receipt (--deliver receive) past the commit it knew \
                 ({}): what it delivered from seq {} on cannot be checked against that log, and is in doubt for \
                 this follower's application (the same events, unless the sequencer lost writes it had not synced \
                 before it restarted). This follower took nothing of its log, dropped those events from its \
                 journal, and stops; restart it to follow epoch {epoch}: {} (what its retention deleted is \
                 reported lost)",
                knew_committed(short.committed),
                short.committed.next(),
                receipt_restart(short.committed)
            );
        } else if let Some(at) = short.differs_at.filter(|at| *at > short.committed) {
            eprintln!(
                "error: the sequencer restarted in epoch {epoch} from a log whose event at seq {at} is not the one \
                 this follower delivered on receipt (--deliver receive) past the commit it knew ({}){}: what it \
                 delivered from seq {} on never committed as it was delivered and is in doubt for this follower's \
                 application. This follower took nothing of its log, dropped those events from its journal, and \
                 stops; restart it to follow epoch {epoch}: {}",
                knew_committed(short.committed),
                match short.committed {
                    Seq::ZERO => " (the sequencer lost writes it had not synced and numbered other events there, or \
                                  it started on another journal: with nothing committed, nothing tells the two \
                                  apart)"
                        .to_string(),
                    c => format!(
                        ", though its event at seq {c} is this follower's (the sequencer lost writes it had not \
                         synced, as a power loss at --sync batch does, and numbered other events there)"
                    ),
                },
                short.committed.next(),
                receipt_restart(short.committed)
            );
        } else if let Some(at) = short.differs_at {
            let kept = refusal_kept(node.follower());
            eprintln!(
                "error: the sequencer restarted in epoch {epoch} from a log whose event at seq {at} is not this \
                 follower's, though this follower knows seq 1..={} committed: it resumed another log than the one \
                 this follower took (a journal begun without the old one, refused before and grown since, or another \
                 node's). This follower took nothing of its log and stops, its records untouched{kept}. Start \
                 the sequencer again on its own journal; to begin a new log instead, move every node's journal aside",
                short.committed
            );
        } else if last >= short.committed {
            eprintln!(
                "error: the sequencer restarted in epoch {epoch} from a log that ends at {last}, without seq {}..={needed} \
                 that this follower delivered on receipt (--deliver receive) past the commit it knew ({}): they \
                 never committed (the sequencer lost writes it had not synced, as a power loss at --sync batch \
                 does, or it started on a shorter journal) and are in doubt for this follower's application. This \
                 follower took nothing of its log, dropped them from its journal, and stops; restart it to follow \
                 epoch {epoch}: {}",
                last + 1,
                knew_committed(short.committed),
                receipt_restart(short.committed)
            );
        } else {
            let kept = refusal_kept(node.follower());
            eprintln!(
                "error: the sequencer restarted in epoch {epoch} from a log that ends at {last}, short of {needed}, \
                 which this follower knows committed or delivered: it started without its journal, or with a \
                 shorter one. This follower took nothing of its log and stops, its records untouched{kept}. \
                 Start the sequencer again on its own journal (if it ran on it, that journal lost records it had \
                 synced, as a damaged disk does: start it on a copy of this follower's, made with `seqcast journal \
                 copy`); to begin a new log instead, move every node's journal aside{}",
                second_sequencer_hint(node.follower(), node.driver().now())
            );
        }
        return ExitCode::from(3);
    }
    match restarted.get() {
        None if let Some(first) = node.follower().too_long() => {
            too_long_exit(&format!("follower {id}"), first, resolved.config.payload_max)
        }
        None if node.follower().is_journal_failed() => journal_failed_exit(&format!("follower {id}")),
        None => ExitCode::SUCCESS,
        Some((old, new, in_doubt)) => {
            if let Some((first, end)) = in_doubt {
                eprintln!(
                    "in doubt: this follower holds seq {first}..{end} of epoch {old} but never heard whether they \
                     committed"
                );
            }
            eprintln!(
                "error: the leader restarted: it speaks epoch {new}; this follower delivered epoch {old} up to the \
                 digest above and, without a journal, takes no restarted leader's log (it cannot check that the new \
                 log holds what it delivered, even from a sequencer that resumed its journal). Restart this \
                 follower to follow epoch {new}: it starts empty and takes the log from the sequencer (with \
                 --journal, a follower goes on with a sequencer resumed from its journal){}",
                second_sequencer_hint(node.follower(), node.driver().now())
            );
            ExitCode::from(3)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Helper 159: restarted with a tighter retention, a member said its
    /// journal held 751383..=780000, "replayed to the application", and
    /// replayed from 768857: retention had deleted the rest as it started.
    #[test]
    fn what_retention_deleted_at_start_is_said() {
        let r = seqcast::journal::Recovery { range: Some((Seq(1), Seq(60_000))), ..Default::default() };
        let text = retained_at_start_text(Some(&r), Some(Seq(54_601)), false).unwrap();
        assert!(
            text.contains("deleted sequences 1..=54600 as it started") && text.ends_with("begin at 54601"),
            "{text}"
        );
        assert_eq!(retained_at_start_text(Some(&r), Some(Seq(1)), false), None);
        assert_eq!(retained_at_start_text(Some(&r), None, true), None);
        assert_eq!(retained_at_start_text(None, Some(Seq(5)), true), None);
    }

    /// Helper 159: given both, the banner promised "at least the newest
    /// 20000 events and at most 1500000 bytes", and kept 11,144 events.
    #[test]
    fn the_banner_says_which_retention_wins() {
        let options = |retain_events, retain_bytes| seqcast::journal::JournalOptions {
            retain_events,
            retain_bytes,
            ..seqcast::journal::JournalOptions::new("/tmp/j", &seqcast::core::Config::default(), NodeId(1))
        };
        let text = journal_text(Some(&options(Some(20_000), None)));
        assert!(text.contains("retention: keeps at least the newest 20000 events, whole"), "{text}");
        let text = journal_text(Some(&options(Some(20_000), Some(1_500_000))));
        let both = "retention: keeps the newest 20000 events, or fewer where they take more than 1500000 bytes";
        assert!(text.contains(both), "{text}");
        assert!(!journal_text(Some(&options(None, None))).contains("retention"));
    }

    /// Helper 128: a member's banner said records past its commit "wait to
    /// be confirmed again" where a damaged journal had them dropped (a
    /// member truncates to its commit); a follower's keeps them.
    #[test]
    fn a_members_banner_says_what_a_damaged_journal_dropped() {
        use seqcast::journal::Recovery;
        let corrupt = Some((std::path::PathBuf::from("/j/node-1/00000000000000000101.journal"), Seq(150)));
        let r = Recovery { range: Some((Seq(1), Seq(149))), commit: Seq(120), corrupt, ..Recovery::default() };
        let member = recovery_text(Some(&r), "voting", Resumer::Member).unwrap();
        assert!(member.contains("121..=149 were dropped with the damage below"), "{member}");
        let follower = recovery_text(Some(&r), "following", Resumer::Node).unwrap();
        assert!(follower.contains("121..=149 wait to be confirmed again"), "{follower}");
        let whole = Recovery { corrupt: None, claim: Some((Epoch(4), true, Epoch(4))), ..r.clone() };
        assert!(recovery_text(Some(&whole), "voting", Resumer::Member).unwrap().contains("wait to be confirmed again"));
        // Without a whole claim a member drops them too, keeping how far
        // its journal reached.
        let unsure = Recovery { corrupt: None, claim: Some((Epoch(4), false, Epoch(4))), ..r };
        let text = recovery_text(Some(&unsure), "voting", Resumer::Member).unwrap();
        assert!(text.contains("121..=149 are dropped: without a whole claim a member keeps only"), "{text}");
        assert!(text.contains("before records were dropped its journal reached sequence 149 (epoch 0)"), "{text}");
        // Helper 170: a copy for a new member (no claim, all committed)
        // dropped nothing, and was told records were dropped.
        let copy = Recovery { range: Some((Seq(1), Seq(149))), commit: Seq(149), ..Recovery::default() };
        let text = recovery_text(Some(&copy), "voting", Resumer::Member).unwrap();
        let reaches = "without a whole claim (a copy, or its claim file removed) its journal reaches sequence 149";
        assert!(text.contains(reaches) && !text.contains("dropped"), "{text}");
        // Helper 127: segment files removed, the claim and commit files
        // kept: the member said nothing, and voted as one that never held
        // an event.
        let emptied = Recovery {
            commit_file_beyond: Some(Seq(99877)),
            claim: Some((Epoch(4), true, Epoch(4))),
            ..Recovery::default()
        };
        let text = recovery_text(Some(&emptied), "voting", Resumer::Member).unwrap();
        assert!(text.contains("no record, though its commit file says sequences up to 99877"), "{text}");
        assert!(text.contains("move its whole directory aside, and start it with --rejoin"), "{text}");
    }

    /// An operator trial: a tail stopped while its leader was silent said
    /// nothing of it, and the silence it warned of read ~1 s short (counted
    /// from the once-a-second tick). Between ticks, the core's clock counts.
    #[test]
    fn a_silence_is_measured_by_the_cores_clock_and_ends_when_the_leader_is_heard() {
        let s = std::time::Duration::from_secs;
        let mut silence = Silence::starting();
        assert_eq!(silence.silent_now(0, s(5)), None, "never heard: not a silence of a leader");
        silence.tick(7, std::time::Duration::ZERO, "tail", "", None);
        assert_eq!(silence.silent_now(8, s(5)), None, "heard since the last tick");
        assert_eq!(silence.silent_now(7, std::time::Duration::from_millis(10)), None, "not long enough");
        assert!(silence.silent_now(7, s(2)).is_some_and(|d| d >= s(2)), "two seconds by the core's clock");
        silence.tick(7, s(3), "tail", "", None);
        assert!(silence.status().starts_with("leader silent 3.0 s"), "{}", silence.status());
        assert!(silence.silent_now(7, std::time::Duration::ZERO).is_some_and(|d| d >= s(3)), "the longest seen");
        silence.tick(9, std::time::Duration::ZERO, "tail", "", None);
        assert_eq!((silence.silent_now(9, std::time::Duration::ZERO), silence.status()), (None, String::new()));
    }

    /// Helper 204: a new keyed tail or follower that heard no leader in its
    /// first 3 s said so once, generically; hearing one later, whose answer
    /// to its nonce never came, it said nothing of whom it asked. It says
    /// that once its asks have gone unanswered a second, whenever that is.
    #[test]
    fn a_new_node_says_whom_it_asked_once_its_asks_go_unanswered_a_second() {
        let (s, zero) = (std::time::Duration::from_secs, std::time::Duration::ZERO);
        let asked = Some("it hears a leader of epoch 5 at 127.0.0.1:7000, and asked it 3 times");
        let mut silence = Silence::starting();
        silence.tick(0, zero, "tail", "", asked);
        assert!(!silence.asked_warned, "not 3 s since it started");
        // Started 5 s ago, hearing no leader: the generic warning.
        silence.last_change = Some(std::time::Instant::now() - s(5));
        silence.tick(0, zero, "tail", "", None);
        assert!(silence.never_warned && !silence.asked_warned && silence.asked_since.is_none());
        // Then it hears one and asks: not at once (an answer takes a round
        // trip), but once a second has gone unanswered.
        silence.tick(0, zero, "tail", "", asked);
        assert!(!silence.asked_warned && silence.asked_since.is_some());
        silence.asked_since = Some(std::time::Instant::now() - s(1));
        silence.tick(0, zero, "tail", "", asked);
        assert!(silence.asked_warned);
        // Answered: it follows, and says it heard a leader at last.
        silence.tick(4, zero, "tail", "", None);
        assert_eq!((silence.heard, silence.asked_since), (4, None));
    }

    /// A keyless node listening on 0.0.0.0 (every interface) with its
    /// multicast on loopback takes datagrams from the LAN: it is INSECURE,
    /// not "loopback only".
    #[test]
    fn a_keyless_node_is_insecure_off_loopback_by_interface_or_by_listen_address() {
        let file = |text: &str| {
            seqcast::net::cluster::ClusterFile::parse(text).unwrap().resolve(&Default::default(), None).unwrap()
        };
        let loopback = file("interface = 127.0.0.1\n");
        let (text, warn) = auth_text(&loopback, false, Ipv4Addr::LOCALHOST);
        assert_eq!((text.as_str(), warn), ("authentication: none (loopback only; --key-file FILE adds it)", ""));
        let (text, warn) = auth_text(&loopback, false, Ipv4Addr::UNSPECIFIED);
        assert!(text.starts_with("authentication: NONE (--insecure)") && warn == "INSECURE ", "{text}");
        let lan = file("interface = 198.18.0.1\n");
        assert_eq!(auth_text(&lan, false, Ipv4Addr::LOCALHOST).1, "INSECURE ");
    }

    /// A reviewer of the command line: a sequencer given a cluster file
    /// whose `leader = 2` took node 0's address for its multicast
    /// interface (it resolved itself as node 0 unless told --leader-id),
    /// which on node 2's host is no address of its own.
    #[test]
    fn a_sequencer_is_the_node_its_cluster_file_names_leader() {
        let dir = std::env::temp_dir().join(format!("seqcast-leader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cluster.conf");
        let nodes = "node.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.2:7401\nnode.2 = 127.0.0.3:7401\n";
        std::fs::write(&path, format!("cluster_id = 9\nleader = 2\n{nodes}")).unwrap();
        let resolved = |flags: &[&str]| {
            let mut argv = vec!["seqcast", "sequencer", "--cluster", path.to_str().unwrap()];
            argv.extend(flags);
            let cli = <super::super::Cli as clap::Parser>::try_parse_from(argv).unwrap();
            let super::super::Command::Sequencer(args) = cli.command else { unreachable!() };
            let cluster = sequencer_cluster(&args).unwrap();
            (cluster.config.leader, cluster.multicast.interface.to_string(), cluster.leader_addr().to_string())
        };
        assert_eq!(resolved(&[]), (NodeId(2), "127.0.0.3".into(), "127.0.0.3:7401".into()));
        assert_eq!(resolved(&["--id", "1"]), (NodeId(1), "127.0.0.2".into(), "127.0.0.2:7401".into()));
        assert_eq!(resolved(&["--leader-id", "0"]), (NodeId(0), "127.0.0.1".into(), "127.0.0.1:7401".into()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
