package org.anode.conformance.unmodified;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A stock Netty 4.2 echo server and client (default {@code MultiThreadIoEventLoopGroup} with
 * {@code NioIoHandler.newFactory()}, {@code NioServerSocketChannel.class}, {@code NioSocketChannel.class})
 * that know nothing of Anode: {@link Netty42UnmodifiedTest} runs them with JVM flags only (issue 15).
 */
final class Netty42EchoPrograms {
    private Netty42EchoPrograms() {}

    /** Prints {@code READY <port>} and echoes until standard input closes. */
    static final class Server {
        public static void main(String[] args) throws Exception {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
            try {
                Channel ch = new ServerBootstrap()
                        .group(group)
                        .channel(NioServerSocketChannel.class)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel c) {
                                c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ctx.writeAndFlush(msg);
                                    }
                                });
                            }
                        })
                        .bind(Integer.parseInt(args[0]))
                        .sync()
                        .channel();
                System.out.println("READY " + ((InetSocketAddress) ch.localAddress()).getPort());
                while (System.in.read() >= 0) {
                    // Serve until the parent closes our input.
                }
                ch.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    /** Connects to {@code host port}, sends {@code message}, prints {@code ECHO <reply> REMOTE <addr>}. */
    static final class Client {
        public static void main(String[] args) throws Exception {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
            CompletableFuture<String> echoed = new CompletableFuture<>();
            String msg = args[2];
            try {
                Channel ch = new Bootstrap()
                        .group(group)
                        .channel(NioSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter() {
                            private final StringBuilder got = new StringBuilder();

                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.writeAndFlush(Unpooled.copiedBuffer(msg, StandardCharsets.UTF_8));
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object m) {
                                ByteBuf b = (ByteBuf) m;
                                got.append(b.toString(StandardCharsets.UTF_8));
                                b.release();
                                if (got.length() >= msg.length()) {
                                    echoed.complete(got.toString());
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                echoed.completeExceptionally(cause);
                            }
                        })
                        .connect(args[0], Integer.parseInt(args[1]))
                        .sync()
                        .channel();
                System.out.println("ECHO " + echoed.get(30, TimeUnit.SECONDS) + " REMOTE " + ch.remoteAddress());
                ch.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }
}
