#!/usr/bin/env bash
# The Debian packages (docs/packaging.md), built from this build tree by scripts/package and
# checked for what a user gets: the three .debs; the tools, manual pages, completion and
# service in mint; the DKMS tree in mint-dkms, which builds mint.ko against the cache's Debian
# headers exactly as its dkms.conf says; the node images and the node module's sources in
# mint-node, which build mint_node.ko; lintian without errors; and an installed layout (the
# packages unpacked, never installed into this machine) whose mint finds its node initramfs
# with no environment variable.
#   tests/package_test.sh SOURCE_DIR BUILD_DIR KDIR
set -uo pipefail
src="$1" build="$2" kdir="$3"
debs="$build/debs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi; }

start=$(date +%s)
MINT_BUILD_DIR="$build" "$src/scripts/package" >"$work/package.out" 2>&1
package_status=$?
sed 's/^/  | /' "$work/package.out"
[ "$package_status" = 0 ] && pass "scripts/package: built, lintian reports no errors ($(($(date +%s) - start)) s)" ||
  fail "scripts/package exited $package_status (lintian errors or a failed build)"

version="$(cd "$src" && dpkg-parsechangelog -SVersion)"
cmake_version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")"
[ "$version" = "$cmake_version" ] && pass "debian/changelog and CMake agree on version $version" ||
  fail "debian/changelog says $version, CMake's project() $cmake_version"

declare -A deb
for package in mint mint-dkms mint-node; do
  deb[$package]="$(ls "$debs/${package}_${version}_"*.deb 2>/dev/null | head -n1)"
  if [ -n "${deb[$package]}" ]; then pass "$package: $(basename "${deb[$package]}")"; else fail "$package: no .deb in $debs"; fi
done
[ -n "${deb[mint]}" ] && [ -n "${deb[mint-dkms]}" ] && [ -n "${deb[mint-node]}" ] || exit 1

lists() { dpkg-deb -c "${deb[$1]}" | awk '{print $6}' | sed 's|^\./|/|'; }
has() { # package path...
  local package="$1"; shift
  for path in "$@"; do
    if lists "$package" | grep -qx "$path"; then pass "$package holds $path"; else fail "$package lacks $path"; fi
  done
}
has mint /usr/bin/mint /usr/lib/mint/mint-fetch /usr/share/man/man1/mint.1.gz /usr/share/man/man1/mint-up.1.gz \
  /usr/share/man/man1/mint-check.1.gz /usr/share/bash-completion/completions/mint \
  /usr/share/doc/mint/plan.md.gz
# debhelper puts units in /lib/systemd/system (Debian 12) or /usr/lib/systemd/system (later).
unit_path="$(lists mint | grep -E '^(/usr)?/lib/systemd/system/mint\.service$' | head -n1)"
[ -n "$unit_path" ] && pass "mint holds $unit_path" || fail "mint lacks mint.service"
dkms_dir="/usr/src/mint-$version"
has mint-dkms "$dkms_dir/dkms.conf" "$dkms_dir/kmod/host/Makefile" "$dkms_dir/kmod/host/Kbuild" \
  "$dkms_dir/kmod/host/main.c" "$dkms_dir/kmod/link/link.c" "$dkms_dir/include/mint/abi.h" \
  "$dkms_dir/kmod/compat.h"
has mint-node /usr/share/mint/node-initrd.cpio.gz /usr/lib/mint/mint-agent \
  /usr/share/mint/src/kmod/node/Kbuild /usr/share/mint/src/kmod/node/main.c \
  /usr/share/mint/src/kmod/link/ring.c /usr/share/mint/src/include/mint/abi.h \
  /usr/share/mint/src/kmod/compat.h /usr/lib/mint/node-kernel \
  /usr/share/mint/examples/two-nodes.toml /usr/lib/mint/rootfs /usr/lib/mint/node-init \
  /usr/share/mint/examples/diskless.toml
# The diskless initramfs is built where scripts/setup fetched Debian's nbd-client.
if [ -e "$build/guest/node-initrd-diskless.cpio.gz" ]; then
  has mint-node /usr/share/mint/node-initrd-diskless.cpio.gz
fi
lists mint-dkms | grep -q '/tests/' && fail "mint-dkms ships the module's lab tests" ||
  pass "mint-dkms holds the module's sources only"

# The packages unpacked side by side: the layout an installation has.
root="$work/root"
for package in mint mint-dkms mint-node; do dpkg-deb -x "${deb[$package]}" "$root"; done
grep -qx "PACKAGE_VERSION=\"$version\"" "$root$dkms_dir/dkms.conf" &&
  pass "dkms.conf: PACKAGE_VERSION=\"$version\"" || fail "dkms.conf's PACKAGE_VERSION is not $version"

