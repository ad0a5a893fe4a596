//! The commit rule: the highest sequence that a quorum of nodes holds.

/// The highest sequence held by at least `quorum` of the nodes in `held`
/// (one entry per node, leader included), using `scratch` (same length) so
/// nothing is allocated.
///
/// # Panics
/// If `quorum` is 0 or larger than `held`, or `scratch` is shorter than `held`.
pub(super) fn quorum_commit(held: &[u64], quorum: usize, scratch: &mut [u64]) -> u64 {
    assert!(quorum >= 1 && quorum <= held.len(), "quorum {quorum} of {} nodes", held.len());
    let scratch = &mut scratch[..held.len()];
    scratch.copy_from_slice(held);
    // The quorum-th largest value is held by `quorum` nodes or more.
    *scratch.select_nth_unstable_by(quorum - 1, |a, b| b.cmp(a)).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(held: &[u64], quorum: usize) -> u64 {
        quorum_commit(held, quorum, &mut [0; 16])
    }

    #[test]
    fn majority_of_three_and_five() {
        assert_eq!(commit(&[10, 0, 0], 2), 0);
        assert_eq!(commit(&[10, 7, 0], 2), 7);
        assert_eq!(commit(&[10, 7, 9], 2), 9);
        assert_eq!(commit(&[10, 10, 10], 2), 10);
        assert_eq!(commit(&[20, 5, 15, 10, 0], 3), 10);
    }

    #[test]
    fn limits_one_and_all() {
        assert_eq!(commit(&[20, 5, 15], 1), 20, "quorum 1: the leader alone");
        assert_eq!(commit(&[20, 5, 15], 3), 5, "quorum of all: the slowest");
        assert_eq!(commit(&[u64::MAX, u64::MAX], 2), u64::MAX);
    }

    #[test]
    #[should_panic(expected = "quorum 4 of 3 nodes")]
    fn quorum_beyond_the_cluster_panics() {
        commit(&[1, 2, 3], 4);
    }
}
