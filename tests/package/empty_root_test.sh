#!/usr/bin/env bash
# The artifact (scripts/package's vzlvs-VERSION-x86_64.tar.gz) in an empty root: a chroot
# that holds the bundle, the configuration and, for the second half, the tools vzlvs spawns --
# with their own libraries under /tools/lib -- and no /lib, /lib64 or /usr/lib at all. All of
# it runs under the Linux 3.10 system-call profile (tests/support/linux310.hpp).
#   1. The root holds nothing but /opt/vzlvs and /etc/vzlvs: version, config --example,
#      config and check run there (check fails, saying what is missing, as on a bare node).
#   2. With the tools and an OpenVZ stand-in node (tests/openvz/mknode) bind-mounted at its
#      own path: check and provision, the mount hook vzctl runs at the restart included.
# Usage: empty_root_test.sh DIST_DIR ENOSYS310
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dist=$(cd "$1" && pwd)
enosys310=$2
source "$here/../openvz/tap.sh"
TMPD=$(mktemp -d)
root=$TMPD/root
standin=""
cleanup() {
    [[ -n $standin ]] && "$here/../openvz/rmnode" "$standin" >/dev/null 2>&1
    # Hook workers started in the root hold it busy until they end.
    pkill -f "^/opt/vzlvs/bin/vzlvs" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

mkdir -p "$root"
tar -xzf "$dist"/vzlvs-*-x86_64.tar.gz -C "$root"
mkdir -p "$root/etc/vzlvs"
# in_root CMD...: CMD in the root under the profile, in a private mount namespace with the
# root's /proc (and, in part 2, the stand-in and the tools' mounts: $BINDS).
in_root() {
    "$enosys310" unshare --mount --propagation slave sh -c '
        root=$1; shift
        # A mount point of its own, as a node'\''s / is (ip netns exec makes / rslave).
        mount --bind "$root" "$root" || exit 120
        mkdir -p "$root/proc" && mount -t proc proc "$root/proc" || exit 120
        for b in $BINDS; do
            mkdir -p "$root$b" && mount --rbind "$b" "$root$b" || exit 121
        done
        exec chroot "$root" "$@"' sh "$root" "$@"
}
export BINDS

# ---- 1. nothing but the artifact and the configuration ----
BINDS=""
run in_root /opt/vzlvs/bin/vzlvs config --example
check "config --example runs in the root" rc_is 0
printf '%s\n' "$OUT" >"$root/etc/vzlvs/vzlvs.conf"
run sh -c "cd '$root' && find . -mindepth 1 -maxdepth 2 | sort | tr '\n' ' '"
check "the root holds only the artifact and the configuration" \
    expect 0 "./etc ./etc/vzlvs ./opt ./opt/vzlvs ./proc " ""
run in_root /opt/vzlvs/bin/vzlvs version
check "version runs in the root" has "$OUT" "libcurl "
run in_root /opt/vzlvs/bin/vzlvs config
check "config reads /etc/vzlvs/vzlvs.conf there" has "$OUT" "[node]"
run in_root /opt/vzlvs/bin/vzlvs check
check "check runs there: exit 1" rc_is 1
check "... and says vzctl is missing" has "$OUT" "/usr/sbin/vzctl"

# ---- 2. the tools vzlvs spawns, and a stand-in node ----
# Each tool with its libraries under /tools/lib, its interpreter there too: the root still has
# no /lib, /lib64 or /usr/lib. (ldd on the machine's own copies tells what each needs.)
mkdir -p "$root/tools/lib" "$root/usr/bin" "$root/usr/sbin" "$root/bin" "$root/sbin" \
    "$root/tmp" "$root/run/netns" "$root/sys" "$root/dev" "$root/var/lib"
tools="arping awk basename bash cat chmod cp cut date dirname env flock grep head id ip ln
    mkdir mktemp modprobe mount mv nft nsenter printf readlink rm rmdir sed sh sleep sort stat
    sysctl tail tc timeout touch tr true umount uniq unshare wc"
copy_tool() {
    local t=$1 path lib
    path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$t") || return 0
    cp -L "$path" "$root/usr/bin/$t"
    for lib in $(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'); do
        cp -Ln "$lib" "$root/tools/lib/" 2>/dev/null
    done
    patchelf --set-interpreter /tools/lib/ld-linux-x86-64.so.2 --force-rpath \
        --set-rpath /tools/lib "$root/usr/bin/$t"
}
cp -L /lib64/ld-linux-x86-64.so.2 "$root/tools/lib/"
for t in $tools; do copy_tool "$t"; done
for t in $tools; do
    [[ -e $root/usr/bin/$t ]] || continue
    ln -sf "/usr/bin/$t" "$root/usr/sbin/$t"
    ln -sf "/usr/bin/$t" "$root/bin/$t"
    ln -sf "/usr/bin/$t" "$root/sbin/$t"
done
ln -sf /usr/bin/bash "$root/bin/sh"
run sh -c "cd '$root' && ls -d lib lib64 usr/lib 2>&1"
check "the root has no /lib, /lib64 or /usr/lib" rc_is 2

run "$here/../openvz/mknode"
standin=$(sed -n 's/^VZ_STANDIN_ROOT=//p' <<<"$OUT")
node_ns=$(sed -n 's/^VZ_STANDIN_NODE_NS=//p' <<<"$OUT")
check "a stand-in node" test -n "$standin"
source "$standin/standin.env"
"$VZCTL" create 101 --ipadd 198.51.100.101 >/dev/null && "$VZCTL" start 101 >/dev/null
check "with a running CT 101" sh -c "'$VZCTL' status 101 | grep -q running"
{ "$here/../openvz/node-conf" "$standin" emptyroot /var/lib/vzlvs; cat <<CONF
restart = auto

[service web]
vip = 192.0.2.10
port = 80

[container 101]
services = web
CONF
} >"$root/etc/vzlvs/vzlvs.conf"
# The stand-in lives at its own path, its vzctl in this source tree; its namespaces in
# /run/netns; devices as they are.
BINDS="$standin $(cd "$here/../openvz" && pwd) /run/netns /dev"
in_node() { in_root nsenter --net="/run/netns/$node_ns" "$@"; }

# Which failures the stand-in must give: its kernel has no ipip (tests/support/vzlvs_node.hpp).
failures() { # the failed steps' names in a --json report on stdin
    python3 -c 'import json,sys; print("\n".join(o["name"] for o in json.load(sys.stdin)["outcomes"] if o["status"] == "failed"))'
}
run in_node /opt/vzlvs/bin/vzlvs --json check
check "check against the stand-in: exit 1 (not provisioned yet)" rc_is 1
run in_node /opt/vzlvs/bin/vzlvs --json provision
rc=$RC
printf '%s\n' "$OUT" >"$TMPD/provision.json"
run failures <"$TMPD/provision.json"
check "provision in the root: only the stand-in kernel's ipip fails (exit $rc)" \
    expect 0 "tunl0 is an ipip device" ""
check "the mount hook ran in the root at the restart (its worker's lock)" \
    test -e "$root/var/lib/vzlvs/workers/101.lock"
run flock "$root/var/lib/vzlvs/workers/101.lock" true
check "... and its worker finished" rc_is 0
run grep -c "VIP routes removed as vzctl added them" "$root/var/lib/vzlvs/hook.log"
check "the worker removed the VIP route vzctl added" expect 0 1 ""
run ip -n "$node_ns" route show 192.0.2.10
check "no route of the VIP is left on the node" expect 0 "" ""
run in_node /opt/vzlvs/bin/vzlvs --json provision
printf '%s\n' "$OUT" >"$TMPD/again.json"
run python3 -c 'import json,sys; print(sum(o["status"] == "changed" for o in json.load(open(sys.argv[1]))["outcomes"]))' "$TMPD/again.json"
check "a second provision changes nothing" expect 0 0 ""

tap_summary
