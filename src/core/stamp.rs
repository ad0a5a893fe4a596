//! The newest stamp (`sent_ns`) of a leader's frames heard in its epoch: a
//! frame recorded and replayed carries one heard already, so only a frame
//! stamped later shows the leader live, or may move where a follower
//! answers (DESIGN §9, replays).

use super::Epoch;

/// The epoch of the frames noted and the latest stamp among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct NewestStamp {
    epoch: Epoch,
    stamp: u64,
}

impl NewestStamp {
    /// Notes a frame of `epoch` stamped `stamp` (`None`: a kind that
    /// carries none, UNRECOVERABLE); true if it is of another epoch than
    /// those noted before, or stamped later than every one of theirs.
    pub(super) fn later(&mut self, epoch: Epoch, stamp: Option<u64>) -> bool {
        let later = epoch != self.epoch || stamp.is_some_and(|stamp| stamp > self.stamp);
        if epoch != self.epoch {
            *self = NewestStamp { epoch, stamp: 0 };
        }
        self.stamp = self.stamp.max(stamp.unwrap_or(0));
        later
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_another_epoch_or_a_later_stamp_is_later() {
        let mut newest = NewestStamp::default();
        assert!(newest.later(Epoch(5), Some(100)));
        assert!(!newest.later(Epoch(5), Some(100)), "a copy");
        assert!(!newest.later(Epoch(5), Some(50)), "an older one");
        assert!(!newest.later(Epoch(5), None), "no stamp");
        assert!(newest.later(Epoch(5), Some(101)));
        // Another epoch starts over, whatever its stamps.
        assert!(newest.later(Epoch(6), None));
        assert!(newest.later(Epoch(6), Some(1)));
        assert!(!newest.later(Epoch(6), Some(1)));
        assert!(newest.later(Epoch(5), Some(2)), "even an older epoch");
    }
}
