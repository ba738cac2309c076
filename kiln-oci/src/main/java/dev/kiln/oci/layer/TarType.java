package dev.kiln.oci.layer;

/** The kinds of tar entry a layer may hold, with their typeflag bytes. */
enum TarType {
    REGULAR('0'),
    HARD_LINK('1'),
    SYMLINK('2'),
    CHAR_DEVICE('3'),
    BLOCK_DEVICE('4'),
    DIRECTORY('5'),
    FIFO('6');

    private final byte flag;

    TarType(char flag) {
        this.flag = (byte) flag;
    }

    byte flag() {
        return flag;
    }
}
