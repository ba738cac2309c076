package dev.kiln.engine.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The registry: an output's type name picks its exporter, which reads the output's attributes. */
class ExportersTest {

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ExportDefaults defaults =
            new ExportDefaults(stdout, List.of("app:1"), false, Optional.empty(), Map.of());

    @Test
    void eachTypeNamePicksItsOwnExporter() {
        assertThat(Exporters.types()).containsExactly("local", "tar", "image", "registry", "oci", "docker");

        assertThat(exporter("local", Map.of("dest", "out"))).isInstanceOf(LocalExporter.class);
        assertThat(exporter("tar", Map.of("dest", "out.tar"))).isInstanceOf(TarExporter.class);
        assertThat(exporter("image", Map.of())).isInstanceOf(ImageExporter.class);
        assertThat(exporter("registry", Map.of())).isInstanceOf(ImageExporter.class);
        assertThat(exporter("oci", Map.of("dest", "img.tar"))).isInstanceOf(OciExporter.class);
        assertThat(exporter("docker", Map.of("dest", "img.tar"))).isInstanceOf(DockerExporter.class);
    }

    @Test
    void registryIsAnImageThatIsPushedWithDockerMediaTypesAsBuildKitPushesIt() {
        assertThat(Exporters.resolve("registry", Map.of(), defaults))
                .isEqualTo(new ExportTarget.Image(List.of("app:1"), true, ImageOptions.dockerDefaults()));
        assertThat(Exporters.resolve("image", Map.of(), defaults))
                .isEqualTo(new ExportTarget.Image(List.of("app:1"), false, ImageOptions.dockerDefaults()));
        assertThat(Exporters.resolve("image", Map.of("oci-mediatypes", "true"), defaults))
                .isEqualTo(new ExportTarget.Image(List.of("app:1"), false, ImageOptions.defaults()));
    }

    @Test
    void buildKitsImageAttributesAreTaken() {
        Map<String, String> attrs = Map.of(
                "push", "true",
                "push-by-digest", "true",
                "name-canonical", "true",
                "store", "false",
                "unpack", "true",
                "insecure", "true",
                "rewrite-timestamp", "true",
                "oci-artifact", "true",
                "annotation-index.a", "b");

        ExportTarget.Image image = (ExportTarget.Image) Exporters.resolve("image", attrs, defaults);

        assertThat(image.pushByDigest()).isTrue();
        assertThat(image.options().insecureRegistry()).isTrue();
        assertThat(image.options().rewriteTimestamp()).isTrue();
        assertThat(image.options().ociMediaTypes()).isTrue();
        assertThat(((ExportTarget.OciArchive) Exporters.resolve("oci", Map.of("dest", "dir", "tar", "false"), defaults))
                        .destination())
                .isEqualTo(new ArchiveDestination.ToDirectory(Path.of("dir")));
        assertThatThrownBy(() -> Exporters.resolve("docker", Map.of("dest", "-", "tar", "false"), defaults))
                .hasMessage("tar=false writes a directory: give it as dest=DIR, not stdout");
        assertThatThrownBy(() -> Exporters.resolve("image", Map.of("store", "maybe"), defaults))
                .hasMessage("store=maybe: expected true or false");
    }

