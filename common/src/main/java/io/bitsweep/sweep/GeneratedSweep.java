package io.bitsweep.sweep;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The configurations a {@link SweepSpec} generates, in spec order, with duplicates (same
 * configuration id) removed: the first occurrence is kept and later ones are listed in {@link
 * #duplicates}.
 *
 * @param spec the spec
 * @param entries the distinct configurations
 * @param duplicates the removed entries, each with the label of the entry it repeats
 */
public record GeneratedSweep(
    SweepSpec spec, List<SweepEntry> entries, List<Map.Entry<SweepEntry, String>> duplicates) {

  public GeneratedSweep {
    entries = List.copyOf(entries);
    duplicates = List.copyOf(duplicates);
  }

  static GeneratedSweep of(SweepSpec spec) {
    List<SweepEntry> entries = new ArrayList<>();
    List<Map.Entry<SweepEntry, String>> duplicates = new ArrayList<>();
    Map<String, SweepEntry> byId = new HashMap<>();
    for (SweepBlock block : spec.blocks()) {
      for (SweepEntry entry : block.generate()) {
        SweepEntry first = byId.putIfAbsent(entry.id(), entry);
        if (first == null) {
          entries.add(entry);
        } else {
          duplicates.add(Map.entry(entry, first.label()));
        }
      }
    }
    return new GeneratedSweep(spec, entries, duplicates);
  }

  /** Returns the number of distinct configurations each block contributed, in block order. */
  public Map<String, Integer> countsByBlock() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (SweepBlock block : spec.blocks()) {
      counts.put(block.name(), 0);
    }
    for (SweepEntry entry : entries) {
      counts.merge(entry.block(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * Summarises the sweep: the total, each block's kind, count and rule, and the duplicates removed.
   */
  public String describe() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "sweep spec %s: %d configurations (%d duplicates removed)%n",
            spec.name(),
            entries.size(),
            duplicates.size()));
    int width = "block".length();
    for (SweepBlock block : spec.blocks()) {
      width = Math.max(width, block.name().length());
    }
    Map<String, Integer> counts = countsByBlock();
    String row = "  %-" + width + "s  %-7s  %5s  %s%n";
    out.append(String.format(Locale.ROOT, row, "block", "kind", "count", "rule"));
    for (SweepBlock block : spec.blocks()) {
      out.append(
          String.format(
              Locale.ROOT,
              row,
              block.name(),
              block.kind(),
              counts.get(block.name()),
              block.summary()));
    }
    for (Map.Entry<SweepEntry, String> duplicate : duplicates) {
      out.append(
          String.format(
              Locale.ROOT,
              "  duplicate: %s (block %s) repeats %s, id %s%n",
              duplicate.getKey().label(),
              duplicate.getKey().block(),
              duplicate.getValue(),
              duplicate.getKey().id()));
    }
    return out.toString();
  }
}
