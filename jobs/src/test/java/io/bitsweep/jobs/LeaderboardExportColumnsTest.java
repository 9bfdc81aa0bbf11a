package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.kld.LeaderboardExport;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CSV and JSON exports of the leaderboard use the leaderboard table's column names. */
class LeaderboardExportColumnsTest {
  @Test
  void exportColumnsAreTableColumns() {
    List<String> tableColumns = Arrays.asList(Table.LEADERBOARD.schema().fieldNames());

    assertThat(tableColumns).containsAll(LeaderboardExport.COLUMNS);
    assertThat(tableColumns).contains(LeaderboardExport.CATEGORY_COLUMN);
  }
}
