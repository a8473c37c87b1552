package org.anode.conformance.provider;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The libanode reference vectors (conformance/src/test/resources/libanode-reference.jsonl): one flat
 * JSON object a line, every value a string or an integer.
 */
final class ReferenceVectors {
    static final String RESOURCE = "/libanode-reference.jsonl";
    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"([^\"]*)\"|(-?\\d+))");
    private static final List<Map<String, String>> ALL = load();

    private ReferenceVectors() {}

    private static List<Map<String, String>> load() {
        InputStream in = ReferenceVectors.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new IllegalStateException(RESOURCE + " is not on the test class path");
        }
        List<Map<String, String>> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, String> m = new LinkedHashMap<>();
                Matcher mt = FIELD.matcher(line);
                while (mt.find()) {
                    m.put(mt.group(1), mt.group(3) != null ? mt.group(3) : mt.group(4));
                }
                if (!m.containsKey("kind")) {
                    throw new IllegalStateException("vector line without a kind: " + line);
                }
                out.add(Collections.unmodifiableMap(m));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableList(out);
    }

    static List<Map<String, String>> all() {
        return ALL;
    }

    static List<Map<String, String>> of(String kind) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, String> m : ALL) {
            if (kind.equals(m.get("kind"))) {
                out.add(m);
            }
        }
        return out;
    }
}
