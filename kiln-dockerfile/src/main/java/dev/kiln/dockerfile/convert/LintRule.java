package dev.kiln.dockerfile.convert;

import java.util.Locale;

/** The build checks BuildKit's Dockerfile frontend runs, by their names (which {@code # check=skip=} uses). */
public enum LintRule {
    STAGE_NAME_CASING("StageNameCasing", "Stage names should be lowercase"),
    FROM_AS_CASING("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword"),
    NO_EMPTY_CONTINUATION("NoEmptyContinuation", "Empty continuation lines will become errors in a future release"),
    CONSISTENT_INSTRUCTION_CASING(
            "ConsistentInstructionCasing",
            "All commands within the Dockerfile should use the same casing (either upper or lower)"),
    DUPLICATE_STAGE_NAME("DuplicateStageName", "Stage names should be unique"),
    RESERVED_STAGE_NAME("ReservedStageName", "Reserved words should not be used as stage names"),
    JSON_ARGS_RECOMMENDED(
            "JSONArgsRecommended",
            "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals"),
    MAINTAINER_DEPRECATED(
            "MaintainerDeprecated",
            "The MAINTAINER instruction is deprecated, use a label instead to define an image author"),
    UNDEFINED_ARG_IN_FROM("UndefinedArgInFrom", "FROM command must use declared ARGs"),
    WORKDIR_RELATIVE_PATH(
            "WorkdirRelativePath",
            "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes"),
    UNDEFINED_VAR("UndefinedVar", "Variables should be defined before their use"),
    MULTIPLE_INSTRUCTIONS_DISALLOWED(
            "MultipleInstructionsDisallowed",
            "Multiple instructions of the same type should not be used in the same stage"),
    LEGACY_KEY_VALUE_FORMAT(
            "LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used"),
    INVALID_BASE_IMAGE_PLATFORM(
            "InvalidBaseImagePlatform", "Base image platform does not match expected target platform"),
    REDUNDANT_TARGET_PLATFORM(
            "RedundantTargetPlatform",
            "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"),
    SECRETS_USED_IN_ARG_OR_ENV("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands"),
    INVALID_DEFAULT_ARG_IN_FROM(
            "InvalidDefaultArgInFrom", "Default value for global ARG results in an empty or invalid base image name"),
    FROM_PLATFORM_FLAG_CONST_DISALLOWED(
            "FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value"),
    EXPOSE_PROTO_CASING("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase"),
    EXPOSE_INVALID_FORMAT(
            "ExposeInvalidFormat",
            "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release");

    private final String ruleName;
    private final String description;
    private final String url;

    /** Docker's page for a rule is named like its constant, in lower case with dashes; one rule has no page. */
    LintRule(String ruleName, String description) {
        this.ruleName = ruleName;
        this.description = description;
        this.url = ruleName.equals("InvalidBaseImagePlatform")
                ? ""
                : "https://docs.docker.com/go/dockerfile/rule/"
                        + name().toLowerCase(Locale.ROOT).replace('_', '-') + "/";
    }

    public String ruleName() {
        return ruleName;
    }

    public String description() {
        return description;
    }

    public String url() {
        return url;
    }
}
