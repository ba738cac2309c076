package dev.kiln.dockerfile.instructions;

import dev.kiln.dockerfile.parser.Node;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import java.util.ArrayList;
import java.util.List;

/**
 * A Dockerfile's instructions grouped into stages, with the ARGs before the first FROM (global ARGs) apart.
 *
 * @param metaArgs the ARG instructions before the first FROM
 * @param stages the stages in order
 */
public record DockerfileStages(List<Instruction.Arg> metaArgs, List<Stage> stages) {

    public DockerfileStages {
        metaArgs = List.copyOf(metaArgs);
        stages = List.copyOf(stages);
    }

    /**
     * Interprets every instruction of {@code parsed}.
     *
     * @throws dev.kiln.dockerfile.DockerfileException at the first instruction that is not valid
     */
    public static DockerfileStages of(ParsedDockerfile parsed) {
        List<Instruction.Arg> metaArgs = new ArrayList<>();
        List<Instruction.From> froms = new ArrayList<>();
        List<List<Instruction>> bodies = new ArrayList<>();
        for (Node node : parsed.nodes()) {
            Instruction instruction;
            try {
                instruction = InstructionParser.parse(node);
            } catch (InstructionException e) {
                throw parsed.source().instructionError(node.startLine(), node.endLine(), e.getMessage());
            }
            switch (instruction) {
                case Instruction.From from -> {
                    froms.add(from);
                    bodies.add(new ArrayList<>());
                }
                case Instruction.Arg arg when froms.isEmpty() -> metaArgs.add(arg);
                default -> {
                    if (froms.isEmpty()) {
                        throw parsed.source()
                                .error(node.startLine(), node.endLine(), "no build stage in current context");
                    }
                    bodies.getLast().add(instruction);
                }
            }
        }
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < froms.size(); i++) {
            stages.add(new Stage(froms.get(i), bodies.get(i)));
        }
        return new DockerfileStages(metaArgs, stages);
    }
}
