#!/usr/bin/env bash
# The floor order of src/ (docs/design.md): a file may include its own layer and the layers
# below it, never one above, and never a sibling on the same floor (net and director know
# nothing of each other). Fails with every offending line.
set -euo pipefail
src="$(cd "$(dirname "$0")/../src" && pwd)"
declare -A floor=([base]=0 [config]=1 [net]=2 [director]=2 [ct]=3 [world]=4 [steps]=5
                  [commands]=6 [cli]=7)
bad=0 checked=0
while IFS= read -r file; do
    layer=${file#"$src"/}
    layer=${layer%%/*}
    [[ -n ${floor[$layer]+x} ]] || { echo "FAIL: $file: $layer is not a layer"; bad=$((bad + 1)); continue; }
    while IFS=: read -r line inc; do
        target=${inc%%/*}
        [[ $inc == */* && -n ${floor[$target]+x} ]] || {
            echo "FAIL: ${file#"$src"/}:$line: \"$inc\" names no layer (write \"layer/file.hpp\")"
            bad=$((bad + 1)); continue; }
        checked=$((checked + 1))
        if [[ $target != "$layer" ]] && ((floor[$target] >= floor[$layer])); then
            echo "FAIL: ${file#"$src"/}:$line: $layer (floor ${floor[$layer]}) includes $inc (floor ${floor[$target]})"
            bad=$((bad + 1))
        fi
    done < <(grep -n '^#include "' "$file" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done < <(find "$src" -name '*.[ch]pp' | sort)
echo "layers: $checked includes checked"
echo "$((checked - bad < 0 ? 0 : checked - bad)) passed, $bad failed"
((bad == 0))
