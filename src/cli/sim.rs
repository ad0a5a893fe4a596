//! `seqcast sim`: the deterministic simulator from the command line.

use std::process::ExitCode;

use clap::Args;

use super::args::DeliverArg;
use seqcast::sim::{
    self, CROWD_PATH, DISK_FAIL_PATHS, JOURNAL_PATHS, PORT_PATHS, Paths, REPLAY_PATHS, SLOW_APP_PATHS, SimConfig,
    TAIL_PATHS,
};

/// `seqcast sim`.
#[derive(Clone, Debug, Args)]
#[command(group(clap::ArgGroup::new("restarts").args(["failover", "journal"]).multiple(true)))]
pub struct SimArgs {
    /// How many seeds to run (at least 1).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// The first seed (a failing seed replays alone with `--seed S --seeds 1`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Chance that a datagram is lost, 0 to 1.
    #[arg(long, value_parser = probability)]
    pub loss: Option<f64>,
    /// Chance that a datagram is duplicated, 0 to 1.
    #[arg(long, value_parser = probability)]
    pub dup: Option<f64>,
    /// Chance that a datagram is held back and overtaken, 0 to 1.
    #[arg(long, value_parser = probability)]
    pub reorder: Option<f64>,
    /// An attacker replays valid datagrams it recorded in flight, from its
    /// own address, to random nodes and clients: for each datagram sent
    /// during the faults, this chance of one replay, 0 to 1 [default: 0].
    #[arg(long, value_parser = probability)]
    pub replay: Option<f64>,
    /// The attacker's replays come from the address of the datagram's
    /// sender, not its own (a forged source address, or a dead node's
    /// port bound again on its host).
    #[arg(long, requires = "replay")]
    pub replay_as_sender: bool,
    /// The attacker goes on replaying after the faults heal, until the
    /// cluster converges (a recording replayed for good must keep no node
    /// from catching up, nor a new one from its leader).
    #[arg(long, requires = "replay")]
    pub replay_after_faults: bool,
    /// Followers in the cluster (the leader comes on top).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub followers: Option<u16>,
    /// Clients submitting at once [default: drawn by seed, 1 to 3].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub clients: Option<u32>,
    /// Places in the leader's client table (`clients_max`); fewer than
    /// --clients makes clients take turns, as many as 5 to a place (the
    /// table also remembers 4 clients gone per place) [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub client_places: Option<u64>,
    /// A client with nothing pending gives its place up to a new one after
    /// this many microseconds [default: 10 s].
    #[arg(long, value_name = "US", value_parser = clap::value_parser!(u64).range(1..))]
    pub client_idle_us: Option<u64>,
    /// Events submitted in each run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub events: Option<u64>,
    /// Follower crash-and-restart episodes in each run.
    #[arg(long)]
    pub crashes: Option<u32>,
    /// Partition episodes (symmetric or one-way, then healed) in each run.
    #[arg(long)]
    pub partitions: Option<u32>,
    /// When followers deliver: once committed, or as received.
    #[arg(long, value_enum)]
    pub deliver: Option<DeliverArg>,
    /// Run the failover profile: automatic elections, with leader crashes,
    /// pauses, partitions of the leader and operator promotions.
    #[arg(long)]
    pub failover: bool,
    /// With --failover or --journal: crashes of whoever leads, in each run.
    /// Without --failover the sequencer restarts from its journal in a
    /// newer epoch while the followers carry on.
    #[arg(long, requires = "restarts")]
    pub leader_crashes: Option<u32>,
    /// Pauses of a member (often the leader), in each run: it handles
    /// nothing for a while, then everything that came meanwhile.
    #[arg(long)]
    pub pauses: Option<u32>,
    /// Spells of a slow application, in each run: a member's (with
    /// --failover the leader's half the time; a sequencer has none) takes
    /// at most 1 to 4 events a turn, once its node read what waits, and
    /// works 20 to 500 µs on them, its node handling nothing meanwhile;
    /// what it has not taken waits in its node (a leading member's clients
    /// get BUSY once that is in_flight_max). A third of the spells end
    /// with the node killed between a turn's write-ahead and its hand-out
    /// [default: 0].
    #[arg(long)]
    pub slow_apps: Option<u32>,
    /// With --failover: operator promotions of a random member, in each run.
    #[arg(long, requires = "failover")]
    pub promotions: Option<u32>,
    /// With --failover: members that do not lead start cut off from the
    /// others, both ways, for a random while (an eighth to half of the
    /// faults' span): new members that never heard the first leader.
    #[arg(long, requires = "failover")]
    pub late_members: Option<u32>,
    /// Without --failover: kill the leader for good at a random time in each
    /// run, before any datagram of a turn or between two. Nothing converges
    /// then; the check is that every live follower delivered each sequence
    /// it holds that a client was told is committed. Where followers
    /// cannot infer a commit (3 or more followers, a quorum above 2, or a
    /// journal at --sync batch) a commit heartbeat lost just before the
    /// kill leaves them short (the gap docs/TESTING.md names): such runs
    /// have no loss and no partitions unless --loss or --partitions says,
    /// and then seeds that meet the gap fail.
    #[arg(long, conflicts_with = "failover")]
    pub kill_leader: bool,
    /// Every member journals (DESIGN §8): followers ACK and the leader
    /// counts itself only for what its simulated disk made durable, and
    /// every record journaled is checked against what was sequenced.
    /// Without --failover a crashed member restarts from its journal; with
    /// it, it rejoins empty.
    #[arg(long)]
    pub journal: bool,
    /// With --journal: every member crashes at once (losing what its disk
    /// had not synced) and all restart from their journals, this many
    /// times in each run. With --failover a crash is skipped while too many
    /// members' journals claim too little to vote on coming back.
    #[arg(long, requires = "journal")]
    pub cluster_crashes: Option<u32>,
    /// With --journal: a member (the leader half the time) stops cleanly,
    /// as on SIGTERM: what it wrote stays in the page cache and it keeps
    /// the commit it knows beside its journal; it restarts later. This many
    /// times in each run [default: 0].
    #[arg(long, requires = "journal")]
    pub stops: Option<u32>,
    /// With --journal: a member's journal fails (the leader's half the
    /// time), and its node acknowledges nothing more (a leader with
    /// --failover steps down; a sequencer sends nothing its journal lacks):
    /// its disk is full at its next write (its claim, the cut of a log it
    /// leaves, or an append, some of that turn's records written), or at
    /// --sync batch half the time a sync fails (EIO). Its
    /// operator starts it again a while later: killed after a full disk
    /// (its writes stay in the page cache), after a failed sync once the
    /// host rebooted (what was not synced is lost). This many times in
    /// each run [default: 0].
    #[arg(long, requires = "journal")]
    pub disk_fails: Option<u32>,
    /// With --journal: every member stops cleanly at once (a deploy) and
    /// all restart from their journals, this many times in each run
    /// [default: 0].
    #[arg(long, requires = "journal")]
    pub cluster_stops: Option<u32>,
    /// With --journal and --failover: a member (the leader half the time)
    /// is killed and restarts without its claim file, as one whose damaged
    /// claim an operator moved aside, or one started on a copy of another
    /// member's journal: it asks where the others are fenced, and votes
    /// once a leader gave it its log. This many times in each run
    /// [default: 0].
    #[arg(long, requires_all = ["journal", "failover"])]
    pub claim_losses: Option<u32>,
    /// With --journal and --failover: a member (the leader half the time)
    /// is killed and restarts with a record of its journal damaged, as a
    /// disk that rotted leaves it: it drops the records from there on,
    /// fetches them again, and keeps how far its journal reached, voting
    /// for no shorter log until it holds as much. This many times in each
    /// run [default: 0].
    #[arg(long, requires_all = ["journal", "failover"])]
    pub damages: Option<u32>,
    /// With --journal and --failover: the operator's promotions
    /// (--promotions) count the votes of members back without all of their
    /// log, as `seqcast promote --count-incomplete-votes` does.
    #[arg(long, requires_all = ["journal", "failover"])]
    pub count_incomplete: bool,
    /// With --journal: `none` takes a write as durable at once and a crash
    /// keeps it (the page cache outlives the process; with quorum 2 and no
    /// failover followers then infer commits); `batch` syncs it 200 µs
    /// later, and a crash either loses what was not synced (the power) or
    /// keeps it in the page cache for the restart to read back (a killed
    /// process), half and half; a whole-cluster crash loses the power.
    #[arg(long, requires = "journal", value_enum, default_value_t = SimSync::Batch)]
    pub sync: SimSync,
    /// With --journal at --sync batch: each sync takes up to this many
    /// microseconds more than 200, drawn afresh, so that one node's disk
    /// may lag another's [default: 0].
    #[arg(long, requires = "journal", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub sync_jitter_us: Option<u64>,
    /// With --journal, without --failover: the followers' --sync, whatever
    /// the sequencer's (--sync) is: `none` for a site that syncs only the
    /// sequencer's disk [default: the sequencer's].
    #[arg(long, requires = "journal", conflicts_with = "failover", value_enum, value_name = "LEVEL")]
    pub followers_sync: Option<SimSync>,
    /// With --journal, without --failover: each follower restarted from its
    /// journal delivers on receipt or on commit, drawn afresh, whatever
    /// --deliver says (an operator changing --deliver across restarts).
    #[arg(long, requires = "journal", conflicts_with = "failover")]
    pub deliver_switch: bool,
    /// With --journal: every member keeps its newest N records and deletes
    /// older ones (as `--retain-events`); a member asked for what it no
    /// longer keeps, or never held, answers UNRECOVERABLE [default: drawn
    /// by seed: a quarter of the seeds keep 30, 100 or 300, the others
    /// all].
    #[arg(long, requires = "journal", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_events: Option<u64>,
    /// With a retention: member N keeps every record (an archive), and
    /// serves what the others no longer hold [default: drawn by seed: half
    /// the seeds with a retention have one, the others none].
    #[arg(long, value_name = "N", requires = "journal")]
    pub archive: Option<usize>,
    /// Read-only subscribers (`seqcast tail`) in each run: each starts at
    /// a random time within the faults, from sequence 1, from one in the
    /// first half of what is submitted, or now and then from past its end
    /// (a quarter of them up to a last sequence, as --to), replays what it
    /// missed and follows the live stream; half of them
    /// stop for a while (often longer than the ring lasts) and a third are
    /// cut off for a while. Each must deliver in order, from its start to
    /// the end, only what was committed [default: 0].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=16))]
    pub tails: Option<u32>,
    /// Threads to run seeds on [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The simulated journal's durability level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SimSync {
    /// Durable once written.
    None,
    /// Durable once synced.
    Batch,
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Ok(p) => Err(format!("{p} is not a probability between 0 and 1")),
        Err(e) => Err(format!("{text:?} is not a number: {e}")),
    }
}

