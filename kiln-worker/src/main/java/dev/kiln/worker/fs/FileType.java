package dev.kiln.worker.fs;

/** The kinds of inode a tree can hold, from the S_IFMT bits of st_mode. */
public enum FileType {
    REGULAR('f', 0100000),
    DIRECTORY('d', 0040000),
    SYMLINK('l', 0120000),
    CHAR_DEVICE('c', 0020000),
    BLOCK_DEVICE('b', 0060000),
    FIFO('p', 0010000),
    SOCKET('s', 0140000);

    private final char code;
    private final int modeBits;

    FileType(char code, int modeBits) {
        this.code = code;
        this.modeBits = modeBits;
    }

    /** One letter, as ls and find print it; used in digests so renaming an enum constant never changes one. */
    public char code() {
        return code;
    }

    /** The S_IFMT bits of st_mode for this kind. */
    public int modeBits() {
        return modeBits;
    }

    static FileType ofMode(int mode) {
        for (FileType type : values()) {
            if (type.modeBits == (mode & 0170000)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown file type in mode 0" + Integer.toOctalString(mode));
    }
}
