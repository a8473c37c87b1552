package org.anode.nio;

/**
 * The management interface of a running {@link AnodeNode}: its counters (the fields of
 * {@link AnodeNode.Statistics}, draft 3 and 4), its peers and their paths (draft 4.2.4, 4.2.5).
 * Every node registers one MBean under {@code org.anode:type=Node,address=<its base32 address>}
 * in the platform MBeanServer when it starts and unregisters it when it closes, so {@code jconsole}
 * or any JMX client shows it; {@code anode status} prints the same through the node's control
 * socket. Counters only grow; they are read without stopping the node.
 */
public interface AnodeNodeMXBean {
    /** {@return the node's Anode address (base32)} */
    String getAddress();

    /** {@return the UDP endpoints the node listens on} */
    String[] getLocalEndpoints();

    /** {@return whether the node is running} */
    boolean isOpen();

    /** {@return packets handed to the engine} */
    long getReceived();

    /** {@return packets dropped as malformed (draft 3)} */
    long getMalformed();

    /** {@return packets dropped because they were for another address} */
    long getNotForUs();

    /** {@return packets dropped because no MAC verified (draft 3.3, 3.5)} */
    long getAuthFailed();

    /** {@return authentication error responses received (flag 0x04, draft 3.2)} */
    long getAuthErrorResponses();

    /** {@return unknown senders dropped (key-agreement budget or table bound)} */
    long getUnknownSenderDropped();

    /** {@return packets whose MAC verified} */
    long getAccepted();

    /** {@return datagrams delivered to a bound port (draft 4.2.10)} */
    long getDelivered();

    /** {@return datagrams and stream messages with nothing listening} */
    long getNoListener();

    /** {@return authenticated messages of a type the node does not handle} */
    long getUnhandledType();

    /** {@return ERROR replies sent (draft 4.2.1)} */
    long getErrorReplies();

    /** {@return PONGs sent (draft 4.2.3)} */
    long getPongsSent();

    /** {@return unknown senders dropped because the peer table was full of peers it keeps} */
    long getPeerTableFull();

    /** {@return endpoint checks started (draft 4.2.4)} */
    long getEndpointChecks();

    /** {@return endpoints proven by an endpoint check (draft 4.2.5)} */
    long getEndpointsProven();

    /** {@return first contacts answered with an address cookie (addendum A15)} */
    long getCookieReplies();

    /** {@return valid address cookies received: sources that proved their address (addendum A15)} */
    long getCookiesAccepted();

    /** {@return PINGs sent carrying another node's address cookie (addendum A15)} */
    long getCookiePings();

    /** {@return peers in the table} */
    int getPeerCount();

    /**
     * {@return one line per peer: its address, then each IP endpoint (best first) with its hop count,
     * and {@code /tcp} or {@code /http} when a TCP or HTTP carrier takes it (DECISIONS 38), for
     * example {@code "abcd... 192.0.2.1:40000/0 192.0.2.2:40000/1/tcp"}}
     */
    String[] getPeers();
}
