package org.anode.zone;

/**
 * Bounds applied while reading a zone file (draft 2.1) so that a hostile or broken zone server
 * cannot make a peer spend unbounded memory or time: every limit is checked before the data it
 * guards is stored, and exceeding one is a {@link ZoneFileException}.
 *
 * @param maxSize        largest accepted file, in bytes for {@code byte[]} input and in UTF-16 chars
 *                       for text input
 * @param maxEntries     most distinct keys (including {@code zr.*}) in one file
 * @param maxKeyLength   longest key, in chars, after escapes are removed
 * @param maxValueLength longest value, in chars, after escapes are removed
 */
public record ZoneFileLimits(int maxSize, int maxEntries, int maxKeyLength, int maxValueLength) {
    /**
     * Defaults: 256 KiB, 1024 keys, 256-char keys, 16 KiB values. A zone with a few hundred relays
     * (each zr line is roughly 100-200 chars) fits comfortably.
     */
    public static final ZoneFileLimits DEFAULT = new ZoneFileLimits(256 * 1024, 1024, 256, 16 * 1024);

    public ZoneFileLimits {
        if (maxSize <= 0 || maxEntries <= 0 || maxKeyLength <= 0 || maxValueLength <= 0) {
            throw new IllegalArgumentException("zone file limits must be positive: " + maxSize + ", " + maxEntries
                    + ", " + maxKeyLength + ", " + maxValueLength);
        }
    }
}
