package com.example.hello;

/** The service's greeting: the class kiln-maven-plugin's integration test changes to make a class-only change. */
final class Greeting {

    private Greeting() {}

    static String text() {
        return "hello from maven-app";
    }
}
