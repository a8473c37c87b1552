package org.anode.bench.crypto;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.crypto.AnodeProvider;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.agreement.ECDHBasicAgreement;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * P-256 ECDH (draft 2.4): {@code KeyAgreement "AnodeECDH"} (doPhase + generateSecret per operation,
 * as a node does per peer) against Bouncy Castle's lightweight {@code ECDHBasicAgreement} on the same
 * custom P-256 curve and the JDK's SunEC {@code ECDH}, all with the same two key pairs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EcdhBenchmark {
    private KeyAgreement anode;
    private KeyAgreement anodeWithSunKey;
    private AnodeIdentity me;
    private AnodeIdentity peer;
    private KeyAgreement sun;
    private KeyPair sunPeer;
    private ECDHBasicAgreement bc;
    private ECPublicKeyParameters bcPeer;

    @Setup
    public void setup() throws Exception {
        Provider p = new AnodeProvider();
        me = AnodeIdentity.generate(Zone.DEFAULT);
        peer = AnodeIdentity.generate(Zone.DEFAULT);
        anode = KeyAgreement.getInstance("AnodeECDH", p);
        anode.init(me.privateKey());

        X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
        ECDomainParameters dom = new ECDomainParameters(x9.getCurve(), x9.getG(), x9.getN(), x9.getH());
        bc = new ECDHBasicAgreement();
        bc.init(new ECPrivateKeyParameters(me.privateKey().getS(), dom));
        bcPeer = new ECPublicKeyParameters(
                x9.getCurve().decodePoint(peer.address().compressedKey()), dom);

        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        sunPeer = g.generateKeyPair();
        sun = KeyAgreement.getInstance("ECDH");
        sun.init(me.privateKey());
        anodeWithSunKey = KeyAgreement.getInstance("AnodeECDH", p);
        anodeWithSunKey.init(me.privateKey());

        BigInteger viaBc = bc.calculateAgreement(bcPeer);
        anode.doPhase(peer.address().publicKey(), true);
        if (!viaBc.equals(new BigInteger(1, anode.generateSecret()))) {
            throw new IllegalStateException("AnodeECDH disagrees with Bouncy Castle");
        }
    }

    /** Baseline: Bouncy Castle's lightweight ECDH. */
    @Benchmark
    public BigInteger bcEcdhBasicAgreement() {
        return bc.calculateAgreement(bcPeer);
    }

    /** Reference: the JDK's SunEC. */
    @Benchmark
    public byte[] sunEcEcdh() throws Exception {
        sun.doPhase(sunPeer.getPublic(), true);
        return sun.generateSecret();
    }

    @Benchmark
    public byte[] anodeEcdh() throws Exception {
        anode.doPhase(peer.address().publicKey(), true);
        return anode.generateSecret();
    }

    /** With a SunEC public key: validated once, then remembered for the same key object. */
    @Benchmark
    public byte[] anodeEcdhSunKey() throws Exception {
        anodeWithSunKey.doPhase(sunPeer.getPublic(), true);
        return anodeWithSunKey.generateSecret();
    }
}
