#!/bin/sh
# LocalStack's DOCKER_CMD in the locally built image (no registry, no Docker socket in the container).
# LocalStack's Lambda control plane asks Docker two things before a function can become Active: is
# Docker there (`ps`) and pull the runtime image (`pull`). This stand-in answers both; anything else
# (create, run: an invocation) fails loudly. The deployer never invokes functions.
# DOCKER_STANDIN_PULL_SECONDS (default 0) makes `pull` take that long. LocalStack pulls once per
# runtime, while the first function of that runtime is Pending: a test can so hold a function in
# state Pending for seconds, as AWS does, to show the deployer's waits.
case "$1" in
  ps) echo "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES"; exit 0 ;;
  pull)
    sleep "${DOCKER_STANDIN_PULL_SECONDS:-0}"
    echo "stand-in: $2 treated as present (no registry; functions are never invoked)"; exit 0 ;;
  *) echo "docker stand-in: '$*' is not available in this LocalStack image (Lambda functions cannot run here)" >&2; exit 1 ;;
esac
