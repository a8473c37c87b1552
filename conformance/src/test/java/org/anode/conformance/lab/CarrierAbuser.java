package org.anode.conformance.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A hostile client of a relay's TCP and HTTP transports (draft 2.9.2, 2.9.3; DECISIONS 38), run
 * by {@link FallbackLabTest} in a lab namespace: garbage and oversized frames on the TCP port,
 * garbage and oversized POST bodies, slowloris heads and bodies that never complete, and many
 * connections from one source held open. Arguments: {@code IP TCP_PORT HTTP_PORT SECONDS}. Prints
 * one line {@code abuse opened=N closedByRelay=M refused=R} at the end: how many connections the
 * relay cut off (read -1 or reset) while they misbehaved.
 */
public final class CarrierAbuser {
    private CarrierAbuser() {}

    public static void main(String[] args) throws Exception {
        String ip = args[0];
        int tcp = Integer.parseInt(args[1]);
        int http = Integer.parseInt(args[2]);
        long until = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
        Random rnd = new Random(1);
        List<Socket> held = new ArrayList<>();
        int opened = 0;
        int refused = 0;
        int closed = 0;
        int round = 0;
        while (System.nanoTime() - until < 0) {
            round++;
            // Many connections from this one source, each misbehaving in its own way.
            for (int i = 0; i < 40; i++) {
                boolean toHttp = i % 2 == 1;
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(ip, toHttp ? http : tcp), 2000);
                    s.setSoTimeout(50);
                    opened++;
                } catch (IOException e) {
                    refused++;
                    s.close();
                    continue;
                }
                try {
                    OutputStream out = s.getOutputStream();
                    switch (i % 8) {
                        case 0 -> { // garbage
                            byte[] g = new byte[512];
                            rnd.nextBytes(g);
                            out.write(g);
                        }
                        case 1 ->
                            out.write(("POST /a?s=abuse" + round
                                            + " HTTP/1.1\r\nContent-Length: 7\r\n\r\n\u0000\u0003abcde")
                                    .getBytes(StandardCharsets.ISO_8859_1));
                        case 2 -> out.write(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3}); // oversized frame
                        case 3 ->
                            out.write("POST /a HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"
                                    .getBytes(StandardCharsets.ISO_8859_1));
                        case 4 -> out.write(new byte[] {0, 100, 1}); // a frame never completed
                        case 5 ->
                            out.write("POST /a HTTP/1.1\r\nContent-Le"
                                    .getBytes(StandardCharsets.ISO_8859_1)); // slowloris
                        case 6 -> { // silent
                        }
                        default ->
                            out.write("POST /a?s=x HTTP/1.1\r\nContent-Length: 100\r\n\r\nab"
                                    .getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.flush();
                } catch (IOException e) {
                    closed++;
                    s.close();
                    continue;
                }
                held.add(s);
            }
            Thread.sleep(500);
            // Count and drop the connections the relay has cut off.
            for (int k = held.size() - 1; k >= 0; k--) {
                Socket s = held.get(k);
                if (cutOff(s)) {
                    closed++;
                    s.close();
                    held.remove(k);
                }
            }
            // Keep at most a few hundred open: the point is the relay's bound, not this JVM's.
            while (held.size() > 300) {
                held.remove(0).close();
            }
        }
        for (Socket s : held) {
            s.close();
        }
        System.out.println("abuse opened=" + opened + " closedByRelay=" + closed + " refused=" + refused);
    }

    private static boolean cutOff(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
