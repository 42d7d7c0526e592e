#!/usr/bin/env bash
# An EMR step (or any cluster with hadoop-aws on its classpath) reading and writing s3a:// paths.
# Credentials come from the instance profile (or any provider of the AWS default chain): never
# put keys in a config file; spark-distill masks keys named like secrets when it logs a config.
#
# Parquet on S3: the S3A magic committer writes task output straight to its destination and
# commits it without renames, so a failed job leaves nothing that looks complete. Its commit
# protocol classes come from spark-hadoop-cloud, which EMR ships; elsewhere add
# org.apache.spark:spark-hadoop-cloud_2.12 and org.apache.hadoop:hadoop-aws with --packages.
set -euo pipefail

spark-submit --deploy-mode cluster \
  --class dev.sparkdistill.jobs.cli.DistillCli \
  --conf spark.hadoop.fs.s3a.aws.credentials.provider=com.amazonaws.auth.InstanceProfileCredentialsProvider \
  --conf spark.hadoop.fs.s3a.committer.name=magic \
  --conf spark.hadoop.fs.s3a.committer.magic.enabled=true \
  --conf spark.sql.sources.commitProtocolClass=org.apache.spark.internal.io.cloud.PathOutputCommitProtocol \
  --conf spark.sql.parquet.output.committer.class=org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter \
  --conf spark.executor.memory=6g --conf spark.executor.memoryOverhead=6g \
  --conf "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=11g" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  s3a://my-bucket/jars/spark-distill.jar \
  infer --config s3a://my-bucket/jobs/distill/infer.conf
