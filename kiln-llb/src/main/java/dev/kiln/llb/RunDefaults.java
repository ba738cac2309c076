package dev.kiln.llb;

import dev.kiln.core.GoPath;
import dev.kiln.core.Platform;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

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

    /**
     * These settings with some changed: {@code change} sets fields of a copy. One place builds the record from all
     * ten fields, so that no setter can pass two of its strings in each other's place.
     */
    RunDefaults with(Consumer<Settings> change) {
        Settings s = new Settings(this);
        change.accept(s);
        return new RunDefaults(
                s.env,
                s.dir,
                s.user,
                s.hostname,
                s.platform,
                s.network,
                s.security,
                s.extraHosts,
                s.ulimits,
                s.cgroupParent);
    }

    RunDefaults withEnv(String key, String value) {
        RunOption.Env.requireKey(key);
        LinkedHashMap<String, String> changed = new LinkedHashMap<>(env);
        changed.remove(key);
        changed.put(key, value);
        return with(s -> s.env = Collections.unmodifiableMap(changed));
    }

    /** A relative directory is resolved against the current one; an absolute one is kept as written. */
    RunDefaults withDir(String newDir) {
        String resolved = GoPath.isAbs(newDir) ? newDir : GoPath.join(dir.isEmpty() ? "/" : dir, newDir);
        return with(s -> s.dir = resolved);
    }

    RunDefaults withExtraHost(RunOption.ExtraHost host) {
        return with(s -> s.extraHosts = appended(extraHosts, host));
    }

    RunDefaults withUlimit(RunOption.Ulimit ulimit) {
        return with(s -> s.ulimits = appended(ulimits, ulimit));
    }

    private static <T> List<T> appended(List<T> list, T last) {
        List<T> longer = new ArrayList<>(list);
        longer.add(last);
        return List.copyOf(longer);
    }

    /** The fields of one {@link #with} change: a copy of the settings it starts from. */
    static final class Settings {
        Map<String, String> env;
        String dir;
        String user;
        String hostname;
        Platform platform;
        NetMode network;
        SecurityMode security;
        List<RunOption.ExtraHost> extraHosts;
        List<RunOption.Ulimit> ulimits;
        String cgroupParent;

        private Settings(RunDefaults from) {
            env = from.env;
            dir = from.dir;
            user = from.user;
            hostname = from.hostname;
            platform = from.platform;
            network = from.network;
            security = from.security;
            extraHosts = from.extraHosts;
            ulimits = from.ulimits;
            cgroupParent = from.cgroupParent;
        }
    }

    /** The environment as "KEY=value" entries, in order. */
    List<String> envList() {
        List<String> list = new ArrayList<>(env.size());
        env.forEach((key, value) -> list.add(key + "=" + value));
        return list;
    }
}
