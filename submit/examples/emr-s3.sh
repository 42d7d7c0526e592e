#!/usr/bin/env bash
# An EMR step (or any cluster) reading and writing s3a:// paths: the config, the examples, the
# teachers and the targets all live in the bucket. See docs/operations.md, "Object storage".
#
# Jars: s3a:// needs hadoop-aws (matching the cluster's Hadoop) and, for the magic committer's
# Parquet binding, spark-hadoop-cloud. EMR ships hadoop-aws; where a Spark lacks either
# (ls $SPARK_HOME/jars | grep -e hadoop-aws -e hadoop-cloud), add them with --packages, e.g.
#   --packages org.apache.hadoop:hadoop-aws:3.3.4,org.apache.spark:spark-hadoop-cloud_2.12:3.5.8
# They are deliberately not in spark-distill.jar: the cluster's own versions must win.
#
# Credentials: S3A's default providers (environment, then the instance profile or role); never
# put keys in a config file or on this command line.
#
# Parquet on S3: the S3A magic committer (the keys of conf/s3.conf) uploads task output straight
# to its destination and commits it without renames, so a failed job leaves nothing that looks
# complete.
set -euo pipefail

spark-submit --deploy-mode cluster \
  --class dev.sparkdistill.jobs.cli.DistillCli \
  --conf spark.hadoop.fs.s3a.committer.name=magic \
  --conf spark.hadoop.fs.s3a.committer.magic.enabled=true \
  --conf spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a=org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory \
  --conf spark.sql.sources.commitProtocolClass=org.apache.spark.internal.io.cloud.PathOutputCommitProtocol \
  --conf spark.sql.parquet.output.committer.class=org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter \
  --conf spark.executor.memory=6g --conf spark.executor.memoryOverhead=6g \
  --conf "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=11g" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  s3a://my-bucket/jars/spark-distill.jar \
  infer --config s3a://my-bucket/jobs/distill/infer.conf
