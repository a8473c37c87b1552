package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Operators' view of a node (issue 16): its MBean in the platform MBeanServer, read the way
 * jconsole reads it, and the JFR events for connections and paths, recorded in-process.
 */
@Timeout(60)
class NodeObservabilityTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void everyNodeHasAnMBeanFromStartToClose() throws Exception {
        ObjectName nameA;
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            nameA = new ObjectName("org.anode:type=Node,address=" + a.address());
            assertTrue(SERVER.isRegistered(nameA), "registered at start");
            assertTrue(SERVER.isInstanceOf(nameA, AnodeNodeMXBean.class.getName()));
            NodeTestSupport.introduce(a, b);
            a.ping(b.address(), Duration.ofSeconds(10));

            assertEquals(a.address().toString(), SERVER.getAttribute(nameA, "Address"));
            assertEquals(Boolean.TRUE, SERVER.getAttribute(nameA, "Open"));
            assertEquals(1, SERVER.getAttribute(nameA, "PeerCount"));
            assertTrue((Long) SERVER.getAttribute(nameA, "Accepted") >= 1, "the PONG was accepted");
            assertTrue((Long) SERVER.getAttribute(nameA, "Received") >= 1);
            String[] peers = (String[]) SERVER.getAttribute(nameA, "Peers");
            assertEquals(1, peers.length);
            String endpointB = b.localEndpoints().get(0).getAddress().getHostAddress() + ":"
                    + b.localEndpoints().get(0).getPort() + "/0";
            assertEquals(b.address() + " " + endpointB, peers[0]);
            assertArrayEquals(new String[] {a.localEndpoints().get(0).toString()}, (String[])
                    SERVER.getAttribute(nameA, "LocalEndpoints"));
            ObjectName nameB = new ObjectName("org.anode:type=Node,address=" + b.address());
            assertTrue((Long) SERVER.getAttribute(nameB, "PongsSent") >= 1);
            Set<ObjectName> all = SERVER.queryNames(new ObjectName("org.anode:type=Node,*"), null);
            assertTrue(all.contains(nameA) && all.contains(nameB));

