//! `seqcast tail`: a read-only subscriber that replays the log from a
//! sequence and then follows it live, printing events or counting them.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::SocketAddrV4;
use std::os::fd::AsFd;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::args::{ClusterArgs, TuningArgs};
use super::fail;
use super::nodes::LostSpan;
use seqcast::core::{Event, Seq};
use seqcast::net::{self, FollowerNode};
use seqcast::wire::EventRef;

/// `seqcast tail`.
#[derive(Clone, Debug, Args)]
pub struct TailArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// First sequence to deliver: what left the leader's ring comes from
    /// its journal (a leader without one answers that it is lost: said on
    /// stderr, and the tail then exits 1). At most 2^63.
    #[arg(long, value_name = "SEQ", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1 << 63))]
    from: u64,
    /// Stop once this sequence is delivered [default: run until Ctrl-C].
    #[arg(long, value_name = "SEQ")]
    to: Option<u64>,
    /// One line per event (text, json, or the record in hex), or `count`:
    /// only the summary at the end.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The cluster's members elect their leader (`seqcast member`): follow
    /// the leader of the newest epoch through failovers. Without it the
    /// tail takes the frames of one leader id (--leader-id, else the
    /// cluster file's `leader`): a new epoch of it is a sequencer that
    /// restarted (the tail goes on only if that log holds what it
    /// delivered); after an election another member leads, the tail says
    /// it hears no leader, and stopped while so it exits 1 (with --to, it
    /// stops so on its own after 10 s of that).
    #[arg(long)]
    failover: bool,
    /// Address the leader sends repairs to [default: the interface, a port
    /// the system picks].
    #[arg(long, value_name = "HOST:PORT", value_parser = super::args::host_port)]
    listen: Option<SocketAddrV4>,
    #[command(flatten)]
    tuning: TuningArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `seq 12 client 7 request 42 stamp_ns … payload 68656c6c6f`.
    Text,
    /// `{"seq":12,"client":7,"request":42,"stamp_ns":…,"payload":"68656c6c6f"}`.
    Json,
    /// The whole event record, as on the wire, in hex.
    Hex,
    /// Nothing per event: the count and digest at the end, on stdout (with
    /// the other formats the digest goes to stderr).
    Count,
}

/// Standard output that writes nothing more once a stop signal came: a
/// reader that stopped reading (a full pipe) must not keep the tail from
/// stopping, as it did when a write the signal interrupted (or cut short)
/// was tried again. (A `File` on a duplicate of stdout: std's own stdout
/// tries an interrupted write again.) Each turn's lines are written out
/// before the tail waits, so a stop loses none that could be written.
struct Stdout(File);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stopped = || io::Error::other("stopped while standard output was full (its reader reads nothing)");
        if net::stop_requested() {
            return Err(stopped());
        }
        match self.0.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted && net::stop_requested() => Err(stopped()),
            result => result,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn line(event: &EventRef<'_>, format: Format) -> Option<String> {
    let h = event.header;
    let (seq, client, request, stamp) = (h.seq(), h.client(), h.request.get(), h.stamp_ns.get());
    match format {
        Format::Text => Some(format!(
            "seq {seq} client {client} request {request} stamp_ns {stamp} payload {}",
            seqcast::wire::hex(event.payload)
        )),
        Format::Json => Some(format!(
            "{{\"seq\":{seq},\"client\":{client},\"request\":{request},\"stamp_ns\":{stamp},\"payload\":\"{}\"}}",
            seqcast::wire::hex(event.payload)
        )),
        Format::Hex => Some(seqcast::wire::hex(event.record)),
        Format::Count => None,
    }
}

/// How long the commit may stand still, with the leader holding events
/// past it, before a tail says why it waits.
const COMMIT_STALL_WARN: std::time::Duration = std::time::Duration::from_secs(3);

/// Says when the commit stands still while the leader holds events past it
/// (a quorum of its nodes is missing: followers down or paused), so that a
/// tail waiting for those events is not silent for ever; and when it moves.
#[derive(Default)]
struct CommitWatch {
    commit: Seq,
    since: Option<std::time::Instant>,
    warned: bool,
}

