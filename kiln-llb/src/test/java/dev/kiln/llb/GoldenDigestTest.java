package dev.kiln.llb;

import static dev.kiln.llb.Wire.MINUS_ONE;
import static dev.kiln.llb.Wire.bytes;
import static dev.kiln.llb.Wire.field;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Definition;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden ops: each expected op is written here byte by byte from the protobuf wire format (see
 * GOLDEN.md), compared with what {@link State#marshal} produces, and its sha256 compared with the
 * digest BuildKit's own Go client (v0.12.5) computed for the same graph.
 */
class GoldenDigestTest {

    static final MarshalOptions LINUX_AMD64_U1 = new MarshalOptions(Platform.of("linux", "amd64"), "u1");

    /** Op field 10 (platform), wire type 2 -> tag 0x52: Platform{Architecture (1, 0x0a), OS (2, 0x12)}. */
    static final byte[] PLATFORM_LINUX_AMD64 = field(0x52, field(0x0a, "amd64"), field(0x12, "linux"));

    /** Op field 11 (constraints), wire type 2 -> tag 0x5a, length 0: Go always sets an empty WorkerConstraints. */
    static final byte[] EMPTY_CONSTRAINTS = bytes(0x5a, 0x00);

    /** Op field 1 (inputs), wire type 2 -> tag 0x0a: Input{digest (1, 0x0a)}; index 0 is the default, not written. */
    static byte[] input(Digest digest) {
        return field(0x0a, field(0x0a, digest.toString()));
    }

    static byte[] input(Digest digest, int index) {
        return field(0x0a, field(0x0a, digest.toString()), 0x10, index);
    }

    /** FileOp with the one mkdir action of {@code State.scratch().file(FileAction.mkdir("/a", 0755))}. */
    static final byte[] MKDIR_A = bytes(
            field(
                    0x22, // Op field 4 (file), wire type 2 -> 0x22
                    field(
                            0x12, // FileOp field 2 (actions) -> 0x12
                            0x08,
                            MINUS_ONE, // FileAction field 1 (input), varint -> 0x08: -1, scratch
                            0x10,
                            MINUS_ONE, // field 2 (secondaryInput), varint -> 0x10: -1, none
                            // field 3 (output) is 0 for the last action: the default, not written
                            field(
                                    0x32, // field 6 (mkdir), wire type 2 -> 0x32
                                    field(0x0a, "/a"), // FileActionMkDir field 1 (path) -> 0x0a
                                    0x10,
                                    0xed,
                                    0x03, // field 2 (mode), varint -> 0x10: 0755 = 493 = ed 03
                                    0x28,
                                    MINUS_ONE))), // field 5 (timestamp), varint -> 0x28: -1, not set
            EMPTY_CONSTRAINTS); // a file op has no platform

    /** FileOp of {@code State.scratch().file(FileAction.mkfile("/b", 0644, "x"))}. */
    static final byte[] MKFILE_B = bytes(
            field(
                    0x22,
                    field(
                            0x12,
                            0x08,
                            MINUS_ONE,
                            0x10,
                            MINUS_ONE,
                            field(
                                    0x2a, // FileAction field 5 (mkfile), wire type 2 -> 0x2a
                                    field(0x0a, "/b"), // path
                                    0x10,
                                    0xa4,
                                    0x03, // mode 0644 = 420 = a4 03
                                    field(0x1a, "x"), // field 3 (data), wire type 2 -> 0x1a
                                    0x28,
                                    MINUS_ONE))), // timestamp -1
            EMPTY_CONSTRAINTS);

    /** SourceOp of {@code State.image("busybox")}: the reference normalised, platform set. */
    static final byte[] IMAGE_BUSYBOX = bytes(
            field(
                    0x1a, // Op field 3 (source), wire type 2 -> 0x1a
                    field(0x0a, "docker-image://docker.io/library/busybox:latest")), // identifier (1) -> 0x0a
            PLATFORM_LINUX_AMD64,
            EMPTY_CONSTRAINTS);

    /** SourceOp of {@code State.local("ctx")} with local unique id "u1". */
    static final byte[] LOCAL_CTX = bytes(
            field(
                    0x1a,
                    field(0x0a, "local://ctx"),
                    // field 2 (attrs), a map: each entry a message {key (1, 0x0a), value (2, 0x12)} -> 0x12
                    field(0x12, field(0x0a, "local.unique"), field(0x12, "u1"))),
            EMPTY_CONSTRAINTS); // a local source has no platform

    static final Digest GO_MKDIR =
            Digest.parse("sha256:e9a242953722fb36f79402d14e62ff5f6a333f90ac874fe968f98784985d25a0");
    static final Digest GO_MKDIR_TERMINAL =
            Digest.parse("sha256:ff62d88df7c856a47b60dfd4be0aebf51eab099370d7144ff2b0fffe949107ab");
    static final Digest GO_MKFILE =
            Digest.parse("sha256:849a8cbc8f39e0acbd93e06a95df9a3b930a6f6f498512a9b74c5093b629c1d4");
    static final Digest GO_IMAGE =
            Digest.parse("sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e");
    static final Digest GO_LOCAL_CTX =
            Digest.parse("sha256:514bb9b9def6bccfd3522f0b5d30848f64fd05f466c4d80d23c525888b85ea53");

    @Test
    void mkdirOnScratchMatchesTheWireFormatAndGo() {
        Definition definition =
                State.scratch().file(FileAction.mkdir("/a", 0755)).marshal(LINUX_AMD64_U1);

        assertThat(definition.getDefCount()).isEqualTo(2);
        assertThat(definition.getDef(0).toByteArray()).isEqualTo(MKDIR_A);
        assertThat(Digest.sha256(MKDIR_A)).isEqualTo(GO_MKDIR);
        // The terminal op: Op field 1 (inputs) -> 0x0a holding Input{digest}.
        byte[] terminal = input(GO_MKDIR);
        assertThat(definition.getDef(1).toByteArray()).isEqualTo(terminal);
        assertThat(Digest.sha256(terminal)).isEqualTo(GO_MKDIR_TERMINAL);
    }

    @Test
    void imageSourceMatchesTheWireFormatAndGo() {
        Definition definition = State.image("busybox").marshal(LINUX_AMD64_U1);

        assertThat(definition.getDef(0).toByteArray()).isEqualTo(IMAGE_BUSYBOX);
        assertThat(Digest.sha256(IMAGE_BUSYBOX)).isEqualTo(GO_IMAGE);
    }

    @Test
    void localSourceAttributesAreSortedMapEntries() {
        byte[] expected = bytes(
                field(
                        0x1a,
                        field(0x0a, "local://context"),
                        field(
                                0x12,
                                field(0x0a, "local.excludepatterns"),
                                field(0x12, "[\"*.tmp\"]")), // JSON, as Go writes it
                        field(0x12, field(0x0a, "local.sharedkeyhint"), field(0x12, "ctx")),
                        field(0x12, field(0x0a, "local.unique"), field(0x12, "u1"))),
                EMPTY_CONSTRAINTS);

        Definition definition = State.local("context", LocalOption.exclude("*.tmp"), LocalOption.sharedKeyHint("ctx"))
                .marshal(LINUX_AMD64_U1);

        assertThat(definition.getDef(0).toByteArray()).isEqualTo(expected);
        assertThat(Digest.sha256(expected).toString())
                .isEqualTo("sha256:285c6777e2cae9c03a9b7505454788aafae2ff4d0f76ca692a9f366bf790b51c");
    }

    @Test
    void execMatchesTheWireFormatAndGo() {
        byte[] expected = bytes(
                input(GO_IMAGE), // Op field 1 (inputs): the image
                field(
                        0x12, // Op field 2 (exec), wire type 2 -> 0x12
                        field(
                                0x0a, // ExecOp field 1 (meta) -> 0x0a
                                field(0x0a, "/bin/sh"),
                                field(0x0a, "-c"),
                                field(0x0a, "echo hi"), // Meta field 1 (args)
                                field(0x12, "A=1"), // field 2 (env) -> 0x12
                                field(0x1a, "/work"), // field 3 (cwd) -> 0x1a
                                0x58,
                                0x01), // field 11 (removeMountStubsRecursive), varint -> 0x58: true
                        field(
                                0x12, // ExecOp field 2 (mounts) -> 0x12
                                field(0x1a, "/"))), // Mount field 3 (dest); input 0 and output 0 not written
                PLATFORM_LINUX_AMD64,
                EMPTY_CONSTRAINTS);

        Definition definition = State.image("busybox")
                .env("A", "1")
                .dir("/work")
                .run(RunOption.sh("echo hi"))
                .root()
                .marshal(LINUX_AMD64_U1);

        assertThat(definition.getDefCount()).isEqualTo(3);
        assertThat(definition.getDef(0).toByteArray()).isEqualTo(IMAGE_BUSYBOX);
        assertThat(definition.getDef(1).toByteArray()).isEqualTo(expected);
        assertThat(Digest.sha256(expected).toString())
                .isEqualTo("sha256:913f1ff14691f53a67a532510d9e00bbd2ff62968f9181593ce8c5437264f5ed");
    }

    @Test
    void mergeAndDiffMatchTheWireFormatAndGo() {
        State a = State.scratch().file(FileAction.mkdir("/a", 0755));
        State b = State.scratch().file(FileAction.mkfile("/b", 0644, "x".getBytes()));
        byte[] merge = bytes(
                input(GO_MKDIR),
                input(GO_MKFILE),
                field(
                        0x32, // Op field 6 (merge) -> 0x32
                        bytes(0x0a, 0x00), // MergeOp field 1 (inputs): MergeInput{input 0}, an empty message
                        field(0x0a, 0x08, 0x01)), // MergeInput{input (1, varint -> 0x08) 1}
                EMPTY_CONSTRAINTS); // merge ops have no platform
        byte[] diff = bytes(
                input(GO_MKDIR),
                input(GO_MKFILE),
                field(
                        0x3a, // Op field 7 (diff) -> 0x3a
                        bytes(0x0a, 0x00), // DiffOp field 1 (lower): LowerDiffInput{input 0}
                        field(0x12, 0x08, 0x01)), // field 2 (upper): UpperDiffInput{input 1}
                EMPTY_CONSTRAINTS);

        Definition merged = State.merge(List.of(a, b)).marshal(LINUX_AMD64_U1);
        Definition diffed = State.diff(a, b).marshal(LINUX_AMD64_U1);

        assertThat(Digest.sha256(MKFILE_B)).isEqualTo(GO_MKFILE);
        assertThat(merged.getDefList())
                .extracting(bs -> Digest.sha256(bs.toByteArray()))
                .containsExactly(GO_MKDIR, GO_MKFILE, Digest.sha256(merge), Digest.sha256(input(Digest.sha256(merge))));
        assertThat(merged.getDef(1).toByteArray()).isEqualTo(MKFILE_B);
        assertThat(merged.getDef(2).toByteArray()).isEqualTo(merge);
        assertThat(diffed.getDef(2).toByteArray()).isEqualTo(diff);
        assertThat(Digest.sha256(merge).toString())
                .isEqualTo("sha256:c57775d39fcf13db0f8b8520e20ed70883ef0ca556b332c790c1252f437d2aac");
        assertThat(Digest.sha256(diff).toString())
                .isEqualTo("sha256:9ea6eb660c973ea1640ffdc89e1f6e7a6278ae271653845fdbcb0632378a6902");
    }

    @Test
    void copyWithOwnerMatchesTheWireFormatAndGo() {
        byte[] expected = bytes(
                input(GO_IMAGE), // input 0: the state copied onto
                input(GO_LOCAL_CTX), // input 1: the copy source
                field(
                        0x22,
                        field(
                                0x12, // file op, one action; input 0 and output 0 are defaults, not written
                                0x10,
                                0x01, // FileAction field 2 (secondaryInput) = 1, the local source
                                field(
                                        0x22, // FileAction field 4 (copy) -> 0x22
                                        field(0x0a, "/src"), // FileActionCopy field 1 (src), made absolute
                                        field(0x12, "/dst/"), // field 2 (dest), trailing slash kept
                                        field(
                                                0x1a, // field 3 (owner) -> 0x1a: ChownOpt
                                                field(
                                                        0x0a, 0x10, 0xe8,
                                                        0x07), // user: UserOpt field 2 (byID), varint -> 0x10: 1000 =
                                                // e8 07
                                                field(
                                                        0x12,
                                                        field(
                                                                0x0a,
                                                                field(
                                                                        0x0a,
                                                                        "app")))), // group: UserOpt byName (1) {name
                                        // (1)}, input 0
                                        0x20,
                                        MINUS_ONE, // field 4 (mode), varint -> 0x20: -1, keep the source's
                                        0x40,
                                        0x01, // field 8 (createDestPath), varint -> 0x40: true
                                        0x58,
                                        MINUS_ONE))), // field 11 (timestamp), varint -> 0x58: -1
                EMPTY_CONSTRAINTS);

        Definition definition = State.image("busybox")
                .file(FileAction.copy(
                        State.local("ctx"), "src", "/dst/", CopyOption.createDestPath(), Owner.parse("1000:app")))
                .marshal(LINUX_AMD64_U1);

        assertThat(definition.getDef(0).toByteArray()).isEqualTo(IMAGE_BUSYBOX);
        assertThat(definition.getDef(1).toByteArray()).isEqualTo(LOCAL_CTX);
        assertThat(Digest.sha256(LOCAL_CTX)).isEqualTo(GO_LOCAL_CTX);
        assertThat(definition.getDef(2).toByteArray()).isEqualTo(expected);
        assertThat(Digest.sha256(expected).toString())
                .isEqualTo("sha256:67d8891c99aba67a702a49bfb56bc4b679d213a9a77c5ac61b58a8bfaf695d51");
    }
}
