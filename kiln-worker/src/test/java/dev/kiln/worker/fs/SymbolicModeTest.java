package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SymbolicModeTest {

    /** Rows: the mode text, what it applies to, the mode before and the mode after, in octal. */
    @ParameterizedTest(name = "{0} on a {1} with mode {2} gives {3}")
    @CsvSource(textBlock = """
        # user plus execute adds only the owner's execute bit
        u+x,             file,       0644,  0744
        # group and others minus write clears their write bits
        go-w,            file,       0666,  0644
        go-w,            file,       0600,  0600
        # all equals read replaces every permission bit
        a=r,             file,       0755,  0444
        a=r,             file,       06755, 0444
        # clauses apply in order and an empty assignment clears
        'u=rwx,g=rx,o=', file,       0606,  0750
        o=,              file,       0777,  0770
        # without a who-list every class is changed
        +x,              file,       0644,  0755
        -w,              file,       0666,  0444
        '=rw',           file,       0755,  0666
        # capital X adds execute only to directories and already-executable files
        +X,              file,       0644,  0644
        a+X,             file,       0744,  0755
        +X,              directory,  0700,  0711
        go+X,            directory,  0700,  0711
        # capital X looks at the mode before any clause changed it
        'u+x,g+X',       file,       0644,  0744
        'a-x,a+X',       file,       0744,  0755
        # capital X after minus removes execute like lowercase
        o-X,             directory,  0755,  0754
        # read and capital X make a tree readable and searchable
        a+rX,            file,       0600,  0644
        a+rX,            file,       0700,  0755
        a+rX,            directory,  0700,  0755
        # octal text sets the mode absolutely including special bits
        0755,            file,       0600,  0755
        755,             file,       04711, 0755
        4755,            directory,  0700,  04755
        1777,            file,       0,     01777
        0,               file,       0777,  0
        # setuid, setgid and sticky follow the who-list
        u+s,             file,       0755,  04755
        g+s,             file,       0755,  02755
        +s,              file,       0755,  06755
        +t,              directory,  0777,  01777
        u-s,             file,       06755, 02755
        # set id and sticky mean nothing for others alone
        o+s,             file,       0755,  0755
        o+t,             file,       0755,  0755
        # assignment keeps the sticky bit unless it names it
        a=rwx,           directory,  01700, 01777
        u=rwx,           directory,  04700, 0700
        # sticky in a clause without a who-list narrows the clause as in BuildKit
        # BSD setmode, which BuildKit uses, makes "t" the clause's only target when no who-list is given.
        +xt,             file,       0644,  01644
        # one class can be copied onto others
        go=u,            file,       0700,  0777
        go=u-w,          file,       0750,  0755
        o+g,             file,       0640,  0644
        g-u,             file,       0770,  0700
        # several operators in one clause share its who-list
        u+x-w,           file,       0644,  0544
        go+r-x,          file,       0711,  0744
            """)
    void modeTextChangesTheModeAsChmodDoes(String text, String kind, String before, String after) {
        boolean directory = switch (kind) {
            case "file" -> false;
            case "directory" -> true;
            default -> throw new IllegalArgumentException("neither file nor directory: " + kind);
        };
        assertThat(SymbolicMode.parse(text).apply(Integer.parseInt(before, 8), directory))
                .isEqualTo(Integer.parseInt(after, 8));
    }

    @Test
    void onlyThePermissionBitsOfTheCurrentModeCount() {
        assertThat(SymbolicMode.parse("u+x").apply(0100644, false)).isEqualTo(0744);
    }

    @Test
    void aModeEqualsAnotherWrittenTheSameWay() {
        assertThat(SymbolicMode.parse("u+x")).isEqualTo(SymbolicMode.parse("u+x"));
        assertThat(SymbolicMode.parse("u+x").text()).isEqualTo("u+x");
    }

    /** Malformed symbolic text, then bad octal text. */
    @ParameterizedTest
    @ValueSource(strings = {"u", "u+x,", "u+y", "z+x", "u+x,,g+w", "ux", "+x g", "8", "0789", "10000", "77777", "755x"})
    void textThatIsNotAModeIsRejectedNamingIt(String text) {
        assertThatThrownBy(() -> SymbolicMode.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid mode \"" + text + "\"");
    }

    @Test
    void emptyTextIsRejected() {
        assertThatThrownBy(() -> SymbolicMode.parse(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be empty");
    }

    @Test
    void errorsSayWhereTheTextGoesWrong() {
        assertThatThrownBy(() -> SymbolicMode.parse("u+x,g*w"))
                .hasMessageContaining("found '*'")
                .hasMessageContaining("position 6");
    }
}
