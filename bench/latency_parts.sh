#!/bin/bash
# Usage: bench/latency_parts.sh [IDLE [PIN [SECONDS]]] (it builds the release
# binaries first; IDLE block|yield|spin, default spin; PIN 1 puts each process
# on a CPU of its own, default 1; SECONDS of load, default 3).
# Where a commit's time goes: a sequencer with 1 follower (quorum 2 of 2), 2
# (2 of 3) and 4 (3 of 5) on loopback, one client at 10,000 events/s, one
# 64-byte event a SUBMIT. Prints, for each, the client's commit latency
# (intended send -> COMMIT), the leader's ACK round trip (a DATA's send stamp
# to its ACK, the follower's hold time taken out) and each follower's
# delivery (the leader's stamp -> delivered), in us. Set beside a ping-pong's
# round trip (`cargo bench`): the commit pays two round trips, the client's
# and the ACK's. Spinning needs a core per process (up to 6 here).
set -u
IDLE=${1:-spin}; PIN=${2:-1}; SECS=${3:-3}
cd "$(dirname "$0")/.." && cargo build --release -q
B=target/release
W=$(mktemp -d /tmp/seqcast-parts.XXXX)
pin() { [ "$PIN" = 1 ] && echo "--pin $1"; }
run() {
  local followers=$1 quorum=$2 nodes=$(($1 + 1)) port=$((21000 + RANDOM % 2000)) pids=()
  local cluster="--group 239.255.88.$((RANDOM % 200 + 1)):$port --cluster-id 88$((RANDOM % 90 + 10)) --nodes $nodes --quorum $quorum"
  # shellcheck disable=SC2086,SC2046
  $B/seqcast sequencer --listen 127.0.0.1:0 --out $W/l$followers $cluster --idle $IDLE $(pin 0) > $W/leader$followers.log 2>&1 &
  local leader=$!
  for _ in $(seq 100); do grep -q "listening on" $W/leader$followers.log && break; sleep 0.1; done
  local addr; addr=$(grep -o "listening on [^,]*" $W/leader$followers.log | head -1 | cut -d' ' -f3)
  for i in $(seq 1 "$followers"); do
    # shellcheck disable=SC2086,SC2046
    $B/seqcast follower --id "$i" --out $W/f$followers-$i $cluster --idle $IDLE $(pin "$i") > $W/f$followers-$i.log 2>&1 &
    pids+=($!)
  done
  sleep 1
  echo "== $followers followers, quorum $quorum of $nodes, idle $IDLE, pinned $PIN"
  # shellcheck disable=SC2086,SC2046
  $B/seqcast-loadgen --leader "$addr" $cluster --rate 10000 --seconds "$SECS" --size 64 --clients 1 --batch 1 \
    --drain-ms 2000 --idle $IDLE $(pin $nodes) 2>&1 | grep -E "^(events|latency|commit|send lateness)"
  kill -TERM "${pids[@]}" $leader
  wait "${pids[@]}" $leader 2>/dev/null
  grep -h "ack round trip" $W/leader$followers.log
  for i in $(seq 1 "$followers"); do
    grep -h "delivery (" $W/f$followers-$i.log | sed "s/^delivery/follower $i delivery/"
  done
}
run 1 2
run 2 2
run 4 3
rm -rf "$W"
