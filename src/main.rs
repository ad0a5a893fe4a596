//! The `seqcast` command line: see `seqcast --help`.

fn main() -> std::process::ExitCode {
    seqcast::cli::main()
}
