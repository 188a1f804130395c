#!/usr/bin/env bash
# The layers of docs/architecture.md, checked on the sources:
# - only the node lifecycle (hostio/lifecycle.cc) claims, loads, starts or destroys a node:
#   no other file calls Create/Load/Zero/Start/Destroy/(Direct)Link on a loader or the host device, and only
#   the device wrapper (hostio/host_device.cc) names those ioctls;
# - lib/ stays pure: no file of it opens files, devices or sysfs (but LoadPlanFile, which reads
#   the plan's own text);
# - cli/ and bench/ do not include the module's ioctl numbers directly.
#   tests/layers_test.sh SOURCE_DIR
set -uo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"
status=0
bad() { echo "layers: $*"; status=1; }

sources() { find cli bench hostio lib guest lab -name '*.cc' -o -name '*.h' | grep -v -e '_test\.cc$' -e '_fuzz\.cc$' -e '^lib/fake_loader\.h$'; }

while IFS= read -r hit; do
  case "$hit" in hostio/lifecycle.cc:*) ;; *) bad "a node is claimed, loaded, started or destroyed outside hostio/lifecycle.cc: $hit" ;; esac
done < <(sources | grep -v '^lab/' | xargs grep -nE '(\.|->)(Create|Load|Zero|Start|Destroy|Link|DirectLink)\(' | grep -vE 'Store|store')

while IFS= read -r hit; do
  case "$hit" in hostio/host_device.cc:*) ;; *) bad "an ioctl of the lifecycle issued outside hostio/host_device.cc: $hit" ;; esac
done < <(sources | xargs grep -nE 'MINT_IOC_(CREATE|LOAD|START|DESTROY|LINK|DLINK)\b' | grep -v ':[0-9]*: *//')

while IFS= read -r hit; do
  bad "lib/ must stay pure (no files, devices or sysfs): $hit"
done < <(find lib -name '*.cc' -o -name '*.h' | grep -v -e '_test\.cc$' -e '_fuzz\.cc$' -e 'test_images\.h$' -e 'iasl_testing\.h$' |
         xargs grep -nE '(std::ifstream|std::ofstream|fopen\(|[^a-z_:]open\(|ioctl\(|opendir\()' |
         grep -v '^lib/plan[a-z_]*\.cc:.*std::ifstream in(path')  # LoadPlanFile: the plan's own text

[ "$status" = 0 ] && echo "layers: the lifecycle alone boots and stops nodes; lib/ is pure"
exit "$status"
