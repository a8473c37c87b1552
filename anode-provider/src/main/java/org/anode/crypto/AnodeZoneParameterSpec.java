package org.anode.crypto;

import java.security.spec.AlgorithmParameterSpec;
import java.util.Objects;
import org.anode.address.Zone;

/**
 * Parameters for {@code KeyPairGenerator "Anode"} (draft 2.1, 2.2): the zone the generated
 * address belongs to. Without it the generator uses zone 0.
 */
public final class AnodeZoneParameterSpec implements AlgorithmParameterSpec {
    private final Zone zone;

    /**
     * Parameters for keys in {@code zone}.
     *
     * @param zone the zone of the generated addresses
     */
    public AnodeZoneParameterSpec(Zone zone) {
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    /** {@return the zone of the generated addresses} */
    public Zone zone() {
        return zone;
    }

    @Override
    public String toString() {
        return "AnodeZoneParameterSpec[zone=" + zone + "]";
    }
}
