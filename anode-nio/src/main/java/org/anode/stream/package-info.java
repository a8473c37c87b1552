/**
 * The Anode stream protocol core (draft section 5, DECISIONS 21-27): a pure, sans-I/O state machine.
 *
 * <p>Packets arrive as decoded fields through the {@code on*} methods of
 * {@link org.anode.stream.StreamConnection}, the application side calls {@code write}/{@code read},
 * and {@link org.anode.stream.StreamConnection#transmit} emits the packets to send through a
 * {@link org.anode.stream.StreamSink}. Time is always passed in by the caller (nanoseconds on any
 * monotonic clock), so the same code runs under a real event loop and under a simulated network with
 * a virtual clock. Nothing here opens sockets, starts threads, or knows the wire encoding: link ids,
 * ports and addresses (DECISIONS 23) belong to the glue that owns the connection table.
 */
package org.anode.stream;
