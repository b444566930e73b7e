#!/bin/sh
# vzlvs in-container network script. vzlvs runs it as `sh -c SCRIPT vzlvs-ct-net ACTION VIP...`
# inside a container through `vzctl exec2` (legacy OpenVZ has no other way in), and the same
# text runs at every CT start from the CTID.start block. POSIX sh + iproute2 only: it must work
# in any distro template.
#
#   ACTION observe   print key=value lines describing the current state
#   ACTION apply     make it hold (idempotent), then print the state
#   ACTION remove    undo what apply did for these VIPs
#
# Exit: 0 ok; 3 no usable ipip device (message on stderr); 2 bad arguments.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
DEV=tunl0
# Sorts after the distro's files (10-*, 50-default, 99-sysctl.conf), so a boot-time
# `sysctl --system` cannot put strict rp_filter back after this file has set it to 0.
PERSIST={{PERSIST_FILE}}

action=${1:-}
[ $# -gt 0 ] && shift
for vip in "$@"; do
    case $vip in
        *[!0-9.]* | "") echo "vzlvs-ct: bad VIP '$vip'" >&2; exit 2 ;;
    esac
done

# The sysctls this container needs, "KEY VALUE WHY" per line, and the text of PERSIST that
# keeps them: rendered by vzlvs from its table of desired kernel state
# (provisioner/net/desired_sysctls.cpp, provisioner/ct/ct_net.cpp ct_persist_text).
SYSCTLS='{{SYSCTLS}}'
PERSIST_TEXT='{{PERSIST_TEXT}}'

sysctl_path() { echo "/proc/sys/$(echo "$1" | tr . /)"; }

persist_text() { printf '%s\n' "$PERSIST_TEXT"; }

link_kind() {
    # `ip -d` prints the link kind first on its third line ("    ipip any remote any ...");
    # an iproute2 too old for that falls back to the ARPHRD type (768 = IPIP tunnel).
    k=$(ip -d link show dev "$DEV" 2>/dev/null | awk 'NR == 3 { print $1; exit }')
    case $k in
        "" | *[!a-z0-9_]*)
            k=unknown
            [ "$(cat "/sys/class/net/$DEV/type" 2>/dev/null)" = 768 ] && k=ipip ;;
    esac
    echo "$k"
}

# The fields, one snippet each, from vzlvs's table of in-CT state (provisioner/ct/ct_fields.cpp).
observe() {
{{OBSERVE}}
}

apply() {
    if ! ip link show dev "$DEV" >/dev/null 2>&1; then
        # With net.core.fb_tunnels_only_for_init_net set, the kernel creates no fallback
        # tunl0 in containers; a collect-metadata ipip device catches the same packets.
        # (Each change is tried, then looked at again when it fails: the CTID.start block and
        # vzlvs may apply at the same moment of a start.)
        if ! ip link add name "$DEV" type ipip external 2>/dev/null &&
            ! ip link show dev "$DEV" >/dev/null 2>&1; then
            echo "ipip not supported by this kernel: there is no $DEV in this container and" \
                 "none can be created (is the ipip feature on, and has the container been" \
                 "restarted since? is the ipip module loaded on the node?)" >&2
            exit 3
        fi
    fi
    ip link set dev "$DEV" up || exit 1
    for vip in "$@"; do
        ip -o -4 addr show dev "$DEV" | grep -q " $vip/32 " && continue
        err=$(ip addr add "$vip/32" dev "$DEV" 2>&1) && continue
        ip -o -4 addr show dev "$DEV" | grep -q " $vip/32 " && continue
        echo "$err" >&2
        exit 1
    done
    echo "$SYSCTLS" | while read -r key value why; do
        f=$(sysctl_path "$key")
        [ -w "$f" ] && echo "$value" > "$f"
    done
    if [ -d /etc/sysctl.d ] || mkdir -p /etc/sysctl.d 2>/dev/null; then
        if [ "$(cat "$PERSIST" 2>/dev/null)" != "$(persist_text)" ]; then
            persist_text > "$PERSIST.vzlvs-tmp" && chmod 0644 "$PERSIST.vzlvs-tmp" &&
                mv -f "$PERSIST.vzlvs-tmp" "$PERSIST"
        fi
    fi
}

remove() {
    if ip link show dev "$DEV" >/dev/null 2>&1; then
        for vip in "$@"; do
            ip -o -4 addr show dev "$DEV" | grep -q " $vip/32 " && ip addr del "$vip/32" dev "$DEV"
        done
    fi
    # The file is vzlvs's own; the runtime sysctls are left as they are (other services in
    # the container may rely on them, and the next boot applies the distro defaults).
    rm -f "$PERSIST"
}

case $action in
    observe) observe ;;
    apply) apply "$@" && observe ;;
    remove) remove "$@" && observe ;;
    *) echo "usage: sh -c SCRIPT vzlvs-ct-net observe|apply|remove VIP..." >&2; exit 2 ;;
esac
