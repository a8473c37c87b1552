package org.anode.nio;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.anode.engine.Peer;
import org.anode.engine.PeerEndpoint;

/**
 * A node's MBean ({@link AnodeNodeMXBean}): registered in the platform MBeanServer when the node
 * starts, unregistered when it closes. Two nodes of one address in one JVM (tests do that) get
 * {@code ,instance=2}, {@code 3}... after the first. A JVM without a usable MBeanServer keeps
 * the node running without its MBean: management must never stop a node.
 */
final class NodeManagement implements AnodeNodeMXBean {
    private static final System.Logger LOG = System.getLogger(NodeManagement.class.getName());
    /** The domain of every Anode MBean. */
    static final String DOMAIN = "org.anode";

    private static final Map<AnodeNode, ObjectName> REGISTERED = new ConcurrentHashMap<>();

    private final AnodeNode node;

    private NodeManagement(AnodeNode node) {
        this.node = node;
    }

    /** The name the node's MBean gets when no other node of its address is registered. */
    static ObjectName nameOf(String address, int instance) throws JMException {
        return new ObjectName(DOMAIN + ":type=Node,address=" + address + (instance > 1 ? ",instance=" + instance : ""));
    }

    /** Registers {@code node}'s MBean (node start). */
    static void register(AnodeNode node) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        NodeManagement bean = new NodeManagement(node);
        String address = node.address().toString();
        for (int instance = 1; instance <= 1000; instance++) {
            try {
                ObjectName name = nameOf(address, instance);
                server.registerMBean(bean, name);
                REGISTERED.put(node, name);
                return;
            } catch (InstanceAlreadyExistsException e) {
                // Another node of this address in this JVM: try the next instance number.
            } catch (JMException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "node " + address + " has no MBean: " + e);
                return;
            }
        }
        LOG.log(System.Logger.Level.WARNING, "node " + address + " has no MBean: 1000 nodes of that address");
    }

    /** Unregisters {@code node}'s MBean (node close); nothing if it had none. */
    static void unregister(AnodeNode node) {
        ObjectName name = REGISTERED.remove(node);
        if (name == null) {
            return;
        }
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "unregistering " + name + ": " + e);
        }
    }

    /** The name {@code node}'s MBean is registered under, or null. */
    static ObjectName registeredName(AnodeNode node) {
        return REGISTERED.get(node);
    }

    /**
     * One line per peer: its address, then each endpoint (best first) as {@code ip:port/hops},
     * followed by {@code /tcp} or {@code /http} when a TCP or HTTP carrier takes it (DECISIONS 38).
     * Read from the peer table's concurrent map and each peer's endpoint snapshot, so it is safe
     * from any thread.
     */
    static String[] peerLines(AnodeNode node) {
        List<String> lines = new ArrayList<>();
        for (Peer p : node.engine().peers()) {
            StringBuilder sb = new StringBuilder(p.address().toString());
            for (PeerEndpoint e : p.endpoints()) {
                InetSocketAddress a = e.address();
                sb.append(' ')
                        .append(a.getAddress().getHostAddress())
                        .append(':')
                        .append(a.getPort())
                        .append('/')
                        .append(e.hops());
                // A path carried over TCP or HTTP says so (DECISIONS 38): "1.2.3.4:5/1/tcp".
                org.anode.wire.EndpointType t = NodeCarriers.carrierType(e.transport(), a);
                if (t.isTcp()) {
                    sb.append("/tcp");
                } else if (t == org.anode.wire.EndpointType.HTTP) {
                    sb.append("/http");
                }
            }
            lines.add(sb.toString());
        }
        lines.sort(null);
        return lines.toArray(new String[0]);
    }

    @Override
    public String getAddress() {
        return node.address().toString();
    }

    @Override
    public String[] getLocalEndpoints() {
        return node.localEndpoints().stream().map(InetSocketAddress::toString).toArray(String[]::new);
    }

    @Override
    public boolean isOpen() {
        return node.isOpen();
    }

    @Override
    public long getReceived() {
        return node.statistics().received();
    }

    @Override
    public long getMalformed() {
        return node.statistics().malformed();
    }

    @Override
    public long getNotForUs() {
        return node.statistics().notForUs();
    }

    @Override
    public long getAuthFailed() {
        return node.statistics().authFailed();
    }

    @Override
    public long getAuthErrorResponses() {
        return node.statistics().authErrorResponses();
    }

    @Override
    public long getUnknownSenderDropped() {
        return node.statistics().unknownSenderDropped();
    }

    @Override
    public long getAccepted() {
        return node.statistics().accepted();
    }

    @Override
    public long getDelivered() {
        return node.statistics().delivered();
    }

    @Override
    public long getNoListener() {
        return node.statistics().noListener();
    }

    @Override
    public long getUnhandledType() {
        return node.statistics().unhandledType();
    }

    @Override
    public long getErrorReplies() {
        return node.statistics().errorReplies();
    }

    @Override
    public long getPongsSent() {
        return node.statistics().pongsSent();
    }

    @Override
    public long getPeerTableFull() {
        return node.statistics().peerTableFull();
    }

    @Override
    public long getEndpointChecks() {
        return node.statistics().endpointChecks();
    }

    @Override
    public long getEndpointsProven() {
        return node.statistics().endpointsProven();
    }

    @Override
    public long getCookieReplies() {
        return node.statistics().cookieReplies();
    }

    @Override
    public long getCookiesAccepted() {
        return node.statistics().cookiesAccepted();
    }

    @Override
    public long getCookiePings() {
        return node.statistics().cookiePings();
    }

    @Override
    public int getPeerCount() {
        return node.peerCount();
    }

    @Override
    public String[] getPeers() {
        return peerLines(node);
    }
}
