package dev.kiln.dockerfile.instructions;

import dev.kiln.dockerfile.shell.ShellException;

/** Expands one word of an instruction against the variables in scope where it runs. */
@FunctionalInterface
public interface Expander {

    String expand(String word) throws ShellException;
}
