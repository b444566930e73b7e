#!/usr/bin/env bash
# tests/vm/lvs_tun.sh on one node in the stand-in's OpenVZ 7 mode, with nft unavailable to vzlvs, so
# the tc ARP guard runs (the backend an OpenVZ 7 node's 3.10 kernel gets); tc's modules load on
# demand, as on a node.
GUARD=tc OPENVZ=7 NODES=1 exec bash "${VZLVS_SOURCE_DIR:?run by tests/vm/vm}/tests/vm/lvs_tun.sh"
