//! The `seqcast` command line.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use seqcast::core::Deliver;
use seqcast::sim::{self, Paths, SimConfig};

/// seqcast: a leader-based event sequencer over UDP multicast for a LAN.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the deterministic simulator: a whole cluster in one thread per
    /// seed, through loss, duplication, reordering, crashes and partitions,
    /// checked against every invariant. Without fault flags each seed draws
    /// its own fault profile; each flag given fixes that fault for all seeds.
    Sim(SimArgs),
}

#[derive(Debug, Args)]
struct SimArgs {
    /// How many seeds to run.
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// The first seed (a failing seed replays alone with `--seed S --seeds 1`).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Chance that a datagram is lost, 0 to 1.
    #[arg(long, value_parser = probability)]
    loss: Option<f64>,
    /// Chance that a datagram is duplicated, 0 to 1.
    #[arg(long, value_parser = probability)]
    dup: Option<f64>,
    /// Chance that a datagram is held back and overtaken, 0 to 1.
    #[arg(long, value_parser = probability)]
    reorder: Option<f64>,
    /// Followers in the cluster (the leader comes on top).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    followers: Option<u16>,
    /// Clients submitting at once.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=8))]
    clients: Option<u32>,
    /// Events submitted in each run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    events: Option<u64>,
    /// Follower crash-and-restart episodes in each run.
    #[arg(long)]
    crashes: Option<u32>,
    /// Partition episodes (symmetric or one-way, then healed) in each run.
    #[arg(long)]
    partitions: Option<u32>,
    /// When followers deliver: once committed, or as received.
    #[arg(long, value_enum)]
    deliver: Option<DeliverArg>,
    /// Threads to run seeds on (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DeliverArg {
    Commit,
    Receive,
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Ok(p) => Err(format!("{p} is not a probability between 0 and 1")),
        Err(e) => Err(format!("{text:?} is not a number: {e}")),
    }
}

impl SimArgs {
    fn config(&self, seed: u64) -> SimConfig {
        let mut config = SimConfig::mixed(seed);
        config.loss = self.loss.unwrap_or(config.loss);
        config.dup = self.dup.unwrap_or(config.dup);
        config.reorder = self.reorder.unwrap_or(config.reorder);
        config.followers = self.followers.unwrap_or(config.followers);
        config.clients = self.clients.unwrap_or(config.clients);
        config.events = self.events.unwrap_or(config.events);
        config.crashes = self.crashes.unwrap_or(config.crashes);
        config.partitions = self.partitions.unwrap_or(config.partitions);
        if let Some(deliver) = self.deliver {
            config.core.deliver = match deliver {
                DeliverArg::Commit => Deliver::OnCommit,
                DeliverArg::Receive => Deliver::OnReceive,
            };
        }
        config
    }

    /// The flags that fix the profile, to repeat in a replay command.
    fn overrides(&self) -> String {
        let mut flags = String::new();
        let mut add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                flags.push_str(&format!(" --{name} {value}"));
            }
        };
        add("loss", self.loss.map(|v| v.to_string()));
        add("dup", self.dup.map(|v| v.to_string()));
        add("reorder", self.reorder.map(|v| v.to_string()));
        add("followers", self.followers.map(|v| v.to_string()));
        add("clients", self.clients.map(|v| v.to_string()));
        add("events", self.events.map(|v| v.to_string()));
        add("crashes", self.crashes.map(|v| v.to_string()));
        add("partitions", self.partitions.map(|v| v.to_string()));
        add("deliver", self.deliver.map(|d| format!("{d:?}").to_lowercase()));
        flags
    }
}

fn run_sim(args: &SimArgs) -> ExitCode {
    let Some(end) = args.seed.checked_add(args.seeds) else {
        eprintln!("error: --seed {} plus --seeds {} overflows", args.seed, args.seeds);
        return ExitCode::FAILURE;
    };
    let overrides = args.overrides();
    let profile = if overrides.is_empty() { "a fault profile drawn per seed".to_string() } else { overrides.clone() };
    println!("seqcast sim: seeds {}..{end}, {profile}", args.seed);
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    let outcomes = sim::run_seeds(args.seed..end, threads, &|seed| args.config(seed));
    let mut paths = Paths::default();
    for outcome in &outcomes {
        paths.add(&outcome.paths);
    }
    for (name, count) in paths.rows() {
        println!("  {name:<22} {count:>12}");
    }
    eprintln!("({} seeds in {:.1} s on {threads} threads)", outcomes.len(), started.elapsed().as_secs_f64());
    match outcomes.iter().find(|o| o.violation.is_some()) {
        None => {
            println!("{} seeds passed", outcomes.len());
            ExitCode::SUCCESS
        }
        Some(failed) => {
            let violation = failed.violation.as_ref().expect("found by its violation");
            let failures = outcomes.iter().filter(|o| o.violation.is_some()).count();
            println!("{failures} of {} seeds FAILED; the first, seed {}: {violation}", outcomes.len(), failed.seed);
            println!("replay it alone: seqcast sim --seed {} --seeds 1{overrides}", failed.seed);
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Sim(args) => run_sim(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_probabilities_are_refused_with_a_reason() {
        let error = Cli::try_parse_from(["seqcast", "sim", "--loss", "1.5"]).unwrap_err();
        assert!(error.to_string().contains("not a probability"), "{error}");
        assert!(Cli::try_parse_from(["seqcast", "sim", "--followers", "0"]).is_err());
    }

    #[test]
    fn flags_override_the_drawn_profile_and_replay() {
        let cli = Cli::try_parse_from(["seqcast", "sim", "--loss", "0.2", "--crashes", "1"]).unwrap();
        let Command::Sim(args) = cli.command;
        let config = args.config(5);
        assert_eq!((config.loss, config.crashes), (0.2, 1));
        assert_eq!(config.dup, SimConfig::mixed(5).dup);
        assert_eq!(args.overrides(), " --loss 0.2 --crashes 1");
    }
}