impl SimArgs {
    /// The run for `seed`: its drawn profile with the flags' faults fixed.
    pub fn config(&self, seed: u64) -> SimConfig {
        let mut config = if self.failover { SimConfig::failover(seed) } else { SimConfig::mixed(seed) };
        config.leader_crashes = self.leader_crashes.unwrap_or(config.leader_crashes);
        config.pauses = self.pauses.unwrap_or(config.pauses);
        config.slow_apps = self.slow_apps.unwrap_or(config.slow_apps);
        config.disk_fails = self.disk_fails.unwrap_or(config.disk_fails);
        config.promotions = self.promotions.unwrap_or(config.promotions);
        config.late_members = self.late_members.unwrap_or(config.late_members);
        config.loss = self.loss.unwrap_or(config.loss);
        config.dup = self.dup.unwrap_or(config.dup);
        config.reorder = self.reorder.unwrap_or(config.reorder);
        config.replay = self.replay.unwrap_or(config.replay);
        config.replay_as_sender = self.replay_as_sender;
        config.replay_after_faults = self.replay_after_faults;
        config.followers = self.followers.unwrap_or(config.followers);
        config.clients = self.clients.unwrap_or(config.clients);
        config.core.clients_max = self.client_places.map_or(config.core.clients_max, |n| n as usize);
        config.core.client_idle_ns = self.client_idle_us.map_or(config.core.client_idle_ns, |us| us * 1_000);
        config.events = self.events.unwrap_or(config.events);
        config.crashes = self.crashes.unwrap_or(config.crashes);
        config.partitions = self.partitions.unwrap_or(config.partitions);
        config.leader_killed = self.kill_leader;
        config.core.journal = self.journal;
        config.core.journal_syncs = self.sync == SimSync::Batch;
        config.cluster_crashes = self.cluster_crashes.unwrap_or(config.cluster_crashes);
        config.stops = self.stops.unwrap_or(config.stops);
        config.cluster_stops = self.cluster_stops.unwrap_or(config.cluster_stops);
        config.claim_losses = self.claim_losses.unwrap_or(config.claim_losses);
        config.damages = self.damages.unwrap_or(config.damages);
        config.count_incomplete = self.count_incomplete;
        config.sync_jitter_ns = self.sync_jitter_us.map_or(config.sync_jitter_ns, |us| us * 1_000);
        config.followers_syncs = self.followers_sync.map(|level| level == SimSync::Batch);
        config.deliver_switch = self.deliver_switch;
        config.retain_events = self.retain_events.unwrap_or(config.retain_events);
        config.archive = self.archive.or(config.archive);
        config.tails = self.tails.unwrap_or(config.tails);
        if let Some(deliver) = self.deliver {
            config.core.deliver = deliver.into();
        }
        let infer =
            seqcast::core::Config { nodes: config.followers + 1, ..config.core.clone() }.followers_infer_commit();
        if self.kill_leader && !infer {
            // Followers that cannot infer a commit (a quorum above 2, or a
            // sequencer that syncs after it sends) learn it from a heartbeat:
            // one lost just before the kill leaves them short, as the
            // protocol allows (the gap docs/TESTING.md names). Unless flags
            // ask for loss or partitions, such runs have neither.
            config.loss = self.loss.unwrap_or(0.0);
            config.partitions = self.partitions.unwrap_or(0);
        }
        config
    }

