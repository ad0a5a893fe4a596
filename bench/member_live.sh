#!/bin/bash
# Usage: bench/member_live.sh none|tail [EVENTS] (it builds the release binaries first).
# Live commit latency while a member serves history from its journal:
# three members on loopback (--sync none) with EVENTS events (default
# 1,000,000) loaded first; the leader keeps 2,000 of them (ring and
# journal), members 1 and 2 keep everything. Then 50,000 events/s for 6 s
# (2 clients, batches of 14); with `tail`, from the first second to the
# fifth, tails from sequence 1 run one after another, and what the leader
# no longer has each asks of the other members in turn, so member 1 serves
# it from its journal while it follows. Quorum 2 of 3. Prints the live
# load's commit latency (intended send -> commit, us), the tails' count
# and digests, and each member's `history:` line. Alternate the modes.
set -u
MODE=$1; N=${2:-1000000}
cd "$(dirname "$0")/.." && cargo build --release -q
B=target/release/seqcast; L=target/release/seqcast-loadgen
D=$(mktemp -d); P=$((21000 + RANDOM % 2000))
{ echo "cluster_id = 89$((RANDOM % 90 + 10))"; echo "group = 239.255.89.$((RANDOM % 200 + 1)):$P"
  for i in 0 1 2; do echo "node.$i = 127.0.0.1:$((P + 1 + i))"; done; } > $D/cluster.conf
KEEP=(--journal $D/j --sync none --quiet --election-timeout-ms 2000 --out $D)
PIDS=()
$B member --id 0 --cluster $D/cluster.conf "${KEEP[@]}" --retain-events 2000 --ring-events 32768 \
  --segment-bytes 262144 > $D/m0.out 2>&1 & PIDS+=($!)
for i in 1 2; do
  $B member --id $i --cluster $D/cluster.conf "${KEEP[@]}" --segment-bytes 67108864 > $D/m$i.out 2>&1 & PIDS+=($!)
done
sleep 0.7
$L --cluster $D/cluster.conf --failover --count $N --rate 250000 --batch 14 --quiet > $D/preload.out 2>&1
sleep 1
$L --cluster $D/cluster.conf --failover --rate 50000 --seconds 6 --batch 14 --clients 2 --json > $D/load.json 2>&1 & LG=$!
TAILS=0
if [ "$MODE" = tail ]; then
  sleep 1; END=$(($(date +%s%N) + 4000000000))
  while [ "$(date +%s%N)" -lt $END ]; do
    timeout 60 $B tail --cluster $D/cluster.conf --failover --from 1 --to $N --format count >> $D/tail.out 2>&1
    TAILS=$((TAILS + 1))
  done
fi
wait $LG
python3 -c "
import json
r=[json.loads(l) for l in open('$D/load.json') if l.startswith('{')][0]
lat=r['latency']; print('$MODE: committed', r['committed'], 'p50', lat['p50'], 'p99', lat['p99'], 'p99.9', lat['p99.9'], 'max', lat['max'])"
[ "$MODE" = tail ] && echo "tails: $TAILS; digests: $(grep -h '^digest' $D/tail.out | sed 's/ hash.*//' | sort | uniq -c | tr -s ' ')"
kill -TERM "${PIDS[@]}"; wait
grep -h '^history:' $D/m*.out
rm -rf "$D"
