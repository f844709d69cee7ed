//! Random mutations of a valid case file never panic the importer, never store part of an
//! import, and always account for every row read: read = imported + updated + unchanged + rejected.

mod common;

use common::{Node, synthetic};
use msp_store::testing::TestDb;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    DuplicateLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop::sample::select(vec![b',', b'"', b'\n', b'\r', b';', 0xff, 0x00, b'-', b'9', b' ']);
    prop_oneof![
        (any::<usize>(), special.clone()).prop_map(|(p, b)| Mutation::Set(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        (any::<usize>(), 1usize..40).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), prop::collection::vec(special, 1..6)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn apply(base: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = base.to_vec();
    for m in mutations {
        if b.is_empty() {
            break;
        }
        match m {
            Mutation::Set(p, v) => {
                let i = p % b.len();
                b[i] = *v;
            }
            Mutation::Delete(p, n) => {
                let i = p % b.len();
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
            Mutation::Insert(p, bytes) => {
                let i = p % (b.len() + 1);
                b.splice(i..i, bytes.iter().copied());
            }
            Mutation::DuplicateLine(p) => {
                let lines: Vec<&[u8]> = b.split(|c| *c == b'\n').collect();
                let line = lines[p % lines.len()].to_vec();
                b.extend_from_slice(&line);
                b.push(b'\n');
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_are_accounted_for_and_never_half_stored(mutations in prop::collection::vec(mutation(), 1..12)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let db = TestDb::sqlite();
            let node = Node::new(&db).await;
            let base = synthetic(25, 0, 11);
            node.import(&node.write("base.csv", &base)).await.unwrap();
            let before = node.cases().await;
            let file = node.write("mutated.csv", apply(&base, &mutations));
            match node.import(&file).await {
                Ok(s) => {
                    let c = s.counts;
                    prop_assert_eq!(c.rows_read, c.imported + c.updated + c.unchanged + c.rejected);
                    prop_assert_eq!(node.cases().await, before + c.imported as i64);
                }
                Err(_) => prop_assert_eq!(node.cases().await, before),
            }
            Ok(())
        })?;
    }
}