    /// The flags that fix the profile, to repeat in a replay command.
    pub fn overrides(&self) -> String {
        let flags = [
            ("loss", self.loss.map(|v| v.to_string())),
            ("dup", self.dup.map(|v| v.to_string())),
            ("reorder", self.reorder.map(|v| v.to_string())),
            ("replay", self.replay.map(|v| v.to_string())),
            ("followers", self.followers.map(|v| v.to_string())),
            ("clients", self.clients.map(|v| v.to_string())),
            ("client-places", self.client_places.map(|v| v.to_string())),
            ("client-idle-us", self.client_idle_us.map(|v| v.to_string())),
            ("events", self.events.map(|v| v.to_string())),
            ("crashes", self.crashes.map(|v| v.to_string())),
            ("partitions", self.partitions.map(|v| v.to_string())),
            ("deliver", self.deliver.map(|d| format!("{d:?}").to_lowercase())),
            ("leader-crashes", self.leader_crashes.map(|v| v.to_string())),
            ("pauses", self.pauses.map(|v| v.to_string())),
            ("slow-apps", self.slow_apps.map(|v| v.to_string())),
            ("disk-fails", self.disk_fails.map(|v| v.to_string())),
            ("promotions", self.promotions.map(|v| v.to_string())),
            ("late-members", self.late_members.map(|v| v.to_string())),
            ("cluster-crashes", self.cluster_crashes.map(|v| v.to_string())),
            ("stops", self.stops.map(|v| v.to_string())),
            ("cluster-stops", self.cluster_stops.map(|v| v.to_string())),
            ("claim-losses", self.claim_losses.map(|v| v.to_string())),
            ("damages", self.damages.map(|v| v.to_string())),
            ("sync-jitter-us", self.sync_jitter_us.map(|v| v.to_string())),
            ("retain-events", self.retain_events.map(|v| v.to_string())),
            ("archive", self.archive.map(|v| v.to_string())),
            ("tails", self.tails.map(|v| v.to_string())),
        ];
        let mut flags: String =
            flags.iter().filter_map(|(name, value)| Some(format!(" --{name} {}", value.as_ref()?))).collect();
        if self.journal {
            flags.push_str(" --journal");
        }
        if self.count_incomplete {
            flags.push_str(" --count-incomplete");
        }
        if self.replay_as_sender {
            flags.push_str(" --replay-as-sender");
        }
        if self.replay_after_faults {
            flags.push_str(" --replay-after-faults");
        }
        if self.deliver_switch {
            flags.push_str(" --deliver-switch");
        }
        if self.sync == SimSync::None {
            flags.push_str(" --sync none");
        }
        match self.followers_sync {
            Some(SimSync::None) => flags.push_str(" --followers-sync none"),
            Some(SimSync::Batch) => flags.push_str(" --followers-sync batch"),
            None => {}
        }
        match (self.failover, self.kill_leader) {
            (true, _) => format!(" --failover{flags}"),
            (false, true) => format!(" --kill-leader{flags}"),
            (false, false) => flags,
        }
    }
}

