//! `seqcast stat`: the live counters of running nodes, one line a node,
//! refreshed each second, read from their `--metrics` endpoints (what
//! AeronStat is to Aeron).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::fail;

/// `seqcast stat`.
#[derive(Debug, Args)]
pub struct StatArgs {
    /// The nodes' --metrics addresses.
    #[arg(required = true, value_name = "IP:PORT")]
    nodes: Vec<SocketAddr>,
    /// Print one table and exit (exit 1 if a node did not answer).
    #[arg(long)]
    once: bool,
}

/// One node's page, as name{labels} → value.
fn scrape(addr: SocketAddr) -> Result<BTreeMap<String, f64>, String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).map_err(|e| e.to_string())?;
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: seqcast\r\n\r\n").map_err(|e| e.to_string())?;
    let mut page = String::new();
    stream.read_to_string(&mut page).map_err(|e| e.to_string())?;
    let body = page.split("\r\n\r\n").nth(1).ok_or("not an HTTP answer")?;
    Ok(body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect())
}

/// The sum of every sample of `name` (all its label sets).
fn total(samples: &BTreeMap<String, f64>, name: &str) -> f64 {
    samples.iter().filter(|(k, _)| k.split('{').next() == Some(name)).map(|(_, v)| v).sum()
}

/// The first sample of `name`, if any.
fn first(samples: &BTreeMap<String, f64>, name: &str) -> Option<f64> {
    samples.iter().find(|(k, _)| k.split('{').next() == Some(name)).map(|(_, v)| *v)
}

fn row(addr: SocketAddr) -> Result<String, String> {
    let s = scrape(addr)?;
    let leading = first(&s, "seqcast_leading") == Some(1.0);
    let node = s.keys().find_map(|k| k.split("node=\"").nth(1)?.split('"').next().map(str::to_string));
    let lag = if leading {
        let worst = s.iter().filter(|(k, _)| k.starts_with("seqcast_follower_lag_events")).map(|(_, v)| *v);
        format!("max follower lag {}", worst.fold(0.0, f64::max))
    } else {
        let held = first(&s, "seqcast_held").unwrap_or(0.0);
        format!("held {held} delivered {}", total(&s, "seqcast_delivered_total"))
    };
    Ok(format!(
        "{addr:<21} node {:<3} {:<8} epoch {:<14} commit {:<10} {lag}  naks {} rejects {}",
        node.unwrap_or_else(|| "?".into()),
        if leading { "leader" } else { "follower" },
        first(&s, "seqcast_epoch").unwrap_or(0.0),
        first(&s, "seqcast_commit").unwrap_or(0.0),
        total(&s, "seqcast_naks_total") + total(&s, "seqcast_naks_sent_total"),
        total(&s, "seqcast_rejects_total"),
    ))
}

/// Runs `seqcast stat`.
pub fn run(args: &StatArgs) -> ExitCode {
    loop {
        let mut failed = false;
        for &addr in &args.nodes {
            match row(addr) {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    failed = true;
                    println!("{addr:<21} no answer: {e}");
                }
            }
        }
        if args.once {
            return if failed { fail("a node did not answer") } else { ExitCode::SUCCESS };
        }
        println!();
        std::thread::sleep(Duration::from_secs(1));
    }
}
