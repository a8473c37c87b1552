package org.anode.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.anode.transport.FallbackPolicy.Carrier;
import org.junit.jupiter.api.Test;

/** The fallback rules of DECISIONS 38 with a fake clock. */
class FallbackPolicyTest {
    private static final long S = 1_000_000_000L;
    private final FallbackConfig config = FallbackConfig.defaults();

    @Test
    void udpIsGivenUpAfterThreeSilentSecondsNotBefore() {
        long t = 1000 * S;
        FallbackPolicy p = new FallbackPolicy(config, true, true, t);
        p.udpSent(t);
        p.udpSent(t + S);
        p.udpSent(t + 2 * S);
        assertFalse(p.tick(t + 2 * S + S / 2));
        assertEquals(Carrier.UDP, p.carrier());
        assertTrue(p.tick(t + 3 * S));
        assertEquals(Carrier.TCP, p.carrier());
    }

    @Test
    void anAnswerKeepsUdp() {
        long t = 0;
        FallbackPolicy p = new FallbackPolicy(config, true, true, t);
        for (int i = 0; i < 100; i++) {
            p.udpSent(t);
            t += S;
            p.udpHeard(t);
            assertFalse(p.tick(t));
        }
        assertEquals(Carrier.UDP, p.carrier());
        assertEquals(0, p.switches());
    }

    @Test
    void noFallbackWithoutCarriers() {
        FallbackPolicy p = new FallbackPolicy(config, false, false, 0);
        p.udpSent(0);
        assertFalse(p.tick(10 * S));
        assertEquals(Carrier.UDP, p.carrier());
        FallbackPolicy off = new FallbackPolicy(config.withCarriers(false, false), true, true, 0);
        off.udpSent(0);
        assertFalse(off.tick(10 * S));
        assertEquals(Carrier.UDP, off.carrier());
    }

    @Test
    void withoutTcpUdpFallsStraightToHttp() {
        FallbackPolicy p = new FallbackPolicy(config, false, true, 0);
        p.udpSent(0);
        assertTrue(p.tick(3 * S));
        assertEquals(Carrier.HTTP, p.carrier());
        assertFalse(p.tcpAttemptDue(100 * S), "no TCP port: never tried");
    }

    @Test
    void tcpFailuresLeadToHttpAfterTheConfiguredAttemptsWithBackoff() {
        FallbackConfig d = FallbackConfig.defaults();
        FallbackConfig config = new FallbackConfig(
                true,
                true,
                d.udpTimeout(),
                d.tcpConnectTimeout(),
                2,
                d.reconnectMin(),
                d.reconnectMax(),
                d.tcpRetryInterval(),
                d.probeInterval(),
                d.httpRequestTimeout(),
                d.maxQueuedBytes(),
                null);
        FallbackPolicy p = new FallbackPolicy(config, true, true, 0);
        p.udpSent(0);
        p.tick(3 * S);
        assertEquals(Carrier.TCP, p.carrier());
        assertTrue(p.tcpAttemptDue(3 * S));
        p.tcpAttemptStarted(3 * S);
        assertFalse(p.tcpAttemptDue(4 * S), "one attempt at a time");
        p.tcpFailed(4 * S);
        assertEquals(Carrier.TCP, p.carrier(), "one failure is not enough");
        assertFalse(p.tcpAttemptDue(4 * S + S / 2), "backoff: 1 s");
        assertTrue(p.tcpAttemptDue(5 * S));
        p.tcpAttemptStarted(5 * S);
        p.tcpFailed(5 * S);
        assertEquals(Carrier.HTTP, p.carrier());
        assertFalse(p.tcpAttemptDue(6 * S), "on HTTP, TCP is retried after the retry interval");
        assertTrue(p.tcpAttemptDue(5 * S + config.tcpRetryInterval().toNanos()));
        p.tcpAttemptStarted(66 * S);
        p.tcpConnected(66 * S);
        assertEquals(Carrier.TCP, p.carrier(), "a working TCP connection wins over HTTP");
    }

    @Test
    void byDefaultOneFailedTcpAttemptMeansHttpButALostConnectionGetsMore() {
        FallbackPolicy p = new FallbackPolicy(config, true, true, 0);
        p.udpSent(0);
        p.tick(3 * S);
        p.tcpAttemptStarted(3 * S);
        p.tcpFailed(6 * S);
        assertEquals(Carrier.HTTP, p.carrier(), "within the 10 s route timeout");
        FallbackPolicy q = new FallbackPolicy(config, true, true, 0);
        q.udpSent(0);
        q.tick(3 * S);
        q.tcpConnected(3 * S);
        for (int i = 0; i < 4; i++) {
            q.tcpFailed((50 + i) * S);
        }
        assertEquals(Carrier.TCP, q.carrier(), "a relay restart is ridden out on TCP");
        q.tcpFailed(55 * S);
        assertEquals(Carrier.HTTP, q.carrier());
    }

    @Test
    void backoffDoublesToTheCap() {
        FallbackPolicy p = new FallbackPolicy(config, true, false, 0);
        assertEquals(S, p.backoff(1));
        assertEquals(2 * S, p.backoff(2));
        assertEquals(16 * S, p.backoff(5));
        assertEquals(30 * S, p.backoff(6));
        assertEquals(30 * S, p.backoff(1000));
        p.udpSent(0);
        p.tick(3 * S);
        for (int i = 0; i < 10; i++) {
            p.tcpFailed(4 * S);
        }
        assertEquals(Carrier.TCP, p.carrier(), "no HTTP URIs: TCP keeps being retried");
        assertTrue(p.tcpAttemptDue(34 * S));
    }

    @Test
    void aConnectedButSilentTcpGivesWayToHttp() {
        FallbackPolicy p = new FallbackPolicy(config, true, true, 0);
        p.udpSent(0);
        p.tick(3 * S);
        p.tcpAttemptStarted(3 * S);
        p.tcpConnected(3 * S);
        p.tcpSent(4 * S);
        assertFalse(p.tick(6 * S));
        assertTrue(p.tick(7 * S));
        assertEquals(Carrier.HTTP, p.carrier());
        // Once the relay had answered over TCP, silence (a restarted relay) does not mean HTTP.
        FallbackPolicy q = new FallbackPolicy(config, true, true, 0);
        q.udpSent(0);
        q.tick(3 * S);
        q.tcpConnected(3 * S);
        q.tcpSent(4 * S);
        q.tcpHeard(4 * S);
        q.tcpSent(10 * S);
        assertFalse(q.tick(20 * S));
        assertEquals(Carrier.TCP, q.carrier());
    }

    @Test
    void probesAreDueEveryIntervalAndAnAnswerReturnsToUdp() {
        FallbackConfig c = config.withProbeInterval(Duration.ofSeconds(10));
        FallbackPolicy p = new FallbackPolicy(c, false, true, 0);
        assertFalse(p.probeDue(0), "no probes on UDP");
        p.udpSent(0);
        p.tick(3 * S);
        assertEquals(Carrier.HTTP, p.carrier());
        assertFalse(p.probeDue(4 * S), "the first probe one interval after leaving UDP");
        assertTrue(p.probeDue(13 * S));
        assertFalse(p.probeDue(14 * S));
        p.udpSent(13 * S);
        assertFalse(p.tick(17 * S), "an unanswered probe changes nothing");
        assertEquals(Carrier.HTTP, p.carrier());
        assertTrue(p.probeDue(23 * S));
        p.udpHeard(23 * S);
        assertEquals(Carrier.UDP, p.carrier());
        assertEquals(2, p.switches());
        assertEquals(23 * S, p.lastSwitch());
    }
}
