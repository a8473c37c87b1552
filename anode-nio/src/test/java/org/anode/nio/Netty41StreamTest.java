package org.anode.nio;

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
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
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
import java.nio.ByteBuffer;
import java.nio.channels.spi.SelectorProvider;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Netty 4.1's NIO transport, unchanged, over Anode streams (draft section 5): the server and client
 * are ordinary Netty code whose only Anode-specific parts are where the channels come from
 * ({@code NioEventLoopGroup(n, null, provider)}, {@code new NioServerSocketChannel(provider)},
 * {@code new NioSocketChannel(provider)}; design checklist item 1) and the addresses
 * ({@link AnodeSocketAddress}, an {@link InetSocketAddress} that Netty's default resolver leaves
 * alone).
 *
 * <p>Every scenario also runs on the JDK's own provider over TCP on 127.0.0.1: the control that
 * shows a failure on Anode is the channels' and not the harness's.
 */
@Timeout(120)
class Netty41StreamTest {
    private static final long WAIT_SECONDS = 20;
    private static final int CLOSE_TRIALS = 50;

    /** Which provider the Netty code runs on. */
    enum Transport {
        ANODE, JDK_TCP
    }

    /**
     * The two sides' providers and where the server binds: two Anode nodes on 127.0.0.1 that know
     * each other's endpoint, or the JDK's provider over TCP.
     */
    static final class Env implements AutoCloseable {
        final Transport transport;
        final SelectorProvider serverProvider;
        final SelectorProvider clientProvider;
        final SocketAddress serverBind;
        private final List<AnodeNode> nodes = new ArrayList<>();
        private final List<EventLoopGroup> groups = new ArrayList<>();
        final AnodeNode serverNode;
        final AnodeNode clientNode;

