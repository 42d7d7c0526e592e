package dev.sparkdistill.common.config;

/**
 * What scores a DL4J model in {@code infer} and {@code evaluate}: ONNX Runtime when its
 * in-memory ONNX export passes the parity check, else ND4J (auto); ONNX Runtime or an error;
 * always ND4J. ONNX model files always run in ONNX Runtime.
 */
public enum ScoringEngine { AUTO, ONNXRUNTIME, ND4J }
