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

    static FileType ofMode(int mode) {
        return switch (mode & 0170000) {
            case 0100000 -> REGULAR;
            case 0040000 -> DIRECTORY;
            case 0120000 -> SYMLINK;
            case 0020000 -> CHAR_DEVICE;
            case 0060000 -> BLOCK_DEVICE;
            case 0010000 -> FIFO;
            case 0140000 -> SOCKET;
            default -> throw new IllegalArgumentException("unknown file type in mode 0" + Integer.toOctalString(mode));
        };
    }
}
