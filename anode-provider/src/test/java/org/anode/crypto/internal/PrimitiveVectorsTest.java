package org.anode.crypto.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.address.AnodeAddress;
import org.junit.jupiter.api.Test;

/** The libanode reference vectors against the bare primitives (the JCA layer has its own suite). */
class PrimitiveVectorsTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"([^\"]*)\"|(-?\\d+))");

    static List<java.util.Map<String, String>> vectors(String kind) throws Exception {
        List<java.util.Map<String, String>> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                PrimitiveVectorsTest.class.getResourceAsStream("/libanode-reference.jsonl"), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                java.util.Map<String, String> m = new java.util.HashMap<>();
                Matcher mt = FIELD.matcher(line);
                while (mt.find()) {
                    m.put(mt.group(1), mt.group(3) != null ? mt.group(3) : mt.group(4));
                }
                if (kind.equals(m.get("kind"))) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    @Test
    void aesDigest() throws Exception {
        var vs = vectors("aes-digest");
        assertEquals(38, vs.size());
        for (var v : vs) {
            assertEquals(
                    v.get("digest"), HEX.formatHex(AesDigest.digest(HEX.parseHex(v.get("message")))), v.get("message"));
        }
    }

    @Test
    void cmac() throws Exception {
        var vs = vectors("cmac-aes256");
        assertEquals(12, vs.size());
        for (var v : vs) {
            AesCmac m = AesCmac.forKey(HEX.parseHex(v.get("key")));
            byte[] msg = HEX.parseHex(v.get("message"));
            m.update(msg, 0, msg.length);
            assertEquals(v.get("mac"), HEX.formatHex(m.doFinal()));
        }
    }

    @Test
    void identitiesAndAgreement() throws Exception {
        for (var v : vectors("identity")) {
            AnodeAddress a = AnodeAddress.fromBytes(HEX.parseHex(v.get("address")));
            assertEquals(v.get("address_base32"), a.toString());
            assertEquals(a, AnodeAddress.parse(v.get("address_base32")));
            assertEquals(v.get("short_id"), a.shortId().toString());
            BigInteger s = new BigInteger(1, HEX.parseHex(v.get("secret")));
            assertEquals(a, AnodeAddress.of(a.zone(), P256.publicPoint(s)));
        }
        var ka = vectors("key-agreement");
        assertEquals(40, ka.size());
        for (var v : ka) {
            BigInteger s = new BigInteger(1, HEX.parseHex(v.get("secret")));
            AnodeAddress peer = AnodeAddress.fromBytes(HEX.parseHex(v.get("peer_address")));
            byte[] raw = P256.agree(s, peer.point());
            assertEquals(v.get("key"), HEX.formatHex(AnodeKdf.derive(raw, Integer.parseInt(v.get("key_length")))));
        }
    }
}
