package io.bitsweep.notebook;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.BaseKernelBuilder;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;

/**
 * A Jupyter kernel that runs Java cells in a JShell inside the kernel's own JVM, so cells see every
 * class of that JVM's class path (bitsweep, Spark, Hadoop) and share its heap.
 *
 * <p>A cell is split into JShell snippets and evaluated in order. The value of the last snippet,
 * when it is an expression, becomes the cell's result; {@code System.out} and {@code System.err}
 * stream to the notebook while the cell runs. A snippet that does not compile or throws raises a
 * {@link CellException}, which Jupyter reports as a failed cell, so {@code jupyter nbconvert
 * --execute} exits non-zero on a broken notebook.
 *
 * <p>A cell's value reaches the notebook as text; a cell shows an image or a chart with {@link
 * NotebookDisplay}, which sends it as {@code image/png}.
 *
 * <p>Run it as {@code java ... io.bitsweep.notebook.JShellKernel CONNECTION_FILE}; {@code
 * scripts/notebooks install} writes a kernel spec that does so.
 */
public final class JShellKernel extends BaseKernel implements AutoCloseable {
  private static final String INDENT = "    ";

  private final JShell shell;

  private JShellKernel(
      String name,
      String version,
      HistoryManager history,
      JupyterIO io,
      CommManager comms,
      Renderer renderer,
      MagicsRegistry magics,
      StringStyler errorStyler) {
    super(
        name,
        version,
        new LanguageInfo.Builder("Java")
            .version(Runtime.version().toString())
            .mimetype("text/x-java-source")
            .fileExtension(".jshell")
            .pygments("java")
            .codemirror("java")
            .build(),
        List.of(),
        history,
        io,
        comms,
        renderer,
        null, // no magics: a cell is plain Java
        magics,
        false,
        errorStyler);
    this.shell =
        JShell.builder()
            .executionEngine("local")
            .compilerOptions("--class-path", System.getProperty("java.class.path"))
            .build();
  }

  /** Creates a kernel with its JShell, which {@link #close()} releases. */
  public static JShellKernel create() {
    return new Builder().name("bitsweep-java").version("1").build();
  }

  /**
   * Evaluates a cell and returns the value of its last expression as text, or null when the last
   * snippet is a declaration or statement.
   *
   * @throws CellException naming the snippet and the compiler diagnostics or the exception
   */
  @Override
  public Object evalRaw(String source) {
    String value = null;
    for (CellSnippet piece : splitSnippets(source)) {
      value = null;
      for (SnippetEvent event : shell.eval(piece.source())) {
        checkEvent(event, piece.firstLine());
        if (event.causeSnippet() == null && isValueSnippet(event.snippet())) {
          value = event.value();
        }
      }
    }
    return value == null ? null : new DisplayData(value);
  }

  /**
   * One JShell snippet of a cell.
   *
   * @param source the snippet's text, as JShell's analysis cut it from the cell
   * @param firstLine the cell line (1-based) on which {@code source} starts
   */
  record CellSnippet(String source, int firstLine) {}

  /** Splits a cell into complete JShell snippets, in source order. */
  List<CellSnippet> splitSnippets(String source) {
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    List<CellSnippet> snippets = new ArrayList<>();
    String remaining = source;
    int line = 1;
    while (!remaining.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
      Completeness completeness = info.completeness();
      if (completeness == Completeness.EMPTY) {
        break;
      }
      if (!completeness.isComplete()) {
        throw new CellException(
            String.format(
                Locale.ROOT,
                "Cell ends with an incomplete snippet (a missing ';', '}' or ')'?) at line %d:%n%s",
                line + leadingNewlines(remaining),
                remaining.strip()));
      }
      snippets.add(new CellSnippet(info.source(), line));
      line += newlines(info.source());
      remaining = info.remaining();
    }
    return snippets;
  }

  private void checkEvent(SnippetEvent event, int firstLine) {
    Snippet snippet = event.snippet();
    if (event.status() == Snippet.Status.REJECTED) {
      throw new CellException(
          "Cannot compile:\n" + snippet.source().strip() + "\n" + diagnostics(snippet, firstLine));
    }
    if (event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
      throw new CellException(
          String.format(
              Locale.ROOT,
              "Cannot define:%n%s%nIt uses names that are not defined: %s",
              snippet.source().strip(),
              String.join(
                  ", ", shell.unresolvedDependencies((DeclarationSnippet) snippet).toList())));
    }
    JShellException exception = event.exception();
    if (exception != null) {
      throw userException(snippet, exception);
    }
  }

  /** Formats the compiler errors of a rejected snippet, one per line, with cell line numbers. */
  private String diagnostics(Snippet snippet, int firstLine) {
    String source = snippet.source();
    StringBuilder text = new StringBuilder();
    shell
        .diagnostics(snippet)
        .filter(Diag::isError)
        .forEach(
            diag -> {
              int end = (int) Math.max(0, Math.min(diag.getPosition(), source.length()));
              int line = firstLine + newlines(source.substring(0, end));
              text.append(
                  String.format(Locale.ROOT, "line %d: %s%n", line, diag.getMessage(Locale.ROOT)));
            });
    return text.toString().strip();
  }

