package com.example.hello;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Prints its status as one line of JSON, then logs that it started. Everything it prints is deterministic. */
public final class HelloService {

    private static final Logger LOG = LoggerFactory.getLogger(HelloService.class);

    public static void main(String[] args) throws IOException {
        Map<String, Object> status = new TreeMap<>();
        status.put("service", "maven-app");
        status.put("greeting", Greeting.text());
        status.put("args", List.of(args));
        status.put("style", System.getenv().getOrDefault("GREETING_STYLE", "none"));
        status.put("message", message());
        Path state = Path.of("/var/lib/maven-app/state");
        status.put("state", Files.exists(state) ? Files.readString(state).strip() : "missing");
        System.out.println(new ObjectMapper().writeValueAsString(status));
        LOG.info("started");
    }

    private static String message() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = HelloService.class.getResourceAsStream("/app.properties")) {
            if (in != null) {
                properties.load(in);
            }
        }
        return properties.getProperty("message", "none");
    }
}
