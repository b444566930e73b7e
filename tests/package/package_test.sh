#!/usr/bin/env bash
# The packages scripts/package built (docs/install.md): their file lists, modes and config
# marking; the RPM is one OpenVZ 7's rpm 4.11 can read; each installs into a scratch root
# (rpm --root, dpkg --root) where the installed vzlvs runs -- chrooted, with nothing of this
# machine's libraries -- also under the Linux 3.10 system-call profile; and an edited
# configuration survives a reinstall.
# Usage: package_test.sh DIST_DIR ENOSYS310
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dist=$1
enosys310=$2
source "$here/../openvz/tap.sh"
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

rpm=$(ls "$dist"/vzlvs-*.x86_64.rpm)
deb=$(ls "$dist"/vzlvs_*_amd64.deb)
tarball=$(ls "$dist"/vzlvs-*-x86_64.tar.gz)

# The tree both packages must hold (the bundle's libraries and the docs are checked apart).
want_files="/etc/logrotate.d/vzlvs
/etc/vzlvs
/etc/vzlvs/vzlvs.conf
/opt/vzlvs
/opt/vzlvs/bin
/opt/vzlvs/bin/vzlvs
/opt/vzlvs/lib
/opt/vzlvs/lib/ld-linux-x86-64.so.2
/opt/vzlvs/lib/libc.so.6
/opt/vzlvs/lib/libcurl.so.4
/opt/vzlvs/lib/libnl-3.so.200
/opt/vzlvs/lib/libstdc++.so.6
/usr/lib/systemd/system/vzlvs-director.service
/usr/lib/systemd/system/vzlvs-watch.service
/usr/lib/vzlvs
/usr/lib/vzlvs/lifecycle
/usr/sbin/vzlvs
/usr/share/bash-completion/completions/vzlvs
/usr/share/doc/vzlvs/LICENSE
/usr/share/doc/vzlvs/README.md
/usr/share/doc/vzlvs/changelog.gz
/usr/share/doc/vzlvs/copyright
/usr/share/man/man5/vzlvs.conf.5.gz
/usr/share/man/man8/vzlvs.8.gz
/var/lib/vzlvs"
keep_listed() { grep -xF -f <(echo "$want_files"); }
only_expected() { # paths outside what may be there: the bundle's libs, docs, parent dirs
    grep -vxF -f <(echo "$want_files") | grep -vE '^/opt/vzlvs/lib/[^/]+\.so[.0-9]*$|^/usr/share/doc/vzlvs(/|$)' |
        grep -vxE '/usr|/usr/sbin|/usr/lib|/usr/lib/systemd|/usr/lib/systemd/system|/usr/share|/usr/share/man|/usr/share/man/man[58]|/usr/share/bash-completion|/usr/share/bash-completion/completions|/usr/share/doc|/etc|/etc/logrotate.d|/opt|/var|/var/lib' |
        grep -vxE '/usr/share/lintian|/usr/share/lintian/overrides|/usr/share/lintian/overrides/vzlvs'
}

# ---- RPM ----
rpm -qpl "$rpm" | sort >"$TMPD/rpm.files"
run keep_listed <"$TMPD/rpm.files"
check "rpm: holds the install tree" expect 0 "$want_files" ""
run only_expected <"$TMPD/rpm.files"
check "rpm: holds nothing else" expect 1 "" ""
run rpm -qpc "$rpm"
check "rpm: the configuration and the log rotation are its config files" expect 0 $'/etc/logrotate.d/vzlvs\n/etc/vzlvs/vzlvs.conf' ""
rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' \
    "$rpm" >"$TMPD/rpm.modes"
for line in "-rw-r--r-- root:root cn /etc/vzlvs/vzlvs.conf" \
    "-rwxr-xr-x root:root  /opt/vzlvs/bin/vzlvs" \
    "lrwxrwxrwx root:root  /usr/sbin/vzlvs" \
    "-rw-r--r-- root:root  /usr/lib/systemd/system/vzlvs-watch.service" \
    "-rw-r--r-- root:root d /usr/share/man/man8/vzlvs.8.gz" \
    "drwx------ root:root  /var/lib/vzlvs"; do
    check "rpm: $line" grep -qxF -- "$line" "$TMPD/rpm.modes"
