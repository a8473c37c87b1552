package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15: one Netty 4.1 {@link NioEventLoopGroup} of one thread, on the node's provider, serving an
 * IP listener (a JDK channel) and an Anode listener (draft section 5 streams) at once, both echoing;
 * and one client group of one thread driving an IP and an Anode client at once.
 */
@Timeout(120)
class NettyMixedLoopTest {
    private static final int BYTES = 256 * 1024;

    @Test
    void oneEventLoopServesIpAndAnodeListeners() throws Exception {
        InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        AnodeNode server = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                AnodeNodeConfig.builder().bind(new InetSocketAddress(lo, 0)).build());
        AnodeNode client = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                AnodeNodeConfig.builder().bind(new InetSocketAddress(lo, 0)).build());
        EventLoopGroup serverGroup = new NioEventLoopGroup(1, (Executor) null, server.selectorProvider());
        EventLoopGroup clientGroup = new NioEventLoopGroup(1, (Executor) null, client.selectorProvider());
        try {
            server.addPeerEndpoint(client.address(), client.localEndpoints().get(0));
            client.addPeerEndpoint(server.address(), server.localEndpoints().get(0));
            ChannelInitializer<SocketChannel> echo = new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new Echo());
                }
            };
            Channel ipListener = new ServerBootstrap()
                    .group(serverGroup)
                    .channelFactory(() -> new NioServerSocketChannel(SelectorProvider.provider()))
                    .childHandler(echo)
                    .bind(new InetSocketAddress(lo, 0))
                    .sync()
                    .channel();
            Channel anodeListener = new ServerBootstrap()
                    .group(serverGroup)
                    .channelFactory(() -> new NioServerSocketChannel(server.selectorProvider()))
                    .childHandler(echo)
                    .bind(AnodeSocketAddress.of(server.address(), 0))
                    .sync()
                    .channel();
            assertInstanceOf(AnodeSocketAddress.class, anodeListener.localAddress());

            byte[] data = new byte[BYTES];
            new Random(15).nextBytes(data);
            CompletableFuture<byte[]> ipEcho = new CompletableFuture<>();
            CompletableFuture<byte[]> anodeEcho = new CompletableFuture<>();
            new Bootstrap()
                    .group(clientGroup)
                    .channelFactory(() -> new NioSocketChannel(SelectorProvider.provider()))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new Collect(data, ipEcho))
                    .connect(ipListener.localAddress())
                    .sync();
            int anodePort = ((AnodeSocketAddress) anodeListener.localAddress()).port();
            new Bootstrap()
                    .group(clientGroup)
                    .channelFactory(() -> new NioSocketChannel(client.selectorProvider()))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new Collect(data, anodeEcho))
                    .connect(AnodeSocketAddress.of(server.address(), anodePort))
                    .sync();
            assertArrayEquals(data, ipEcho.get(60, TimeUnit.SECONDS), "IP echo through the shared loop");
            assertArrayEquals(data, anodeEcho.get(60, TimeUnit.SECONDS), "Anode echo through the shared loop");
            ipListener.close().sync();
            anodeListener.close().sync();
        } finally {
            serverGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            clientGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            client.close();
            server.close();
        }
    }

    /** Echoes every byte back. */
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Sends the data on connect and completes with what came back once it is all there. */
    static final class Collect extends ChannelInboundHandlerAdapter {
        private final byte[] data;
        private final CompletableFuture<byte[]> done;
        private final ByteArrayOutputStream got = new ByteArrayOutputStream();

        Collect(byte[] data, CompletableFuture<byte[]> done) {
            this.data = data;
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(data));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                byte[] chunk = new byte[b.readableBytes()];
                b.readBytes(chunk);
                got.writeBytes(chunk);
            } finally {
                b.release();
            }
            if (got.size() >= data.length) {
                done.complete(got.toByteArray());
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