impl CommitWatch {
    /// At `clock` (the driver's): a stall of a leader not heard for
    /// [`LEADER_SILENT_NS`](super::nodes::LEADER_SILENT_NS) is the silence
    /// warning's to tell.
    fn tick(&mut self, follower: &seqcast::core::Follower, clock: seqcast::core::Nanos) {
        let (commit, seen, now) = (follower.commit(), follower.seq_seen(), std::time::Instant::now());
        let at = super::args::clock_time();
        if commit != self.commit || seen <= commit {
            if self.warned {
                eprintln!("{at} tail: commits go on again: committed up to {commit}");
            }
            (self.commit, self.since, self.warned) = (commit, Some(now), false);
            return;
        }
        let since = *self.since.get_or_insert(now);
        let heard = follower.leader_heard_ns_ago(clock) < super::nodes::LEADER_SILENT_NS;
        if !self.warned && heard && now - since >= COMMIT_STALL_WARN {
            eprintln!(
                "{at} warning: tail: the leader holds sequences up to {seen}, but nothing past {commit} has been \
                 committed for {} s: a commit needs a quorum of the cluster's nodes (are its followers running?); \
                 the tail delivers only what is committed, and waits",
                (now - since).as_secs()
            );
            self.warned = true;
        }
    }
}

/// How long a tail with `--to` and without `--failover` waits while
/// another member leads and its own leader id is silent, before it stops.
const STRANDED_TO: std::time::Duration = std::time::Duration::from_secs(10);

/// Says when a newer leader took over: one elected (with `--failover`),
/// or the sequencer restarted on a log that holds what was committed.
#[derive(Default)]
struct EpochWatch {
    joined: u64,
}

impl EpochWatch {
    fn tick(&mut self, follower: &seqcast::core::Follower) {
        let joined = follower.stats().leaders_joined;
        // Said once the leader's record at what the tail holds is compared
        // (the tail may refuse it yet).
        if joined > self.joined && (follower.resumed_probe().is_some() || follower.own_probe().is_some()) {
            return;
        }
        // One refused as short of the commit (the tail stops) is said so.
        if joined > std::mem::replace(&mut self.joined, joined) && follower.short_leader().is_none() {
            let who = follower.leader().map_or(String::new(), |id| format!("node {id} "));
            eprintln!(
                "{} tail: {who}leads epoch {} now: going on from what was committed",
                super::args::clock_time(),
                follower.epoch()
            );
        }
    }
}

/// With `--failover`: a leader of an older epoch that goes on sending
/// while the one this tail follows is silent. A healthy cluster's older
/// leader steps down once it hears of the newer epoch; one that goes on
/// leads a quorum that never heard of it: this tail hears only a part of
/// the cluster cut off from the newer leader, or the cluster lost that
/// epoch (members that lost their state elected anew, numbering epochs
/// from a clock that lags the cluster's). Said once a silence.
#[derive(Default)]
struct OlderLeaderWatch {
    /// Older leaders' frames dropped when the leader was last heard, and
    /// at the last tick.
    base: u64,
    seen: u64,
    warned: bool,
}

/// How long the followed leader is silent, an older one heard, before
/// [`OlderLeaderWatch`] speaks: an election takes tens of ms.
const OLDER_LEADER_WARN: std::time::Duration = std::time::Duration::from_secs(3);

impl OlderLeaderWatch {
    fn tick(&mut self, follower: &seqcast::core::Follower, ago: std::time::Duration) {
        let (dropped, older) = follower.older_leader();
        let grew = dropped > std::mem::replace(&mut self.seen, dropped);
        if ago < std::time::Duration::from_secs(1) {
            (self.base, self.warned) = (dropped, false);
            return;
        }
        let mine = follower.epoch();
        if self.warned || !grew || ago < OLDER_LEADER_WARN || dropped - self.base < 3 {
            return;
        }
        self.warned = true;
        eprintln!(
            "{} warning: tail: the leader of epoch {mine}, which this tail follows, silent for {:.1} s, while a \
             leader of epoch {older} goes on sending ({} frames dropped since): an older leader steps down once it \
             hears of a newer epoch, so this tail hears only a part of the cluster, cut off from the newer leader, \
             or the cluster lost epoch {mine} (members that lost their state elected anew, on hosts whose clocks \
             lag: their leader warns of it once clients of epoch {mine} come, and `seqcast stat` then says LOST \
             COMMITS). This tail takes nothing of an older epoch: to read that leader's log, start another tail",
            super::args::clock_time(),
            ago.as_secs_f64(),
            dropped - self.base
        );
    }
}

