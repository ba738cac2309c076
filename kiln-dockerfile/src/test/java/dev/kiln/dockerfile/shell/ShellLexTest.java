package dev.kiln.dockerfile.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShellLexTest {

    private static final ShellLex LEX = new ShellLex('\\');
    private static final EnvLookup ENV = EnvLookup.of(env());

    private static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NAME", "world");
        env.put("EMPTY", "");
        env.put("PATHLIKE", "/usr/local/lib/file.tar.gz");
        env.put("SPACED", "a b  c");
        return env;
    }

    private static String word(String text) throws ShellException {
        return LEX.processWord(text, ENV).result();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '~',
            value = {
                "hello $NAME|hello world",
                "hello ${NAME}!|hello world!",
                "${UNSET}x|x",
                "${UNSET:-default}|default",
                "${EMPTY:-default}|default",
                "${EMPTY-default}|~~",
                "${UNSET-default}|default",
                "${NAME:-default}|world",
                "${NAME:+alt}|alt",
                "${EMPTY:+alt}|~~",
                "${EMPTY+alt}|alt",
                "${UNSET+alt}|~~",
                "${PATHLIKE#*/}|usr/local/lib/file.tar.gz",
                "${PATHLIKE##*/}|file.tar.gz",
                "${PATHLIKE%.*}|/usr/local/lib/file.tar",
                "${PATHLIKE%%.*}|/usr/local/lib/file",
                "${PATHLIKE/l/L}|/usr/Local/lib/file.tar.gz",
                "${PATHLIKE//l/L}|/usr/LocaL/Lib/fiLe.tar.gz",
                "${NAME/?/W}|World",
                "'$NAME'|$NAME",
                "\"$NAME\"|world",
                "\"a \\\"quoted\\\" $NAME\"|a \"quoted\" world",
                "\\$NAME|$NAME",
                "a\\ b|a b",
                "\"\\n\"|\\n",
                "$|$",
                "cost: 5$|cost: 5$",
            })
    void expandsLikeBuildKitsShellLexer(String input, String expected) throws ShellException {
        assertThat(word(input)).isEqualTo(expected);
    }

    @Test
    void splitsWordsAfterExpansionButNotInsideQuotes() throws ShellException {
        assertThat(LEX.processWords("one $SPACED \"two three\" 'four  five' six\\ seven", ENV))
                .containsExactly("one", "a", "b", "c", "two three", "four  five", "six seven");
    }

    @Test
    void recordsWhichVariablesWereFoundAndWhichWereNot() throws ShellException {
        WordResult result = LEX.processWord("$NAME ${MISSING} ${OTHER:-x}", ENV);
        assertThat(result.matched()).containsExactly("NAME");
        assertThat(result.unmatched()).containsExactlyInAnyOrder("MISSING", "OTHER");
    }

    @Test
    void questionMarkModifierFailsWithTheGivenMessage() {
        assertThatThrownBy(() -> word("${UNSET:?must be set}"))
                .isInstanceOf(ShellException.class)
                .hasMessageContaining("UNSET: must be set");
        assertThatThrownBy(() -> word("${EMPTY:?}")).hasMessageContaining("EMPTY: is not allowed to be empty");
        assertThatThrownBy(() -> word("${UNSET?}")).hasMessageContaining("UNSET: is not allowed to be unset");
    }

    @Test
    void badSubstitutionsAreErrors() {
        assertThatThrownBy(() -> word("${NAME")).hasMessageContaining("syntax error: missing '}'");
        assertThatThrownBy(() -> word("${}")).hasMessageContaining("bad substitution");
        assertThatThrownBy(() -> word("${NAME:1}")).hasMessageContaining("unsupported modifier (:1) in substitution");
        assertThatThrownBy(() -> word("'open")).hasMessageContaining("matching single-quote");
        assertThatThrownBy(() -> word("\"open")).hasMessageContaining("matching double-quote");
        assertThatThrownBy(() -> word("${NAME/x")).hasMessageContaining("missing '/' in ${}");
    }

    @Test
    void backtickIsTheEscapeWhenTheDockerfileSaysSo() throws ShellException {
        ShellLex backtick = new ShellLex('`');
        assertThat(backtick.processWord("C:\\dir `$NAME", ENV).result()).isEqualTo("C:\\dir $NAME");
    }

    @Test
    void skipUnsetEnvLeavesUnknownReferencesAsWritten() throws ShellException {
        ShellLex lex = LEX.withSkipUnsetEnv(true);
        assertThat(lex.processWord("$NAME $OTHER ${OTHER:-x}", ENV).result()).isEqualTo("world $OTHER ${OTHER:-x}");
    }

    @Test
    void heredocContentExpansionKeepsQuotes() throws ShellException {
        ShellLex lex = LEX.withSkipProcessQuotes(true);
        assertThat(lex.processWord("echo \"hi $NAME\" 'x'", ENV).result()).isEqualTo("echo \"hi world\" 'x'");
    }

    @Test
    void rawQuotesKeepQuoteCharacters() throws ShellException {
        assertThat(LEX.withRawQuotes(true).processWords("\"a b\" 'c'", ENV)).isEqualTo(List.of("\"a b\"", "'c'"));
    }
}
