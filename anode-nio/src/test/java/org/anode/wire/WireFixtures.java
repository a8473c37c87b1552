package org.anode.wire;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.InvalidKeyException;
import java.util.HexFormat;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.crypto.internal.AesCmac;

/** Addresses and the shared key from the libanode reference vectors (identity and key-agreement lines). */
final class WireFixtures {
    static final HexFormat HEX = HexFormat.of();
    /** Identity 1 of the vectors (zone 0). */
    static final String A_HEX = "0100000000000002be76c8a8bf2b288539c951923454c61aba50a9fba107537b3c5a7f953741f3d1";
    /** Identity 2 of the vectors (zone d730b30b). */
    static final String B_HEX = "01d730b30b000002f8138f80c464749f8dee9ca0c8eaca4aee6491d0c594762509697a22412b750e";
    /** Short ids from the vectors. */
    static final String A_SHORT = "4d8b58fffbd28bf5";

    static final String B_SHORT = "20b55c199017cdb7";
    /** ECDH(A's secret, B's address), 32 bytes, from the key-agreement vector: the A-B MAC key. */
    static final String KEY_AB = "a2baf33730b799118f6a1c030ae845492da8b1f8e0488fa0b11060038cf6567a";

    static final AnodeAddress A = addr(A_HEX);
    static final AnodeAddress B = addr(B_HEX);

    private WireFixtures() {}

    static AnodeAddress addr(String hex) {
        try {
            return AnodeAddress.fromBytes(HEX.parseHex(hex));
        } catch (InvalidAddressException e) {
            throw new AssertionError(e);
        }
    }

    static AesCmac cmac(String keyHex) {
        try {
            return AesCmac.forKey(HEX.parseHex(keyHex));
        } catch (InvalidKeyException e) {
            throw new AssertionError(e);
        }
    }

    static InetAddress ip(byte[] b) {
        try {
            return b.length == 4 ? InetAddress.getByAddress(b) : java.net.Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** One instance of every message type, with non-trivial contents. */
    static List<Message> sampleMessages() {
        byte[] data = new byte[100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        return List.of(
                new Message.Error(ErrorCode.AUTHENTICATION_FAILED),
                new Message.Error(ErrorCode.RELAY_RECIPIENT_UNREACHABLE, new byte[] {1, 2}),
                new Message.Ping(new byte[] {1, 2, 3}),
                new Message.Pong(new byte[0]),
                new Message.EpcReq(0xdeadbeef),
                new Message.Epc(7),
                new Message.Epi(Endpoint.Unspecified.INSTANCE, 0, new byte[0]),
                new Message.Epi(new Endpoint.Http("http://example.org/anode"), 3, new byte[] {9}),
                new Message.NatT(1, new byte[] {4, 5}),
                new Message.NetIdReq(42, new Endpoint.Ip(EndpointType.UDP_IPV4, ip(new byte[] {127, 0, 0, 1}), 8737)),
                new Message.NetId(43, new Endpoint.Ip(EndpointType.TCP_IPV6, ip(new byte[16]), 65535)),
                new Message.Dgram(1, 65535, data),
                new Message.SOpen(1000, 80, 64, 0x80000000, true),
                new Message.SClose(1000, 80, CloseReason.REFUSED, 5, 5),
                new Message.SData(3, 4, -1, data),
                new Message.SAck(3, 4, 0, List.of(new AckRange(1, 4), new AckRange(-1, 255))),
                new Message.SDack(3, 4, 10, List.of(new AckRange(9, 1)), 11, data));
    }
}
