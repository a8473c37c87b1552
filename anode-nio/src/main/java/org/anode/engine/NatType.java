package org.anode.engine;

/**
 * How a node's NAT maps its UDP socket (DECISIONS 35), as learned from NETID answers (draft 4.2.9)
 * for its own side and from the NAT-T mode of a peer's EPIs (draft 4.2.6, DECISIONS 36) for the
 * other side.
 */
public enum NatType {
    /** Nothing learned yet (no NETID answer, or no EPI from the peer). */
    UNKNOWN,
    /** No NAT: the public endpoint is the socket's own address (EPI NAT-T mode 0). */
    NONE,
    /** Endpoint-independent mapping: one public endpoint for every destination (mode 1). */
    EASY,
    /** Endpoint-dependent mapping with public ports handed out in sequence (mode 2). */
    HARD_SEQUENTIAL,
    /** Endpoint-dependent mapping with random public ports (mode 3). */
    HARD_RANDOM;

    /** True for the endpoint-dependent ("hard") kinds. */
    public boolean isHard() {
        return this == HARD_SEQUENTIAL || this == HARD_RANDOM;
    }

    /** The EPI NAT-T mode (DECISIONS 36) a node of this kind announces for its public endpoint. */
    int natTMode() {
        return switch (this) {
            case NONE -> NatTraversal.MODE_NONE;
            case HARD_SEQUENTIAL -> NatTraversal.MODE_PREDICT;
            case HARD_RANDOM -> NatTraversal.MODE_MANY;
            default -> NatTraversal.MODE_SIMULTANEOUS;
        };
    }

    /** What a peer's EPI NAT-T mode says about its NAT. */
    static NatType ofMode(int mode) {
        return switch (mode) {
            case NatTraversal.MODE_NONE -> NONE;
            case NatTraversal.MODE_SIMULTANEOUS -> EASY;
            case NatTraversal.MODE_PREDICT -> HARD_SEQUENTIAL;
            case NatTraversal.MODE_MANY -> HARD_RANDOM;
            default -> UNKNOWN;
        };
    }

    /**
     * Classifies a NAT from the public endpoints that distinct observers (zone relays, or endpoints
     * of one relay) reported for one local socket (DECISIONS 35).
     *
     * <ul>
     *   <li>A reported endpoint equal to the socket's own address (or, for a wildcard socket, to
     *       one of the host's addresses with the socket's port): {@link #NONE}.
     *   <li>Two or more observers, all the same endpoint: {@link #EASY}. Different ports whose
     *       steps, in increasing order, are all equal and small (1 to {@link #MAX_STEP}):
     *       {@link #HARD_SEQUENTIAL}; otherwise
     *       {@link #HARD_RANDOM}.
     *   <li>One observer only: the mapping cannot be compared, so the port decides - kept
     *       (as Linux {@code masquerade} and most home routers that map endpoint-independently
     *       do): {@link #EASY}; changed: {@link #HARD_RANDOM} (an endpoint-independent NAT that
     *       renumbers ports is misjudged as hard; it still gets its direct path through the
     *       peer's probes of the public endpoint, which every mode includes).
     * </ul>
     *
     * @param localPort the socket's port
     * @param localIps the host's addresses (the socket's own, or every interface address)
     * @param mapped the public endpoints reported, one per observer, in the order they were made
     */
    public static NatType classify(
            int localPort,
            java.util.Collection<java.net.InetAddress> localIps,
            java.util.List<java.net.InetSocketAddress> mapped) {
        if (mapped.isEmpty()) {
            return UNKNOWN;
        }
        for (java.net.InetSocketAddress m : mapped) {
            if (m.getPort() == localPort && localIps.contains(m.getAddress())) {
                return NONE;
            }
        }
        java.net.InetSocketAddress first = mapped.get(0);
        if (mapped.size() == 1) {
            return first.getPort() == localPort ? EASY : HARD_RANDOM;
        }
        boolean same = true;
        for (java.net.InetSocketAddress m : mapped) {
            same &= m.equals(first);
        }
        if (same) {
            return EASY;
        }
        return sequentialStep(mapped) != 0 ? HARD_SEQUENTIAL : HARD_RANDOM;
    }

    /** Largest port step taken as a sequential allocation. */
    public static final int MAX_STEP = 8;

    /**
     * The common step between the observed ports taken in increasing order, or 0 if they are not
     * in sequence. Sorted, because the order the answers came in need not be the order the
     * mappings were made (an answer lost and asked again comes last); so a sequence is taken to
     * count up, as the sequential NATs we know of do.
     */
    static int sequentialStep(java.util.List<java.net.InetSocketAddress> mapped) {
        if (mapped.size() < 2) {
            return 0;
        }
        for (java.net.InetSocketAddress m : mapped) {
            if (!m.getAddress().equals(mapped.get(0).getAddress())) {
                return 0;
            }
        }
        int[] ports = new int[mapped.size()];
        for (int i = 0; i < ports.length; i++) {
            ports[i] = mapped.get(i).getPort();
        }
        java.util.Arrays.sort(ports);
        int step = ports[1] - ports[0];
        if (step == 0 || step > MAX_STEP) {
            return 0;
        }
        for (int i = 2; i < ports.length; i++) {
            if (ports[i] - ports[i - 1] != step) {
                return 0;
            }
        }
        return step;
    }
}
