//! Not a stable API: what the `seqcast` binaries and the benchmark share
//! beyond the library proper (the way rustls keeps its `internal` module).
//! It may change in any release; embed [`core`](crate::core),
//! [`net`](crate::net) and [`wire`](crate::wire) instead.

pub mod load;
