/**
 * Anode JCA provider: AES-DIGEST, AES-256-CMAC, the Anode packet MAC, the Anode ECDH key
 * derivation and ANODE-256-40 key pairs and addresses (draft sections 2.2, 2.4-2.7).
 */
module org.anode.provider {
    // Transitive: AnodeAddress.of/point and AnodePublicKey.point expose Bouncy Castle's ECPoint.
    requires transitive org.bouncycastle.provider;

    exports org.anode.address;
    exports org.anode.crypto;
    // Primitives used by the wire codec and engine; not part of the public API.
    exports org.anode.crypto.internal to
            org.anode.nio;

    provides java.security.Provider with
            org.anode.crypto.AnodeProvider;
}
