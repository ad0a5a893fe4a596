//! The system calls that std, socket2 and mio do not offer: clocks, a
//! nanosecond timer for epoll, batched receive, CPU pinning, timer slack and
//! the stop signals. The only module allowed `unsafe`; each block says why
//! it is sound.
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
            bufs: vec![0; count * size],
            size,
            // SAFETY: all-zero sockaddr_in, iovec and mmsghdr are valid values.
            addrs: vec![unsafe { zeroed() }; count],
            iovecs: vec![unsafe { zeroed() }; count],
            headers: vec![unsafe { zeroed() }; count],
            received: 0,
        };
        for i in 0..count {
            batch.iovecs[i] = libc::iovec { iov_base: batch.bufs[i * size..].as_mut_ptr().cast(), iov_len: size };
        }
        for i in 0..count {
            let header = &mut batch.headers[i].msg_hdr;
            header.msg_name = (&raw mut batch.addrs[i]).cast();
            header.msg_iov = &raw mut batch.iovecs[i];
            header.msg_iovlen = 1;
            header.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
        }
        batch
    }

    /// Receives what is queued on `fd` (non-blocking), at most `limit`
    /// datagrams; returns how many. `WouldBlock` when there is none.
    pub fn recv(&mut self, fd: RawFd, limit: usize) -> io::Result<usize> {
        let count = limit.clamp(1, self.headers.len());
        // The kernel wrote these in the headers it filled last time.
        for header in &mut self.headers[..self.received] {
            header.msg_hdr.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
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

    /// Datagram `i` of the last `recv`: its sender and its bytes.
    pub fn get(&self, i: usize) -> Option<(SocketAddr, &[u8])> {
        if i >= self.received {
            return None;
        }
        let addr = &self.addrs[i];
        let ip = Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr));
        let from = SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(addr.sin_port)));
        // A datagram longer than a buffer was cut (MSG_TRUNC): its length no
        // longer matches its header, so the wire check drops it.
        let len = (self.headers[i].msg_len as usize).min(self.size);
        Some((from, &self.bufs[i * self.size..][..len]))
    }
}

/// Pins the calling thread to one CPU.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is the empty set; CPU_SET writes inside it
    // (it checks the index against the set's size).
    let mut set: libc::cpu_set_t = unsafe { zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
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

/// True once SIGINT or SIGTERM arrived (after [`catch_stop_signals`]).
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
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
            assert_eq!(batch.get(usize::from(i)), Some((tx.local_addr().unwrap(), &[i; 5][..])));
        }
        assert!(batch.get(3).is_none());
        assert_eq!(batch.recv(rx.as_raw_fd(), 8).unwrap_err().kind(), io::ErrorKind::WouldBlock);
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