done
run awk '$1 !~ /^l/ && ($1 ~ /w.$/ || $1 ~ /^.....w/)' "$TMPD/rpm.modes"
check "rpm: nothing is group- or world-writable" expect 0 "" ""
run rpm -qp --qf '%{PAYLOADCOMPRESSOR}' "$rpm"
check "rpm: an xz payload (rpm 4.11 has no zstd)" expect 0 xz ""
run sh -c "rpm -qp --requires '$rpm' | grep -E 'Zstd|GLIBC|\.so'"
check "rpm: requires no zstd payload support and no library of the node" expect 1 "" ""

# A root with a shell (rpm and dpkg run the package's scripts chrooted there) and /dev/null.
shell_root() {
    mkdir -p "$1/bin" "$1/dev"
    mknod -m 666 "$1/dev/null" c 1 3
    cp /bin/busybox "$1/bin/busybox"
    chroot "$1" /bin/busybox --install -s /bin
}
root=$TMPD/rpmroot
shell_root "$root"
run rpm --root "$root" --initdb
check "rpm: scratch root's database" rc_is 0
# (Debian's rpm warns on stderr that it is not Debian's package manager.)
run rpm --root "$root" -i --nodeps "$rpm"
check "rpm: installs into a scratch root" rc_is 0
run rpm --root "$root" -q vzlvs
check "rpm: ... and knows it there" has "$OUT" "vzlvs-"

run chroot "$root" /usr/sbin/vzlvs version
check "rpm: the installed vzlvs runs there" has "$OUT" "vzlvs "
run "$enosys310" chroot "$root" /usr/sbin/vzlvs version
check "rpm: ... and under the Linux 3.10 profile" has "$OUT" "libcurl "
echo "# edited" >>"$root/etc/vzlvs/vzlvs.conf"
run rpm --root "$root" -U --replacepkgs --nodeps "$rpm"
check "rpm: reinstalls" rc_is 0
check "rpm: an edited configuration survives a reinstall" grep -qxF "# edited" "$root/etc/vzlvs/vzlvs.conf"
run stat -c %a "$root/var/lib/vzlvs"
check "rpm: the state dir is the package's, 0700" expect 0 700 ""

# ---- deb ----
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||; s|/$||' | grep -v '^$' | sort >"$TMPD/deb.files"
run keep_listed <"$TMPD/deb.files"
check "deb: holds the install tree" expect 0 "$want_files" ""
run only_expected <"$TMPD/deb.files"
check "deb: holds nothing else" expect 1 "" ""
run dpkg-deb -f "$deb" Package Architecture
check "deb: control" expect 0 $'Package: vzlvs\nArchitecture: amd64' ""
run sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles"
check "deb: the configuration and the log rotation are its conffiles" expect 0 $'/etc/vzlvs/vzlvs.conf\n/etc/logrotate.d/vzlvs' ""
run sh -c "dpkg-deb -c '$deb' | awk '\$6 == \"./etc/vzlvs/vzlvs.conf\" || \$6 == \"./opt/vzlvs/bin/vzlvs\" {print \$1, \$2, \$6}'"
check "deb: modes and owners" expect 0 $'-rw-r--r-- root/root ./etc/vzlvs/vzlvs.conf\n-rwxr-xr-x root/root ./opt/vzlvs/bin/vzlvs' ""

root=$TMPD/debroot
shell_root "$root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
run dpkg --root="$root" --force-depends -i "$deb"
check "deb: installs into a scratch root" rc_is 0
run chroot "$root" /usr/sbin/vzlvs version
check "deb: the installed vzlvs runs there" has "$OUT" "vzlvs "
echo "# edited" >>"$root/etc/vzlvs/vzlvs.conf"
run dpkg --root="$root" --force-depends --force-confold -i "$deb"
check "deb: reinstalls" rc_is 0
check "deb: an edited configuration survives a reinstall" grep -qxF "# edited" "$root/etc/vzlvs/vzlvs.conf"

# ---- the artifact ----
run sh -c "tar -tzf '$tarball' | sort | head -3"
check "tarball: the bundle alone" expect 0 $'opt/vzlvs/\nopt/vzlvs/bin/\nopt/vzlvs/bin/vzlvs' ""

tap_summary
