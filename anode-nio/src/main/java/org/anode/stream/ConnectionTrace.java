package org.anode.stream;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An opt-in event log of one stream connection (draft section 5; DECISIONS 25's congestion
 * control made visible) as JSON lines, in the spirit of qlog: every packet sent (with whether it
 * is a retransmission and the flight after it), acknowledged and judged lost, every RTT sample,
 * retransmission timeouts, and after each acknowledgement the congestion controller's window,
 * pacing rate and state. One object per line, times in nanoseconds since the connection began:
 * <pre>
 * {"t":0,"ev":"start","role":"opener","cc":"BBR","isn":1234}
 * {"t":20381000,"ev":"sent","seq":1235,"len":1300,"retx":false,"inflight":1300}
 * {"t":40902000,"ev":"acked","seq":1235,"len":1300}
 * {"t":40902000,"ev":"rtt","sample":20521000,"srtt":20521000,"min":20521000}
 * {"t":40902000,"ev":"cc","cwnd":15600,"pacing":1834000,"inflight":0,"state":"startup"}
 * {"t":61200000,"ev":"lost","seq":1240}
 * </pre>
 * {@link TracePlot} draws it. Tracing allocates and writes per packet: it is for finding out why a
 * transfer was slow, not for production traffic. Enable it for every connection with the system
 * property {@code anode.stream.trace} (a directory; one file per connection) or per configuration
 * with {@link StreamConfig#trace(Factory)}.
 */
public final class ConnectionTrace implements AutoCloseable {
    /** Creates the trace of a new connection, or returns null to leave it untraced. */
    @FunctionalInterface
    public interface Factory {
        ConnectionTrace open(boolean opener, int isn, long nowNanos);
    }

    private static final AtomicLong SERIAL = new AtomicLong();

    private final Writer out;
    private final long start;
    private boolean failed;
    private final StringBuilder line = new StringBuilder(128);

    /** A trace written to {@code out} (closed with the trace); times count from {@code startNanos}. */
    public ConnectionTrace(Writer out, long startNanos) {
        this.out = out;
        this.start = startNanos;
    }

    /**
     * A factory writing one file per connection into {@code dir}, named
     * {@code stream-<opener|acceptor>-<isn>-<n>.jsonl}.
     */
    public static Factory toDirectory(Path dir) {
        return (opener, isn, now) -> {
            try {
                Files.createDirectories(dir);
                Path f = dir.resolve(String.format(
                        Locale.ROOT,
                        "stream-%s-%08x-%d.jsonl",
                        opener ? "opener" : "acceptor",
                        isn,
                        SERIAL.incrementAndGet()));
                return new ConnectionTrace(new BufferedWriter(Files.newBufferedWriter(f, StandardCharsets.UTF_8)), now);
            } catch (IOException e) {
                System.getLogger(ConnectionTrace.class.getName())
                        .log(System.Logger.Level.WARNING, "stream trace not written to " + dir + ": " + e);
                return null;
            }
        };
    }

    /** The factory named by the system property {@code anode.stream.trace}, or null. */
    static Factory fromSystemProperty() {
        String dir = System.getProperty("anode.stream.trace");
        return dir == null || dir.isEmpty() ? null : toDirectory(Path.of(dir));
    }

    private StringBuilder begin(long now, String ev) {
        line.setLength(0);
        return line.append("{\"t\":")
                .append(now - start)
                .append(",\"ev\":\"")
                .append(ev)
                .append('"');
    }

    private void end() {
        if (failed) {
            return;
        }
        line.append("}\n");
        try {
            // Flushed per event: a trace is read most when the connection stalled or the process died.
            out.append(line);
            out.flush();
        } catch (IOException e) {
            // A broken trace must not break the connection: stop tracing, say so once.
            failed = true;
            System.getLogger(ConnectionTrace.class.getName())
                    .log(System.Logger.Level.WARNING, "stream trace stopped: " + e);
        }
    }

    void start(long now, boolean opener, String cc, int isn) {
        begin(now, "start")
                .append(",\"role\":\"")
                .append(opener ? "opener" : "acceptor")
                .append("\",\"cc\":\"")
                .append(cc)
                .append("\",\"isn\":")
                .append(Serial.unsigned(isn));
        end();
    }

    void sent(long now, int seq, int len, boolean retx, long inFlight) {
        begin(now, "sent")
                .append(",\"seq\":")
                .append(Serial.unsigned(seq))
                .append(",\"len\":")
                .append(len)
                .append(",\"retx\":")
                .append(retx)
                .append(",\"inflight\":")
                .append(inFlight);
        end();
    }

    void acked(long now, int seq, int len) {
        begin(now, "acked")
                .append(",\"seq\":")
                .append(Serial.unsigned(seq))
                .append(",\"len\":")
                .append(len);
        end();
    }

    void lost(long now, int seq) {
        begin(now, "lost").append(",\"seq\":").append(Serial.unsigned(seq));
        end();
    }

    void rtt(long now, long sample, long srtt, long minRtt) {
        begin(now, "rtt")
                .append(",\"sample\":")
                .append(sample)
                .append(",\"srtt\":")
                .append(srtt)
                .append(",\"min\":")
                .append(minRtt == RttEstimator.NO_SAMPLE ? -1 : minRtt);
        end();
    }

    void congestion(long now, long cwnd, long pacing, long inFlight, String state) {
        begin(now, "cc")
                .append(",\"cwnd\":")
                .append(cwnd)
                .append(",\"pacing\":")
                .append(pacing)
                .append(",\"inflight\":")
                .append(inFlight)
                .append(",\"state\":\"")
                .append(state)
                .append('"');
        end();
    }

    void timeout(long now, int backoff) {
        begin(now, "rto").append(",\"backoff\":").append(backoff);
        end();
    }

    void closed(long now, String how) {
        begin(now, "end").append(",\"how\":\"").append(how.replace('"', '\'')).append('"');
        end();
    }

    /** Flushes and closes the output. */
    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
