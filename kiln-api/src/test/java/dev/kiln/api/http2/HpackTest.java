package dev.kiln.api.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The HPACK decoder against RFC 7541 Appendix C's request examples, and the Huffman code's derivation. */
class HpackTest {

    /** The decoded header lists of the three requests of C.3 and C.4, which encode them without and with Huffman. */
    private static final List<String> FIRST_REQUEST =
            List.of(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com");

    private static final List<String> SECOND_REQUEST = List.of(
            ":method",
            "GET",
            ":scheme",
            "http",
            ":path",
            "/",
            ":authority",
            "www.example.com",
            "cache-control",
            "no-cache");

    private static final List<String> THIRD_REQUEST = List.of(
            ":method",
            "GET",
            ":scheme",
            "https",
            ":path",
            "/index.html",
            ":authority",
            "www.example.com",
            "custom-key",
            "custom-value");

    private static List<String> decode(Hpack.Decoder d, String hex) throws HpackException {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        List<String> out = new ArrayList<>();
        d.decode(b, 0, b.length, out);
        return out;
    }

    @Test
    void requestsWithoutHuffmanUseTheDynamicTable() throws Exception {
        Hpack.Decoder d = new Hpack.Decoder(4096);
        // C.3.1
        assertThat(decode(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))
                .containsExactlyElementsOf(FIRST_REQUEST);
        assertThat(d.tableSize()).isEqualTo(57);
        // C.3.2
        assertThat(decode(d, "8286 84be 5808 6e6f 2d63 6163 6865")).containsExactlyElementsOf(SECOND_REQUEST);
        assertThat(d.tableSize()).isEqualTo(110);
        // C.3.3
        assertThat(decode(d, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"))
                .containsExactlyElementsOf(THIRD_REQUEST);
        assertThat(d.tableSize()).isEqualTo(164);
        assertThat(d.entries()).isEqualTo(3);
    }

    @Test
    void requestsWithHuffmanUseTheDynamicTable() throws Exception {
        Hpack.Decoder d = new Hpack.Decoder(4096);
        // C.4.1
        assertThat(decode(d, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).containsExactlyElementsOf(FIRST_REQUEST);
        // C.4.2
        assertThat(decode(d, "8286 84be 5886 a8eb 1064 9cbf")).containsExactlyElementsOf(SECOND_REQUEST);
        // C.4.3
        assertThat(decode(d, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"))
                .containsExactlyElementsOf(THIRD_REQUEST);
        assertThat(d.tableSize()).isEqualTo(164);
    }

    @Test
    void sizeUpdateEvictsAndIsBounded() throws Exception {
        Hpack.Decoder d = new Hpack.Decoder(4096);
        decode(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        // Size update to 0 empties the table; then index 62 is gone.
        decode(d, "20");
        assertThat(d.tableSize()).isZero();
        assertThatThrownBy(() -> decode(d, "be")).isInstanceOf(HpackException.class);
        // 101 (31 in the 5-bit prefix, then 70) is more than the 100 we allowed.
        assertThatThrownBy(() -> decode(new Hpack.Decoder(100), "3f 46")).isInstanceOf(HpackException.class);
    }

    @Test
    void encoderOutputDecodes() throws Exception {
        var md = new io.grpc.Metadata();
        md.put(io.grpc.Metadata.Key.of("x-thing", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "v");
        md.put(io.grpc.Metadata.Key.of("x-raw-bin", io.grpc.Metadata.BINARY_BYTE_MARSHALLER), new byte[] {0, -1, 7});
        byte[] block = GrpcHeaders.request("/a.B/C", "localhost", 1_500_000_000L, md);
        List<String> out = new ArrayList<>();
        new Hpack.Decoder(4096).decode(block, 0, block.length, out);
        assertThat(out)
                .containsExactly(
                        ":method",
                        "POST",
                        ":scheme",
                        "http",
                        ":path",
                        "/a.B/C",
                        ":authority",
                        "localhost",
                        "content-type",
                        "application/grpc",
                        "te",
                        "trailers",
                        "user-agent",
                        "kiln-http2",
                        "grpc-timeout",
                        "1500000u",
                        "x-thing",
                        "v",
                        "x-raw-bin",
                        "AP8H");
    }

    @Test
    void huffmanCodesAreTheRfcs() throws Exception {
        // Spot checks from RFC 7541 Appendix B: symbol, code, length.
        int[][] known = {
            {0, 0x1ff8, 13},
            {'0', 0x0, 5},
            {'a', 0x3, 5},
            {' ', 0x14, 6},
            {'X', 0xfc, 8},
            {'\\', 0x7fff0, 19},
            {127, 0xffffffc, 28},
            {255, 0x3ffffee, 26},
            {Huffman.EOS, 0x3fffffff, 30},
        };
        for (int[] k : known) {
            assertThat(Huffman.CODES[k[0]]).as("code of %d", k[0]).isEqualTo(k[1]);
            assertThat(Huffman.length(k[0])).as("length of %d", k[0]).isEqualTo(k[2]);
        }
        // Padding that is not all ones, or 8 bits or more, is an error (RFC 7541 5.2).
        assertThatThrownBy(() -> Huffman.decode(new byte[] {0x00}, 0, 1)).isInstanceOf(HpackException.class);
        assertThatThrownBy(() -> Huffman.decode(new byte[] {0x1f, (byte) 0xff}, 0, 2))
                .isInstanceOf(HpackException.class);
    }
}
