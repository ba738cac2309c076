package dev.kiln.api.http2;

import java.nio.charset.StandardCharsets;

/**
 * HPACK's static Huffman code (RFC 7541 Appendix B), decode side only: our encoder sends raw strings.
 *
 * <p>The code is canonical (codes of equal length are consecutive, in symbol order, and shorter codes come
 * first), so the 257 code lengths of Appendix B determine it; decoding walks the code one bit at a time against
 * the first code and count of each length, which is small and fast enough for header strings.
 */
final class Huffman {

    /** Code length in bits of symbols 0..255 and EOS (256), from RFC 7541 Appendix B. */
    private static final byte[] LENGTHS = {
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    };

    static final int EOS = 256;
    private static final int MAX_LENGTH = 30;

    /** Symbols in code order (by length, then symbol). */
    private static final int[] SYMBOLS = new int[257];
    /** Per length: the first code of that length, how many codes have it, and where they start in SYMBOLS. */
    private static final int[] FIRST = new int[MAX_LENGTH + 1];

    private static final int[] COUNT = new int[MAX_LENGTH + 1];
    private static final int[] OFFSET = new int[MAX_LENGTH + 1];
    /** Each symbol's code, for tests and for checking the derivation. */
    static final int[] CODES = new int[257];

    static {
        int n = 0;
        for (int len = 1; len <= MAX_LENGTH; len++) {
            OFFSET[len] = n;
            for (int s = 0; s < 257; s++) {
                if (LENGTHS[s] == len) {
                    SYMBOLS[n++] = s;
                    COUNT[len]++;
                }
            }
        }
        int code = 0;
        for (int len = 1; len <= MAX_LENGTH; len++) {
            FIRST[len] = code;
            for (int i = 0; i < COUNT[len]; i++) {
                CODES[SYMBOLS[OFFSET[len] + i]] = code + i;
            }
            code = (code + COUNT[len]) << 1;
        }
    }

    private Huffman() {}

    static int length(int symbol) {
        return LENGTHS[symbol];
    }

    /**
     * Decodes {@code len} bytes at {@code off} as ISO-8859-1 text. Padding must be fewer than 8 bits, all ones
     * (a prefix of EOS), and EOS itself must not appear (RFC 7541 5.2).
     */
    static String decode(byte[] src, int off, int len) throws HpackException {
        byte[] out = new byte[len * 8 / 5 + 1];
        int n = 0;
        int code = 0;
        int codeLen = 0;
        for (int i = off; i < off + len; i++) {
            int b = src[i] & 0xff;
            for (int bit = 7; bit >= 0; bit--) {
                code = (code << 1) | ((b >>> bit) & 1);
                codeLen++;
                int index = code - FIRST[codeLen];
                if (index >= 0 && index < COUNT[codeLen]) {
                    int sym = SYMBOLS[OFFSET[codeLen] + index];
                    if (sym == EOS) {
                        throw new HpackException("Huffman string contains EOS");
                    }
                    out[n++] = (byte) sym;
                    code = 0;
                    codeLen = 0;
                } else if (codeLen == MAX_LENGTH) {
                    throw new HpackException("invalid Huffman code");
                }
            }
        }
        if (codeLen > 7 || code != (1 << codeLen) - 1) {
            throw new HpackException("invalid Huffman padding");
        }
        return new String(out, 0, n, StandardCharsets.ISO_8859_1);
    }
}
