package dev.kiln.llb;

import dev.kiln.core.GoPath;
import dev.kiln.core.Platform;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings a state carries for the run steps made from it: environment, working directory,
 * user, and so on. Kept in the state, not in any op, until a run step uses them.
 *
 * @param env in BuildKit's order: a variable set again moves to the end
 * @param platform null until a source or a call sets one
 */
record RunDefaults(
        Map<String, String> env,
        String dir,
        String user,
        String hostname,
        Platform platform,
        NetMode network,
        SecurityMode security,
        List<RunOption.ExtraHost> extraHosts,
        List<RunOption.Ulimit> ulimits,
        String cgroupParent) {

    static final RunDefaults INITIAL = new RunDefaults(
            Map.of(), "/", "", "", null, NetMode.SANDBOX, SecurityMode.SANDBOX, List.of(), List.of(), "");

    RunDefaults withEnv(String key, String value) {
        RunOption.Env.requireKey(key);
        LinkedHashMap<String, String> changed = new LinkedHashMap<>(env);
        changed.remove(key);
        changed.put(key, value);
        return new RunDefaults(
                Collections.unmodifiableMap(changed),
                dir,
                user,
                hostname,
                platform,
                network,
                security,
                extraHosts,
                ulimits,
                cgroupParent);
    }

    /** A relative directory is resolved against the current one; an absolute one is kept as written. */
    RunDefaults withDir(String newDir) {
        String resolved = GoPath.isAbs(newDir) ? newDir : GoPath.join(dir.isEmpty() ? "/" : dir, newDir);
        return new RunDefaults(
                env, resolved, user, hostname, platform, network, security, extraHosts, ulimits, cgroupParent);
    }

    RunDefaults withUser(String newUser) {
        return new RunDefaults(
                env, dir, newUser, hostname, platform, network, security, extraHosts, ulimits, cgroupParent);
    }

    RunDefaults withHostname(String newHostname) {
        return new RunDefaults(
                env, dir, user, newHostname, platform, network, security, extraHosts, ulimits, cgroupParent);
    }

    RunDefaults withPlatform(Platform newPlatform) {
        return new RunDefaults(
                env, dir, user, hostname, newPlatform, network, security, extraHosts, ulimits, cgroupParent);
    }

    RunDefaults withNetwork(NetMode newNetwork) {
        return new RunDefaults(
                env, dir, user, hostname, platform, newNetwork, security, extraHosts, ulimits, cgroupParent);
    }

    RunDefaults withSecurity(SecurityMode newSecurity) {
        return new RunDefaults(
                env, dir, user, hostname, platform, network, newSecurity, extraHosts, ulimits, cgroupParent);
    }

    RunDefaults withExtraHost(RunOption.ExtraHost host) {
        List<RunOption.ExtraHost> hosts = new ArrayList<>(extraHosts);
        hosts.add(host);
        return new RunDefaults(
                env, dir, user, hostname, platform, network, security, List.copyOf(hosts), ulimits, cgroupParent);
    }

    RunDefaults withUlimit(RunOption.Ulimit ulimit) {
        List<RunOption.Ulimit> limits = new ArrayList<>(ulimits);
        limits.add(ulimit);
        return new RunDefaults(
                env, dir, user, hostname, platform, network, security, extraHosts, List.copyOf(limits), cgroupParent);
    }

    RunDefaults withCgroupParent(String parent) {
        return new RunDefaults(env, dir, user, hostname, platform, network, security, extraHosts, ulimits, parent);
    }

    /** The environment as "KEY=value" entries, in order. */
    List<String> envList() {
        List<String> list = new ArrayList<>(env.size());
        env.forEach((key, value) -> list.add(key + "=" + value));
        return list;
    }
}
