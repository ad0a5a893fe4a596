-- Wireshark dissector for the seqcast wire protocol, version 3
-- (docs/PROTOCOL.md). Registered heuristically on UDP: any datagram that
-- starts with the magic "SQ" and version 3. Every frame kind and field;
-- the CRC-32 is checked, with expert info when it does not match; with
-- keys, the 16-byte tag after the frame is shown (not checked: that needs
-- the key).
--
--   wireshark -X lua_script:tools/wireshark/seqcast.lua
--   tshark -X lua_script:tools/wireshark/seqcast.lua -r capture.pcap -Y seqcast

local p = Proto("seqcast", "seqcast sequencer protocol")

local kinds = {
  [1] = "SUBMIT", [2] = "DATA", [3] = "HEARTBEAT", [4] = "ACK", [5] = "NAK",
  [6] = "RETRANSMIT", [7] = "COMMIT", [8] = "BUSY", [9] = "UNRECOVERABLE",
  [16] = "VOTE_REQUEST", [17] = "VOTE", [18] = "PROMOTE",
}
local busy_reasons = {
  [1] = "in-flight window full", [2] = "client table full", [3] = "request skipped (gap)",
  [4] = "epoch changed / in doubt", [5] = "not the leader",
  [6] = "refused (payload over payload_max, request 0, or request past 2^63 - 1)",
  [7] = "hello (echo the header's token)", [8] = "client id in use by another process",
}

