package dev.kiln.worker.fs;

/** The kinds of inode a tree can hold, from the S_IFMT bits of st_mode. */
public enum FileType {
    REGULAR('f'),
    DIRECTORY('d'),
    SYMLINK('l'),
    CHAR_DEVICE('c'),
    BLOCK_DEVICE('b'),
    FIFO('p'),
    SOCKET('s');

    private final char code;

    FileType(char code) {
        this.code = code;
    }

    /** One letter, as ls and find print it; used in digests so renaming an enum constant never changes one. */
    public char code() {
        return code;
    }

    /** The S_IFMT bits of st_mode for this kind. */
    public int modeBits() {
        return switch (this) {
            case REGULAR -> 0100000;
            case DIRECTORY -> 0040000;
            case SYMLINK -> 0120000;
            case CHAR_DEVICE -> 0020000;
            case BLOCK_DEVICE -> 0060000;
            case FIFO -> 0010000;
            case SOCKET -> 0140000;
        };
    }

    static FileType ofMode(int mode) {
        for (FileType type : values()) {
            if (type.modeBits() == (mode & 0170000)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown file type in mode 0" + Integer.toOctalString(mode));
    }
}
