#!/usr/bin/env bash
# Proof probe: the metric the alarm watches, disk used % of / (as the CloudWatch agent's disk_used_percent).
set -eu
df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }'
