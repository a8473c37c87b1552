package org.anode.conformance.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The AES-256 CMAC examples of NIST SP 800-38B (the CMAC-AES256 worked examples, which use the same
 * messages as RFC 4493's AES-128 examples), through {@code Mac "AESCMAC"} (draft 2.5, DECISIONS 3).
 */
class Sp800_38bCmacTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String KEY = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
    private static final String M64 = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    @ParameterizedTest(name = "Mlen = {0} bytes")
    @CsvSource({
        "0, 028962f61b7bf89efc6b551f4667d983",
        "16, 28a7023f452e8f82bd4bf28d8c37c35c",
        "40, aaf3d8f1de5640c232f5b169b9c911e6",
        "64, e1992190549f6ed5696a2c056c315410",
    })
    void aes256Examples(int length, String tag) throws Exception {
        Mac mac = Mac.getInstance("AESCMAC", ProviderUnderTest.get());
        mac.init(new SecretKeySpec(HEX.parseHex(KEY), "AES"));
        byte[] msg = HEX.parseHex(M64.substring(0, 2 * length));
        assertEquals(tag, HEX.formatHex(mac.doFinal(msg)));
        // Split at every position: the same tag.
        for (int split = 0; split <= length; split++) {
            mac.update(msg, 0, split);
            mac.update(msg, split, length - split);
            assertEquals(tag, HEX.formatHex(mac.doFinal()), "split at " + split);
        }
    }
}
