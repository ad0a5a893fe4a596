//! Where a new node asks for its first epoch: without failover, with keys,
//! it follows no epoch until a leader answers its nonce (PROTOCOL
//! "Replays"), and a recording replayed to the group must not keep its
//! asks from that leader.

use std::net::SocketAddr;

use super::KEEPALIVE_NS;
use crate::core::{Epoch, Nanos};

/// The newest epoch heard goes stale once none of its frames came for this
/// long: a live leader speaks at least every keepalive, so its sequencer is
/// gone, and an older epoch's (one restarted behind its clock) is asked.
const STALE_NS: Nanos = 2 * KEEPALIVE_NS;

/// The leaders a node following no epoch yet has heard, and where its asks
/// went. It asks in the newest epoch heard: a recording of an older one,
/// however often replayed, does not move its asks there. A new place of
/// that epoch counts only for a frame stamped later than every one heard
/// in it (a copy of one heard, replayed from elsewhere, is not), and the
/// last two places take turns (a copy replayed faster than the original
/// came may hold one, the leader holds the other).
#[derive(Clone, Copy, Debug)]
pub(super) struct FirstHeard {
    epoch: Epoch,
    /// The latest stamp (`sent_ns`) of that epoch's frames.
    newest: u64,
    /// Where that epoch's frames came from, and when last.
    from: [Option<(SocketAddr, Nanos)>; 2],
    /// The place of `from` the next ask goes to.
    turn: usize,
    /// Where the last two asks went: a hello is taken from either.
    asked: [Option<SocketAddr>; 2],
}

impl FirstHeard {
    fn new(epoch: Epoch, stamp: Option<u64>, from: SocketAddr, now: Nanos) -> FirstHeard {
        let newest = stamp.unwrap_or(0);
        FirstHeard { epoch, newest, from: [Some((from, now)), None], turn: 0, asked: [None; 2] }
    }

    /// A leader frame of `epoch`, stamped `stamp` if it says, came from `from`.
    pub(super) fn heard(
        this: &mut Option<FirstHeard>,
        (epoch, stamp): (Epoch, Option<u64>),
        from: SocketAddr,
        now: Nanos,
    ) {
        match this {
            Some(heard) if epoch == heard.epoch => {
                let later = stamp.is_some_and(|stamp| stamp > heard.newest);
                heard.newest = heard.newest.max(stamp.unwrap_or(0));
                if later || heard.place_of(from).is_some() {
                    heard.note(from, now);
                }
            }
            Some(heard) if epoch < heard.epoch && now < heard.last_heard() + STALE_NS => {}
            _ => *this = Some(FirstHeard::new(epoch, stamp, from, now)),
        }
    }

    fn note(&mut self, from: SocketAddr, now: Nanos) {
        let place = self.place_of(from).or_else(|| self.from.iter().position(Option::is_none)).unwrap_or_else(|| {
            let at = |place: usize| self.from[place].map_or(0, |(_, at)| at);
            usize::from(at(1) < at(0))
        });
        self.from[place] = Some((from, now));
    }

    fn last_heard(&self) -> Nanos {
        self.from.iter().flatten().map(|&(_, at)| at).max().unwrap_or(0)
    }

    /// The epoch its asks go in.
    pub(super) fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The place of `from` the next ask goes to.
    fn next_place(&self) -> usize {
        if self.from[self.turn].is_some() { self.turn } else { 1 - self.turn }
    }

    /// Where the next ask goes; the place after takes the one after.
    pub(super) fn ask(&mut self) -> SocketAddr {
        let place = self.next_place();
        let (to, _) = self.from[place].expect("a place heard");
        self.turn = 1 - place;
        if self.asked[0] != Some(to) {
            self.asked = [Some(to), self.asked[0]];
        }
        to
    }

    /// Where the last ask went (before any: where the first goes).
    pub(super) fn last_asked(&self) -> SocketAddr {
        let next = self.from[self.next_place()].map(|(addr, _)| addr);
        self.asked[0].or(next).expect("a place heard")
    }

