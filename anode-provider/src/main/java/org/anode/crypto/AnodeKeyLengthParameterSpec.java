package org.anode.crypto;

import java.security.spec.AlgorithmParameterSpec;

/**
 * Parameters for {@code KeyAgreement "AnodeECDH"} (draft 2.4, DECISIONS 2): the length in bytes of
 * the key the XOR-fold derivation produces. Without it the agreement yields the 32-byte raw key.
 */
public final class AnodeKeyLengthParameterSpec implements AlgorithmParameterSpec {
    /** Derived keys longer than this are refused: they would only repeat the 32 raw bytes. */
    public static final int MAX_LENGTH = 1 << 16;

    private final int length;

    /**
     * Asks for a derived key of {@code length} bytes.
     *
     * @param length derived key length in bytes, 1 to {@link #MAX_LENGTH}
     * @throws IllegalArgumentException if the length is out of range
     */
    public AnodeKeyLengthParameterSpec(int length) {
        if (length < 1 || length > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "derived key length must be 1 to " + MAX_LENGTH + " bytes, got " + length);
        }
        this.length = length;
    }

    /** {@return the derived key length in bytes} */
    public int length() {
        return length;
    }

    @Override
    public String toString() {
        return "AnodeKeyLengthParameterSpec[length=" + length + "]";
    }
}
