#!/usr/bin/env bash
# What the Data Factory pipeline (deploy/adf/pipeline.json) runs on its Azure Batch node, in a checkout of the
# project: install, generate-or-load, the nightly job, then publish the run's report to storage whatever the
# nightly said, and exit with the nightly's code (0 met, 1 SLOs breached, 2 usage/config/input error) so the
# pipeline run fails visibly on 1 and 2.
#   AS_OF            the as-of day (YYYY-MM-DD); empty: today (UTC)
#   DBT_TARGET       the profile's target (local DuckDB by default)
#   REPORT_CONTAINER a blob container URL with a SAS or the node's managed identity (azcopy); empty: no upload
set -uo pipefail
cd "$(dirname "$0")/../.."
export DO_NOT_TRACK=1
as_of="${AS_OF:-$(date -u +%F)}"
make install >/dev/null || { echo "nightly.sh: make install failed" >&2; exit 2; }
.venv/bin/dp nightly --as-of "$as_of" ${DBT_TARGET:+--target "$DBT_TARGET"}
code=$?
if [ -n "${REPORT_CONTAINER:-}" ] && [ -d reports/latest ]; then
  if ! azcopy copy "reports/latest/*" "${REPORT_CONTAINER%/}/reports/${as_of}/" --recursive >/dev/null; then
    echo "nightly.sh: the report could not be uploaded (azcopy failed); the nightly's exit code stands" >&2
  fi
fi
exit "$code"
