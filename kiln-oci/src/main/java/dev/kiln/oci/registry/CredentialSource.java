package dev.kiln.oci.registry;

import java.io.IOException;
import java.util.Optional;

/** Where a registry client finds credentials, by registry host as image references name it ("docker.io"). */
@FunctionalInterface
public interface CredentialSource {

    /** No credentials for any registry: anonymous access only. */
    CredentialSource ANONYMOUS = none("no credential source (anonymous access)");

    /** A source that has no credentials for any registry, described in messages as {@code description}. */
    static CredentialSource none(String description) {
        return new CredentialSource() {
            @Override
            public Optional<Credentials> find(String registry) {
                return Optional.empty();
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }

    Optional<Credentials> find(String registry) throws IOException;

    /** Where credentials are looked for, for messages such as "no credentials for X in ...". */
    default String describe() {
        return "the configured credential source";
    }
}
