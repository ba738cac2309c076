package dev.kiln.cli.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.LambdaObserver;
import dev.kiln.api.sshforward.CheckAgentRequest;
import dev.kiln.api.sshforward.CheckAgentResponse;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CheckAgent answers for the agents given with --ssh, and names an unset one as BuildKit does. */
class SshServiceTest {

    private final SshService service = new SshService(Map.of("default", Path.of("/run/agent.sock")));

    /** What the call heard: its answers, then "completed" or the error's status. */
    private List<Object> check(String id) {
        List<Object> heard = new ArrayList<>();
        service.checkAgent(
                CheckAgentRequest.newBuilder().setID(id).build(),
                new LambdaObserver<CheckAgentResponse>(
                        heard::add, error -> heard.add(Status.fromThrowable(error)), () -> heard.add("completed")));
        return heard;
    }

    @Test
    void aGivenAgentAndTheDefaultForAnEmptyIdAnswer() {
        assertThat(check("default")).containsExactly(CheckAgentResponse.getDefaultInstance(), "completed");
        assertThat(check("")).containsExactly(CheckAgentResponse.getDefaultInstance(), "completed");
    }

    @Test
    void anUnsetAgentIsNotFoundNamingIt() {
        List<Object> heard = check("deploy");

        assertThat(heard).hasSize(1);
        Status status = (Status) heard.getFirst();
        assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status.getDescription()).isEqualTo("unset ssh forward key deploy");
    }
}
