package org.anode.zone;

import java.time.Duration;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.anode.address.Zone;

/**
 * Settings of a {@link ZoneDirectory} (draft 2.1.1, DECISIONS 32). Immutable; start from
 * {@link #defaults()} and change fields with the {@code with...} methods.
 *
 * @param overrides      per-zone sources that replace the draft's DNS and IP URLs for that zone;
 *                       the only way a file is ever read for zone 0
 * @param locator        the draft's URLs (or templates a deployment points elsewhere)
 * @param connectTimeout longest wait for a TCP connection to a zone server
 * @param requestTimeout longest time for one whole fetch from one source, body included
 * @param limits         parse limits; {@link ZoneFileLimits#maxSize()} also bounds the response body
 * @param retryMin       wait before retrying after the first failed fetch; it doubles with each
 *                       further failure
 * @param retryMax       the longest wait between retries
 * @param maxZones       most zones tracked at once (cached or being fetched); the least recently
 *                       used one is forgotten to make room, since the zones asked for can come
 *                       from remote peers' addresses
 */
public record ZoneDirectoryConfig(
        Map<Zone, ZoneSource> overrides,
        ZoneLocator locator,
        Duration connectTimeout,
        Duration requestTimeout,
        ZoneFileLimits limits,
        Duration retryMin,
        Duration retryMax,
        int maxZones) {

    private static final ZoneDirectoryConfig DEFAULTS = new ZoneDirectoryConfig(
            Map.of(),
            ZoneLocator.defaults(),
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            ZoneFileLimits.DEFAULT,
            Duration.ofSeconds(5),
            Duration.ofMinutes(15),
            1024);

    public ZoneDirectoryConfig {
        overrides = Map.copyOf(Objects.requireNonNull(overrides, "overrides"));
        Objects.requireNonNull(locator, "locator");
        Objects.requireNonNull(limits, "limits");
        positive("connectTimeout", connectTimeout);
        positive("requestTimeout", requestTimeout);
        positive("retryMin", retryMin);
        positive("retryMax", retryMax);
        if (retryMax.compareTo(retryMin) < 0) {
            throw new IllegalArgumentException("retryMax " + retryMax + " is below retryMin " + retryMin);
        }
        if (maxZones <= 0) {
            throw new IllegalArgumentException("maxZones must be positive: " + maxZones);
        }
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.toMillis() == 0) {
            throw new IllegalArgumentException(name + " must be at least 1 ms: " + d);
        }
    }

    /**
     * No overrides, the draft's URLs, 5 s to connect, 10 s per fetch (the whole of DECISIONS 31's
     * default path-finding budget), default limits, retries from 5 s up to 15 min, 1024 zones.
     */
    public static ZoneDirectoryConfig defaults() {
        return DEFAULTS;
    }

    /** The same settings with {@code source} used for {@code zone} (replacing any earlier override). */
    public ZoneDirectoryConfig withOverride(Zone zone, ZoneSource source) {
        Map<Zone, ZoneSource> m = new HashMap<>(overrides);
        m.put(Objects.requireNonNull(zone, "zone"), Objects.requireNonNull(source, "source"));
        return withOverrides(m);
    }

    public ZoneDirectoryConfig withOverrides(Map<Zone, ZoneSource> overrides) {
        return new ZoneDirectoryConfig(
                overrides, locator, connectTimeout, requestTimeout, limits, retryMin, retryMax, maxZones);
    }

    public ZoneDirectoryConfig withLocator(ZoneLocator locator) {
        return new ZoneDirectoryConfig(
                overrides, locator, connectTimeout, requestTimeout, limits, retryMin, retryMax, maxZones);
    }

    public ZoneDirectoryConfig withTimeouts(Duration connectTimeout, Duration requestTimeout) {
        return new ZoneDirectoryConfig(
                overrides, locator, connectTimeout, requestTimeout, limits, retryMin, retryMax, maxZones);
    }

    public ZoneDirectoryConfig withLimits(ZoneFileLimits limits) {
        return new ZoneDirectoryConfig(
                overrides, locator, connectTimeout, requestTimeout, limits, retryMin, retryMax, maxZones);
    }

    public ZoneDirectoryConfig withRetry(Duration retryMin, Duration retryMax) {
        return new ZoneDirectoryConfig(
                overrides, locator, connectTimeout, requestTimeout, limits, retryMin, retryMax, maxZones);
    }

    public ZoneDirectoryConfig withMaxZones(int maxZones) {
        return new ZoneDirectoryConfig(
                overrides, locator, connectTimeout, requestTimeout, limits, retryMin, retryMax, maxZones);
    }

    /**
     * Parses an override as given on a command line, {@code ZONE=SOURCE}: the zone as 1 to 8 hex
     * digits, the source as in {@link ZoneSource#parse} (an http(s) URL or a local path), e.g.
     * {@code d730b30b=http://127.0.0.1:8080/z} or {@code 0=/etc/anode/zone0}.
     *
     * @throws IllegalArgumentException if the text is not of that form
     */
    public static Map.Entry<Zone, ZoneSource> parseOverride(String text) {
        Objects.requireNonNull(text, "text");
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("a zone override is ZONE=URL or ZONE=FILE, not '" + text + "'");
        }
        Zone zone = Zone.parse(text.substring(0, eq));
        return new AbstractMap.SimpleImmutableEntry<>(zone, ZoneSource.parse(text.substring(eq + 1)));
    }

    /** The same settings with the override {@code ZONE=SOURCE} added (see {@link #parseOverride}). */
    public ZoneDirectoryConfig withOverride(String text) {
        Map.Entry<Zone, ZoneSource> e = parseOverride(text);
        return withOverride(e.getKey(), e.getValue());
    }
}
