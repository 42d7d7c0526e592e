#!/usr/bin/env bash
# Score soft targets on YARN. Needs SPARK_HOME (or spark-submit on the PATH) configured for the
# cluster; paths are on HDFS. submit/distill passes conf/spark-defaults.conf, then these options.
#
# Memory: ND4J keeps arrays off the JVM heap, so YARN must grant each executor its heap plus
# ND4J's off-heap share. javacpp.maxbytes caps ND4J's arrays, maxphysicalbytes the whole process
# (heap + off-heap); memoryOverhead must cover the off-heap part or YARN kills the container.
# One ND4J thread per task slot: OMP_NUM_THREADS=1 with executor-cores tasks per executor.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

"$here/../distill" infer --config hdfs:///jobs/distill/infer.conf -- \
  --master yarn --deploy-mode cluster \
  --num-executors 8 --executor-cores 4 --executor-memory 6g \
  --conf spark.executor.memoryOverhead=6g \
  --conf "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=11g" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  --conf spark.yarn.appMasterEnv.OMP_NUM_THREADS=1 \
  --driver-memory 4g
