/**
 * The Anode stream protocol (draft section 5, DECISIONS 21-27): pure, sans-I/O state machines.
 *
 * <p>{@link org.anode.stream.StreamConnection} is one connection: packets arrive as decoded fields
 * through its {@code on*} methods, the application side calls {@code write}/{@code read}, and
 * {@link org.anode.stream.StreamConnection#transmit} emits the packets to send through a
 * {@link org.anode.stream.StreamSink}. It knows no wire encoding.
 *
 * <p>{@link org.anode.stream.StreamEndpoint} is a node's set of connections: it takes stream
 * messages as bytes, demultiplexes them by (remote address, link id, port) (DECISIONS 23), allocates
 * link ids, keeps the listening ports, accepts an S_OPEN for a listener with room in its backlog or
 * refuses it (rate-limited, never larger than what it answers, DECISIONS 30), hands an accepted
 * connection to its listener only once the opener acknowledged our ISN (addendum A5), and encodes
 * what the connections send with the {@link org.anode.wire.MessageFields} writers.
 *
 * <p>Time is always passed in by the caller (nanoseconds on any monotonic clock), so the same code
 * runs under a real event loop and under a simulated network with a virtual clock. Nothing here
 * opens sockets or starts threads.
 *
 * <h2>What the glue does</h2>
 * <ul>
 *   <li>Seals the endpoint's messages into packets (header, MAC) and sends them
 *       ({@link org.anode.stream.StreamEndpoint.PacketOut}); hands received, authenticated stream
 *       messages to {@link org.anode.stream.StreamEndpoint#route},
 *       {@link org.anode.stream.StreamEndpoint#deliver} or
 *       {@link org.anode.stream.StreamEndpoint#unmatched}.</li>
 *   <li>Serialises the threads that touch one connection, calls
 *       {@link org.anode.stream.StreamEndpoint#progress} after every input, files each connection under its
 *       {@code nextTimeoutNanos()} in one deadline heap per node (re-read after every call), and retires a connection once
 *       {@code isTerminated()}.</li>
 *   <li>Passes the path's largest S_DATA payload (DECISIONS 27) in
 *       {@link org.anode.stream.StreamConfig#maxPayload(int)}, and disables S_DACK
 *       ({@link org.anode.stream.StreamConfig#dataAckEnabled(boolean)}) unless its encoding carries
 *       the data's sequence number (see {@link org.anode.stream.StreamSink#sendDataAck}).</li>
 *   <li>Owns the listeners' queues and the memory budget for connection buffers.</li>
 * </ul>
 */
package org.anode.stream;
