#!/bin/bash
# Usage: bench/member_replay.sh leader|member [EVENTS] (it builds the release binaries first).
# A tail's replay from sequence 1 with failover: three members on loopback
# (--sync none) and EVENTS events (default 2,000,000) loaded; with `member`
# the leader keeps 2,000 (ring and journal), so member 1 serves the rest
# from its journal while it follows. Prints the tail's digest and its
# events/s, timed from its start to its exit, then each member's
# `history:` line. Alternate the two modes to compare them.
set -u
MODE=$1; N=${2:-2000000}
cd "$(dirname "$0")/.." && cargo build --release -q
B=target/release/seqcast; L=target/release/seqcast-loadgen
D=$(mktemp -d); P=$((21000 + RANDOM % 2000))
{ echo "cluster_id = 88$((RANDOM % 90 + 10))"; echo "group = 239.255.88.$((RANDOM % 200 + 1)):$P"
  for i in 0 1 2; do echo "node.$i = 127.0.0.1:$((P + 1 + i))"; done; } > $D/cluster.conf
KEEP=(--journal $D/j --sync none --quiet --election-timeout-ms 2000 --out $D)
LEAD=(--segment-bytes 67108864)
[ "$MODE" = member ] && LEAD=(--retain-events 2000 --ring-events 32768 --segment-bytes 262144)
PIDS=()
$B member --id 0 --cluster $D/cluster.conf "${KEEP[@]}" "${LEAD[@]}" > $D/m0.out 2>&1 & PIDS+=($!)
for i in 1 2; do
  $B member --id $i --cluster $D/cluster.conf "${KEEP[@]}" --segment-bytes 67108864 > $D/m$i.out 2>&1 & PIDS+=($!)
done
sleep 0.7
$L --cluster $D/cluster.conf --failover --count $N --rate 250000 --batch 14 --json > $D/load.out 2>&1
sleep 1
S=$(date +%s.%N)
timeout 120 $B tail --cluster $D/cluster.conf --failover --from 1 --to $N --format count > $D/tail.out 2>&1
E=$(date +%s.%N)
echo "$MODE: $(grep -h '^digest' $D/tail.out) in $(echo "$E - $S" | bc) s = $(echo "$N / ($E - $S)" | bc) events/s"
kill -TERM "${PIDS[@]}"; wait
grep -h '^history:' $D/m*.out
rm -rf "$D"
