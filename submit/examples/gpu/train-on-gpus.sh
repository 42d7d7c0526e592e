#!/usr/bin/env bash
# Train a student on GPU executors of a YARN cluster with the CUDA build.
#   mvn -B -Pcuda -Dmaven.test.skip=true package -pl jobs -am   # jobs/target/spark-distill-cuda.jar
# Every executor host needs only its NVIDIA driver (with nvidia-smi, which the discovery script
# runs): the jar carries the CUDA libraries. Run "submit/distill gpu-check" with this jar on one
# host first. Each executor logs its ND4J backend and devices ("ND4J backend CUDA, this thread on
# device ..."): check it there before trusting a timing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../../.."

# conf/spark-gpu.conf: GPU scheduling, the discovery script, ND4J's off-heap memory.
DISTILL_APP_JAR="$root/jobs/target/spark-distill-cuda.jar" \
DISTILL_SPARK_PROPERTIES="$root/conf/spark-gpu.conf" \
"$root/submit/distill" train --config hdfs:///jobs/distill/student.conf -- \
  --master yarn --deploy-mode cluster --num-executors 4 --executor-memory 8g \
  --files "$here/discover-gpus.sh"
