package dev.kiln.engine.gateway;

import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadDirRequest;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.StatRequest;
import dev.kiln.worker.ReadOnlyView;
import java.io.IOException;
import java.util.List;

/** The file reads of the gateway's Reference, on whatever view of the files a reference opens. */
final class ReferenceFiles {

    /** Opens the reference's files for reading; the caller closes the view. */
    @FunctionalInterface
    interface Opener {
        ReadOnlyView open() throws InterruptedException;
    }

    private ReferenceFiles() {}

    /** @param of what the reference is, for errors ("" to name nothing), e.g. " of the failed step's root" */
    static byte[] readFile(Opener files, ReadRequest request, String of) throws InterruptedException {
        try (ReadOnlyView view = files.open()) {
            return view.files()
                    .readFile(
                            request.filename(),
                            request.range() == null ? 0 : request.range().offset(),
                            request.range() == null ? -1 : request.range().length());
        } catch (IOException e) {
            throw new GatewayException("read " + request.filename() + of + ": " + e.getMessage(), e);
        }
    }

    static Stat statFile(Opener files, StatRequest request, String of) throws InterruptedException {
        try (ReadOnlyView view = files.open()) {
            return GatewayStats.of(view.files().stat(request.path()));
        } catch (IOException e) {
            throw new GatewayException("stat " + request.path() + of + ": " + e.getMessage(), e);
        }
    }

    static List<Stat> readDir(Opener files, ReadDirRequest request, String of) throws InterruptedException {
        try (ReadOnlyView view = files.open()) {
            return view.files().readDir(request.path(), request.includePattern()).stream()
                    .map(GatewayStats::of)
                    .toList();
        } catch (IOException e) {
            throw new GatewayException("read directory " + request.path() + of + ": " + e.getMessage(), e);
        }
    }
}
