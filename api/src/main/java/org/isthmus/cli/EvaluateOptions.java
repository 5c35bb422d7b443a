package org.isthmus.cli;

import java.nio.file.Path;
import java.util.List;

/** The options of {@code evaluate}: {@code --checkpoint FILE [--data DIR]}. */
record EvaluateOptions(Path checkpoint, Path data) {

    static EvaluateOptions parse(List<String> args) {
        Path checkpoint = null;
        Path data = null;
        for (int i = 0; i < args.size(); i += 2) {
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(args.get(i) + " needs a value");
            }
            switch (args.get(i)) {
                case "--checkpoint" -> checkpoint = Path.of(args.get(i + 1));
                case "--data" -> data = Path.of(args.get(i + 1));
                default -> throw new IllegalArgumentException("unknown option " + args.get(i));
            }
        }
        if (checkpoint == null) {
            throw new IllegalArgumentException("evaluate needs --checkpoint FILE");
        }
        return new EvaluateOptions(checkpoint, data);
    }
}
