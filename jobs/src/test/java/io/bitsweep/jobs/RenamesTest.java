package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenamesTest {
  @TempDir Path tmp;

  /** A local file system whose rename leaves something at the source, as object stores can. */
  private static final class LeakyRename extends FilterFileSystem {
    private final String leftover;
    private final boolean leftoverIsFile;

    LeakyRename(String leftover, boolean leftoverIsFile) throws IOException {
      super(FileSystem.getLocal(new Configuration()).getRawFileSystem());
      this.leftover = leftover;
      this.leftoverIsFile = leftoverIsFile;
    }

    @Override
    public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst)
        throws IOException {
      boolean renamed = super.rename(src, dst);
      org.apache.hadoop.fs.Path left = new org.apache.hadoop.fs.Path(src, leftover);
      if (leftoverIsFile) {
        create(left, true).close();
      } else {
        mkdirs(left);
      }
      return renamed;
    }
  }

  private org.apache.hadoop.fs.Path staged() throws IOException {
    Path staging = Files.createDirectories(tmp.resolve("_staging-table"));
    Files.writeString(staging.resolve("part-0.parquet"), "rows", StandardCharsets.UTF_8);
    return new org.apache.hadoop.fs.Path(staging.toUri());
  }

  @Test
  void removesEmptyFoldersLeftAtTheSource() throws IOException {
    org.apache.hadoop.fs.Path staging = staged();
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(tmp.resolve("table").toUri());

    Renames.publish(new LeakyRename("_temporary/0", false), staging, target);

    assertThat(tmp.resolve("_staging-table")).as("staging folder").doesNotExist();
    assertThat(tmp.resolve("table/part-0.parquet")).hasContent("rows");
  }

  @Test
  void leftoverFilesRemoveTarget() throws IOException {
    org.apache.hadoop.fs.Path staging = staged();
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(tmp.resolve("table").toUri());

    assertThatThrownBy(() -> Renames.publish(new LeakyRename("part-1.parquet", true), staging, target))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("left 1 file(s) behind")
        .hasMessageContaining("part-1.parquet")
        .hasMessageContaining("run the step again");
    assertThat(tmp.resolve("table")).as("incomplete target").doesNotExist();
  }

  @Test
  void plainRenameLeavesOnlyTheTarget() throws IOException {
    org.apache.hadoop.fs.Path staging = staged();
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(tmp.resolve("table").toUri());

    Renames.publish(FileSystem.getLocal(new Configuration()), staging, target);

    assertThat(tmp.resolve("_staging-table")).doesNotExist();
    assertThat(tmp.resolve("table/part-0.parquet")).hasContent("rows");
  }
}
