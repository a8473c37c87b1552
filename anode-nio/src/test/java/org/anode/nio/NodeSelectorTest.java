package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes exchanging DGRAMs (draft 4.2.10) through plain NIO selector loops on {@link AnodeSelector}:
 * the same code a program would write against the JDK's DatagramChannel.
 */
@Timeout(60)
class NodeSelectorTest {

    /** Non-blocking echo: every datagram received is sent back to its source. */
    static void echoRound(Selector sel) throws IOException {
        sel.select(200);
        Iterator<SelectionKey> it = sel.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            if (k.isReadable()) {
                AnodeDatagramChannel ch = (AnodeDatagramChannel) k.channel();
                ByteBuffer b = ByteBuffer.allocate(2048);
                var from = ch.receive(b);
                while (from != null) {
                    b.flip();
                    ch.send(b, from);
                    b.clear();
                    from = ch.receive(b);
                }
            }
        }
    }

    @Test
    void twoNodesEchoThroughSelectorLoops() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            Selector serverSel = t.track(b.selectorProvider().openSelector());
            AnodeDatagramChannel server = b.openDatagramChannel();
            server.bind(AnodeSocketAddress.of(b.address(), 7)).configureBlocking(false);
            server.register(serverSel, SelectionKey.OP_READ);
            Thread echo = new Thread(() -> {
                try {
                    while (serverSel.isOpen()) {
                        echoRound(serverSel);
                    }
                } catch (IOException | java.nio.channels.ClosedSelectorException e) {
                    // selector closed at the end
                }
            });
            echo.start();

            Selector clientSel = t.track(a.selectorProvider().openSelector());
            AnodeDatagramChannel client = a.openDatagramChannel();
            client.bind(null).configureBlocking(false);
            SelectionKey key = client.register(clientSel, SelectionKey.OP_READ);
            int n = 300;
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < n; i++) {
                String m = "msg-" + i;
                expected.add(m);
                assertEquals(m.length(), client.send(NodeTestSupport.utf8(m), AnodeSocketAddress.of(b.address(), 7)));
                if (i % 50 == 49) {
                    Thread.sleep(2); // pace a little: UDP may drop bursts, and so may we
                }
            }
            long deadline = System.nanoTime() + 20_000_000_000L;
            Set<String> got = new HashSet<>();
            while (got.size() < n && System.nanoTime() < deadline) {
                if (clientSel.select(500) == 0) {
                    continue;
                }
                assertTrue(clientSel.selectedKeys().contains(key));
                clientSel.selectedKeys().clear();
                ByteBuffer b2 = ByteBuffer.allocate(64);
                while (client.receive(b2) != null) {
                    got.add(NodeTestSupport.utf8(b2));
                    b2.clear();
                }
            }
            assertEquals(expected, got);
            serverSel.close();
            echo.join(5000);
        }
    }

    @Test
    void threeNodesEachSendToTheOtherTwo() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode[] nodes = {t.node(), t.node(), t.node()};
            for (int i = 0; i < 3; i++) {
                for (int j = i + 1; j < 3; j++) {
                    NodeTestSupport.introduce(nodes[i], nodes[j]);
                }
            }
            Selector[] sels = new Selector[3];
            AnodeDatagramChannel[] chans = new AnodeDatagramChannel[3];
            for (int i = 0; i < 3; i++) {
                sels[i] = t.track(nodes[i].selectorProvider().openSelector());
                chans[i] = nodes[i].openDatagramChannel();
                chans[i].bind(AnodeSocketAddress.of(nodes[i].address(), 5000 + i))
                        .configureBlocking(false);
                chans[i].register(sels[i], SelectionKey.OP_READ);
            }
            int perPair = 40;
            for (int k = 0; k < perPair; k++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        if (i != j) {
                            chans[i].send(
                                    NodeTestSupport.utf8(i + ">" + j + "#" + k),
                                    AnodeSocketAddress.of(nodes[j].address(), 5000 + j));
                        }
                    }
                }
            }
            List<Set<String>> got = new ArrayList<>();
            Map<Integer, AnodeSocketAddress> senders = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                got.add(new HashSet<>());
            }
            long deadline = System.nanoTime() + 20_000_000_000L;
            int total = 0;
            while (total < 3 * 2 * perPair && System.nanoTime() < deadline) {
                for (int i = 0; i < 3; i++) {
                    if (sels[i].selectNow() == 0) {
                        continue;
                    }
                    sels[i].selectedKeys().clear();
                    ByteBuffer b = ByteBuffer.allocate(64);
                    AnodeSocketAddress from;
                    while ((from = (AnodeSocketAddress) chans[i].receive(b)) != null) {
                        String m = NodeTestSupport.utf8(b);
                        b.clear();
                        if (got.get(i).add(m)) {
                            total++;
                        }
                        senders.put(Integer.parseInt(m.substring(0, 1)) * 10 + i, from);
                    }
                }
                Thread.sleep(1);
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(2 * perPair, got.get(i).size(), "node " + i);
            }
            for (var e : senders.entrySet()) {
                int from = e.getKey() / 10;
                assertEquals(AnodeSocketAddress.of(nodes[from].address(), 5000 + from), e.getValue());
            }
        }
    }
}
