//! The transparency log's Merkle tree, with RFC 9162 hashing (§2.1): a leaf hashes as
//! SHA-256(0x00 ‖ data), an interior node as SHA-256(0x01 ‖ left ‖ right), the empty tree as
//! SHA-256(""). A tree of n leaves splits at k, the largest power of two below n.
//!
//! [`Tree`] keeps every complete, aligned subtree's hash, so appending costs O(1) amortised and
//! a root, inclusion proof or consistency proof for any size costs O(log² n) hashes at most.
//! The `verify_*` functions are RFC 9162's verification algorithms (§2.1.3.2, §2.1.4.2), which
//! a council's node runs against the coordinator's signed tree heads.

use crate::{Hash, sha256};

/// The hash of a leaf whose data is `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut v = Vec::with_capacity(1 + data.len());
    v.push(0);
    v.extend_from_slice(data);
    sha256(&v)
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut v = [0u8; 65];
    v[0] = 1;
    v[1..33].copy_from_slice(left);
    v[33..].copy_from_slice(right);
    sha256(&v)
}

/// The root of the empty tree.
pub fn empty_root() -> Hash {
    sha256(b"")
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Why a proof request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A size beyond the tree.
    #[error("the log has {size} entries; {asked} is beyond it")]
    BeyondTree {
        /// Entries in the log.
        size: u64,
        /// The size or index asked for.
        asked: u64,
    },
    /// An index outside the tree it is asked about.
    #[error("entry {index} is not in a tree of {size} entries")]
    NotInTree {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof between sizes in the wrong order, or from an empty tree.
    #[error("a consistency proof needs 0 < first <= second, not {first} and {second}")]
    BadSizes {
        /// The first size.
        first: u64,
        /// The second size.
        second: u64,
    },
}

/// An append-only Merkle tree of leaf hashes.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[l][i]` is the hash of the complete subtree of 2^l leaves starting at i·2^l.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf whose data is `data` (its leaf hash is computed here).
    pub fn push(&mut self, data: &[u8]) {
        self.push_leaf_hash(leaf_hash(data));
    }

    /// Appends a leaf by its leaf hash.
    pub fn push_leaf_hash(&mut self, hash: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(hash);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// Forgets every leaf from `size` on (to undo appends that were not stored).
    pub fn truncate(&mut self, size: u64) {
        for (level, hashes) in self.levels.iter_mut().enumerate() {
            hashes.truncate((size >> level) as usize);
        }
        while self.levels.last().is_some_and(Vec::is_empty) && self.levels.len() > 1 {
            self.levels.pop();
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(index as usize).copied()
    }

    /// MTH of leaves `start..start + n` (n ≥ 1), all within the tree.
    fn range(&self, start: u64, n: u64) -> Hash {
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(start / n) as usize];
        }
        let k = split(n);
        node_hash(&self.range(start, k), &self.range(start + k, n - k))
    }

    /// The root of the tree's first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::BeyondTree { size: self.size(), asked: size });
        }
        Ok(if size == 0 { empty_root() } else { self.range(0, size) })
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::BeyondTree { size: self.size(), asked: size });
        }
        if index >= size {
            return Err(ProofError::NotInTree { index, size });
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n == 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.range(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.range(start, k));
        }
    }

    /// The consistency proof between the trees of the first `first` and `second` leaves
    /// (RFC 9162 §2.1.4.1).
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
        if second > self.size() {
            return Err(ProofError::BeyondTree { size: self.size(), asked: second });
        }
        if first == 0 || first > second {
            return Err(ProofError::BadSizes { first, second });
        }
        let mut out = Vec::new();
        self.subproof(first, 0, second, true, &mut out);
        Ok(out)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !whole {
                out.push(self.range(start, n));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.range(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.range(start, k));
        }
    }
}

/// Verifies that `leaf` (a leaf hash) is entry `index` of the tree of `size` leaves whose root
/// is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// Verifies that the tree of `first` leaves with root `first_root` is a prefix of the tree of
/// `second` leaves with root `second_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(first: u64, second: u64, first_root: &Hash, second_root: &Hash, proof: &[Hash]) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let Some((seed, rest)) = path.split_first() else { return false };
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *first_root && sr == *second_root && sn == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9162's definition, computed directly from the leaves (no stored subtrees).
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn tree(n: u64) -> (Tree, Vec<Hash>) {
        let mut t = Tree::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let data = sha256(&i.to_le_bytes());
            t.push(&data);
            leaves.push(leaf_hash(&data));
        }
        (t, leaves)
    }

    #[test]
    fn roots_match_the_definition_for_every_size_up_to_130() {
        let (t, leaves) = tree(130);
        for n in 0..=130u64 {
            assert_eq!(t.root(n).unwrap(), naive_root(&leaves[..n as usize]), "size {n}");
        }
        assert!(t.root(131).is_err());
    }

    #[test]
    fn every_inclusion_proof_verifies_against_an_independent_root_and_fails_when_altered() {
        let (t, leaves) = tree(70);
        for n in 1..=70u64 {
            let root = naive_root(&leaves[..n as usize]);
            for i in 0..n {
                let proof = t.inclusion_proof(i, n).unwrap();
                assert!(verify_inclusion(&leaves[i as usize], i, n, &proof, &root), "leaf {i} of {n}");
                if n > 1 {
                    assert!(!verify_inclusion(&leaves[i as usize], (i + 1) % n, n, &proof, &root));
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_inclusion(&leaves[i as usize], i, n, &bad, &root));
                }
            }
        }
        assert!(t.inclusion_proof(5, 5).is_err());
    }

    #[test]
    fn every_consistency_proof_verifies_against_independent_roots_and_fails_when_altered() {
        let (t, leaves) = tree(70);
        for n in 1..=70u64 {
            let second = naive_root(&leaves[..n as usize]);
            for m in 1..=n {
                let first = naive_root(&leaves[..m as usize]);
                let proof = t.consistency_proof(m, n).unwrap();
                assert!(verify_consistency(m, n, &first, &second, &proof), "{m} -> {n}");
                if m < n {
                    let wrong = naive_root(&leaves[1..m as usize + 1]);
                    assert!(!verify_consistency(m, n, &wrong, &second, &proof), "{m} -> {n} with a rewritten history");
                }
            }
        }
        assert!(t.consistency_proof(0, 3).is_err());
        assert!(t.consistency_proof(4, 3).is_err());
    }

    #[test]
    fn large_trees_answer_without_recomputing_everything() {
        let (t, leaves) = tree(5_000);
        let root = t.root(4_321).unwrap();
        let proof = t.inclusion_proof(1_234, 4_321).unwrap();
        assert!(proof.len() <= 13);
        assert!(verify_inclusion(&leaves[1_234], 1_234, 4_321, &proof, &root));
    }

    #[test]
    fn truncating_undoes_appends_exactly() {
        let (mut t, leaves) = tree(37);
        t.truncate(20);
        assert_eq!(t.size(), 20);
        assert_eq!(t.root(20).unwrap(), naive_root(&leaves[..20]));
        for leaf in &leaves[20..] {
            t.push_leaf_hash(*leaf);
        }
        assert_eq!(t.root(37).unwrap(), naive_root(&leaves));
        t.truncate(0);
        assert_eq!(t.root(0).unwrap(), empty_root());
    }

    #[test]
    fn the_empty_tree_has_the_rfc_root() {
        assert_eq!(Tree::new().root(0).unwrap(), empty_root());
        assert_eq!(crate::keys::encode_public_key(&empty_root()).len(), 43);
    }
}
