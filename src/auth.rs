//! Keyed authentication of datagrams (DESIGN §9): a 128-bit tag of the
//! whole datagram, appended to it: AES-256-GCM-SIV's tag (RFC 8452) of the
//! datagram as associated data, an empty plaintext and the all-zero nonce,
//! its message keys derived once per key. GCM-SIV resists nonce misuse: one
//! fixed nonce makes it a deterministic MAC (POLYVAL, a universal hash,
//! then AES), which reveals only that two datagrams are equal, as any MAC
//! without a nonce does; and no nonce state can repeat across restarts or
//! cloned machines. Drivers seal what they send
//! and open what they receive, before the core sees a byte; the core and
//! the simulator stay unaware of keys.
//!
//! Two trust levels. Members share the member key. Each client has its
//! own key, derived from the cluster's client master secret and its client
//! id, so a client can speak neither for a member nor for another client;
//! members hold the master, so they check any client and answer it (COMMIT,
//! BUSY) under that client's key. Which key a datagram carries follows from
//! its kind: SUBMIT, COMMIT and BUSY carry the key of the client their body
//! names, every other kind the member key.

use core::fmt;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt as _, KeyInit as _};
use polyval::Polyval;
use polyval::universal_hash::UniversalHash as _;

use crate::types::ClientId;
use crate::wire::Kind;

/// Bytes of the tag appended to every datagram.
pub const TAG_LEN: usize = 16;

/// Bytes of a key.
pub const KEY_LEN: usize = 32;

/// The BLAKE3 derive_key context of client keys (fixed forever: changing
/// it changes every client's key).
const CLIENT_KEY_CONTEXT: &str = "seqcast 2026-11-30 client key v1";

/// A 256-bit secret, with its message keys ready to tag.
#[derive(Clone)]
pub struct Key {
    bytes: [u8; KEY_LEN],
    /// Boxed: the key schedules are 624 bytes.
    mac: Box<Mac>,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(…)")
    }
}

/// AES-256-GCM-SIV's message keys for the all-zero nonce (RFC 8452 §4):
/// the POLYVAL key and the AES-256 key that encrypts the hash into the tag.
#[derive(Clone)]
struct Mac {
    hash: Polyval,
    cipher: Aes256,
}

impl Mac {
    fn new(key: &[u8; KEY_LEN]) -> Mac {
        let derive = Aes256::new(&(*key).into());
        // Six AES blocks of (counter, nonce): the first 8 bytes of each.
        let mut keys = [0u8; 48];
        for (i, half) in keys.chunks_exact_mut(8).enumerate() {
            let mut block = [0u8; 16];
            block[..4].copy_from_slice(&(i as u32).to_le_bytes());
            let mut block = block.into();
            derive.encrypt_block(&mut block);
            half.copy_from_slice(&block[..8]);
        }
        let (auth, enc) = keys.split_at(16);
        let auth: [u8; 16] = auth.try_into().expect("16 bytes");
        let enc: [u8; 32] = enc.try_into().expect("32 bytes");
        Mac { hash: Polyval::new(&auth.into()), cipher: Aes256::new(&enc.into()) }
    }

    /// GCM-SIV's tag of `bytes` as associated data, nothing encrypted.
    fn tag(&self, bytes: &[u8]) -> [u8; TAG_LEN] {
        let mut hash = self.hash.clone();
        hash.update_padded(bytes);
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(bytes.len() as u64 * 8).to_le_bytes());
        hash.update(&[lengths.into()]);
        let mut block = hash.finalize();
        // XORed with the nonce (zero), the top bit cleared, encrypted.
        block[15] &= 0x7f;
        self.cipher.encrypt_block(&mut block);
        block.into()
    }
}

