//! socket2 builders for the sockets a node needs, with errors that say which
//! address or interface was wrong (DESIGN §7: loopback defaults).

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

use super::NetError;

/// Where and how the cluster multicasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multicast {
    /// Group address and port (239.255.0.0/16 is the site-local scope).
    pub group: SocketAddrV4,
    /// Address of the local interface to send and join on.
    pub interface: Ipv4Addr,
    /// Multicast TTL: 0 stays on this host, 1 on this LAN segment.
    pub ttl: u32,
}

impl Default for Multicast {
    fn default() -> Multicast {
        Multicast {
            group: SocketAddrV4::new(Ipv4Addr::new(239, 255, 0, 1), 7400),
            interface: Ipv4Addr::LOCALHOST,
            ttl: 0,
        }
    }
}

impl Multicast {
    /// Refuses a group that is not multicast or is in 224.0.0.0/24 (the
    /// LAN's control protocols), port 0, and a TTL above 255.
    pub fn validate(&self) -> Result<(), NetError> {
        if !self.group.ip().is_multicast() {
            return Err(NetError::NotMulticast(*self.group.ip()));
        }
        if self.group.ip().octets()[..3] == [224, 0, 0] {
            return Err(NetError::Setting(
                "group",
                format!(
                    "{} is in 224.0.0.0/24, kept for the LAN's control protocols (every host and router takes \
                     it); use one in 239.255.0.0/16",
                    self.group.ip()
                ),
            ));
        }
        if self.group.port() == 0 {
            return Err(NetError::Setting(
                "group",
                format!("{} has port 0; give the port every node uses", self.group),
            ));
        }
        if self.ttl > 255 {
            return Err(NetError::Setting(
                "ttl",
                format!("{} is above 255 (0: this host, 1: the LAN segment)", self.ttl),
            ));
        }
        Ok(())
    }
}

fn udp() -> io::Result<Socket> {
    Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
}

fn buffers(socket: &Socket, bytes: usize) {
    // The kernel caps these at net.core.{r,w}mem_max; a smaller buffer still
    // works, so failing to grow it is not an error.
    let _ = socket.set_recv_buffer_size(bytes);
    let _ = socket.set_send_buffer_size(bytes);
}

/// The address of this host that the kernel would send from to reach
/// `to` (its route's source), if it has a route: a UDP socket connected to
/// it says, and sends nothing.
pub fn route_source(to: SocketAddrV4) -> Option<Ipv4Addr> {
    let socket = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect(to).ok()?;
    match socket.local_addr().ok()? {
        std::net::SocketAddr::V4(local) if !local.ip().is_unspecified() => Some(*local.ip()),
        _ => None,
    }
}

/// A unicast socket bound to `addr`, non-blocking, that can also send to the
/// group (on `multicast.interface`, with its TTL, looped back to local members).
pub fn unicast(addr: SocketAddrV4, multicast: &Multicast, buffer_bytes: usize) -> Result<UdpSocket, NetError> {
    let socket = udp().map_err(NetError::Io)?;
    buffers(&socket, buffer_bytes);
    socket.bind(&addr.into()).map_err(|e| NetError::Bind(addr, e))?;
    socket.set_multicast_if_v4(&multicast.interface).map_err(|e| NetError::Interface(multicast.interface, e))?;
    socket.set_multicast_ttl_v4(multicast.ttl).map_err(NetError::Io)?;
    // Loop back so members on this host (every member, on loopback) hear it.
    socket.set_multicast_loop_v4(true).map_err(NetError::Io)?;
    socket.set_nonblocking(true).map_err(NetError::Io)?;
    Ok(socket.into())
}

/// A socket that receives the group's datagrams on `multicast.interface`.
///
/// It binds the group address, not INADDR_ANY, and turns `IP_MULTICAST_ALL`
/// off, so it hears only its own group (DESIGN §6: two clusters on one host
/// would hear each other otherwise). Several may share a host (SO_REUSEADDR).
pub fn group_receiver(multicast: &Multicast, buffer_bytes: usize) -> Result<UdpSocket, NetError> {
    multicast.validate()?;
    let socket = udp().map_err(NetError::Io)?;
    socket.set_reuse_address(true).map_err(NetError::Io)?;
    buffers(&socket, buffer_bytes);
    socket.bind(&multicast.group.into()).map_err(|e| NetError::Bind(multicast.group, e))?;
    socket
        .join_multicast_v4(multicast.group.ip(), &multicast.interface)
        .map_err(|e| NetError::Interface(multicast.interface, e))?;
    socket.set_multicast_all_v4(false).map_err(NetError::Io)?;
    socket.set_nonblocking(true).map_err(NetError::Io)?;
    Ok(socket.into())
}
