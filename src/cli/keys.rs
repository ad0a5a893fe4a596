//! `seqcast keys`: make the key files that authenticate a cluster's
//! datagrams (DESIGN §9).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::fail;
use seqcast::auth::{Key, Keys};
use seqcast::core::ClientId;

/// `seqcast keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Make a cluster's keys: a member key and a client master secret, in a
    /// new file readable by its owner only. Copy it to every member host
    /// (and name it with `key_file =` in the cluster file or --key-file).
    New {
        /// The file to write (it must not exist yet).
        file: PathBuf,
    },
    /// Write the key file of one client: its own key, derived from the
    /// cluster's client master; it can speak only as that client id.
    Client {
        /// The cluster's key file (with `clients`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The client id (not 0: no client's; the leader's hello to a
        /// read-only subscriber, `seqcast tail`, names client 0).
        #[arg(long)]
        id: u32,
        /// The file to write (it must not exist yet).
        file: PathBuf,
    },
    /// Write a key file with the client master only, for a host whose
    /// clients take fresh ids (the load generator): it can speak as any
    /// client, never as a member.
    Clients {
        /// The cluster's key file (with `clients`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The file to write (it must not exist yet).
        file: PathBuf,
    },
}

/// Writes `keys` to a new file only its owner can read.
fn write(path: &Path, keys: &Keys) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(keys.to_text().as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The client master of the key file at `path`.
fn master(path: &Path) -> Result<Key, String> {
    match Keys::read(path)? {
        Keys::Member { clients, .. } | Keys::Clients { clients } => Ok(clients),
        Keys::Client { .. } => Err(format!("{} holds one client's key, not the client master", path.display())),
    }
}

/// Runs `seqcast keys`.
pub fn run(args: &KeysArgs) -> ExitCode {
    let result = match &args.command {
        KeysCommand::New { file } => Key::random()
            .and_then(|member| Ok(Keys::Member { member, clients: Key::random()? }))
            .map_err(|e| format!("cannot draw a key: {e}"))
            .and_then(|keys| write(file, &keys)),
        KeysCommand::Client { id: 0, .. } => Err("client id 0 is no client's: the leader's hello to a read-only \
                                                  subscriber (`seqcast tail`) names client 0, and a client refuses \
                                                  it; give the client another id"
            .to_string()),
        KeysCommand::Client { from, id, file } => master(from)
            .and_then(|m| write(file, &Keys::Client { id: ClientId(*id), key: m.client_key(ClientId(*id)) })),
        KeysCommand::Clients { from, file } => master(from).and_then(|clients| write(file, &Keys::Clients { clients })),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