# dkms build, by hand: dkms.conf's MAKE[0] run in a copy of the tree as DKMS copies it, with
# kernel_source_dir = the cache's Debian headers; then the module it names must be there.
dkms_build="$work/dkms/build"
mkdir -p "$work/dkms" && cp -a "$root$dkms_dir" "$dkms_build"
make_line="$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$dkms_build/dkms.conf")"
module_dir="$(sed -n 's/^BUILT_MODULE_LOCATION\[0\]="\(.*\)"$/\1/p' "$dkms_build/dkms.conf")"
if [ -n "$make_line" ] && (cd "$dkms_build" && kernel_source_dir="$kdir" eval "$make_line") >"$work/dkms.log" 2>&1 &&
   [ -f "$dkms_build/${module_dir}mint.ko" ]; then
  pass "mint-dkms: dkms.conf's MAKE[0] builds ${module_dir}mint.ko against $(basename "$kdir")"
  want="$(basename "$kdir")" && want="${want#linux-headers-}"
  got="$(modinfo -F vermagic "$dkms_build/${module_dir}mint.ko" | awk '{print $1}')"
  [ "$got" = "$want" ] && pass "mint.ko's vermagic is $got" || fail "mint.ko's vermagic is '$got', not $want"
else
  tail -n 20 "$work/dkms.log"; fail "mint-dkms: dkms.conf's MAKE[0] ('$make_line') does not build mint.ko"
fi

# And DKMS itself, kept inside this test's folder (its own tree and source tree, the cache's
# headers): `dkms build` of the unpacked package, never an installation into this machine.
if command -v dkms >/dev/null; then
  release="$(basename "$kdir")" && release="${release#linux-headers-}"
  mkdir -p "$work/dkms-tree"
  if dkms build -m mint -v "$version" -k "$release" --sourcetree "$root/usr/src" \
       --dkmstree "$work/dkms-tree" --kernelsourcedir "$kdir" >"$work/dkms-build.log" 2>&1 &&
     [ -f "$work/dkms-tree/mint/$version/$release/x86_64/module/mint.ko" ]; then
    pass "dkms build -m mint -v $version -k $release (unpacked mint-dkms, the cache's headers)"
  else
    tail -n 20 "$work/dkms-build.log"; fail "dkms build of the unpacked mint-dkms"
  fi
fi

# The node module from mint-node's sources, as `mint kernel` builds it for a node kernel.
node_src="$work/node-src"
cp -a "$root/usr/share/mint/src" "$node_src"
if make -C "$node_src/kmod/node" KDIR="$kdir" >"$work/node.log" 2>&1 && [ -f "$node_src/kmod/node/mint_node.ko" ]; then
  pass "mint-node: /usr/share/mint/src/kmod/node builds mint_node.ko"
else
  tail -n 20 "$work/node.log"; fail "mint-node: its node module sources do not build"
fi

# The tools as installed.
check "mint --version says $version" sh -c "'$root/usr/bin/mint' --version | grep -qx 'mint $version'"
check "mint(1) is made from --help (it lists the commands)" sh -c "zcat '$root/usr/share/man/man1/mint.1.gz' | grep -q inventory"
check "the bash completion parses" bash -n "$root/usr/share/bash-completion/completions/mint"
complete_up="$(bash -c "source '$root/usr/share/bash-completion/completions/mint'; _mint_options '$root/usr/bin/mint' up" | tr '\n' ' ')"
case "$complete_up" in *--timeout*--json*) pass "completion offers mint up's options ($complete_up)" ;;
  *) fail "completion of mint up's options gave '$complete_up'" ;; esac

# The service: systemd's own checks, on the unpacked unit with its mint pointed at the unpacked
# binary (verify wants every Exec path to exist on this machine; modprobe does).
unit="$root$unit_path"
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/bin/mint|$root/usr/bin/mint|g" "$unit" >"$work/mint.service"
  if systemd-analyze verify --man=no "$work/mint.service" >"$work/verify.log" 2>&1 && [ ! -s "$work/verify.log" ]; then
    pass "systemd-analyze verify mint.service"
  else
    cat "$work/verify.log"; fail "systemd-analyze verify mint.service"
  fi
fi
check "mint.service starts only with /etc/mint/plan.toml" grep -qx 'ConditionPathExists=/etc/mint/plan.toml' "$unit"

# An installed mint finds the packaged node initramfs without ${MINT_NODE_INITRD}; the kernel
# is named here since this machine's own /boot may have none.
kernel="$(sed -n 's/^MINT_KERNEL=//p' "$(dirname "$(dirname "$(dirname "$(dirname "$kdir")")")")/kernel.env" 2>/dev/null)"
if [ -n "$kernel" ]; then
  if env -u MINT_NODE_INITRD MINT_KERNEL="$kernel" "$root/usr/bin/mint" check \
      "$root/usr/share/mint/examples/one-node.toml" >"$work/check.log" 2>&1; then
    pass "installed: mint check examples/one-node.toml with only MINT_KERNEL set"
  else
    cat "$work/check.log"; fail "installed: mint check of the packaged example"
  fi
fi
# Without MINT_KERNEL, the default is the running kernel's image: named when it is missing.
running="/boot/vmlinuz-$(uname -r)"
if [ ! -e "$running" ]; then
  out="$(env -u MINT_KERNEL -u MINT_NODE_INITRD "$root/usr/bin/mint" check "$root/usr/share/mint/examples/one-node.toml" 2>&1)"
  case "$out" in *'${MINT_KERNEL}'*"$running"*) pass "installed: a missing default names \${MINT_KERNEL} and $running" ;;
    *) echo "$out"; fail "installed: the error for a missing default kernel" ;; esac
fi

echo "package_test: $failures failures, $(($(date +%s) - start)) s"
[ "$failures" = 0 ]
