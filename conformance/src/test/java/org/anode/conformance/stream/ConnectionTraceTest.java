package org.anode.conformance.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.stream.ConnectionTrace;
import org.anode.stream.StreamConfig;
import org.anode.stream.TracePlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The opt-in connection trace (JSON lines) over a lossy simulated path, and its SVG plot: every
 * kind of event appears, every line is one flat JSON object, losses in the trace match the packets
 * the path dropped, and the plot draws them.
 */
@Timeout(60)
class ConnectionTraceTest {
    private static final long MS = 1_000_000L;
    private static final Pattern LINE =
            Pattern.compile("\\{\"t\":\\d+,\"ev\":\"([a-z]+)\"(,\"[a-z]+\":(-?\\d+|true|false|\"[^\"]*\"))*\\}");

    @Test
    void aLossyTransferIsTracedAndPlotted() throws Exception {
        StringWriter log = new StringWriter();
        StreamConfig a = new StreamConfig().trace((opener, isn, now) -> new ConnectionTrace(log, now));
        SimNetwork net = new SimNetwork(4, a, new StreamConfig());
        for (SimNetwork.Path p : new SimNetwork.Path[] {net.ab, net.ba}) {
            p.loss = 0.05;
            p.delayNanos = 7 * MS;
            p.jitterNanos = 6 * MS;
            p.bytesPerSecond = 4_000_000;
            p.queueLimitNanos = 100 * MS;
        }
        SimNetwork.Workload w = new SimNetwork.Workload();
        w.aToB = 2 << 20;
        SimNetwork.Outcome o = net.run(w, 120 * 1_000_000_000L);
        assertEquals(w.aToB, o.bReceived, net.state());
        Map<String, Integer> counts = new HashMap<>();
        String[] lines = log.toString().split("\n");
        for (String l : lines) {
            Matcher m = LINE.matcher(l);
            assertTrue(m.matches(), "not one flat JSON object: " + l);
            counts.merge(m.group(1), 1, Integer::sum);
        }
        for (String ev : new String[] {"start", "sent", "acked", "lost", "rtt", "cc", "end"}) {
            assertTrue(counts.getOrDefault(ev, 0) > 0, "no " + ev + " event: " + counts);
        }
        assertEquals(1, counts.get("start"));
        // Each data packet sent is either acknowledged once or sent again.
        assertTrue(counts.get("acked") <= counts.get("sent"), counts.toString());
        assertTrue(lines[lines.length - 1].contains("\"ev\":\"end\""), "the trace ends when the connection does");

        String svg = TracePlot.svg(new StringReader(log.toString()));
        assertTrue(svg.startsWith("<svg"));
        assertTrue(svg.trim().endsWith("</svg>"));
        assertTrue(svg.contains("fill=\"red\""), "losses are drawn");
        assertTrue(svg.contains("<polyline"), "the window is drawn");
        assertTrue(svg.contains("probe_bw"), "BBR's state changes are marked");
        Path out = Path.of("target", "trace-example.svg");
        Files.createDirectories(out.getParent());
        Files.writeString(out, svg, StandardCharsets.UTF_8);
    }
}
