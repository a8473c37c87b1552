package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Netty 4.1's NIO datagram transport, unchanged, over an {@link AnodeDatagramChannel}: the event loop
 * runs on {@link AnodeSelector} (checklist 1), the channel factory wraps our channel, and an echo
 * server answers a client on another node.
 */
@Timeout(60)
class NettyDatagramTest {

    @Test
    void nettyEchoServerOverAnodeDatagrams() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode server = t.node();
            AnodeNode client = t.node();
            NodeTestSupport.introduce(server, client);
            AnodeSelectorProvider provider = server.selectorProvider();
            NioEventLoopGroup group = new NioEventLoopGroup(1, (Executor) null, provider);
            try {
                Bootstrap b = new Bootstrap()
                        .group(group)
                        .channelFactory(() -> new NioDatagramChannel(provider))
                        .option(ChannelOption.SO_RCVBUF, 64 * 1024)
                        .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                                String text = p.content().toString(StandardCharsets.UTF_8);
                                ctx.writeAndFlush(new DatagramPacket(
                                        Unpooled.copiedBuffer("echo:" + text, StandardCharsets.UTF_8), p.sender()));
                            }
                        });
                // Netty binds an InetSocketAddress with the wildcard address: the node's own port 7.
                Channel ch = b.bind(7).syncUninterruptibly().channel();
                assertTrue(ch.isActive());
                InetSocketAddress local = (InetSocketAddress) ch.localAddress();
                assertInstanceOf(AnodeSocketAddress.class, local);
                assertEquals(AnodeSocketAddress.of(server.address(), 7), local);
                assertEquals(64 * 1024, (int) ch.config().getOption(ChannelOption.SO_RCVBUF));

                AnodeDatagramChannel c = client.openDatagramChannel();
                c.bind(AnodeSocketAddress.of(client.address(), 4000));
                c.connect(AnodeSocketAddress.of(server.address(), 7));
                var sock = c.socket();
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
                ch.close().syncUninterruptibly();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }
}
