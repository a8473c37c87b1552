package org.anode.crypto;

import java.security.spec.KeySpec;
import java.util.Objects;
import org.anode.address.AnodeAddress;

/**
 * A public key given as an Anode address (draft 2.2): {@code KeyFactory "Anode"} turns it into the
 * address's {@link AnodePublicKey} and back. The address was validated when it was made, so the
 * key is safe for agreement (DECISIONS 8).
 */
public final class AnodeAddressKeySpec implements KeySpec {
    private final AnodeAddress address;

    /**
     * Wraps an address as a key spec.
     *
     * @param address the address whose key is meant
     */
    public AnodeAddressKeySpec(AnodeAddress address) {
        this.address = Objects.requireNonNull(address, "address");
    }

    /** {@return the address whose key is meant} */
    public AnodeAddress address() {
        return address;
    }

    @Override
    public String toString() {
        return "AnodeAddressKeySpec[" + address + "]";
    }
}
