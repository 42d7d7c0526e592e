#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints this host's
# NVIDIA GPUs as {"name":"gpu","addresses":["0","1",...]}. The addresses are the device indices
# ND4J uses; spark-distill binds each task's thread to the GPU Spark assigned it.
set -euo pipefail
command -v nvidia-smi >/dev/null 2>&1 || { echo "discover-gpus.sh: nvidia-smi not found" >&2; exit 1; }
indices="$(nvidia-smi --query-gpu=index --format=csv,noheader | tr -d ' ' | paste -sd, -)"
[ -n "$indices" ] || { echo "discover-gpus.sh: nvidia-smi lists no GPU" >&2; exit 1; }
echo "{\"name\":\"gpu\",\"addresses\":[\"${indices//,/\",\"}\"]}"
