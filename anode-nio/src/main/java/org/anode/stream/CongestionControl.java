package org.anode.stream;

/**
 * Which congestion controller a stream connection runs (DECISIONS 25: the draft names none), set
 * with {@link StreamConfig#congestionControl(CongestionControl)}.
 */
public enum CongestionControl {
    /**
     * A model-based controller (the default): BBR version 1's model and state machine - the path's
     * bottleneck bandwidth as a windowed maximum of delivery-rate samples, its round-trip
     * propagation time as a windowed minimum - so random loss on a long path does not shrink the
     * rate, as it does for a loss-based controller. See {@link Bbr} for why version 1.
     */
    BBR,
    /** RFC 5681 / 6582 NewReno: loss-based, halves once per loss episode. */
    NEW_RENO
}
