//! The system calls that std, socket2 and mio do not offer: clocks, a
//! nanosecond timer for epoll, batched receive, CPU pinning, timer slack and
//! the stop signals, preallocating a file. The only module allowed
//! `unsafe`; each block says why it is sound.
#![allow(unsafe_code)]

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 { Err(io::Error::last_os_error()) } else { Ok(result) }
}

/// Which clock the driver reads (DESIGN §1: only drivers read a clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CLOCK_MONOTONIC: never steps; one-way times compare only on one host.
    Monotonic,
    /// CLOCK_REALTIME: comparable across hosts whose clocks are synchronised
    /// (PTP, NTP); a step of the clock disturbs timers.
    Realtime,
}

impl Clock {
    /// Nanoseconds now.
    pub fn now(self) -> u64 {
        let id = match self {
            Clock::Monotonic => libc::CLOCK_MONOTONIC,
            Clock::Realtime => libc::CLOCK_REALTIME,
        };
        // SAFETY: clock_gettime writes one timespec into the one we pass.
        let mut ts: libc::timespec = unsafe { zeroed() };
        let result = unsafe { libc::clock_gettime(id, &mut ts) };
        debug_assert_eq!(result, 0, "clock_gettime of a clock that exists");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    /// The clock's name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Clock::Monotonic => "CLOCK_MONOTONIC (one-way times valid on one host only)",
            Clock::Realtime => "CLOCK_REALTIME (one-way times as good as the hosts' clock sync)",
        }
    }
}

/// A timerfd: epoll's own timeout has millisecond resolution, this one
/// wakes the poll loop within the timer slack of a nanosecond deadline.
#[derive(Debug)]
pub struct TimerFd(OwnedFd);

