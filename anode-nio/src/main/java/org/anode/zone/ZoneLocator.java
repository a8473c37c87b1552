package org.anode.zone;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.anode.address.Zone;

/**
 * Where a zone's file is fetched from (draft 2.1.1, DECISIONS 11): by default the DNS URL
 * {@code http://a--<zone>.net/z} (&lt;zone&gt; the zone id as 8 lower-case hex digits) and, as the
 * fallback, {@code http://<zone id as an IPv4 dotted quad>/z}. Immutable.
 *
 * <p>Both URLs come from templates so tests and private deployments can point them elsewhere, e.g.
 * {@code http://127.0.0.1:8080/zones/{zone}}. A template may use {@code {zone}} (the 8 lower-case
 * hex digits) and {@code {ipv4}} (the zone id as a dotted quad); no other {@code {...}} placeholder
 * is allowed. It must give an absolute {@code http} or {@code https} URI with a host. The fallback
 * may be disabled.
 */
public final class ZoneLocator {
    /** The draft's preferred DNS method. */
    public static final String DNS_TEMPLATE = "http://a--{zone}.net/z";
    /** The draft's fallback IP method. */
    public static final String IP_TEMPLATE = "http://{ipv4}/z";

    private static final ZoneLocator DEFAULT = new ZoneLocator(DNS_TEMPLATE, IP_TEMPLATE);

    private final String primary;
    private final String fallback;

    private ZoneLocator(String primary, String fallback) {
        this.primary = primary;
        this.fallback = fallback;
    }

    /** The draft's two URLs. */
    public static ZoneLocator defaults() {
        return DEFAULT;
    }

    /**
     * A locator with custom templates.
     *
     * @param primaryTemplate  tried first
     * @param fallbackTemplate tried if the primary fails, or null for none
     * @throws IllegalArgumentException if a template is not as described in the class comment
     */
    public static ZoneLocator of(String primaryTemplate, String fallbackTemplate) {
        Objects.requireNonNull(primaryTemplate, "primaryTemplate");
        check(primaryTemplate);
        if (fallbackTemplate != null) {
            check(fallbackTemplate);
        }
        return new ZoneLocator(primaryTemplate, fallbackTemplate);
    }

    private static void check(String template) {
        String rest = template.replace("{zone}", "").replace("{ipv4}", "");
        if (rest.indexOf('{') >= 0 || rest.indexOf('}') >= 0) {
            throw new IllegalArgumentException(
                    "unknown placeholder in zone URL template '" + template + "' (only {zone} and {ipv4} are defined)");
        }
        // Expanding for an arbitrary zone checks the rest; every zone expands to the same shape.
        expand(template, new Zone(0x01020304));
    }

    private static URI expand(String template, Zone zone) {
        String s = template.replace("{zone}", hex(zone)).replace("{ipv4}", ipv4Literal(zone));
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "zone URL template '" + template + "' does not give a URI: " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("zone URL template '" + template
                    + "' must give an absolute http or https URI with a host, got " + s);
        }
        return uri;
    }

    private static String hex(Zone zone) {
        return String.format("%08x", zone.id());
    }

    /** The draft's host name for a zone: {@code a--<8 lower-case hex digits>.net} (draft 2.1.1, 2.1.2). */
    public static String hostName(Zone zone) {
        return "a--" + hex(zone) + ".net";
    }

    /** The zone id as an IPv4 dotted quad, most significant byte first: zone 0x01020304 is 1.2.3.4. */
    public static String ipv4Literal(Zone zone) {
        int id = zone.id();
        return (id >>> 24) + "." + ((id >>> 16) & 0xff) + "." + ((id >>> 8) & 0xff) + "." + (id & 0xff);
    }

    /** The URL tried first. */
    public URI primaryUri(Zone zone) {
        return expand(primary, zone);
    }

    /** The fallback URL, if there is one. */
    public Optional<URI> fallbackUri(Zone zone) {
        return fallback == null ? Optional.empty() : Optional.of(expand(fallback, zone));
    }

    /** The URLs to try, in order (one or two; a fallback equal to the primary is dropped). */
    public List<URI> uris(Zone zone) {
        List<URI> out = new ArrayList<>(2);
        URI p = primaryUri(zone);
        out.add(p);
        fallbackUri(zone).filter(f -> !f.equals(p)).ifPresent(out::add);
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return "ZoneLocator[" + primary + (fallback == null ? "" : ", " + fallback) + "]";
    }
}
