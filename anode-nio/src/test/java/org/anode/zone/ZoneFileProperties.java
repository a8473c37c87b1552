package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.anode.address.AnodeAddress;

/** Properties of the zone file reader and writer (draft 2.1, 2.3.1; DECISIONS 10, 12). */
class ZoneFileProperties {

    /** Code points biased toward the characters the syntax treats specially. */
    private static Arbitrary<String> text(int maxLength) {
        Arbitrary<Integer> special = Arbitraries.of(
                (int) '=',
                (int) '\\',
                (int) '\r',
                (int) '\n',
                (int) ' ',
                (int) '\t',
                (int) ';',
                (int) ':',
                (int) ',',
                (int) '.',
                (int) '[',
                (int) ']',
                (int) '"',
                0);
        Arbitrary<Integer> ascii = Arbitraries.integers().between(0x20, 0x7e);
        Arbitrary<Integer> bmp = Arbitraries.integers().between(0x80, 0xd7ff);
        Arbitrary<Integer> high = Arbitraries.integers().between(0xe000, 0xffff);
        Arbitrary<Integer> supplementary = Arbitraries.integers().between(0x10000, 0x10ffff);
        Arbitrary<Integer> cp = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, special),
                net.jqwik.api.Tuple.of(5, ascii),
                net.jqwik.api.Tuple.of(1, bmp),
                net.jqwik.api.Tuple.of(1, high),
                net.jqwik.api.Tuple.of(1, supplementary));
        return cp.list().ofMaxSize(maxLength).map(list -> {
            StringBuilder sb = new StringBuilder();
            for (int c : list) {
                sb.appendCodePoint(c);
            }
            return sb.toString();
        });
    }

    @Provide
    Arbitrary<Map<String, String>> entryMaps() {
        Arbitrary<String> keys = text(12).filter(s -> !s.isEmpty());
        return Arbitraries.maps(keys, text(24)).ofMaxSize(12).map(LinkedHashMap::new);
    }

    @Property(tries = 1000)
    void writeThenReadGivesTheSameEntriesInOrder(@ForAll("entryMaps") Map<String, String> entries) throws Exception {
        String text = ZoneFileFormat.write(entries);
        Map<String, String> back = ZoneFileFormat.read(text);
        assertEquals(entries, back);
        assertEquals(new ArrayList<>(entries.keySet()), new ArrayList<>(back.keySet()));
        // Through UTF-8 bytes too, as a zone server would serve it.
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(entries, ZoneFileFormat.read(ZoneFileFormat.decode(bytes, ZoneFileLimits.DEFAULT)));
    }

    @Property(tries = 300)
    void zoneFileRoundTrips(
            @ForAll("entryMaps") Map<String, String> extra,
            @ForAll("relayLists") List<ZoneRelay> relays,
            @ForAll long revision,
            @ForAll @IntRange(min = 0) int ttl)
            throws Exception {
        ZoneFile.Builder b = ZoneFile.builder()
                .name("n")
                .description("d")
                .contact("c")
                .revision(Math.abs(revision % Long.MAX_VALUE))
                .ttl(java.time.Duration.ofSeconds(ttl));
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (!e.getKey().startsWith("zr.")
                    && !List.of("n", "d", "c", "r", "ttl").contains(e.getKey())) {
                b.put(e.getKey(), e.getValue());
            }
        }
        for (ZoneRelay r : relays) {
            b.relay(r.ips(), r.udpPort(), r.tcpPort(), r.addresses());
        }
        ZoneFile z = b.build();
        ZoneFile back = ZoneFile.parse(z.toBytes());
        assertEquals(z, back);
        assertEquals(relays, back.relays());
    }

    @Provide
    Arbitrary<List<ZoneRelay>> relayLists() {
        Arbitrary<InetAddress> ip = Arbitraries.oneOf(
                        Arbitraries.bytes().array(byte[].class).ofSize(4),
                        Arbitraries.bytes().array(byte[].class).ofSize(16))
                .map(b -> {
                    try {
                        return InetAddress.getByAddress(b);
                    } catch (java.net.UnknownHostException e) {
                        throw new AssertionError(e);
                    }
                });
        Arbitrary<Integer> port = Arbitraries.integers().between(1, 65535);
        Arbitrary<AnodeAddress> addr = Arbitraries.integers()
                .between(0, ZoneTestData.VECTOR_ADDRESSES.size() - 1)
                .map(ZoneTestData::vector);
        Arbitrary<List<ZoneRelay>> shapes = Combinators.combine(
                        ip.list().ofMinSize(1).ofMaxSize(4),
                        port,
                        port,
                        addr.list().ofMinSize(1).ofMaxSize(2))
                .as((ips, u, t, a) -> new ZoneRelay(0, ips, u, t, a))
                .list()
                .ofMaxSize(6);
        return shapes.map(list -> {
            List<ZoneRelay> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                ZoneRelay r = list.get(i);
                out.add(new ZoneRelay(i, r.ips(), r.udpPort(), r.tcpPort(), r.addresses()));
            }
            return out;
        });
    }

    /** Garbage made of the syntax's own pieces, so that it often gets deep into the parser. */
    @Provide
    Arbitrary<String> garbage() {
        Arbitrary<String> pieces = Arbitraries.of(
                "n=",
                "d=",
                "c=",
                "r=",
                "ttl=",
                "zr.0=",
                "zr.1=",
                "zr.a=",
                "zr.01=",
                "1.2.3.4",
                "::1",
                "[2001:db8::1]",
                ":",
                ",",
                "4343",
                "0",
                "65536",
                "\n",
                "\r",
                "\r\n",
                "\\",
                "=",
                ";",
                " ",
                "\t",
                ZoneTestData.VECTOR_ADDRESSES.get(0),
                "aaaa",
                "-1",
                "\ud800",
                "\udc00",
                "\ud83d\ude00");
        return Arbitraries.oneOf(text(200), pieces.list().ofMaxSize(60).map(l -> String.join("", l)));
    }

    @Property(tries = 3000)
    void garbageTextYieldsOnlyTheTypedException(@ForAll("garbage") String s) {
        try {
            ZoneFile.parse(s);
        } catch (ZoneFileException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    @Property(tries = 3000)
    void garbageBytesYieldOnlyTheTypedException(@ForAll @Size(max = 300) byte[] data) {
        try {
            ZoneFile.parse(data);
        } catch (ZoneFileException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    @Property(tries = 2000)
    void mutatedValidFilesYieldAFileOrTheTypedException(
            @ForAll @IntRange(min = 0, max = 10_000) int pos,
            @ForAll byte value,
            @ForAll @IntRange(min = 0, max = 2) int op) {
        byte[] valid = ("n=zone\nd=desc\nc=a@b\nr=1\nttl=60\nzr.0=1.2.3.4,[::1]:4343:4344:"
                        + ZoneTestData.VECTOR_ADDRESSES.get(0) + "\nzr.1=2001:db8::1:1:2:"
                        + ZoneTestData.VECTOR_ADDRESSES.get(1)
                        + "," + ZoneTestData.VECTOR_ADDRESSES.get(2) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        int p = pos % valid.length;
        byte[] m;
        if (op == 0) {
            m = valid.clone();
            m[p] = value;
        } else if (op == 1) {
            m = new byte[valid.length - 1];
            System.arraycopy(valid, 0, m, 0, p);
            System.arraycopy(valid, p + 1, m, p, valid.length - p - 1);
        } else {
            m = new byte[valid.length + 1];
            System.arraycopy(valid, 0, m, 0, p);
            m[p] = value;
            System.arraycopy(valid, p, m, p + 1, valid.length - p);
        }
        try {
            ZoneFile z = ZoneFile.parse(m);
            // Whatever survives is internally consistent.
            assertEquals(z, ZoneFile.parse(z.write()));
        } catch (ZoneFileException expected) {
            assertTrue(expected.getMessage() != null);
        }
    }

    @Property(tries = 200)
    void relayChoiceIsByteSumModRelayCount(
            @ForAll @IntRange(min = 1, max = 40) int relayCount,
            @ForAll @Size(4) byte[] zoneBytes,
            @ForAll @IntRange(min = 0, max = 4) int vector)
            throws Exception {
        byte[] b = ZoneTestData.vector(vector).toByteArray();
        System.arraycopy(zoneBytes, 0, b, 1, 4);
        AnodeAddress addr = AnodeAddress.fromBytes(b);
        int sum = 0;
        for (byte x : b) {
            sum += x & 0xff;
        }
        StringBuilder sb = new StringBuilder("n=\nd=\nc=\nr=0\nttl=0\n");
        for (int i = 0; i < relayCount; i++) {
            sb.append("zr.")
                    .append(Integer.toHexString(i))
                    .append("=10.0.")
                    .append(i / 256)
                    .append('.')
                    .append(i % 256)
                    .append(":1:2:")
                    .append(ZoneTestData.VECTOR_ADDRESSES.get(0))
                    .append('\n');
        }
        ZoneFile z = ZoneFile.parse(sb.toString());
        assertEquals(sum % relayCount, ZoneFile.relayIndex(addr, relayCount));
        assertEquals(sum % relayCount, z.relayIndexFor(addr).getAsInt());
        assertEquals(z.relays().get(sum % relayCount), z.relayFor(addr).orElseThrow());
    }

    @Property(tries = 1000)
    void ipLiteralsMatchTheJdkForEveryAddress(@ForAll @Size(16) byte[] v6, @ForAll @Size(4) byte[] v4)
            throws Exception {
        InetAddress a6 = InetAddress.getByAddress(v6);
        InetAddress a4 = InetAddress.getByAddress(v4);
        assertEquals(a4, IpLiterals.parse(a4.getHostAddress()));
        String text6 = a6 instanceof java.net.Inet6Address ? a6.getHostAddress() : "::ffff:" + a6.getHostAddress();
        assertEquals(a6, IpLiterals.parse(text6));
        assertEquals(a6, IpLiterals.parse("[" + text6 + "]"));
        assertEquals(a6, IpLiterals.parse(compress(text6)));
    }

    /** Replaces the longest run of ":0" groups with "::", as RFC 5952 writers do. */
    private static String compress(String full) {
        String[] g = full.split(":", -1);
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < g.length; ) {
            if (g[i].equals("0")) {
                int j = i;
                while (j < g.length && g[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLen) {
                    bestLen = j - i;
                    bestStart = i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestLen < 1) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, bestStart + bestLen, g.length));
        return head + "::" + tail;
    }
}