impl Key {
    /// A key from 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Key, String> {
        let text = text.trim();
        if text.len() != 2 * KEY_LEN {
            return Err(format!("a key is {} hex digits, got {} characters", 2 * KEY_LEN, text.len()));
        }
        if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(format!("a key is {} hex digits, got {c:?} at character {}", 2 * KEY_LEN, at + 1));
        }
        let mut key = [0u8; KEY_LEN];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("checked hex");
        }
        Ok(Key::from_bytes(key))
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Key {
        Key { bytes, mac: Box::new(Mac::new(&bytes)) }
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        crate::wire::hex(&self.bytes)
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> std::io::Result<Key> {
        let mut key = [0u8; KEY_LEN];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
        Ok(Key::from_bytes(key))
    }

    /// Client `id`'s key under this client master secret.
    pub fn client_key(&self, id: ClientId) -> Key {
        let mut material = [0u8; KEY_LEN + 4];
        material[..KEY_LEN].copy_from_slice(&self.bytes);
        material[KEY_LEN..].copy_from_slice(&id.get().to_le_bytes());
        Key::from_bytes(blake3::derive_key(CLIENT_KEY_CONTEXT, &material))
    }

    /// The tag of `bytes` under this key.
    pub fn tag(&self, bytes: &[u8]) -> [u8; TAG_LEN] {
        self.mac.tag(bytes)
    }
}

/// Whose key a datagram carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The member key.
    Member,
    /// The key of this client.
    Client(ClientId),
}

impl Signer {
    /// The signer of `datagram` (tag included or not), from its kind and,
    /// for a client's frames, the client id that opens its body; `None` if
    /// it is too short to say. Client id 0 is no client's: a BUSY naming it
    /// is a leader's hello to a tail, which holds the member key, and
    /// carries that key (the client master derives client 0's key too).
    pub fn of(datagram: &[u8]) -> Option<Signer> {
        let kind = Kind::from(*datagram.get(3)?);
        if matches!(kind, Kind::Submit | Kind::Commit | Kind::Busy) {
            let id = datagram.get(32..36)?;
            let id = u32::from_le_bytes(id.try_into().expect("4 bytes"));
            Some(if id == 0 { Signer::Member } else { Signer::Client(ClientId(id)) })
        } else {
            Some(Signer::Member)
        }
    }
}

/// The keys a process holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keys {
    /// A member, or an operator's tool (`tail`, `promote`): the member key,
    /// and the client master from which it derives any client's key.
    Member {
        /// The member key.
        member: Key,
        /// The client master secret.
        clients: Key,
    },
    /// A load generator or test client: the client master, so it may speak
    /// as any client id, never as a member.
    Clients {
        /// The client master secret.
        clients: Key,
    },
    /// One client: its own key only.
    Client {
        /// Its client id.
        id: ClientId,
        /// Its key (see [`Key::client_key`]).
        key: Key,
    },
}

/// With keys every datagram carries a [`TAG_LEN`]-byte tag, and the core
/// writes datagrams that much short of `config.mtu`: an MTU that then
/// cannot hold one event of `payload_max` is said in the user's terms
/// here (the core's own check would name the MTU less the tag).
pub fn tag_fits(config: &crate::core::Config) -> Result<(), String> {
    let (needed, mtu) = (config.mtu_needed(), config.mtu);
    if needed + TAG_LEN > crate::core::MTU_MAX && mtu >= needed {
        return Err(format!(
            "with keys every datagram carries a {TAG_LEN}-byte tag: one event of payload_max {} needs {needed} \
             bytes and the tag, more than the largest UDP datagram ({}): lower --payload-max",
            config.payload_max,
            crate::core::MTU_MAX
        ));
    }
    if mtu < needed || mtu >= needed + TAG_LEN {
        // Fits, or the core's own check says what is wrong.
        return Ok(());
    }
    Err(format!(
        "with keys every datagram carries a {TAG_LEN}-byte tag: mtu {mtu} leaves {} bytes, and one event of \
         payload_max {} needs {needed}: raise --mtu to {} or lower --payload-max",
        mtu - TAG_LEN,
        config.payload_max,
        needed + TAG_LEN
    ))
}

