package org.anode.nio;

import com.sun.net.httpserver.HttpServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Stock programs that know nothing of Anode (nothing here refers to it): the acceptance tests of
 * issue 15 run them in child JVMs with only JVM flags added. Each server prints {@code READY <port>}
 * and runs until its standard input closes; each client prints what it got and exits 0.
 */
final class UnmodifiedPrograms {
    private UnmodifiedPrograms() {}

    private static void awaitStdinClosed() throws Exception {
        while (System.in.read() >= 0) {
            // Keep serving until the parent closes our input.
        }
    }

    /** Netty 4.1's echo server as in its examples: default group, NioServerSocketChannel.class. */
    static final class NettyEchoServer {
        public static void main(String[] args) throws Exception {
            EventLoopGroup boss = new NioEventLoopGroup(1);
            EventLoopGroup workers = new NioEventLoopGroup();
            try {
                Channel ch = new ServerBootstrap()
                        .group(boss, workers)
                        .channel(NioServerSocketChannel.class)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel c) {
                                c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ctx.write(msg);
                                    }

                                    @Override
                                    public void channelReadComplete(ChannelHandlerContext ctx) {
                                        ctx.flush();
                                    }
                                });
                            }
                        })
                        .bind(Integer.parseInt(args[0]))
                        .sync()
                        .channel();
                System.out.println("READY " + ((InetSocketAddress) ch.localAddress()).getPort());
                awaitStdinClosed();
                ch.close().sync();
            } finally {
                boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    /** Netty 4.1's echo client: default group, NioSocketChannel.class, connect(host, port). */
    static final class NettyEchoClient {
        public static void main(String[] args) throws Exception {
            EventLoopGroup group = new NioEventLoopGroup();
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

    /** The JDK's own HTTP server (com.sun.net.httpserver) on a wildcard address. */
    static final class JdkHttpServer {
        public static void main(String[] args) throws Exception {
            HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(args[0])), 0);
            server.createContext("/", exchange -> {
                byte[] body = ("hello from " + exchange.getLocalAddress().getPort()).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            System.out.println("READY " + server.getAddress().getPort());
            awaitStdinClosed();
            server.stop(0);
        }
    }

    /** The JDK's HttpClient: one GET, prints the status and the body. */
    static final class JdkHttpClient {
        public static void main(String[] args) throws Exception {
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(20))
                    .build();
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create(args[0]))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println("STATUS " + r.statusCode() + " BODY " + r.body());
        }
    }
}