impl TimerFd {
    /// A non-blocking CLOCK_MONOTONIC timer, disarmed.
    pub fn new() -> io::Result<TimerFd> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is
        // a new descriptor that we own from here on.
        let fd = check(unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) })?;
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Fires once, `after_ns` from now (at least 1 ns: 0 would disarm it).
    pub fn arm(&self, after_ns: u64) -> io::Result<()> {
        let after_ns = after_ns.max(1);
        // SAFETY: an all-zero itimerspec is valid; we set it_value only.
        let mut spec: libc::itimerspec = unsafe { zeroed() };
        spec.it_value.tv_sec = (after_ns / 1_000_000_000) as libc::time_t;
        spec.it_value.tv_nsec = (after_ns % 1_000_000_000) as libc::c_long;
        // SAFETY: the descriptor is ours; spec outlives the call; old may be null.
        check(unsafe { libc::timerfd_settime(self.0.as_raw_fd(), 0, &spec, std::ptr::null_mut()) })?;
        Ok(())
    }

    /// Consumes an expiry, so an edge-triggered poll reports the next one.
    pub fn clear(&self) {
        let mut expirations = 0u64;
        // SAFETY: reads at most 8 bytes into a u64 we own; a failure (nothing
        // expired: EAGAIN) leaves it untouched and is fine.
        unsafe { libc::read(self.0.as_raw_fd(), (&raw mut expirations).cast(), size_of::<u64>()) };
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Room for one control message of one `c_int` (UDP_GRO's segment size),
/// in u64s so that it is aligned as `cmsghdr` needs.
const CONTROL_WORDS: usize = 4;

/// Buffers for receiving up to `count` datagrams in one `recvmmsg` call.
///
/// The headers point into heap buffers that never move or grow, so they are
/// built once; a call only resets the fields the kernel wrote last time.
#[derive(Debug)]
pub struct RecvBatch {
    bufs: Vec<u8>,
    size: usize,
    addrs: Vec<libc::sockaddr_in>,
    iovecs: Vec<libc::iovec>,
    controls: Vec<[u64; CONTROL_WORDS]>,
    headers: Vec<libc::mmsghdr>,
    received: usize,
}

// SAFETY: the raw pointers in `iovecs` and `headers` point into the heap
// buffers of this same struct, which are never reallocated; moving the
// batch (or sending it to another thread) does not move them.
unsafe impl Send for RecvBatch {}

impl RecvBatch {
    /// Room for `count` datagrams of up to `size` bytes.
    pub fn new(count: usize, size: usize) -> RecvBatch {
        let count = count.max(1);
        let mut batch = RecvBatch {
            // Touched now, so the resident set does not creep up as deeper
            // batches first reach a page during a run.
            bufs: crate::core::prefaulted(count * size),
            size,
            // SAFETY: all-zero sockaddr_in, iovec and mmsghdr are valid values.
            addrs: vec![unsafe { zeroed() }; count],
            iovecs: vec![unsafe { zeroed() }; count],
            controls: vec![[0; CONTROL_WORDS]; count],
            headers: vec![unsafe { zeroed() }; count],
            received: 0,
        };
        // Each pointer from its buffer's base pointer (not through a
        // reference to one element), so it covers what the kernel writes.
        let (bufs, addrs, iovecs, controls) =
            (batch.bufs.as_mut_ptr(), batch.addrs.as_mut_ptr(), batch.iovecs.as_mut_ptr(), batch.controls.as_mut_ptr());
        for i in 0..count {
            // SAFETY: `i < count`, the length of each of these vectors
            // (`bufs` holds `count * size` bytes).
            unsafe {
                *iovecs.add(i) = libc::iovec { iov_base: bufs.add(i * size).cast(), iov_len: size };
                let header = &mut batch.headers[i].msg_hdr;
                header.msg_name = addrs.add(i).cast();
                header.msg_iov = iovecs.add(i);
                header.msg_iovlen = 1;
                header.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
                header.msg_control = controls.add(i).cast();
                header.msg_controllen = size_of::<[u64; CONTROL_WORDS]>() as _;
            }
        }
        batch
    }

    /// Most messages one `recv` takes.
    pub fn capacity(&self) -> usize {
        self.headers.len()
    }

    /// Receives what is queued on `fd` (non-blocking), at most `limit`
    /// datagrams; returns how many. `WouldBlock` when there is none.
    pub fn recv(&mut self, fd: RawFd, limit: usize) -> io::Result<usize> {
        let count = limit.clamp(1, self.headers.len());
        // The kernel wrote these in the headers it filled last time.
        for header in &mut self.headers[..self.received] {
            header.msg_hdr.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            header.msg_hdr.msg_controllen = size_of::<[u64; CONTROL_WORDS]>() as _;
            header.msg_hdr.msg_flags = 0;
        }
        self.received = 0;
        // SAFETY: every header points at its own iovec and address in heap
        // buffers of `self` that live as long as it; each iovec covers
        // exactly its `size` bytes of `bufs`; `count` headers exist.
        let n = check(unsafe {
            libc::recvmmsg(
                fd,
                self.headers.as_mut_ptr(),
                count as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        })? as usize;
        self.received = n;
        Ok(n)
    }

    /// Message `i` of the last `recv`: its sender, its bytes, and, when the
    /// kernel coalesced several datagrams into it (UDP GRO), their size:
    /// every one but the last is that long.
    pub fn get(&self, i: usize) -> Option<(SocketAddr, &[u8], Option<usize>)> {
        if i >= self.received {
            return None;
        }
        let addr = &self.addrs[i];
        let ip = Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr));
        let from = SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(addr.sin_port)));
        // A datagram longer than a buffer was cut (MSG_TRUNC): its length no
        // longer matches its header, so the wire check drops it.
        let len = (self.headers[i].msg_len as usize).min(self.size);
        Some((from, &self.bufs[i * self.size..][..len], self.segment_size(i)))
    }

    fn segment_size(&self, i: usize) -> Option<usize> {
        let header = &self.headers[i].msg_hdr;
        if header.msg_controllen == 0 {
            return None;
        }
        // SAFETY: the header's control pointer and length are those the
        // kernel filled for message `i` (within `controls[i]`); CMSG_FIRSTHDR
        // and CMSG_NXTHDR stay inside that length, and a UDP_GRO message
        // carries one c_int, read unaligned.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(header);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_UDP
                    && (*cmsg).cmsg_type == libc::UDP_GRO
                    && (*cmsg).cmsg_len as usize >= libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as usize
                {
                    let size = libc::CMSG_DATA(cmsg).cast::<libc::c_int>().read_unaligned();
                    return usize::try_from(size).ok().filter(|&s| s > 0);
                }
                cmsg = libc::CMSG_NXTHDR(header, cmsg);
            }
        }
        None
    }
}

