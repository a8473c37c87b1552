package org.anode.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.security.InvalidParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * The "Anode" JCA provider (draft sections 2.2, 2.4-2.7). After
 * {@code Security.addProvider(new AnodeProvider())} (or through {@code ServiceLoader}: the module
 * declares it and {@code META-INF/services} lists it for the class path) these work:
 * <ul>
 * <li>{@code MessageDigest "AES-DIGEST"} - draft 2.6 / DECISIONS 1, 16 bytes, cloneable;</li>
 * <li>{@code Mac "AESCMAC"} - AES-256 CMAC, draft 2.5 / DECISIONS 3, 16 bytes;</li>
 * <li>{@code Mac "AnodeMAC"} - that CMAC folded to 8 bytes, draft 3.3 step 3;</li>
 * <li>{@code KeyAgreement "AnodeECDH"} - P-256 ECDH plus the draft 2.4 XOR-fold derivation;</li>
 * <li>{@code KeyPairGenerator "Anode"} (alias {@code "ANODE-256-40"}) - keys with a zone;</li>
 * <li>{@code KeyFactory "Anode"} (alias {@code "ANODE-256-40"}) - addresses, X.509, PKCS#8, EC specs.</li>
 * </ul>
 * Services are created directly rather than by reflection, so they work on the module path
 * without opening any package.
 */
public final class AnodeProvider extends Provider {
    private static final long serialVersionUID = 1L;
    /** The provider's name, for {@code getInstance(algorithm, "Anode")}. */
    public static final String NAME = "Anode";

    /**
     * Creates the provider. Its version string ({@link #getVersionStr()}) is the build's
     * version, which the build writes into {@code anode-version.properties}.
     */
    public AnodeProvider() {
        super(NAME, buildVersion(), "Anode 0.8: AES-DIGEST, AES-256-CMAC, AnodeMAC, AnodeECDH, ANODE-256-40 keys");
        add("MessageDigest", "AES-DIGEST", "AesDigestSpi", List.of("AESDIGEST"), AesDigestSpi::new);
        add("Mac", "AESCMAC", "CmacSpi$Full", List.of("AES-CMAC", "AES256-CMAC"), CmacSpi.Full::new);
        add("Mac", "AnodeMAC", "CmacSpi$Folded", List.of(), CmacSpi.Folded::new);
        add("KeyAgreement", "AnodeECDH", "AnodeEcdhSpi", List.of(), AnodeEcdhSpi::new);
        add(
                "KeyPairGenerator",
                "Anode",
                "AnodeKeyPairGeneratorSpi",
                List.of("ANODE-256-40"),
                AnodeKeyPairGeneratorSpi::new);
        add("KeyFactory", "Anode", "AnodeKeyFactorySpi", List.of("ANODE-256-40"), AnodeKeyFactorySpi::new);
    }

    /**
     * The build's version from {@code anode-version.properties}. A class compiled outside the build
     * (an IDE without resource filtering) has no such file or an unfilled placeholder; it reports
     * "unknown" rather than a wrong number.
     */
    private static String buildVersion() {
        try (InputStream in = AnodeProvider.class.getResourceAsStream("anode-version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "").strip();
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // An unreadable resource in our own jar: the same as a missing one.
        }
        return "unknown";
    }

    private void add(String type, String algorithm, String spi, List<String> aliases, Supplier<Object> factory) {
        putService(new AnodeService(this, type, algorithm, "org.anode.crypto." + spi, aliases, factory));
    }

    /** A service that instantiates its SPI with a constructor reference instead of reflection. */
    private static final class AnodeService extends Service {
        private final Supplier<Object> factory;

        AnodeService(
                Provider p,
                String type,
                String algorithm,
                String className,
                List<String> aliases,
                Supplier<Object> factory) {
            super(p, type, algorithm, className, aliases, Map.of());
            this.factory = factory;
        }

        @Override
        public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
            if (constructorParameter != null) {
                throw new InvalidParameterException(
                        getType() + " " + getAlgorithm() + " takes no constructor parameter");
            }
            return factory.get();
        }
    }
}
