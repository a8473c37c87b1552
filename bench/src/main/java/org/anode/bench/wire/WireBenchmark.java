package org.anode.bench.wire;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.anode.address.AnodeAddress;
import org.anode.crypto.AnodeProvider;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketReader;
import org.anode.wire.PacketWriter;
import org.anode.wire.SenderForm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Codec overhead on the data path (issue 3): encode + MAC and decode + verify of a 1400-byte
 * S_DATA packet (draft 3, 5.2.3; MAC per DECISIONS 17) against the bare folded CMAC over the same
 * number of bytes in the same run. The MAC input of a 1400-byte packet is 1399 bytes (flags,
 * 8-byte length, everything after the MAC field), so the baselines MAC 1399 bytes. Run with
 * {@code -prof gc}: every benchmark here should show ~0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WireBenchmark {
    static final int PACKET = 1400;
    static final byte[] KEY =
            HexFormat.of().parseHex("a2baf33730b799118f6a1c030ae845492da8b1f8e0488fa0b11060038cf6567a");

    private AnodeAddress self;
    private AnodeAddress peer;
    private AesCmac cmac;
    private Mac anodeMac;
    private final byte[] macOut = new byte[8];
    private PacketWriter writer;
    private PacketReader reader;
    private ByteBuffer out;
    private ByteBuffer payload;
    private ByteBuffer received;
    private byte[] receivedBytes;
    private int seq;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        HexFormat hex = HexFormat.of();
        self = AnodeAddress.fromBytes(
                hex.parseHex("0100000000000002be76c8a8bf2b288539c951923454c61aba50a9fba107537b3c5a7f953741f3d1"));
        peer = AnodeAddress.fromBytes(
                hex.parseHex("01d730b30b000002f8138f80c464749f8dee9ca0c8eaca4aee6491d0c594762509697a22412b750e"));
        // Short ids are computed once per address and cached, as in the engine.
        self.shortId();
        peer.shortId();
        cmac = AesCmac.forKey(KEY);
        anodeMac = Mac.getInstance("AnodeMAC", new AnodeProvider());
        anodeMac.init(new SecretKeySpec(KEY, "AES"));
        writer = new PacketWriter();
        reader = new PacketReader();
        out = ByteBuffer.allocate(2048);
        byte[] data = new byte[PACKET - 28 - MessageFields.S_DATA_HEADER];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        payload = ByteBuffer.wrap(data);
        if (encodeAndMac() != PACKET) {
            throw new IllegalStateException("packet is not 1400 bytes");
        }
        receivedBytes = new byte[PACKET];
        out.get(0, receivedBytes);
        received = ByteBuffer.wrap(receivedBytes);
        if (decodeAndVerify() < 0) {
            throw new IllegalStateException("the benchmark packet does not verify");
        }
    }

    /** Header + S_DATA header + payload copy + MAC, into a reused buffer. */
    @Benchmark
    public int encodeAndMac() {
        ByteBuffer b = out;
        b.clear();
        writer.begin(b, self, SenderForm.SHORT, peer, 1, 2, MessageType.S_DATA);
        MessageFields.writeSDataHeader(b, 7, 80, seq++);
        b.put(payload.clear());
        return writer.finish(cmac);
    }

    /** Header and message validation, addressing checks, S_DATA fields, MAC verification. */
    @Benchmark
    public int decodeAndVerify() throws Exception {
        PacketReader r = reader.wrap(received);
        ByteBuffer b = r.buffer();
        if (r.isAuthErrorResponse()
                || r.messageType() != MessageType.S_DATA
                || !r.recipientIs(peer)
                || !r.senderIs(self)) {
            return -1;
        }
        int off = r.payloadOffset();
        int dataLen = r.payloadLimit() - MessageFields.sDataPayloadOffset(off);
        if (!r.verifyMac(cmac)) {
            return -2;
        }
        return MessageFields.sDataSequence(b, off) + MessageFields.linkId(b, off) + dataLen;
    }

    /** Codec share of {@link #encodeAndMac}: the same writes with the MAC step left out (for attribution). */
    @Benchmark
    public int encodeOnly() {
        ByteBuffer b = out;
        b.clear();
        writer.begin(b, self, SenderForm.SHORT, peer, 1, 2, MessageType.S_DATA);
        MessageFields.writeSDataHeader(b, 7, 80, seq++);
        b.put(payload.clear());
        return b.position();
    }

    /** Codec share of {@link #decodeAndVerify}: the same reads with the MAC step left out (for attribution). */
    @Benchmark
    public int decodeOnly() throws Exception {
        PacketReader r = reader.wrap(received);
        ByteBuffer b = r.buffer();
        if (r.isAuthErrorResponse()
                || r.messageType() != MessageType.S_DATA
                || !r.recipientIs(peer)
                || !r.senderIs(self)) {
            return -1;
        }
        int off = r.payloadOffset();
        int dataLen = r.payloadLimit() - MessageFields.sDataPayloadOffset(off);
        return MessageFields.sDataSequence(b, off) + MessageFields.linkId(b, off) + dataLen;
    }

    /** Baseline: the bare folded CMAC (AesCmac) over the 1399 bytes the packet MAC covers. */
    @Benchmark
    public long bareCmacFolded() {
        cmac.update(receivedBytes, 1, PACKET - 1);
        return cmac.doFinalFolded();
    }

    /** Baseline through JCA: Mac "AnodeMAC" (the same folded CMAC) over the same 1399 bytes. */
    @Benchmark
    public byte jcaAnodeMac() throws Exception {
        anodeMac.update(receivedBytes, 1, PACKET - 1);
        anodeMac.doFinal(macOut, 0);
        return macOut[0];
    }
}