local f = {
  magic = ProtoField.uint16("seqcast.magic", "Magic", base.HEX),
  version = ProtoField.uint8("seqcast.version", "Version"),
  kind = ProtoField.uint8("seqcast.kind", "Kind", base.DEC, kinds),
  flags = ProtoField.uint16("seqcast.flags", "Flags", base.HEX),
  told = ProtoField.bool("seqcast.flags.told", "TOLD (bit 1): followers infer no commit of this leader's log"),
  no_failover = ProtoField.bool("seqcast.flags.no_failover", "NO_FAILOVER (bit 2): a leader without failover (a sequencer)"),
  served = ProtoField.bool("seqcast.flags.served", "SERVED (bit 0): history from a member that does not lead"),
  resent = ProtoField.bool("seqcast.flags.resent", "RESENT (bit 0): its first request went before to another member"),
  oldest = ProtoField.bool("seqcast.flags.oldest", "OLDEST (bit 1): every request below its first was told committed"),
  forced = ProtoField.bool("seqcast.flags.forced", "FORCED (bit 0): asked by an operator"),
  counting = ProtoField.bool("seqcast.flags.counting_incomplete",
    "COUNTING_INCOMPLETE (bit 1): the candidate counts fenced votes of members back without all of their log"),
  led = ProtoField.bool("seqcast.flags.led", "LED (bit 2): the candidate claims the log it led since it last started"),
  count_incomplete = ProtoField.bool("seqcast.flags.count_incomplete",
    "COUNT_INCOMPLETE (bit 0): count votes of members back without all of their log"),
  durability = ProtoField.uint16("seqcast.flags.durability", "Durability promised (bits 0-1)", base.DEC,
    { [0] = "held in memory", [1] = "written, not synced", [2] = "synced", [3] = "synced" }),
  sender = ProtoField.uint16("seqcast.sender", "Sender", base.DEC, { [0xffff] = "client", [0xfffe] = "observer" }),
  len = ProtoField.uint32("seqcast.len", "Length"),
  crc = ProtoField.uint32("seqcast.crc", "CRC-32", base.HEX),
  crc_ok = ProtoField.bool("seqcast.crc_ok", "CRC good"),
  cluster = ProtoField.uint32("seqcast.cluster", "Cluster"),
  token = ProtoField.uint32("seqcast.token", "Token (admission token; from a member to members: nodes << 16 | quorum)", base.HEX),
  epoch = ProtoField.uint64("seqcast.epoch", "Epoch"),
  tag = ProtoField.bytes("seqcast.tag", "Tag (AES-256-GCM-SIV, not checked)"),
  -- bodies
  client = ProtoField.uint32("seqcast.client", "Client"),
  count = ProtoField.uint16("seqcast.count", "Count"),
  request = ProtoField.uint64("seqcast.request", "Request"),
  commit = ProtoField.uint64("seqcast.commit", "Commit"),
  sent_ns = ProtoField.uint64("seqcast.sent_ns", "Sent (ns)"),
  seq_next = ProtoField.uint64("seqcast.seq_next", "Next sequence"),
  rtt_ns = ProtoField.uint64("seqcast.rtt_ns", "Smoothed RTT (ns)"),
  epoch_start = ProtoField.uint64("seqcast.epoch_start", "Epoch start"),
  nonce = ProtoField.uint32("seqcast.nonce", "Nonce", base.HEX),
  seq_held = ProtoField.uint64("seqcast.seq_held", "Held"),
  echo_ns = ProtoField.uint64("seqcast.echo_ns", "Echo (ns)"),
  echo_delay_ns = ProtoField.uint64("seqcast.echo_delay_ns", "Echo delay (ns)"),
  first = ProtoField.uint64("seqcast.first", "First"),
  range_end = ProtoField.uint64("seqcast.end", "End"),
  reason = ProtoField.uint16("seqcast.reason", "Reason", base.DEC, busy_reasons),
  leader = ProtoField.uint16("seqcast.leader", "Leader"),
  retry_ns = ProtoField.uint64("seqcast.retry_ns", "Retry after (ns)"),
  log_epoch = ProtoField.uint64("seqcast.log_epoch", "Log epoch"),
  log_seq = ProtoField.uint64("seqcast.log_seq", "Log sequence"),
  granted = ProtoField.uint32("seqcast.granted", "Granted", base.DEC, {
    [0] = "refused", [1] = "granted", [2] = "granted, without all of its log",
    [3] = "granted, without all of its log, fenced" }),
  candidate = ProtoField.uint16("seqcast.candidate", "Candidate"),
  node = ProtoField.uint16("seqcast.node", "Node"),
  run_seq = ProtoField.uint64("seqcast.run.seq", "Sequence"),
  run_count = ProtoField.uint32("seqcast.run.count", "Requests"),
  -- event records
  ev_seq = ProtoField.uint64("seqcast.event.seq", "Sequence"),
  ev_stamp = ProtoField.uint64("seqcast.event.stamp_ns", "Stamp (ns)"),
  ev_request = ProtoField.uint64("seqcast.event.request", "Request"),
  ev_client = ProtoField.uint32("seqcast.event.client", "Client"),
  ev_len = ProtoField.uint16("seqcast.event.len", "Payload length"),
  ev_payload = ProtoField.bytes("seqcast.event.payload", "Payload"),
}
local list = {}
for _, field in pairs(f) do list[#list + 1] = field end
p.fields = list

local bad_crc = ProtoExpert.new("seqcast.bad_crc", "CRC-32 does not match", expert.group.CHECKSUM, expert.severity.ERROR)
local bad_len = ProtoExpert.new("seqcast.bad_len", "Length does not match the datagram", expert.group.MALFORMED, expert.severity.ERROR)
p.experts = { bad_crc, bad_len }

-- CRC-32 (IEEE 802.3, as zlib), table-driven.
local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit32.band(c, 1) == 1 then c = bit32.bxor(0xEDB88320, bit32.rshift(c, 1)) else c = bit32.rshift(c, 1) end
  end
  crc_table[i] = c
end
local function crc_of(bytes, from, to, crc)
  for i = from, to - 1 do
    crc = bit32.bxor(crc_table[bit32.band(bit32.bxor(crc, bytes:get_index(i)), 0xff)], bit32.rshift(crc, 8))
  end
  return crc
end

local function u64(tree, field, buf, at) tree:add_le(field, buf(at, 8)) end

local function records(tree, buf, at, stop, count)
  for i = 1, count do
    if at + 32 > stop then return end
    local len = buf(at + 28, 2):le_uint()
    local padded = 32 + math.floor((len + 7) / 8) * 8
    local r = tree:add(p, buf(at, math.min(padded, stop - at)), string.format("Event %d: seq %s", i, buf(at, 8):le_uint64()))
    u64(r, f.ev_seq, buf, at); u64(r, f.ev_stamp, buf, at + 8); u64(r, f.ev_request, buf, at + 16)
    r:add_le(f.ev_client, buf(at + 24, 4)); r:add_le(f.ev_len, buf(at + 28, 2))
    if len > 0 and at + 32 + len <= stop then r:add(f.ev_payload, buf(at + 32, len)) end
    at = at + padded
  end
end

local function body(kind, tree, buf, b, stop)
  if kind == 1 then
    tree:add_le(f.client, buf(b, 4)); tree:add_le(f.count, buf(b + 4, 2)); u64(tree, f.request, buf, b + 8)
    records(tree, buf, b + 16, stop, buf(b + 4, 2):le_uint())
  elseif kind == 2 or kind == 6 then
    u64(tree, f.commit, buf, b); u64(tree, f.sent_ns, buf, b + 8); tree:add_le(f.count, buf(b + 16, 2))
    records(tree, buf, b + 24, stop, buf(b + 16, 2):le_uint())
  elseif kind == 3 then
    u64(tree, f.seq_next, buf, b); u64(tree, f.commit, buf, b + 8); u64(tree, f.sent_ns, buf, b + 16)
    u64(tree, f.rtt_ns, buf, b + 24); u64(tree, f.epoch_start, buf, b + 32); tree:add_le(f.nonce, buf(b + 40, 4))
  elseif kind == 4 then
    u64(tree, f.seq_held, buf, b); u64(tree, f.echo_ns, buf, b + 8); u64(tree, f.echo_delay_ns, buf, b + 16)
  elseif kind == 5 then
    local count = buf(b, 2):le_uint()
    tree:add_le(f.count, buf(b, 2)); tree:add_le(f.nonce, buf(b + 4, 4))
    for i = 0, count - 1 do
      local at = b + 8 + 16 * i
      if at + 16 > stop then break end
      local r = tree:add(p, buf(at, 16), string.format("Range [%s, %s)", buf(at, 8):le_uint64(), buf(at + 8, 8):le_uint64()))
      u64(r, f.first, buf, at); u64(r, f.range_end, buf, at + 8)
    end
  elseif kind == 7 then
    local count = buf(b + 4, 2):le_uint()
    tree:add_le(f.client, buf(b, 4)); tree:add_le(f.count, buf(b + 4, 2)); u64(tree, f.commit, buf, b + 8)
    for i = 0, count - 1 do
      local at = b + 16 + 24 * i
      if at + 24 > stop then break end
      local r = tree:add(p, buf(at, 24), "Run")
      u64(r, f.request, buf, at); u64(r, f.run_seq, buf, at + 8); r:add_le(f.run_count, buf(at + 16, 4))
    end
  elseif kind == 8 then
    tree:add_le(f.client, buf(b, 4)); tree:add_le(f.reason, buf(b + 4, 2)); tree:add_le(f.leader, buf(b + 6, 2))
    u64(tree, f.request, buf, b + 8); u64(tree, f.retry_ns, buf, b + 16)
  elseif kind == 9 then
    u64(tree, f.first, buf, b); u64(tree, f.range_end, buf, b + 8)
  elseif kind == 16 then
    u64(tree, f.log_epoch, buf, b); u64(tree, f.log_seq, buf, b + 8)
  elseif kind == 17 then
    tree:add_le(f.granted, buf(b, 4)); tree:add_le(f.candidate, buf(b + 4, 2))
    u64(tree, f.log_epoch, buf, b + 8); u64(tree, f.log_seq, buf, b + 16)
  elseif kind == 18 then
    tree:add_le(f.node, buf(b, 2))
  end
end

local function is_frame(buf, at)
  return buf:len() >= at + 32 and buf(at, 2):le_uint() == 0x5153 and buf(at + 2, 1):uint() == 3
end

-- One datagram; `buf` is exactly its bytes.
local function dissect_one(buf, pinfo, root)
  local kind = buf(3, 1):uint()
  local len = buf(8, 4):le_uint()
  local tree = root:add(p, buf(), "seqcast, " .. (kinds[kind] or ("kind " .. kind)))
  tree:add_le(f.magic, buf(0, 2)); tree:add(f.version, buf(2, 1)); tree:add(f.kind, buf(3, 1))
  local flags, flags_item = buf(4, 2):le_uint(), tree:add_le(f.flags, buf(4, 2))
  local bit0 = bit32.band(flags, 1) ~= 0
  if kind == 1 then
    flags_item:add(f.resent, bit0)
    flags_item:add(f.oldest, bit32.band(flags, 2) ~= 0)
  elseif kind == 4 then flags_item:add(f.durability, bit32.band(flags, 3))
  elseif kind == 16 then
    flags_item:add(f.forced, bit0)
    flags_item:add(f.counting, bit32.band(flags, 2) ~= 0)
    flags_item:add(f.led, bit32.band(flags, 4) ~= 0)
  elseif kind == 18 then flags_item:add(f.count_incomplete, bit0) end
  if kind == 5 or kind == 6 or kind == 9 then flags_item:add(f.served, bit0) end
  if kind == 2 or kind == 3 or kind == 6 or kind == 7 or kind == 8 or kind == 9 then
    flags_item:add(f.told, bit32.band(flags, 2) ~= 0)
    flags_item:add(f.no_failover, bit32.band(flags, 4) ~= 0)
  end
  tree:add_le(f.sender, buf(6, 2))
  local len_item = tree:add_le(f.len, buf(8, 4))
  local crc_item = tree:add_le(f.crc, buf(12, 4))
  tree:add_le(f.cluster, buf(16, 4)); tree:add_le(f.token, buf(20, 4)); u64(tree, f.epoch, buf, 24)
  local frame_len = len
  if len ~= buf:len() and len + 16 ~= buf:len() then
    len_item:add_proto_expert_info(bad_len)
    frame_len = math.min(len, buf:len())
  end
  local bytes = buf:bytes()
  local crc = crc_of(bytes, 16, frame_len, crc_of(bytes, 0, 12, 0xFFFFFFFF))
  local good = bit32.bxor(crc, 0xFFFFFFFF) == buf(12, 4):le_uint()
  tree:add(f.crc_ok, good)
  if not good then crc_item:add_proto_expert_info(bad_crc) end
  body(kind, tree, buf, 32, frame_len)
  if buf:len() == len + 16 then tree:add(f.tag, buf(len, 16)) end
  local summary = kinds[kind] or ("kind " .. kind)
  return string.format("%s from %s, epoch %s%s", summary, buf(6, 2):le_uint(), buf(24, 8):le_uint64(), good and "" or " [BAD CRC]")
end

-- A capture on loopback holds a UDP GSO send as one packet: several
-- datagrams back to back, each its own frame (without keys `len` bytes,
-- with keys `len` + 16). Each is dissected.
function p.dissector(buf, pinfo, root)
  if not is_frame(buf, 0) then return 0 end
  pinfo.cols.protocol = "seqcast"
  local at, infos = 0, {}
  while at < buf:len() do
    local rest = buf:len() - at
    local len = buf(at + 8, 4):le_uint()
    local size = rest
    if len < rest and (len + 16 == rest or (len + 16 < rest and is_frame(buf, at + len + 16) and not is_frame(buf, at + len))) then
      size = len + 16
    elseif len < rest and is_frame(buf, at + len) then
      size = len
    end
    infos[#infos + 1] = dissect_one(buf(at, size):tvb(), pinfo, root)
    at = at + size
    if at < buf:len() and not is_frame(buf, at) then break end
  end
  pinfo.cols.info = #infos == 1 and infos[1] or string.format("%d datagrams (GSO): %s", #infos, table.concat(infos, "; "))
  return buf:len()
end

local function heuristic(buf, pinfo, root)
  if not is_frame(buf, 0) then return false end
  p.dissector(buf, pinfo, root)
  return true
end
p:register_heuristic("udp", heuristic)