    /** As BuildKit's exporters parse them: Go's ParseBool, and an empty value is true. */
    @Test
    void flagsReadAsBuildKitsExportersReadThem() {
        ExportTarget.Image bare = (ExportTarget.Image)
                Exporters.resolve("image", Map.of("name", "a:1", "push", "", "push-by-digest", "1"), defaults);
        assertThat(bare.push()).isTrue();
        assertThat(bare.pushByDigest()).isTrue();
        assertThat(((ExportTarget.Image) Exporters.resolve("image", Map.of("name", "a:1", "push", "F"), defaults))
                        .push())
                .isFalse();
        assertThat(((ExportTarget.OciArchive) Exporters.resolve("oci", Map.of("dest", "img.tar", "tar", ""), defaults))
                        .destination())
                .isEqualTo(new ArchiveDestination.ToFile(Path.of("img.tar")));
        assertThat(((ExportTarget.OciArchive) Exporters.resolve("oci", Map.of("dest", "dir", "tar", "0"), defaults))
                        .destination())
                .isEqualTo(new ArchiveDestination.ToDirectory(Path.of("dir")));
        assertThat(Exporters.isLayoutDirectory("oci", Map.of("tar", "FALSE"))).isTrue();
        assertThat(Exporters.isLayoutDirectory("oci", Map.of("tar", ""))).isFalse();
        assertThat(Exporters.isLayoutDirectory("oci", Map.of())).isFalse();
        assertThat(Exporters.isLayoutDirectory("local", Map.of("tar", "false"))).isFalse();
        assertThatThrownBy(() -> Exporters.resolve("image", Map.of("name", "a:1", "push", "yes"), defaults))
                .hasMessage("push=yes: expected true or false");
    }

    @Test
    void exportersSayWhereTheOutputGoesAndWhetherItTakesStdout() {
        Path dir = Path.of("out").toAbsolutePath();

        assertThat(exporter("local", Map.of("dest", "out")).describe()).isEqualTo(dir.toString());
        assertThat(exporter("tar", Map.of("dest", "-")).describe()).isEqualTo("stdout (tar)");
        assertThat(exporter("image", Map.of("name", "a:1,b:1", "push", "true")).describe())
                .isEqualTo("a:1, b:1 (pushed)");
        assertThat(exporter("oci", Map.of("dest", "img.tar")).describe())
                .isEqualTo(Path.of("img.tar").toAbsolutePath() + " (oci)");
        assertThat(exporter("docker", Map.of("dest", "-")).describe()).isEqualTo("stdout (docker)");

        assertThat(exporter("tar", Map.of()).streams()).isTrue();
        assertThat(exporter("oci", Map.of("dest", "-")).streams()).isTrue();
        assertThat(exporter("oci", Map.of("dest", "img.tar")).streams()).isFalse();
        assertThat(exporter("local", Map.of("dest", "out")).streams()).isFalse();
        assertThat(exporter("registry", Map.of()).streams()).isFalse();
    }

    @Test
    void commandLineImageAttributesGoUnderTheOutputsOwn() {
        ExportDefaults annotated = new ExportDefaults(
                stdout,
                List.of(),
                false,
                Optional.empty(),
                Map.of("annotation.title", "from-flag", "annotation.team", "core"));

        ExportTarget.OciArchive oci = (ExportTarget.OciArchive)
                Exporters.resolve("oci", Map.of("dest", "img.tar", "annotation.title", "own"), annotated);

        assertThat(oci.options().manifestAnnotations())
                .containsEntry("title", "own")
                .containsEntry("team", "core");
        assertThat(Exporters.resolve("local", Map.of("dest", "out"), annotated))
                .isEqualTo(new ExportTarget.LocalDirectory(Path.of("out").toAbsolutePath()));
    }

    @Test
    void unknownTypesAndAttributesAreNamed() {
        assertThatThrownBy(() -> Exporters.resolve("webdav", Map.of(), defaults))
                .hasMessage("unknown type webdav (supported: local, tar, image, registry, oci, docker)");
        assertThatThrownBy(() -> Exporters.resolve("oci", Map.of("dest", "x", "push", "true"), defaults))
                .hasMessageStartingWith("unknown attribute push (known: ");
        assertThatThrownBy(() -> Exporters.resolve("image", Map.of("rewrite-timestamps", "true"), defaults))
                .hasMessageStartingWith("unknown attribute rewrite-timestamps (known: ")
                .hasMessageContaining("rewrite-timestamp, ");
        assertThatThrownBy(() -> Exporters.resolve("local", Map.of(), defaults)).hasMessage("needs dest=DIR");
    }

    private Exporter exporter(String type, Map<String, String> attrs) {
        return Exporters.resolve(type, attrs, defaults).exporter();
    }
}
