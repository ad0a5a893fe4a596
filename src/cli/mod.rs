//! The command line: `seqcast` and its subcommands. `seqcast-loadgen`
//! compiles `args.rs` and `load.rs` in too (`seqcast load` is the same).

pub mod args;
mod demo;
mod docs;
mod held;
mod journal;
mod keys;
pub mod load;
mod member;
mod metrics;
mod nodes;
mod report;
mod sim;
mod stat;
mod tail;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A leader-based event sequencer over UDP multicast for a LAN.
///
/// One leader stamps every event with a sequence number and multicasts it;
/// followers deliver in order, repair loss with NAKs and acknowledge; an event
/// is committed once a quorum holds it. Defaults stay on this host: group
/// 239.255.0.1:7400, interface 127.0.0.1, TTL 0.
#[derive(Debug, Parser)]
#[command(name = "seqcast", version, long_version = LONG_VERSION, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `seqcast --version`: the build, and the formats it speaks, which decide
/// whether it can join a cluster of another build one node at a time.
const LONG_VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (wire version 3, journal segment format 2, reads format 1 too)");
const _: () = assert!(
    seqcast::wire::VERSION == 3 && seqcast::journal::format::SEGMENT_VERSION == 2,
    "LONG_VERSION names the formats"
);

/// What every exit code means, for `seqcast --help` and the man page.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 an error, said on stderr (demo: an event was lost; sim: an \
                          invariant failed; journal verify: damage found; promote: no election followed; stat: a \
                          node did not answer, is not running or reports a fault); 2 the command line did not \
                          parse; 3 a follower whose leader restarted without its history (without a journal: any restart of its leader), a member whose cluster elected a leader without commits it \
                          knows, or a sequencer whose followers acknowledged more than it sequenced; 4 the load generator left events unconfirmed.";