/// Asks the kernel to queue datagrams that arrive together from one sender
/// as one coalesced message (UDP GRO, Linux 5.0); [`RecvBatch::get`] tells
/// their size. False where the kernel cannot: datagrams then come one by one.
pub fn enable_udp_gro(fd: RawFd) -> bool {
    let on: libc::c_int = 1;
    // SAFETY: passes a pointer to a c_int we own, with its size.
    let result = unsafe {
        libc::setsockopt(fd, libc::SOL_UDP, libc::UDP_GRO, (&raw const on).cast(), size_of::<libc::c_int>() as _)
    };
    result == 0
}

/// Whether the kernel segments a send for `fd` (UDP GSO, Linux 4.18): the
/// `UDP_SEGMENT` option came with it. An older kernel ignores the control
/// message [`send_segments`] passes, and sends all its bytes as one
/// datagram, fragmented, that no receiver takes: it must be asked first.
pub fn udp_gso_supported(fd: RawFd) -> bool {
    let mut size: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: passes a pointer to a c_int we own, and its size.
    let result =
        unsafe { libc::getsockopt(fd, libc::SOL_UDP, libc::UDP_SEGMENT, (&raw mut size).cast(), &raw mut len) };
    result == 0
}

/// Turns UDP GRO off again (see [`enable_udp_gro`]).
pub fn disable_udp_gro(fd: RawFd) {
    let off: libc::c_int = 0;
    // SAFETY: passes a pointer to a c_int we own, with its size.
    unsafe {
        libc::setsockopt(fd, libc::SOL_UDP, libc::UDP_GRO, (&raw const off).cast(), size_of::<libc::c_int>() as _)
    };
}

/// Most datagrams one segmented send carries: UDP_MAX_SEGMENTS, 64 in older
/// kernels (Linux 6.18 here takes 128); more than the kernel takes is refused.
pub const MAX_SEGMENTS: usize = 64;
/// Most bytes one segmented send may carry: an IPv4 datagram's limit less
/// the IP and UDP headers.
pub const MAX_SEGMENTED_BYTES: usize = 65_507;

/// Sends `bytes` to `to` as datagrams of `segment` bytes each (the last may
/// be shorter) in one system call (UDP GSO, Linux 4.18): the stack is
/// walked once for all of them, and a receiver with UDP GRO on this host
/// takes them as one message too.
pub fn send_segments(fd: RawFd, to: &socket2::SockAddr, bytes: &[u8], segment: u16) -> io::Result<usize> {
    let mut control = [0u64; CONTROL_WORDS];
    let mut iov = libc::iovec { iov_base: bytes.as_ptr().cast_mut().cast(), iov_len: bytes.len() };
    // SAFETY: an all-zero msghdr is valid; every pointer we set points at
    // locals (or `to`, `bytes`) that outlive the call, with their lengths;
    // the kernel only reads the iovec's bytes. The control buffer has room
    // for one cmsg of a u16 (CMSG_SPACE(2) is 24 bytes, the buffer 32), and
    // CMSG_FIRSTHDR of a msghdr with that length points at its start.
    unsafe {
        let mut msg: libc::msghdr = zeroed();
        msg.msg_name = to.as_ptr().cast_mut().cast();
        msg.msg_namelen = to.len();
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(size_of::<u16>() as u32) as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_UDP;
        (*cmsg).cmsg_type = libc::UDP_SEGMENT;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<u16>() as u32) as _;
        libc::CMSG_DATA(cmsg).cast::<u16>().write_unaligned(segment);
        let sent = libc::sendmsg(fd, &msg, 0);
        if sent < 0 { Err(io::Error::last_os_error()) } else { Ok(sent as usize) }
    }
}