/// Runs `seqcast tail`.
pub fn run(args: &TailArgs) -> ExitCode {
    if let Some(to) = args.to.filter(|&to| to < args.from) {
        return fail(format!("--to {to} is before --from {}: nothing to deliver", args.from));
    }
    let mut resolved = match args.cluster.resolve(None) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    resolved.config = resolved.observer_config(args.failover);
    let listen = args.listen.unwrap_or(SocketAddrV4::new(resolved.multicast.interface, 0));
    let tuning = match super::nodes::start_node(&args.tuning, &args.cluster, &resolved, Some(*listen.ip()), None) {
        Ok(tuning) => tuning,
        Err(e) => return fail(e),
    };
    let from = Seq(args.from);
    let mut node = match FollowerNode::observe(resolved.config.clone(), listen, &resolved.multicast, &tuning, from) {
        Ok(node) => node,
        Err(e) => return fail(e),
    };
    eprintln!(
        "seqcast tail: cluster {} group {} from sequence {from}{}",
        resolved.config.cluster_id,
        resolved.multicast.group,
        args.to.map_or(String::new(), |to| format!(" to {to}"))
    );
    let (done, restarted) = (Cell::new(false), Cell::new(None));
    let lost = Cell::new(LostSpan::default());
    // Lost sequences said on stderr: the first range at once, the rest
    // each second.
    let lost_told = Cell::new(0);
    if let Some(to) = args.to {
        node.deliver_until(Seq(to));
    }
    let stdout = match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdout(File::from(fd)),
        Err(e) => return fail(format!("standard output: {e}")),
    };
    // Written out after each turn that delivered anything: a tail of a
    // quiet stream shows each event as it comes, not when a buffer fills.
    let out = RefCell::new(BufWriter::new(stdout));
    let out_failed = Cell::new(false);
    let mut silence = super::nodes::Silence::starting();
    let mut commit_watch = CommitWatch::default();
    let only = (!args.failover).then_some(resolved.config.leader);
    let mut reject_watch = super::nodes::RejectWatch::tail(resolved.config.nodes, only);
    // NAKs nobody answers (repairs that cannot reach it, a leader whose
    // journal read fails): said, rather than a tail that waits in silence.
    let mut unanswered = super::nodes::Unanswered::default();
    // The cluster file names every node: they may be members.
    let members_named = resolved.nodes.len() == usize::from(resolved.config.nodes) && resolved.config.nodes > 1;
    // Without --failover it takes one leader id's frames: after an election
    // another member leads, whose frames it drops.
    let hint = match args.failover {
        true => "",
        false => {
            "; if the cluster's members elect their leader (`seqcast member`), another one may lead now: run tail \
             with --failover to follow the newest leader"
        }
    };
    // Without --failover: another member's leader frames dropped while
    // its own leader id says nothing, as last seen; said once. `stranded`:
    // so in the silence now (reset when its leader is heard again).
    let (mut others_seen, mut heard_seen, mut others_warned, mut stranded) = (0u64, 0u64, false, false);
    // With --to, stranded since (a script waits for the end it asked for,
    // which another member's leadership never brings: helper 170's ran 10
    // minutes until killed).
    let mut stranded_since: Option<std::time::Instant> = None;
    // A --from past the log's end: said once the leader is heard, rather
    // than a tail that prints nothing and says nothing.
    let mut ahead_told = from.get() <= 1;
    let mut epochs = EpochWatch::default();
    let mut older = OlderLeaderWatch::default();
    let leader_id = resolved.config.leader;
    let flush = || {
        if !out_failed.get() && out.borrow_mut().flush().is_err() {
            out_failed.set(true);
            done.set(true);
        }
    };
    let result = node.run_turns(
        &|| net::stop_requested() || done.get(),
        |event| {
            let last = match *event {
                Event::Deliver(e) => {
                    if let Some(text) = line(&e, args.format)
                        && !out_failed.get()
                        && writeln!(out.borrow_mut(), "{text}").is_err()
                    {
                        // The reader went away (`| head`), or stopped
                        // reading and a stop signal came: nothing is wrong.
                        out_failed.set(true);
                        done.set(true);
                    }
                    e.header.seq()
                }
                Event::Lost { first, end } => {
                    let mut span = lost.get();
                    if span.count == 0 {
                        let others = match (args.failover, members_named) {
                            (true, _) => {
                                ", and no other member served them (each said it has none or went silent, or none could \
                                 be asked)"
                            }
                            // One trial lost what an archive member held.
                            (false, true) => {
                                "; if the cluster's members elect their leader (`seqcast member`), another member may \
                                 hold them: run tail with --failover to ask them"
                            }
                            (false, false) => "",
                        };
                        eprintln!(
                            "seqcast tail: the leader no longer has sequences {first}..={} (UNRECOVERABLE: its \
                             journal's retention deleted them, its journal lacks them or holds them damaged, or it keeps \
                             none){others}: reported lost, not delivered (more such ranges are counted as they \
                             come, and the total said at the end)",
                            end.prev()
                        );
                        lost_told.set(end - first);
                    }
                    span.note(first, end);
                    lost.set(span);
                    end.prev()
                }
                Event::LeaderRestarted { old, new, .. } => {
                    restarted.set(Some((old, new)));
                    done.set(true);
                    return;
                }
            };
            if args.to.is_some_and(|to| last.get() >= to) {
                done.set(true);
            }
        },
        &flush,
        |follower, driver| {
            reject_watch.tick("tail", follower.rejects(), driver);
            let asked = follower.stats().events_asked_of_members > 0;
            lost_told.set(lost.get().warn_since("tail", lost_told.get(), asked));
            let s = follower.stats();
            let ago = std::time::Duration::from_nanos(follower.leader_heard_ns_ago(driver.now()));
            let asked = super::nodes::first_epoch_hint(follower, "tail");
            silence.tick(s.leader_frames(), ago, "tail", hint, asked.as_deref());
            if args.failover {
                older.tick(follower, ago);
            }
            let others = follower.rejects().not_leader;
            let grew = others > std::mem::replace(&mut others_seen, others);
            let silent = s.leader_frames() == std::mem::replace(&mut heard_seen, s.leader_frames());
            stranded = silent && (stranded || grew);
            stranded_since = stranded.then(|| stranded_since.unwrap_or_else(std::time::Instant::now));
            if args.to.is_some() && !args.failover && stranded_since.is_some_and(|t| t.elapsed() >= STRANDED_TO) {
                done.set(true);
            }
            if !args.failover && grew && silent && !std::mem::replace(&mut others_warned, true) {
                eprintln!(
                    "{} warning: tail: another member leads: its frames are dropped ({others} so far), and node \
                     {leader_id}, the only leader this tail takes without --failover (--leader-id, else the \
                     cluster file's `leader`), is silent; in a cluster of members (`seqcast member`) run tail \
                     with --failover",
                    super::args::clock_time()
                );
            }
            if !ahead_told && s.leader_frames() > 0 {
                ahead_told = true;
                let end = follower.heard_sent();
                if end.next() < from {
                    let log = match end {
                        Seq::ZERO => "holds nothing yet".to_string(),
                        end => format!("ends at seq {end}"),
                    };
                    eprintln!("seqcast tail: the log {log}: waiting for seq {from} (--from); nothing is printed until then");
                }
            }
            epochs.tick(follower);
            commit_watch.tick(follower, driver.now());
            unanswered.tick(follower, driver.now(), "tail");
        },
    );
    // What the last turn printed, unless a stop signal came first.
    flush();
    drop(out);
    // A stall warned of that ended in the last second's turns, and a
    // leader that took over in them.
    commit_watch.tick(node.follower(), node.driver().now());
    epochs.tick(node.follower());
    if let Err(e) = result {
        return fail(e);
    }
    if out_failed.get() {
        // The digest counts what this tail received, not what was printed.
        eprintln!(
            "note: output stopped (its reader went away, or stopped reading and a stop came) before every line \
             was written: the digest counts every event received, printed or not"
        );
    }
    // With `--format count` the digest is the output (as a follower's);
    // otherwise stdout carries the events alone.
    match args.format {
        Format::Count => println!("digest: {}", node.digest()),
        _ => eprintln!("digest: {}", node.digest()),
    }
    // Datagrams it dropped (a wrong key, another cluster): said on stderr,
    // where the events on stdout do not mix with it.
    let driver = node.driver().stats();
    if super::nodes::rejects_total(node.follower().rejects(), driver) > 0 {
        eprintln!("rejects: {}", super::nodes::rejects_text(node.follower().rejects(), driver));
        eprintln!("io: {}", super::nodes::io_text(node.driver()));
    }
    if let Some(first) = node.follower().too_long() {
        return super::nodes::too_long_exit("tail", first, resolved.config.payload_max);
    }
    let lost = lost.get();
    match (restarted.get(), lost.span) {
        // With --failover: a leader elected on a log short of its commit.
        // Without: a sequencer restarted on a journal short of its commit.
        (Some(_), _) if let Some(short) = node.follower().short_leader() => {
            let (how, why) = match args.failover {
                true => ("was elected on", "members lost them from their logs"),
                false => (
                    "restarted on",
                    "its journal lacks them: an old copy, or writes a power loss took; its followers refuse it too",
                ),
            };
            // Past what it was told committed: what its followers could
            // infer committed and deliver (no failover, a quorum of two).
            let (first, told_end) = (short.log_end.next(), short.committed.min(short.needed));
            let told = (told_end >= first).then(|| format!("this tail was told seq {first}..={told_end} committed"));
            let inferred_from = told_end.next().max(first);
            let inferred = (short.needed >= inferred_from).then(|| {
                format!(
                    "its followers may hold seq {inferred_from}..={} (sent before, committed once one follower holds it)",
                    short.needed
                )
            });
            let told = [told, inferred].into_iter().flatten().collect::<Vec<_>>().join(", and ");
            let log = match short.differs_at {
                // Grown from such a log, in an epoch this tail missed.
                Some(at) => format!(
                    "leads a log whose event at seq {at} is not the one this tail printed there (the two histories part at seq {at} or before)"
                ),
                None => format!("{how} a log that ends at seq {}", short.log_end),
            };
            let stopped = match node.digest().last {
                0 => "Stopped having delivered nothing".to_string(),
                last => format!("Stopped after seq {last}"),
            };
            fail(format!(
                "the leader of epoch {} {log}, but {told}: the cluster lost committed events ({why}), and those \
                 sequences now carry other events in its log. {stopped}, taking nothing of that log",
                short.epoch,
            ))
        }
        (Some((old, new)), _) => fail(format!("the leader restarted (epoch {old} → {new}) without this log: stopped")),
        (None, Some((first, last))) => {
            // Helper 159: the reader was left to work out where the
            // history still held begins. Only where it delivered past the
            // run (helper 160: with --to inside it, the sequence after
            // the run is gone too).
            let one_run = first.get() == args.from && lost.count == last - first + 1;
            let start = match one_run && node.digest().last > last.get() {
                true => format!("; what follows them is held: `--from {}` goes on from there", last.next()),
                false => String::new(),
            };
            fail(format!(
                "{} sequences within {first}..={last} were lost (UNRECOVERABLE): not delivered, in the digest as \
                 lost{start}",
                lost.count
            ))
        }
        // Stopped (a signal, a timeout's SIGTERM) short of --to: a script
        // must not take it for a range read whole.
        // (The digest's range is what was delivered or reported lost.)
        (None, None) => {
            let (f, digest) = (node.follower(), node.digest());
            let (s, others) = (f.stats(), f.rejects().not_leader);
            let no_leader = match args.failover || others == 0 {
                true => "no leader was heard (is the cluster running?)".to_string(),
                false => format!(
                    "no frame of node {leader_id} was taken, and {others} of other members (another leader's, or \
                     an election's) were dropped: run tail with --failover"
                ),
            };
            // Stopped (without --to) while its leader is silent, as of now,
            // not of the last tick; without --failover, while other members
            // spoke in that silence: another leads, and what it committed
            // is not here.
            let ago = std::time::Duration::from_nanos(f.leader_heard_ns_ago(node.driver().now()));
            let silent = silence.silent_now(s.leader_frames(), ago).filter(|_| args.to.is_none());
            let given_up = stranded_since.is_some_and(|t| t.elapsed() >= STRANDED_TO);
            let stranded = !args.failover && (stranded || others > others_seen);
            let after = match digest.first {
                0 => "nothing was delivered".to_string(),
                _ => format!("what was sequenced after seq {} is not here", digest.last),
            };
            match args.to.filter(|&to| digest.last < to) {
                // Stopped having heard no leader at all: nothing was read, and a
                // script must not take it for a stream that was empty.
                None if s.leader_frames() == 0 => fail(format!("stopped: nothing delivered: {no_leader}")),
                None if let Some(silent) = silent.filter(|_| stranded) => fail(format!(
                    "stopped while another member led: node {leader_id}, the only leader this tail takes without \
                     --failover, had been silent for {:.1} s or more, and {others} frames of other members \
                     (another leader's, or an election's) were dropped: {after}; in a cluster of members run \
                     tail with --failover",
                    silent.as_secs_f64()
                )),
                None => {
                    if let Some(silent) = silent {
                        let after = match digest.first {
                            0 => "nothing was delivered".to_string(),
                            _ => format!("anything it sequenced after seq {} is not here", digest.last),
                        };
                        eprintln!(
                            "note: stopped while the leader had been silent for {:.1} s or more: {after}",
                            silent.as_secs_f64()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Some(to) => {
                    let so_far = match digest.first {
                        0 if s.leader_frames() == 0 => format!("nothing delivered: {no_leader}"),
                        0 => "nothing delivered".into(),
                        first => format!("delivered {first}..={}", digest.last),
                    };
                    let why = match given_up && !args.failover {
                        true => format!(
                            "; it gave up: for {} s node {leader_id}, the only leader this tail takes without \
                             --failover, was silent while another member led (its {others} frames dropped): in a \
                             cluster of members run tail with --failover",
                            STRANDED_TO.as_secs()
                        ),
                        false => String::new(),
                    };
                    fail(format!("stopped before --to {to}: {so_far}{why}"))
                }
            }
        }
    }
}
