package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LeaderboardTest {
  private static LeaderboardStats stats(double meanKld) {
    return new LeaderboardStats(
        1000,
        meanKld,
        meanKld / 100,
        meanKld / 2,
        meanKld,
        2 * meanKld,
        4 * meanKld,
        10 * meanKld,
        0.9,
        0.01,
        1.01,
        new TreeMap<>(Map.of("code", meanKld)));
  }

  private static LeaderboardEntry entry(String id, long sizeBytes, double meanKld) {
    return new LeaderboardEntry(id, "label " + id, sizeBytes, sizeBytes / 100.0, stats(meanKld));
  }

  /** Builds a hand-made sweep whose sizes in bytes and mean KLDs exercise every tie rule. */
  private static List<LeaderboardEntry> handMadeSweep() {
    return List.of(
        entry("a", 100, 0.5), // smallest with this KLD: front
        entry("b", 200, 0.2), // front
        entry("c", 200, 0.3), // same size as b, worse: dominated
        entry("d", 300, 0.2), // same KLD as b, larger: dominated
        entry("e2", 400, 0.1), // exact duplicate of e1, larger id: dropped
        entry("e1", 400, 0.1), // front
        entry("g", 50, 0.9), // smallest of all: front
        entry("h", 500, 0.15), // larger than e1 and worse: dominated
        entry("i", 600, 0.05)); // front
  }

  @Test
  void paretoFrontOfHandMadeSweep() {
    assertThat(Leaderboard.paretoFront(handMadeSweep())).containsExactly("a", "b", "e1", "g", "i");
  }

  @Test
  void paretoFrontIgnoresInputOrder() {
    List<LeaderboardEntry> shuffled = new ArrayList<>(handMadeSweep());
    Random random = new Random(50);
    for (int trial = 0; trial < 5; trial++) {
      Collections.shuffle(shuffled, random);
      assertThat(Leaderboard.paretoFront(shuffled)).containsExactly("a", "b", "e1", "g", "i");
      assertThat(Leaderboard.rank(shuffled)).isEqualTo(Leaderboard.rank(handMadeSweep()));
    }
  }

  @Test
  void rankBreaksTiesBySizeThenId() {
    List<LeaderboardRow> rows = Leaderboard.rank(handMadeSweep());
    assertThat(rows)
        .extracting(LeaderboardRow::configId)
        .containsExactly("i", "e1", "e2", "h", "b", "d", "c", "a", "g");
    assertThat(rows).extracting(LeaderboardRow::rank).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(rows)
        .extracting(LeaderboardRow::pareto)
        .containsExactly(true, true, false, false, true, false, false, true, true);
    LeaderboardRow first = rows.get(0);
    assertThat(first.sizeBytes()).isEqualTo(600);
    assertThat(first.bitsPerWeight()).isEqualTo(6.0);
    assertThat(first.meanKld()).isEqualTo(0.05);
    assertThat(first.p999Kld()).isEqualTo(0.2);
    assertThat(first.meanKldByCategory()).containsEntry("code", 0.05);
  }

  @Test
  void rejectsDuplicateIds() {
    List<LeaderboardEntry> entries = List.of(entry("x", 1, 0.1), entry("x", 2, 0.2));
    assertThatThrownBy(() -> Leaderboard.rank(entries))
        .hasMessage(
            "Cannot rank configurations: config id x appears twice, expected one entry per"
                + " configuration");
  }

  @Test
  void rejectsInvalidEntries() {
    assertThatThrownBy(() -> new LeaderboardEntry(" ", "", 1, 1, stats(0.1)))
        .hasMessage("Invalid leaderboard entry: configId is missing");
    assertThatThrownBy(() -> new LeaderboardEntry("x", "", -1, 1, stats(0.1)))
        .hasMessage(
            "Invalid leaderboard entry x: sizeBytes -1 and bitsPerWeight 1.0 must be finite and"
                + " >= 0");
  }

  /** Builds three hand-made rows with round numbers for the layout tests. */
  static List<LeaderboardRow> handMadeRows() {
    return List.of(
        new LeaderboardRow(
            1,
            "c0ffee01",
            "uniform 8-bit gs64",
            1_234_567_890,
            8.5,
            25_500,
            0.001234,
            0.0000123,
            0.000456,
            0.003,
            0.012345,
            0.045678,
            0.456789,
            0.9876,
            0.01234,
            1.00123,
            new TreeMap<>(Map.of("code", 0.0015, "dialogue", 0.001)),
            true),
        new LeaderboardRow(
            2,
            "deadbeef",
            "mixed 4/6, \"awq\"",
            650_000_000,
            4.75,
            25_500,
            0.012,
            0.0003,
            0.004,
            0.03,
            0.15,
            0.6,
            3.25,
            0.93,
            0.045,
            1.0125,
            new TreeMap<>(Map.of("code", 0.02, "tool_call", 0.01)),
            true),
        new LeaderboardRow(
            3,
            "0badf00d",
            "uniform 3-bit",
            480_000_000,
            3.5,
            25_500,
            0.09,
            0.002,
            0.03,
            0.3,
            1.2,
            4.5,
            12.75,
            0.81,
            0.12,
            1.1,
            new TreeMap<>(),
            false));
  }

  @Test
  void printerLayoutOfHandMadeRows() {
    String expected =
        "rank  config    label               size MB    bpw        mean KLD ± SE    median"
            + "       p99     p99.9        max  top-1 %  RMS Δp %  PPL ratio  pareto\n"
            + "   1  c0ffee01  uniform 8-bit gs64   1234.6  8.500  0.001234 ± 0.000012  0.000456"
            + "  0.012345  0.045678   0.456789    98.76     1.234    1.00123  *\n"
            + "   2  deadbeef  mixed 4/6, \"awq\"      650.0  4.750  0.012000 ± 0.000300  0.004000"
            + "  0.150000  0.600000   3.250000    93.00     4.500    1.01250  *\n"
            + "   3  0badf00d  uniform 3-bit         480.0  3.500  0.090000 ± 0.002000  0.030000"
            + "  1.200000  4.500000  12.750000    81.00    12.000    1.10000\n";
    assertThat(LeaderboardPrinter.format(handMadeRows())).isEqualTo(expected);
  }

  @Test
  void printerOfNoRowsIsHeaderOnly() {
    assertThat(LeaderboardPrinter.format(List.of()))
        .isEqualTo(
            "rank  config  label  size MB  bpw  mean KLD ± SE  median  p99  p99.9  max  top-1 %"
                + "  RMS Δp %  PPL ratio  pareto\n");
  }

  @Test
  void csvOfHandMadeRows() {
    String expected =
        "rank,config_id,label,size_bytes,bpw,token_count,mean_kld,kld_se,median_kld,"
            + "p90_kld,p99_kld,p999_kld,max_kld,top1_agreement,rms_dp,ppl_ratio,pareto,"
            + "category_kld_code,category_kld_dialogue,category_kld_tool_call\n"
            + "1,c0ffee01,uniform 8-bit gs64,1234567890,8.5,25500,0.001234,1.23E-5,4.56E-4,0.003,"
            + "0.012345,0.045678,0.456789,0.9876,0.01234,1.00123,true,0.0015,0.001,\n"
            + "2,deadbeef,\"mixed 4/6, \"\"awq\"\"\",650000000,4.75,25500,0.012,3.0E-4,0.004,0.03,"
            + "0.15,0.6,3.25,0.93,0.045,1.0125,true,0.02,,0.01\n"
            + "3,0badf00d,uniform 3-bit,480000000,3.5,25500,0.09,0.002,0.03,0.3,1.2,4.5,12.75,"
            + "0.81,0.12,1.1,false,,,\n";
    assertThat(LeaderboardExport.toCsv(handMadeRows())).isEqualTo(expected);
  }

  @Test
  void jsonOfHandMadeRowsReadsBack() throws Exception {
    JsonNode array = new ObjectMapper().readTree(LeaderboardExport.toJson(handMadeRows()));
    assertThat(array.size()).isEqualTo(3);
    JsonNode second = array.get(1);
    assertThat(second.get("rank").asInt()).isEqualTo(2);
    assertThat(second.get("config_id").asText()).isEqualTo("deadbeef");
    assertThat(second.get("label").asText()).isEqualTo("mixed 4/6, \"awq\"");
    assertThat(second.get("size_bytes").asLong()).isEqualTo(650_000_000L);
    assertThat(second.get("mean_kld").asDouble()).isEqualTo(0.012);
    assertThat(second.get("kld_se").asDouble()).isEqualTo(0.0003);
    assertThat(second.get("p999_kld").asDouble()).isEqualTo(0.6);
    assertThat(second.get("ppl_ratio").asDouble()).isEqualTo(1.0125);
    assertThat(second.get("pareto").asBoolean()).isTrue();
    assertThat(second.get("category_kld").get("tool_call").asDouble()).isEqualTo(0.01);
    for (JsonNode row : array) {
      List<String> keys = new ArrayList<>();
      row.fieldNames().forEachRemaining(keys::add);
      List<String> expectedKeys = new ArrayList<>(LeaderboardExport.COLUMNS);
      expectedKeys.add("category_kld");
      assertThat(keys).containsExactlyElementsOf(expectedKeys);
    }
  }
}
