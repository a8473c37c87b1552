package org.anode.nio;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.anode.address.Zone;
import org.anode.engine.Router;
import org.anode.zone.ZoneFetchException;
import org.anode.zone.ZoneFetcher;
import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneFileException;

/**
 * A node's zone files (draft 2.1.1, DECISIONS 32): a configured source per zone (URL or local
 * file) or the draft's DNS URL then IP fallback; zone 0 is local and has a file only if one is
 * configured. Each file is cached for its {@code ttl} clamped to 60 s .. 1 day; a file whose
 * revision is lower than the cached one is ignored; a failed refresh keeps the cached file.
 * Thread-safe (called from the node's zone lookup thread).
 */
final class NodeZones implements Router.ZoneLookup {
    private static final Duration MIN_TTL = Duration.ofSeconds(60);
    private static final Duration MAX_TTL = Duration.ofDays(1);

    private record Cached(ZoneFile file, long expiresNanos) {
    }

    private final Map<Zone, String> sources;
    private final ZoneFetcher fetcher;
    private final Map<Zone, Cached> cache = new HashMap<>();

    NodeZones(Map<Zone, String> sources) {
        this.sources = Map.copyOf(sources);
        this.fetcher = ZoneFetcher.builder().connectTimeout(Duration.ofSeconds(3)).timeout(Duration.ofSeconds(8))
                .build();
    }

    @Override
    public ZoneFile zoneFile(Zone zone) throws IOException, InterruptedException {
        long now = System.nanoTime();
        Cached c;
        synchronized (cache) {
            c = cache.get(zone);
        }
        if (c != null && now - c.expiresNanos < 0) {
            return c.file;
        }
        ZoneFile f;
        try {
            f = fetch(zone);
        } catch (IOException e) {
            if (c != null) {
                return c.file;
            }
            throw e;
        }
        if (c != null && f.revision() < c.file.revision()) {
            f = c.file;
        }
        Duration ttl = f.ttl();
        ttl = ttl.compareTo(MIN_TTL) < 0 ? MIN_TTL : ttl.compareTo(MAX_TTL) > 0 ? MAX_TTL : ttl;
        synchronized (cache) {
            cache.put(zone, new Cached(f, now + ttl.toNanos()));
        }
        return f;
    }

    private ZoneFile fetch(Zone zone) throws IOException, InterruptedException {
        String src = sources.get(zone);
        if (src == null) {
            if (zone.id() == 0) {
                throw new IOException("zone " + zone + " is local: no zone file is configured for it");
            }
            try {
                return fetcher.fetch(zone);
            } catch (ZoneFetchException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        String lower = src.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            try {
                return fetcher.fetch(URI.create(src));
            } catch (IllegalArgumentException e) {
                throw new IOException("bad zone file URL " + src + ": " + e.getMessage(), e);
            } catch (ZoneFetchException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        Path p = lower.startsWith("file:") ? Path.of(URI.create(src)) : Path.of(src);
        try {
            return ZoneFile.parse(Files.readAllBytes(p));
        } catch (ZoneFileException e) {
            throw new IOException("zone file " + p + " is not valid: " + e.getMessage(), e);
        }
    }
}
