#!/bin/bash
# Usage: PAUSE=0 bench/catch_up.sh, then PAUSE=1 (it builds the release binaries first).
# Live commit latency while a follower catches up from the leader's journal:
# a journaled sequencer (ring 20,000 events) and two followers on loopback,
# 50,000 events/s for 6 s; with PAUSE=1 follower 1 is stopped (SIGSTOP) at
# 1 s for 2 s and then catches up (about 100,000 events, most from the
# journal) while the load goes on. Quorum 2 of 3: the leader and follower 2
# commit meanwhile.
cd "$(dirname "$0")/.." && cargo build --release -q
B=target/release/seqcast; L=target/release/seqcast-loadgen
J=$(mktemp -d); G=239.255.77.1:7700
common="--group $G --cluster-id 77 --quiet --out $J"
$B sequencer $common --listen 127.0.0.1:7701 --journal $J --sync none --ring-events 20000 --in-flight-max 10000 > $J/s.log 2>&1 & S=$!
$B follower --id 1 $common --journal $J --sync none > $J/f1.log 2>&1 & F1=$!
$B follower --id 2 $common --journal $J --sync none > $J/f2.log 2>&1 & F2=$!
sleep 1
$L --group $G --cluster-id 77 --leader 127.0.0.1:7701 --rate 50000 --seconds 6 --batch 14 --clients 2 --json > $J/load.json 2>&1 & LG=$!
if [ "$PAUSE" = 1 ]; then sleep 1; kill -STOP $F1; sleep 2; kill -CONT $F1; fi
wait $LG
sleep 1; kill -INT $S $F1 $F2; wait $S $F1 $F2
python3 -c "
import json,sys
r=[json.loads(l) for l in open('$J/load.json') if l.startswith('{')][0]
lat=r['latency']; print('committed', r['committed'], 'p50', lat['p50'], 'p99', lat['p99'], 'p99.9', lat['p99.9'], 'max', lat['max'])"
grep -h digest $J/f1.log $J/f2.log
rm -rf $J
