//! Where a node's metrics page is served (`--metrics`), and the lines
//! that say so: the page and its server are the library's
//! ([`seqcast::net::metrics`]).

use std::net::{SocketAddr, SocketAddrV4};

use seqcast::core::NodeId;
use seqcast::net::metrics::MetricsServer;

/// Serves the page on `addr` (`--metrics`), else on a free loopback port:
/// before a node reads its journal, so that a port in use is said at once
/// rather than after a long replay. Nothing is printed or noted until
/// [`note_node`].
pub fn serve_node(addr: Option<SocketAddr>) -> Result<MetricsServer, String> {
    let addr = addr.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    MetricsServer::serve(addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "--metrics {addr}: the port is in use by another socket (another node's --metrics? `seqcast stat` lists \
             this host's)"
        ),
        _ => format!("--metrics {addr}: cannot listen: {e}"),
    })
}

/// Says where the page is, and notes it for `seqcast stat` (node `node` of
/// cluster `cluster_id` on `group`, a `kind`: sequencer, follower or
/// member). A node that cannot note it still runs, and says so.
pub fn note_node(metrics: &mut MetricsServer, cluster: (u32, SocketAddrV4), node: NodeId, kind: &str) {
    // Where, also when it chose a free port: a scraper needs it.
    println!("metrics: http://{}/metrics (`seqcast stat` finds it)", metrics.local_addr());
    if let Err(e) = metrics.note(cluster, node, kind) {
        eprintln!("warning: `seqcast stat` will not find this node without its address: {e}");
    }
}
