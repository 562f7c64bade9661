#!/usr/bin/env bash
# Proof probe: inodes used % of / (as 100 * CWAgent disk_inodes_used / disk_inodes_total would be).
set -eu
df -Pi / | awk 'NR == 2 { sub("%", "", $5); print $5 }'
