package org.anode.conformance.wire;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.address.ShortId;
import org.anode.wire.AckRange;
import org.anode.wire.AddressField;
import org.anode.wire.CloseReason;
import org.anode.wire.Endpoint;
import org.anode.wire.EndpointType;
import org.anode.wire.ErrorCode;
import org.anode.wire.Message;
import org.anode.wire.Packet;

/** Generators for every endpoint, message and packet form of the wire codec. */
final class WireArbitraries {
    static final HexFormat HEX = HexFormat.of();
    /** Identities 1 and 2 of the libanode vectors. */
    static final AnodeAddress A =
            addr("0100000000000002be76c8a8bf2b288539c951923454c61aba50a9fba107537b3c5a7f953741f3d1");

    static final AnodeAddress B =
            addr("01d730b30b000002f8138f80c464749f8dee9ca0c8eaca4aee6491d0c594762509697a22412b750e");
    /** The A-B MAC key from the vectors' key-agreement line. */
    static final byte[] KEY = HEX.parseHex("a2baf33730b799118f6a1c030ae845492da8b1f8e0488fa0b11060038cf6567a");

    private WireArbitraries() {}

    static AnodeAddress addr(String hex) {
        try {
            return AnodeAddress.fromBytes(HEX.parseHex(hex));
        } catch (InvalidAddressException e) {
            throw new AssertionError(e);
        }
    }

    static Arbitrary<byte[]> bytes(int max) {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(max);
    }

    static Arbitrary<Integer> u16() {
        return Arbitraries.integers().between(0, 0xffff);
    }

    static Arbitrary<Integer> u8() {
        return Arbitraries.integers().between(0, 0xff);
    }

    static Arbitrary<Integer> u32() {
        return Arbitraries.integers();
    }

    private static InetAddress ip(byte[] b) {
        try {
            return b.length == 4 ? InetAddress.getByAddress(b) : Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Arbitrary<Endpoint> endpoints() {
        Arbitrary<byte[]> v4 = Arbitraries.bytes().array(byte[].class).ofSize(4);
        Arbitrary<byte[]> v6 = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(16),
                // IPv4-mapped IPv6 addresses must keep their IPv6 type.
                v4.map(b -> {
                    byte[] m = new byte[16];
                    m[10] = (byte) 0xff;
                    m[11] = (byte) 0xff;
                    System.arraycopy(b, 0, m, 12, 4);
                    return m;
                }));
        Arbitrary<Endpoint> ipv4 = Combinators.combine(
                        Arbitraries.of(EndpointType.UDP_IPV4, EndpointType.TCP_IPV4), v4, u16())
                .as((t, a, p) -> new Endpoint.Ip(t, ip(a), p));
        Arbitrary<Endpoint> ipv6 = Combinators.combine(
                        Arbitraries.of(EndpointType.UDP_IPV6, EndpointType.TCP_IPV6), v6, u16())
                .as((t, a, p) -> new Endpoint.Ip(t, ip(a), p));
        Arbitrary<Endpoint> ether =
                Arbitraries.longs().between(0, (1L << 48) - 1).map(Endpoint.Ethernet::new);
        Arbitrary<Endpoint> http = Arbitraries.strings()
                .withCharRange((char) 0x21, (char) 0x7e)
                .ofMinLength(1)
                .ofMaxLength(60)
                .map(Endpoint.Http::new);
        return Arbitraries.oneOf(Arbitraries.just(Endpoint.Unspecified.INSTANCE), ether, ipv4, ipv6, http);
    }

    static Arbitrary<List<AckRange>> ranges(int max) {
        return Combinators.combine(u32(), Arbitraries.integers().between(1, 255))
                .as(AckRange::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(max);
    }

    static Arbitrary<Message> messages() {
        return Arbitraries.oneOf(List.of(
                Combinators.combine(Arbitraries.of(ErrorCode.class), bytes(8)).as(Message.Error::new),
                bytes(64).map(Message.Ping::new),
                bytes(64).map(Message.Pong::new),
                u32().map(Message.EpcReq::new),
                u32().map(Message.Epc::new),
                Combinators.combine(endpoints(), u8(), bytes(16)).as(Message.Epi::new),
                Combinators.combine(u8(), bytes(16)).as(Message.NatT::new),
                Combinators.combine(u32(), endpoints()).as(Message.NetIdReq::new),
                Combinators.combine(u32(), endpoints()).as(Message.NetId::new),
                Combinators.combine(u16(), u16(), bytes(200)).as(Message.Dgram::new),
                Combinators.combine(u16(), u16(), u16(), u32(), Arbitraries.of(true, false))
                        .as(Message.SOpen::new),
                Combinators.combine(u16(), u16(), Arbitraries.of(CloseReason.class), u32(), u32())
                        .as(Message.SClose::new),
                Combinators.combine(u16(), u16(), u32(), bytes(200)).as(Message.SData::new),
                Combinators.combine(u16(), u16(), u16(), ranges(20)).as(Message.SAck::new),
                Combinators.combine(u16(), u16(), u16(), ranges(20), Arbitraries.integers(), bytes(100))
                        .as(Message.SDack::new)));
    }

    static Arbitrary<AddressField> addressFields(AnodeAddress own) {
        return Arbitraries.oneOf(
                Arbitraries.just(AddressField.full(own)),
                Arbitraries.just(AddressField.shortOf(own)),
                Arbitraries.longs().map(v -> new AddressField.Short(new ShortId(v))));
    }

    static Arbitrary<Packet> packets() {
        return Combinators.combine(
                        u8(),
                        Arbitraries.of(true, false),
                        addressFields(A),
                        addressFields(B),
                        Arbitraries.integers().between(0, 15),
                        Arbitraries.integers().between(0, 15),
                        messages())
                .as(Packet::new);
    }
}
