package org.anode.zone;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The zone file syntax of draft 2.1 as DECISIONS 10 reads it: a flat {@code key=value} dictionary.
 * This class knows only the syntax; {@link ZoneFile} adds the required keys and the zr entries.
 *
 * <p>Reading rules:
 * <ul>
 *   <li>CR and LF both end a line (so CRLF ends one line and leaves an empty one, which is ignored);
 *   <li>a line whose very first character is {@code ;} is a comment (a {@code ;} after leading
 *       spaces is not: the reference checks only the first character);
 *   <li>a backslash makes the next character literal, whatever it is: {@code \=}, {@code \\},
 *       {@code \;}, an escaped space or tab, and an escaped CR or LF, which continues the logical
 *       line and puts the line break into the key or value;
 *   <li>the first unescaped {@code =} splits key from value; later ones belong to the value;
 *   <li>unescaped spaces and tabs at either end of the key and of the value are trimmed; escaped
 *       ones are kept, which is what lets {@link #write} round-trip leading and trailing blanks;
 *   <li>lines holding nothing but unescaped spaces and tabs are blank and ignored;
 *   <li>a later duplicate key replaces the earlier value (the key keeps its first position).
 * </ul>
 *
 * <p>Where the spec is silent we are strict, because a zone file steers where a peer sends its
 * packets: a non-blank line without an unescaped {@code =}, an empty key, a backslash as the last
 * character of the file, an unpaired UTF-16 surrogate, malformed UTF-8, and anything beyond the
 * {@link ZoneFileLimits} are all rejected with a {@link ZoneFileException} naming the line. Keys
 * are case-sensitive. A UTF-8 byte order mark at the start of byte input is skipped.
 *
 * <p>Known differences from the libanode reader, all deliberate: it skips every {@code =} after
 * the first split ({@code a==b} gives it {@code b}, us {@code =b}; our writer escapes every
 * {@code =} so both readers agree on what we write), it trims escaped blanks too, and it treats a
 * line without {@code =} as a key with an empty value.
 */
public final class ZoneFileFormat {
    private ZoneFileFormat() {}

    /** Reads a zone file's entries with {@link ZoneFileLimits#DEFAULT}. */
    public static Map<String, String> read(CharSequence text) throws ZoneFileException {
        return read(text, ZoneFileLimits.DEFAULT);
    }

    /**
     * Reads a zone file's entries, in the order their keys first appeared.
     *
     * @return an unmodifiable map from key to value
     */
    public static Map<String, String> read(CharSequence text, ZoneFileLimits limits) throws ZoneFileException {
        return Collections.unmodifiableMap(readWithLines(text, limits).entries);
    }

    /**
     * Decodes zone file bytes as strict UTF-8 (draft 2.1 does not name a charset; UTF-8 is what a
     * modern HTTP server sends and is a superset of the ASCII the examples use).
     */
    public static String decode(byte[] data, ZoneFileLimits limits) throws ZoneFileException {
        if (data.length > limits.maxSize()) {
            throw new ZoneFileException(
                    0, "zone file is " + data.length + " bytes, more than the limit of " + limits.maxSize());
        }
        int off = 0;
        if (data.length >= 3 && (data[0] & 0xff) == 0xef && (data[1] & 0xff) == 0xbb && (data[2] & 0xff) == 0xbf) {
            off = 3;
        }
        CharsetDecoder dec = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = dec.decode(ByteBuffer.wrap(data, off, data.length - off));
            return chars.toString();
        } catch (CharacterCodingException e) {
            // Find the line for the message: count line breaks in the valid prefix.
            int line = lineOfFirstBadUtf8(data, off);
            throw new ZoneFileException(line, "zone file is not valid UTF-8", e);
        }
    }

    private static int lineOfFirstBadUtf8(byte[] data, int off) {
        CharsetDecoder dec = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(data.length);
        dec.decode(ByteBuffer.wrap(data, off, data.length - off), out, true);
        out.flip();
        return countLines(out, out.length());
    }

    /** 1-based line of position {@code end}, counting CR, LF and CRLF each as one break. */
    private static int countLines(CharSequence s, int end) {
        int line = 1;
        char prev = 0;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c == '\r' || (c == '\n' && prev != '\r')) {
                line++;
            }
            prev = c;
        }
        return line;
    }

    /** Entries and, for each key, the line its winning value started on. */
    static final class Parsed {
        final LinkedHashMap<String, String> entries = new LinkedHashMap<>();
        final Map<String, Integer> lines = new HashMap<>();
    }

    /** One side of a {@code key=value} line, trimming unescaped blanks at both ends as it goes. */
    private static final class Field {
        final StringBuilder sb = new StringBuilder();
        boolean started;
        int keep;

        void add(char c, boolean escaped) {
            boolean blank = !escaped && (c == ' ' || c == '\t');
            if (!started && blank) {
                return;
            }
            started = true;
            sb.append(c);
            if (!blank) {
                keep = sb.length();
            }
        }

        /** Length once trailing unescaped blanks are dropped; what the limits apply to. */
        int length() {
            return keep;
        }

        String finish() {
            sb.setLength(keep);
            return sb.toString();
        }
    }

    static Parsed readWithLines(CharSequence text, ZoneFileLimits limits) throws ZoneFileException {
        int n = text.length();
        if (n > limits.maxSize()) {
            throw new ZoneFileException(0, "zone file is " + n + " chars, more than the limit of " + limits.maxSize());
        }
        checkSurrogates(text);
        Parsed out = new Parsed();
        int i = 0;
        int line = 1;
        char prev = 0;
        while (i < n) {
            int startLine = line;
            char first = text.charAt(i);
            if (first == '\r' || first == '\n') {
                // Empty line: just consume the break.
                if (first == '\r' || prev != '\r') {
                    line++;
                }
                prev = first;
                i++;
                continue;
            }
            boolean comment = first == ';';
            Field key = new Field();
            Field value = null;
            while (i < n) {
                char c = text.charAt(i);
                boolean escaped = false;
                if (c == '\\') {
                    if (i + 1 >= n) {
                        throw new ZoneFileException(line, "backslash at the end of the file escapes nothing");
                    }
                    prev = c;
                    i++;
                    c = text.charAt(i);
                    escaped = true;
                    if (c == '\r' || (c == '\n' && prev != '\r')) {
                        line++;
                    }
                } else if (c == '\r' || c == '\n') {
                    break;
                }
                prev = c;
                i++;
                if (comment) {
                    continue;
                }
                if (!escaped && c == '=' && value == null) {
                    value = new Field();
                    continue;
                }
                if (value == null) {
                    key.add(c, escaped);
                    if (key.length() > limits.maxKeyLength()) {
                        throw new ZoneFileException(startLine, "key longer than " + limits.maxKeyLength() + " chars");
                    }
                } else {
                    value.add(c, escaped);
                    if (value.length() > limits.maxValueLength()) {
                        throw new ZoneFileException(
                                startLine,
                                "value of '" + printable(key.finish()) + "' longer than " + limits.maxValueLength()
                                        + " chars");
                    }
                }
            }
            if (comment) {
                continue;
            }
            if (value == null) {
                if (key.length() == 0) {
                    continue; // blank line (only unescaped spaces and tabs)
                }
                throw new ZoneFileException(
                        startLine, "no unescaped '=' between key and value in '" + printable(key.finish()) + "'");
            }
            String k = key.finish();
            if (k.isEmpty()) {
                throw new ZoneFileException(startLine, "empty key before '='");
            }
            String v = value.finish();
            if (!out.entries.containsKey(k) && out.entries.size() >= limits.maxEntries()) {
                throw new ZoneFileException(startLine, "more than " + limits.maxEntries() + " distinct keys");
            }
            out.entries.put(k, v);
            out.lines.put(k, startLine);
        }
        return out;
    }

    private static void checkSurrogates(CharSequence text) throws ZoneFileException {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new ZoneFileException(countLines(text, i), "unpaired UTF-16 surrogate");
            }
            if (Character.isLowSurrogate(c)) {
                throw new ZoneFileException(countLines(text, i), "unpaired UTF-16 surrogate");
            }
        }
    }

    /**
     * Writes entries in iteration order, one {@code key=value} per LF-terminated line, escaping
     * exactly what {@link #read} would otherwise change: backslashes, every {@code =} (so the
     * libanode reader agrees too), CR and LF, a {@code ;} that starts a key, and spaces and tabs at
     * either end of a key or value. Everything else, non-ASCII included, is written as is.
     *
     * @throws IllegalArgumentException if a key is empty, or a key or value is null or holds an
     *                                  unpaired UTF-16 surrogate
     */
    public static String write(Map<String, String> entries) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            checkWritable(k, v);
            escape(sb, k, true);
            sb.append('=');
            escape(sb, v, false);
            sb.append('\n');
        }
        return sb.toString();
    }

    static void checkWritable(String key, String value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("zone file keys and values must not be null");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("zone file keys must not be empty");
        }
        try {
            checkSurrogates(key);
            checkSurrogates(value);
        } catch (ZoneFileException ex) {
            throw new IllegalArgumentException(
                    "zone file key or value '" + printable(key) + "' holds an unpaired UTF-16 surrogate", ex);
        }
    }

    private static boolean blank(char c) {
        return c == ' ' || c == '\t';
    }

    private static void escape(StringBuilder sb, String s, boolean isKey) {
        int n = s.length();
        int lead = 0;
        while (lead < n && blank(s.charAt(lead))) {
            lead++;
        }
        int trail = n;
        while (trail > lead && blank(s.charAt(trail - 1))) {
            trail--;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean esc = c == '\\'
                    || c == '='
                    || c == '\r'
                    || c == '\n'
                    || (blank(c) && (i < lead || i >= trail))
                    || (isKey && i == 0 && c == ';');
            if (esc) {
                sb.append('\\');
            }
            sb.append(c);
        }
    }

    /** A short, single-line rendering of untrusted text for error messages. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        int max = Math.min(s.length(), 40);
        for (int i = 0; i < max; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        if (s.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }
}
