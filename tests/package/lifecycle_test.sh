#!/usr/bin/env bash
# The packages' lifecycle (docs/install.md, "Upgrade and removal"), each in a scratch root that
# holds busybox as its shell (rpm and dpkg run the scriptlets chrooted there) and a recording
# stand-in for systemctl (named so: the root has no systemd to ask, and the test reads what
# the scriptlets asked of it):
#   install: daemon-reload; /var/lib/vzlvs owned, 0700;
#   upgrade: the watch service restarted (try-restart);
#   remove while a CT's mount script calls vzlvs: refused, with the uninstall procedure;
#   remove with VZLVS_REMOVE_PROVISIONED=1: done, the service disabled, the state dir gone,
#   and the CT's mount script -- the block vzlvs writes, run as vzctl runs it -- still lets
#   the container start (exit 0), saying vzlvs is missing.
# Usage: lifecycle_test.sh DIST_DIR SOURCE_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dist=$1
src=$2
source "$here/../openvz/tap.sh"
tap_tmpdir

rpm=$(ls "$dist"/vzlvs-*.x86_64.rpm)
deb=$(ls "$dist"/vzlvs_*_amd64.deb)

# A root with a shell and the recording systemctl, on a "running systemd".
make_root() {
    local root=$1
    mkdir -p "$root/bin" "$root/usr/bin" "$root/run/systemd/system" "$root/tmp" "$root/etc/vz/conf"
    mkdir -p "$root/dev" && mknod -m 666 "$root/dev/null" c 1 3
    cp /bin/busybox "$root/bin/busybox"
    chroot "$root" /bin/busybox --install -s /bin
    printf '#!/bin/sh\necho "$*" >>/systemctl.log\n' >"$root/usr/bin/systemctl"
    chmod 755 "$root/usr/bin/systemctl"
    : >"$root/systemctl.log"
}

# CT 101's mount script as provision writes it (hooks/mount.block for the packaged paths).
provision_ct() {
    local root=$1
    {
        echo '#!/bin/sh'
        echo '# BEGIN vzlvs lvs-tun'
        sed -e "s|{{VZLVS}}|/usr/sbin/vzlvs|; s|{{CONFIG}}|/etc/vzlvs/vzlvs.conf|" \
            -e "s|{{LAST_GOOD}}|/var/lib/vzlvs/last-good.conf|" "$src/hooks/mount.block"
        echo '# END vzlvs lvs-tun'
        echo 'exit 0'
    } >"$root/etc/vz/conf/101.mount"
    chmod 755 "$root/etc/vz/conf/101.mount"
}

calls() { cat "$1/systemctl.log"; }

lifecycle() { # NAME ROOT INSTALL UPGRADE REMOVE QUERY
    local name=$1 root=$2 install=$3 upgrade=$4 remove=$5 query=$6
    run $install
    check "$name: installs" rc_is 0
    check "$name: ... and reloads systemd" has "$(calls "$root")" "daemon-reload"
    run stat -c %a "$root/var/lib/vzlvs"
    check "$name: owns /var/lib/vzlvs, 0700" expect 0 700 ""
    : >"$root/systemctl.log"
    run $upgrade
    check "$name: upgrades" rc_is 0
    check "$name: ... and restarts watch" has "$(calls "$root")" "try-restart vzlvs-watch.service vzlvs-director.service"

    provision_ct "$root"
    echo "state" >"$root/var/lib/vzlvs/hook.log"
    run $remove
    check "$name: removal refused while a CT is provisioned" has "$ERR" "not removed: these containers are provisioned"
    check "$name: ... naming the CT's script" has "$ERR" "/etc/vz/conf/101.mount"
    check "$name: ... and the uninstall procedure" has "$ERR" "vzlvs deprovision --all"
    run $query
    check "$name: ... so it is still installed" rc_is 0
    check "$name: ... and the CT still calls it" test -x "$root/opt/vzlvs/bin/vzlvs"

    : >"$root/systemctl.log"
    export VZLVS_REMOVE_PROVISIONED=1
    run $remove
    unset VZLVS_REMOVE_PROVISIONED
    check "$name: removed when asked to" rc_is 0
    check "$name: ... watch disabled and stopped" has "$(calls "$root")" "disable --now vzlvs-watch.service vzlvs-director.service"
    check "$name: ... the binary gone" test ! -e "$root/opt/vzlvs/bin/vzlvs"
    run chroot "$root" env -i VEID=101 /etc/vz/conf/101.mount
    check "$name: the provisioned CT's mount script still lets it start" rc_is 0
    check "$name: ... saying why vzlvs did nothing" has "$ERR" "/usr/sbin/vzlvs is missing: CT 101 starts without vzlvs"
}

# ---- RPM ----
root=$TMPD/rpm
make_root "$root"
rpm --root "$root" --initdb
lifecycle rpm "$root" "rpm --root $root -i --nodeps $rpm" \
    "rpm --root $root -U --replacepkgs --nodeps $rpm" "rpm --root $root -e vzlvs" \
    "rpm --root $root -q vzlvs"
check "rpm: erase takes the state dir" test ! -e "$root/var/lib/vzlvs"

# ---- deb ----
root=$TMPD/deb
make_root "$root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
dpkg_() { dpkg --root="$root" --force-depends --log=/dev/null "$@"; }
lifecycle deb "$root" "dpkg_ -i $deb" "dpkg_ -i $deb" "dpkg_ -r vzlvs" "dpkg_ -s vzlvs"
check "deb: remove keeps the state dir" test -e "$root/var/lib/vzlvs/hook.log"
run dpkg_ --purge vzlvs
check "deb: purge" rc_is 0
check "deb: ... takes the state dir" test ! -e "$root/var/lib/vzlvs"

tap_summary
