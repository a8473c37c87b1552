package org.anode.resolver;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.anode.address.AnodeAddress;
import org.anode.nio.AnodeNames;

/**
 * The JDK 18+ name-resolution hook for Anode host names (draft 2.8, DECISIONS 39): with this class's
 * jar on the class path, {@code InetAddress.getByName} and everything built on it (HttpClient, Netty's
 * default resolver, {@code new InetSocketAddress(host, port)}) resolve
 * <ul>
 *   <li>{@code <64 base32 characters>.anode} to the address's synthetic {@code fd..} IPv6 address
 *       (addendum A2) with no lookup, and
 *   <li>a host name with {@code anode:} TXT records to the synthetic addresses of those records
 *       ({@link AnodeNames}, real DNS through JNDI); {@code -Danode.names.txt=false} turns this off.
 * </ul>
 * Every other name, and every name without an Anode record, goes to the JDK's built-in resolver.
 *
 * <p>Shipped as a separate jar ({@code anode-nio-<version>-resolver.jar}) built with
 * {@code --release 18}: a multi-release jar cannot carry it, because {@code META-INF/services} is not
 * versioned, so on JDK 18+ from an exploded class directory the service entry would name a class the
 * JVM cannot find and break every name lookup in that JVM.
 */
public final class AnodeInetAddressResolverProvider extends InetAddressResolverProvider {
    /** Created by the JDK's service loader. */
    public AnodeInetAddressResolverProvider() {}

    @Override
    public InetAddressResolver get(Configuration configuration) {
        return new Resolver(
                configuration.builtinResolver(), !"false".equalsIgnoreCase(System.getProperty("anode.names.txt")));
    }

    @Override
    public String name() {
        return "anode";
    }

    private static final class Resolver implements InetAddressResolver {
        private final InetAddressResolver builtin;
        private final boolean txt;

        Resolver(InetAddressResolver builtin, boolean txt) {
            this.builtin = builtin;
            this.txt = txt;
        }

        @Override
        public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
            Optional<AnodeAddress> direct = AnodeNames.parseAddressName(host);
            if (direct.isPresent()) {
                return synthetic(host, policy);
            }
            if (txt && host.indexOf('.') > 0 && !host.equalsIgnoreCase("localhost")) {
                List<AnodeAddress> as = AnodeNames.resolveOrEmpty(host);
                if (!as.isEmpty()) {
                    return synthetic(host, policy);
                }
            }
            return builtin.lookupByName(host, policy);
        }

        private static Stream<InetAddress> synthetic(String host, LookupPolicy policy) throws UnknownHostException {
            if ((policy.characteristics() & LookupPolicy.IPV6) == 0) {
                // Anode addresses only have synthetic IPv6 forms.
                throw new UnknownHostException(host + ": an Anode name has no IPv4 address");
            }
            return Stream.of(AnodeNames.resolveInet(host));
        }

        @Override
        public String lookupByAddress(byte[] addr) throws UnknownHostException {
            if (addr.length == 16 && (addr[0] & 0xff) == 0xfd) {
                Optional<AnodeAddress> a = AnodeNames.anodeAddressOf(InetAddress.getByAddress(addr));
                if (a.isPresent()) {
                    return AnodeNames.nameOf(a.get());
                }
            }
            return builtin.lookupByAddress(addr);
        }
    }
}
