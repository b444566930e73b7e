#!/usr/bin/env bash
# The man pages (man/vzlvs.8, man/vzlvs.conf.5): lint-clean for mandoc, and in step with the
# program and the docs so they cannot drift: every command and option `vzlvs --help` lists
# is in vzlvs(8), every key `vzlvs config` renders is in vzlvs.conf(5) and in
# docs/configuration.md, and both pages carry the program's version.
# Usage: man_test.sh VZLVS_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
vzlvs=$1
source "$here/../openvz/tap.sh"
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
man8=$root/man/vzlvs.8
man5=$root/man/vzlvs.conf.5

for page in "$man8" "$man5"; do
    run mandoc -T lint -W warning "$page"
    check "$(basename "$page") lints clean (mandoc -T lint -W warning)" expect 0 "" ""
done

version=$("$vzlvs" version | sed -n '1s/^vzlvs \([0-9.]*\) .*/\1/p')
for page in "$man8" "$man5"; do
    check "$(basename "$page") is of vzlvs $version" grep -q "^\.TH .* \"vzlvs $version\"" "$page"
done

# What mandoc makes of the source, so the checks see what a reader sees.
mandoc -T utf8 "$man8" | col -b >"$TMPD/vzlvs.8.txt"
mandoc -T utf8 "$man5" | col -b >"$TMPD/vzlvs.conf.5.txt"

commands=$("$vzlvs" --help | sed -n '/^Subcommands:/,$p' | awk 'NF && !/:$/ {print $1}')
for c in $commands; do
    check "vzlvs(8) explains the command $c" grep -qE "^ {7}$c( |$)" "$TMPD/vzlvs.8.txt"
done
options_of() {
    "$vzlvs" "$@" --help | sed -n '/^Options:/,/^Subcommands:/p' | grep -oE -- '--[a-z][a-z-]*' | sort -u
}
for o in $( (options_of; for c in $commands; do options_of "$c"; done) | sort -u); do
    check "vzlvs(8) names the option $o" grep -qE -- "(^|[ [])$o( |,|$|\])" "$TMPD/vzlvs.8.txt"
done
for code in 0 1 2 3; do
    check "vzlvs(8) explains exit status $code" \
        grep -qE "^ {7}$code( {2,}|$)" <(sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$TMPD/vzlvs.8.txt")
done

# Every key of every section: `vzlvs config` renders each, set or not ("# key: not set"): the
# example's, and the same as a director host's (api = etcd's keys, [director_host]).
"$vzlvs" config --example >"$TMPD/example.conf"
sed -e '/^api = /d' -e '/^token_file/d' -e 's|^url = .*|api = etcd\nendpoints = http://127.0.0.1:2379|' \
    "$TMPD/example.conf" >"$TMPD/etcd.conf"
printf '[director_host]\n' >>"$TMPD/etcd.conf"
for c in example etcd; do "$vzlvs" -c "$TMPD/$c.conf" config; done |
    sed -nE 's/^([a-z_]+) =.*/\1/p; s/^# ([a-z_]+): .*/\1/p' | sort -u >"$TMPD/keys"
check "vzlvs config renders keys" test "$(wc -l <"$TMPD/keys")" -gt 20
while read -r key; do
    check "vzlvs.conf(5) explains the key $key" grep -qE "^ {7}$key( |$)" "$TMPD/vzlvs.conf.5.txt"
done <"$TMPD/keys"
# docs/configuration.md's key tables name exactly these keys.
sed -nE 's/^\| `([a-z_]+)` \|.*/\1/p' "$root/docs/configuration.md" | sort -u >"$TMPD/doc-keys"
run diff "$TMPD/keys" "$TMPD/doc-keys"
check "docs/configuration.md's tables have exactly the keys vzlvs renders" expect 0 "" ""

tap_summary
