package io.bitsweep.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TemplateSourceTest {
  @Test
  void wrapsKeywordValuesInCalls() {
    assertThat(TemplateSource.prepare("{% set ns = namespace(a=m|length - 1, b=true) %}"))
        .isEqualTo("{% set ns = namespace(a=(m|length - 1), b=(true)) %}");
    assertThat(TemplateSource.prepare("{{ f(x=g(y=1), z='a=b') }}"))
        .isEqualTo("{{ f(x=(g(y=(1))), z=('a=b')) }}");
  }

  @Test
  void leavesComparisonsAndMacrosAlone() {
    String comparisons = "{% if a == b and c != d and (e <= f or g >= h) %}x{% endif %}";
    assertThat(TemplateSource.prepare(comparisons)).isEqualTo(comparisons);
    String macro = "{% macro render(item, indent=2) %}{{ item }}{% endmacro %}";
    assertThat(TemplateSource.prepare(macro)).isEqualTo(macro);
  }

  @Test
  void rewritesReversedSliceInsideTagsOnly() {
    assertThat(TemplateSource.prepare("a[::-1] {% for m in messages[::-1] %}{% endfor %}"))
        .isEqualTo("a[::-1] {% for m in (messages|reverse) %}{% endfor %}");
  }

  @Test
  void removesCommentsAndWhitespaceSigns() {
    assertThat(TemplateSource.prepare("a {#- note -#} b {# other #}")).isEqualTo("ab ");
    assertThat(TemplateSource.prepare("x\n  {%- if y -%}\n z {{- w }}"))
        .isEqualTo("x{% if y %}z{{ w }}");
  }

  @Test
  void appliesLstripAndTrimToBlocksOnly() {
    assertThat(TemplateSource.prepare("a\n  {% if x %}\nb\n  {{ y }}\n"))
        .isEqualTo("a\n{% if x %}b\n  {{ y }}");
  }

  @Test
  void keepsRawBlocksAndDropsFinalNewline() {
    String raw = "{% raw %}{# kept #}{{ x[::-1] }}{% endraw %}";
    assertThat(TemplateSource.prepare(raw + "\n")).isEqualTo(raw);
    assertThat(TemplateSource.prepare(raw + "\n\n")).isEqualTo(raw);
  }

  @Test
  void tagEndInsideStringIsSkipped() {
    String tag = "{{ '}}' ~ \"%}\" }}";
    assertThat(TemplateSource.prepare(tag)).isEqualTo(tag);
  }

  @Test
  void unclosedCommentNamesLine() {
    assertThatThrownBy(() -> TemplateSource.prepare("a\nb {# open"))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessage("Cannot parse the chat template: the comment at line 2 has no closing #}");
  }
}
