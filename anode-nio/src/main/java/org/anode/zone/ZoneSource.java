package org.anode.zone;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * One place a zone file can be read from (draft 2.1.1, DECISIONS 32): an {@code http}/{@code https}
 * URL, as the draft's DNS and IP URLs are, or a local file an application configured for its zone.
 *
 * <p>{@link #parse} reads the form used on command lines and in configuration files: a string with
 * an {@code http:} or {@code https:} scheme is a URL, a {@code file:} URI or anything else is a
 * local path.
 */
public sealed interface ZoneSource {

    /**
     * A zone file served over HTTP(S), as the draft's URLs are (draft 2.1.1).
     *
     * @param uri an absolute {@code http} or {@code https} URI with a host
     */
    record Url(URI uri) implements ZoneSource {
        public Url {
            Objects.requireNonNull(uri, "uri");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "a zone file URL must be an absolute http or https URI with a" + " host: " + uri);
            }
        }

        @Override
        public String toString() {
            return uri.toString();
        }
    }

    /**
     * A zone file on the local file system, configured by the application (DECISIONS 32).
     *
     * @param path where the file is; it is read again each time the cached copy expires
     */
    record LocalFile(Path path) implements ZoneSource {
        public LocalFile {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /** A URL source. */
    static ZoneSource url(URI uri) {
        return new Url(uri);
    }

    /** A local file source. */
    static ZoneSource file(Path path) {
        return new LocalFile(path);
    }

    /**
     * Parses a URL or a path: {@code http://...} and {@code https://...} give a {@link Url},
     * {@code file:...} and anything else a {@link LocalFile}.
     *
     * @throws IllegalArgumentException if the text is empty, an unusable URL, or not a valid path
     */
    static ZoneSource parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty zone file source");
        }
        String lower = t.toLowerCase(Locale.ROOT);
        try {
            if (lower.startsWith("http:") || lower.startsWith("https:")) {
                return new Url(new URI(t));
            }
            if (lower.startsWith("file:")) {
                return new LocalFile(Path.of(new URI(t)));
            }
            return new LocalFile(Path.of(t));
        } catch (URISyntaxException | InvalidPathException e) {
            throw new IllegalArgumentException("not a zone file URL or path: '" + t + "': " + e.getMessage(), e);
        }
    }
}
