package dev.kiln.worker.runtime;

import java.util.List;

/**
 * The parts of the OCI runtime spec (config.json) Kiln writes, as the JSON names them. Null fields are left out.
 * See https://github.com/opencontainers/runtime-spec/blob/main/config.md.
 */
record OciSpec(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts, Linux linux) {
    record Process(
            boolean terminal,
            ConsoleSize consoleSize,
            User user,
            List<String> args,
            List<String> env,
            String cwd,
            Capabilities capabilities,
            List<Rlimit> rlimits,
            boolean noNewPrivileges) {}

    /** The terminal's size when the process starts, set before it runs (so it never reads 0x0). */
    record ConsoleSize(int height, int width) {}

    record User(long uid, long gid, List<Integer> additionalGids) {}

    record Capabilities(List<String> bounding, List<String> effective, List<String> permitted) {}

    /** Limits are uint64 in the spec; unlimited is 2^64 - 1, which only an unsigned number can say. */
    record Rlimit(String type, java.math.BigInteger hard, java.math.BigInteger soft) {}

    record Root(String path, boolean readonly) {}

    record Mount(String destination, String type, String source, List<String> options) {}

    record Linux(
            List<Namespace> namespaces,
            Resources resources,
            List<String> maskedPaths,
            List<String> readonlyPaths,
            Seccomp seccomp) {}

    record Namespace(String type) {}

    record Resources(List<DeviceRule> devices) {}

    record DeviceRule(boolean allow, String access) {}

    record Seccomp(String defaultAction, List<String> architectures, List<SyscallRule> syscalls) {}

    record SyscallRule(List<String> names, String action, Integer errnoRet, List<SyscallArg> args) {}

    record SyscallArg(int index, long value, long valueTwo, String op) {}
}
