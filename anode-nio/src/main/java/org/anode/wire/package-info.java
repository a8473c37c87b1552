/**
 * The Anode wire codec (draft sections 2.9.2-2.10, 3, 4 and 5; DECISIONS 14-24): endpoints, the
 * common packet header with its MAC, every message of the basic signalling and stream protocols,
 * and the length-prefixed framing used over TCP and HTTP.
 *
 * <p>Two layers. The hot path ({@link org.anode.wire.PacketReader}, {@link org.anode.wire.PacketWriter},
 * {@link org.anode.wire.MessageFields}) reads and writes straight in the caller's
 * {@link java.nio.ByteBuffer} and allocates nothing per packet. The general layer
 * ({@link org.anode.wire.Packet}, {@link org.anode.wire.Message}, {@link org.anode.wire.Endpoint})
 * is immutable value types for control traffic and tests. Both share one validator, so they accept
 * exactly the same packets. Pure codec: no sockets, no clocks.
 */
package org.anode.wire;