/// Pins the calling thread to one CPU.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    // CPU_SET panics past the set's size: a CPU that cannot exist is refused.
    if cpu >= 8 * size_of::<libc::cpu_set_t>() {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: an all-zero cpu_set_t is the empty set; CPU_SET writes inside it
    // (the index is within the set, checked above).
    let mut set: libc::cpu_set_t = unsafe { zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 is this thread; the size matches the set we pass.
    check(unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) })?;
    Ok(())
}

/// Lets the calling thread run on every CPU of the machine again.
pub fn unpin() -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is the empty set; CPU_SET writes inside
    // it for each CPU below the set's size.
    let mut set: libc::cpu_set_t = unsafe { zeroed() };
    // Every CPU the set can name: the kernel keeps those that exist and
    // this thread may use (online ones need not be numbered 0..count).
    for cpu in 0..8 * size_of::<libc::cpu_set_t>() {
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: pid 0 is this thread; the size matches the set we pass.
    check(unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) })?;
    Ok(())
}

/// Sets this thread's timer slack (DESIGN §6: the default 50 µs makes every
/// short sleep late).
pub fn set_timer_slack(ns: u64) -> io::Result<()> {
    // SAFETY: PR_SET_TIMERSLACK takes its value as an integer; no pointers.
    check(unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, ns as libc::c_ulong, 0, 0, 0) })?;
    Ok(())
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM set a flag ([`stop_requested`]) instead of killing
/// the process, so nodes stop cleanly and write their reports.
pub fn catch_stop_signals() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: an all-zero sigaction is valid; the handler is an extern "C"
        // fn that only stores to an atomic, which is async-signal-safe.
        let mut action: libc::sigaction = unsafe { zeroed() };
        action.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
        check(unsafe { libc::sigemptyset(&mut action.sa_mask) })?;
        check(unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) })?;
    }
    Ok(())
}

