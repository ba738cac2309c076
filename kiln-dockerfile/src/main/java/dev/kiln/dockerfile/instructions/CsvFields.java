package dev.kiln.dockerfile.instructions;

import java.util.ArrayList;
import java.util.List;

/** One line of comma-separated values, as {@code --mount} and {@code add-hosts} are written; "..." quotes a field. */
public final class CsvFields {

    private CsvFields() {}

    public static List<String> split(String line) throws InstructionException {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (true) {
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= line.length()) {
                        throw new InstructionException("extraneous or missing \" in quoted-field");
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        if (i < line.length() && line.charAt(i) == '"') {
                            field.append('"');
                            i++;
                            continue;
                        }
                        break;
                    }
                    field.append(c);
                }
                if (i < line.length() && line.charAt(i) != ',') {
                    throw new InstructionException("extraneous or missing \" in quoted-field");
                }
            } else {
                while (i < line.length() && line.charAt(i) != ',') {
                    field.append(line.charAt(i++));
                }
            }
            fields.add(field.toString());
            field.setLength(0);
            if (i >= line.length()) {
                return fields;
            }
            i++;
        }
    }
}
