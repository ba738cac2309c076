package dev.kiln.llb;

import java.util.ArrayList;
import java.util.List;

/** Splits a command line into words the way a POSIX shell would, without expanding anything. */
final class Shlex {

    private Shlex() {}

    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else if (c == '#' && !inWord) {
                int newline = line.indexOf('\n', i);
                i = newline < 0 ? line.length() : newline;
            } else if (c == '\\') {
                if (++i >= line.length()) {
                    throw new IllegalArgumentException("command line ends with an unfinished escape: " + line);
                }
                word.append(line.charAt(i));
                inWord = true;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed single quote at position " + i + " in: " + line);
                }
                word.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                int j = i + 1;
                while (j < line.length() && line.charAt(j) != '"') {
                    if (line.charAt(j) == '\\' && j + 1 < line.length()) {
                        j++;
                    }
                    word.append(line.charAt(j));
                    j++;
                }
                if (j >= line.length()) {
                    throw new IllegalArgumentException("unclosed double quote at position " + i + " in: " + line);
                }
                i = j;
                inWord = true;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
