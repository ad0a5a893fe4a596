//! Who holds a UDP address on this host, as `/proc` tells: for `seqcast
//! stat`, whose cluster file names a node address that some process holds
//! but that no node of the cluster has noted in this user's registry.

use std::net::{Ipv4Addr, SocketAddrV4};

/// A socket bound to the address: its owner's uid, and the process that
/// holds it where this user may see it (its own processes; every one for
/// root).
#[derive(Debug, PartialEq, Eq)]
pub struct Holder {
    pub uid: u32,
    pub pid: Option<u32>,
}

/// The holder of `addr` (bound to it, or to every address on its port),
/// from `/proc/net/udp`; None where no socket holds it, or `/proc` says
/// nothing.
pub fn udp_holder(addr: SocketAddrV4) -> Option<Holder> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let (uid, inode) = table.lines().skip(1).find_map(|line| bound_to(line, addr))?;
    Some(Holder { uid, pid: socket_pid(inode) })
}

/// The uid and inode of a `/proc/net/udp` line's socket if it is bound to
/// `addr` or to 0.0.0.0 on its port (the table gives addresses as the
/// kernel holds them, in network order, printed as a native integer).
fn bound_to(line: &str, addr: SocketAddrV4) -> Option<(u32, u64)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (ip, port) = fields.get(1)?.split_once(':')?;
    let ip = Ipv4Addr::from(u32::from_str_radix(ip, 16).ok()?.to_ne_bytes());
    let port = u16::from_str_radix(port, 16).ok()?;
    let ours = port == addr.port() && (ip == *addr.ip() || ip.is_unspecified());
    ours.then_some((fields.get(7)?.parse().ok()?, fields.get(9)?.parse().ok()?))
}

/// The process with socket `inode` open, of those whose descriptors this
/// user may read.
fn socket_pid(inode: u64) -> Option<u32> {
    let link = format!("socket:[{inode}]");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let fds = std::fs::read_dir(entry.path().join("fd")).ok()?;
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == link.as_str()))
            .then_some(pid)
    })
}

/// A process's command name (`/proc/PID/comm`).
pub fn command(pid: u32) -> Option<String> {
    Some(std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?.trim_end().to_string())
}

/// A variable of a process's environment, where this user may read it:
/// `Some(None)` where it is not set.
pub fn environment(pid: u32, name: &str) -> Option<Option<String>> {
    let bytes = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{name}=");
    Some(
        bytes
            .split(|&b| b == 0)
            .find_map(|v| v.strip_prefix(prefix.as_bytes()))
            .map(|v| String::from_utf8_lossy(v).into_owned()),
    )
}

/// The name of user `uid` (from `/etc/passwd`), else its number.
pub fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields[0].to_string())
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proc_net_udp_line_names_the_socket_bound_to_the_address_or_to_all() {
        // 127.0.0.1:47421 and 0.0.0.0:47422, as a little-endian host prints them.
        let line = |ip: &str, port: u16| {
            format!(
                "  12: {ip}:{port:04X} 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 98765 2 0000000000000000 0"
            )
        };
        let addr = |port| SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
        let local = u32::from_ne_bytes([127, 0, 0, 1]);
        assert_eq!(bound_to(&line(&format!("{local:08X}"), 47421), addr(47421)), Some((1000, 98765)));
        assert_eq!(bound_to(&line("00000000", 47422), addr(47422)), Some((1000, 98765)));
        assert_eq!(bound_to(&line(&format!("{local:08X}"), 47421), addr(47422)), None);
        let other = u32::from_ne_bytes([127, 0, 0, 2]);
        assert_eq!(bound_to(&line(&format!("{other:08X}"), 47421), addr(47421)), None);
        assert_eq!(bound_to("  sl  local_address rem_address   st tx_queue", addr(47421)), None);
    }

    #[test]
    fn this_process_holds_the_socket_it_bound() {
        let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let std::net::SocketAddr::V4(addr) = socket.local_addr().unwrap() else { unreachable!() };
        // SAFETY: getuid cannot fail and touches no memory.
        let me = unsafe { libc::getuid() };
        assert_eq!(udp_holder(addr), Some(Holder { uid: me, pid: Some(std::process::id()) }));
        drop(socket);
        assert_eq!(udp_holder(addr), None);
        assert_eq!(environment(std::process::id(), "SEQCAST_NO_SUCH_VARIABLE"), Some(None));
        assert_eq!(user_name(0), "root");
    }
}