            a.close();
            assertFalse(SERVER.isRegistered(nameA), "unregistered at close");
            assertTrue(SERVER.isRegistered(nameB));
        }
    }

    @Test
    void twoNodesOfOneAddressGetTwoNames() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            org.anode.address.AnodeIdentity id =
                    org.anode.address.AnodeIdentity.generate(org.anode.address.Zone.DEFAULT);
            AnodeNode first =
                    t.track(AnodeNode.start(id, NodeTestSupport.loopbackConfig().build()));
            AnodeNode second =
                    t.track(AnodeNode.start(id, NodeTestSupport.loopbackConfig().build()));
            ObjectName one = new ObjectName("org.anode:type=Node,address=" + id.address());
            ObjectName two = new ObjectName("org.anode:type=Node,address=" + id.address() + ",instance=2");
            assertEquals(one, NodeManagement.registeredName(first));
            assertEquals(two, NodeManagement.registeredName(second));
            second.close();
            assertFalse(SERVER.isRegistered(two));
            assertTrue(SERVER.isRegistered(one));
        }
    }

    @Test
    void flightRecorderSeesConnectionsAndPaths() throws Exception {
        List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream();
                NodeTestSupport t = new NodeTestSupport()) {
            for (String e : List.of("org.anode.ConnectionOpen", "org.anode.ConnectionClose", "org.anode.PathChange")) {
                rs.enable(e);
                rs.onEvent(e, events::add);
            }
            rs.startAsync();
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            String addrA = a.address().toString();
            String addrB = b.address().toString();
            String endpointB = b.localEndpoints().get(0).toString();
            NodeTestSupport.introduce(a, b);
            AnodeServerSocketChannel server = t.track(AnodeServerSocketChannel.open(b));
            server.bind(AnodeSocketAddress.of(b.address(), 7));
            CompletableFuture<Integer> accepted = CompletableFuture.supplyAsync(() -> {
                try (AnodeSocketChannel c = server.accept()) {
                    return c.read(ByteBuffer.allocate(16));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (AnodeSocketChannel c = AnodeSocketChannel.open(a, AnodeSocketAddress.of(b.address(), 7))) {
                c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                assertEquals(3, accepted.get(20, TimeUnit.SECONDS));
            }
            // Closing the nodes retires whatever is still in time-wait.
            a.close();
            b.close();
            StreamTestSupport.awaitTrue(
                    () -> count(events, "org.anode.ConnectionClose", addrA, addrB) >= 2
                            && count(events, "org.anode.ConnectionOpen", addrA, addrB) >= 2
                            && count(events, "org.anode.PathChange", addrA, addrB) >= 2,
                    30_000);
            assertEquals(2, count(events, "org.anode.ConnectionOpen", addrA, addrB), "opener and acceptor");
            assertEquals(2, count(events, "org.anode.ConnectionClose", addrA, addrB), "both ends, once each");
            assertEquals(2, count(events, "org.anode.PathChange", addrA, addrB), "each node configured the other");

            RecordedEvent open = find(events, "org.anode.ConnectionOpen", addrA, addrB);
            assertNotNull(open);
            assertTrue(open.getBoolean("opener"));
            assertEquals(7, open.getInt("remotePort"));
            RecordedEvent accept = find(events, "org.anode.ConnectionOpen", addrB, addrA);
            assertNotNull(accept);
            assertFalse(accept.getBoolean("opener"));
            assertEquals(7, accept.getInt("localPort"));
            RecordedEvent path = events.stream()
                    .filter(e -> e.getEventType().getName().equals("org.anode.PathChange")
                            && e.getString("peer").equals(addrB))
                    .findFirst()
                    .orElseThrow();
            assertEquals("CONFIGURED", path.getString("change"));
            assertEquals(endpointB, path.getString("endpoint"));
            assertEquals(0, path.getInt("hops"));
        }
    }

    @Test
    void flightRecorderSeesRelayDecisions(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream();
                RelayLoopbackTest.Net n = new RelayLoopbackTest.Net(dir, RelayLimits.defaults())) {
            rs.enable("org.anode.RelayDecision");
            rs.onEvent("org.anode.RelayDecision", events::add);
            rs.startAsync();
            String a = n.a.address().toString();
            String b = n.b.address().toString();
            String bShort = n.b.address().shortId().toString();
            n.a.ping(n.b.address(), Duration.ofSeconds(10));
            java.util.function.Predicate<RecordedEvent> forwardedToB =
                    e -> e.getString("verdict").equals("FORWARDED")
                            && (e.getString("recipient").equals(b)
                                    || e.getString("recipient").equals(bShort))
                            && e.getString("reason").startsWith("to ");
            StreamTestSupport.awaitTrue(() -> events.stream().anyMatch(forwardedToB), 30_000);
            RecordedEvent f = events.stream()
                    .filter(forwardedToB)
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no FORWARDED event for the PING to B: " + events));
            assertTrue(
                    f.getString("sender").equals(a)
                            || f.getString("sender")
                                    .equals(n.a.address().shortId().toString()),
                    f.toString());
            assertEquals(0, f.getInt("hops"), "as received, before the relay's increment");
        }
    }

    private static long count(List<RecordedEvent> events, String type, String addrA, String addrB) {
        return events.stream()
                .filter(e -> e.getEventType().getName().equals(type) && involves(e, addrA, addrB))
                .count();
    }

    private static boolean involves(RecordedEvent e, String addrA, String addrB) {
        if (e.getEventType().getName().equals("org.anode.PathChange")) {
            String peer = e.getString("peer");
            return peer.equals(addrA) || peer.equals(addrB);
        }
        String local = e.getString("local");
        return local.equals(addrA) || local.equals(addrB);
    }

    private static RecordedEvent find(List<RecordedEvent> events, String type, String local, String remote) {
        return events.stream()
                .filter(e -> e.getEventType().getName().equals(type)
                        && e.getString("local").equals(local)
                        && e.getString("remote").equals(remote))
                .findFirst()
                .orElse(null);
    }
}
