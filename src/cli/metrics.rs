//! Where a node's metrics page is served (`--metrics`), and the lines
//! that say so: the page and its server are the library's
//! ([`seqcast::net::metrics`]).

use std::net::{SocketAddr, SocketAddrV4};

use seqcast::core::NodeId;
use seqcast::net::metrics::{MetricsServer, NodeKind};

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
        // The library's error names the address.
        _ => format!("--metrics: cannot listen on {e}"),
    })
}

/// Notes the page for `seqcast stat` (node `node` of cluster `cluster_id`
/// on `group`, of `kind`), and says where it is. A node that cannot note
/// it still runs, and says so.
pub fn note_node(metrics: &MetricsServer, cluster: (u32, SocketAddrV4), node: NodeId, kind: NodeKind) {
    // Where, also when it chose a free port: a scraper needs it.
    let at = metrics.local_addr();
    match metrics.note(cluster, node, kind) {
        Ok(()) => println!("metrics: http://{at}/metrics (`seqcast stat` finds it)"),
        Err(e) => {
            println!("metrics: http://{at}/metrics");
            eprintln!("warning: `seqcast stat` will not find this node without its address: {e}");
        }
    }
}
