//! `seqcast completions SHELL` and `seqcast man`: generated from the same
//! clap definitions as the command line, so they never drift from it.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, fail};

/// `seqcast completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. Install, e.g.:
    /// `seqcast completions bash > /etc/bash_completion.d/seqcast`.
    shell: Shell,
}

/// Prints the completion script of `seqcast` for a shell.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    clap_complete::generate(args.shell, &mut Cli::command(), "seqcast", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// Prints the man page of `seqcast` (roff), its subcommands included:
/// `seqcast man > /usr/local/share/man/man1/seqcast.1`.
pub fn man() -> ExitCode {
    let command = Cli::command();
    let mut page = Vec::new();
    let rendered = clap_mangen::Man::new(command.clone()).render(&mut page).and_then(|()| {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            writeln!(page, ".SH \"SEQCAST {}\"", sub.get_name().to_uppercase())?;
            if let Some(about) = sub.get_about() {
                writeln!(page, "{about}")?;
            }
            clap_mangen::Man::new(sub.clone()).render_options_section(&mut page)?;
        }
        Ok(())
    });
    match rendered.and_then(|()| std::io::stdout().write_all(&page)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the man page: {e}")),
    }
}
