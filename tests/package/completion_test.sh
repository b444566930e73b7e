#!/usr/bin/env bash
# The bash completion (completion/vzlvs): what it offers after each kind of word, the CTIDs
# of the file given with -c, and its lists against `vzlvs --help` so they cannot drift.
# Usage: completion_test.sh VZLVS_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vzlvs=$1
source "$here/../openvz/tap.sh"
source "$here/../../completion/vzlvs"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/vzlvs.conf" <<'CONF'
[node]
[service web]
vip = 192.0.2.10
port = 80
[container 101]
services = web
  [container web1]   ; a name on OpenVZ 7
services = web
CONF

# offers LINE: what completing LINE (the cursor at its end) offers, sorted, one line.
offers() {
    local line=$1
    read -r -a COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    _vzlvs
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect_eq() { # NAME GOT WANT
    if [[ $2 == "$3" ]]; then ok "$1"; else nok "$1" "got:  '$2'"$'\n'"want: '$3'"; fi
}

expect_eq "commands" "$(offers 'vzlvs ')" \
    "bootstrap check config deprovision deregister director drain hook probe provision register version watch"
expect_eq "commands by prefix" "$(offers 'vzlvs de')" "deprovision deregister"
expect_eq "CTIDs of the -c file" "$(offers "vzlvs -c $tmp/vzlvs.conf provision ")" "101 web1"
expect_eq "CTIDs of the --config= file" "$(offers "vzlvs --config=$tmp/vzlvs.conf check w")" "web1"
expect_eq "CTIDs after global options" \
    "$(offers "vzlvs --dry-run -c $tmp/vzlvs.conf --lock-wait 5 deprovision 1")" "101"
expect_eq "deprovision's option" "$(offers "vzlvs -c $tmp/vzlvs.conf deprovision --f")" \
    "--features-off"
expect_eq "no file, no CTIDs" "$(offers "vzlvs -c $tmp/none.conf provision ")" ""
expect_eq "hook actions" "$(offers 'vzlvs hook ')" "mount umount"
expect_eq "-c completes files" "$(offers "vzlvs -c $tmp/vz")" "$tmp/vzlvs.conf"
expect_eq "nothing after --lock-wait" "$(offers 'vzlvs --lock-wait ')" ""

# Against the binary: its commands, and every option of vzlvs and of each command.
help_commands=$("$vzlvs" --help | sed -n '/^Subcommands:/,$p' | awk 'NF && !/:$/ {print $1}' |
    sort | tr '\n' ' ' | sed 's/ $//')
expect_eq "the commands are vzlvs --help's" "$(offers 'vzlvs ')" "$help_commands"
options_of() { # vzlvs [COMMAND]: the long and short options its --help lists
    "$vzlvs" "$@" --help | sed -n '/^Options:/,/^Subcommands:/p' | grep -oE '(^|[ ,])-{1,2}[a-z][a-z-]*' |
        sed 's/^[ ,]//' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
expect_eq "the global options are vzlvs --help's" "$(offers 'vzlvs -')" "$(options_of)"
for cmd in bootstrap deprovision watch config; do
    want=$(options_of "$cmd" | tr ' ' '\n' | grep -vxE -- '-h|--help' | tr '\n' ' ' | sed 's/ $//')
    got=$(offers "vzlvs $cmd --" | tr ' ' '\n' | grep -vxF -f <(offers 'vzlvs -' | tr ' ' '\n') |
        tr '\n' ' ' | sed 's/ $//')
    expect_eq "$cmd's options are its --help's" "$got" "$want"
done

tap_summary
