//! The `seqcast` command line: see `seqcast --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