/// The exit codes of a command that only reads or writes files.
const EXIT_PLAIN: &str = "Exit codes: 0 success; 1 an error (said on stderr); 2 the command line did not parse.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the leader (the sequencer) until Ctrl-C or SIGTERM.
    #[command(after_help = "Exit codes: 0 stopped cleanly (Ctrl-C, SIGTERM); 1 an error (said on stderr); 2 the \
                            command line did not parse; 3 a follower acknowledged a sequence this sequencer never \
                            gave (it was started without its journal, or with another's): it stops, committing \
                            nothing more.")]
    Sequencer(nodes::SequencerArgs),
    /// Run a follower until Ctrl-C or SIGTERM; prints a digest of what it delivered.
    #[command(after_help = "Exit codes: 0 stopped cleanly; 1 an error (said on stderr); 2 the command line \
                            did not parse; 3 the leader restarted without its history (a follower without a \
                            journal: any restart of its leader; with one, a sequencer whose log lacks what it \
                            knows committed or delivered), everything committed before it delivered first.")]
    Follower(nodes::FollowerArgs),
    /// Run a member of a cluster with failover until Ctrl-C or SIGTERM: it
    /// leads or follows as elections decide; prints a digest of what it delivered.
    #[command(after_help = "Exit codes: 0 stopped cleanly (Ctrl-C, SIGTERM); 1 an error (said on stderr); 2 the \
                            command line did not parse; 3 the cluster's leader has a log that lacks events this \
                            member knows committed, or holds others in their place: it stops, taking nothing of \
                            that log (its journal keeps them, and a file beside them, `refused`, makes it exit 3 \
                            again at every start on that journal: to follow the cluster, move the journal aside \
                            and start the member with --rejoin).")]
    Member(member::MemberArgs),
    /// Ask a member of a cluster with failover to stand for election now.
    #[command(after_help = "Exit codes: 0 the node took the lead (its epoch is printed); 1 it did not \
                            within --wait-ms, or an error (said on stderr); 2 the command line did not parse.")]
    Promote(member::PromoteArgs),
    /// A leader, followers and load on loopback for a few seconds, then a
    /// latency report. Exits non-zero if anything was lost.
    #[command(after_help = "Exit codes: 0 every event committed and every follower delivered the same; \
                            1 an event lost, digests that differ, or an error (said on stderr); 2 the command \
                            line did not parse.")]
    Demo(demo::DemoArgs),
    /// Open-loop load on a running cluster, with latency from each event's
    /// intended send time to its commit (the same as `seqcast-loadgen`).
    Load(load::LoadgenCli),
    /// Print or compare latency histograms saved by the nodes, the load
    /// generator or the demo.
    #[command(after_help = EXIT_PLAIN)]
    Report(report::ReportArgs),
    /// Check a node's journal directory, print its events, or copy it for another node.
    #[command(after_help = "Exit codes: 0 the journal is whole; 1 damage found, segments of another node than \
                            the directory is named for, or a member's refusal of its cluster's log (verify), or an \
                            error (said on stderr); 2 the command line did not parse.")]
    Journal(journal::JournalArgs),
    /// Make the key files that authenticate every datagram of a cluster.
    #[command(after_help = EXIT_PLAIN)]
    Keys(keys::KeysArgs),
    /// Read the log from a sequence on, then follow it live: a read-only
    /// subscriber (it counts for no quorum) that prints events or counts them.
    #[command(after_help = "Exit codes: 0 reached --to, or (without --to) stopped by Ctrl-C or SIGTERM, every \
                            sequence delivered; 1 an error, stopped before --to, sequences lost (UNRECOVERABLE: the \
                            leader no longer holds them), the leader restarted without this log, no leader heard, \
                            or (without --failover) stopped while another member led (said on stderr; flags that \
                            parse but contradict each other, as --to before --from, are errors too); 2 the command \
                            line did not parse.")]
    Tail(tail::TailArgs),
    /// Run the deterministic simulator: a whole cluster in one thread per
    /// seed, through loss, duplication, reordering, crashes and partitions,
    /// checked against every invariant. Without fault flags each seed draws
    /// its own fault profile; each flag given fixes that fault for all seeds.
    #[command(after_help = "Exit codes: 0 every seed held every invariant; 1 a seed failed (printed, to \
                            replay with --seed), or an error; 2 the command line did not parse.")]
    Sim(sim::SimArgs),
    /// Show running nodes' counters, one line a node, each second (read
    /// from their --metrics endpoints).
    #[command(after_help = "Exit codes: 0 success; 1 (with --once) a node did not answer, a node of the --cluster \
                            file whose address is this host's is not running (noted by this user), a node reports \
                            a fault (JOURNAL FAILED, NO LEADER HEARD, BELOW QUORUM, COMMITS STALLED, LOST \
                            COMMITS), a node id run by two processes, a split cluster (two leaders in one epoch or \
                            of two shapes, or a sequencer among members), or an error (said on stderr); 2 the \
                            command line did not parse.")]
    Stat(stat::StatArgs),
    /// Print a shell's completion script for seqcast.
    #[command(after_help = EXIT_PLAIN)]
    Completions(docs::CompletionsArgs),
    /// Print seqcast's man page (roff).
    #[command(after_help = EXIT_PLAIN)]
    Man,
}

