package io.bitsweep.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the forward work a prefix-tree evaluation of some candidates will do, from their stage
 * signatures alone, without running anything: one stage run per distinct prefix of signatures.
 * {@link PrefixTreeEvaluator} runs exactly this many stages, so a sweep's cost can be reported
 * before it starts.
 */
public final class PrefixTreePlan {
  private PrefixTreePlan() {}

  /** Returns the work of evaluating candidates with these signatures as one prefix tree. */
  public static WorkCount count(List<List<String>> signatures, StageCosts costs) {
    WorkCount work = new WorkCount();
    descend(0, signatures, costs, work);
    double full = 0;
    for (int stage = 0; stage < costs.stageCount(); stage++) {
      full += costs.cost(stage);
    }
    work.setIndependent((long) signatures.size() * costs.stageCount(), signatures.size() * full);
    return work;
  }

  private static void descend(int stage, List<List<String>> group, StageCosts costs, WorkCount work) {
    if (stage == costs.stageCount()) {
      return;
    }
    Map<String, List<List<String>>> parts = new LinkedHashMap<>();
    for (List<String> signature : group) {
      parts.computeIfAbsent(signature.get(stage), k -> new ArrayList<>()).add(signature);
    }
    for (List<List<String>> part : parts.values()) {
      work.add(stage, costs.cost(stage));
      descend(stage + 1, part, costs, work);
    }
  }
}
