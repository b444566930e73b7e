#!/usr/bin/env bash
# tests/vm/lvs_tun.sh with the nft guard on two vzctl 4 nodes, and the injected faults (no
# guard; rp_filter 1 in a CT). LEAK_RUNS=20 (by hand, see docs/vm-test.md) adds the leak window.
NEGATIVE=1 LEAK_RUNS=${LEAK_RUNS:-0} exec bash "${VZLVS_SOURCE_DIR:?run by tests/vm/vm}/tests/vm/lvs_tun.sh"