    /// True if one of its last asks went to `from`.
    pub(super) fn was_asked(&self, from: SocketAddr) -> bool {
        self.asked.contains(&Some(from))
    }

    /// `from` answered an ask with its hello: the next ask, with the token
    /// it gave, goes there (if it is still one of the two places).
    pub(super) fn answered_by(&mut self, from: SocketAddr) {
        if let Some(place) = self.place_of(from) {
            self.turn = place;
        }
    }

    fn place_of(&self, from: SocketAddr) -> Option<usize> {
        self.from.iter().position(|slot| slot.is_some_and(|(addr, _)| addr == from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn asks_go_in_the_newest_epoch_heard_until_its_leader_falls_silent() {
        let mut heard = None;
        FirstHeard::heard(&mut heard, (Epoch(5), Some(10)), addr(7000), 0);
        FirstHeard::heard(&mut heard, (Epoch(3), Some(20)), addr(7000), 1);
        FirstHeard::heard(&mut heard, (Epoch(3), Some(30)), addr(7009), STALE_NS - 1);
        let first = heard.as_mut().unwrap();
        assert_eq!((first.epoch(), first.ask(), first.ask()), (Epoch(5), addr(7000), addr(7000)));
        FirstHeard::heard(&mut heard, (Epoch(3), Some(40)), addr(7009), STALE_NS);
        let first = heard.as_mut().unwrap();
        assert_eq!((first.epoch(), first.ask(), first.was_asked(addr(7000))), (Epoch(3), addr(7009), false));
        FirstHeard::heard(&mut heard, (Epoch(4), None), addr(7001), STALE_NS + 1);
        assert_eq!(heard.unwrap().epoch(), Epoch(4));
    }

    #[test]
    fn a_copy_of_a_frame_heard_adds_no_place_to_ask() {
        let mut heard = None;
        FirstHeard::heard(&mut heard, (Epoch(5), Some(100)), addr(7000), 0);
        // Copies from two other addresses, after each of the leader's frames.
        for (now, stamp) in [(1, 100), (4, 200)] {
            FirstHeard::heard(&mut heard, (Epoch(5), Some(stamp)), addr(7000), now);
            FirstHeard::heard(&mut heard, (Epoch(5), Some(stamp)), addr(7008), now + 1);
            FirstHeard::heard(&mut heard, (Epoch(5), None), addr(7009), now + 2);
        }
        let first = heard.as_mut().unwrap();
        assert_eq!([first.ask(), first.ask()], [addr(7000); 2]);
        // One stamped later (its copy overtook the original) is a place.
        FirstHeard::heard(&mut heard, (Epoch(5), Some(300)), addr(7009), 10);
        let first = heard.as_mut().unwrap();
        assert_eq!([first.ask(), first.ask()], [addr(7009), addr(7000)]);
    }

    #[test]
    fn the_last_two_places_of_the_newest_epoch_take_turns() {
        let mut heard = None;
        FirstHeard::heard(&mut heard, (Epoch(5), None), addr(7000), 0);
        let first = heard.as_mut().unwrap();
        first.note(addr(7009), 1);
        assert_eq!(first.last_asked(), addr(7000), "where the first ask goes");
        // A replay from 7009 after each of the leader's frames.
        for now in 1..=3 {
            first.note(addr(7009), 2 * now);
            first.note(addr(7000), 2 * now + 1);
        }
        first.note(addr(7009), 10);
        let asks: Vec<_> = (0..4).map(|_| first.ask()).collect();
        assert_eq!(asks, [addr(7000), addr(7009), addr(7000), addr(7009)]);
        assert!(first.was_asked(addr(7000)) && first.was_asked(addr(7009)));
        // A third place takes the one heard least lately.
        first.note(addr(7008), 11);
        assert_eq!(first.from.map(|slot| slot.unwrap().0), [addr(7008), addr(7009)]);
        // A hello from the leader: the ask with its token goes there next.
        first.note(addr(7000), 12);
        first.answered_by(addr(7000));
        assert_eq!((first.ask(), first.last_asked()), (addr(7000), addr(7000)));
    }
}
