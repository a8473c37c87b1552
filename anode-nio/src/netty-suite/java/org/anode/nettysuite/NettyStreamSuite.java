package org.anode.nettysuite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeDatagramChannel;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Netty's NIO transport, unchanged, over Anode streams (draft section 5) and Anode datagrams
 * (draft 4.2.10): the server and client are ordinary Netty code whose only Anode-specific parts
 * are where the channels come from (an event loop group on the node's {@link SelectorProvider},
 * {@code new NioServerSocketChannel(provider)}, {@code new NioSocketChannel(provider)},
 * {@code new NioDatagramChannel(provider)}; design checklist item 1) and the addresses
 * ({@link AnodeSocketAddress}, an {@link InetSocketAddress} that Netty's default resolver leaves
 * alone).
 *
 * <p>One suite for every Netty line we support: this source is compiled into the test classes of
 * each module that has one Netty version on its test class path (anode-nio: 4.1, conformance:
 * 4.2), so every scenario is compiled and run against each version. A subclass per version binds
 * the one API that differs between them, {@link #newEventLoopGroup}.
 *
 * <p>Every scenario also runs on the JDK's own provider over TCP on 127.0.0.1: the control that
 * shows a failure on Anode is the channels' and not the harness's.
 */
@Timeout(120)
public abstract class NettyStreamSuite {
    private static final long WAIT_SECONDS = 20;
    private static final int CLOSE_TRIALS = 50;

    /**
     * An NIO event loop group of {@code threads} threads whose selectors come from {@code provider}:
     * {@code NioEventLoopGroup(threads, null, provider)} on Netty 4.1,
     * {@code MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory(provider))} on 4.2.
     */
    protected abstract EventLoopGroup newEventLoopGroup(int threads, SelectorProvider provider);

    /** Which provider the Netty code runs on. */
    public enum Transport {
        ANODE,
        JDK_TCP
    }

    /**
     * The two sides' providers and where the server binds: two Anode nodes on 127.0.0.1 that know
     * each other's endpoint, or the JDK's provider over TCP.
     */
    final class Env implements AutoCloseable {
        final Transport transport;
        final SelectorProvider serverProvider;
        final SelectorProvider clientProvider;
        final SocketAddress serverBind;
        private final List<AnodeNode> nodes = new ArrayList<>();
        final List<EventLoopGroup> groups = new ArrayList<>();
        final AnodeNode serverNode;
        final AnodeNode clientNode;

        Env(Transport transport) throws IOException {
            this.transport = transport;
            if (transport == Transport.ANODE) {
                serverNode = start();
                clientNode = start();
                serverNode.addPeerEndpoint(
                        clientNode.address(), clientNode.localEndpoints().get(0));
                clientNode.addPeerEndpoint(
                        serverNode.address(), serverNode.localEndpoints().get(0));
                serverProvider = serverNode.selectorProvider();
                clientProvider = clientNode.selectorProvider();
                serverBind = AnodeSocketAddress.of(serverNode.address(), 0);
            } else {
                serverNode = null;
                clientNode = null;
                serverProvider = SelectorProvider.provider();
                clientProvider = SelectorProvider.provider();
                serverBind = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
            }
        }

        private AnodeNode start() throws IOException {
            AnodeNode n = AnodeNode.start(
                    AnodeIdentity.generate(Zone.DEFAULT),
                    AnodeNodeConfig.builder()
                            .bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0))
                            .build());
            nodes.add(n);
            return n;
        }

        EventLoopGroup serverGroup() {
            EventLoopGroup g = newEventLoopGroup(1, serverProvider);
            groups.add(g);
            return g;
        }

        EventLoopGroup clientGroup() {
            EventLoopGroup g = newEventLoopGroup(2, clientProvider);
            groups.add(g);
            return g;
        }

        ServerBootstrap server(ChannelInitializer<SocketChannel> childInit) {
            return new ServerBootstrap()
                    .group(serverGroup())
                    .channelFactory(() -> new NioServerSocketChannel(serverProvider))
                    .childHandler(childInit);
        }

        Bootstrap client(EventLoopGroup group, ChannelInboundHandlerAdapter handler) {
            return new Bootstrap()
                    .group(group)
                    .channelFactory(() -> new NioSocketChannel(clientProvider))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(handler);
        }

        SocketAddress clientBind() throws IOException {
            return transport == Transport.ANODE
                    ? AnodeSocketAddress.of(clientNode.address(), 0)
                    : new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
        }

        Bootstrap datagram(SelectorProvider provider, EventLoopGroup group, ChannelInboundHandlerAdapter handler) {
            return new Bootstrap()
                    .group(group)
                    .channelFactory(() -> new NioDatagramChannel(provider))
                    .handler(handler);
        }

        @Override
        public void close() {
            for (EventLoopGroup g : groups) {
                g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }
            for (EventLoopGroup g : groups) {
                g.terminationFuture().awaitUninterruptibly(10, TimeUnit.SECONDS);
            }
            for (AnodeNode n : nodes) {
                n.close();
            }
        }
    }

    /** Waits for a Netty future (bounded) and rethrows its failure. */
    public static <T> T await(Future<T> f) throws Exception {
        if (!f.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            fail("Netty operation did not complete within " + WAIT_SECONDS + " s");
        }
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            if (c instanceof Exception e) {
                throw e;
            }
            throw new AssertionError(c);
        }
        return f.getNow();
    }

    /** Waits for a channel operation (bounded) and returns its channel. */
    public static Channel await(ChannelFuture f) throws Exception {
        await((Future<Void>) f);
        return f.channel();
    }

    public static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ handlers

    /** A client handler that does nothing: the trials drive the channel directly. */
    @ChannelHandler.Sharable
    static final class Quiet extends ChannelInboundHandlerAdapter {
        static final Quiet INSTANCE = new Quiet();
    }

    /** Echoes every byte back, with the usual back-pressure: stop reading while not writable. */
    public static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Collects what one connection delivered until it became inactive. */
    static final class Collector extends ChannelInboundHandlerAdapter {
        private final ByteArrayOutputStream got = new ByteArrayOutputStream();
        private final BlockingQueue<Object> done;
        private Throwable error;

        Collector(BlockingQueue<Object> done) {
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                byte[] a = new byte[b.readableBytes()];
                b.readBytes(a);
                got.write(a, 0, a.length);
            } finally {
                ReferenceCountUtil.release(b);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            error = cause;
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.add(error != null ? error : got.toByteArray());
        }
    }

    /**
     * Sends {@code total} bytes from a seeded generator while writable, and checks that the same
     * bytes come back: SHA-256 of everything received against SHA-256 of everything sent.
     */
    public static final class BulkClient extends ChannelInboundHandlerAdapter {
        private static final int CHUNK = 64 * 1024;
        private final long total;
        private final Random data;
        private final MessageDigest sent;
        private final MessageDigest received;
        private long written;
        private long read;
        final CompletableFuture<Boolean> result = new CompletableFuture<>();

        public BulkClient(long total, long seed) throws Exception {
            this.total = total;
            this.data = new Random(seed);
            this.sent = MessageDigest.getInstance("SHA-256");
            this.received = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            while (written < total && ctx.channel().isWritable()) {
                int n = (int) Math.min(CHUNK, total - written);
                byte[] a = new byte[n];
                data.nextBytes(a);
                sent.update(a);
                written += n;
                ctx.write(Unpooled.wrappedBuffer(a)).addListener(f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(f.cause());
                    }
                });
            }
            ctx.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                read += b.readableBytes();
                received.update(b.nioBuffer());
            } finally {
                ReferenceCountUtil.release(b);
            }
            if (read > total) {
                result.completeExceptionally(new AssertionError("received " + read + " > sent " + total));
            } else if (read == total) {
                result.complete(MessageDigest.isEqual(sent.digest(), received.digest()));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IOException("closed after " + read + " of " + total + " bytes"));
        }

        /** Waits (bounded) for the echo; a timeout says how far the transfer got. */
        public boolean await() throws Exception {
            try {
                return result.get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(
                        "echo stalled: " + written + " of " + total + " bytes written, " + read + " echoed back, after "
                                + WAIT_SECONDS + " s",
                        e);
            }
        }
    }

    public static ChannelInitializer<SocketChannel> init(java.util.function.Supplier<ChannelInboundHandlerAdapter> h) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(h.get());
            }
        };
    }

    // ------------------------------------------------------------------ tests

    /**
     * Issue 15: one event loop group of one thread, on an Anode node's provider, serves an IP
     * listener (a JDK channel) and an Anode listener (draft section 5 streams) at once, both
     * echoing; one client group of one thread drives an IP and an Anode client at once. A loop
     * on our selector must serve the JDK's channels too (design checklist: mixed registration).
     */
    @Test
    public void oneEventLoopServesIpAndAnodeListeners() throws Exception {
        try (Env env = new Env(Transport.ANODE)) {
            EventLoopGroup serverGroup = newEventLoopGroup(1, env.serverProvider);
            EventLoopGroup clientGroup = newEventLoopGroup(1, env.clientProvider);
            env.groups.add(serverGroup);
            env.groups.add(clientGroup);
            InetSocketAddress ipBind = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
            Channel ipListener = await(new ServerBootstrap()
                    .group(serverGroup)
                    .channelFactory(() -> new NioServerSocketChannel(SelectorProvider.provider()))
                    .childHandler(init(EchoHandler::new))
                    .bind(ipBind));
            Channel anodeListener = await(new ServerBootstrap()
                    .group(serverGroup)
                    .channelFactory(() -> new NioServerSocketChannel(env.serverProvider))
                    .childHandler(init(EchoHandler::new))
                    .bind(env.serverBind));
            assertInstanceOf(AnodeSocketAddress.class, anodeListener.localAddress());

            BulkClient ipClient = new BulkClient(256 * 1024, 15);
            BulkClient anodeClient = new BulkClient(256 * 1024, 16);
            await(new Bootstrap()
                    .group(clientGroup)
                    .channelFactory(() -> new NioSocketChannel(SelectorProvider.provider()))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(ipClient)
                    .connect(ipListener.localAddress()));
            await(env.client(clientGroup, anodeClient).connect(anodeListener.localAddress()));
            assertTrue(ipClient.await(), "IP echo through the shared loop");
            assertTrue(anodeClient.await(), "Anode echo through the shared loop");
            await(ipListener.close());
            await(anodeListener.close());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void echoesAndReportsAddresses(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
            Channel server = await(env.server(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            accepted.add(ch);
                            ch.pipeline().addLast(new EchoHandler());
                        }
                    })
                    .bind(env.serverBind));
            assertTrue(server.isActive(), "bound server channel is active (ServerSocket.isBound)");
            InetSocketAddress serverAddress = (InetSocketAddress) server.localAddress();
            assertNotNull(serverAddress);
            assertTrue(serverAddress.getPort() > 0, "an ephemeral port was assigned: " + serverAddress);

            BulkClient client = new BulkClient(10_000, 1);
            Channel c = await(env.client(env.clientGroup(), client).connect(serverAddress));
            assertTrue(client.await(), "echoed bytes equal the sent bytes");
            Channel child = accepted.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(child);
            assertEquals(serverAddress, c.remoteAddress());
            assertEquals(c.localAddress(), child.remoteAddress());
            assertEquals(c.remoteAddress(), child.localAddress());
            if (transport == Transport.ANODE) {
                AnodeSocketAddress remote = assertInstanceOf(AnodeSocketAddress.class, c.remoteAddress());
                assertEquals(env.serverNode.address(), remote.address());
                AnodeSocketAddress local = assertInstanceOf(AnodeSocketAddress.class, c.localAddress());
                assertEquals(env.clientNode.address(), local.address());
                assertEquals(
                        env.clientNode.address(),
                        assertInstanceOf(AnodeSocketAddress.class, child.remoteAddress())
                                .address());
            }
            await(c.close());
            await(server.close());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void echoesEightMebibytesWithChecksum(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(init(EchoHandler::new)).bind(env.serverBind));
            BulkClient client = new BulkClient(8L << 20, 8);
            Channel c = await(env.client(env.clientGroup(), client).connect(server.localAddress()));
            assertTrue(client.await(), "SHA-256 of the 8 MiB echoed equals SHA-256 of the 8 MiB sent");
            await(c.close());
        }
    }

    /**
     * Small socket buffers on both ends (SO_SNDBUF and SO_RCVBUF of 16 KiB, about twelve packets):
     * the 512 KiB echo runs through partial and zero-length writes ({@code OP_WRITE}), a small
     * receive window and Netty's writability changes, and must still arrive intact. (At 4 KiB the
     * JDK's TCP control itself stalls on Linux loopback, so the control could not vouch for the
     * harness there.)
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void echoesThroughSmallSocketBuffers(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(init(EchoHandler::new))
                    .childOption(ChannelOption.SO_SNDBUF, 16384)
                    .childOption(ChannelOption.SO_RCVBUF, 16384)
                    .bind(env.serverBind));
            BulkClient client = new BulkClient(512 * 1024, 16384);
            Channel c = await(env.client(env.clientGroup(), client)
                    .option(ChannelOption.SO_SNDBUF, 16384)
                    .option(ChannelOption.SO_RCVBUF, 16384)
                    .connect(server.localAddress()));
            assertTrue(client.await(), "SHA-256 of the 512 KiB echoed equals what was sent");
            await(c.close());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void manyConcurrentClientsEcho(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(init(EchoHandler::new)).bind(env.serverBind));
            EventLoopGroup group = env.clientGroup();
            List<BulkClient> clients = new ArrayList<>();
            List<Channel> channels = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                BulkClient client = new BulkClient(128 * 1024 + i * 1000, 100 + i);
                clients.add(client);
                channels.add(await(env.client(group, client).connect(server.localAddress())));
            }
            for (int i = 0; i < clients.size(); i++) {
                assertTrue(clients.get(i).await(), "client " + i + " got its own bytes back");
            }
            for (Channel c : channels) {
                await(c.close());
            }
        }
    }

    /** Payload of trial {@code i}: a few bytes mostly, now and then more than one packet's worth. */
    static byte[] trialPayload(int i) {
        int[] sizes = {1, 5, 17, 64, 300, 1400, 4000};
        byte[] a = new byte[sizes[i % sizes.length]];
        new Random(i).nextBytes(a);
        return a;
    }

    /**
     * Checklist item 11: a client that writes a few bytes and closes at once - the server must get
     * every byte, every time.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void nettyClientWritesAndClosesAtOnceServerGetsEveryByte(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<Object> done = new LinkedBlockingQueue<>();
            Channel server = await(env.server(init(() -> new Collector(done))).bind(env.serverBind));
            EventLoopGroup group = env.clientGroup();
            Bootstrap b = env.client(group, Quiet.INSTANCE);
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                byte[] payload = trialPayload(i);
                Channel c = await(b.connect(server.localAddress()));
                CompletableFuture<Void> written = new CompletableFuture<>();
                c.eventLoop().execute(() -> {
                    c.writeAndFlush(Unpooled.wrappedBuffer(payload)).addListener(f -> {
                        if (f.isSuccess()) {
                            written.complete(null);
                        } else {
                            written.completeExceptionally(f.cause());
                        }
                    });
                    c.close();
                });
                await(written);
                Object got = done.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(got, "trial " + i + ": the server saw the connection end");
                if (got instanceof Throwable t) {
                    throw new AssertionError("trial " + i + ": server side failed", t);
                }
                assertArrayEquals(payload, (byte[]) got, "trial " + i + ": bytes the server got before end-of-stream");
            }
            assertFalse(done.poll(200, TimeUnit.MILLISECONDS) != null, "no extra connections");
        }
    }

    /**
     * Fifty clients at once, each writing a few bytes (its number first) and closing at once: the
     * server must get every client's bytes, exactly, with the connections' opens, data and closes
     * interleaved.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void concurrentClientsWriteAndCloseAtOnce(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<Object> done = new LinkedBlockingQueue<>();
            Channel server = await(env.server(init(() -> new Collector(done)))
                    .option(ChannelOption.SO_BACKLOG, CLOSE_TRIALS)
                    .bind(env.serverBind));
            Bootstrap b = env.client(env.clientGroup(), Quiet.INSTANCE);
            java.util.Map<Integer, byte[]> sent = new java.util.HashMap<>();
            List<ChannelFuture> connects = new ArrayList<>();
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                byte[] tail = trialPayload(i);
                byte[] payload =
                        ByteBuffer.allocate(4 + tail.length).putInt(i).put(tail).array();
                sent.put(i, payload);
                connects.add(b.connect(server.localAddress()));
            }
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                Channel c = await(connects.get(i));
                byte[] payload = sent.get(i);
                CompletableFuture<Void> written = new CompletableFuture<>();
                writes.add(written);
                c.eventLoop().execute(() -> {
                    c.writeAndFlush(Unpooled.wrappedBuffer(payload)).addListener(f -> {
                        if (f.isSuccess()) {
                            written.complete(null);
                        } else {
                            written.completeExceptionally(f.cause());
                        }
                    });
                    c.close();
                });
            }
            for (CompletableFuture<Void> w : writes) {
                await(w);
            }
            java.util.Map<Integer, byte[]> got = new java.util.HashMap<>();
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                Object r = done.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(r, "connection " + i + " of " + CLOSE_TRIALS + " ended at the server");
                if (r instanceof Throwable t) {
                    throw new AssertionError("server side failed", t);
                }
                byte[] a = (byte[]) r;
                assertTrue(a.length >= 4, "at least the client's number arrived");
                int id = ByteBuffer.wrap(a).getInt();
                assertTrue(got.put(id, a) == null, "client " + id + " seen once");
            }
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                assertArrayEquals(sent.get(i), got.get(i), "bytes of client " + i);
            }
        }
    }

    /** The same with a plain blocking {@link java.nio.channels.SocketChannel} of the provider as the client. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void plainNioClientWritesAndClosesAtOnceServerGetsEveryByte(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<Object> done = new LinkedBlockingQueue<>();
            Channel server = await(env.server(init(() -> new Collector(done))).bind(env.serverBind));
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                byte[] payload = trialPayload(i + 3);
                try (java.nio.channels.SocketChannel c = env.clientProvider.openSocketChannel()) {
                    assertTrue(c.connect(server.localAddress()), "a blocking connect completes");
                    ByteBuffer src = ByteBuffer.wrap(payload);
                    for (int k = 0; k < 1000 && src.hasRemaining(); k++) {
                        c.write(src);
                    }
                    assertFalse(src.hasRemaining(), "a blocking write writes everything");
                }
                Object got = done.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(got, "trial " + i + ": the server saw the connection end");
                if (got instanceof Throwable t) {
                    throw new AssertionError("trial " + i + ": server side failed", t);
                }
                assertArrayEquals(payload, (byte[]) got, "trial " + i + ": bytes the server got before end-of-stream");
            }
        }
    }

    /** The other direction: the server writes and closes at once; the Netty client gets every byte. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void serverWritesAndClosesAtOnceClientGetsEveryByte(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<byte[]> payloads = new LinkedBlockingQueue<>();
            Channel server = await(env.server(init(() -> new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            byte[] p = payloads.poll();
                            ctx.writeAndFlush(Unpooled.wrappedBuffer(p == null ? new byte[0] : p));
                            ctx.close();
                        }
                    }))
                    .bind(env.serverBind));
            EventLoopGroup group = env.clientGroup();
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                byte[] payload = trialPayload(i + 5);
                payloads.add(payload);
                BlockingQueue<Object> done = new LinkedBlockingQueue<>();
                await(env.client(group, new Collector(done)).connect(server.localAddress()));
                Object got = done.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(got, "trial " + i + ": the client saw the connection end");
                if (got instanceof Throwable t) {
                    throw new AssertionError("trial " + i + ": client side failed", t);
                }
                assertArrayEquals(payload, (byte[]) got, "trial " + i + ": bytes the client got before end-of-stream");
            }
        }
    }

    /**
     * Half-close (DECISIONS 26): the client writes and shuts its output down; the server, with
     * {@code ALLOW_HALF_CLOSURE}, sees input shutdown after every byte, answers with the count and
     * SHA-256 of what it got through its still-open output, then closes; the client reads the whole
     * answer before end-of-stream.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void halfCloseRequestThenResponse(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(init(() -> new ChannelInboundHandlerAdapter() {
                        private final ByteArrayOutputStream got = new ByteArrayOutputStream();

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf b = (ByteBuf) msg;
                            try {
                                byte[] a = new byte[b.readableBytes()];
                                b.readBytes(a);
                                got.write(a, 0, a.length);
                            } finally {
                                ReferenceCountUtil.release(b);
                            }
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
                            if (evt instanceof ChannelInputShutdownEvent) {
                                SocketChannel ch = (SocketChannel) ctx.channel();
                                byte[] all = got.toByteArray();
                                ByteBuf answer = ctx.alloc().buffer(40);
                                answer.writeLong(all.length);
                                answer.writeBytes(
                                        MessageDigest.getInstance("SHA-256").digest(all));
                                answer.writeBoolean(ch.isInputShutdown() && !ch.isOutputShutdown());
                                ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
                            }
                            ctx.fireUserEventTriggered(evt);
                        }
                    }))
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .bind(env.serverBind));
            EventLoopGroup group = env.clientGroup();
            for (int i = 0; i < 10; i++) {
                byte[] payload = new byte[i % 2 == 0 ? 7 + i : 100_000 + i];
                new Random(i).nextBytes(payload);
                BlockingQueue<Object> done = new LinkedBlockingQueue<>();
                SocketChannel c = (SocketChannel)
                        await(env.client(group, new Collector(done)).connect(server.localAddress()));
                await(c.writeAndFlush(Unpooled.wrappedBuffer(payload)));
                await(c.shutdownOutput());
                assertTrue(c.isOutputShutdown(), "trial " + i + ": output shut down");
                Object got = done.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(got, "trial " + i + ": the client saw the connection end");
                if (got instanceof Throwable t) {
                    throw new AssertionError("trial " + i + ": client side failed", t);
                }
                ByteBuffer answer = ByteBuffer.wrap((byte[]) got);
                assertEquals(41, answer.remaining(), "trial " + i + ": the whole answer");
                assertEquals(payload.length, answer.getLong(), "trial " + i + ": bytes the server got");
                byte[] digest = new byte[32];
                answer.get(digest);
                assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(payload), digest, "trial " + i);
                assertEquals(1, answer.get(), "trial " + i + ": server input shut down, output still open");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void connectWhereNothingListensFails(Transport transport) throws Exception {
        try (Env env = new Env(transport);
                java.nio.channels.SocketChannel holder = java.nio.channels.SocketChannel.open()) {
            SocketAddress vacant;
            if (transport == Transport.JDK_TCP) {
                // A socket bound to a port but not listening holds that port for the whole test:
                // no other socket can bind it (the holder does not set SO_REUSEADDR), and Linux
                // never picks a port taken by bind() as a connecting socket's own port, so the
                // client cannot connect to itself by simultaneous open. A SYN there is answered
                // with a reset, every time.
                holder.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
                vacant = holder.getLocalAddress();
            } else {
                // The server node is this test's own and the client connects from the other node:
                // once this listener is closed nothing can take its port.
                Channel server = await(
                        env.server(init(ChannelInboundHandlerAdapter::new)).bind(env.serverBind));
                vacant = server.localAddress();
                await(server.close());
            }
            Future<?> f = env.client(env.clientGroup(), new ChannelInboundHandlerAdapter())
                    .connect(vacant);
            assertTrue(f.await(WAIT_SECONDS, TimeUnit.SECONDS), "the connect attempt ends");
            assertFalse(f.isSuccess(), "connect to a port where nothing listens fails");
            assertInstanceOf(ConnectException.class, f.cause(), "refused like the JDK's: " + f.cause());
        }
    }

    /** Echoes each datagram to its sender: the textbook Netty UDP echo server. */
    static final class DatagramEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
        }
    }

    /** Echoes each datagram's bytes back over a connected channel (no recipient given). */
    static final class ConnectedDatagramEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.writeAndFlush(packet.content().retain());
        }
    }

    /** Hands each received datagram's sender and bytes to the test thread. */
    static final class DatagramSink extends SimpleChannelInboundHandler<DatagramPacket> {
        final BlockingQueue<Object[]> got = new LinkedBlockingQueue<>();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            byte[] a = new byte[packet.content().readableBytes()];
            packet.content().getBytes(packet.content().readerIndex(), a);
            got.add(new Object[] {packet.sender(), a});
        }
    }

    /** How the datagram client sends a request. */
    private interface DatagramSend {
        Future<Void> send(byte[] payload);
    }

    /**
     * Request/response of datagrams of several sizes. Datagrams may be lost, so a request is
     * repeated (at most 5 times) until its echo arrives; every echo must carry exactly the bytes
     * sent and come from the server.
     */
    private static void echoRounds(DatagramSend send, DatagramSink sink, InetSocketAddress serverAddress)
            throws Exception {
        int[] sizes = {1, 64, 512, 1000, 1300};
        for (int i = 0; i < 30; i++) {
            byte[] payload = new byte[sizes[i % sizes.length]];
            new Random(i).nextBytes(payload);
            payload[0] = (byte) i;
            Object[] reply = null;
            for (int attempt = 0; attempt < 5 && reply == null; attempt++) {
                await(send.send(payload));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (reply == null && System.nanoTime() < deadline) {
                    Object[] r = sink.got.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                    // An echo of an earlier, repeated request may still arrive: skip it.
                    if (r != null && java.util.Arrays.equals((byte[]) r[1], payload)) {
                        reply = r;
                    }
                }
            }
            assertNotNull(reply, "datagram " + i + " (" + payload.length + " bytes) echoed");
            assertEquals(serverAddress, reply[0], "the echo comes from the server's address");
        }
    }

    /**
     * Netty's {@code NioDatagramChannel} over an Anode datagram channel, unconnected on both sides:
     * the client sends {@code DatagramPacket}s to the server's address, the server answers each
     * to its {@code sender()}.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void datagramEcho(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.datagram(env.serverProvider, env.serverGroup(), new DatagramEcho())
                    .bind(env.serverBind));
            InetSocketAddress serverAddress = (InetSocketAddress) server.localAddress();
            assertTrue(serverAddress.getPort() > 0, "an ephemeral port was assigned: " + serverAddress);
            DatagramSink sink = new DatagramSink();
            Channel client = await(
                    env.datagram(env.clientProvider, env.clientGroup(), sink).bind(env.clientBind()));
            if (transport == Transport.ANODE) {
                assertEquals(
                        env.serverNode.address(),
                        assertInstanceOf(AnodeSocketAddress.class, serverAddress)
                                .address());
                assertEquals(
                        env.clientNode.address(),
                        assertInstanceOf(AnodeSocketAddress.class, client.localAddress())
                                .address());
            }
            echoRounds(
                    p -> client.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(p), serverAddress)),
                    sink,
                    serverAddress);
            await(client.close());
            await(server.close());
        }
    }

    /**
     * The same with both channels connected to each other after binding, writing plain
     * {@code ByteBuf}s (Netty then uses the channel's {@code write}, not {@code send}).
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void connectedDatagramEcho(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.datagram(env.serverProvider, env.serverGroup(), new ConnectedDatagramEcho())
                    .bind(env.serverBind));
            InetSocketAddress serverAddress = (InetSocketAddress) server.localAddress();
            DatagramSink sink = new DatagramSink();
            Channel client = await(
                    env.datagram(env.clientProvider, env.clientGroup(), sink).bind(env.clientBind()));
            InetSocketAddress clientAddress = (InetSocketAddress) client.localAddress();
            await(client.connect(serverAddress));
            await(server.connect(clientAddress));
            assertEquals(serverAddress, client.remoteAddress());
            assertEquals(clientAddress, server.remoteAddress());
            echoRounds(p -> client.writeAndFlush(Unpooled.wrappedBuffer(p)), sink, serverAddress);
            await(client.close());
            await(server.close());
        }
    }

    /**
     * A Netty datagram echo server bound the way Netty code binds a well-known UDP port -
     * {@code bind(7)}, the wildcard address - answers a client that uses the node's plain datagram
     * channel and its {@code DatagramSocket} adaptor: the wildcard means the node's own address, so
     * the server is at {@code <node>:7}, and Netty's {@code SO_RCVBUF} reaches the Anode channel.
     * Anode only: the port and addresses are the node's.
     */
    @Test
    public void datagramServerOnTheNodesWellKnownPort() throws Exception {
        try (Env env = new Env(Transport.ANODE)) {
            Channel ch = await(env.datagram(
                            env.serverProvider, env.serverGroup(), new SimpleChannelInboundHandler<DatagramPacket>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                                    String text = p.content().toString(StandardCharsets.UTF_8);
                                    ctx.writeAndFlush(new DatagramPacket(
                                            Unpooled.copiedBuffer("echo:" + text, StandardCharsets.UTF_8), p.sender()));
                                }
                            })
                    .option(ChannelOption.SO_RCVBUF, 64 * 1024)
                    .bind(7));
            assertTrue(ch.isActive());
            InetSocketAddress local = (InetSocketAddress) ch.localAddress();
            assertInstanceOf(AnodeSocketAddress.class, local);
            assertEquals(AnodeSocketAddress.of(env.serverNode.address(), 7), local);
            assertEquals(64 * 1024, (int) ch.config().getOption(ChannelOption.SO_RCVBUF));

            try (AnodeDatagramChannel c = env.clientNode.openDatagramChannel()) {
                c.bind(AnodeSocketAddress.of(env.clientNode.address(), 4000));
                c.connect(AnodeSocketAddress.of(env.serverNode.address(), 7));
                java.net.DatagramSocket sock = c.socket();
                sock.setSoTimeout(1000);
                for (int i = 0; i < 50; i++) {
                    String msg = "netty " + i;
                    boolean answered = false;
                    for (int attempt = 0; attempt < 5 && !answered; attempt++) {
                        c.write(ByteBuffer.wrap(msg.getBytes(StandardCharsets.UTF_8)));
                        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[200], 200);
                        try {
                            sock.receive(p);
                        } catch (SocketTimeoutException e) {
                            continue;
                        }
                        assertEquals("echo:" + msg, new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
                        answered = true;
                    }
                    assertTrue(answered, "no echo for " + msg);
                }
            }
            await(ch.close());
        }
    }

    /**
     * Netty's own TLS ({@code SslHandler} on the JDK's engine) over the Anode stream: a 1 MiB echo
     * through TLS with a SHA-256 check, certificate pinned as in
     * {@code TlsOverAnodeTest}.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    public void sslHandlerEchoes(Transport transport) throws Exception {
        SslContext serverSsl;
        SslContext clientSsl;
        {
            javax.net.ssl.KeyManagerFactory kmf =
                    javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (java.io.InputStream in = getClass().getResourceAsStream("/tls/anode-test-server.p12")) {
                assertNotNull(in, "test keystore on the class path");
                ks.load(in, "anode-test".toCharArray());
            }
            kmf.init(ks, "anode-test".toCharArray());
            serverSsl = SslContextBuilder.forServer(kmf)
                    .sslProvider(SslProvider.JDK)
                    .build();
            // The pinned certificate is the server's identity; it names no host, so no hostname
            // check (Netty 4.2 turns one on by default, 4.1 does not: the same on both here).
            clientSsl = SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .trustManager((java.security.cert.X509Certificate) ks.getCertificate("anode-test-server"))
                    .endpointIdentificationAlgorithm(null)
                    .build();
        }
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(serverSsl.newHandler(ch.alloc()), new EchoHandler());
                        }
                    })
                    .bind(env.serverBind));
            BulkClient client = new BulkClient(1 << 20, 443);
            Channel c = await(env.client(env.clientGroup(), new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(clientSsl.newHandler(ch.alloc()), client);
                        }
                    })
                    .connect(server.localAddress()));
            assertTrue(client.await(), "SHA-256 of the 1 MiB echoed through TLS equals what was sent");
            SslHandler ssl = c.pipeline().get(SslHandler.class);
            assertTrue(ssl.handshakeFuture().isSuccess());
            assertNotNull(ssl.engine().getSession().getProtocol());
            await(c.close());
        }
    }
}