  private static int newlines(String text) {
    return (int) text.chars().filter(c -> c == '\n').count();
  }

  private static int leadingNewlines(String text) {
    return newlines(text.substring(0, text.length() - text.stripLeading().length()));
  }

  private static CellException userException(Snippet snippet, JShellException exception) {
    String description;
    if (exception instanceof EvalException eval) {
      description = eval.getExceptionClassName() + ": " + eval.getMessage();
    } else if (exception instanceof UnresolvedReferenceException unresolved) {
      description =
          "it uses " + unresolved.getSnippet().source().strip() + ", which is not fully defined";
    } else {
      description = exception.toString();
    }
    CellException failure =
        new CellException("Exception in:\n" + snippet.source().strip() + "\n" + description);
    failure.setStackTrace(exception.getStackTrace());
    if (exception.getCause() != null) {
      failure.initCause(exception.getCause());
    }
    return failure;
  }

  private static boolean isValueSnippet(Snippet snippet) {
    return snippet.kind() == Snippet.Kind.EXPRESSION
        || snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
  }

  /** Returns the signatures and Javadoc that JShell finds for the name at {@code at}, or null. */
  @Override
  public DisplayData inspect(String code, int at, boolean extraDetail) {
    List<SourceCodeAnalysis.Documentation> docs =
        shell.sourceCodeAnalysis().documentation(code, at, extraDetail);
    if (docs.isEmpty()) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    for (SourceCodeAnalysis.Documentation doc : docs) {
      text.append(doc.signature()).append('\n');
      if (doc.javadoc() != null) {
        text.append(doc.javadoc()).append('\n');
      }
    }
    return new DisplayData(text.toString());
  }

  /** Returns JShell's completions for the code at {@code at}. */
  @Override
  public ReplacementOptions complete(String code, int at) {
    int[] anchor = new int[1];
    List<String> names =
        shell.sourceCodeAnalysis().completionSuggestions(code, at, anchor).stream()
            .map(SourceCodeAnalysis.Suggestion::continuation)
            .distinct()
            .toList();
    return new ReplacementOptions(names, anchor[0], at);
  }

  /** Returns whether {@code code} can run as is, needs more lines, or cannot compile. */
  @Override
  public String isComplete(String code) {
    String remaining = code;
    while (!remaining.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info =
          shell.sourceCodeAnalysis().analyzeCompletion(remaining);
      switch (info.completeness()) {
        case EMPTY:
          return IS_COMPLETE_YES;
        case DEFINITELY_INCOMPLETE:
        case CONSIDERED_INCOMPLETE:
          return INDENT;
        case UNKNOWN:
          return IS_COMPLETE_BAD;
        default:
          remaining = info.remaining();
      }
    }
    return IS_COMPLETE_YES;
  }

  /** Stops the running cell: JShell throws out of the user code at its next check. */
  @Override
  public void interrupt() {
    shell.stop();
  }

  /** Registers the kernel with jjava and connects {@link NotebookDisplay} to this kernel. */
  @Override
  public void onStartup() {
    super.onStartup();
    NotebookDisplay.attach(this::display);
  }

  @Override
  public void onShutdown(boolean isRestarting) {
    NotebookDisplay.detach();
    super.onShutdown(isRestarting);
    close();
  }

  /** Closes the JShell; the kernel evaluates nothing afterwards. */
  @Override
  public void close() {
    shell.close();
  }

  /**
   * Connects to Jupyter through the connection file in {@code args[0]} and serves requests until
   * Jupyter shuts the kernel down.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("Usage: JShellKernel CONNECTION_FILE (Jupyter passes {connection_file})");
      System.exit(2);
    }
    String json = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    KernelConnectionProperties properties = KernelConnectionProperties.parse(json);
    JupyterConnection connection = new JupyterConnection(properties);
    JShellKernel kernel = create();
    kernel.onStartup();
    kernel.becomeHandlerForConnection(connection);
    connection.connect();
    connection.waitUntilClose();
    kernel.close();
    // Spark and other libraries leave non-daemon threads running, so exit explicitly.
    System.exit(0);
  }

  /**
   * A cell that failed to compile or threw; its message is what the notebook shows. Its stack trace
   * is the cell code's when the cell threw, and empty otherwise, because the kernel's own frames
   * would tell the reader nothing.
   */
  public static final class CellException extends RuntimeException {
    public CellException(String message) {
      super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private static final class Builder extends BaseKernelBuilder<Builder, JShellKernel> {
    @Override
    public JShellKernel build() {
      return new JShellKernel(
          buildName(),
          buildVersion(),
          buildHistoryManager(),
          buildJupyterIO(buildJupyterIOEncoding()),
          buildCommManager(),
          buildRenderer(),
          buildMagicsRegistry(),
          buildErrorStyler());
    }
  }
}