/// Why a received datagram was not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// Too short to hold a header and a tag.
    Short,
    /// Its signer's key is not held here (a client hearing a member's frame).
    NoKey,
    /// The tag does not match.
    BadTag,
}

impl AuthError {
    /// A short name, for counters.
    pub fn name(self) -> &'static str {
        match self {
            AuthError::Short => "auth_short",
            AuthError::NoKey => "auth_no_key",
            AuthError::BadTag => "auth_bad_tag",
        }
    }
}

/// Client keys already derived, by client id: a derivation costs about as
/// much as the tag of a 144-byte SUBMIT (176 ns here), a lookup a few ns.
/// A driver keeps one; bounded, it starts over when full.
#[derive(Debug, Default)]
pub struct ClientKeys(HashMap<ClientId, Key>);

/// Client keys a [`ClientKeys`] holds before it starts over.
const CLIENT_KEYS_MAX: usize = 4096;

impl ClientKeys {
    /// Keeps client `id`'s `key`, starting over when full.
    fn keep(&mut self, id: ClientId, key: Key) {
        if self.0.len() >= CLIENT_KEYS_MAX {
            self.0.clear();
        }
        self.0.insert(id, key);
    }
}

/// A key to sign or check with: held, or a client's just derived (not yet
/// kept: a derivation for a frame whose tag is wrong is not).
enum KeyOf<'a> {
    Held(&'a Key),
    Derived(ClientId, Key),
}

impl KeyOf<'_> {
    fn key(&self) -> &Key {
        match self {
            KeyOf::Held(key) => key,
            KeyOf::Derived(_, key) => key,
        }
    }
}

impl Keys {
    /// What these keys are, in words (an error names what a file holds).
    pub fn held(&self) -> String {
        match self {
            Keys::Member { .. } => "the member key and the client master".to_string(),
            Keys::Clients { .. } => "the client master only".to_string(),
            Keys::Client { id, .. } => format!("one client's key (client {id})"),
        }
    }

    /// The key of `signer`, if this process holds it: a client's from
    /// `derived` if derived before, else derived now.
    fn key_of<'a>(&'a self, signer: Signer, derived: &'a ClientKeys) -> Option<KeyOf<'a>> {
        match (self, signer) {
            (Keys::Member { member, .. }, Signer::Member) => Some(KeyOf::Held(member)),
            (Keys::Member { clients, .. } | Keys::Clients { clients }, Signer::Client(id)) => {
                Some(derived.0.get(&id).map_or_else(|| KeyOf::Derived(id, clients.client_key(id)), KeyOf::Held))
            }
            (Keys::Client { id, key }, Signer::Client(of)) if *id == of => Some(KeyOf::Held(key)),
            _ => None,
        }
    }

    /// Appends the tag to the `len`-byte datagram at the start of `buf`
    /// (which has room for it); returns the new length, or `None` if this
    /// process holds no key to sign it with.
    pub fn seal(&self, buf: &mut [u8], len: usize) -> Option<usize> {
        self.seal_with(buf, len, &mut ClientKeys::default())
    }

    /// [`seal`](Self::seal), with client keys kept in `derived` between calls.
    pub fn seal_with(&self, buf: &mut [u8], len: usize, derived: &mut ClientKeys) -> Option<usize> {
        let key = self.key_of(Signer::of(&buf[..len])?, derived)?;
        let tag = key.key().tag(&buf[..len]);
        if let KeyOf::Derived(id, key) = key {
            derived.keep(id, key);
        }
        buf[len..len + TAG_LEN].copy_from_slice(&tag);
        Some(len + TAG_LEN)
    }

