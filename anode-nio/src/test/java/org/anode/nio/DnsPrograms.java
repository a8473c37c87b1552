package org.anode.nio;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The resolving programs of {@link DnsNamesTest}, run in child JVMs inside the test's network
 * namespace: one asks {@link AnodeNames} (every JDK), one asks {@link InetAddress} (on JDK 18+ with
 * the resolver jar, the {@code InetAddressResolverProvider} answers). Each prints one line per name:
 * {@code OK <name> <sorted results>} or {@code ERR <name> <message>}.
 */
final class DnsPrograms {
    private DnsPrograms() {}

    /** {@link AnodeNames#resolve} for each argument. */
    static final class Names {
        public static void main(String[] args) {
            for (String name : args) {
                try {
                    List<String> as = AnodeNames.resolve(name).stream()
                            .map(Object::toString)
                            .sorted()
                            .collect(Collectors.toList());
                    System.out.println("OK " + name + " " + String.join(",", as));
                } catch (Exception e) {
                    System.out.println("ERR " + name + " " + e.getMessage());
                }
            }
        }
    }

    /** {@link InetAddress#getAllByName} for each argument. */
    static final class Inet {
        public static void main(String[] args) {
            for (String name : args) {
                try {
                    String ips = Arrays.stream(InetAddress.getAllByName(name))
                            .map(InetAddress::getHostAddress)
                            .sorted()
                            .collect(Collectors.joining(","));
                    System.out.println("OK " + name + " " + ips);
                } catch (Exception e) {
                    System.out.println("ERR " + name + " " + e.getMessage());
                }
            }
        }
    }
}
