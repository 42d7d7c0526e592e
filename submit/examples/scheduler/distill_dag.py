"""The distillation pipeline as an Airflow DAG, one SparkSubmitOperator per stage.

Every stage is idempotent: it skips itself when its output is complete (_manifest.json and
_SUCCESS) for the same inputs and config, and rebuilds it otherwise (--mode refresh), so Airflow
retries and backfills are safe. A stage exits 0 on success or when already complete, 1 when the
job failed (the cause is the last line of the driver's stderr) and 2 on bad usage.
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


def stage(task_id, *args):
    return SparkSubmitOperator(
        task_id=task_id,
        application=JAR,
        java_class="dev.sparkdistill.jobs.cli.DistillCli",
        application_args=[*args, "--mode", "refresh"],
        conf=SPARK_CONF,
        conn_id="spark_default",
        retries=2,
    )


with DAG("distill", start_date=datetime(2026, 1, 1), schedule="@daily", catchup=False) as dag:
    prepare = stage("prepare", "prepare", "--config", f"{CONF}/prepare.conf")
    teacher = stage("teacher", "train", "--config", f"{CONF}/teacher.conf")
    infer = stage("infer", "infer", "--config", f"{CONF}/infer.conf")
    student = stage("student", "train", "--config", f"{CONF}/student.conf")
    evaluate = stage("evaluate", "evaluate", "--config", f"{CONF}/evaluate.conf")
    prepare >> teacher >> infer >> student >> evaluate
