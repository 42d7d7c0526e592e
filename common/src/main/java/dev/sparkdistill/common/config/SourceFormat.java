package dev.sparkdistill.common.config;

/** Raw data formats that {@code prepare} reads. */
public enum SourceFormat { IDX, CSV, PARQUET, IMAGES }