/// Runs `seqcast sim`.
pub fn run(args: &SimArgs) -> ExitCode {
    let Some(end) = args.seed.checked_add(args.seeds) else {
        eprintln!("error: --seed {} plus --seeds {} overflows", args.seed, args.seeds);
        return ExitCode::FAILURE;
    };
    if args.failover && args.followers.is_some_and(|f| f > 63) {
        eprintln!("error: with --failover a cluster has at most 64 members (--followers 63)");
        return ExitCode::FAILURE;
    }
    let places = args.client_places.unwrap_or(SimConfig::new(0).core.clients_max as u64);
    if args.clients.is_some_and(|c| u64::from(c) > places) && args.client_idle_us.is_none() {
        eprintln!(
            "error: --clients {} is more than the leader's {places} places (--client-places): give \
             --client-idle-us (e.g. 500) so that a client idle that long gives its place up, or the others \
             wait for good",
            args.clients.unwrap_or(0)
        );
        return ExitCode::FAILURE;
    }
    let gone = seqcast::core::RECORDS_PER_CLIENT_PLACE as u64;
    let remembered = places * (1 + gone);
    if let Some(clients) = args.clients.filter(|&c| u64::from(c) > remembered) {
        eprintln!(
            "error: --clients {clients} is more than the {remembered} clients a table of {places} places \
             remembers (--client-places, and {gone} clients gone per place): one forgotten before it was told its \
             first request committed is a new client when it sends it again, and the leader sequences it twice \
             (docs/PROTOCOL.md, the limit of the leader's bounded memory); give more places or fewer clients"
        );
        return ExitCode::FAILURE;
    }
    // Seeds draw 2 to 4 followers unless --followers says.
    let last = usize::from(args.followers.unwrap_or(4));
    if let Some(n) = args.archive.filter(|&n| n > last) {
        eprintln!("error: --archive {n}: members are numbered 0 to {last} (the leader and --followers)");
        return ExitCode::FAILURE;
    }
    // Flags that cannot go together (--failover with --deliver receive):
    // refused here, in the flags' words, before any seed runs.
    if let Err(e) = args.config(args.seed).core.validate() {
        eprintln!("error: {}", super::args::config_error(&e));
        return ExitCode::FAILURE;
    }
    let overrides = args.overrides();
    let profile = if overrides.is_empty() {
        "a fault profile drawn per seed".to_string()
    } else {
        overrides.trim_start().to_string()
    };
    println!("seqcast sim: seeds {}..{end}, {profile}", args.seed);
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    let outcomes = sim::run_seeds(args.seed..end, threads, &|seed| args.config(seed));
    let mut paths = Paths::default();
    for outcome in &outcomes {
        paths.add(&outcome.paths);
    }
    let width = paths.rows().iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, count) in paths.rows() {
        // The journal's rows only where there is one.
        let shown = (args.journal || !JOURNAL_PATHS.contains(&name))
            && (args.replay.is_some() || !REPLAY_PATHS.contains(&name))
            && (args.client_idle_us.is_some() || name != CROWD_PATH)
            && (args.slow_apps.is_some_and(|n| n > 0) || !SLOW_APP_PATHS.contains(&name))
            && (args.disk_fails.is_some_and(|n| n > 0) || !DISK_FAIL_PATHS.contains(&name))
            && (args.tails.is_some_and(|n| n > 0) || !TAIL_PATHS.contains(&name))
            && (!args.failover || !PORT_PATHS.contains(&name));
        if shown {
            println!("  {name:<width$} {count:>12}");
        }
    }
    if paths.leader_faults > 0 {
        let mean_ms = paths.fault_to_commit_us as f64 / paths.leader_faults as f64 / 1000.0;
        println!(
            "  (from a fault that hit the leader to the first commit a client saw past its commit then: {mean_ms:.2} ms on average)"
        );
    }
    eprintln!("({} seeds in {:.1} s on {threads} threads)", outcomes.len(), started.elapsed().as_secs_f64());
    let Some(failed) = outcomes.iter().find(|o| o.violation.is_some()) else {
        println!("{} seeds passed", outcomes.len());
        return ExitCode::SUCCESS;
    };
    let violation = failed.violation.as_ref().expect("found by its violation");
    let failures = outcomes.iter().filter(|o| o.violation.is_some()).count();
    println!("{failures} of {} seeds FAILED; the first, seed {}: {violation}", outcomes.len(), failed.seed);
    let more: Vec<String> = outcomes
        .iter()
        .filter_map(|o| Some(format!("{} ({})", o.seed, o.violation.as_ref()?.invariant)))
        .take(20)
        .collect();
    if failures > 1 {
        println!("failed seeds (invariant): {}", more.join(", "));
    }
    println!("replay it alone: seqcast sim --seed {} --seeds 1{overrides}", failed.seed);
    ExitCode::FAILURE
}
