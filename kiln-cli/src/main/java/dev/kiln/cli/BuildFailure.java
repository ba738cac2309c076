package dev.kiln.cli;

import dev.kiln.api.SolveErrorDetails;
import dev.kiln.engine.gateway.FailedSource;
import java.io.PrintStream;
import java.util.Optional;

/**
 * What {@code kiln build} prints of a failed build, in this process or through the daemon alike: the Dockerfile lines
 * of the failed step framed, as buildctl draws them from the error's source, then the error's message.
 */
final class BuildFailure {

    private BuildFailure() {}

    /** A build the embedded engine failed: the source rides in the failure's causes. */
    static void printEmbedded(PrintStream err, Throwable failure) {
        print(err, failure.getMessage(), FailedSource.in(failure));
    }

    /** A build the daemon failed: the source rides in the status's details, which {@code failure} carries. */
    static void printRemote(PrintStream err, String message, Throwable failure) {
        print(
                err,
                message,
                SolveErrorDetails.sourceOf(failure)
                        .map(source -> new FailedSource(source.getInfo(), source.getRangesList())));
    }

    private static void print(PrintStream err, String message, Optional<FailedSource> source) {
        source.map(FailedSource::framed).filter(text -> !text.isEmpty()).ifPresent(err::print);
        err.println("kiln: build failed: " + message);
    }
}
