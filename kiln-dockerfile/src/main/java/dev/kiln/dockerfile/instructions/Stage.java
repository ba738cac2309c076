package dev.kiln.dockerfile.instructions;

import java.util.List;

/**
 * A build stage: a FROM and the instructions up to the next FROM.
 *
 * @param from the FROM that starts it
 * @param commands the stage's instructions after FROM
 */
public record Stage(Instruction.From from, List<Instruction> commands) {

    public Stage {
        commands = List.copyOf(commands);
    }

    /** The name after AS, lower-cased; "" for an unnamed stage. */
    public String name() {
        return from.stageName();
    }
}
