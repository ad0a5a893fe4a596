//! `seqcast-loadgen`: open-loop load for a seqcast cluster; see `--help`.

fn main() -> std::process::ExitCode {
    seqcast::cli::load::main()
}