/// Prints `error: …` and returns the failure exit code.
fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// `seqcast`'s main.
pub fn main() -> ExitCode {
    seqcast::net::end_on_closed_pipe();
    match &Cli::parse().command {
        Command::Sequencer(args) => nodes::sequencer(args),
        Command::Follower(args) => nodes::follower(args),
        Command::Member(args) => member::member(args),
        Command::Promote(args) => member::promote(args),
        Command::Demo(args) => demo::run(args),
        Command::Load(args) => load::run(args, "seqcast load"),
        Command::Report(args) => report::run(args),
        Command::Journal(args) => journal::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Stat(args) => stat::run(args),
        Command::Man => docs::man(),
        Command::Keys(args) => keys::run(args),
        Command::Tail(args) => tail::run(args),
        Command::Sim(args) => sim::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_definitions_are_consistent() {
        Cli::command().debug_assert();
        load::LoadgenCli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_and_flag_has_help() {
        let mut cli = Cli::command();
        for sub in cli.get_subcommands_mut() {
            assert!(sub.get_about().is_some(), "subcommand {} has no help", sub.get_name());
            let codes = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(codes.starts_with("Exit codes: 0"), "subcommand {} does not list its exit codes", sub.get_name());
            for arg in sub.get_arguments() {
                let name = arg.get_id();
                assert!(arg.get_help().is_some() || name == "help", "{} --{name} has no help", sub.get_name());
            }
        }
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let error = |args: &[&str]| Cli::try_parse_from(args).unwrap_err().to_string();
        assert!(error(&["seqcast", "sim", "--loss", "1.5"]).contains("not a probability"));
        assert!(error(&["seqcast", "sequencer", "--group", "239.255.0.1"]).contains("invalid IPv4 socket address"));
        assert!(error(&["seqcast", "follower"]).contains("--id"));
        assert!(error(&["seqcast", "sequencer", "--bogus"]).contains("unexpected argument"));
        assert!(error(&["seqcast", "sim", "--followers", "0"]).contains("--followers"));
    }

    #[test]
    fn the_cluster_resolves_defaults_and_refuses_contradictions() {
        let cli = Cli::try_parse_from(["seqcast", "sequencer", "--quorum", "4"]).unwrap();
        let Command::Sequencer(args) = cli.command else { unreachable!() };
        assert!(
            args.cluster
                .resolve(Some(seqcast::core::NodeId(0)))
                .unwrap_err()
                .contains("quorum 4 is larger than the cluster")
        );
        let cli = Cli::try_parse_from(["seqcast", "sequencer", "--group", "10.0.0.1:7400"]).unwrap();
        let Command::Sequencer(args) = cli.command else { unreachable!() };
        assert!(args.cluster.resolve(Some(seqcast::core::NodeId(0))).unwrap_err().contains("not a multicast address"));
        let cli = Cli::try_parse_from(["seqcast", "sequencer"]).unwrap();
        let Command::Sequencer(args) = cli.command else { unreachable!() };
        let resolved = args.cluster.resolve(Some(seqcast::core::NodeId(0))).unwrap();
        assert_eq!((resolved.config.nodes, resolved.config.quorum(), resolved.multicast.ttl), (3, 2, 0));
        assert_eq!(resolved.leader_addr().to_string(), "127.0.0.1:7401");
    }

    #[test]
    fn sim_flags_override_the_drawn_profile_and_replay() {
        let cli = Cli::try_parse_from(["seqcast", "sim", "--loss", "0.2", "--crashes", "1"]).unwrap();
        let Command::Sim(args) = cli.command else { unreachable!() };
        let config = args.config(5);
        assert_eq!((config.loss, config.crashes), (0.2, 1));
        assert_eq!(config.dup, seqcast::sim::SimConfig::mixed(5).dup);
        assert_eq!(args.overrides(), " --loss 0.2 --crashes 1");
    }

    /// `sim --kill-leader --journal` (a sequencer at `--sync batch`) failed
    /// 2 % of its seeds on the protocol's known gap: followers that cannot
    /// infer a commit and lost its heartbeat just before the kill. Runs
    /// whose followers can infer keep their drawn faults; the others have
    /// no loss and no partitions unless the flags ask.
    #[test]
    fn sim_kill_leader_keeps_runs_whose_followers_cannot_infer_off_the_gap() {
        let sim = |flags: &[&str]| {
            let cli = Cli::try_parse_from([&["seqcast", "sim", "--kill-leader"], flags].concat()).unwrap();
            let Command::Sim(args) = cli.command else { unreachable!() };
            (0..200).map(|seed| args.config(seed)).collect::<Vec<_>>()
        };
        let lossless = |configs: &[seqcast::sim::SimConfig]| configs.iter().all(|c| c.loss == 0.0 && c.partitions == 0);
        assert!(lossless(&sim(&["--journal"])));
        assert!(lossless(&sim(&["--followers", "3"])));
        let inferring = sim(&["--followers", "2", "--journal", "--sync", "none"]);
        assert!(inferring.iter().any(|c| c.loss > 0.0) && inferring.iter().any(|c| c.partitions > 0));
        assert!(sim(&["--journal", "--loss", "0.1"]).iter().all(|c| c.loss == 0.1), "the flag's loss stays");
    }
}