    /// The datagram in `bytes` without its tag, if the tag is right.
    pub fn open<'a>(&self, bytes: &'a [u8]) -> Result<&'a [u8], AuthError> {
        self.open_with(bytes, &mut ClientKeys::default())
    }

    /// [`open`](Self::open), with client keys kept in `derived` between calls.
    pub fn open_with<'a>(&self, bytes: &'a [u8], derived: &mut ClientKeys) -> Result<&'a [u8], AuthError> {
        if bytes.len() < 32 + TAG_LEN {
            return Err(AuthError::Short);
        }
        let (datagram, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let signer = Signer::of(datagram).ok_or(AuthError::Short)?;
        let key = self.key_of(signer, derived).ok_or(AuthError::NoKey)?;
        let expected = key.key().tag(datagram);
        // Compared in constant time: how much of a forged tag is right must not show.
        let differs = expected.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 {
            // Forged frames naming many client ids must not evict the keys
            // of real ones.
            return Err(AuthError::BadTag);
        }
        if let KeyOf::Derived(id, key) = key {
            derived.keep(id, key);
        }
        Ok(datagram)
    }

    /// Reads a key file: lines `member = HEX`, `clients = HEX` (a member
    /// needs both; a client host may hold `clients` alone), or
    /// `client = ID:HEX` (one client's own key); `#` starts a comment. The
    /// file (or a pipe) must be readable by its owner only, and owned by
    /// the user this process runs as (or root), as sshd's StrictModes asks.
    pub fn read(path: &Path) -> Result<Keys, String> {
        use std::io::Read;
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let name = path.display();
        let cannot = |e: std::io::Error| format!("cannot read key file {name}: {e}");
        let mut file = std::fs::File::open(path).map_err(cannot)?;
        // What is checked is the file opened, not whatever the path names
        // a moment later.
        let meta = file.metadata().map_err(cannot)?;
        if meta.is_dir() {
            return Err(format!("key file {name} is a directory"));
        }
        // A pipe too: `--key-file <(vault read …)` feeds it from a store.
        if !meta.is_file() && !std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()) {
            return Err(format!("key file {name} is neither a file nor a pipe"));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o044 != 0 {
            return Err(format!("key file {name} is readable by others: chmod 600 {name}"));
        }
        if mode & 0o033 != 0 {
            // Writable or executable only (an operator's trial was told
            // "readable" of a file of mode 602).
            return Err(format!(
                "key file {name} is open to others (mode {mode:03o}: they could put other keys in it): chmod 600 \
                 {name}"
            ));
        }
        let me = crate::sys::effective_uid();
        if meta.uid() != me && meta.uid() != 0 {
            // Its owner could put other keys in it.
            return Err(format!(
                "key file {name} belongs to user id {}, not to this process's ({me}) or root: chown it",
                meta.uid()
            ));
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(cannot)?;
        Keys::parse(&text).map_err(|(line, why)| match line {
            // A fault of the whole file, not of one line.
            0 => format!("key file {name}: {why}"),
            _ => format!("{name}:{line}: {why}"),
        })
    }

    /// Parses the text of a key file (see [`Keys::read`]).
    pub fn parse(text: &str) -> Result<Keys, (usize, String)> {
        let (mut member, mut clients, mut client) = (None, None, None);
        for entry in crate::conf::key_values(text) {
            // Never the line itself: it may hold a key, and errors reach logs.
            let (line, key, value) = entry.map_err(|(line, _)| {
                (line, "expected `name = hex` (the line is not shown: it may hold a key)".to_string())
            })?;
            let slot = match key {
                "member" => &mut member,
                "clients" => &mut clients,
                "client" => {
                    let (id, hex) = value.split_once(':').ok_or((line, "client = ID:HEX".to_string()))?;
                    // The id alone: a key written before the colon must not be shown.
                    let id = id.trim().parse().map_err(|_| (line, "client = ID:HEX, ID a number".to_string()))?;
                    if id == 0 {
                        // As `seqcast keys client --id 0` refuses it.
                        return Err((line, "client 0 is no client's (its frames carry the member key)".into()));
                    }
                    if client.replace((ClientId(id), Key::from_hex(hex).map_err(|e| (line, e))?)).is_some() {
                        return Err((line, "client is given twice".into()));
                    }
                    continue;
                }
                // A name long enough to be a key is not shown.
                other if other.len() <= 16 => {
                    return Err((line, format!("unknown name {other:?} (member, clients or client)")));
                }
                _ => return Err((line, "unknown name (member, clients or client)".to_string())),
            };
            if slot.replace(Key::from_hex(value).map_err(|e| (line, e))?).is_some() {
                return Err((line, format!("{key} is given twice")));
            }
        }
        match (member, clients, client) {
            (Some(member), Some(clients), None) => Ok(Keys::Member { member, clients }),
            (None, Some(clients), None) => Ok(Keys::Clients { clients }),
            (None, None, Some((id, key))) => Ok(Keys::Client { id, key }),
            (Some(_), None, _) => Err((0, "a member key file needs `clients` too".into())),
            (None, None, None) => Err((0, "no key in the file".into())),
            _ => Err((0, "a key file holds member + clients, clients alone, or one client".into())),
        }
    }

    /// The text of a key file holding these keys.
    pub fn to_text(&self) -> String {
        let head = "# seqcast keys: keep this file readable by its owner only (chmod 600)\n";
        match self {
            Keys::Member { member, clients } => {
                format!("{head}member  = {}\nclients = {}\n", member.to_hex(), clients.to_hex())
            }
            Keys::Clients { clients } => format!("{head}clients = {}\n", clients.to_hex()),
            Keys::Client { id, key } => format!("{head}client = {}:{}\n", id.get(), key.to_hex()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Epoch;
    use crate::wire::{Header, Heartbeat, emit};

    fn keys() -> Keys {
        Keys::Member { member: Key::from_bytes([1; KEY_LEN]), clients: Key::from_bytes([2; KEY_LEN]) }
    }

    /// A datagram of `kind` (a HEARTBEAT's body, or a client id then zeros).
    fn datagram(kind: Kind, client: u32) -> Vec<u8> {
        let mut buf = vec![0u8; 256];
        let body = Heartbeat {
            seq_next: 2.into(),
            commit: 1.into(),
            sent_ns: 3.into(),
            rtt_ns: 4.into(),
            epoch_start: 0.into(),
            nonce: 0.into(),
            reserved: 0.into(),
        };
        let len = emit(&mut buf, &Header::new(Kind::Heartbeat, 0, 7, Epoch(1)), Kind::Heartbeat, &body).unwrap();
        buf[3] = u8::from(kind);
        buf[32..36].copy_from_slice(&client.to_le_bytes());
        buf.truncate(len + TAG_LEN);
        buf
    }

    fn sealed(keys: &Keys, mut d: Vec<u8>) -> Option<Vec<u8>> {
        let unsealed = d.len() - TAG_LEN;
        let len = keys.seal(&mut d, unsealed)?;
        d.truncate(len);
        Some(d)
    }

    #[test]
    fn a_sealed_datagram_opens_and_any_flipped_bit_fails() {
        let keys = keys();
        let d = sealed(&keys, datagram(Kind::Heartbeat, 0)).unwrap();
        assert_eq!(keys.open(&d).unwrap(), &d[..d.len() - TAG_LEN]);
        for bit in 0..d.len() * 8 {
            let mut bad = d.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(keys.open(&bad).is_err(), "bit {bit}");
        }
        assert_eq!(keys.open(&d[..40]), Err(AuthError::Short));
        let other = Keys::Member { member: Key::from_bytes([9; KEY_LEN]), clients: Key::from_bytes([2; KEY_LEN]) };
        assert_eq!(other.open(&d), Err(AuthError::BadTag), "another cluster's member key");
    }

    #[test]
    fn a_client_speaks_only_for_itself_and_never_as_a_member() {
        let members = keys();
        let Keys::Member { clients, .. } = &members else { unreachable!() };
        let five = Keys::Client { id: ClientId(5), key: clients.client_key(ClientId(5)) };
        // Its SUBMIT opens at the members; another client's it cannot make.
        let submit = sealed(&five, datagram(Kind::Submit, 5)).unwrap();
        assert!(members.open(&submit).is_ok());
        assert_eq!(sealed(&five, datagram(Kind::Submit, 6)), None);
        assert_eq!(sealed(&five, datagram(Kind::Heartbeat, 0)), None);
        // The members' COMMIT to it opens there; a member's HEARTBEAT it cannot check.
        assert!(five.open(&sealed(&members, datagram(Kind::Commit, 5)).unwrap()).is_ok());
        let heartbeat = sealed(&members, datagram(Kind::Heartbeat, 0)).unwrap();
        assert_eq!(five.open(&heartbeat), Err(AuthError::NoKey));
        // Client 6's key does not open client 5's frames; the master opens both.
        let six = Keys::Client { id: ClientId(6), key: clients.client_key(ClientId(6)) };
        assert_eq!(six.open(&sealed(&members, datagram(Kind::Busy, 5)).unwrap()), Err(AuthError::NoKey));
        let loadgen = Keys::Clients { clients: clients.clone() };
        assert!(members.open(&sealed(&loadgen, datagram(Kind::Submit, 6)).unwrap()).is_ok());
        assert_eq!(sealed(&loadgen, datagram(Kind::Ack, 0)), None, "the master makes no member frame");
        assert_ne!(clients.client_key(ClientId(5)), clients.client_key(ClientId(6)));
        // A security review: the leader's hello to a tail is a BUSY naming
        // client 0, whose key the master derived: a load generator's host
        // could forge it, and give a tail a token its leader never gave.
        assert_eq!(sealed(&loadgen, datagram(Kind::Busy, 0)), None, "the hello to a tail");
        let hello = sealed(&members, datagram(Kind::Busy, 0)).unwrap();
        assert!(members.open(&hello).is_ok());
        assert_eq!(loadgen.open(&hello), Err(AuthError::NoKey));
    }

    #[test]
    fn client_keys_derived_once_seal_as_freshly_derived_ones_and_stay_bounded() {
        let keys = keys();
        let mut derived = ClientKeys::default();
        for id in 0..(CLIENT_KEYS_MAX as u32 + 100) {
            let sealed = |derived: &mut ClientKeys| {
                let mut d = datagram(Kind::Submit, id);
                let unsealed = d.len() - TAG_LEN;
                keys.seal_with(&mut d, unsealed, derived).unwrap();
                d
            };
            let (first, again) = (sealed(&mut derived), sealed(&mut derived));
            assert_eq!(first, again, "client {id}: the cached key seals as the derived one");
            assert_eq!(Some(first.clone()), sealed_fresh(&keys, id));
            assert!(keys.open_with(&first, &mut derived).is_ok());
            assert!(derived.0.len() <= CLIENT_KEYS_MAX);
        }
    }

    /// A security review: a key derived to check a frame was kept before
    /// its tag was checked, so forged frames naming 4,096 client ids
    /// evicted every real client's key (each then derived again). Only a
    /// frame whose tag is right keeps its client's key.
    #[test]
    fn only_a_frame_whose_tag_is_right_keeps_its_clients_key() {
        let keys = keys();
        let mut derived = ClientKeys::default();
        let real = sealed(&keys, datagram(Kind::Submit, 5)).unwrap();
        assert!(keys.open_with(&real, &mut derived).is_ok());
        assert!(derived.0.contains_key(&ClientId(5)));
        for id in 1000..1000 + CLIENT_KEYS_MAX as u32 {
            let mut forged = sealed(&keys, datagram(Kind::Submit, id)).unwrap();
            *forged.last_mut().unwrap() ^= 1;
            assert_eq!(keys.open_with(&forged, &mut derived), Err(AuthError::BadTag));
        }
        assert_eq!(derived.0.len(), 1, "no forged frame's client key is kept");
        assert!(derived.0.contains_key(&ClientId(5)));
    }

    fn sealed_fresh(keys: &Keys, id: u32) -> Option<Vec<u8>> {
        sealed(keys, datagram(Kind::Submit, id))
    }

    /// The tag is AES-256-GCM-SIV's (RFC 8452) over the datagram as
    /// associated data, an empty plaintext and the all-zero nonce: checked
    /// against the RustCrypto implementation at every length to 2 KiB.
    #[test]
    fn the_tag_is_aes_256_gcm_siv_with_the_zero_nonce() {
        use aes_gcm_siv::aead::AeadInOut as _;
        use aes_gcm_siv::aead::inout::InOutBuf;
        use aes_gcm_siv::{Aes256GcmSiv, KeyInit as _};
        let bytes: [u8; KEY_LEN] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        let (key, reference) = (Key::from_bytes(bytes), Aes256GcmSiv::new(&bytes.into()));
        let data: Vec<u8> = (0..2048u32).map(|i| (i * 31 + 5) as u8).collect();
        for len in 0..data.len() {
            let empty: &mut [u8] = &mut [];
            let nonce = aes_gcm_siv::Nonce::from([0u8; 12]);
            let want = reference.encrypt_inout_detached(&nonce, &data[..len], InOutBuf::from(empty)).unwrap();
            assert_eq!(key.tag(&data[..len]), <[u8; TAG_LEN]>::from(want), "length {len}");
        }
    }

    #[test]
    fn key_files_round_trip_and_bad_ones_say_which_line() {
        let keys = keys();
        assert_eq!(Keys::parse(&keys.to_text()), Ok(keys.clone()));
        let Keys::Member { clients, .. } = &keys else { unreachable!() };
        let one = Keys::Client { id: ClientId(42), key: clients.client_key(ClientId(42)) };
        assert_eq!(Keys::parse(&one.to_text()), Ok(one));
        let hex = "ab".repeat(KEY_LEN);
        assert_eq!(Keys::parse(&format!("member = {hex}\n")).unwrap_err().1, "a member key file needs `clients` too");
        assert_eq!(Keys::parse("member = 12\n").unwrap_err(), (1, "a key is 64 hex digits, got 2 characters".into()));
        let bad = format!("member = {}x{}\n", "0".repeat(10), "0".repeat(53));
        assert_eq!(Keys::parse(&bad).unwrap_err(), (1, "a key is 64 hex digits, got 'x' at character 11".into()));
        let twice = format!("clients = {hex}\nclients = {hex}\n");
        assert_eq!(Keys::parse(&twice).unwrap_err(), (2, "clients is given twice".into()));
        assert_eq!(Keys::parse("secret = 1\n").unwrap_err().0, 1);
        // A malformed line is named, never shown: it may hold a key.
        let (line, why) = Keys::parse(&format!("member: {hex}\n")).unwrap_err();
        assert_eq!(line, 1);
        assert!(!why.contains("abab"), "{why}");
        for swapped in [format!("client = {hex}:42\n"), format!("{hex} = 1\n")] {
            let (_, why) = Keys::parse(&swapped).unwrap_err();
            assert!(!why.contains("abab"), "{why}");
        }
        // Helper 198: a client key file of id 0 was taken here, and refused
        // by the node that read it, naming client 0.
        let zero = Keys::parse(&format!("client = 0:{hex}\n")).unwrap_err();
        assert_eq!(zero, (1, "client 0 is no client's (its frames carry the member key)".into()));
        let random = Key::random().unwrap();
        assert_eq!(Key::from_hex(&random.to_hex()), Ok(random));
    }
}
