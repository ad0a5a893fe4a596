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
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    let rendered = (|| {
        man.render_title(&mut page)?;
        man.render_name_section(&mut page)?;
        man.render_synopsis_section(&mut page)?;
        man.render_description_section(&mut page)?;
        man.render_subcommands_section(&mut page)?;
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            writeln!(page, ".SH \"SEQCAST {}\"", sub.get_name().to_uppercase())?;
            if let Some(about) = sub.get_about() {
                writeln!(page, "{about}")?;
            }
            clap_mangen::Man::new(sub.clone()).render_options_section(&mut page)?;
            if let Some(codes) = sub.get_after_help() {
                writeln!(page, ".PP\n{}", roff_text(&codes.to_string()))?;
            }
        }
        writeln!(page, ".SH \"EXIT STATUS\"\n{}", roff_text(super::EXIT_CODES))?;
        man.render_version_section(&mut page)
    })();
    match rendered.and_then(|()| std::io::stdout().write_all(&page)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the man page: {e}")),
    }
}

/// `text` as one roff paragraph: no line may start with a control character.
fn roff_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('-', "\\-").replace("\n.", "\n\\&.").replace("\n'", "\n\\&'")
}
