package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network commands in-process on loopback (draft 2.3.1, 4.2.2, 5; DECISIONS 31-34): a relay
 * that writes its own zone file, a node that registers with it, ping, listen and cat by address alone.
 */
@Timeout(120)
class NetCommandsTest {
    static final String ZONE = "0a0b0c0e";

    /** One command run on its own thread with its own streams. */
    static final class Run {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final AnodeCli cli;
        final CompletableFuture<Integer> rc;

        Run(InputStream in, String... args) {
            cli = new AnodeCli(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    in);
            rc = CompletableFuture.supplyAsync(() -> cli.run(args), r -> {
                Thread t = new Thread(r, "cli-" + args[0]);
                t.setDaemon(true);
                t.start();
            });
        }

        Run(String... args) {
            this(new ByteArrayInputStream(new byte[0]), args);
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return err.toString(StandardCharsets.UTF_8);
        }

        String awaitOut(Pattern p) throws InterruptedException {
            for (int i = 0; i < 2000; i++) {
                Matcher m = p.matcher(out());
                if (m.find()) {
                    return m.group(1);
                }
                if (rc.isDone()) {
                    break;
                }
                Thread.sleep(5);
            }
            throw new AssertionError("no " + p + " in: " + out() + " / " + err());
        }

        int stop() throws Exception {
            cli.stop.countDown();
            return rc.get(30, TimeUnit.SECONDS);
        }
    }

    static Path identity(Path dir, String name) throws Exception {
        Path f = dir.resolve(name);
        AnodeIdentity.generate(Zone.parse(ZONE)).store(f);
        return f;
    }

    static final Pattern ADDRESS = Pattern.compile("node ([a-z2-7]{64}) ");

    /** Pings until the node has registered with the relay (it does so asynchronously at start). */
    static Run pingUntilReachable(String zoneArg, String address, String... more) throws Exception {
        Run last = null;
        for (int i = 0; i < 20; i++) {
            // --no-lan: the path through the relay is under test, not LAN discovery (DECISIONS 31).
            String[] args = concat(
                    new String[] {"ping", "--no-lan", "--bind", "127.0.0.1", "--udp", "0", "--zone", zoneArg},
                    more,
                    new String[] {address});
            last = new Run(args);
            if (last.rc.get(30, TimeUnit.SECONDS) == 0) {
                return last;
            }
            Thread.sleep(100);
        }
        return last;
    }

    /**
     * {@code anode relay} on 127.0.0.1, ephemeral UDP and HTTP ports, with the identity
     * {@code relay.id} in {@code dir}, serving and writing {@code zoneFile}.
     */
    static Run zoneRelay(Path dir, Path zoneFile) throws Exception {
        return new Run(
                "relay",
                "--identity",
                identity(dir, "relay.id").toString(),
                "--bind",
                "127.0.0.1",
                "--udp",
                "0",
                "--zone-file",
                zoneFile.toString(),
                "--http",
                "0");
    }

    /** The arguments of {@code anode node} on 127.0.0.1 (ephemeral UDP port) in the zone {@code zoneArg}. */
    static String[] zoneNode(Path dir, String identityFile, String zoneArg) throws Exception {
        return new String[] {
            "node",
            "--identity",
            identity(dir, identityFile).toString(),
            "--bind",
            "127.0.0.1",
            "--udp",
            "0",
            "--zone",
            zoneArg
        };
    }

