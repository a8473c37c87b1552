package org.anode.conformance.lab;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * A small program the {@link Lab} runs in a namespace to observe the network from there without
 * Anode: plain HTTP (to serve and fetch zone files, draft 2.1.1), DNS resolution, UDP and TCP probes
 * (to show what the NATs under the relays of draft 2.3.1 do) and a UDP flood. One JVM serves many
 * commands, read one a line from standard input as {@code <id> <command> <args...>}; each gets
 * exactly one answer line {@code <id> ok <result>} or {@code <id> err <reason>}. Events (datagrams
 * and connections received) are printed as lines of their own, starting with "udp" or "tcp".
 */
public final class LabAgent {
    private static final PrintStream OUT = System.out;
    private final Map<Integer, DatagramSocket> senders = new ConcurrentHashMap<>();

    private LabAgent() {}

    public static void main(String[] args) throws IOException {
        LabAgent agent = new LabAgent();
        say("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w.length < 2) {
                continue;
            }
            String id = w[0];
            try {
                String result = agent.execute(Arrays.copyOfRange(w, 1, w.length));
                say(id + " ok " + result);
            } catch (Exception e) {
                say(id + " err " + e);
            }
        }
        System.exit(0);
    }

    private static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    private String execute(String[] w) throws Exception {
        switch (w[0]) {
            case "resolve": {
                // resolve NAME -> the addresses, as the JDK resolver (and so anode) sees them.
                StringBuilder sb = new StringBuilder();
                for (InetAddress a : InetAddress.getAllByName(w[1])) {
                    sb.append(sb.length() == 0 ? "" : " ").append(a.getHostAddress());
                }
                return sb.toString();
            }
            case "fetch":
                return fetch(w[1]);
            case "http-serve":
                return httpServe(Integer.parseInt(w[1]), Path.of(w[2]));
            case "udp-listen":
                return udpListen(Integer.parseInt(w[1]));
            case "udp-send":
                // udp-send LOCALPORT HOST PORT TEXT WAITMS -> "echo <text>" or "noecho"
                return udpSend(Integer.parseInt(w[1]), w[2], Integer.parseInt(w[3]), w[4], Integer.parseInt(w[5]));
            case "udp-rtt": {
                // udp-rtt LOCALPORT HOST PORT TEXT WAITMS -> "<answer> rtt=<ms>" (timed here, not by the test,
                // whose reading of this agent's output is polled)
                long t0 = System.nanoTime();
                String echo =
                        udpSend(Integer.parseInt(w[1]), w[2], Integer.parseInt(w[3]), w[4], Integer.parseInt(w[5]));
                return echo + String.format(java.util.Locale.ROOT, " rtt=%.3f", (System.nanoTime() - t0) / 1e6);
            }
            case "udp-recv":
                // udp-recv LOCALPORT WAITMS -> what the udp-send socket on LOCALPORT received, or "nothing"
                return udpRecv(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
            case "tcp-listen":
                return tcpListen(Integer.parseInt(w[1]));
            case "tcp-connect":
                return tcpConnect(w[1], Integer.parseInt(w[2]), Integer.parseInt(w[3]));
            case "flood":
                // flood HOST PORT COUNT PPS HEX -> "sent N" once done
                return flood(
                        w[1],
                        Integer.parseInt(w[2]),
                        Integer.parseInt(w[3]),
                        Integer.parseInt(w[4]),
                        HexFormat.of().parseHex(w[5]));
            default:
                throw new IllegalArgumentException("unknown command " + w[0]);
        }
    }

    private static String fetch(String url) throws IOException, NoSuchAlgorithmException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        int status = c.getResponseCode();
        byte[] body;
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            body = in == null ? new byte[0] : in.readAllBytes();
        }
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        return status + " " + body.length + " " + sha;
    }

    private static String httpServe(int port, Path root) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/", ex -> {
            try (ex) {
                String name = ex.getRequestURI().getPath().substring(1);
                Path f = root.resolve(name).normalize();
                if (name.isEmpty() || !f.startsWith(root) || !Files.isRegularFile(f)) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] body = Files.readAllBytes(f);
                ex.getResponseHeaders().set("Content-Type", "text/plain");
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(body);
                }
                say("http GET /" + name + " from "
                        + ex.getRemoteAddress().getAddress().getHostAddress());
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.start();
        return "listening " + port;
    }

    private static String udpListen(int port) throws IOException {
        DatagramSocket s = new DatagramSocket(port);
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[2048];
                    while (true) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        try {
                            s.receive(p);
                            String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                            say("udp " + port + " from " + p.getAddress().getHostAddress() + ":" + p.getPort() + " "
                                    + text);
                            byte[] echo = ("echo " + text).getBytes(StandardCharsets.UTF_8);
                            s.send(new DatagramPacket(echo, echo.length, p.getSocketAddress()));
                        } catch (IOException e) {
                            say("udp " + port + " error " + e);
                            return;
                        }
                    }
                },
                "udp-" + port);
        t.setDaemon(true);
        t.start();
        return "listening " + port;
    }

    private String udpSend(int localPort, String host, int port, String text, int waitMs) throws IOException {
        DatagramSocket s = senders.get(localPort);
        if (s == null) {
            s = new DatagramSocket(localPort);
            senders.put(localPort, s);
        }
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName(host), port));
        if (waitMs <= 0) {
            return "sent";
        }
        s.setSoTimeout(waitMs);
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
            return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            return "noecho";
        }
    }

    private String udpRecv(int localPort, int waitMs) throws IOException {
        DatagramSocket s = senders.get(localPort);
        if (s == null) {
            throw new IllegalStateException("no udp-send socket on " + localPort);
        }
        s.setSoTimeout(waitMs);
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
            return p.getAddress().getHostAddress() + ":" + p.getPort() + " "
                    + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            return "nothing";
        }
    }

    private static String tcpListen(int port) throws IOException {
        ServerSocket ss = new ServerSocket(port);
        Thread t = new Thread(
                () -> {
                    while (true) {
                        try (Socket c = ss.accept()) {
                            say("tcp " + port + " from " + c.getInetAddress().getHostAddress() + ":" + c.getPort());
                        } catch (IOException e) {
                            say("tcp " + port + " error " + e);
                            return;
                        }
                    }
                },
                "tcp-" + port);
        t.setDaemon(true);
        t.start();
        return "listening " + port;
    }

    private static String tcpConnect(String host, int port, int timeoutMs) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMs);
            return "connected";
        } catch (SocketTimeoutException e) {
            return "timeout";
        } catch (IOException e) {
            return "failed " + e.getMessage().replace(' ', '_');
        }
    }

    private static String flood(String host, int port, int count, int pps, byte[] payload) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            DatagramPacket p = new DatagramPacket(payload, payload.length, InetAddress.getByName(host), port);
            long start = System.nanoTime();
            long gap = 1_000_000_000L / pps;
            for (int i = 0; i < count; i++) {
                long due = start + i * gap;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                s.send(p);
            }
            return "sent " + count + " from " + s.getLocalPort();
        }
    }
}
