package org.anode.transport;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.anode.zone.ZoneFile;

/**
 * The HTTP endpoints of a zone relay (draft 2.9.3, 2.10 endpoint type 0x06; DECISIONS 38): the
 * zone file key {@code zh.<index>=<URI>[,<URI>...]} lists those of relay {@code zr.<index>}
 * (index in lower-case hex without leading zeros, as for zr, DECISIONS 12). Only absolute
 * {@code http} and {@code https} URIs are kept; others are ignored, as unknown zone keys are.
 */
public final class ZoneHttpEndpoints {
    /** Prefix of the zone file key. */
    public static final String PREFIX = "zh.";
    /** Most URIs taken from one entry. */
    public static final int MAX_URIS = 8;

    private ZoneHttpEndpoints() {}

    /** The key of relay {@code index}'s HTTP endpoints. */
    public static String keyFor(int index) {
        return PREFIX + Integer.toHexString(index);
    }

    /** Relay {@code index}'s HTTP URIs, possibly none. */
    public static List<URI> of(ZoneFile file, int index) {
        List<URI> out = new ArrayList<>();
        String v = file.get(keyFor(index)).orElse(null);
        if (v == null) {
            return out;
        }
        for (String s : v.split(",")) {
            String t = s.strip();
            if (t.isEmpty() || out.size() >= MAX_URIS) {
                continue;
            }
            try {
                URI u = new URI(t);
                if (u.isAbsolute()
                        && u.getHost() != null
                        && ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))) {
                    out.add(u);
                }
            } catch (java.net.URISyntaxException e) {
                // ignored, like any unusable zone entry
            }
        }
        return out;
    }
}
