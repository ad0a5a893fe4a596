//! Abuse a live cluster as issue 16 found it could be, without a key: each
//! test fails on the build before its fix.

mod common;

use std::time::Duration;

use common::{Cluster, json_number};

/// Five runs of a load generator with 64 fresh clients each filled the
/// leader's table of 256 for good: the fifth got nothing committed. Clients
/// idle past `--client-idle-ms` with nothing pending now give their places up.
#[test]
fn fresh_clients_run_after_run_never_fill_the_client_table_for_good() {
    let cluster = Cluster::start_with_leader(12, 2, &["--client-idle-ms", "300"]);
    for run in 1..=6 {
        let (code, report) = cluster.load_with(640, 6400, &["--clients", "64"]);
        assert_eq!(code, 0, "run {run}: {report}");
        let (committed, left) = (json_number(&report, "committed"), json_number(&report, "unacknowledged"));
        assert_eq!((committed, left), (640.0, 0.0), "run {run}: {report}");
        std::thread::sleep(Duration::from_millis(350));
    }
}
