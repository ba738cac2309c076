package dev.kiln.maven;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.reflect.AccessFlag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the classes of a compiled project that have {@code public static void main(String[])}, as Jib infers the
 * main class when the POM names none. Read with the JDK's class-file API, so no class is loaded or run.
 */
final class MainClasses {

    private MainClasses() {}

    /** The binary names of the classes under {@code classes} with a main method, sorted. */
    static List<String> find(Path classes) throws IOException {
        if (!Files.isDirectory(classes)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> !p.getFileName().toString().equals("module-info.class"))
                    .sorted()
                    .toList();
        }
        List<String> found = new ArrayList<>();
        for (Path file : files) {
            ClassModel model;
            try {
                model = ClassFile.of().parse(Files.readAllBytes(file));
            } catch (IllegalArgumentException e) {
                continue; // not a class file the JDK reads: not the application's main class either
            }
            for (MethodModel method : model.methods()) {
                if (method.methodName().equalsString("main")
                        && method.methodType().equalsString("([Ljava/lang/String;)V")
                        && method.flags().has(AccessFlag.PUBLIC)
                        && method.flags().has(AccessFlag.STATIC)) {
                    found.add(model.thisClass().asInternalName().replace('/', '.'));
                    break;
                }
            }
        }
        return found;
    }
}
