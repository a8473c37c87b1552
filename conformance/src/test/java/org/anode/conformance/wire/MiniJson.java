package org.anode.conformance.wire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Just enough JSON for the published conformance files: a strict parser (objects, arrays,
 * strings with the standard escapes, integers, true/false/null) and a validator for the subset
 * of JSON Schema 2020-12 their schemas use (type, const, pattern, required, properties,
 * additionalProperties false, oneOf, minimum, maximum). An unknown schema keyword fails, so a
 * schema cannot silently say more than is checked.
 */
final class MiniJson {
    private final String s;
    private int i;

    private MiniJson(String s) {
        this.s = s;
    }

    static Object parse(String text) {
        MiniJson p = new MiniJson(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) {
            throw p.error("trailing characters");
        }
        return v;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at offset " + i);
    }

    private void ws() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        if (c == '{') {
            i++;
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            if (s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                ws();
                if (m.put(k, value()) != null) {
                    throw error("duplicate key " + k);
                }
                ws();
                if (s.charAt(i) == ',') {
                    i++;
                } else {
                    expect('}');
                    return m;
                }
            }
        }
        if (c == '[') {
            i++;
            List<Object> l = new ArrayList<>();
            ws();
            if (s.charAt(i) == ']') {
                i++;
                return l;
            }
            while (true) {
                ws();
                l.add(value());
                ws();
                if (s.charAt(i) == ',') {
                    i++;
                } else {
                    expect(']');
                    return l;
                }
            }
        }
        if (c == '"') {
            return string();
        }
        for (String lit : new String[] {"true", "false", "null"}) {
            if (s.startsWith(lit, i)) {
                i += lit.length();
                return lit.equals("null") ? null : Boolean.valueOf(lit);
            }
        }
        int start = i;
        if (c == '-') {
            i++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == start || (i == start + 1 && c == '-')) {
            throw error("unexpected character '" + c + "'");
        }
        return Long.parseLong(s.substring(start, i));
    }

    private void expect(char c) {
        if (i >= s.length() || s.charAt(i) != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    /** Validation errors of {@code v} against {@code schema} (empty: valid). */
    @SuppressWarnings("unchecked")
    static List<String> validate(Object v, Map<String, Object> schema, String at) {
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, Object> e : schema.entrySet()) {
            Object arg = e.getValue();
            switch (e.getKey()) {
                case "$schema", "$id", "title", "description" -> {}
                case "type" -> {
                    boolean ok = switch ((String) arg) {
                        case "object" -> v instanceof Map;
                        case "string" -> v instanceof String;
                        case "integer" -> v instanceof Long;
                        default -> throw new IllegalArgumentException("unsupported type " + arg);
                    };
                    if (!ok) {
                        errors.add(at + ": not of type " + arg);
                    }
                }
                case "const" -> {
                    if (!arg.equals(v)) {
                        errors.add(at + ": not " + arg);
                    }
                }
                case "pattern" -> {
                    if (v instanceof String str
                            && !Pattern.compile((String) arg).matcher(str).find()) {
                        errors.add(at + ": does not match " + arg);
                    }
                }
                case "minimum" -> {
                    if (v instanceof Long n && n < (Long) arg) {
                        errors.add(at + ": below " + arg);
                    }
                }
                case "maximum" -> {
                    if (v instanceof Long n && n > (Long) arg) {
                        errors.add(at + ": above " + arg);
                    }
                }
                case "required" -> {
                    if (v instanceof Map<?, ?> m) {
                        for (Object k : (List<Object>) arg) {
                            if (!m.containsKey(k)) {
                                errors.add(at + ": missing " + k);
                            }
                        }
                    }
                }
                case "properties" -> {
                    if (v instanceof Map<?, ?> m) {
                        for (Map.Entry<String, Object> p : ((Map<String, Object>) arg).entrySet()) {
                            if (m.containsKey(p.getKey())) {
                                errors.addAll(validate(
                                        m.get(p.getKey()), (Map<String, Object>) p.getValue(), at + "." + p.getKey()));
                            }
                        }
                    }
                }
                case "additionalProperties" -> {
                    if (!Boolean.FALSE.equals(arg)) {
                        throw new IllegalArgumentException("only additionalProperties false is supported");
                    }
                    if (v instanceof Map<?, ?> m) {
                        Map<String, Object> props = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
                        for (Object k : m.keySet()) {
                            if (!props.containsKey(k)) {
                                errors.add(at + ": unexpected property " + k);
                            }
                        }
                    }
                }
                case "oneOf" -> {
                    int matches = 0;
                    for (Object alt : (List<Object>) arg) {
                        if (validate(v, (Map<String, Object>) alt, at).isEmpty()) {
                            matches++;
                        }
                    }
                    if (matches != 1) {
                        errors.add(at + ": matches " + matches + " of the oneOf alternatives, not 1");
                    }
                }
                default -> throw new IllegalArgumentException("unsupported schema keyword " + e.getKey());
            }
        }
        return errors;
    }
}
