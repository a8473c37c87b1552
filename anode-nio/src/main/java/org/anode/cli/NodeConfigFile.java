package org.anode.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.address.Zone;

/**
 * The configuration file of {@code anode node} and {@code anode relay} ({@code --config FILE}):
 * one {@code key = value} setting a line, {@code #} starts a comment, blank lines are ignored.
 * Every setting is documented in docs/CONFIGURATION.md; {@link #KEYS} is the list a test keeps
 * equal to that document. Relative paths are relative to the file's directory.
 *
 * <p>Validation is strict, since a node runs for months on what it read at start: an unknown key,
 * a key given twice (except {@code zone}), a value out of range and a relay limit while relaying is
 * off each fail with {@code FILE:LINE: message}. The settings map onto the node's configuration
 * (draft 2.1 zones, 2.3 relays, 2.9.1 UDP; DECISIONS 33, 34).
 */
public final class NodeConfigFile {
    /** A {@code zone = HEX=URL|FILE} line: where a zone's file is read instead of the draft's URLs. */
    public record ZoneSource(Zone zone, String source) {}

    /** Relay limits (draft 2.3.1; DECISIONS 33, 34); a null field keeps the default. */
    public record RelaySettings(
            Integer maxRegistrations,
            Duration registrationLifetime,
            Integer hopLimit,
            Integer perSourceRate,
            Integer perRecipientRate,
            Integer totalRate,
            Boolean errorReplies) {}

    /**
     * What the file says; a null field (or an empty list) was not set and keeps the command's default.
     *
     * @param identity the identity file (required)
     * @param udp the UDP port (0: any free one)
     * @param bind the IP address to bind (null: every address)
     * @param zones zone file sources
     * @param discovery whether the node announces itself to its zone's relay (DECISIONS 33) and runs LAN discovery (DECISIONS 37)
     * @param announceInterval how often it does
     * @param control the directory of the control socket of {@code anode status}
     * @param relay whether the node relays for others
     * @param relayLimits the relay's limits (only with relay on)
     */
    public record Settings(
            Path identity,
            Integer udp,
            InetAddress bind,
            List<ZoneSource> zones,
            Boolean discovery,
            Duration announceInterval,
            Path control,
            Boolean relay,
            RelaySettings relayLimits) {}

