package dev.kiln.gateway;

/** A terminal's size in character cells. */
public record WinSize(int rows, int cols) {

    public WinSize {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("terminal size must not be negative: " + rows + "x" + cols);
        }
    }
}
