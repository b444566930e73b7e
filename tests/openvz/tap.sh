# Sourced by the stand-in's conformance suites: TAP-like results ("ok N - name" /
# "not ok N - name", then "N passed, N failed" from tap_summary) and the checks they share.
# The suite sets TMPD (a temp dir) before calling run, or calls tap_tmpdir.
pass=0 fail=0 n=0 DIAG=""
# tap_tmpdir: TMPD made, and removed when the suite exits.
tap_tmpdir() { TMPD=$(mktemp -d); trap 'rm -rf "$TMPD"' EXIT; }
ok() { ((++n)); ((++pass)); echo "ok $n - $1"; }
nok() { ((++n)); ((++fail)); echo "not ok $n - $1"; [[ -n ${2-} ]] && sed 's/^/#   /' <<<"$2"; }
skip() { ((++n)); ((++pass)); echo "ok $n - $1 # skip $2"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name" "${DIAG-}"; fi; DIAG=""; }
# run CMD...: sets OUT ERR RC
run() { "$@" >"$TMPD/out" 2>"$TMPD/err"; RC=$?; OUT=$(cat "$TMPD/out"); ERR=$(cat "$TMPD/err"); }
expect() { # RC OUT ERR (exact)
  DIAG="rc=$RC (want $1)"$'\n'"stdout:"$'\n'"$OUT"$'\n'"--- want:"$'\n'"$2"$'\n'"stderr:"$'\n'"$ERR"$'\n'"--- want:"$'\n'"$3"
  [[ $RC == "$1" && $OUT == "$2" && $ERR == "$3" ]]
}
rc_is() { DIAG="rc=$RC (want $1)"$'\n'"stdout: $OUT"$'\n'"stderr: $ERR"; [[ $RC == "$1" ]]; }
has() { DIAG="missing '$2' in:"$'\n'"$1"; [[ $1 == *"$2"* ]]; }
hasnt() { DIAG="unexpected '$2' in:"$'\n'"$1"; [[ $1 != *"$2"* ]]; }
tap_summary() { echo "$pass passed, $fail failed"; ((fail == 0)); }
