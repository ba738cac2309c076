package dev.kiln.llb;

import dev.kiln.core.Digest;
import dev.kiln.llb.pb.Definition;

/** Prints the digests of every op of the every-kind graph, one per line; run in a second JVM by a test. */
public final class DigestPrinter {

    private DigestPrinter() {}

    static String digests() {
        Definition definition = LlbGraphTest.everyKind().marshal(GoldenDigestTest.LINUX_AMD64_U1);
        StringBuilder lines = new StringBuilder();
        definition
                .getDefList()
                .forEach(bytes -> lines.append(Digest.sha256(bytes.asReadOnlyByteBuffer()))
                        .append('\n'));
        return lines.toString();
    }

    public static void main(String[] args) {
        System.out.print(digests());
    }
}
