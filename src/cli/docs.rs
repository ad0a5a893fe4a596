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
/// `seqcast man > /usr/local/share/man/man1/seqcast.1`. One page: each
/// subcommand (and each of theirs, `journal verify`, …) has a section of
/// its own, and none points to a page of its own.
pub fn man() -> ExitCode {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    let rendered = (|| {
        man.render_title(&mut page)?;
        man.render_name_section(&mut page)?;
        man.render_synopsis_section(&mut page)?;
        man.render_description_section(&mut page)?;
        writeln!(page, ".SH SUBCOMMANDS")?;
        for sub in subcommands(&command) {
            writeln!(page, ".TP\n\\fB{}\\fR", sub.get_name())?;
            if let Some(about) = sub.get_about() {
                writeln!(page, "{}", roff_text(&about.to_string()))?;
            }
        }
        sections(&mut page, "SEQCAST", &command)?;
        writeln!(page, ".SH \"EXIT STATUS\"\n{}", roff_text(super::EXIT_CODES))?;
        man.render_version_section(&mut page)
    })();
    match rendered.and_then(|()| std::io::stdout().write_all(&page)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the man page: {e}")),
    }
}

/// `command`'s subcommands, clap's own `help` left out.
fn subcommands(command: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    command.get_subcommands().filter(|s| s.get_name() != "help")
}

/// A section for each subcommand of `command` (named under `title`), its
/// own subcommands' after it.
fn sections(page: &mut Vec<u8>, title: &str, command: &clap::Command) -> std::io::Result<()> {
    for sub in subcommands(command) {
        let title = format!("{title} {}", sub.get_name().to_uppercase());
        writeln!(page, ".SH \"{title}\"")?;
        if let Some(about) = sub.get_about() {
            writeln!(page, "{}", roff_text(&about.to_string()))?;
        }
        clap_mangen::Man::new(sub.clone()).render_options_section(page)?;
        if let Some(codes) = sub.get_after_help() {
            writeln!(page, ".PP\n{}", roff_text(&codes.to_string()))?;
        }
        sections(page, &title, sub)?;
    }
    Ok(())
}

/// `text` as one roff paragraph: no line may start with a control character.
fn roff_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('-', "\\-").replace("\n.", "\n\\&.").replace("\n'", "\n\\&'")
}
