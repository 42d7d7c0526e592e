#!/usr/bin/env bash
# Train a distilled student on Kubernetes. The image holds a Spark 3.5 (Scala 2.12, Java 17)
# distribution with the application jar at /opt/spark-distill/spark-distill.jar; the config and
# the data are on object storage or a shared volume the pods mount.
#
# Memory: see yarn.sh. On Kubernetes the pod's memory limit is executor-memory + memoryOverhead.
# train's barrier engine needs all its workers at once: executors x cores >= train.spark.workers.
set -euo pipefail
: "${K8S_API:?set K8S_API, e.g. https://k8s.example.internal:6443}"
: "${IMAGE:?set IMAGE, the Spark image holding the application jar}"

spark-submit \
  --master "k8s://$K8S_API" --deploy-mode cluster --name distill-train \
  --class dev.sparkdistill.jobs.cli.DistillCli \
  --conf spark.kubernetes.container.image="$IMAGE" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName=spark \
  --conf spark.executor.instances=4 --conf spark.executor.cores=4 \
  --conf spark.executor.memory=6g --conf spark.executor.memoryOverhead=6g \
  --conf "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=11g" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  local:///opt/spark-distill/spark-distill.jar \
  train --config s3a://my-bucket/jobs/distill/student.conf --set train.spark.workers=16
