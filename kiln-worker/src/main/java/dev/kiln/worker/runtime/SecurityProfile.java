package dev.kiln.worker.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@link SecurityMode} means in spec terms: capabilities, seccomp, masked and read-only paths. */
final class SecurityProfile {
    /** Docker's default set: enough to install packages and run services, nothing that reaches the host. */
    static final List<String> DEFAULT_CAPABILITIES = List.of(
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_FSETID",
            "CAP_FOWNER",
            "CAP_MKNOD",
            "CAP_NET_RAW",
            "CAP_SETGID",
            "CAP_SETUID",
            "CAP_SETFCAP",
            "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT",
            "CAP_KILL",
            "CAP_AUDIT_WRITE");

    /** Every capability up to CAP_CHECKPOINT_RESTORE (40), in bit order. */
    static final List<String> ALL_CAPABILITIES = List.of(
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER",
            "CAP_FSETID",
            "CAP_KILL",
            "CAP_SETGID",
            "CAP_SETUID",
            "CAP_SETPCAP",
            "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST",
            "CAP_NET_ADMIN",
            "CAP_NET_RAW",
            "CAP_IPC_LOCK",
            "CAP_IPC_OWNER",
            "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO",
            "CAP_SYS_CHROOT",
            "CAP_SYS_PTRACE",
            "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN",
            "CAP_SYS_BOOT",
            "CAP_SYS_NICE",
            "CAP_SYS_RESOURCE",
            "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG",
            "CAP_MKNOD",
            "CAP_LEASE",
            "CAP_AUDIT_WRITE",
            "CAP_AUDIT_CONTROL",
            "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE",
            "CAP_MAC_ADMIN",
            "CAP_SYSLOG",
            "CAP_WAKE_ALARM",
            "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ",
            "CAP_PERFMON",
            "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE");

    static final List<String> MASKED_PATHS = List.of(
            "/proc/asound",
            "/proc/acpi",
            "/proc/kcore",
            "/proc/keys",
            "/proc/latency_stats",
            "/proc/timer_list",
            "/proc/timer_stats",
            "/proc/sched_debug",
            "/proc/scsi",
            "/sys/firmware",
            "/sys/devices/virtual/powercap");

    static final List<String> READONLY_PATHS =
            List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    /**
     * Syscalls a sandboxed build has no business making: they load code into the kernel, change the host (time,
     * swap, reboot, accounting), mount or switch namespaces, or open side doors (keyrings, bpf, handles, perf).
     * Docker's profile refuses the same ones to a container without the matching capabilities.
     */
    private static final List<String> REFUSED_SYSCALLS = List.of(
            "acct",
            "add_key",
            "bpf",
            "clock_adjtime",
            "clock_settime",
            "create_module",
            "delete_module",
            "finit_module",
            "fsconfig",
            "fsmount",
            "fsopen",
            "fspick",
            "get_kernel_syms",
            "init_module",
            "ioperm",
            "iopl",
            "kcmp",
            "kexec_file_load",
            "kexec_load",
            "keyctl",
            "lookup_dcookie",
            "mount",
            "mount_setattr",
            "move_mount",
            "name_to_handle_at",
            "nfsservctl",
            "open_by_handle_at",
            "open_tree",
            "perf_event_open",
            "pivot_root",
            "quotactl",
            "reboot",
            "request_key",
            "setns",
            "settimeofday",
            "stime",
            "swapoff",
            "swapon",
            "sysfs",
            "_sysctl",
            "umount",
            "umount2",
            "unshare",
            "uselib",
            "userfaultfd",
            "ustat",
            "vm86",
            "vm86old");

    /** CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET. */
    private static final long[] NAMESPACE_FLAGS = {
        0x00020000L, 0x02000000L, 0x04000000L, 0x08000000L, 0x10000000L, 0x20000000L, 0x40000000L
    };

    private static final int EPERM = 1;
    private static final int ENOSYS = 38;

    private SecurityProfile() {}

    static OciSpec.Capabilities capabilities(SecurityMode mode) {
        List<String> set = mode == SecurityMode.INSECURE ? hostCapabilities() : DEFAULT_CAPABILITIES;
        return new OciSpec.Capabilities(set, set, set);
    }

    /**
     * "All capabilities" can only mean all that Kiln's own process may pass on: its bounding set, which a VM or an
     * outer container may have trimmed. Asking for more makes the runtime fail.
     */
    static List<String> hostCapabilities() {
        long bounding = ownBoundingSet();
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < ALL_CAPABILITIES.size(); bit++) {
            if ((bounding & (1L << bit)) != 0) {
                names.add(ALL_CAPABILITIES.get(bit));
            }
        }
        return List.copyOf(names);
    }

    private static long ownBoundingSet() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) {
                    return Long.parseUnsignedLong(
                            line.substring("CapBnd:".length()).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: without /proc, claim the full set and let the runtime say what is missing
        }
        return -1L;
    }

    static OciSpec.Seccomp seccomp(SecurityMode mode) {
        if (mode == SecurityMode.INSECURE) {
            return null;
        }
        List<OciSpec.SyscallRule> rules = new ArrayList<>();
        rules.add(new OciSpec.SyscallRule(REFUSED_SYSCALLS, "SCMP_ACT_ERRNO", EPERM, null));
        for (long flag : NAMESPACE_FLAGS) {
            rules.add(new OciSpec.SyscallRule(
                    List.of("clone"),
                    "SCMP_ACT_ERRNO",
                    EPERM,
                    List.of(new OciSpec.SyscallArg(0, flag, flag, "SCMP_CMP_MASKED_EQ"))));
        }
        // clone3 passes its flags in memory, out of a filter's reach; ENOSYS makes libc fall back to clone
        rules.add(new OciSpec.SyscallRule(List.of("clone3"), "SCMP_ACT_ERRNO", ENOSYS, null));
        return new OciSpec.Seccomp("SCMP_ACT_ALLOW", architectures(), rules);
    }

    /** The native architecture and the 32-bit ones its kernel also runs, so a filter cannot be bypassed through them. */
    private static List<String> architectures() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "aarch64", "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            case "riscv64" -> List.of("SCMP_ARCH_RISCV64");
            case "ppc64le" -> List.of("SCMP_ARCH_PPC64LE");
            default -> List.of();
        };
    }

    static List<String> maskedPaths(SecurityMode mode) {
        return mode == SecurityMode.INSECURE ? List.of() : MASKED_PATHS;
    }

    static List<String> readonlyPaths(SecurityMode mode) {
        return mode == SecurityMode.INSECURE ? List.of() : READONLY_PATHS;
    }
}
