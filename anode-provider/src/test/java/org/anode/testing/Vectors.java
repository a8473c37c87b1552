package org.anode.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the libanode reference vectors (one flat JSON object a line) from the test class path. */
public final class Vectors {
    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"([^\"]*)\"|(-?\\d+))");

    private Vectors() {}

    /** All vectors of one kind, each as field name to string value. */
    public static List<Map<String, String>> of(String kind) {
        List<Map<String, String>> out = new ArrayList<>();
        InputStream in = Vectors.class.getResourceAsStream("/libanode-reference.jsonl");
        if (in == null) {
            throw new IllegalStateException("libanode-reference.jsonl is not on the test class path");
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Map<String, String> m = new HashMap<>();
                Matcher mt = FIELD.matcher(line);
                while (mt.find()) {
                    m.put(mt.group(1), mt.group(3) != null ? mt.group(3) : mt.group(4));
                }
                if (kind.equals(m.get("kind"))) {
                    out.add(m);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no vectors of kind " + kind);
        }
        return out;
    }
}
