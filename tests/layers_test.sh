#!/usr/bin/env bash
# The floor order (docs/design.md) over provisioner/<layer>/ (sources and private headers) and
# include/vzlvs/<layer>/ (the headers other layers, the CLI and the tests program against):
# - a file includes its own layer and the layers below it, never one above, and never a
#   sibling on the same floor (net and director know nothing of each other);
# - a private header ("layer/file.hpp", from provisioner/) is included only from its own layer;
#   everything else goes through "vzlvs/layer/file.hpp";
# - a public header includes only public headers.
# Fails with every offending line.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
declare -A floor=([base]=0 [config]=1 [net]=2 [director]=2 [ct]=3 [director_host]=3 [world]=4 [steps]=5
                  [commands]=6 [cli]=7)
bad=0 checked=0
fail() { echo "FAIL: $*"; bad=$((bad + 1)); }
while IFS= read -r file; do
    rel=${file#"$top"/}
    case $rel in
        include/vzlvs/*) public=1; layer=${rel#include/vzlvs/} ;;
        *) public=0; layer=${rel#provisioner/} ;;
    esac
    layer=${layer%%/*}
    [[ -n ${floor[$layer]+x} ]] || { fail "$rel: $layer is not a layer"; continue; }
    while IFS=: read -r line inc; do
        name=${inc#vzlvs/}
        target=${name%%/*}
        [[ $name == */* && -n ${floor[$target]+x} ]] || {
            fail "$rel:$line: \"$inc\" names no layer (write \"vzlvs/layer/file.hpp\")"; continue; }
        checked=$((checked + 1))
        if [[ $inc != vzlvs/* ]]; then
            if ((public)); then
                fail "$rel:$line: a public header includes the private \"$inc\""; continue
            elif [[ $target != "$layer" ]]; then
                fail "$rel:$line: \"$inc\" is private to $target: include it only from there"
                continue
            fi
        fi
        if [[ $target != "$layer" ]] && ((floor[$target] >= floor[$layer])); then
            fail "$rel:$line: $layer (floor ${floor[$layer]}) includes $inc (floor ${floor[$target]})"
        fi
    done < <(grep -n '^#include "' "$file" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done < <(find "$top/provisioner" "$top/include/vzlvs" -name '*.[ch]pp' | sort)
echo "layers: $checked includes checked"
echo "$((checked - bad < 0 ? 0 : checked - bad)) passed, $bad failed"
((bad == 0))
