package dev.kiln.cli;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A JVM class list ({@code -XX:DumpLoadedClassList}) in a form that depends only on which classes a run loaded, not
 * on when: {@code -Xshare:dump} writes the same archive for the same list, but a run's list orders the classes as
 * its threads happened to load them, and its {@code @cp} lines name the constant pool entries that were resolved by
 * then. The canonical list has the classes sorted by name and numbered in that order, then the lambda lines sorted;
 * it leaves out the {@code @cp} lines (the archive resolves fewer entries ahead of time), comments, and classes of
 * other class loaders (their lines point at other lines by number; a frontend's classes are the application
 * loader's).
 */
final class FrontendImageClassList {

    private FrontendImageClassList() {}

    static byte[] canonical(byte[] list) {
        TreeSet<String> classes = new TreeSet<>();
        TreeSet<String> lambdas = new TreeSet<>();
        for (String line : new String(list, StandardCharsets.UTF_8).split("\n")) {
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#") || text.startsWith("@cp ")) {
                continue;
            }
            if (text.startsWith("@")) {
                lambdas.add(text);
                continue;
            }
            String[] words = text.split(" ");
            // "name id: N" is a class of the boot, platform or application loader; more words are another loader's
            if (words.length == 3 && words[1].equals("id:")) {
                classes.add(words[0]);
            }
        }
        List<String> out = new ArrayList<>();
        int id = 0;
        for (String name : classes) {
            out.add(name + " id: " + id++);
        }
        out.addAll(lambdas);
        return (String.join("\n", out) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
