package dev.kiln.core;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * A failure as a sentence a user can act on. The JDK's file-system exceptions often carry only the path as their
 * message ({@code /out/img} for "a file is where a directory must be"), which says where but not what; this adds the
 * what, as the C library's message would.
 */
public final class IoFailure {

    private IoFailure() {}

    public static String describe(Throwable failure) {
        if (failure instanceof FileSystemException fs && fs.getFile() != null) {
            String what = switch (fs) {
                case NoSuchFileException e -> "no such file or directory";
                case FileAlreadyExistsException e -> "a file already exists there";
                case NotDirectoryException e -> "not a directory";
                case DirectoryNotEmptyException e -> "directory not empty";
                case AccessDeniedException e -> "permission denied";
                case NotLinkException e -> "not a symbolic link";
                default ->
                    fs.getReason() != null ? fs.getReason() : fs.getClass().getSimpleName();
            };
            String reason = fs.getReason() != null && !fs.getReason().equals(what) ? " (" + fs.getReason() + ")" : "";
            return fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + what + reason;
        }
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }
}
