package io.bitsweep.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.random.RandomNumberGeneratorStrategy;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * Builds the jinjava engine that renders chat templates the way Hugging Face's Jinja2 sandbox does,
 * for sources that {@link TemplateSource} has prepared: the Hugging Face filters and functions
 * added, and nothing outside the template's own data reachable.
 *
 * <p>The sandbox disables the tags that load other templates ({@code include}, {@code import},
 * {@code from}, {@code extends}), installs a resource locator that finds nothing (jinjava's default
 * reads the class path), resolves expressions with {@link SandboxResolver}, makes {@code random}
 * and {@code shuffle} deterministic, and bounds the output size.
 */
final class TemplateSandbox {
  // NOTE: two Jinja2 behaviours differ: {{ true }} prints "true" (Jinja2: "True"), and
  // 'a' + (x|safe) does not HTML-escape 'a' as Jinja2's Markup does. Templates that print
  // booleans through |string or tojson and join safe values with ~ are not affected.

  /** The largest render accepted, in characters; calibration renders are a few kilobytes. */
  static final long MAX_OUTPUT_CHARS = 16L << 20;

  /** Tags that would read other templates. */
  static final Set<String> DISABLED_TAGS = Set.of("include", "import", "from", "extends");

  /**
   * The jinjava options that follow Jinja2: {@code LegacyOverrides.ALL} without the two that change
   * whitespace, because {@link TemplateSource} applies Jinja2's whitespace rules before jinjava
   * parses the template ({@code whitespaceRequiredWithinTokens} would also print tags written
   * {@code {%- ... %}} as text).
   */
  private static final LegacyOverrides JINJA2_BEHAVIOUR =
      LegacyOverrides.newBuilder()
          .withEvaluateMapKeys(true)
          .withIterateOverMapKeys(true)
          .withUsePyishObjectMapper(true)
          .withUseSnakeCasePropertyNaming(true)
          .withUseNaturalOperatorPrecedence(true)
          .withParseWhitespaceControlStrictly(true)
          .withAllowAdjacentTextNodes(true)
          .withKeepNullableLoopValues(true)
          .build();

  private TemplateSandbox() {}

  /** Creates an engine whose {@code strftime_now} reads {@code clock}. */
  static Jinjava create(Clock clock) {
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(false)
            .withLstripBlocks(false)
            .withLegacyOverrides(JINJA2_BEHAVIOUR)
            .withElResolver(new SandboxResolver())
            .withDisabled(Map.of(Context.Library.TAG, DISABLED_TAGS))
            .withRandomNumberGeneratorStrategy(RandomNumberGeneratorStrategy.CONSTANT_ZERO)
            .withMaxOutputSize(MAX_OUTPUT_CHARS)
            .withDateTimeProvider(clock::millis)
            .build();
    Jinjava jinjava = new Jinjava(config);
    jinjava.setResourceLocator(
        (name, encoding, interpreter) -> {
          throw new ResourceNotFoundException(
              "Chat templates cannot load other templates; found a reference to " + name);
        });
    jinjava.getGlobalContext().registerTag(new PythonForTag());
    TemplateLibrary.filters().forEach(jinjava.getGlobalContext()::registerFilter);
    TemplateLibrary.functions().forEach(jinjava.getGlobalContext()::registerFunction);
    return jinjava;
  }
}
