package dev.sparkdistill.common.manifest;

import java.util.List;

/**
 * What every table manifest (examples, targets) tells a consumer about the rows: read from any of
 * them, ignoring the other fields.
 */
public record TableShape(String kind, List<Integer> featureShape, int featureCount,
    int classCount, List<String> classNames) {}
