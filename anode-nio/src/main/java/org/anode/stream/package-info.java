/**
 * The Anode stream protocol core (draft section 5, DECISIONS 21-27): a pure, sans-I/O state machine.
 *
 * <p>Packets arrive as decoded fields through the {@code on*} methods of
 * {@link org.anode.stream.StreamConnection}, the application side calls {@code write}/{@code read},
 * and {@link org.anode.stream.StreamConnection#transmit} emits the packets to send through a
 * {@link org.anode.stream.StreamSink}. Time is always passed in by the caller (nanoseconds on any
 * monotonic clock), so the same code runs under a real event loop and under a simulated network with
 * a virtual clock. Nothing here opens sockets, starts threads, or knows the wire encoding.
 *
 * <h2>What the glue does</h2>
 * <ul>
 *   <li>Owns the connection table keyed by (remote address, remote link id, local port or link id)
 *       (DECISIONS 23), and adds the link id and destination port to everything a
 *       {@link org.anode.stream.StreamSink} receives.</li>
 *   <li>For an S_OPEN with no matching connection: {@link org.anode.stream.StreamAcceptor#accept}
 *       if the port listens and the backlog has room, otherwise
 *       {@link org.anode.stream.StreamAcceptor#refuse}. An S_OPEN matching an existing connection
 *       goes to its {@code onOpen} (a retransmission, answered again).</li>
 *   <li>An S_OPEN answer for a link it no longer knows may be answered with the refusal form
 *       {@code S_CLOSE(reason, isn = seq = that S_OPEN's ISN)}; the stale peer then aborts. Other
 *       packets for unknown links are dropped.</li>
 *   <li>Calls {@code transmit} after every input, files each connection under its
 *       {@code nextTimeoutNanos()} in one deadline heap per node (re-read after every call), and
 *       forgets a connection once {@code isTerminated()} and the application has closed it.</li>
 *   <li>Passes the path's largest S_DATA payload (DECISIONS 27) in
 *       {@link org.anode.stream.StreamConfig#maxPayload(int)}, and disables S_DACK
 *       ({@link org.anode.stream.StreamConfig#dataAckEnabled(boolean)}) unless its encoding carries
 *       the data's sequence number (see {@link org.anode.stream.StreamSink#sendDataAck}).</li>
 * </ul>
 */
package org.anode.stream;