/// Lets a closed pipe on stdout end the process quietly, as it ends `cat`
/// or `grep` (`seqcast report … | head -1`), instead of a panic in the
/// next print. Only pipes raise SIGPIPE: the nodes' UDP sockets never do.
pub fn end_on_closed_pipe() {
    // SAFETY: restores the default disposition; no handler of ours runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

/// This process's effective user id.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The IPv4 address of the network interface named `name` (`eth0`), from
/// getifaddrs; `None` if there is no such interface with one.
pub fn interface_addr(name: &str) -> io::Result<Option<std::net::Ipv4Addr>> {
    Ok(interface_addrs()?.into_iter().find(|(n, _)| n == name).map(|(_, addr)| addr))
}

/// True if `ip` is one of this host's addresses (loopback, or an IPv4
/// address of one of its interfaces), from getifaddrs: nothing is bound.
pub fn is_local_addr(ip: std::net::Ipv4Addr) -> io::Result<bool> {
    Ok(ip.is_loopback() || interface_addrs()?.iter().any(|&(_, addr)| addr == ip))
}

/// Every interface's IPv4 addresses, by name, from getifaddrs.
fn interface_addrs() -> io::Result<Vec<(String, std::net::Ipv4Addr)>> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a list we free below.
    check(unsafe { libc::getifaddrs(&mut list) })?;
    let mut found = Vec::new();
    let mut at = list;
    while !at.is_null() {
        // SAFETY: `at` walks the list getifaddrs made, until its null end.
        let entry = unsafe { &*at };
        // SAFETY: ifa_name is a NUL-terminated string the list owns.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.ifa_name) };
        let addr = entry.ifa_addr;
        // SAFETY: a non-null ifa_addr points at a sockaddr of its family.
        if !addr.is_null() && i32::from(unsafe { (*addr).sa_family }) == libc::AF_INET {
            // SAFETY: AF_INET: the sockaddr is a sockaddr_in.
            let sin = unsafe { &*(addr as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            found.push((name.to_string_lossy().into_owned(), ip));
        }
        at = entry.ifa_next;
    }
    // SAFETY: the list getifaddrs made, freed once.
    unsafe { libc::freeifaddrs(list) };
    Ok(found)
}

/// True once SIGINT or SIGTERM arrived (after [`catch_stop_signals`]).
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Reserves `len` bytes of disk for `file` (fallocate), so appends within
/// them never find the disk full and do not grow the file. Where the file
/// system cannot reserve (EOPNOTSUPP), the file is only sized: glibc's
/// posix_fallocate would write it full of zeros instead.
pub fn preallocate(file: &std::fs::File, len: u64) -> io::Result<()> {
    let len = libc::off_t::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: the fd is open for as long as `file` lives; the call reads nothing of ours.
    match check(unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len) }) {
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => file.set_len(len as u64),
        result => result.map(drop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    #[test]
    fn recv_batch_takes_several_datagrams_in_one_call() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..3u8 {
            tx.send_to(&[i; 5], rx.local_addr().unwrap()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut batch = RecvBatch::new(8, 64);
        assert_eq!(batch.recv(rx.as_raw_fd(), 8).unwrap(), 3);
        for i in 0..3u8 {
            assert_eq!(batch.get(usize::from(i)), Some((tx.local_addr().unwrap(), &[i; 5][..], None)));
        }
        assert!(batch.get(3).is_none());
        assert_eq!(batch.recv(rx.as_raw_fd(), 8).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    fn sent_in_segments(gro: bool) -> Vec<(Vec<u8>, Option<usize>)> {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        if gro {
            assert!(enable_udp_gro(rx.as_raw_fd()), "UDP GRO needs Linux 5.0");
        }
        // Three datagrams of 100 bytes and one of 30.
        let bytes: Vec<u8> = (0..330u32).map(|i| (i / 100) as u8).collect();
        let to = socket2::SockAddr::from(rx.local_addr().unwrap());
        assert_eq!(send_segments(tx.as_raw_fd(), &to, &bytes, 100).unwrap(), 330);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut batch = RecvBatch::new(8, 65_536);
        let n = batch.recv(rx.as_raw_fd(), 8).unwrap();
        (0..n).map(|i| batch.get(i).map(|(_, b, s)| (b.to_vec(), s)).unwrap()).collect()
    }

    #[test]
    fn segmented_sends_arrive_as_datagrams_or_coalesced_with_their_size() {
        let apart = sent_in_segments(false);
        let lens: Vec<(usize, u8, Option<usize>)> = apart.iter().map(|(b, s)| (b.len(), b[0], *s)).collect();
        assert_eq!(lens, [(100, 0, None), (100, 1, None), (100, 2, None), (30, 3, None)]);
        let together = sent_in_segments(true);
        assert_eq!(together.len(), 1, "one message for the receiver with GRO");
        assert_eq!(together[0].1, Some(100));
        assert_eq!(together[0].0, (0..330u32).map(|i| (i / 100) as u8).collect::<Vec<_>>());
    }

    #[test]
    fn the_timer_fires_and_clocks_advance() {
        let timer = TimerFd::new().unwrap();
        let before = Clock::Monotonic.now();
        timer.arm(200_000).unwrap();
        let mut expirations = 0u64;
        loop {
            // SAFETY: reads 8 bytes into a u64 we own.
            let n = unsafe { libc::read(timer.as_raw_fd(), (&raw mut expirations).cast(), 8) };
            if n == 8 {
                break;
            }
        }
        assert!(Clock::Monotonic.now() >= before + 200_000);
        assert!(Clock::Realtime.now() > 1_700_000_000 * 1_000_000_000);
        set_timer_slack(1_000).unwrap();
    }
}
