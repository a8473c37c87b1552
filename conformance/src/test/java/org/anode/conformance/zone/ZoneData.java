package org.anode.conformance.zone;

import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;

/** Valid addresses for the zone suites: address_base32 of identity vectors in libanode-reference.jsonl. */
final class ZoneData {
    private ZoneData() {}

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
}
