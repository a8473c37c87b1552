package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;

/** The configuration file of anode node / relay: what it accepts, and the line each error names. */
class NodeConfigFileTest {
    private static final Path FILE = Path.of("/etc/anode/node.conf");

    private static NodeConfigFile.Settings parse(String text) throws Exception {
        return NodeConfigFile.parse(FILE, text);
    }

    private static String error(String text) {
        return assertThrows(NodeConfigFile.ConfigException.class, () -> parse(text))
                .getMessage();
    }

    @Test
    void readsEverySetting() throws Exception {
        NodeConfigFile.Settings s = parse(String.join(
                "\n",
                "# a relay",
                "identity = keys/relay.id   # relative to the file",
                "udp = 8737",
                "bind = 127.0.0.1",
                "zone = d730b30b=https://zones.example.org/z",
                "zone = 0a=local-zone.txt",
                "discovery = off",
                "announce-interval = 30s",
                "control = /run/anode",
                "",
                "relay = on",
                "relay.max-registrations = 100",
                "relay.registration-lifetime = 2m",
                "relay.hop-limit = 3",
                "relay.per-source-rate = 500",
                "relay.per-recipient-rate = 600",
                "relay.total-rate = 700",
                "relay.error-replies = no",
                ""));
        assertEquals(Path.of("/etc/anode/keys/relay.id"), s.identity());
        assertEquals(8737, s.udp());
        assertEquals(InetAddress.getByName("127.0.0.1"), s.bind());
        assertEquals(
                List.of(
                        new NodeConfigFile.ZoneSource(new Zone(0xd730b30b), "https://zones.example.org/z"),
                        new NodeConfigFile.ZoneSource(new Zone(0x0a), "/etc/anode/local-zone.txt")),
                s.zones());
        assertEquals(false, s.discovery());
        assertEquals(Duration.ofSeconds(30), s.announceInterval());
        assertEquals(Path.of("/run/anode"), s.control());
        assertEquals(true, s.relay());
        assertEquals(
                new NodeConfigFile.RelaySettings(100, Duration.ofMinutes(2), 3, 500, 600, 700, false), s.relayLimits());
    }

    @Test
    void unsetSettingsKeepTheirDefaults() throws Exception {
        NodeConfigFile.Settings s = parse("identity = /var/lib/anode/node.id\n");
        assertNull(s.udp());
        assertNull(s.bind());
        assertEquals(List.of(), s.zones());
        assertNull(s.discovery());
        assertNull(s.relay());
        assertNull(s.relayLimits().hopLimit());
    }

    @Test
    void everyErrorNamesTheFileAndLine() {
        assertEquals(
                "/etc/anode/node.conf:2: unknown setting 'port' (settings: " + String.join(", ", NodeConfigFile.KEYS)
                        + ")",
                error("identity = a\nport = 1\n"));
        assertEquals("/etc/anode/node.conf:3: udp is already set on line 2", error("identity = a\nudp = 1\nudp = 2\n"));
        assertEquals("/etc/anode/node.conf:2: udp must be 0 to 65535, got 70000", error("identity = a\nudp = 70000"));
        assertEquals("/etc/anode/node.conf:2: udp needs a whole number, got 'x'", error("identity = a\nudp = x"));
        assertEquals("/etc/anode/node.conf:1: expected 'key = value', got 'identity'", error("identity"));
        assertEquals(
                "/etc/anode/node.conf:2: discovery is on or off, got 'maybe'",
                error("identity = a\ndiscovery = maybe"));
        assertTrue(error("identity = a\nannounce-interval = 10")
                .startsWith("/etc/anode/node.conf:2: announce-interval needs a positive duration"));
        assertTrue(error("identity = a\nannounce-interval = 0s").startsWith("/etc/anode/node.conf:2:"));
        assertEquals(
                "/etc/anode/node.conf:2: announce-interval must be 100ms to 1h, got 2h",
                error("identity = a\nannounce-interval = 2h"));
        assertEquals(
                "/etc/anode/node.conf:2: bind needs an IP address literal, got 'example.org'",
                error("identity = a\nbind = example.org"));
        assertEquals(
                "/etc/anode/node.conf:2: zone wants HEX=URL|FILE, got 'd730b30b'",
                error("identity = a\nzone = d730b30b"));
        assertTrue(error("identity = a\nzone = xyz=f").startsWith("/etc/anode/node.conf:2: zone:"));
        assertEquals(
                "/etc/anode/node.conf:3: zone 0000000a is already given a source"
                        .replace("0000000a", new Zone(10).toString()),
                error("identity = a\nzone = a=f\nzone = 0a=g"));
        assertEquals(
                "/etc/anode/node.conf:2: relay.hop-limit is set but relay is not on (add 'relay = on')",
                error("identity = a\nrelay.hop-limit = 3"));
        assertEquals(
                "/etc/anode/node.conf:3: relay.hop-limit must be 1 to 255, got 0",
                error("identity = a\nrelay = on\nrelay.hop-limit = 0"));
        assertEquals("/etc/anode/node.conf:2: udp needs a value", error("identity = a\nudp =  # nothing"));
        assertEquals(
                "/etc/anode/node.conf: identity is required (make one with: anode keygen --out FILE)",
                error("udp = 1"));
    }

    @Test
    void loadReadsAFile() throws Exception {
        Path dir = Files.createTempDirectory("anode-config");
        try {
            Path f = dir.resolve("node.conf");
            Files.writeString(f, "identity = node.id\r\nudp = 9\r\n");
            NodeConfigFile.Settings s = NodeConfigFile.load(f);
            assertEquals(dir.resolve("node.id").toAbsolutePath(), s.identity());
            assertEquals(9, s.udp());
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void theDocumentationListsExactlyTheAcceptedKeys() throws Exception {
        String doc = Files.readString(Path.of("../docs/CONFIGURATION.md"));
        Matcher m = Pattern.compile("(?m)^\\| `([a-z.-]+)` \\|").matcher(doc);
        List<String> documented = new ArrayList<>();
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertEquals(NodeConfigFile.KEYS, documented);
    }
}
