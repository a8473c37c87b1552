/**
 * Anode java.nio channel layer: a {@link java.nio.channels.spi.SelectorProvider} whose selector,
 * datagram and stream channels carry Anode packets (draft sections 3-5) over UDP.
 */
module org.anode.nio {
    requires transitive org.anode.provider;
    requires java.net.http; // zone file retrieval (draft 2.1.1)
    requires jdk.httpserver; // anode relay --http serves a zone file (draft 2.1.1)

    exports org.anode.nio;
}
