package org.anode.conformance.provider;

import java.security.Provider;
import org.anode.crypto.AnodeProvider;

/**
 * The JCA provider the provider suites check. By default this project's {@link AnodeProvider};
 * another implementation of the same services (MessageDigest AES-DIGEST, Mac AESCMAC and
 * AnodeMAC, KeyAgreement AnodeECDH, KeyPairGenerator and KeyFactory Anode) can be checked
 * unchanged by naming its provider class:
 * {@code mvn verify -pl conformance -am -Danode.conformance.provider=com.example.TheirProvider}.
 */
final class ProviderUnderTest {
    static final String PROPERTY = "anode.conformance.provider";

    private ProviderUnderTest() {}

    static Provider get() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            return new AnodeProvider();
        }
        try {
            return (Provider)
                    Class.forName(name.strip()).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException(
                    PROPERTY + "=" + name + " is not a java.security.Provider with a"
                            + " public no-argument constructor",
                    e);
        }
    }
}
