package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SymbolicModeTest {

    private static int onFile(String mode, int current) {
        return SymbolicMode.parse(mode).apply(current, false);
    }

    private static int onDirectory(String mode, int current) {
        return SymbolicMode.parse(mode).apply(current, true);
    }

    @Test
    void userPlusExecuteAddsOnlyTheOwnersExecuteBit() {
        assertThat(onFile("u+x", 0644)).isEqualTo(0744);
    }

    @Test
    void groupAndOthersMinusWriteClearsTheirWriteBits() {
        assertThat(onFile("go-w", 0666)).isEqualTo(0644);
        assertThat(onFile("go-w", 0600)).isEqualTo(0600);
    }

    @Test
    void allEqualsReadReplacesEveryPermissionBit() {
        assertThat(onFile("a=r", 0755)).isEqualTo(0444);
        assertThat(onFile("a=r", 06755)).isEqualTo(0444);
    }

    @Test
    void clausesApplyInOrderAndAnEmptyAssignmentClears() {
        assertThat(onFile("u=rwx,g=rx,o=", 0606)).isEqualTo(0750);
        assertThat(onFile("o=", 0777)).isEqualTo(0770);
    }

    @Test
    void withoutAWhoListEveryClassIsChanged() {
        assertThat(onFile("+x", 0644)).isEqualTo(0755);
        assertThat(onFile("-w", 0666)).isEqualTo(0444);
        assertThat(onFile("=rw", 0755)).isEqualTo(0666);
    }

    @Test
    void capitalXAddsExecuteOnlyToDirectoriesAndAlreadyExecutableFiles() {
        assertThat(onFile("+X", 0644)).isEqualTo(0644);
        assertThat(onFile("a+X", 0744)).isEqualTo(0755);
        assertThat(onDirectory("+X", 0700)).isEqualTo(0711);
        assertThat(onDirectory("go+X", 0700)).isEqualTo(0711);
    }

    @Test
    void capitalXLooksAtTheModeBeforeAnyClauseChangedIt() {
        assertThat(onFile("u+x,g+X", 0644)).isEqualTo(0744);
        assertThat(onFile("a-x,a+X", 0744)).isEqualTo(0755);
    }

    @Test
    void capitalXAfterMinusRemovesExecuteLikeLowercase() {
        assertThat(onDirectory("o-X", 0755)).isEqualTo(0754);
    }

    @Test
    void readAndCapitalXMakeATreeReadableAndSearchable() {
        assertThat(onFile("a+rX", 0600)).isEqualTo(0644);
        assertThat(onFile("a+rX", 0700)).isEqualTo(0755);
        assertThat(onDirectory("a+rX", 0700)).isEqualTo(0755);
    }

    @Test
    void octalTextSetsTheModeAbsolutelyIncludingSpecialBits() {
        assertThat(onFile("0755", 0600)).isEqualTo(0755);
        assertThat(onFile("755", 04711)).isEqualTo(0755);
        assertThat(onDirectory("4755", 0700)).isEqualTo(04755);
        assertThat(onFile("1777", 0)).isEqualTo(01777);
        assertThat(onFile("0", 0777)).isZero();
    }

    @Test
    void setuidSetgidAndStickyFollowTheWhoList() {
        assertThat(onFile("u+s", 0755)).isEqualTo(04755);
        assertThat(onFile("g+s", 0755)).isEqualTo(02755);
        assertThat(onFile("+s", 0755)).isEqualTo(06755);
        assertThat(onDirectory("+t", 0777)).isEqualTo(01777);
        assertThat(onFile("u-s", 06755)).isEqualTo(02755);
    }

    @Test
    void setIdAndStickyMeanNothingForOthersAlone() {
        assertThat(onFile("o+s", 0755)).isEqualTo(0755);
        assertThat(onFile("o+t", 0755)).isEqualTo(0755);
    }

    @Test
    void assignmentKeepsTheStickyBitUnlessItNamesIt() {
        assertThat(onDirectory("a=rwx", 01700)).isEqualTo(01777);
        assertThat(onDirectory("u=rwx", 04700)).isEqualTo(0700);
    }

    @Test
    void stickyInAClauseWithoutWhoListNarrowsTheClauseAsInBuildKit() {
        // BSD setmode, which BuildKit uses, makes "t" the clause's only target when no who-list is given.
        assertThat(onFile("+xt", 0644)).isEqualTo(01644);
    }

    @Test
    void oneClassCanBeCopiedOntoOthers() {
        assertThat(onFile("go=u", 0700)).isEqualTo(0777);
        assertThat(onFile("go=u-w", 0750)).isEqualTo(0755);
        assertThat(onFile("o+g", 0640)).isEqualTo(0644);
        assertThat(onFile("g-u", 0770)).isEqualTo(0700);
    }

    @Test
    void severalOperatorsInOneClauseShareItsWhoList() {
        assertThat(onFile("u+x-w", 0644)).isEqualTo(0544);
        assertThat(onFile("go+r-x", 0711)).isEqualTo(0744);
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

    @ParameterizedTest
    @ValueSource(strings = {"u", "u+x,", "u+y", "z+x", "u+x,,g+w", "ux", "+x g"})
    void malformedSymbolicTextIsRejectedNamingIt(String text) {
        assertThatThrownBy(() -> SymbolicMode.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid mode \"" + text + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "0789", "10000", "77777", "755x"})
    void badOctalTextIsRejectedNamingIt(String text) {
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
