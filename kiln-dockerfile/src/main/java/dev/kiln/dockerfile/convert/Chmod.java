package dev.kiln.dockerfile.convert;

import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.llb.CopyOption;
import java.util.regex.Pattern;

/** --chmod of COPY and ADD: octal ("0755", at most 07777) or symbolic as chmod(1) writes it ("u+x,go-w"). */
final class Chmod {

    private static final Pattern SYMBOLIC =
            Pattern.compile("^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*$");

    private Chmod() {}

    static CopyOption parse(String text) throws InstructionException {
        String octalError =
                "invalid chmod parameter: '" + text + "'. it should be octal string and between 0 and 07777";
        if (!text.isEmpty() && Character.isDigit(text.charAt(0))) {
            int bits;
            try {
                bits = Integer.parseInt(text, 8);
            } catch (NumberFormatException e) {
                throw new InstructionException(octalError);
            }
            if (bits > 07777) {
                throw new InstructionException(octalError);
            }
            return CopyOption.mode(bits);
        }
        if (!SYMBOLIC.matcher(text).matches()) {
            throw new InstructionException("invalid chmod parameter: '" + text
                    + "'. it should be an octal mode (0755) or a symbolic one (u+x,go-w)");
        }
        return CopyOption.mode(text);
    }
}
