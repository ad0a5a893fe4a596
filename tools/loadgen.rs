//! `seqcast-loadgen`: open-loop load for a seqcast cluster; see `--help`.
//! The same as `seqcast load`: its flags and code are `seqcast`'s own
//! (the same files, compiled into both).

use clap::Parser;

#[path = "../src/cli/args.rs"]
#[allow(dead_code)] // `seqcast` uses all of it; the load generator a part
mod args;
#[path = "../src/cli/load.rs"]
mod load;

fn main() -> std::process::ExitCode {
    seqcast::net::end_on_closed_pipe();
    load::run(&load::LoadgenCli::parse(), "seqcast-loadgen")
}
