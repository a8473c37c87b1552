package org.anode.zone;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.address.Zone;
import org.anode.crypto.internal.P256;

/** Real, valid addresses for zone tests: from the libanode vectors, or freshly generated. */
final class ZoneTestData {
    private ZoneTestData() {}

    /** address_base32 of the first identity vectors in libanode-reference.jsonl. */
    static final List<String> VECTOR_ADDRESSES = List.of(
            "aeaaaaaaaaaafptwzcul6kziqu44sumsgrkmmgv2kcu7xiihkn5tywt7su3ud46r",
            "ahltbmylaaaaf6atr6amizdut6g65hfazdvmusxomsi5brmuoysqs2l2ejasw5io",
            "ahjlkpksaaaafkfakilet5l57nct25d27dyrmn4s73jlqjtiodzanaegobwbnke5",
            "af3vakm5aaaaepeenxmd5igetbczb5m43sweuayejdbtexq4kj3sgh54tzrl6oeq",
            "afrohfhmaaaafjscqhklhxm6szdzc24arj5amqkzvj5wrcv322z52jughb4ehuft");

    static AnodeAddress vector(int i) {
        try {
            return AnodeAddress.parse(VECTOR_ADDRESSES.get(i));
        } catch (InvalidAddressException e) {
            throw new AssertionError(e);
        }
    }

    /** A fresh valid address in {@code zone} from a seeded source. */
    static AnodeAddress random(Random rnd, Zone zone) {
        BigInteger k;
        do {
            k = new BigInteger(256, rnd);
        } while (k.signum() == 0 || k.compareTo(P256.N) >= 0);
        return AnodeAddress.of(zone, P256.publicPoint(k));
    }

    /** RFC 4648 base32, lower case, no padding: written here so tests need not trust the code under test. */
    static String base32(byte[] data) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder sb = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(alphabet.charAt((buffer >>> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return sb.toString();
    }
}
