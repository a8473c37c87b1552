package org.anode.stream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws a {@link ConnectionTrace} (draft section 5's stream, DECISIONS 25's congestion control) as
 * an SVG image with two panels over the same time axis: above, the sequence numbers sent (new data
 * blue, retransmissions orange) and judged lost (red); below, the congestion window and the bytes
 * in flight, with the controller's state changes marked. Usage:
 * {@code java -cp anode-nio.jar org.anode.stream.TracePlot trace.jsonl plot.svg}.
 */
public final class TracePlot {
    private static final int WIDTH = 1000;
    private static final int PANEL = 300;
    private static final int MARGIN = 60;

    private TracePlot() {}

    /** One parsed line: its event name and numeric fields. */
    private record Event(String ev, long t, long seq, long a, long b, String state) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: TracePlot <trace.jsonl> <plot.svg>");
            System.exit(2);
        }
        try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            Files.writeString(Path.of(args[1]), svg(r), StandardCharsets.UTF_8);
        }
    }

    /** The SVG image of the JSON-lines trace read from {@code in}; lines it does not know are skipped. */
    public static String svg(Reader in) throws IOException {
        List<Event> events = new ArrayList<>();
        BufferedReader br = new BufferedReader(in);
        for (String line; (line = br.readLine()) != null; ) {
            String ev = text(line, "ev");
            if (ev == null) {
                continue;
            }
            long t = number(line, "t");
            switch (ev) {
                case "sent" ->
                    events.add(new Event(
                            ev,
                            t,
                            number(line, "seq"),
                            "true".equals(literal(line, "retx")) ? 1 : 0,
                            number(line, "inflight"),
                            null));
                case "lost" -> events.add(new Event(ev, t, number(line, "seq"), 0, 0, null));
                case "cc" ->
                    events.add(
                            new Event(ev, t, 0, number(line, "cwnd"), number(line, "inflight"), text(line, "state")));
                default -> {
                    // Acknowledgements and RTT samples are in the log for reading; the plot shows
                    // what was sent, what was lost and the window.
                }
            }
        }
        long tMax = 1;
        long seqMin = Long.MAX_VALUE;
        long seqMax = Long.MIN_VALUE;
        long wMax = 1;
        for (Event e : events) {
            tMax = Math.max(tMax, e.t());
            if (!e.ev().equals("cc")) {
                seqMin = Math.min(seqMin, e.seq());
                seqMax = Math.max(seqMax, e.seq());
            } else {
                wMax = Math.max(wMax, Math.max(e.a(), e.b()));
            }
        }
        if (seqMin == Long.MAX_VALUE) {
            seqMin = 0;
            seqMax = 1;
        }
        long seqSpan = Math.max(1, seqMax - seqMin);
        StringBuilder s = new StringBuilder();
        int h = 2 * PANEL + 3 * MARGIN;
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(h)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        int plotW = WIDTH - 2 * MARGIN;
        axes(s, MARGIN, "sequence number (relative)", seqSpan, tMax, plotW);
        axes(s, 2 * MARGIN + PANEL, "bytes: cwnd (black), in flight (green)", wMax, tMax, plotW);
        for (Event e : events) {
            double x = MARGIN + (double) e.t() * plotW / tMax;
            if (e.ev().equals("sent") || e.ev().equals("lost")) {
                double y = MARGIN + PANEL - (double) (e.seq() - seqMin) * PANEL / seqSpan;
                String color = e.ev().equals("lost") ? "red" : e.a() == 1 ? "orange" : "steelblue";
                double r = e.ev().equals("lost") ? 2.5 : 1.2;
                s.append(String.format(
                        Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>%n", x, y, r, color));
            }
        }
        polyline(s, events, tMax, wMax, plotW, true, "black");
        polyline(s, events, tMax, wMax, plotW, false, "green");
        String last = null;
        int labelRow = 0;
        for (Event e : events) {
            if (e.ev().equals("cc") && e.state() != null && !e.state().equals(last)) {
                last = e.state();
                double x = MARGIN + (double) e.t() * plotW / tMax;
                int y0 = 2 * MARGIN + PANEL;
                s.append(String.format(
                        Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>%n",
                        x,
                        y0,
                        x,
                        y0 + PANEL));
                s.append(String.format(
                        Locale.ROOT,
                        "<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%s</text>%n",
                        x + 2,
                        y0 + 12 + 12 * (labelRow++ % 4),
                        escape(last)));
            }
        }
        s.append("<text x=\"")
                .append(MARGIN)
                .append("\" y=\"")
                .append(h - 15)
                .append("\">time (ms), ")
                .append(String.format(Locale.ROOT, "%.1f", tMax / 1e6))
                .append(" ms in all; blue: sent, orange: retransmitted, red: judged lost</text>\n");
        s.append("</svg>\n");
        return s.toString();
    }

    private static void axes(StringBuilder s, int top, String label, long yMax, long tMax, int plotW) {
        s.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>%n",
                MARGIN,
                top,
                plotW,
                PANEL));
        s.append(String.format(
                Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s (max %d)</text>%n", MARGIN, top - 6, escape(label), yMax));
        for (int i = 0; i <= 10; i++) {
            int x = MARGIN + plotW * i / 10;
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n",
                    x,
                    top + PANEL + 14,
                    tMax / 1e6 * i / 10));
        }
    }

    private static void polyline(
            StringBuilder s, List<Event> events, long tMax, long wMax, int plotW, boolean cwnd, String color) {
        StringBuilder pts = new StringBuilder();
        int top = 2 * MARGIN + PANEL;
        for (Event e : events) {
            if (e.ev().equals("cc")) {
                double x = MARGIN + (double) e.t() * plotW / tMax;
                double y = top + PANEL - (double) (cwnd ? e.a() : e.b()) * PANEL / wMax;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
        }
        if (pts.length() > 0) {
            s.append("<polyline fill=\"none\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"1\" points=\"")
                    .append(pts)
                    .append("\"/>\n");
        }
    }

    private static String escape(String v) {
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** The raw value of {@code "key":} in a line of our own format (up to the next comma or brace). */
    private static String literal(String line, String key) {
        String k = "\"" + key + "\":";
        int i = line.indexOf(k);
        if (i < 0) {
            return null;
        }
        int from = i + k.length();
        int end = from;
        while (end < line.length() && line.charAt(end) != ',' && line.charAt(end) != '}') {
            end++;
        }
        return line.substring(from, end);
    }

    private static long number(String line, String key) {
        String v = literal(line, key);
        if (v == null) {
            return 0;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String text(String line, String key) {
        String k = "\"" + key + "\":\"";
        int i = line.indexOf(k);
        if (i < 0) {
            return null;
        }
        int from = i + k.length();
        int end = line.indexOf('"', from);
        return end < 0 ? null : line.substring(from, end);
    }
}
