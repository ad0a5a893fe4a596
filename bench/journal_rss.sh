#!/bin/bash
# Usage: bench/journal_rss.sh [SECONDS] (default 60; it builds the release binaries first).
# Resident memory of a journaled cluster under steady load: a sequencer and two
# followers on loopback, --sync batch, 50,000 events/s for SECONDS; every 10 s
# it prints each process's VmRSS (kB). The journal grows on disk; memory should not.
cd "$(dirname "$0")/.." && cargo build --release -q
SECS=${1:-60}
B=target/release/seqcast; L=target/release/seqcast-loadgen
J=$(mktemp -d); G=239.255.77.2:7710
common="--group $G --cluster-id 78 --quiet --out $J"
$B sequencer $common --listen 127.0.0.1:7711 --journal $J --sync batch > $J/s.log 2>&1 & S=$!
$B follower --id 1 $common --journal $J --sync batch > $J/f1.log 2>&1 & F1=$!
$B follower --id 2 $common --journal $J --sync batch > $J/f2.log 2>&1 & F2=$!
sleep 1
$L --group $G --cluster-id 78 --leader 127.0.0.1:7711 --rate 50000 --seconds "$SECS" --batch 14 --clients 2 --json > $J/load.json 2>&1 & LG=$!
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "t_s sequencer_kB follower1_kB follower2_kB journal_MB"
for ((t = 0; t <= SECS; t += 10)); do
    echo "$t $(rss $S) $(rss $F1) $(rss $F2) $(du -sm $J | cut -f1)"
    [ "$t" -lt "$SECS" ] && sleep 10
done
wait $LG
sleep 1; kill -INT $S $F1 $F2; wait $S $F1 $F2
python3 -c "
import json
r=[json.loads(l) for l in open('$J/load.json') if l.startswith('{')][0]
print('committed', r['committed'], 'p99', r['latency']['p99'])"
grep -h digest $J/f1.log $J/f2.log
rm -rf $J