    static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }

    @Test
    void relayNodePingListenAndCat(@TempDir Path dir) throws Exception {
        Path zoneFile = dir.resolve("zone.txt");
        Run relay = zoneRelay(dir, zoneFile);
        String url = relay.awaitOut(Pattern.compile("http (http://\\S+/z)"));
        String zoneArg = ZONE + "=" + zoneFile;
        Run node = new Run(zoneNode(dir, "node.id", zoneArg));
        String b = node.awaitOut(ADDRESS);

        // ping by address alone, the zone file read from the relay's own HTTP server this time.
        Run ping = pingUntilReachable(ZONE + "=" + url, b, "-c", "2");
        assertEquals(0, ping.rc.get(), ping.err());
        String[] lines = ping.out().strip().split("\n");
        assertEquals(2, lines.length, ping.out());
        for (String l : lines) {
            assertTrue(l.matches("reply from " + b + " rtt=\\d+\\.\\d\\dms path=relay hops=1"), l);
        }

        // An address nobody registered: exit 1, the reason on stderr.
        String stranger = AnodeIdentity.generate(Zone.parse(ZONE)).address().toString();
        Run none = new Run("ping", "--bind", "127.0.0.1", "--udp", "0", "--zone", zoneArg, stranger);
        assertEquals(1, none.rc.get(30, TimeUnit.SECONDS));
        assertTrue(none.err().contains("not registered"), none.err());
        assertEquals("", none.out());

        // netcat over Anode: listen and cat by address alone.
        Path lid = identity(dir, "listen.id");
        String la = AnodeIdentity.load(lid).address().toString();
        Run listen = new Run(
                new ByteArrayInputStream("from listener\n".getBytes(StandardCharsets.UTF_8)),
                "listen",
                "--identity",
                lid.toString(),
                "--bind",
                "127.0.0.1",
                "--udp",
                "0",
                "--zone",
                zoneArg,
                "80");
        for (int i = 0; i < 2000 && !listen.err().contains("listening"); i++) {
            Thread.sleep(5);
        }
        Run cat = null;
        for (int i = 0; i < 20; i++) {
            cat = new Run(
                    new ByteArrayInputStream("from cat\n".getBytes(StandardCharsets.UTF_8)),
                    "cat",
                    "--bind",
                    "127.0.0.1",
                    "--udp",
                    "0",
                    "--zone",
                    zoneArg,
                    la + ":80");
            if (cat.rc.get(60, TimeUnit.SECONDS) == 0) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals(0, cat.rc.get(), cat.err());
        assertEquals(0, listen.rc.get(60, TimeUnit.SECONDS), listen.err());
        assertEquals("from listener\n", cat.out());
        assertEquals("from cat\n", listen.out());

        assertEquals(0, node.stop(), node.err());
        assertEquals(0, relay.stop(), relay.err());
        assertTrue(relay.err().contains("forwarded="), relay.err());
    }

    @Test
    void everyNetworkCommandHasHelpAndUsageErrors() throws Exception {
        for (String cmd : new String[] {"relay", "node", "ping", "listen", "cat"}) {
            Run h = new Run(cmd, "--help");
            assertEquals(0, h.rc.get(10, TimeUnit.SECONDS));
            assertTrue(h.out().startsWith("usage: anode " + cmd), h.out());
            Run bad = new Run(cmd, "--bogus");
            assertEquals(2, bad.rc.get(10, TimeUnit.SECONDS), cmd);
            assertTrue(bad.err().contains("unknown option"), bad.err());
        }
        assertEquals(2, new Run("relay", "--udp", "0").rc.get(10, TimeUnit.SECONDS), "--identity is required");
        assertEquals(2, new Run("ping", "--zone", "zz=x", "a").rc.get(10, TimeUnit.SECONDS));
    }

    @Test
    void everyCommandPrintsItsHelpOnStandardOutput() throws Exception {
        for (String cmd :
                new String[] {"--help", "keygen", "address", "digest", "demo", "relay", "node", "ping", "listen", "cat"
                }) {
            Run h = cmd.equals("--help") ? new Run(cmd) : new Run(cmd, "--help");
            assertEquals(0, h.rc.get(10, TimeUnit.SECONDS), cmd);
            assertTrue(h.out().startsWith("usage: anode"), cmd + ": " + h.out());
            assertEquals("", h.err(), cmd);
        }
        Run bad = new Run("keygen", "--bogus");
        assertEquals(2, bad.rc.get(10, TimeUnit.SECONDS));
        assertTrue(bad.err().contains("unexpected argument"), bad.err());
        assertEquals("", bad.out());
    }

    @Test
    void addressQuietPrintsTheAddressAlone(@TempDir Path dir) throws Exception {
        Path f = identity(dir, "id");
        Run r = new Run("address", "--identity", f.toString(), "-q");
        assertEquals(0, r.rc.get(10, TimeUnit.SECONDS));
        assertEquals(AnodeIdentity.load(f).address().toString(), r.out().strip());
    }
}
