#!/usr/bin/env bash
# tests/vm/lvs_tun.sh with the tc guard as on a kernel without clsact (before Linux 4.5, e.g. an
# OpenVZ 7 3.10 without the backport), on one node whose uplink has four queues under mq.
GUARD=tc OLD_TC=1 NODES=1 exec bash "${VZLVS_SOURCE_DIR:?run by tests/vm/vm}/tests/vm/lvs_tun.sh"
