//! What a 128-bit tag per datagram costs on this machine, by datagram size:
//! BLAKE3 keyed hashing (no nonce) against AES-128-CMAC (no nonce,
//! sequential), GMAC (AES-256-GCM over no plaintext with the datagram as
//! associated data: needs a nonce never reused under the key, across
//! restarts too), AES-256-GCM-SIV used the same way with one fixed nonce
//! (RFC 8452: misuse-resistant, a repeated nonce reveals only that two
//! messages are equal, as any deterministic MAC does), and HMAC-SHA-256
//! (SHA extensions where the CPU has them), truncated to 128 bits; and
//! seqcast's own tag, AES-256-GCM-SIV's with its message keys derived once.
//! `cargo bench --bench mac`; DESIGN §9 chooses by it.

use std::hint::black_box;
use std::time::Instant;

use aes_gcm::aead::AeadInOut;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{Aes256Gcm, KeyInit as _, Nonce};
use aes_gcm_siv::Aes256GcmSiv;
use cmac::{Cmac, Mac};

/// Datagram sizes: an ACK, a SUBMIT of one 64-byte event, a few events,
/// a full DATA at the default MTU.
const SIZES: [usize; 4] = [56, 144, 512, 1472];

/// Nanoseconds per tag of `size`-byte datagrams, median of 5 runs of `n`.
fn per_tag(size: usize, n: u64, mut tag: impl FnMut(&[u8], u64) -> u128) -> f64 {
    let datagram: Vec<u8> = (0..size).map(|i| i as u8).collect();
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let began = Instant::now();
            let mut sink = 0u128;
            for i in 0..n {
                sink ^= tag(black_box(&datagram), i);
            }
            black_box(sink);
            began.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 50_000 } else { 500_000 };
    let key = [7u8; 32];
    let gcm = Aes256Gcm::new(&key.into());
    // Key schedules are made once, as a node would.
    let cmac = <Cmac<aes::Aes128> as cmac::KeyInit>::new_from_slice(&[7u8; 16]).unwrap();
    let siv = Aes256GcmSiv::new(&key.into());
    let hmac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(&key).unwrap();
    println!("ns per 128-bit tag (median of 5 runs of {n}); {}", std::env::consts::ARCH);
    println!(
        "{:>6} {:>14} {:>14} {:>14} {:>16} {:>14} {:>16}",
        "bytes", "blake3 keyed", "aes-128-cmac", "aes-256-gmac", "aes-256-gcm-siv", "hmac-sha256", "seqcast (siv)"
    );
    let ours = seqcast::auth::Key::from_bytes(key);
    for size in SIZES {
        let blake = per_tag(size, n, |d, _| {
            let hash = blake3::keyed_hash(&key, d);
            u128::from_le_bytes(hash.as_bytes()[..16].try_into().unwrap())
        });
        let cmac_ns = per_tag(size, n, |d, _| {
            let mut mac = cmac.clone();
            mac.update(d);
            u128::from_le_bytes(mac.finalize().into_bytes().into())
        });
        let gmac = per_tag(size, n, |d, i| {
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&i.to_le_bytes());
            let empty: &mut [u8] = &mut [];
            let tag = gcm.encrypt_inout_detached(&Nonce::from(nonce), d, InOutBuf::from(empty)).unwrap();
            u128::from_le_bytes(tag.into())
        });
        let siv_ns = per_tag(size, n, |d, _| {
            let empty: &mut [u8] = &mut [];
            let nonce = aes_gcm_siv::Nonce::from([0u8; 12]);
            let tag = siv.encrypt_inout_detached(&nonce, d, InOutBuf::from(empty)).unwrap();
            u128::from_le_bytes(tag.into())
        });
        let hmac_ns = per_tag(size, n, |d, _| {
            let mut mac = hmac.clone();
            hmac::Mac::update(&mut mac, d);
            let full = hmac::Mac::finalize(mac).into_bytes();
            u128::from_le_bytes(full[..16].try_into().unwrap())
        });
        let ours_ns = per_tag(size, n, |d, _| u128::from_le_bytes(ours.tag(d)));
        println!("{size:>6} {blake:>14.1} {cmac_ns:>14.1} {gmac:>14.1} {siv_ns:>16.1} {hmac_ns:>14.1} {ours_ns:>16.1}");
    }
}
