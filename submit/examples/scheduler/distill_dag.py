"""The daily distillation as an Airflow DAG, one SparkSubmitOperator per stage, each given the
run's logical date ({{ ds }}) as the batch it works on.

prepare adds the day's files as batch <ds> (prepare.batch = ${batch} in prepare.conf); infer
scores only the batches its targets lack (infer.batch-column = batch); the student warm-starts on
the new batch and a replay of earlier ones (train.batch-column = batch, train.warm-start = true);
evaluate reports per batch (evaluate.batch-column = batch). conf/fashion-mnist-daily.conf in the
repository holds the same steps as one `run`.

Every stage is idempotent, so Airflow's retries and backfills (catchup) are safe: a retry of a
day finds its batch prepared and scored and does nothing; a backfilled day adds its own batch.
prepare keeps mode error: files that changed for a day already prepared are refused rather than
silently replacing the batch (run that prepare with --mode overwrite to replace it). The other
stages run with --mode refresh: they rebuild when their input grew. A stage exits 0 on success or
when already complete, 1 when the job failed (the cause is the last line of the driver's stderr)
and 2 on bad usage.
"""
from datetime import datetime

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = "/opt/spark-distill/spark-distill.jar"
CONF = "/etc/distill"
SPARK_CONF = {
    "spark.executor.memory": "6g",
    "spark.executor.memoryOverhead": "6g",
    "spark.executor.extraJavaOptions":
        "-Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=11g",
    "spark.executorEnv.OMP_NUM_THREADS": "1",
}


def stage(task_id, job, config, *mode):
    return SparkSubmitOperator(
        task_id=task_id,
        application=JAR,
        java_class="dev.sparkdistill.jobs.cli.DistillCli",
        application_args=[job, "--config", f"{CONF}/{config}", "--set", "batch={{ ds }}", *mode],
        conf=SPARK_CONF,
        conn_id="spark_default",
        retries=2,
    )


with DAG("distill_daily", start_date=datetime(2026, 11, 1), schedule="@daily", catchup=True,
         max_active_runs=1) as dag:
    prepare = stage("prepare", "prepare", "prepare.conf")
    infer = stage("infer", "infer", "infer.conf", "--mode", "refresh")
    student = stage("student", "train", "student.conf", "--mode", "refresh")
    evaluate = stage("evaluate", "evaluate", "evaluate.conf", "--mode", "refresh")
    prepare >> infer >> student >> evaluate
