#!/usr/bin/env bash
# The whole pipeline on a Spark standalone cluster (spark://host:7077). Every worker must see the
# same paths: use HDFS, object storage or a shared file system for data and models.
#
# Memory: see yarn.sh; a standalone worker does not enforce the overhead, so leave the machine
# room for heap + javacpp.maxphysicalbytes per executor.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${SPARK_MASTER:?set SPARK_MASTER, e.g. spark://spark-master.internal:7077}"

"$here/../distill" run --config /shared/distill/pipeline.conf -- \
  --master "$SPARK_MASTER" \
  --total-executor-cores 16 --executor-cores 4 --executor-memory 6g \
  --conf "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=11g" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1