    /** A configuration file that cannot be used; the message names the file and line. */
    public static final class ConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message {@code FILE:LINE: what is wrong}
         */
        public ConfigException(String message) {
            super(message);
        }
    }

    /** Every key, in the order docs/CONFIGURATION.md documents them. */
    public static final List<String> KEYS = List.of(
            "identity",
            "udp",
            "bind",
            "zone",
            "discovery",
            "announce-interval",
            "control",
            "relay",
            "relay.max-registrations",
            "relay.registration-lifetime",
            "relay.hop-limit",
            "relay.per-source-rate",
            "relay.per-recipient-rate",
            "relay.total-rate",
            "relay.error-replies");

    private static final Pattern LINE = Pattern.compile("^([a-z][a-z.-]*)\\s*=\\s*(.*)$");
    private static final Pattern DURATION = Pattern.compile("^(\\d{1,9})(ms|s|m|h)$");

    private NodeConfigFile() {}

    /**
     * Reads and validates a configuration file.
     *
     * @param file the file
     * @return its settings
     * @throws IOException if it cannot be read
     * @throws ConfigException naming the line of the first problem
     */
    public static Settings load(Path file) throws IOException, ConfigException {
        return parse(file, Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Validates the text of a configuration file.
     *
     * @param file the file's path: named in errors, and relative paths are resolved against its directory
     * @param text its contents
     * @return its settings
     * @throws ConfigException naming the line of the first problem
     */
    public static Settings parse(Path file, String text) throws ConfigException {
        Path base = file.toAbsolutePath().getParent();
        Map<String, Integer> seenAt = new LinkedHashMap<>();
        Path identity = null;
        Integer udp = null;
        InetAddress bind = null;
        List<ZoneSource> zones = new ArrayList<>();
        Set<Zone> zonesSeen = new HashSet<>();
        Boolean discovery = null;
        Duration announce = null;
        Path control = null;
        Boolean relay = null;
        Integer maxReg = null;
        Duration lifetime = null;
        Integer hopLimit = null;
        Integer perSource = null;
        Integer perRecipient = null;
        Integer total = null;
        Boolean errorReplies = null;
        String[] lines = text.split("\r?\n", -1);
        for (int n = 1; n <= lines.length; n++) {
            String raw = lines[n - 1];
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            String where = file + ":" + n + ": ";
            if (!m.matches()) {
                throw new ConfigException(where + "expected 'key = value', got '" + line + "'");
            }
            String key = m.group(1);
            String value = m.group(2).strip();
            if (!KEYS.contains(key)) {
                throw new ConfigException(
                        where + "unknown setting '" + key + "' (settings: " + String.join(", ", KEYS) + ")");
            }
            if (value.isEmpty()) {
                throw new ConfigException(where + key + " needs a value");
            }
            Integer first = seenAt.putIfAbsent(key, n);
            if (first != null && !key.equals("zone")) {
                throw new ConfigException(where + key + " is already set on line " + first);
            }
            switch (key) {
                case "identity" -> identity = base.resolve(value);
                case "udp" -> udp = integer(where, key, value, 0, 65535);
                case "bind" -> bind = ip(where, value);
                case "zone" -> {
                    int eq = value.indexOf('=');
                    if (eq <= 0 || eq == value.length() - 1) {
                        throw new ConfigException(where + "zone wants HEX=URL|FILE, got '" + value + "'");
                    }
                    Zone z;
                    try {
                        z = Zone.parse(value.substring(0, eq).strip());
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(where + "zone: " + e.getMessage());
                    }
                    if (!zonesSeen.add(z)) {
                        throw new ConfigException(where + "zone " + z + " is already given a source");
                    }
                    String src = value.substring(eq + 1).strip();
                    if (!src.contains("://")) {
                        src = base.resolve(src).toString();
                    }
                    zones.add(new ZoneSource(z, src));
                }
                case "discovery" -> discovery = bool(where, key, value);
                case "announce-interval" -> {
                    announce = duration(where, key, value);
                    if (announce.toMillis() < 100 || announce.compareTo(Duration.ofHours(1)) > 0) {
                        throw new ConfigException(where + "announce-interval must be 100ms to 1h, got " + value);
                    }
                }
                case "control" -> control = base.resolve(value);
                case "relay" -> relay = bool(where, key, value);
                case "relay.max-registrations" -> maxReg = integer(where, key, value, 1, 1_000_000);
                case "relay.registration-lifetime" -> lifetime = duration(where, key, value);
                case "relay.hop-limit" -> hopLimit = integer(where, key, value, 1, 255);
                case "relay.per-source-rate" -> perSource = integer(where, key, value, 1, 10_000_000);
                case "relay.per-recipient-rate" -> perRecipient = integer(where, key, value, 1, 10_000_000);
                case "relay.total-rate" -> total = integer(where, key, value, 1, 10_000_000);
                case "relay.error-replies" -> errorReplies = bool(where, key, value);
                default -> throw new IllegalStateException("a key in KEYS without a case: " + key);
            }
        }
        if (identity == null) {
            throw new ConfigException(file + ": identity is required (make one with: anode keygen --out FILE)");
        }
        if (!Boolean.TRUE.equals(relay)) {
            for (Map.Entry<String, Integer> e : seenAt.entrySet()) {
                if (e.getKey().startsWith("relay.")) {
                    throw new ConfigException(file + ":" + e.getValue() + ": " + e.getKey()
                            + " is set but relay is not on (add 'relay = on')");
                }
            }
        }
        RelaySettings limits =
                new RelaySettings(maxReg, lifetime, hopLimit, perSource, perRecipient, total, errorReplies);
        return new Settings(identity, udp, bind, List.copyOf(zones), discovery, announce, control, relay, limits);
    }

    private static int integer(String where, String key, String v, int min, int max) throws ConfigException {
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new ConfigException(where + key + " must be " + min + " to " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(where + key + " needs a whole number, got '" + v + "'");
        }
    }

    private static boolean bool(String where, String key, String v) throws ConfigException {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes":
                return true;
            case "off", "false", "no":
                return false;
            default:
                throw new ConfigException(where + key + " is on or off, got '" + v + "'");
        }
    }

    private static Duration duration(String where, String key, String v) throws ConfigException {
        Matcher m = DURATION.matcher(v);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new ConfigException(
                    where + key + " needs a positive duration such as 500ms, 30s, 2m or 1h, got '" + v + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    private static InetAddress ip(String where, String v) throws ConfigException {
        // Literal addresses only: a configuration must not depend on DNS at start.
        if (!v.matches("[0-9a-fA-F:.%]+")) {
            throw new ConfigException(where + "bind needs an IP address literal, got '" + v + "'");
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw new ConfigException(where + "bind: not an IP address: '" + v + "'");
        }
    }
}
