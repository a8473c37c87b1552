package org.anode.stream;

/**
 * The congestion control of one stream connection (DECISIONS 25: the draft has none; we choose
 * {@link Bbr} by default, {@link NewReno} on request - see {@link CongestionControl}). The connection keeps the per-packet state (the send buffer's descriptors, the
 * bytes in flight, the RTT estimate, loss detection) and tells the controller about each event;
 * the controller answers with a window and a pacing rate. The events carry what a model-based
 * controller such as BBR needs as well as what a loss-based one uses: the bytes each event concerns,
 * the bytes in flight around it, RTT samples, and sequence numbers to delimit recovery episodes.
 *
 * <p>Calls come from the connection's single thread and must not allocate: they run per packet.
 */
interface CongestionController {
    /**
     * A packet left: sequence number {@code seq} with {@code bytes} of payload (0 for a FIN),
     * {@code inFlight} the bytes in flight after it.
     *
     * @param retransmission true when the packet was sent before (a loss repair or a probe)
     */
    void onPacketSent(long now, int seq, int bytes, long inFlight, boolean retransmission);

    /**
     * Packet {@code seq} with {@code bytes} of payload was newly acknowledged; called for each such
     * packet of an acknowledgement, before {@link #onAck} for the whole of it (delivery-rate
     * sampling needs the individual packets).
     */
    void onPacketAcked(long now, int seq, int bytes);

    /**
     * The sender ran out of data to send with the window not full: rate samples taken until what
     * is now in flight has been delivered understate the path, and must not lower a model.
     */
    void onApplicationLimited(long inFlight);

    /**
     * An acknowledgement newly covered {@code ackedBytes} of payload.
     *
     * @param sndUna the oldest unacknowledged sequence number after it
     * @param priorInFlight bytes in flight before the acknowledgement was processed
     * @param inFlight bytes in flight after it
     * @param rttSample the RTT measured from it (Karn), or -1 when it gave none
     * @param minRtt the smallest RTT seen so far, or {@link RttEstimator#NO_SAMPLE}
     */
    void onAck(long now, int sndUna, long ackedBytes, long priorInFlight, long inFlight, long rttSample, long minRtt);

    /**
     * Fast loss detection judged packets lost, the oldest being {@code firstLost}; the controller
     * decides whether this starts a new congestion episode (once per flight).
     *
     * @param sndNxt the next sequence number to be sent: what must be acknowledged to end the episode
     * @param inFlight bytes in flight after the lost packets were taken out
     */
    void onLoss(long now, int firstLost, int sndNxt, long inFlight);

    /**
     * The retransmission timeout fired on real data (not a zero-window probe): every packet in
     * flight is deemed lost.
     *
     * @param priorInFlight bytes in flight before they were taken out
     */
    void onRetransmissionTimeout(long now, int sndNxt, long priorInFlight);

    /** The congestion window in bytes: how many may be in flight. */
    long window();

    /** True while recovering from a loss episode (no tail loss probes then). */
    boolean inRecovery();

    /**
     * True once {@code sndUna} has passed everything that was in flight at the last congestion
     * event or timeout (so the recovery that followed it is over); false if there was none.
     */
    boolean pastRecoveryPoint(int sndUna);

    /**
     * The time {@code bytes} take to send at the pacing rate, given the smoothed RTT (positive).
     */
    long pacingIntervalNanos(int bytes, long srtt);

    /** The pacing rate in bytes per second given the smoothed RTT, 0 if not yet known. */
    long pacingRate(long srtt);

    /** The path's largest payload changed (DECISIONS 27): the unit of window growth. */
    void setMaxPayload(int bytes);

    /** A short name of the controller's state, for the connection trace. */
    String stateName();

    /** Heap bytes of per-packet state the controller holds (counted in the connection's total). */
    long allocatedBytes();

    /** Nothing is in flight and the connection's buffers are released: drop per-packet state. */
    void release();
}
