package org.anode.conformance.lab;

import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.engine.Engine;
import org.anode.engine.EventLoop;
import org.anode.engine.Peer;
import org.anode.engine.PeerEndpoint;
import org.anode.engine.Transport;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.wire.Endpoint;
import org.anode.wire.Message;

/**
 * A hostile peer for the lab (draft 4.2.6 EPI; DECISIONS 30, 36): an authenticated node that reaches its target over
 * the zone relay and then floods it with EPIs naming endpoints of a third party (the victim),
 * each EPI valid and MAC'd. The target may probe what an EPI names, within its probe budget only.
 * Its own traversal is off, so it never offers a real endpoint.
 *
 * <p>Arguments: identity file, target address, victim IPv4 address, EPIs per second, seconds.
 * Reaches into the node (reflection on package-private members) to send EPIs, which the public API
 * never sends by itself.
 */
public final class EpiFloodAgent {
    private EpiFloodAgent() {}

    public static void main(String[] args) throws Exception {
        AnodeIdentity id = AnodeIdentity.load(Path.of(args[0]));
        AnodeAddress target = AnodeAddress.parse(args[1]);
        InetAddress victim = InetAddress.getByName(args[2]);
        int rate = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        try (AnodeNode node = AnodeNode.start(
                id, AnodeNodeConfig.builder().port(0).natTraversal(false).build())) {
            node.ping(target, Duration.ofSeconds(10));
            System.out.println("reached " + target + " over "
                    + node.pathTo(target).orElseThrow().kind());
            Method engineOf = AnodeNode.class.getDeclaredMethod("engine");
            engineOf.setAccessible(true);
            Engine engine = (Engine) engineOf.invoke(node);
            Method loopOf = AnodeNode.class.getDeclaredMethod("loop");
            loopOf.setAccessible(true);
            EventLoop loop = (EventLoop) loopOf.invoke(node);
            Method send = Engine.class.getDeclaredMethod(
                    "sendMessageTo",
                    Peer.class,
                    Transport.class,
                    InetSocketAddress.class,
                    Message.class,
                    boolean.class);
            send.setAccessible(true);
            long sent = 0;
            int port = 1024;
            for (int s = 0; s < seconds; s++) {
                long start = System.nanoTime();
                int p0 = port;
                sent += loop.submit(() -> {
                            Peer p = engine.peer(target);
                            PeerEndpoint via = p.bestEndpoint();
                            int n = 0;
                            for (int i = 0; i < rate; i++) {
                                Message.Epi epi = new Message.Epi(
                                        Endpoint.udp(new InetSocketAddress(victim, p0 + i)), 1, new byte[0]);
                                if ((Boolean) send.invoke(engine, p, via.transport(), via.address(), epi, true)) {
                                    n++;
                                }
                            }
                            return n;
                        })
                        .get();
                port += rate;
                long left = 1_000_000_000L - (System.nanoTime() - start);
                if (left > 0) {
                    Thread.sleep(left / 1_000_000);
                }
            }
            System.out.println("sent " + sent + " EPIs naming " + victim);
        }
    }
}
