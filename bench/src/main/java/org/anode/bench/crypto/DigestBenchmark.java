package org.anode.bench.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.anode.crypto.AnodeProvider;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * AES-DIGEST (draft 2.6, DECISIONS 1): the provider's {@code MessageDigest "AES-DIGEST"} against a
 * naive Davies-Meyer on Bouncy Castle's {@code AESEngine}, re-keyed with a new
 * {@code KeyParameter} for every 32-byte block. 40 bytes is the short-id case (one address),
 * 1400 a full packet. Throughput in MB/s is ops/s x size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DigestBenchmark {
    @Param({"40", "1400"})
    public int size;

    private byte[] data;
    private final byte[] out = new byte[16];
    private MessageDigest md;
    private final NaiveAesDigest naive = new NaiveAesDigest();

    @Setup
    public void setup() throws Exception {
        data = new byte[size];
        new SecureRandom().nextBytes(data);
        md = MessageDigest.getInstance("AES-DIGEST", new AnodeProvider());
        if (!java.util.Arrays.equals(md.digest(data), naive.digest(data))) {
            throw new IllegalStateException("the naive baseline disagrees with AES-DIGEST");
        }
    }

    @Benchmark
    public byte[] naiveBcAesDigest() {
        return naive.digest(data);
    }

    @Benchmark
    public byte[] anodeAesDigest() throws Exception {
        md.update(data, 0, data.length);
        md.digest(out, 0, 16);
        return out;
    }

    /** The straightforward reading of DECISIONS 1 on a general-purpose AES: the baseline. */
    static final class NaiveAesDigest {
        private final org.bouncycastle.crypto.BlockCipher aes = AESEngine.newInstance();
        private final byte[] enc = new byte[16];

        byte[] digest(byte[] msg) {
            byte[] h = new byte[16];
            byte[] block = new byte[32];
            int counter = 0;
            for (byte b : msg) {
                block[counter++] = b;
                if (counter == 32) {
                    counter = 0;
                    step(block, h);
                }
            }
            block[counter] = (byte) 0x80;
            for (int i = counter + 1; i < 32; i++) {
                block[i] = 0;
            }
            step(block, h);
            for (int i = 0; i < 8; i++) {
                block[i] = 0;
            }
            long len = msg.length;
            for (int i = 15; i >= 8; i--) {
                block[i] = (byte) len;
                len >>>= 8;
            }
            step(block, h);
            return h;
        }

        private void step(byte[] key, byte[] h) {
            aes.init(true, new KeyParameter(key));
            aes.processBlock(h, 0, enc, 0);
            for (int i = 0; i < 16; i++) {
                h[i] ^= enc[i];
            }
        }
    }
}
