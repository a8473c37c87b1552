package org.anode.crypto;

import java.security.Provider;

/**
 * The "Anode" JCA provider (draft sections 2.4-2.7): {@code Security.addProvider(new AnodeProvider())}
 * registers AES-DIGEST, AES-256 CMAC, the Anode packet MAC, Anode ECDH and ANODE-256-40 keys.
 */
public final class AnodeProvider extends Provider {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "Anode";

    public AnodeProvider() {
        super(NAME, "0.1", "Anode 0.8: AES-DIGEST, AES-256-CMAC, AnodeMAC, AnodeECDH, ANODE-256-40 keys");
    }
}
