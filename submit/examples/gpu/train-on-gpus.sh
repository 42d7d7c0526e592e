#!/usr/bin/env bash
# Train a student on GPU executors of a standalone or YARN cluster with the CUDA build.
#   mvn -B -Pcuda -Dmaven.test.skip=true package -pl jobs -am   # jobs/target/spark-distill-cuda.jar
# Every executor host needs the CUDA 11.6 + cuDNN 8.3 runtime (DL4J ships no build for newer
# CUDA) and nvidia-smi. Each executor logs its ND4J backend and devices ("ND4J backend CUDA, this
# thread on device ..."): check it there before trusting a timing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../../.."

gpu_conf=()
while read -r key value; do
  [[ -z "$key" || "$key" == \#* ]] && continue
  gpu_conf+=(--conf "$key=$value")
done < "$root/conf/spark-gpu.conf"

DISTILL_APP_JAR="$root/jobs/target/spark-distill-cuda.jar" \
"$root/submit/distill" train --config hdfs:///jobs/distill/student.conf -- \
  --master yarn --deploy-mode cluster --num-executors 4 --executor-memory 8g \
  --files "$here/discover-gpus.sh" \
  "${gpu_conf[@]}"