        Env(Transport transport) throws IOException {
            this.transport = transport;
            if (transport == Transport.ANODE) {
                serverNode = start();
                clientNode = start();
                serverNode.addPeerEndpoint(clientNode.address(), clientNode.localEndpoints().get(0));
                clientNode.addPeerEndpoint(serverNode.address(), serverNode.localEndpoints().get(0));
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
            AnodeNode n = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), AnodeNodeConfig.builder()
                    .bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0)).build());
            nodes.add(n);
            return n;
        }

        EventLoopGroup serverGroup() {
            EventLoopGroup g = new NioEventLoopGroup(1, (Executor) null, serverProvider);
            groups.add(g);
            return g;
        }

        EventLoopGroup clientGroup() {
            EventLoopGroup g = new NioEventLoopGroup(2, (Executor) null, clientProvider);
            groups.add(g);
            return g;
        }

        ServerBootstrap server(ChannelInitializer<SocketChannel> childInit) {
            return new ServerBootstrap().group(serverGroup())
                    .channelFactory(() -> new NioServerSocketChannel(serverProvider))
                    .childHandler(childInit);
        }

        Bootstrap client(EventLoopGroup group, ChannelInboundHandlerAdapter handler) {
            return new Bootstrap().group(group)
                    .channelFactory(() -> new NioSocketChannel(clientProvider))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
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
    static <T> T await(Future<T> f) throws Exception {
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
    static Channel await(ChannelFuture f) throws Exception {
        await((Future<Void>) f);
        return f.channel();
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ handlers

    /** A client handler that does nothing: the trials drive the channel directly. */
    @ChannelHandler.Sharable
    static final class Quiet extends ChannelInboundHandlerAdapter {
        static final Quiet INSTANCE = new Quiet();
    }

    /** Echoes every byte back, with the usual back-pressure: stop reading while not writable. */
    static final class EchoHandler extends ChannelInboundHandlerAdapter {
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
    static final class BulkClient extends ChannelInboundHandlerAdapter {
        private static final int CHUNK = 64 * 1024;
        private final long total;
        private final Random data;
        private final MessageDigest sent;
        private final MessageDigest received;
        private long written;
        private long read;
        final CompletableFuture<Boolean> result = new CompletableFuture<>();

        BulkClient(long total, long seed) throws Exception {
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
        boolean await() throws Exception {
            try {
                return result.get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("echo stalled: " + written + " of " + total + " bytes written, " + read
                        + " echoed back, after " + WAIT_SECONDS + " s", e);
            }
        }
    }

    static ChannelInitializer<SocketChannel> init(java.util.function.Supplier<ChannelInboundHandlerAdapter> h) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(h.get());
            }
        };
    }

    // ------------------------------------------------------------------ tests

    @ParameterizedTest
    @EnumSource(Transport.class)
    void echoesAndReportsAddresses(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
            Channel server = await(env.server(new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    accepted.add(ch);
                    ch.pipeline().addLast(new EchoHandler());
                }
            }).bind(env.serverBind));
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
                assertEquals(env.clientNode.address(),
                        assertInstanceOf(AnodeSocketAddress.class, child.remoteAddress()).address());
            }
            await(c.close());
            await(server.close());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void echoesEightMebibytesWithChecksum(Transport transport) throws Exception {
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
    void echoesThroughSmallSocketBuffers(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(init(EchoHandler::new))
                    .childOption(ChannelOption.SO_SNDBUF, 16384).childOption(ChannelOption.SO_RCVBUF, 16384)
                    .bind(env.serverBind));
            BulkClient client = new BulkClient(512 * 1024, 16384);
            Channel c = await(env.client(env.clientGroup(), client)
                    .option(ChannelOption.SO_SNDBUF, 16384).option(ChannelOption.SO_RCVBUF, 16384)
                    .connect(server.localAddress()));
            assertTrue(client.await(), "SHA-256 of the 512 KiB echoed equals what was sent");
            await(c.close());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void manyConcurrentClientsEcho(Transport transport) throws Exception {
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
    void nettyClientWritesAndClosesAtOnceServerGetsEveryByte(Transport transport) throws Exception {
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
    void concurrentClientsWriteAndCloseAtOnce(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<Object> done = new LinkedBlockingQueue<>();
            Channel server = await(env.server(init(() -> new Collector(done)))
                    .option(ChannelOption.SO_BACKLOG, CLOSE_TRIALS).bind(env.serverBind));
            Bootstrap b = env.client(env.clientGroup(), Quiet.INSTANCE);
            java.util.Map<Integer, byte[]> sent = new java.util.HashMap<>();
            List<ChannelFuture> connects = new ArrayList<>();
            for (int i = 0; i < CLOSE_TRIALS; i++) {
                byte[] tail = trialPayload(i);
                byte[] payload = ByteBuffer.allocate(4 + tail.length).putInt(i).put(tail).array();
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
    void plainNioClientWritesAndClosesAtOnceServerGetsEveryByte(Transport transport) throws Exception {
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
    void serverWritesAndClosesAtOnceClientGetsEveryByte(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            BlockingQueue<byte[]> payloads = new LinkedBlockingQueue<>();
            Channel server = await(env.server(init(() -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    byte[] p = payloads.poll();
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(p == null ? new byte[0] : p));
                    ctx.close();
                }
            })).bind(env.serverBind));
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
    void halfCloseRequestThenResponse(Transport transport) throws Exception {
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
                        answer.writeBytes(MessageDigest.getInstance("SHA-256").digest(all));
                        answer.writeBoolean(ch.isInputShutdown() && !ch.isOutputShutdown());
                        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
                    }
                    ctx.fireUserEventTriggered(evt);
                }
            })).childOption(ChannelOption.ALLOW_HALF_CLOSURE, true).bind(env.serverBind));
            EventLoopGroup group = env.clientGroup();
            for (int i = 0; i < 10; i++) {
                byte[] payload = new byte[i % 2 == 0 ? 7 + i : 100_000 + i];
                new Random(i).nextBytes(payload);
                BlockingQueue<Object> done = new LinkedBlockingQueue<>();
                SocketChannel c = (SocketChannel) await(env.client(group, new Collector(done))
                        .connect(server.localAddress()));
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

    /**
     * A TCP port on 127.0.0.1 below the ephemeral range that was free a moment ago (bound and closed
     * here), or null if none was found in 50 tries.
     */
    static SocketAddress vacantTcpPort() throws IOException {
        int low = 32768;
        java.nio.file.Path range = java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (java.nio.file.Files.isReadable(range)) {
            low = Integer.parseInt(java.nio.file.Files.readString(range).trim().split("\\s+")[0]);
        }
        java.util.Random r = new java.util.Random();
        InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        for (int i = 0; i < 50 && low > 2048; i++) {
            InetSocketAddress a = new InetSocketAddress(lo, 1024 + r.nextInt(low - 1024));
            try (java.nio.channels.ServerSocketChannel ch = java.nio.channels.ServerSocketChannel.open()) {
                ch.bind(a);
                return a;
            } catch (IOException e) {
                // in use: try another
            }
        }
        return null;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectWhereNothingListensFails(Transport transport) throws Exception {
        try (Env env = new Env(transport)) {
            // Bind and close a server to learn a port where nothing listens now. Over TCP the port
            // must lie outside the kernel's ephemeral range: a client whose own ephemeral port came
            // out equal to it would connect to itself (TCP simultaneous open) and succeed.
            SocketAddress vacant = env.transport == Transport.JDK_TCP ? vacantTcpPort() : null;
            if (vacant == null) {
                Channel server = await(env.server(init(ChannelInboundHandlerAdapter::new)).bind(env.serverBind));
                vacant = server.localAddress();
                await(server.close());
            }
            Future<?> f = env.client(env.clientGroup(), new ChannelInboundHandlerAdapter()).connect(vacant);
            assertTrue(f.await(WAIT_SECONDS, TimeUnit.SECONDS), "the connect attempt ends");
            assertFalse(f.isSuccess(), "connect to a port where nothing listens fails");
            assertInstanceOf(ConnectException.class, f.cause(), "refused like the JDK's: " + f.cause());
        }
    }

    /**
     * Netty's own TLS ({@code SslHandler} on the JDK's engine) over the Anode stream: a 1 MiB echo
     * through TLS with a SHA-256 check, certificate pinned as in {@link TlsOverAnodeTest}.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void sslHandlerEchoes(Transport transport) throws Exception {
        SslContext serverSsl;
        SslContext clientSsl;
        {
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                    javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (java.io.InputStream in = getClass().getResourceAsStream("/tls/anode-test-server.p12")) {
                assertNotNull(in, "test keystore on the class path");
                ks.load(in, "anode-test".toCharArray());
            }
            kmf.init(ks, "anode-test".toCharArray());
            serverSsl = SslContextBuilder.forServer(kmf).sslProvider(SslProvider.JDK).build();
            clientSsl = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                    .trustManager((java.security.cert.X509Certificate) ks.getCertificate("anode-test-server"))
                    .build();
        }
        try (Env env = new Env(transport)) {
            Channel server = await(env.server(new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(serverSsl.newHandler(ch.alloc()), new EchoHandler());
                }
            }).bind(env.serverBind));
            BulkClient client = new BulkClient(1 << 20, 443);
            Channel c = await(env.client(env.clientGroup(), new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(clientSsl.newHandler(ch.alloc()), client);
                }
            }).connect(server.localAddress()));
            assertTrue(client.await(), "SHA-256 of the 1 MiB echoed through TLS equals what was sent");
            SslHandler ssl = c.pipeline().get(SslHandler.class);
            assertTrue(ssl.handshakeFuture().isSuccess());
            assertNotNull(ssl.engine().getSession().getProtocol());
            await(c.close());
        }
    }
}
