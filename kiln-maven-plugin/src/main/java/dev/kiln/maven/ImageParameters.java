package dev.kiln.maven;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plugin's configuration as Maven fills it in from the POM: mutable beans with Jib's element names
 * ({@code <from>}, {@code <to>}, {@code <container>}, {@code <extraDirectories>}), so a Jib configuration moves
 * over unchanged. Nothing here is checked; {@link ImagePlan} reads these into checked values and names the element
 * at fault.
 */
public final class ImageParameters {

    private ImageParameters() {}

    /** {@code <from>}: the base image, its credentials and the platforms to build for. */
    public static final class From {
        String image;
        Auth auth;
        List<PlatformSpec> platforms = new ArrayList<>();
    }

    /** {@code <to>}: the image's name, more tags, and credentials for its registry. */
    public static final class To {
        String image;
        List<String> tags = new ArrayList<>();
        Auth auth;
    }

    /** {@code <auth>}: a user name and password given in the POM (settings.xml or docker's config are better). */
    public static final class Auth {
        String username;
        String password;
    }

    /** {@code <platform>}: one platform of {@code <from><platforms>}. */
    public static final class PlatformSpec {
        String os;
        String architecture;
        String variant;
    }

    /** {@code <container>}: how the image runs the application. */
    public static final class Container {
        String mainClass;
        List<String> jvmFlags = new ArrayList<>();
        List<String> args;
        List<String> entrypoint;
        List<String> ports = new ArrayList<>();
        Map<String, String> labels = new LinkedHashMap<>();
        Map<String, String> environment = new LinkedHashMap<>();
        String user;
        String workingDirectory;
        String creationTime;
        String filesModificationTime;
        String format;
        String appRoot;
    }

    /** {@code <extraDirectories>}: directories copied into the image, with permissions and owners per file. */
    public static final class ExtraDirectories {
        List<ExtraDirectory> paths = new ArrayList<>();
        List<Permission> permissions = new ArrayList<>();
        List<Ownership> ownerships = new ArrayList<>();
    }

    /**
     * {@code <path>}: a directory given as text ({@code <path>src/main/extra</path>}, copied to /) or as
     * {@code <from>}, {@code <into>}, {@code <includes>}, {@code <excludes>}.
     */
    public static final class ExtraDirectory {
        File from;
        String into = "/";
        List<String> includes = new ArrayList<>();
        List<String> excludes = new ArrayList<>();

        /** Maven calls this for the text form, as Jib's configuration allows. */
        public void set(File directory) {
            this.from = directory;
        }
    }

    /** {@code <permission>}: the mode of the files whose path in the image matches {@code file} (a glob). */
    public static final class Permission {
        String file;
        String mode;
    }

    /** {@code <ownership>}: the owner ("uid:gid", "user" or "user:group") of the files matching {@code file}. */
    public static final class Ownership {
        String file;
        String owner;
    }
}
