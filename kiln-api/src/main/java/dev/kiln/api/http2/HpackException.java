package dev.kiln.api.http2;

/** A header block that breaks RFC 7541: a COMPRESSION_ERROR that ends the connection. */
final class HpackException extends Exception {

    HpackException(String message) {
        super(message);
    }
}
