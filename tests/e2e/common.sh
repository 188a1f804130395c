# Prepended to every tests/e2e/*.sh by tests/e2e_support.h (RunScript): the helpers the host
# scripts share. Busybox sh.

check() { # NAME OK(0/1) DETAIL...: one line tests/e2e_support.h turns into a gtest case
  name=$1 ok=$2
  shift 2
  if [ "$ok" = 0 ]; then echo "E2E-CHECK $name PASS $*"; else echo "E2E-CHECK $name FAIL $*"; fi
}

heartbeats_advanced() { # BEFORE.json AFTER.json: how many nodes' agent heartbeats moved on
  # (two `mint status --json` outputs; nodes are listed in the same order in both)
  set -- "$(sed -n 's/.*"heartbeat": \([0-9]*\).*/\1/p' "$1" | tr '\n' ' ')" \
    "$(sed -n 's/.*"heartbeat": \([0-9]*\).*/\1/p' "$2" | tr '\n' ' ')"
  before_list=$1
  set -- $2
  moved=0
  for before in $before_list; do
    [ "$1" -gt "$before" ] && moved=$((moved + 1))
    shift
  done
  echo "$moved"
}

node_field() { # NODE FIELD: "FIELD" of NODE in mint ps --json (strings without quotes)
  # (a node's "link" is an object of its own: flattened first, so that each node is one line)
  mint ps --json | tr -d '\n' | sed 's/"link": {[^}]*}/"link": "yes"/g; s/},/}\n/g' |
    grep "\"name\": \"$1\"" |
    sed -n "s/.*\"$2\": \"\{0,1\}\([^,\"}]*\)\"\{0,1\}.*/\1/p" | head -1
}
wait_state() { # NODE STATE SECONDS: wait until mint ps shows STATE
  # (its own counter, as wait_carrier's: callers loop on i)
  ws_tries=0
  while [ $ws_tries -lt $(($3 * 5)) ]; do
    [ "$(node_field "$1" state)" = "$2" ] && return 0
    sleep 0.2
    ws_tries=$((ws_tries + 1))
  done
  return 1
}

start_counter() { # NODE: a background process in NODE counting in /tmp/count, its pid in /tmp/counter.pid
  mint exec "$1" -- sh -c '(i=0; while true; do i=$((i + 1)); echo $i > /tmp/count; sleep 0.1; done) >/dev/null 2>&1 & echo $! > /tmp/counter.pid'
}

still_counting() { # NODE: start_counter's process is alive and counting; says how in $counted
  counter_pid=$(mint exec "$1" -- cat /tmp/counter.pid)
  c1=$(mint exec "$1" -- cat /tmp/count)
  sleep 0.5
  c2=$(mint exec "$1" -- cat /tmp/count)
  counted="counter pid $counter_pid, $c1 -> $c2"
  [ -n "$c1" ] && [ "$c2" -gt "$c1" ] &&
    [ "$(mint exec "$1" -- sh -c "kill -0 $counter_pid && echo alive")" = alive ]
}

refused() { # NAME PLAN EXPECTED-TEXT: mint check --live refuses PLAN, saying EXPECTED-TEXT
  mint check --live "$2" > /tmp/$1.out 2>&1
  rc=$?
  grep -q "$3" /tmp/$1.out
  found=$?
  [ "$rc" != 0 ] && [ "$found" = 0 ]
  check "$1" $? "mint check rc $rc: $(grep -m1 "$3" /tmp/$1.out)"
}

carrier() { cat /sys/class/net/$1/carrier 2>/dev/null || echo none; } # DEVICE: 1, 0 or none
wait_carrier() { # DEVICE VALUE SECONDS: wait until the host's link device has that carrier
  # (its own counter: callers loop on i)
  wc_tries=0
  while [ "$(carrier $1)" != "$2" ] && [ $wc_tries -lt $(($3 * 10)) ]; do
    sleep 0.1
    wc_tries=$((wc_tries + 1))
  done
  [ "$(carrier $1)" = "$2" ]
}
