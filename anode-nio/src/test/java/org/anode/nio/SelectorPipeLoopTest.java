package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A plain JDK-style NIO program - one selector, non-blocking channels, the textbook
 * select / iterate / remove loop - moving bytes through several Anode pipes, written against
 * {@link SelectorProvider} only. The same loop runs on the JDK's provider too, which shows it is
 * ordinary NIO code and not tailored to ours. Runnable as a program through {@link #main}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorPipeLoopTest {
    private static final int PIPES = 6;
    private static final int BYTES_PER_PIPE = 1 << 20;

    /** Writer side state: what is left to send, and the digest of all of it. */
    private static final class Outgoing {
        final ByteBuffer data;
        final byte[] digest;

        Outgoing(byte[] bytes) throws NoSuchAlgorithmException {
            this.data = ByteBuffer.wrap(bytes);
            this.digest = MessageDigest.getInstance("SHA-256").digest(bytes);
        }
    }

    /** Reader side state: a digest of what arrived so far. */
    private static final class Incoming {
        final MessageDigest digest;
        final ByteBuffer buf = ByteBuffer.allocate(3000);
        long count;

        Incoming() throws NoSuchAlgorithmException {
            this.digest = MessageDigest.getInstance("SHA-256");
        }

        /** Reads once; false at end-of-stream. */
        boolean readFrom(Pipe.SourceChannel source) throws IOException {
            int n = source.read(buf.clear());
            if (n < 0) {
                return false;
            }
            digest.update(buf.flip());
            count += n;
            return true;
        }
    }

    /** Result per pipe: bytes received, digest sent, digest received. */
    record Transfer(long received, byte[] sent, byte[] got) {}

    /**
     * The NIO loop: each sink writes its data in odd-sized slices when writable and closes when done;
     * each source reads when readable until -1.
     */
    static List<Transfer> run(SelectorProvider provider, int pipes, int bytesPerPipe, long seed)
            throws IOException, NoSuchAlgorithmException {
        List<Pipe> opened = new ArrayList<>();
        List<Outgoing> outs = new ArrayList<>();
        List<Incoming> ins = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Selector selector = provider.openSelector()) {
            for (int i = 0; i < pipes; i++) {
                Pipe p = provider.openPipe();
                opened.add(p);
                byte[] bytes = new byte[bytesPerPipe];
                rnd.nextBytes(bytes);
                Outgoing out = new Outgoing(bytes);
                Incoming in = new Incoming();
                outs.add(out);
                ins.add(in);
                p.sink().configureBlocking(false);
                p.source().configureBlocking(false);
                p.sink().register(selector, SelectionKey.OP_WRITE, out);
                p.source().register(selector, SelectionKey.OP_READ, in);
            }
            int open = pipes;
            int idleRounds = 0;
            while (open > 0) {
                if (selector.select(10_000) == 0) {
                    if (++idleRounds > 3) {
                        throw new IOException("selector loop stalled");
                    }
                    continue;
                }
                idleRounds = 0;
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isWritable()) {
                        Outgoing out = (Outgoing) key.attachment();
                        Pipe.SinkChannel sink = (Pipe.SinkChannel) key.channel();
                        // Odd slice sizes exercise partial writes and the pipe's wrap-around.
                        ByteBuffer slice = out.data.duplicate();
                        slice.limit(Math.min(out.data.limit(), out.data.position() + 1 + rnd.nextInt(20_000)));
                        int n = sink.write(slice);
                        out.data.position(out.data.position() + n);
                        if (!out.data.hasRemaining()) {
                            sink.close();
                        }
                    } else if (key.isReadable()) {
                        Pipe.SourceChannel source = (Pipe.SourceChannel) key.channel();
                        if (!((Incoming) key.attachment()).readFrom(source)) {
                            source.close();
                            open--;
                        }
                    }
                }
            }
        } finally {
            for (Pipe p : opened) {
                p.sink().close();
                p.source().close();
            }
        }
        List<Transfer> result = new ArrayList<>();
        for (int i = 0; i < pipes; i++) {
            result.add(new Transfer(
                    ins.get(i).count, outs.get(i).digest, ins.get(i).digest.digest()));
        }
        return result;
    }

    @Test
    void bytesFlowThroughAnodePipes() throws Exception {
        List<Transfer> result = run(SelectorTestSupport.provider(), PIPES, BYTES_PER_PIPE, 42);
        assertEquals(PIPES, result.size());
        for (Transfer t : result) {
            assertEquals(BYTES_PER_PIPE, t.received());
            assertArrayEquals(t.sent(), t.got());
        }
    }

    /** The same loop on the JDK's own provider: the code is plain NIO, not written for ours. */
    @Test
    void sameLoopRunsOnJdkProvider() throws Exception {
        List<Transfer> result = run(SelectorProvider.provider(), 2, 1 << 16, 7);
        for (Transfer t : result) {
            assertEquals(1 << 16, t.received());
            assertArrayEquals(t.sent(), t.got());
        }
    }

    /** Mixed use: blocking writer threads feed pipes whose sources one selector loop reads. */
    @Test
    void blockingWritersAndSelectingReader() throws Exception {
        AnodeSelectorProvider provider = SelectorTestSupport.provider();
        List<Pipe> pipes = new ArrayList<>();
        List<Incoming> ins = new ArrayList<>();
        List<SelectorTestSupport.Background<byte[]>> writers = new ArrayList<>();
        try (Selector selector = provider.openSelector()) {
            for (int i = 0; i < 4; i++) {
                Pipe p = provider.openPipe();
                pipes.add(p);
                Incoming in = new Incoming();
                ins.add(in);
                p.source().configureBlocking(false);
                p.source().register(selector, SelectionKey.OP_READ, in);
                int seed = i;
                writers.add(SelectorTestSupport.background("writer" + i, () -> {
                    byte[] bytes = new byte[300_000];
                    new SplittableRandom(seed).nextBytes(bytes);
                    for (int off = 0; off < bytes.length; off += 7777) {
                        p.sink().write(ByteBuffer.wrap(bytes, off, Math.min(7777, bytes.length - off)));
                    }
                    p.sink().close();
                    return MessageDigest.getInstance("SHA-256").digest(bytes);
                }));
            }
            int open = pipes.size();
            int guard = 0;
            while (open > 0 && guard++ < 1_000_000) {
                selector.select(SelectorTestSupport.STEP_SECONDS * 1000);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    Pipe.SourceChannel source = (Pipe.SourceChannel) key.channel();
                    if (!((Incoming) key.attachment()).readFrom(source)) {
                        source.close();
                        open--;
                    }
                }
            }
            assertEquals(0, open);
            selector.selectNow();
            assertTrue(selector.keys().isEmpty(), "closed sources are deregistered");
        } finally {
            for (Pipe p : pipes) {
                p.source().close();
                p.sink().close();
            }
        }
        for (int i = 0; i < writers.size(); i++) {
            assertEquals(300_000, ins.get(i).count);
            assertArrayEquals(writers.get(i).get(), ins.get(i).digest.digest());
            assertFalse(pipes.get(i).source().isRegistered());
        }
    }

    /**
     * Runs the loop as a program, on the Anode provider and then on the JDK's as a baseline, and prints
     * the throughput of each: {@code java ... org.anode.nio.SelectorPipeLoopTest [pipes] [MiB] [rounds]}.
     */
    public static void main(String[] args) throws Exception {
        int pipes = args.length > 0 ? Integer.parseInt(args[0]) : PIPES;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        SelectorProvider[] providers = {SelectorTestSupport.provider(), SelectorProvider.provider()};
        for (int round = 0; round < rounds; round++) {
            for (SelectorProvider provider : providers) {
                long t0 = System.nanoTime();
                List<Transfer> result = run(provider, pipes, mib << 20, round);
                long nanos = System.nanoTime() - t0;
                boolean ok = result.stream().allMatch(t -> MessageDigest.isEqual(t.sent(), t.got()));
                double mbps = (double) pipes * (mib << 20) / (nanos / 1e9) / 1e6;
                System.out.printf(
                        "round %d %-40s %d pipes x %d MiB: %.1f MB/s, digests %s%n",
                        round, provider.getClass().getSimpleName(), pipes, mib, mbps, ok ? "match" : "DIFFER");
            }
        }
    }
}
